//! Read models: what the store hands back, shaped as the API sends it.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};
use tend_domain::agent::Role;
use tend_domain::case::{Channel, Priority, Status};
use tend_domain::customer::{AgreementStatus, ContactKind, VerificationLevel};
use tend_domain::effort::{EffortLevel, EffortTally, EffortWeights};
use tend_domain::email::EmailAddress;
use tend_domain::event::Actor;
use tend_domain::ids::*;
use utoipa::ToSchema;

/// A page of results and the cursor for the next one (absent on the last page).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items on this page.
    pub data: Vec<T>,
    /// Pass as `cursor` to fetch the next page; null when there is none.
    pub next_cursor: Option<String>,
}

/// A member of staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agent {
    pub id: AgentId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub team_ids: Vec<TeamId>,
    /// The agent's availability switch: routing gives cases only to
    /// available agents, and an agent going away hands their unanswered
    /// cases back to their team.
    pub available: bool,
    /// The most open cases routing gives this agent (over their teams'
    /// maximum); null: the team's.
    pub max_open_cases: Option<u32>,
    /// Tags the agent is skilled in, for teams that match skills.
    pub skills: Vec<String>,
    /// Languages the agent answers in (`en`, `de`...).
    pub languages: Vec<String>,
    pub created_at: Timestamp,
}

/// A team of agents.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub member_ids: Vec<AgentId>,
    /// How cases landing on the team unassigned are handed out.
    pub routing_mode: tend_domain::routing::RoutingMode,
    /// The most open cases routing gives one member (unless the agent has
    /// their own maximum); null: no limit.
    pub max_open_cases: Option<u32>,
    /// Whether routing gives a case only to an agent covering its skill
    /// tags and its customer's language (those some member lists).
    pub match_skills: bool,
    pub created_at: Timestamp,
}

/// An organisation customers belong to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub domain: Option<String>,
    /// Whether members may see each other's cases in the portal.
    pub share_cases: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One way to reach a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ContactPoint {
    pub kind: ContactKind,
    pub value: String,
}

impl ContactPoint {
    /// An email address as a contact point.
    pub fn email(address: &EmailAddress) -> Self {
        ContactPoint {
            kind: ContactKind::Email,
            value: address.as_str().to_owned(),
        }
    }
}

/// One person, with every way to reach them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    pub organization_id: Option<OrganizationId>,
    pub verification_level: VerificationLevel,
    /// How the identity was verified, when an agent did it.
    pub verification_method: Option<String>,
    /// The language they write in (`en`, `de`...), for teams whose routing
    /// matches skills; null: unknown.
    pub language: Option<String>,
    pub contact_points: Vec<ContactPoint>,
    /// Set when this record was merged into another customer (a duplicate
    /// of the same person): everything it had moved there, and this record
    /// is kept only so old links and ids lead to the survivor.
    pub merged_into_id: Option<CustomerId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A plan, contract or subscription held by a customer or an organisation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agreement {
    pub id: AgreementId,
    pub customer_id: Option<CustomerId>,
    pub organization_id: Option<OrganizationId>,
    pub name: String,
    pub reference: Option<String>,
    pub status: AgreementStatus,
    /// First day in force (YYYY-MM-DD).
    pub starts_on: Option<String>,
    /// Last day in force (YYYY-MM-DD).
    pub ends_on: Option<String>,
    pub terms: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A case as it stands now (the fold of its event log).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Case {
    pub id: CaseId,
    /// Human-facing reference, e.g. `#1234`.
    pub reference: String,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    /// Channel the case began on.
    pub channel: Channel,
    pub customer_id: CustomerId,
    pub assignee_id: Option<AgentId>,
    pub team_id: Option<TeamId>,
    pub agreement_id: Option<AgreementId>,
    pub tags: Vec<String>,
    pub custom_fields: Map<String, Value>,
    pub message_count: i64,
    /// Sequence number of the last event in the case's log.
    pub last_seq: i64,
    /// The case this one was merged into (it is then closed).
    pub merged_into_id: Option<CaseId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// What the case has cost its customer: 0 (effortless) to 100; see
    /// `GET /api/v1/cases/{id}/effort` for why.
    pub effort_index: u32,
    pub effort_level: EffortLevel,
    /// Since when the customer has been waiting for an answer: their oldest
    /// contact no agent has answered; absent when nobody is waiting.
    pub waiting_since: Option<Timestamp>,
    /// The first answer from an agent.
    pub first_response_at: Option<Timestamp>,
    /// When the case was resolved; absent while it is not.
    pub resolved_at: Option<Timestamp>,
    /// The earlier case this one repeats, if any.
    pub repeat_of_id: Option<CaseId>,
    /// Until when an agent snoozed the case: until then it is left out of
    /// the working views (a time already past means it is back).
    pub snoozed_until: Option<Timestamp>,
    /// The case's SLA: its policy and the clock due soonest.
    pub sla: CaseSlaSummary,
    /// How frustrated the customer's latest message reads, 0 (calm) to 100;
    /// 30 and above counts as frustrated (see `docs/service-rules.md`).
    pub frustration: u8,
    /// The phrases behind `frustration` ("third time", "still not", "!!!").
    pub frustration_signals: Vec<String>,
    /// The counts behind the effort figure.
    #[serde(skip)]
    pub effort: EffortTally,
}

/// A case's SLA as written on its row with every change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CaseSlaSummary {
    /// The SLA policy that applies (the first whose conditions match);
    /// absent when none does.
    pub policy_id: Option<i64>,
    /// The running clock due soonest (`first_response`, `next_response`,
    /// `resolution`), or `paused` while the clocks wait on the customer.
    pub clock: Option<String>,
    /// When that clock is due; a time already past means it is breached.
    pub due_at: Option<Timestamp>,
}

/// A file attached to a message, stored once per content hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    pub id: AttachmentId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// For an inline part of an email (an image its HTML shows): its
    /// Content-ID. The HTML already points at the attachment's URL.
    pub content_id: Option<String>,
}

/// A message on a case: from the customer, a reply, or an internal note.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub id: MessageId,
    pub case_id: CaseId,
    pub author: Actor,
    pub channel: Channel,
    /// Internal notes are never shown to customers.
    pub internal: bool,
    /// The full text, quoted history included.
    pub body_text: String,
    /// Sanitised HTML, when the message had HTML; quoted history included.
    pub body_html: Option<String>,
    /// The quoted history below the new text of an email reply: the end of
    /// `body_text` from where it begins (null when there is none). The new
    /// text is `body_text` without this suffix; show the rest collapsed.
    pub quoted_text: Option<String>,
    /// The same for `body_html`: its suffix that is quoted history.
    pub quoted_html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// For messages that came or went by email.
    pub email: Option<EmailDetails>,
    /// The side conversation with a third party it belongs to, if any
    /// (never part of the customer's thread).
    pub side_conversation_id: Option<SideConversationId>,
    pub created_at: Timestamp,
}

/// What an email message carries beyond its body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct EmailDetails {
    /// The Message-ID header, without angle brackets.
    pub message_id: Option<String>,
    /// The sender's address.
    pub from: String,
    pub subject: String,
    /// Whom Tend's own email went to (empty on inbound mail).
    pub to: Vec<String>,
    /// Addresses in Cc.
    pub cc: Vec<String>,
    /// Addresses Tend's own email was blind-copied to; agents only see it.
    pub bcc: Vec<String>,
    /// An auto-reply, bounce or bulk mail: Tend never answers it automatically.
    pub automated: bool,
    /// Whether the raw message is stored (`GET /messages/{id}/raw`).
    pub has_raw: bool,
    /// The inbox it came in on or went out from.
    pub inbox_id: Option<i64>,
    /// For a reply sent by email: how its delivery is going.
    pub delivery: Option<crate::outbound::Delivery>,
}

/// One full-text search result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    pub case_id: CaseId,
    pub case_reference: String,
    pub case_subject: String,
    pub case_status: Status,
    /// The matching message, or null when the case subject matched.
    pub message_id: Option<MessageId>,
    pub internal: bool,
    /// Matching text, HTML-escaped, with matches wrapped in `<mark>`.
    pub snippet_html: String,
    /// Relevance; higher is better.
    pub score: f64,
}

impl Case {
    /// The case as the fold of its log leaves it.
    /// The case `id` whose folded state is `state`, its effort scored by
    /// `weights`.
    pub fn from_state(
        id: CaseId,
        state: &tend_domain::state::CaseState,
        weights: &EffortWeights,
    ) -> Self {
        let score = weights.score(&state.effort);
        Case {
            id,
            reference: case_reference(id),
            subject: state.subject.clone(),
            status: state.status,
            priority: state.priority,
            channel: state.channel,
            customer_id: state.customer_id,
            assignee_id: state.assignee_id,
            team_id: state.team_id,
            agreement_id: state.agreement_id,
            tags: state.tags.iter().cloned().collect(),
            custom_fields: state.custom_fields.clone(),
            message_count: state.message_count,
            last_seq: state.last_seq,
            merged_into_id: state.merged_into,
            created_at: state.created_at,
            updated_at: state.updated_at,
            effort_index: score.index,
            effort_level: score.level,
            waiting_since: state.effort.waiting_since,
            first_response_at: state.effort.first_response_at,
            resolved_at: state.effort.resolved_at,
            repeat_of_id: state.effort.repeat_of,
            snoozed_until: state.snoozed_until,
            sla: CaseSlaSummary::default(),
            frustration: state.effort.frustration,
            frustration_signals: state.effort.frustration_signals.clone(),
            effort: state.effort.clone(),
        }
    }
}

/// The human-facing reference for a case id.
pub fn case_reference(id: CaseId) -> String {
    format!("#{}", id.0)
}
