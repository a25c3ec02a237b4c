//! The canned-reply picker beside the reply box on the case page. Each
//! reply is expanded for the case on the server; without JavaScript the
//! picker reloads the page with `?canned=ID` and the reply box pre-filled,
//! with it `canned.js` inserts the text at the cursor.

use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::session::Session;
use serde::Deserialize;
use tend_domain::canned::{Context, expand};
use tend_domain::ids::CaseId;
use tend_store::canned::CannedReply;
use tend_store::model::{Case, Customer};

/// One canned reply, filled in for the case.
pub struct CannedOption {
    pub id: i64,
    pub title: String,
    pub text: String,
}

/// Every canned reply, filled in for one case.
pub struct CannedPicker {
    pub options: Vec<CannedOption>,
}

/// The case page's `?canned=` parameter.
#[derive(Debug, Default, Deserialize)]
pub struct Chosen {
    canned: Option<String>,
}

/// What the placeholders stand for on this case, for this agent.
fn context<'a>(session: &'a Session, case: &'a Case, customer: &'a Customer) -> Context<'a> {
    Context {
        customer_name: &customer.name,
        case_reference: &case.reference,
        case_subject: &case.subject,
        agent_name: &session.web.agent_name,
        inbox_name: None,
    }
}

fn option(reply: CannedReply, context: &Context<'_>) -> CannedOption {
    CannedOption {
        text: expand(&reply.body, context),
        id: reply.id,
        title: reply.title,
    }
}

impl CannedPicker {
    /// The picker for `case`.
    pub async fn load(
        s: &AppState,
        session: &Session,
        case: &Case,
        customer: &Customer,
    ) -> Result<Self, WebError> {
        let context = context(session, case, customer);
        Ok(CannedPicker {
            options: s
                .store
                .canned_replies()
                .await?
                .into_iter()
                .map(|r| option(r, &context))
                .collect(),
        })
    }
}

/// The reply box's text when the page was asked for with `?canned=ID`:
/// that canned reply filled in for the case; empty without the parameter.
pub async fn prefill(
    s: &AppState,
    session: &Session,
    id: CaseId,
    chosen: &Chosen,
) -> Result<String, WebError> {
    let Some(raw) = chosen.canned.as_deref().filter(|c| !c.is_empty()) else {
        return Ok(String::new());
    };
    let canned_id = raw.parse().map_err(|_| WebError::NotFound)?;
    let reply = s.store.canned_reply(canned_id).await?;
    let case = s.store.case(id).await?;
    let customer = s.store.customer(case.customer_id).await?;
    Ok(option(reply, &context(session, &case, &customer)).text)
}
