//! The case page's **Side conversations** panel: the case's conversations
//! with third parties, each with its messages, apart from the customer's
//! timeline, and the case's tasks; with the forms that start a side
//! conversation and write in one.

use super::case_page::{Draft, render_error};
use crate::http::AppState;
use crate::replies::MAX_BODY;
use crate::side_conversations::{self as side, Start};
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::when;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::email::{parse_list, split_typed};
use tend_domain::ids::{CaseId, SideConversationId};
use tend_domain::text;
use tend_store::tasks::Task;

/// Longest message preview in the panel, in characters.
const PREVIEW: usize = 400;

/// One side conversation as the panel shows it.
pub struct SideView {
    pub id: i64,
    pub subject: String,
    pub participants: String,
    /// (who, when, text) per message, oldest first.
    pub messages: Vec<(String, String, String)>,
}

/// The panel's contents.
pub struct SidePanel {
    pub conversations: Vec<SideView>,
    pub tasks: Vec<Task>,
}

impl SidePanel {
    /// Case `case`'s side conversations and tasks.
    pub async fn load(s: &AppState, case: CaseId) -> Result<Self, WebError> {
        let mut conversations = Vec::new();
        for c in s.store.side_conversations(case).await? {
            let messages = s
                .store
                .side_messages(c.id)
                .await?
                .into_iter()
                .map(|m| {
                    let who = m.email.as_ref().map_or_else(
                        || "Tend".to_owned(),
                        |e| match m.author.kind {
                            tend_domain::event::ActorKind::Customer => e.from.clone(),
                            _ => format!("You → {}", e.to.join(", ")),
                        },
                    );
                    let text = text::preview(&m.body_text, PREVIEW);
                    (who, when(&m.created_at), text)
                })
                .collect();
            conversations.push(SideView {
                id: c.id.0,
                subject: c.subject,
                participants: c.participants.join(", "),
                messages,
            });
        }
        Ok(SidePanel {
            conversations,
            tasks: s.store.tasks(case).await?,
        })
    }
}

/// The form that starts a side conversation.
#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

/// Starts a side conversation, then shows the case at the panel.
pub async fn start(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<StartForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let id = CaseId(id);
    let checked = (|| -> Result<Start, WebError> {
        Ok(Start {
            to: parse_list("to", &split_typed(&form.to)).map_err(WebError::field)?,
            cc: Vec::new(),
            subject: side::subject(&form.subject).map_err(WebError::field)?,
            body: text::required("body", &form.body, MAX_BODY).map_err(WebError::field)?,
        })
    })();
    let done = match checked {
        Ok(start) => side::start(&s.store, session.agent_id(), id, start)
            .await
            .map(|_| ())
            .map_err(WebError::from),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}#side-conversations")).into_response()),
        Err(e) => render_error(&s, &session, id, e, Draft::default()).await,
    }
}

/// The form that writes in a side conversation.
#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
}

/// Writes in side conversation `id`, then shows its case at the panel.
pub async fn reply(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<ReplyForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let conversation = s.store.side_conversation(SideConversationId(id)).await?;
    let case = conversation.case_id;
    let done = match text::required("body", &form.body, MAX_BODY) {
        Ok(body) => side::reply(&s.store, session.agent_id(), conversation.id, body)
            .await
            .map(|_| ())
            .map_err(WebError::from),
        Err(e) => Err(WebError::field(e)),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{case}#side-conversations")).into_response()),
        Err(e) => render_error(&s, &session, case, e, Draft::default()).await,
    }
}
