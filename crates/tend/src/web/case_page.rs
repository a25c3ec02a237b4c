//! The case page: timeline, reply and note composers, status, priority and
//! assignee, and the customer sidebar. Replies and notes go through the same
//! store call as the API, so an emailed case's reply is queued as email.

use super::canned_picker::{self, CannedPicker, Chosen};
use super::csrf::Posted;
use super::error::WebError;
use super::layout::{Choice, Layout};
use super::live;
use super::session::Session;
use super::timeline::{self, Entry, Names};
use super::views::Row;
use super::views::agent_names;
use crate::replies::{MAX_BODY, outbound_for};
use crate::server::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::case::{CaseChange, Priority, Status};
use tend_domain::ids::{AgentId, AttachmentId, CaseId};
use tend_domain::text;
use tend_store::cases::{CaseFilter, CaseSort};
use tend_store::messages::NewMessage;
use tend_store::model::{Case, Customer, Organization};

/// Most messages and events shown (older ones are summarised).
const TIMELINE_LIMIT: i64 = 100;
/// Other cases of the customer listed in the sidebar.
const OTHER_CASES: i64 = 6;

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    layout: Layout,
    id: i64,
    case: Case,
    customer: Customer,
    organization: Option<Organization>,
    other_cases: Vec<Row>,
    timeline: Vec<Entry>,
    /// Whether older messages or events were left out.
    truncated: bool,
    statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    assignees: Vec<Choice>,
    assigned_to_me: bool,
    error: Option<String>,
    /// Who else is on the case (the collision warning), if anyone.
    warning: String,
    /// The case's version, for live updates.
    version: i64,
    /// What the agent had typed when the post failed.
    draft: String,
    canned: CannedPicker,
}

/// Shows a case.
pub async fn page(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(chosen): Query<Chosen>,
) -> Result<Response, WebError> {
    let draft = canned_picker::prefill(&s, &session, CaseId(id), &chosen).await?;
    render(&s, &session, CaseId(id), StatusCode::OK, None, draft).await
}

async fn render(
    s: &AppState,
    session: &Session,
    id: CaseId,
    status: StatusCode,
    error: Option<String>,
    draft: String,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let case = s.store.case(id).await?;
    let customer = s.store.customer(case.customer_id).await?;
    let organization = match customer.organization_id {
        Some(org) => Some(s.store.organization(org).await?),
        None => None,
    };
    let names = agent_names(s).await?;
    let filter = CaseFilter {
        customer_id: Some(customer.id),
        ..CaseFilter::default()
    };
    let other_cases = s
        .store
        .cases(&filter, CaseSort::UpdatedDesc, None, OTHER_CASES + 1)
        .await?
        .data
        .into_iter()
        .filter(|c| c.id != case.id)
        .take(OTHER_CASES as usize)
        .map(|c| Row::new(c, &names))
        .collect();
    let messages = s.store.messages(id, None, TIMELINE_LIMIT).await?;
    let events = s.store.events(id, None, TIMELINE_LIMIT).await?;
    let truncated = messages.next_cursor.is_some() || events.next_cursor.is_some();
    let timeline = timeline::build(
        messages.data,
        events.data,
        &Names {
            agents: &names,
            customer: &customer.name,
        },
    );
    let agents = s.store.agents().await?;
    let assignee = case.assignee_id.map(|a| a.0.to_string());
    let assignee = assignee.as_deref().unwrap_or("none");
    let mut assignees = vec![Choice {
        value: "none".into(),
        text: "Unassigned".into(),
        selected: assignee == "none",
    }];
    assignees.extend(Choice::assignable(&agents, assignee));
    let canned = CannedPicker::load(s, session, &case, &customer).await?;
    let page = CasePage {
        layout: Layout::new(session, ""),
        warning: live::viewed(s, session, case.id),
        version: live::version(&case),
        id: case.id.0,
        statuses: Choice::statuses(case.status.as_str()),
        priorities: Choice::list(
            Priority::ALL.iter().map(|p| (p.as_str(), p.as_str())),
            case.priority.as_str(),
        ),
        assignees,
        assigned_to_me: case.assignee_id == Some(session.agent_id()),
        case,
        customer,
        organization,
        other_cases,
        timeline,
        truncated,
        error,
        draft,
        canned,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The reply and note composers' field.
#[derive(Deserialize)]
pub struct MessageForm {
    body: String,
}

/// Replies to the customer (queued as email on an email case).
pub async fn reply(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<MessageForm>,
) -> Result<Response, WebError> {
    post_message(&s, CaseId(id), posted, false).await
}

/// Adds an internal note.
pub async fn note(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<MessageForm>,
) -> Result<Response, WebError> {
    post_message(&s, CaseId(id), posted, true).await
}

async fn post_message(
    s: &AppState,
    id: CaseId,
    posted: Posted<MessageForm>,
    internal: bool,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let case = s.store.case(id).await?;
    let field = if internal { "note" } else { "reply" };
    let body = match text::required(field, &form.body, MAX_BODY) {
        Ok(body) => body,
        Err(e) => {
            let message = format!("The {field} {}.", e.message);
            return render(
                s,
                &session,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(message),
                form.body,
            )
            .await;
        }
    };
    let mut msg = NewMessage::text(session.actor(), case.channel, internal, body);
    let outbound = outbound_for(&s.store, case.id, &mut msg).await?;
    s.store.add_message(case.id, msg, outbound, None).await?;
    Ok(Redirect::to(&format!("/cases/{id}#latest")).into_response())
}

/// The properties form: any of status, priority and assignee (`none`,
/// `me` or an agent id).
#[derive(Deserialize)]
pub struct UpdateForm {
    status: Option<String>,
    priority: Option<String>,
    assignee: Option<String>,
}

/// Changes status, priority or assignee.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<UpdateForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let assignee = form
        .assignee
        .as_deref()
        .map(|raw| new_assignee(raw, session.agent_id()))
        .transpose()?;
    let change = CaseChange {
        status: nonempty(&form.status)
            .map(|v| Status::parse("status", &v))
            .transpose()?,
        priority: nonempty(&form.priority)
            .map(|v| Priority::parse("priority", &v))
            .transpose()?,
        assignee,
        ..CaseChange::default()
    };
    let id = CaseId(id);
    if let Err(e) = s.store.update_case(id, &change, session.actor()).await {
        let e = WebError::from(e);
        return match e {
            WebError::Invalid(message) => {
                render(
                    &s,
                    &session,
                    id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(message),
                    String::new(),
                )
                .await
            }
            other => Err(other),
        };
    }
    Ok(Redirect::to(&format!("/cases/{id}")).into_response())
}

/// Parses an assignee choice: `none` (or blank) for nobody, `me`, or an
/// agent id.
pub fn new_assignee(raw: &str, me: AgentId) -> Result<Option<AgentId>, Invalid> {
    match raw {
        "" | "none" => Ok(None),
        "me" => Ok(Some(me)),
        id => id
            .parse()
            .map(|id| Some(AgentId(id)))
            .map_err(|_| Invalid::new("assignee", format!("`{id}` is not an agent"))),
    }
}

/// Downloads an attachment (never rendered inline).
pub async fn attachment(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let (meta, _case, _internal) = s.store.attachment(AttachmentId(id)).await?;
    let data = s.store.blob(&meta.sha256).await?;
    Ok(crate::api::download(
        data,
        &meta.content_type,
        &meta.filename,
    ))
}
