//! The case page's effort panel: what the case has cost the customer and
//! why, their effort over the last 90 days, and the forms that record what
//! happened outside Tend (a call, a visit, work asked of the customer,
//! information they had to repeat, a promise and its outcome, a channel
//! switch: all the "record" forms, in one place) and link or unlink a
//! repeat contact.

use super::case_page::{Draft, render_error};
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::when;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::SignedDuration;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::case::Channel;
use tend_domain::effort::{ActionKind, Direction, EffortLine};
use tend_domain::event::EventData;
use tend_domain::ids::CaseId;
use tend_domain::promise::{PromiseKeeper, PromiseRecord};
use tend_domain::{Invalid, text};
use tend_store::contacts::LoggedContact;
use tend_store::model::Case;

/// Days of the customer's history the panel sums.
const HISTORY_DAYS: i64 = 90;
/// Longest text typed into the panel's forms, in characters.
const MAX_TEXT: usize = 1000;

/// What the effort panel shows.
pub struct EffortPanel {
    pub index: u32,
    pub level: &'static str,
    pub lines: Vec<EffortLine>,
    pub contacts: u32,
    pub first_contact_resolution: bool,
    pub repeat_of: Option<CaseId>,
    /// The customer's cases opened in the last 90 days, and their effort.
    pub history_cases: i64,
    pub history_average: Option<u32>,
    pub history_high: i64,
    /// The kinds of work that can be asked of a customer, as (value, label).
    pub action_kinds: Vec<(&'static str, &'static str)>,
    /// Promises made and not yet kept or broken.
    pub open_promises: Vec<OpenPromise>,
    /// Every channel, as (value, label), for the channel-switch form.
    pub channels: Vec<(&'static str, &'static str)>,
    /// The channel the customer last used (the switch form's "from").
    pub last_channel: &'static str,
}

/// An open promise as the panel lists it.
pub struct OpenPromise {
    pub promise: String,
    /// When due ("between … and …" for a window), in the agent's zone.
    pub due: String,
    pub visible_to_customer: bool,
    /// What keeps it, in words ("a reply"), none for manual.
    pub kept_by: Option<&'static str>,
}

impl From<&PromiseRecord> for OpenPromise {
    fn from(p: &PromiseRecord) -> Self {
        OpenPromise {
            promise: p.promise.clone(),
            due: match p.from {
                Some(from) => format!("between {} and {}", when(&from), when(&p.due_at)),
                None => format!("due {}", when(&p.due_at)),
            },
            visible_to_customer: p.visible_to_customer,
            kept_by: match p.kept_by {
                PromiseKeeper::Reply => Some("a reply"),
                PromiseKeeper::Resolved => Some("resolving the case"),
                PromiseKeeper::Manual => None,
            },
        }
    }
}

impl EffortPanel {
    /// The panel for `case`.
    pub async fn load(s: &AppState, case: &Case) -> Result<Self, WebError> {
        let effort = s.store.effort_weights().score(&case.effort);
        let since = tend_store::now() - SignedDuration::from_hours(HISTORY_DAYS * 24);
        let history = s.store.customer_effort(case.customer_id, since).await?;
        Ok(EffortPanel {
            index: effort.index,
            level: effort.level.as_str(),
            lines: effort.lines,
            contacts: case.effort.contacts,
            first_contact_resolution: case.effort.first_contact_resolution(),
            repeat_of: case.repeat_of_id,
            history_cases: history.cases,
            history_average: history.average_index.map(|a| a.round() as u32),
            history_high: history.high_effort_cases,
            action_kinds: ActionKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.describe()))
                .collect(),
            open_promises: s
                .store
                .promises(case.id)
                .await?
                .iter()
                .filter(|p| p.is_open())
                .map(OpenPromise::from)
                .collect(),
            channels: Channel::ALL
                .iter()
                .map(|c| (c.as_str(), c.describe()))
                .collect(),
            last_channel: case.effort.last_channel.unwrap_or(case.channel).as_str(),
        })
    }
}

/// The "Log a call or visit" form.
#[derive(Deserialize)]
pub struct ContactForm {
    channel: String,
    direction: String,
    #[serde(default)]
    minutes: String,
    summary: String,
}

impl ContactForm {
    fn check(&self) -> Result<LoggedContact, Invalid> {
        LoggedContact::checked(
            Channel::parse("channel", &self.channel)?,
            Direction::parse("direction", &self.direction)?,
            duration_seconds(&self.minutes)?,
            &self.summary,
        )
    }
}

/// A form's optional "Minutes" field as seconds; blank is none.
pub fn duration_seconds(minutes: &str) -> Result<Option<u32>, Invalid> {
    match minutes.trim() {
        "" => Ok(None),
        m => m
            .parse::<u32>()
            .ok()
            .and_then(|m| m.checked_mul(60))
            .map(Some)
            .ok_or_else(|| Invalid::new("minutes", "give whole minutes")),
    }
}

/// Logs a call or visit.
pub async fn log_contact(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<ContactForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    match form.check().map_err(WebError::field) {
        Ok(contact) => {
            s.store.log_contact(id, contact, session.actor()).await?;
            Ok(back(id))
        }
        Err(e) => render_error(&s, &session, id, e, Draft::default()).await,
    }
}

/// The "Asked the customer to…" form.
#[derive(Deserialize)]
pub struct AskForm {
    kind: String,
    action: String,
}

/// The "Customer had to repeat information" form.
#[derive(Deserialize)]
pub struct RepeatedForm {
    what: String,
}

/// Records work asked of the customer.
pub async fn ask(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<AskForm>,
) -> Result<Response, WebError> {
    let event = ActionKind::parse("kind", &form.kind).and_then(|kind| {
        Ok(EventData::CustomerActionRequested {
            action: text::required_clean("action", &form.action, MAX_TEXT)?,
            kind,
        })
    });
    record(s, session, CaseId(id), event).await
}

/// Records that the customer had to repeat information.
pub async fn repeated(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<RepeatedForm>,
) -> Result<Response, WebError> {
    let event = text::required_clean("what", &form.what, MAX_TEXT)
        .map(|what| EventData::InformationRepeated { what });
    record(s, session, CaseId(id), event).await
}

/// Records `event` (when the form gave one) and goes back to the case.
pub(super) async fn record(
    s: AppState,
    session: crate::web::shared::session::Session,
    id: CaseId,
    event: Result<EventData, Invalid>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    match event.map_err(WebError::field) {
        Ok(data) => {
            s.store
                .record_event(id, data, session.actor(), None)
                .await?;
            Ok(back(id))
        }
        Err(e) => render_error(&s, &session, id, e, Draft::default()).await,
    }
}

/// The "Repeat of #…" form; an empty case number unlinks.
#[derive(Deserialize)]
pub struct RepeatForm {
    #[serde(default)]
    of: String,
}

/// Links the case as a repeat of an earlier one, or unlinks it.
pub async fn link_repeat(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<RepeatForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let raw = form.of.trim().trim_start_matches('#');
    let of = if raw.is_empty() {
        Ok(None)
    } else {
        raw.parse::<i64>()
            .map(|n| Some(CaseId(n)))
            .map_err(|_| WebError::Invalid(format!("`{}` is not a case number", form.of.trim())))
    };
    let linked = match of {
        Ok(of) => s
            .store
            .link_repeat(id, of, session.actor())
            .await
            .map_err(WebError::from),
        Err(e) => Err(e),
    };
    match linked {
        Ok(_) => Ok(back(id)),
        Err(e) => render_error(&s, &session, id, e, Draft::default()).await,
    }
}

fn back(id: CaseId) -> Response {
    Redirect::to(&format!("/cases/{id}")).into_response()
}
