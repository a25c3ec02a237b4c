//! What the two survey forms share (the page a survey email's link opens,
//! and the open survey on a case in the portal): the business the question
//! names and the scale's choices.

use super::layout::Choice;
use crate::http::AppState;
use tend_domain::ids::CaseId;
use tend_domain::survey::SurveyKind;
use tend_store::StoreError;

/// The business a survey on `case` asks about: the inbox the customer
/// wrote to (as its email said), else the brand.
pub async fn business(s: &AppState, case: CaseId) -> Result<String, StoreError> {
    Ok(match s.store.reply_context(case).await? {
        Some(ctx) => ctx.inbox.name,
        None => s.web.brand.name.clone(),
    })
}

/// The scores of `kind` as radio choices (`6 · Agree`), `chosen` selected.
pub fn choices(kind: SurveyKind, chosen: Option<u8>) -> Vec<Choice> {
    (1..=kind.max_score())
        .map(|n| Choice {
            value: n.to_string(),
            text: format!("{n} · {}", kind.label(n)),
            selected: chosen == Some(n),
        })
        .collect()
}
