//! The email side of the reply box: whom a reply goes to and whom it
//! copies (the conversation's Cc by default, "reply all", which the agent
//! may change), and formatted replies from the toolbar.

use crate::http::AppState;
use crate::replies::CopyRequest;
use crate::web::shared::error::WebError;
use tend_domain::email::{parse_list, split_typed};
use tend_domain::ids::CaseId;

/// The To and Cc the reply box shows, on a case with an email conversation.
pub struct Addressing {
    pub to: String,
    /// Comma-separated, as the agent edits it.
    pub cc: String,
}

impl Addressing {
    /// Where a reply on `case` goes; `typed_cc` is what the agent had typed
    /// when a post failed, shown again instead of the default.
    pub async fn load(
        s: &AppState,
        case: CaseId,
        typed_cc: Option<&str>,
    ) -> Result<Option<Self>, WebError> {
        Ok(s.store.reply_context(case).await?.map(|ctx| Addressing {
            to: ctx.recipient,
            cc: typed_cc.map_or_else(|| ctx.cc.join(", "), str::to_owned),
        }))
    }
}

/// The copies a reply form asks for: the Cc field is only sent by a reply
/// box that showed it, so without it the reply copies whoever the
/// conversation does.
pub fn copies(cc: Option<&str>, bcc: Option<&str>) -> Result<CopyRequest, WebError> {
    let list = |field, typed: &str| parse_list(field, &split_typed(typed)).map_err(WebError::field);
    Ok(CopyRequest {
        cc: cc.map(|typed| list("cc", typed)).transpose()?,
        bcc: list("bcc", bcc.unwrap_or_default())?,
    })
}
