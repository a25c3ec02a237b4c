//! "My request is solved" and taking it back. Resolving needs a second,
//! explicit "Yes" (the case page reveals it without script), so one stray
//! tap never closes a request; for `--portal-undo-seconds` afterwards the
//! case page offers "Reopen", which puts the case back where it was. Both
//! are status changes by the customer in the case's log; whether undo is
//! still possible is read from that log (see
//! [`tend_domain::resolve_undo`]).

use super::PortalError;
use super::cases::render;
use super::session::Customer;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::layout::when;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use tend_domain::case::{CaseChange, Status};
use tend_domain::ids::CaseId;
use tend_domain::resolve_undo::undoable_resolve;
use tend_store::model::Case;

/// How many of a case's latest events are read to find the customer's
/// resolve: anything that happened after it counts only if it is a status
/// change, and a handful of other events (a survey sent) is plenty.
const EVENTS_READ: i64 = 20;

/// The "Reopen" offer on the case page.
pub struct UndoOffer {
    /// Until when, RFC 3339 and as read.
    pub until_at: String,
    pub until: String,
}

/// The resolve form: the second step's button sends `confirm=yes`.
#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    confirm: String,
}

/// The reopen form (its token only).
#[derive(Deserialize)]
pub struct ReopenForm {}

/// Whether `customer` may still undo resolving `case` at `now`, and until
/// when.
pub async fn undo_offer(
    s: &AppState,
    customer: &Customer,
    case: &Case,
    now: Timestamp,
) -> Result<Option<UndoOffer>, PortalError> {
    Ok(undoable(s, customer, case, now).await?.map(|u| UndoOffer {
        until_at: u.until.to_string(),
        until: when(&u.until),
    }))
}

async fn undoable(
    s: &AppState,
    customer: &Customer,
    case: &Case,
    now: Timestamp,
) -> Result<Option<tend_domain::resolve_undo::Undoable>, PortalError> {
    if case.status != Status::Resolved {
        return Ok(None);
    }
    let window = SignedDuration::try_from(s.web.portal_undo).unwrap_or(SignedDuration::ZERO);
    let events = s
        .store
        .events_newest_first(case.id, None, EVENTS_READ)
        .await?;
    Ok(undoable_resolve(&events.data, customer.id(), now, window))
}

/// Resolves a case the customer may see, at their word, once they
/// confirmed; the change is theirs in the case's log. A resolved or closed
/// case stays as it is.
pub async fn resolve(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<ResolveForm, Customer>,
) -> Result<Response, PortalError> {
    let Posted {
        session: customer,
        form,
    } = posted;
    let case = s.store.portal_case(customer.id(), CaseId(id)).await?;
    if form.confirm != "yes" {
        let error = "To mark your request solved, open \u{201c}My request is solved\u{201d} \
                     and press \u{201c}Yes, it is solved\u{201d}.";
        return render(
            &s,
            &customer,
            case.id,
            None,
            String::new(),
            Some(error.into()),
        )
        .await;
    }
    if !matches!(case.status, Status::Resolved | Status::Closed) {
        change_status(&s, &customer, case.id, Status::Resolved).await?;
    }
    Ok(Redirect::to(&format!("/portal/cases/{id}#resolved")).into_response())
}

/// Takes back the customer's resolve while the window is open, putting the
/// case back to the status it had; afterwards, writing to us reopens it.
pub async fn reopen(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<ReopenForm, Customer>,
) -> Result<Response, PortalError> {
    let customer = posted.session;
    let case = s.store.portal_case(customer.id(), CaseId(id)).await?;
    match undoable(&s, &customer, &case, tend_store::now()).await? {
        Some(undo) => {
            change_status(&s, &customer, case.id, undo.back_to).await?;
            Ok(Redirect::to(&format!("/portal/cases/{id}")).into_response())
        }
        None => {
            let error = "This request can no longer be reopened here. \
                         Write to us below and it reopens.";
            render(
                &s,
                &customer,
                case.id,
                None,
                String::new(),
                Some(error.into()),
            )
            .await
        }
    }
}

/// Records the customer's status change.
async fn change_status(
    s: &AppState,
    customer: &Customer,
    case: CaseId,
    status: Status,
) -> Result<(), PortalError> {
    let change = CaseChange {
        status: Some(status),
        ..CaseChange::default()
    };
    s.store.update_case(case, &change, customer.actor()).await?;
    Ok(())
}
