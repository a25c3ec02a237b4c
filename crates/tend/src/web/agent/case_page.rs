//! The case page: timeline, reply and note composers (with attachments),
//! status, priority, assignee, team and tags, and the customer sidebar.
//! Replies and notes go through the same store call as the API, so an
//! emailed case's reply is queued as email with its attachments.

use super::canned_picker::{self, CannedPicker, Chosen};
use super::live;
use super::reply_email;
use super::views::Row;
use crate::http::AppState;
use crate::replies::{CopyRequest, MAX_BODY, outbound_for};
use crate::web::shared::csrf::{Posted, PostedWithFiles};
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout, when};
use crate::web::shared::session::Session;
use crate::web::shared::timeline::{self, Entry, Names, Older};
use crate::web::shared::upload::uploads;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::case::{CaseChange, Priority, Status, parse_tags};
use tend_domain::effort::EffortTally;
use tend_domain::ids::{AgentId, AttachmentId, CaseId, TeamId};
use tend_domain::promise::NewPromise;
use tend_domain::text;
use tend_domain::waiting::waited;
use tend_store::cases::{CaseFilter, CaseSort};
use tend_store::messages::NewMessage;
use tend_store::model::{Agent, Agreement, Case, Customer, Organization, Team};

/// Most timeline entries (messages and events) on one page.
const TIMELINE_LIMIT: i64 = 100;
/// Other cases of the customer listed in the sidebar.
const OTHER_CASES: i64 = 6;

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    layout: Layout,
    /// Whether the agent reads a case newest first (the composers then
    /// come before the timeline, and "Show older" after it).
    newest_first: bool,
    id: i64,
    /// The case at a glance ("3rd contact · 2 handoffs · waiting 1 d 2 h").
    summary: Vec<String>,
    case: Case,
    customer: Customer,
    organization: Option<Organization>,
    other_cases: Vec<Row>,
    /// How many cases other members of the customer's organisation have
    /// (counted up to the list cap; more means "more than").
    organization_cases: i64,
    agreements: Vec<Agreement>,
    /// How long the customer has been waiting for a reply, if they are.
    waiting: Option<String>,
    timeline: Vec<Entry>,
    /// The query string of the page of older entries, if there are any.
    older: Option<String>,
    /// Whether this page shows the newest entries.
    newest: bool,
    statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    assignees: Vec<Choice>,
    teams: Vec<Choice>,
    assigned_to_me: bool,
    error: Option<String>,
    /// Who else is on the case (the collision warning), if anyone.
    warning: String,
    /// The case's version, for live updates.
    version: i64,
    draft: Draft,
    canned: CannedPicker,
    identity: super::identity::IdentityBox,
    effort: super::effort::EffortPanel,
    /// The SLA that applies, if any.
    sla: Option<super::sla_panel::SlaPanel>,
    surveys: super::survey_box::SurveyBox,
    /// Cases linked as related, in the order linked.
    related: Vec<Row>,
    /// Side conversations with third parties, and the tasks.
    side: super::side_panel::SidePanel,
    /// The case's visits, with the forms to offer, book and cancel them.
    visits: super::visits_panel::VisitsPanel,
    /// Whether the signed-in agent follows the case.
    following: bool,
    /// Until when the case is snoozed, if it is.
    snoozed_until: Option<String>,
    /// Where a reply goes by email, on a case with an email conversation.
    addressing: Option<super::reply_email::Addressing>,
    /// Whether messages can be ticked to split them off (an agent who may
    /// work cases, on a case with more than one message that is not closed).
    can_split: bool,
}

/// What the agent had typed when a post failed, to show it again.
#[derive(Default)]
pub struct Draft {
    pub reply: String,
    pub note: String,
    /// The reply's Cc as typed; `None` shows the conversation's.
    pub cc: Option<String>,
    pub bcc: String,
    /// Whether the reply was formatted with the toolbar.
    pub formatted: bool,
}

/// What a render shows beyond the case itself.
#[derive(Default)]
pub struct Shown {
    pub error: Option<String>,
    pub draft: Draft,
    pub older: Older,
}

/// Shows a case; `older_messages` and `older_events` page back in time.
pub async fn page(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(older): Query<Older>,
    Query(chosen): Query<Chosen>,
) -> Result<Response, WebError> {
    let reply = canned_picker::prefill(&s, &session, CaseId(id), &chosen).await?;
    let shown = Shown {
        older,
        draft: Draft {
            reply,
            ..Draft::default()
        },
        ..Shown::default()
    };
    render(&s, &session, CaseId(id), StatusCode::OK, shown).await
}

/// Renders the case page, or the page a failed post came from with its
/// error (or the failure itself, when it is not about the input).
pub async fn render_error(
    s: &AppState,
    session: &Session,
    id: CaseId,
    error: WebError,
    draft: Draft,
) -> Result<Response, WebError> {
    match error {
        WebError::Invalid(ref message) | WebError::TooLarge(ref message) => {
            let shown = Shown {
                error: Some(message.clone()),
                draft,
                ..Shown::default()
            };
            render(s, session, id, error.status(), shown).await
        }
        other => Err(other),
    }
}

/// Back to case `id` after a form changed it, or the case page with the
/// error when the input was refused.
pub async fn back_or_error(
    s: &AppState,
    session: &Session,
    id: CaseId,
    done: Result<(), WebError>,
) -> Result<Response, WebError> {
    back_to(s, session, id, "", done).await
}

/// As [`back_or_error`], coming back to the page's section `anchor` (the
/// top when blank).
pub async fn back_to(
    s: &AppState,
    session: &Session,
    id: CaseId,
    anchor: &str,
    done: Result<(), WebError>,
) -> Result<Response, WebError> {
    let to = match anchor {
        "" => format!("/cases/{id}"),
        anchor => format!("/cases/{id}#{anchor}"),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(e) => render_error(s, session, id, e, Draft::default()).await,
    }
}

/// Renders the case page with `status`.
pub async fn render(
    s: &AppState,
    session: &Session,
    id: CaseId,
    status: StatusCode,
    shown: Shown,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let case = s.store.case(id).await?;
    let customer = s.store.customer(case.customer_id).await?;
    let organization = match customer.organization_id {
        Some(org) => Some(s.store.organization(org).await?),
        None => None,
    };
    // One read of the agent list serves the names and the assignee choices.
    let agents = s.store.agents().await?;
    let names = agents.iter().map(|a| (a.id, a.name.clone())).collect();
    let other_cases = other_cases(s, &case, &names).await?;
    let organization_cases = match customer.organization_id {
        Some(org) => {
            let colleagues = CaseFilter {
                organization_id: Some(org),
                except_customer_id: Some(customer.id),
                ..CaseFilter::default()
            };
            s.store
                .count_cases(&colleagues, super::views::COUNT_CAP)
                .await?
        }
        None => 0,
    };
    let agreements = super::customer_page::agreements(s, &customer).await?;
    let (message_cursor, event_cursor) = shown.older.cursors()?;
    let messages = s
        .store
        .messages_newest_first(id, message_cursor, TIMELINE_LIMIT)
        .await?;
    let events = s
        .store
        .events_newest_first(id, event_cursor, TIMELINE_LIMIT)
        .await?;
    let waiting = case
        .waiting_since
        .map(|since| waited(since, tend_store::now()));
    let (messages, events, older) =
        timeline::newest(messages, events, TIMELINE_LIMIT as usize, &shown.older);
    let mut others = timeline::other_writers(&s.store, customer.id, &messages).await?;
    others.extend(timeline::merged_customers(&s.store, &events).await?);
    let all_teams = s.store.teams().await?;
    let team_names = all_teams.iter().map(|t| (t.id, t.name.clone())).collect();
    let agreement_names = agreements.iter().map(|a| (a.id, a.name.clone())).collect();
    let mut timeline = timeline::build(
        messages,
        events,
        &Names {
            agents: &names,
            teams: &team_names,
            agreements: &agreement_names,
            customer: &customer.name,
            others: &others,
        },
        "/attachments/",
    );
    let newest_first = session.web.preferences.newest_first;
    if newest_first {
        timeline.reverse();
        for entry in &mut timeline {
            entry.collapsed.reverse();
        }
    }
    let summary = summary(&case.effort, waiting.as_deref());
    let canned = CannedPicker::load(s, session, &case, &customer).await?;
    let identity = super::identity::IdentityBox::load(s, &customer).await?;
    let effort = super::effort::EffortPanel::load(s, &case).await?;
    let sla = super::sla_panel::SlaPanel::load(s, case.id).await?;
    let surveys = super::survey_box::SurveyBox::load(s, customer.id).await?;
    let clock = s.store.clock().now();
    let related = s
        .store
        .related_cases(id)
        .await?
        .into_iter()
        .map(|c| Row::new(c, &names, clock))
        .collect();
    let side = super::side_panel::SidePanel::load(s, id).await?;
    let visits =
        super::visits_panel::VisitsPanel::load(s, id, session.role().may(Action::Work)).await?;
    let following = s.store.follows(id, session.agent_id()).await?;
    let snoozed_until = case
        .snoozed_until
        .filter(|until| *until > clock)
        .map(|until| when(&until));
    let can_split =
        session.role().may(Action::Work) && case.status != Status::Closed && case.message_count > 1;
    let addressing =
        super::reply_email::Addressing::load(s, case.id, shown.draft.cc.as_deref()).await?;
    let page = CasePage {
        addressing,
        layout: Layout::new(session, ""),
        warning: live::viewed(s, session, case.id).await,
        version: live::version(&case),
        id: case.id.0,
        statuses: Choice::statuses(case.status.as_str()),
        priorities: Choice::list(
            Priority::ALL.iter().map(|p| (p.as_str(), p.as_str())),
            case.priority.as_str(),
        ),
        assignees: assignees(&agents, &case),
        teams: teams(&all_teams, &case),
        summary,
        assigned_to_me: case.assignee_id == Some(session.agent_id()),
        case,
        customer,
        organization,
        other_cases,
        organization_cases,
        agreements,
        waiting,
        timeline,
        older: older.map(|o| o.query()),
        newest: shown.older.is_newest(),
        newest_first,
        error: shown.error,
        draft: shown.draft,
        canned,
        identity,
        effort,
        sla,
        surveys,
        related,
        side,
        visits,
        following,
        snoozed_until,
        can_split,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The customer's most recently changed other cases.
async fn other_cases(
    s: &AppState,
    case: &Case,
    names: &std::collections::HashMap<AgentId, String>,
) -> Result<Vec<Row>, WebError> {
    let filter = CaseFilter {
        customer_id: Some(case.customer_id),
        ..CaseFilter::default()
    };
    Ok(s.store
        .cases(&filter, CaseSort::UpdatedDesc, None, OTHER_CASES + 1)
        .await?
        .data
        .into_iter()
        .filter(|c| c.id != case.id)
        .take(OTHER_CASES as usize)
        .map(|c| Row::new(c, names, tend_store::now()))
        .collect())
}

/// Active agents who may work cases, and "Unassigned".
fn assignees(agents: &[Agent], case: &Case) -> Vec<Choice> {
    let current = case.assignee_id.map(|a| a.0.to_string());
    let current = current.as_deref().unwrap_or("none");
    let mut choices = Choice::list([("none", "Unassigned")], current);
    choices.extend(Choice::assignable(agents, current));
    choices
}

/// Every team, and "No team".
fn teams(all: &[Team], case: &Case) -> Vec<Choice> {
    let current = case.team_id.map(|t| t.0.to_string());
    Choice::teams(all, current.as_deref().unwrap_or("none"))
}

/// The case at a glance, from its effort tally: "3rd contact · repeat of
/// #12 · 2 handoffs · 1 promise broken · waiting 2 d 15 h" (only what
/// applies).
fn summary(tally: &EffortTally, waiting: Option<&str>) -> Vec<String> {
    let mut parts = Vec::new();
    if tally.contacts > 1 {
        parts.push(format!("{} contact", ordinal(tally.contacts)));
    }
    if let Some(of) = tally.repeat_of {
        parts.push(format!("repeat of #{}", of.0));
    }
    let counted = [
        (tally.transfers, "handoff", "handoffs"),
        (tally.channel_switches, "channel switch", "channel switches"),
        (tally.broken_promises, "promise broken", "promises broken"),
        (tally.reopened, "reopening", "reopenings"),
    ];
    for (n, one, many) in counted {
        match n {
            0 => {}
            1 => parts.push(format!("1 {one}")),
            n => parts.push(format!("{n} {many}")),
        }
    }
    if let Some(waiting) = waiting {
        parts.push(format!("waiting {waiting}"));
    }
    parts
}

/// 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, … 21st.
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The reply and note composers' fields; files come alongside. A reply
/// may also set the case's status in the same step (`then`: `pending_customer`
/// or `resolved`) and go on to another case of the list the agent came from
/// (`next`, a case page's path, filled in by the page's script).
#[derive(Deserialize)]
pub struct MessageForm {
    body: String,
    then: Option<String>,
    next: Option<String>,
    /// A promise made with a reply (blank: none), as the record form's.
    promise: Option<String>,
    due: Option<String>,
    tz_offset: Option<String>,
    visible_to_customer: Option<String>,
    kept_by: Option<String>,
    /// Only sent by a reply box that shows it: see [`reply_email::copies`].
    cc: Option<String>,
    bcc: Option<String>,
    /// `on` when the reply is Markdown from the toolbar, sent as HTML too.
    formatted: Option<String>,
}

impl MessageForm {
    /// The promise made with a reply, checked at `now`, if one is given.
    fn promise(&self, now: jiff::Timestamp) -> Result<Option<NewPromise>, WebError> {
        let Some(text) = self.promise.as_deref().filter(|p| !p.trim().is_empty()) else {
            return Ok(None);
        };
        super::records::PromiseForm {
            promise: text.to_owned(),
            due: self.due.clone().unwrap_or_default(),
            tz_offset: self.tz_offset.clone(),
            visible_to_customer: self.visible_to_customer.clone(),
            kept_by: self.kept_by.clone(),
        }
        .check(now)
        .map(Some)
        .map_err(WebError::field)
    }

    /// The status to set after the reply, if the agent asked for one.
    fn then(&self) -> Result<Option<Status>, WebError> {
        match self.then.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => match Status::parse("then", raw).map_err(WebError::field)? {
                status @ (Status::PendingCustomer | Status::Resolved) => Ok(Some(status)),
                _ => Err(WebError::Invalid(
                    "then: a reply can set the status to pending_customer or resolved".into(),
                )),
            },
        }
    }

    /// Where to go after posting: the `next` case page (or the
    /// technician's visits) when it is one, otherwise back to this case's
    /// latest message.
    fn after(&self, id: CaseId) -> String {
        match self.next.as_deref() {
            Some(next)
                if next == "/visits"
                    || next.strip_prefix("/cases/").is_some_and(|n| {
                        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
                    }) =>
            {
                next.to_owned()
            }
            _ => format!("/cases/{id}#latest"),
        }
    }
}

/// Replies to the customer (queued as email on an email case).
pub async fn reply(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: PostedWithFiles<MessageForm>,
) -> Result<Response, WebError> {
    post_message(&s, CaseId(id), posted, false).await
}

/// Adds an internal note.
pub async fn note(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: PostedWithFiles<MessageForm>,
) -> Result<Response, WebError> {
    post_message(&s, CaseId(id), posted, true).await
}

async fn post_message(
    s: &AppState,
    id: CaseId,
    posted: PostedWithFiles<MessageForm>,
    internal: bool,
) -> Result<Response, WebError> {
    let PostedWithFiles {
        session,
        form,
        files,
    } = posted;
    session.require(Action::Work)?;
    let case = s.store.case(id).await?;
    let field = if internal { "note" } else { "reply" };
    let then = if internal { Ok(None) } else { form.then() };
    let promise = if internal {
        Ok(None)
    } else {
        form.promise(s.store.clock().now())
    };
    let copies = if internal {
        Ok(CopyRequest::default())
    } else {
        reply_email::copies(form.cc.as_deref(), form.bcc.as_deref())
    };
    let checked = text::required(field, &form.body, MAX_BODY)
        .map_err(|e| WebError::Invalid(format!("The {field} {}.", e.message)))
        .and_then(|body| Ok((body, uploads(s, files)?, then?, promise?, copies?)));
    let formatted = !internal && form.formatted.as_deref() == Some("on");
    let (mut body, attachments, then, promise, copies) = match checked {
        Ok(checked) => checked,
        Err(e) => {
            let draft = if internal {
                Draft {
                    note: form.body,
                    ..Draft::default()
                }
            } else {
                Draft {
                    reply: form.body,
                    cc: form.cc,
                    bcc: form.bcc.unwrap_or_default(),
                    formatted,
                    ..Draft::default()
                }
            };
            return render_error(s, &session, id, e, draft).await;
        }
    };
    if let Some(p) = &promise {
        crate::replies::state_promise(&mut body, None, p);
    }
    let mut msg = NewMessage {
        attachments,
        promise,
        ..NewMessage::text(session.actor(), case.channel, internal, body)
    };
    if formatted {
        let parts = crate::formatted::format(&msg.body_text);
        msg.body_text = parts.text;
        msg.body_html = Some(parts.html);
    }
    let outbound = outbound_for(&s.store, case.id, &mut msg, copies).await?;
    s.store.add_message(case.id, msg, outbound, None).await?;
    if let Some(status) = then {
        let change = CaseChange {
            status: Some(status),
            ..CaseChange::default()
        };
        if let Err(e) = s.store.update_case(id, &change, session.actor()).await {
            let why = WebError::Invalid(format!(
                "The reply was sent, but the status could not be set: {}",
                WebError::from(e)
            ));
            return render_error(s, &session, id, why, Draft::default()).await;
        }
    }
    Ok(Redirect::to(&form.after(id)).into_response())
}

/// The properties form: any of status, priority, assignee (`none`, `me` or
/// an agent id), team (`none` or a team id), a tag (or several, separated
/// by commas) to add and one to remove.
#[derive(Deserialize)]
pub struct UpdateForm {
    status: Option<String>,
    priority: Option<String>,
    assignee: Option<String>,
    team: Option<String>,
    add_tag: Option<String>,
    remove_tag: Option<String>,
}

impl UpdateForm {
    /// The change the form asks for.
    fn change(&self, me: AgentId) -> Result<CaseChange, WebError> {
        let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        let id = |raw: &str, what: &str| {
            raw.parse::<i64>()
                .map_err(|_| WebError::Invalid(format!("`{raw}` is not {what}")))
        };
        let assignee = self
            .assignee
            .as_deref()
            .map(|raw| new_assignee(raw, me))
            .transpose()
            .map_err(WebError::field)?;
        let team = match self.team.as_deref() {
            None => None,
            Some("" | "none") => Some(None),
            Some(raw) => Some(Some(TeamId(id(raw, "a team")?))),
        };
        let tags = |field: &str, raw: &Option<String>| -> Result<Vec<String>, WebError> {
            let words: Vec<String> = raw
                .iter()
                .flat_map(|r| r.split([',', ' ']))
                .filter(|w| !w.trim().is_empty())
                .map(str::to_owned)
                .collect();
            Ok(parse_tags(field, &words)?)
        };
        Ok(CaseChange {
            status: nonempty(&self.status)
                .map(|v| Status::parse("status", &v))
                .transpose()?,
            priority: nonempty(&self.priority)
                .map(|v| Priority::parse("priority", &v))
                .transpose()?,
            assignee,
            team,
            add_tags: tags("add_tag", &self.add_tag)?,
            remove_tags: tags("remove_tag", &self.remove_tag)?,
            ..CaseChange::default()
        })
    }
}

/// Changes status, priority, assignee, team or tags.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<UpdateForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let id = CaseId(id);
    let changed = match form.change(session.agent_id()) {
        Ok(change) => s
            .store
            .update_case(id, &change, session.actor())
            .await
            .map_err(WebError::from),
        Err(e) => Err(e),
    };
    match changed {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => render_error(&s, &session, id, e, Draft::default()).await,
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
    Ok(crate::http::download(
        data,
        &meta.content_type,
        &meta.filename,
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_only_what_applies() {
        assert!(summary(&EffortTally::default(), None).is_empty());
        let tally = EffortTally {
            contacts: 3,
            transfers: 5,
            broken_promises: 1,
            repeat_of: Some(CaseId(12)),
            ..EffortTally::default()
        };
        assert_eq!(
            summary(&tally, Some("2 d 15 h")).join(" · "),
            "3rd contact · repeat of #12 · 5 handoffs · 1 promise broken · waiting 2 d 15 h"
        );
        let ordinals: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 111, 112]
            .map(ordinal)
            .to_vec();
        assert_eq!(
            ordinals,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th",
                "112th"
            ]
        );
    }
}
