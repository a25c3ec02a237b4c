//! Live updates on the case page: each open page holds one server-sent-event
//! stream that says who else is on the case (the collision warning) and
//! when the case has changed, whoever changed it: another agent, an email,
//! the API. The page then fetches itself again and swaps in the new parts.
//! Changes are heard as signals from whichever node made them (PostgreSQL,
//! see `crate::http::state::signals`), and noticed by polling the case
//! row: every few seconds on SQLite, rarely as a safety net otherwise.

use crate::http::AppState;
use crate::http::state::presence::{Doing, Other, Signal, VIEW_TTL};
use crate::http::state::signals::Change;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::session::Session;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tend_domain::agent::Action;
use tend_domain::ids::CaseId;
use tend_store::model::Case;

/// How often presence is re-read and the viewer kept alive.
const TICK: Duration = Duration::from_secs(1);
/// Every how many ticks the case row is checked for changes, when changes
/// are not heard as signals.
const CHECK_EVERY: u32 = 2;
/// Every how many ticks it is checked when they are (in case one was lost).
const CHECK_EVERY_LISTENING: u32 = 30;

/// The collision warning's text, empty when nobody else is on the case.
pub fn warning(others: &[Other]) -> String {
    others
        .iter()
        .map(|o| {
            let doing = if o.typing {
                "is typing a reply"
            } else {
                "is viewing this case"
            };
            format!("{} {doing}.", o.name)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A case's version as the page knows it: when it last changed.
pub fn version(case: &Case) -> i64 {
    case.updated_at.as_microsecond()
}

/// Query of the live stream: the version the page was rendered from.
#[derive(Deserialize)]
pub struct LiveParams {
    since: Option<i64>,
}

/// One page's stream. Dropping it (the page closed) ends its presence.
struct Watch {
    state: AppState,
    case: CaseId,
    session: Session,
    version: i64,
    warning: Option<String>,
    ticks: u32,
    changes: tokio::sync::broadcast::Receiver<Change>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let state = self.state.clone();
        let left = signal(&self.session, self.case, Doing::Left);
        tokio::spawn(async move { tell(&state, left).await });
    }
}

/// A presence change of `session` on `case`.
fn signal(session: &Session, case: CaseId, doing: Doing) -> Signal {
    Signal {
        case,
        session: session.id_hash.clone(),
        agent: session.web.agent_id,
        name: session.web.agent_name.clone(),
        doing,
    }
}

/// Records a presence change on this node and tells the others.
async fn tell(state: &AppState, signal: Signal) {
    let web = &state.web;
    web.signals
        .presence(&state.store, &web.presence, signal)
        .await;
}

/// Waits until a change to `case` (or to anything) is heard.
async fn heard(changes: &mut tokio::sync::broadcast::Receiver<Change>, case: CaseId) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match changes.recv().await {
            Ok(Some(changed)) if changed != case => {}
            Ok(_) | Err(RecvError::Lagged(_)) => return,
            Err(RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

impl Watch {
    /// Waits for the next thing worth telling the page.
    async fn next(&mut self) -> Event {
        loop {
            let mut changed = false;
            if self.ticks > 0 {
                tokio::select! {
                    () = tokio::time::sleep(TICK) => {}
                    () = heard(&mut self.changes, self.case) => changed = true,
                }
            }
            self.ticks = self.ticks.wrapping_add(1);
            let viewing = Doing::Viewing {
                for_ms: (TICK * 3).as_millis() as u64,
            };
            tell(&self.state, signal(&self.session, self.case, viewing)).await;
            let web = &self.state.web;
            let warning = warning(&web.presence.others(self.case, self.session.web.agent_id));
            if self.warning.as_ref() != Some(&warning) {
                self.warning = Some(warning.clone());
                return Event::default().event("presence").data(warning);
            }
            let every = if web.signals.listening() {
                CHECK_EVERY_LISTENING
            } else {
                CHECK_EVERY
            };
            if changed || self.ticks.is_multiple_of(every) {
                match self.state.store.case(self.case).await {
                    Ok(case) if version(&case) != self.version => {
                        self.version = version(&case);
                        return Event::default()
                            .event("changed")
                            .data(self.version.to_string());
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(case = self.case.0, "live update check failed: {e}"),
                }
            }
        }
    }
}

/// The case page's event stream: `presence` (the warning text) and
/// `changed` (the new version).
pub async fn stream(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(params): Query<LiveParams>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, WebError> {
    session.require(Action::Read)?;
    let case = state.store.case(CaseId(id)).await?;
    let watch = Watch {
        version: params.since.unwrap_or_else(|| version(&case)),
        case: case.id,
        changes: state.web.signals.changes(),
        state,
        session,
        warning: None,
        ticks: 0,
    };
    // The stream ends when the server shuts down, so shutdown need not wait for it.
    let shutdown = watch.state.shutdown.clone();
    let events = futures_util::stream::unfold(watch, move |mut watch| {
        let shutdown = shutdown.clone();
        async move {
            let event = shutdown.run_until_cancelled(watch.next()).await?;
            Some((Ok(event), watch))
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// Nothing but the CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

/// Tells the other agents on the case that this one is typing a reply.
pub async fn typing(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Empty>,
) -> Result<StatusCode, WebError> {
    let session = posted.session;
    session.require(Action::Work)?;
    let case = state.store.case(CaseId(id)).await?;
    tell(&state, signal(&session, case.id, Doing::Typing)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks a page view of `case` (so agents without JavaScript are seen too)
/// and answers the warning to render with the page.
pub async fn viewed(state: &AppState, session: &Session, case: CaseId) -> String {
    let for_ms = VIEW_TTL.as_millis() as u64;
    tell(state, signal(session, case, Doing::Viewing { for_ms })).await;
    warning(&state.web.presence.others(case, session.web.agent_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_names_each_other_agent() {
        assert_eq!(warning(&[]), "");
        let others = [
            Other {
                name: "Bob".into(),
                typing: true,
            },
            Other {
                name: "Cy".into(),
                typing: false,
            },
        ];
        assert_eq!(
            warning(&others),
            "Bob is typing a reply. Cy is viewing this case."
        );
    }
}
