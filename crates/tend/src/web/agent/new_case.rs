//! The "New case" page: an agent opens a case for a phone call, a walk-in
//! or an email taken outside Tend, for a known customer (found by email
//! address or phone number) or a new one. A customer who already has open
//! cases is shown them first: a call about one of them is logged there, as
//! a contact (and a channel switch), rather than opened as a second case.

use super::effort::duration_seconds;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout, label};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Map;
use tend_domain::agent::Action;
use tend_domain::case::{Channel, MAX_SUBJECT, Priority, Status};
use tend_domain::customer::{ContactKind, normalize_phone};
use tend_domain::email::EmailAddress;
use tend_domain::event::Actor;
use tend_domain::ids::{CustomerId, TeamId};
use tend_domain::{Invalid, text};
use tend_store::cases::{CaseFilter, CaseSort, NewCase};
use tend_store::contacts::{MAX_DURATION_SECONDS, MAX_SUMMARY};
use tend_store::customers::NewCustomer;
use tend_store::messages::NewMessage;
use tend_store::model::{Case, ContactPoint};

/// Longest customer name, in characters (as in the API).
const MAX_NAME: usize = 200;
/// Most open cases offered on the confirmation step.
const OPEN_CASES: i64 = 10;
/// The channels a case opened here can come from.
const CHANNELS: [Channel; 3] = [Channel::Phone, Channel::WalkIn, Channel::Email];
/// The statuses of a case still being worked.
const OPEN: [Status; 4] = [
    Status::New,
    Status::Open,
    Status::PendingCustomer,
    Status::OnHold,
];

#[derive(Template)]
#[template(path = "new_case.html")]
struct NewCasePage {
    layout: Layout,
    form: NewCaseForm,
    channels: Vec<Choice>,
    priorities: Vec<Choice>,
    teams: Vec<Choice>,
    error: Option<String>,
    /// Set on the confirmation step: the customer's open cases.
    open: Option<OpenCases>,
}

/// The customer's open cases, offered before a new one is opened.
struct OpenCases {
    customer: String,
    cases: Vec<Case>,
    /// Whether the contact can be logged on one of them (a call or a
    /// walk-in; an email records itself).
    loggable: bool,
}

/// The form as posted; every field is kept to show it again.
#[derive(Deserialize, Default)]
pub struct NewCaseForm {
    /// An existing customer's email address or phone number, or the new
    /// customer's.
    #[serde(default)]
    customer: String,
    /// The new customer's name (ignored for a known customer).
    #[serde(default)]
    name: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    channel: String,
    /// What the customer asked for, as the agent summarised it.
    #[serde(default)]
    summary: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    priority: String,
    /// A team id, or `none`.
    #[serde(default)]
    team: String,
    /// Set by "Open a new case anyway" on the confirmation step.
    #[serde(default)]
    anyway: String,
}

/// Who the case is for.
enum Who {
    Known(CustomerId),
    New { name: String, point: ContactPoint },
}

/// A checked form.
struct Checked {
    who: Who,
    subject: String,
    channel: Channel,
    summary: String,
    priority: Priority,
    team_id: Option<TeamId>,
}

/// The empty form; the channel defaults to a phone call.
pub async fn page(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let form = NewCaseForm {
        channel: Channel::Phone.as_str().into(),
        priority: Priority::Normal.as_str().into(),
        team: "none".into(),
        ..NewCaseForm::default()
    };
    render(&s, &session, form, StatusCode::OK, None, None).await
}

/// Opens the case, or first shows the customer's open cases.
pub async fn submit(
    State(s): State<AppState>,
    Posted { session, form }: Posted<NewCaseForm>,
) -> Result<Response, WebError> {
    session.require(Action::Work)?;
    let checked = match check(&s, &form).await {
        Ok(checked) => checked,
        Err(e @ WebError::Invalid(_)) => {
            let message = e.to_string();
            return render(&s, &session, form, e.status(), Some(message), None).await;
        }
        Err(e) => return Err(e),
    };
    if let Who::Known(customer) = checked.who
        && form.anyway.is_empty()
    {
        let cases = open_cases(&s, customer).await?;
        if !cases.is_empty() {
            let open = OpenCases {
                customer: s.store.customer(customer).await?.name,
                cases,
                loggable: checked.channel != Channel::Email,
            };
            return render(&s, &session, form, StatusCode::OK, None, Some(open)).await;
        }
    }
    let customer_id = match checked.who {
        Who::Known(id) => id,
        Who::New { name, point } => {
            let new = NewCustomer {
                name,
                organization_id: None,
                contact_points: vec![point],
            };
            s.store.create_customer(&new, None).await?.id
        }
    };
    let new = NewCase {
        subject: checked.subject,
        customer_id,
        channel: checked.channel,
        priority: checked.priority,
        tags: Vec::new(),
        team_id: checked.team_id,
        assignee_id: None,
        agreement_id: None,
        custom_fields: Map::new(),
        message: NewMessage::text(
            Actor::customer(customer_id),
            checked.channel,
            false,
            checked.summary,
        ),
        follows: None,
    };
    let case = s.store.create_case(new, session.actor(), None).await?;
    Ok(Redirect::to(&format!("/cases/{}", case.id)).into_response())
}

/// Checks every field before anything is written.
async fn check(s: &AppState, form: &NewCaseForm) -> Result<Checked, WebError> {
    let point = contact_point(&form.customer).map_err(WebError::field)?;
    let who = match s
        .store
        .customer_id_by_contact(point.kind, &point.value)
        .await?
    {
        Some(id) => Who::Known(id),
        None if form.name.trim().is_empty() => {
            return Err(WebError::Invalid(format!(
                "customer: nobody has the contact point {}; give a name to add a new customer",
                point.value
            )));
        }
        None => Who::New {
            name: text::required_clean("name", &form.name, MAX_NAME).map_err(WebError::field)?,
            point,
        },
    };
    let channel = Channel::parse("channel", &form.channel)
        .ok()
        .filter(|c| CHANNELS.contains(c))
        .ok_or_else(|| WebError::Invalid("channel: choose phone, walk-in or email".into()))?;
    let summary = text::required_clean("summary", &form.summary, MAX_SUMMARY);
    let minutes = duration_seconds(&form.minutes).and_then(|d| match d {
        Some(d) if d > MAX_DURATION_SECONDS => {
            Err(Invalid::new("minutes", "at most a day (1440 minutes)"))
        }
        d => Ok(d.map(|d| d / 60)),
    });
    Ok(Checked {
        who,
        subject: text::required_clean("subject", &form.subject, MAX_SUBJECT)
            .map_err(WebError::field)?,
        summary: with_duration(summary.map_err(WebError::field)?, channel, minutes?),
        channel,
        priority: Priority::parse("priority", &form.priority).map_err(WebError::field)?,
        team_id: team(s, &form.team).await?,
    })
}

/// The summary as the case's first message, with how long the call or
/// visit took when the agent gave it (an email has no duration).
fn with_duration(summary: String, channel: Channel, minutes: Option<u32>) -> String {
    match minutes {
        Some(m) if channel != Channel::Email => {
            format!("{summary}\n\n({}, {m} min)", label(channel.as_str()))
        }
        _ => summary,
    }
}

/// Reads an email address (anything with `@`) or a phone number.
fn contact_point(raw: &str) -> Result<ContactPoint, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Invalid::new(
            "customer",
            "give the customer's email address or phone number",
        ));
    }
    Ok(if raw.contains('@') {
        ContactPoint {
            kind: ContactKind::Email,
            value: EmailAddress::parse("customer", raw)?.as_str().to_owned(),
        }
    } else {
        ContactPoint {
            kind: ContactKind::Phone,
            value: normalize_phone("customer", raw)?,
        }
    })
}

/// The chosen team: `none`, or one that exists.
async fn team(s: &AppState, raw: &str) -> Result<Option<TeamId>, WebError> {
    let raw = raw.trim();
    if raw.is_empty() || raw == "none" {
        return Ok(None);
    }
    let teams = s.store.teams().await?;
    raw.parse::<i64>()
        .ok()
        .map(TeamId)
        .filter(|id| teams.iter().any(|t| t.id == *id))
        .map(Some)
        .ok_or_else(|| WebError::Invalid("team: choose one of the teams".into()))
}

/// The customer's cases still being worked, most recently changed first.
async fn open_cases(s: &AppState, customer: CustomerId) -> Result<Vec<Case>, WebError> {
    let filter = CaseFilter {
        customer_id: Some(customer),
        statuses: OPEN.to_vec(),
        ..CaseFilter::default()
    };
    Ok(s.store
        .cases(&filter, CaseSort::UpdatedDesc, None, OPEN_CASES)
        .await?
        .data)
}

/// Renders the form (with the confirmation step when `open` is set).
async fn render(
    s: &AppState,
    session: &Session,
    form: NewCaseForm,
    status: StatusCode,
    error: Option<String>,
    open: Option<OpenCases>,
) -> Result<Response, WebError> {
    let teams = s.store.teams().await?;
    let page = NewCasePage {
        layout: Layout::new(session, "new_case"),
        channels: Choice::list(
            CHANNELS.iter().map(|c| (c.as_str(), c.describe())),
            &form.channel,
        ),
        priorities: Choice::list(
            Priority::ALL.iter().map(|p| (p.as_str(), p.as_str())),
            &form.priority,
        ),
        teams: Choice::teams(&teams, &form.team),
        form,
        error,
        open,
    };
    Ok((status, Html(page.render()?)).into_response())
}
