//! Canned replies: the list, creating, editing and deleting them.

use super::{Confirm, layout, respond, settle};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Layout;
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::canned;
use tend_store::canned::{CannedChange, CannedReply};

/// Where these pages live.
const HOME: &str = "/admin/canned";

/// A canned reply's form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CannedForm {
    title: String,
    body: String,
}

impl CannedForm {
    fn checked(&self) -> Result<(String, String), ApiError> {
        Ok((canned::title(&self.title)?, canned::body(&self.body)?))
    }
}

#[derive(Template)]
#[template(path = "admin_canned.html")]
struct CannedListPage {
    layout: Layout,
    section: &'static str,
    replies: Vec<CannedReply>,
    form: CannedForm,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_canned_edit.html")]
struct CannedEditPage {
    layout: Layout,
    section: &'static str,
    id: i64,
    form: CannedForm,
    error: Option<String>,
}

async fn render_list(
    s: &AppState,
    session: &Session,
    form: CannedForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let page = CannedListPage {
        layout: layout(session)?,
        section: "canned",
        replies: s.store.canned_replies().await?,
        form,
        error,
    };
    respond(&page, &page.error)
}

async fn render_one(
    session: &Session,
    id: i64,
    form: CannedForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let page = CannedEditPage {
        layout: layout(session)?,
        section: "canned",
        id,
        form,
        error,
    };
    respond(&page, &page.error)
}

/// Lists canned replies with the new-reply form.
pub async fn list(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    render_list(&s, &session, CannedForm::default(), None).await
}

/// Creates a canned reply.
pub async fn create(
    State(s): State<AppState>,
    posted: Posted<CannedForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let created = async {
        let (title, body) = form.checked()?;
        Ok::<_, ApiError>(s.store.create_canned_reply(&title, &body).await?)
    }
    .await;
    settle(created, HOME, |m| render_list(&s, &session, form, Some(m))).await
}

/// The form of one canned reply.
pub async fn edit(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    session.require(Action::Administer)?;
    let reply = s.store.canned_reply(id).await?;
    let form = CannedForm {
        title: reply.title,
        body: reply.body,
    };
    render_one(&session, id, form, None).await
}

/// Saves a canned reply.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<CannedForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let updated = async {
        let (title, body) = form.checked()?;
        let change = CannedChange {
            title: Some(title),
            body: Some(body),
        };
        Ok::<_, ApiError>(s.store.update_canned_reply(id, &change).await?)
    }
    .await;
    settle(updated, HOME, |m| render_one(&session, id, form, Some(m))).await
}

/// Deletes a canned reply.
pub async fn delete(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Result<Response, WebError> {
    posted.session.require(Action::Administer)?;
    s.store.delete_canned_reply(id).await?;
    Ok(Redirect::to(HOME).into_response())
}
