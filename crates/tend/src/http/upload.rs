//! Checks on an uploaded file, the same for the API and every web form:
//! the attachment size limit, a clean file name and a plain MIME type.

use crate::http::AppState;
use crate::http::error::ApiError;
use tend_domain::{Invalid, text};
use tend_store::messages::NewAttachment;

/// Checks one uploaded file (API or web form) against the attachment limit
/// and cleans its name and type; `field` names it in errors.
pub fn attachment_upload(
    s: &AppState,
    field: String,
    name: &str,
    mime: Option<&str>,
    data: Vec<u8>,
) -> Result<NewAttachment, ApiError> {
    if data.len() > s.limits.max_attachment_bytes {
        return Err(ApiError::AttachmentTooLarge {
            field,
            limit: s.limits.max_attachment_bytes,
        });
    }
    Ok(NewAttachment {
        filename: filename(&format!("{field}.filename"), name)?,
        content_type: content_type(&format!("{field}.content_type"), mime)?,
        data,
        content_id: None,
    })
}

/// Keeps the last path component of a file name, without control characters.
fn filename(field: &str, raw: &str) -> Result<String, Invalid> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    text::required(field, &clean, 255)
}

fn content_type(field: &str, raw: Option<&str>) -> Result<String, Invalid> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok("application/octet-stream".into());
    };
    let valid = raw.len() <= 127
        && raw
            .split_once('/')
            .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty())
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/.+-_;= ".contains(c));
    if valid {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(Invalid::new(field, format!("`{raw}` is not a MIME type")))
    }
}
