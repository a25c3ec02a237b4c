//! Email an agent starts from the web: "Write to a customer" opens a case
//! with the agent's email from a chosen inbox; the case page's "Forward"
//! box sends a message or the whole case to any address.

use super::case_page::{Draft, render_error};
use crate::compose::{self, Forward, Outreach};
use crate::http::AppState;
use crate::mail::outbound::Copies;
use crate::replies::MAX_BODY;
use crate::web::shared::csrf::{Posted, PostedWithFiles};
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout};
use crate::web::shared::session::Session;
use crate::web::shared::upload::uploads;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::case::{Channel, MAX_SUBJECT, Priority};
use tend_domain::email::{EmailAddress, parse_list, split_typed};
use tend_domain::event::Actor;
use tend_domain::ids::{CaseId, MessageId};
use tend_domain::text;
use tend_store::messages::NewMessage;

#[derive(Template)]
#[template(path = "new_email.html")]
struct NewEmailPage {
    layout: Layout,
    form: EmailForm,
    inboxes: Vec<Choice>,
    error: Option<String>,
}

/// The "Write to a customer" form, kept as posted to show it again.
#[derive(Deserialize, Default)]
pub struct EmailForm {
    #[serde(default)]
    inbox: String,
    #[serde(default)]
    to: String,
    /// A new customer's name.
    #[serde(default)]
    name: String,
    #[serde(default)]
    cc: String,
    #[serde(default)]
    bcc: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// `on` for Markdown from the toolbar, sent as HTML too.
    #[serde(default)]
    formatted: Option<String>,
}

/// The empty form.
pub async fn page(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    render(&s, &session, EmailForm::default(), StatusCode::OK, None).await
}

/// Opens the case and queues its email, or shows the form with what is
/// wrong.
pub async fn submit(
    State(s): State<AppState>,
    posted: PostedWithFiles<EmailForm>,
) -> Result<Response, WebError> {
    let PostedWithFiles {
        session,
        form,
        files,
    } = posted;
    session.require(Action::Work)?;
    let checked = check(&form, session.actor()).and_then(|mut out| {
        out.message.attachments = uploads(&s, files)?;
        Ok(out)
    });
    let out = match checked {
        Ok(out) => out,
        Err(e) => return failed(&s, &session, form, e).await,
    };
    match compose::open_case(&s.store, session.agent_id(), out, None).await {
        Ok(case) => Ok(Redirect::to(&format!("/cases/{}", case.id)).into_response()),
        Err(e) => failed(&s, &session, form, e.into()).await,
    }
}

async fn failed(
    s: &AppState,
    session: &Session,
    form: EmailForm,
    e: WebError,
) -> Result<Response, WebError> {
    match e {
        WebError::Invalid(ref message) | WebError::TooLarge(ref message) => {
            let message = message.clone();
            render(s, session, form, e.status(), Some(message)).await
        }
        other => Err(other),
    }
}

/// Checks every field before anything is written.
fn check(form: &EmailForm, author: Actor) -> Result<Outreach, WebError> {
    let inbox_id = form
        .inbox
        .parse()
        .map_err(|_| WebError::Invalid("inbox: choose the inbox to send from".into()))?;
    let list = |field, typed: &str| {
        parse_list(field, &split_typed(typed))
            .map(|l| l.iter().map(|a| a.as_str().to_owned()).collect())
            .map_err(WebError::field)
    };
    let body = text::required("body", &form.body, MAX_BODY).map_err(WebError::field)?;
    let mut message = NewMessage::text(author, Channel::Email, false, body);
    if form.formatted.as_deref() == Some("on") {
        let parts = crate::formatted::format(&message.body_text);
        message.body_text = parts.text;
        message.body_html = Some(parts.html);
    }
    Ok(Outreach {
        inbox_id,
        to: EmailAddress::parse("to", &form.to).map_err(WebError::field)?,
        name: Some(form.name.clone()),
        subject: text::required_clean("subject", &form.subject, MAX_SUBJECT)
            .map_err(WebError::field)?,
        message,
        copies: Copies {
            cc: list("cc", &form.cc)?,
            bcc: list("bcc", &form.bcc)?,
        },
        priority: Priority::Normal,
        team_id: None,
    })
}

async fn render(
    s: &AppState,
    session: &Session,
    form: EmailForm,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, WebError> {
    let all = s.store.inboxes().await?;
    let labels: Vec<(String, String)> = all
        .iter()
        .map(|i| (i.id.to_string(), format!("{} <{}>", i.name, i.address)))
        .collect();
    let inboxes = Choice::list(
        labels.iter().map(|(v, t)| (v.as_str(), t.as_str())),
        &form.inbox,
    );
    let page = NewEmailPage {
        layout: Layout::new(session, "new_email"),
        form,
        inboxes,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The case page's forward box.
#[derive(Deserialize)]
pub struct ForwardForm {
    #[serde(default)]
    to: String,
    /// A message id, or `case` for the whole conversation.
    #[serde(default)]
    message: String,
    #[serde(default)]
    note: String,
}

/// Forwards, then shows the case with the forward on it.
pub async fn forward(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<ForwardForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let checked = (|| -> Result<Forward, WebError> {
        let message = match form.message.as_str() {
            "" | "case" => None,
            raw => Some(MessageId(raw.parse().map_err(|_| {
                WebError::Invalid(format!("message: `{raw}` is not a message"))
            })?)),
        };
        Ok(Forward {
            to: parse_list("to", &split_typed(&form.to)).map_err(WebError::field)?,
            cc: Vec::new(),
            message,
            note: text::bounded("note", &form.note, MAX_BODY).map_err(WebError::field)?,
        })
    })();
    let done = match checked {
        Ok(fwd) => compose::forward(&s.store, session.agent_id(), id, fwd)
            .await
            .map(|_| ())
            .map_err(WebError::from),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}#latest")).into_response()),
        Err(e) => render_error(&s, &session, id, e, Draft::default()).await,
    }
}
