//! The signed-in agent's notifications: the page behind the header's bell
//! (newest first, 25 a page, unread ones marked), opening one (marks it
//! read and goes to its case), marking one or all read, the unread count
//! and newest few as JSON for the bell (`assets/notifications.js`), the
//! @mention suggestions for the note box (`assets/mentions.js`), and the
//! choice of notifications by email on the account page. An agent only
//! ever sees their own notifications: another's is not found.

use super::customer_lists::Pager;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Layout, ago, when};
use crate::web::shared::session::Session;
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tend_domain::agent::Action;
use tend_domain::notification::{EmailNotifications, handle};
use tend_store::cursor::Cursor;
use tend_store::notifications::{Notification, Unread};

/// Notifications per page.
const PAGE: i64 = 25;
/// Unread notifications the bell gets with its count (for desktop
/// notifications).
pub const NEWEST: i64 = 3;
/// Most agents one @mention suggestion lists.
const MAX_SUGGESTED: usize = 8;
/// Longest prefix a suggestion is asked for with, in characters.
const MAX_PREFIX: usize = 64;

/// A notification as the page shows it.
struct Row {
    id: i64,
    text: String,
    unread: bool,
    created_at: String,
    created: String,
    created_ago: String,
}

impl Row {
    fn new(n: &Notification, now: jiff::Timestamp) -> Self {
        Row {
            id: n.id,
            text: n.text.clone(),
            unread: n.read_at.is_none(),
            created_at: n.created_at.to_string(),
            created: when(&n.created_at),
            created_ago: ago(&n.created_at, now),
        }
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    rows: Vec<Row>,
    pager: Pager,
    /// Whether any shown notification is unread.
    any_unread: bool,
}

/// The page's position.
#[derive(Deserialize)]
pub struct PageParams {
    cursor: Option<String>,
    at: Option<u32>,
}

/// `GET /notifications`: the agent's notifications, newest first.
pub async fn page(
    State(s): State<AppState>,
    session: Session,
    Query(params): Query<PageParams>,
) -> Result<Html<String>, WebError> {
    session.require(Action::Read)?;
    let cursor = params
        .cursor
        .as_deref()
        .map(Cursor::decode)
        .transpose()
        .map_err(WebError::field)?;
    let found = s
        .store
        .notifications(session.agent_id(), false, cursor, PAGE)
        .await?;
    let now = s.store.clock().now();
    let rows: Vec<Row> = found.data.iter().map(|n| Row::new(n, now)).collect();
    let pager = Pager::build(
        "/notifications",
        &[],
        params.cursor.is_some(),
        params.at,
        rows.len(),
        found.next_cursor,
    );
    let page = NotificationsPage {
        layout: Layout::new(&session, "notifications"),
        any_unread: rows.iter().any(|r| r.unread),
        rows,
        pager,
    };
    Ok(Html(page.render()?))
}

/// `GET /notifications/{id}`: marks the notification read and opens its
/// case. (A GET that changes state, on purpose: it is the link in the
/// list and in emails, and it only marks the agent's own notification.)
pub async fn open(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let n = s
        .store
        .mark_notification_read(session.agent_id(), id)
        .await?;
    Ok(Redirect::to(&format!("/cases/{}", n.case_id)).into_response())
}

/// `POST /notifications/{id}/read`: marks one notification read.
pub async fn mark_read(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<serde::de::IgnoredAny>,
) -> Result<Response, WebError> {
    let session = posted.session;
    session.require(Action::Read)?;
    s.store
        .mark_notification_read(session.agent_id(), id)
        .await?;
    Ok(Redirect::to("/notifications").into_response())
}

/// `POST /notifications/read`: marks every notification read.
pub async fn mark_all_read(
    State(s): State<AppState>,
    posted: Posted<serde::de::IgnoredAny>,
) -> Result<Response, WebError> {
    let session = posted.session;
    session.require(Action::Read)?;
    s.store
        .mark_all_notifications_read(session.agent_id())
        .await?;
    Ok(Redirect::to("/notifications").into_response())
}

/// `GET /notifications/unread`: the unread count and the newest few, for
/// the bell while the tab is in the background (in front, the view counts
/// carry the same).
pub async fn unread(State(s): State<AppState>, session: Session) -> Result<Json<Unread>, WebError> {
    session.require(Action::Read)?;
    Ok(Json(
        s.store
            .unread_notifications(session.agent_id(), NEWEST)
            .await?,
    ))
}

/// An agent the note box may @mention.
#[derive(Serialize)]
pub struct Suggestion {
    /// What follows the `@`.
    handle: String,
    name: String,
}

/// What the agent has typed after the `@`.
#[derive(Deserialize)]
pub struct MentionParams {
    #[serde(default)]
    q: String,
}

/// `GET /agents/mentions?q=`: active agents whose handle, name or a word
/// of their name starts with `q` (ignoring case), by name, at most
/// [`MAX_SUGGESTED`].
pub async fn mentions(
    State(s): State<AppState>,
    session: Session,
    Query(params): Query<MentionParams>,
) -> Result<Json<Vec<Suggestion>>, WebError> {
    session.require(Action::Read)?;
    let prefix: String = params
        .q
        .trim()
        .chars()
        .take(MAX_PREFIX)
        .collect::<String>()
        .to_lowercase();
    let mut agents = s.store.agents().await?;
    agents.retain(|a| a.active);
    agents.sort_by_key(|a| a.name.to_lowercase());
    let found = agents
        .into_iter()
        .map(|a| Suggestion {
            handle: handle(&a.email),
            name: a.name,
        })
        .filter(|a| {
            let name = a.name.to_lowercase();
            a.handle.starts_with(&prefix)
                || name.starts_with(&prefix)
                || name.split_whitespace().any(|w| w.starts_with(&prefix))
        })
        .take(MAX_SUGGESTED)
        .collect();
    Ok(Json(found))
}

/// The account page's notifications-by-email form.
#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

/// `POST /account/notifications`: how the agent gets notifications by
/// email.
pub async fn set_email(
    State(s): State<AppState>,
    posted: Posted<EmailForm>,
) -> Result<Response, WebError> {
    let (session, form) = (posted.session, posted.form);
    let preference = EmailNotifications::parse("email", &form.email).map_err(WebError::field)?;
    s.store
        .set_notification_email(session.agent_id(), preference)
        .await?;
    Ok(Redirect::to("/account?done=notifications").into_response())
}
