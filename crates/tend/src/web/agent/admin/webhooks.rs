//! Webhooks ([`crate::webhooks`]): the subscriptions with their state (on,
//! off, switched off by Tend after failing, and why), a form to add one
//! (its signing secret is shown once, on the page that follows), switching
//! one on or off, deleting it, and each webhook's delivery log with a
//! Redeliver button.

use super::{layout, respond, settle};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Layout, when};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tend_domain::agent::Action;
use tend_domain::webhook::{ALL_KINDS, EVENT_KINDS, WebhookDefinition};
use tend_store::webhooks::{Delivery, Webhook};

/// Where this page lives.
const HOME: &str = "/admin/webhooks";

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    section: &'static str,
    webhooks: Vec<Webhook>,
    kinds: &'static [&'static str],
    /// The new webhook's id and secret, shown once.
    created: Option<(i64, String)>,
    url: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_webhook.html")]
struct DeliveriesPage {
    layout: Layout,
    section: &'static str,
    webhook: Webhook,
    deliveries: Vec<(Delivery, String)>,
    error: Option<String>,
}

async fn render(
    s: &AppState,
    session: &Session,
    created: Option<(i64, String)>,
    url: String,
    error: Option<String>,
) -> Result<Response, WebError> {
    let page = WebhooksPage {
        layout: layout(session)?,
        section: "webhooks",
        webhooks: s.store.webhooks().await?,
        kinds: EVENT_KINDS,
        created,
        url,
        error,
    };
    respond(&page, &page.error)
}

/// Lists the webhooks, with the form to add one.
pub async fn list(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    render(&s, &session, None, String::new(), None).await
}

/// The add form's fields: `url`, `description`, and one `events` per box
/// ticked (`*` for all).
fn definition(form: &[(String, String)]) -> WebhookDefinition {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut events: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "events")
        .map(|(_, v)| v.clone())
        .collect();
    if events.iter().any(|e| e == ALL_KINDS) {
        events = vec![ALL_KINDS.to_owned()];
    }
    WebhookDefinition {
        url: field("url"),
        events,
        description: Some(field("description")),
        enabled: true,
    }
}

/// Adds a webhook and shows its secret, once.
pub async fn create(
    State(s): State<AppState>,
    Posted { session, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.require(Action::Administer)?;
    let wanted = definition(&form);
    let url = wanted.url.clone();
    let made = match wanted.check() {
        Ok(checked) => s
            .store
            .create_webhook(checked)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    match made {
        Ok((webhook, secret)) => {
            render(
                &s,
                &session,
                Some((webhook.id, secret)),
                String::new(),
                None,
            )
            .await
        }
        Err(e) => {
            settle(Err::<(), _>(e), HOME, |m| {
                render(&s, &session, None, url, Some(m))
            })
            .await
        }
    }
}

/// Switches a webhook on (clearing its failures) or off.
pub async fn enabled(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.require(Action::Administer)?;
    let on = form.iter().any(|(k, v)| k == "enabled" && v == "on");
    let hook = s.store.webhook(id).await?;
    let definition = WebhookDefinition {
        url: hook.url,
        events: hook.events,
        description: hook.description,
        enabled: on,
    };
    let changed = s
        .store
        .update_webhook(id, definition)
        .await
        .map_err(ApiError::from);
    settle(changed, HOME, |m| {
        render(&s, &session, None, String::new(), Some(m))
    })
    .await
}

/// Deletes a webhook and its delivery log.
pub async fn delete(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, .. }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.require(Action::Administer)?;
    let gone = s.store.delete_webhook(id).await.map_err(ApiError::from);
    settle(gone, HOME, |m| {
        render(&s, &session, None, String::new(), Some(m))
    })
    .await
}

async fn render_log(
    s: &AppState,
    session: &Session,
    id: i64,
    error: Option<String>,
) -> Result<Response, WebError> {
    let page = DeliveriesPage {
        layout: layout(session)?,
        section: "webhooks",
        webhook: s.store.webhook(id).await?,
        deliveries: s
            .store
            .deliveries(id, None)
            .await?
            .into_iter()
            .map(|d| {
                let at = when(&d.updated_at);
                (d, at)
            })
            .collect(),
        error,
    };
    respond(&page, &page.error)
}

/// A webhook's latest deliveries.
pub async fn log(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    session: Session,
) -> Result<Response, WebError> {
    render_log(&s, &session, id, None).await
}

/// Sends a delivery again.
pub async fn redeliver(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { session, .. }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.require(Action::Administer)?;
    let delivery = s.store.delivery(id).await?;
    let back = format!("{HOME}/{}", delivery.webhook_id);
    let again = s.store.redeliver(id).await.map_err(ApiError::from);
    settle(again, &back, |m| {
        render_log(&s, &session, delivery.webhook_id, Some(m))
    })
    .await
}
