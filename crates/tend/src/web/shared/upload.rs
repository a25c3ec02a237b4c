//! Files posted with a web form (agent reply, portal reply, public request),
//! checked as the API checks uploaded ones.

use crate::http::AppState;
use crate::http::upload::attachment_upload;
use crate::web::shared::csrf::PostedFile;
use crate::web::shared::error::WebError;
use tend_store::messages::NewAttachment;

/// Checks posted files as the API checks uploaded ones.
pub fn uploads(s: &AppState, files: Vec<PostedFile>) -> Result<Vec<NewAttachment>, WebError> {
    files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            attachment_upload(
                s,
                format!("attachment {} ({})", i + 1, f.filename),
                &f.filename,
                f.content_type.as_deref(),
                f.data,
            )
            .map_err(WebError::from)
        })
        .collect()
}
