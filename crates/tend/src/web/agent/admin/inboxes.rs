//! Inboxes: the list, creating an inbox and editing its settings. The
//! address is fixed once created; IMAP polling is set up through the API or
//! `tend inbox create`, and the page says so. The page shows the mailbox's
//! OAuth connection (see [`super::inbox_oauth`]).

use super::{layout, respond, settle};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::mail::inbox::{InboxRequest, SurveyRequest};
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::email::ClosedReply;
use tend_store::email::{Inbox, InboxSettings};
use tend_store::signatures::SignatureOf;
use tend_store::surveys::SurveySettings;

/// Where these pages live.
const HOME: &str = "/admin/inboxes";

/// What a reply to a closed case may do, as offered.
const CLOSED_REPLIES: &[(&str, &str)] = &[
    ("reopen", "Reopen the case"),
    ("follow_up", "Open a follow-up case"),
];

/// An inbox's form, as typed (the address only when creating).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InboxForm {
    address: String,
    name: String,
    closed_reply: String,
    /// Present when the box is ticked.
    auto_acknowledge: Option<String>,
    first_reply_hours: String,
    /// Present when surveys are ticked on.
    survey_enabled: Option<String>,
    /// Present when the CSAT question is ticked on.
    survey_csat: Option<String>,
    survey_delay_minutes: String,
    survey_every_days: String,
}

impl InboxForm {
    /// The form of an existing inbox.
    fn of(inbox: &Inbox) -> Self {
        InboxForm {
            address: inbox.address.clone(),
            name: inbox.name.clone(),
            closed_reply: inbox.closed_reply.as_str().to_owned(),
            auto_acknowledge: inbox.auto_acknowledge.then(|| "on".to_owned()),
            first_reply_hours: inbox
                .first_reply_hours
                .map(|h| h.to_string())
                .unwrap_or_default(),
            survey_enabled: inbox.survey.enabled.then(|| "on".to_owned()),
            survey_csat: inbox.survey.csat.then(|| "on".to_owned()),
            survey_delay_minutes: inbox.survey.delay_minutes.to_string(),
            survey_every_days: inbox.survey.every_days.to_string(),
        }
    }

    /// A blank form with the defaults a new inbox gets.
    fn new_inbox() -> Self {
        let survey = SurveySettings::default();
        InboxForm {
            auto_acknowledge: Some("on".into()),
            survey_delay_minutes: survey.delay_minutes.to_string(),
            survey_every_days: survey.every_days.to_string(),
            ..InboxForm::default()
        }
    }

    /// The same request the API and CLI accept, so all three check alike.
    fn request(&self) -> Result<InboxRequest, Invalid> {
        let hours = self.first_reply_hours.trim();
        Ok(InboxRequest {
            address: self.address.trim().to_owned(),
            // A blank name falls back to the address, as in the API.
            name: Some(self.name.clone()).filter(|n| !n.trim().is_empty()),
            closed_reply: Some(ClosedReply::parse("closed_reply", &self.closed_reply)?),
            imap: None,
            auto_acknowledge: Some(self.auto_acknowledge.is_some()),
            first_reply_hours: if hours.is_empty() {
                None
            } else {
                Some(hours.parse().map_err(|_| {
                    Invalid::new("first_reply_hours", "must be a whole number of hours")
                })?)
            },
            survey: Some(SurveyRequest {
                enabled: Some(self.survey_enabled.is_some()),
                csat: Some(self.survey_csat.is_some()),
                delay_minutes: number("survey.delay_minutes", &self.survey_delay_minutes)?,
                every_days: number("survey.every_days", &self.survey_every_days)?,
            }),
        })
    }

    fn closed_replies(&self) -> Vec<Choice> {
        let current = if self.closed_reply.is_empty() {
            ClosedReply::Reopen.as_str()
        } else {
            &self.closed_reply
        };
        Choice::list(CLOSED_REPLIES.iter().copied(), current)
    }
}

/// A whole number typed into `field`, blank for the default.
fn number(field: &str, raw: &str) -> Result<Option<i64>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| Invalid::new(field, "must be a whole number"))
}

#[derive(Template)]
#[template(path = "admin_inboxes.html")]
struct InboxesPage {
    layout: Layout,
    section: &'static str,
    inboxes: Vec<Inbox>,
    closed_replies: Vec<Choice>,
    form: InboxForm,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_inbox.html")]
struct InboxPage {
    layout: Layout,
    section: &'static str,
    inbox: Inbox,
    /// Where the provider must send admins back (to register with it).
    redirect_uri: String,
    closed_replies: Vec<Choice>,
    form: InboxForm,
    error: Option<String>,
    /// The inbox's email signature, and where its form posts.
    signature: String,
    signature_action: String,
}

async fn render_list(
    s: &AppState,
    session: &Session,
    form: InboxForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let page = InboxesPage {
        layout: layout(session)?,
        section: "inboxes",
        inboxes: s.store.inboxes().await?,
        closed_replies: form.closed_replies(),
        form,
        error,
    };
    respond(&page, &page.error)
}

pub(super) async fn render_one(
    s: &AppState,
    session: &Session,
    id: i64,
    form: Option<InboxForm>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let layout = layout(session)?;
    let inbox = s.store.inbox(id).await?;
    let form = form.unwrap_or_else(|| InboxForm::of(&inbox));
    let signature = s.store.signature(SignatureOf::Inbox(id)).await?;
    let page = InboxPage {
        layout,
        section: "inboxes",
        signature,
        signature_action: format!("/admin/inboxes/{id}/signature"),
        redirect_uri: crate::mail::oauth::redirect_uri(&s.web.public_url),
        inbox,
        closed_replies: form.closed_replies(),
        form,
        error,
    };
    respond(&page, &page.error)
}

/// Lists inboxes with the new-inbox form.
pub async fn list(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    render_list(&s, &session, InboxForm::new_inbox(), None).await
}

/// Creates an inbox (without IMAP polling).
pub async fn create(
    State(s): State<AppState>,
    posted: Posted<InboxForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let created = async {
        let new = form.request()?.parse()?;
        let inbox = s.store.create_inbox(&new).await?;
        s.mailboxes.changed();
        Ok::<_, ApiError>(inbox)
    }
    .await;
    settle(created, HOME, |m| render_list(&s, &session, form, Some(m))).await
}

/// The settings form of one inbox.
pub async fn edit(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    render_one(&s, &session, id, None, None).await
}

/// Saves an inbox's settings.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<InboxForm>,
) -> Result<Response, WebError> {
    let Posted { session, mut form } = posted;
    session.require(Action::Administer)?;
    let inbox = s.store.inbox(id).await?;
    form.address = inbox.address;
    let updated = async {
        let checked = form.request()?.parse()?;
        let settings = InboxSettings {
            name: checked.name,
            closed_reply: checked.closed_reply,
            auto_acknowledge: checked.auto_acknowledge,
            first_reply_hours: checked.first_reply_hours,
            survey: checked.survey,
        };
        Ok::<_, ApiError>(s.store.update_inbox(id, &settings).await?)
    }
    .await;
    settle(updated, HOME, |m| {
        render_one(&s, &session, id, Some(form), Some(m))
    })
    .await
}
