//! A case's timeline: its messages and its other events, merged in time
//! order, a page at a time from the newest. Messages carry their stored,
//! already sanitised HTML with quoted history apart; events become one quiet
//! line of text.

use super::layout::{label, when};
use serde::Deserialize;
use std::collections::HashMap;
use tend_domain::case::Channel;
use tend_domain::effort::Direction;
use tend_domain::event::{Actor, ActorKind, CaseEvent, EventData};
use tend_domain::ids::{AgentId, AgreementId, CustomerId, TeamId};
use tend_domain::promise::PromiseKeeper;
use tend_domain::quote::format_money;
use tend_domain::remote_images::has_remote_images;
use tend_domain::sla::ClockKind;
use tend_domain::survey::SurveyKind;
use tend_store::cursor::Cursor;
use tend_store::model::{Attachment, Message, Page};

/// Names the timeline needs to say who did what.
pub struct Names<'a> {
    pub agents: &'a HashMap<AgentId, String>,
    /// Teams and agreements by id, for the event lines that name them
    /// (empty where no event line is shown).
    pub teams: &'a HashMap<TeamId, String>,
    pub agreements: &'a HashMap<AgreementId, String>,
    /// The case's customer.
    pub customer: &'a str,
    /// Other customers who wrote on the case (colleagues in the portal),
    /// by id.
    pub others: &'a HashMap<i64, String>,
}

impl Names<'_> {
    fn of(&self, actor: &Actor) -> String {
        match (actor.kind, actor.id) {
            (ActorKind::Customer, Some(id)) if self.others.contains_key(&id) => {
                self.others[&id].clone()
            }
            (ActorKind::Customer, _) => self.customer.to_owned(),
            (ActorKind::Agent, Some(id)) => self.agent(Some(AgentId(id))),
            (ActorKind::Rule, Some(id)) => format!("Rule #{id}"),
            _ => "Tend".into(),
        }
    }

    fn agent(&self, id: Option<AgentId>) -> String {
        id.and_then(|id| self.agents.get(&id).cloned())
            .unwrap_or_else(|| "an agent".into())
    }

    fn team(&self, id: Option<TeamId>) -> String {
        match id {
            None => "no team".into(),
            Some(id) => self
                .teams
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("team {}", id.0)),
        }
    }

    /// A customer named on an event line (a merged duplicate, say).
    fn customer_named(&self, id: CustomerId) -> String {
        self.others
            .get(&id.0)
            .map(|name| format!("“{name}” (customer {id})"))
            .unwrap_or_else(|| format!("customer {id}"))
    }

    fn agreement(&self, id: AgreementId) -> String {
        self.agreements
            .get(&id)
            .map(|name| format!("“{name}”"))
            .unwrap_or_else(|| format!("agreement {}", id.0))
    }
}

/// Names of the customers other than `owner` (the case's customer) who
/// wrote any of `messages`, by id: colleagues writing on a shared case.
pub async fn other_writers(
    store: &tend_store::Store,
    owner: CustomerId,
    messages: &[Message],
) -> tend_store::Result<HashMap<i64, String>> {
    let writers = messages
        .iter()
        .filter(|m| m.author.kind == ActorKind::Customer)
        .filter_map(|m| m.author.id)
        .filter(|id| *id != owner.0);
    customer_names(store, writers).await
}

/// The customers that `events` name (the two sides of a customer merge),
/// by id, so their lines can say who they were.
pub async fn merged_customers(
    store: &tend_store::Store,
    events: &[CaseEvent],
) -> tend_store::Result<HashMap<i64, String>> {
    let ids = events.iter().flat_map(|e| match e.data {
        EventData::CustomerMerged { from, into } => vec![from.0, into.0],
        _ => Vec::new(),
    });
    customer_names(store, ids).await
}

/// The names of customers `ids`, by id, each read once.
pub async fn customer_names(
    store: &tend_store::Store,
    ids: impl Iterator<Item = i64>,
) -> tend_store::Result<HashMap<i64, String>> {
    let mut names = HashMap::new();
    for id in ids {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(id) {
            slot.insert(store.customer(CustomerId(id)).await?.name);
        }
    }
    Ok(names)
}

/// One message as shown.
pub struct MessageView {
    pub id: i64,
    /// `customer`, `reply` or `note`: picks the style.
    pub kind: &'static str,
    pub author: String,
    pub at: String,
    /// The exact time, RFC 3339, for a `<time datetime>`.
    pub datetime: String,
    /// Sanitised HTML from the store, when the message had HTML: its new
    /// part, without the quoted history.
    pub html: Option<String>,
    /// The quoted history below `html`, shown collapsed.
    pub quoted_html: Option<String>,
    /// The text's new part, without the quoted history, as HTML: escaped,
    /// its web addresses links.
    pub text: String,
    /// The quoted history below `text`, shown collapsed.
    pub quoted_text: Option<String>,
    /// Whether the email as received or sent is stored.
    pub has_source: bool,
    /// Whether its HTML shows images from other sites, which the page's
    /// policy blocks (the page says so and links to them).
    pub remote_images: bool,
    pub attachments: Vec<Attachment>,
    /// For an emailed reply: queued, sent, failed or bounced.
    /// Whom Tend's email went to: "to a@x · cc b@y · bcc c@z" (agents
    /// only: the case page shows it, the portal never does).
    pub addressed: Option<String>,
    pub delivery: Option<String>,
    /// For a customer's message that reads frustrated: its score and the
    /// phrases behind it.
    pub frustration: Option<(u8, String)>,
}

/// One entry of the timeline: a message or an event line.
pub struct Entry {
    pub message: Option<MessageView>,
    pub event: Option<String>,
    pub at: String,
    /// For a run of email delivery-status lines shown as one: each line,
    /// with its time, to expand (empty otherwise).
    pub collapsed: Vec<(String, String)>,
    /// Whether this is an email delivery-status line (runs of them collapse).
    delivery: bool,
}

/// Points the inline images of stored HTML (served to API clients at
/// `/api/v1/attachments/{id}`) at `files`, the page's own attachment
/// route, which its session may open.
pub(crate) fn inline_images_at(html: String, files: &str) -> String {
    html.replace(
        &format!("src=\"{}", tend_domain::html::ATTACHMENT_URL_PREFIX),
        &format!("src=\"{files}"),
    )
}

/// Merges messages and events by time; events about messages are left out
/// because the message itself is shown. Inline images load from `files`
/// (such as `/attachments/`) followed by the attachment id.
pub fn build(
    messages: Vec<Message>,
    events: Vec<CaseEvent>,
    names: &Names,
    files: &str,
) -> Vec<Entry> {
    let mut timed: Vec<(jiff::Timestamp, u8, Entry)> = Vec::new();
    let frustration: HashMap<i64, (u8, String)> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::FrustrationScored {
                message_id,
                score,
                signals,
            } if *score >= tend_domain::frustration::FRUSTRATED => {
                Some((message_id.0, (*score, signals.join(", "))))
            }
            _ => None,
        })
        .collect();
    for m in messages {
        let kind = match (m.author.kind, m.internal) {
            (_, true) => "note",
            (ActorKind::Customer, false) => "customer",
            _ => "reply",
        };
        let at = when(&m.created_at);
        let remote_images = m.body_html.as_deref().is_some_and(has_remote_images);
        let (html, quoted_html) = match m.body_html {
            Some(html) => {
                let (new, quoted) = split_quote(html, m.quoted_html);
                (
                    Some(inline_images_at(new, files)),
                    quoted.map(|q| inline_images_at(q, files)),
                )
            }
            None => (None, None),
        };
        let (text, quoted_text) = split_quote(m.body_text, m.quoted_text);
        timed.push((
            m.created_at,
            1,
            Entry {
                message: Some(MessageView {
                    id: m.id.0,
                    kind,
                    author: names.of(&m.author),
                    at: at.clone(),
                    datetime: m.created_at.to_string(),
                    html,
                    quoted_html,
                    text: tend_domain::links::linked_text(&text),
                    quoted_text,
                    has_source: m.email.as_ref().is_some_and(|e| e.has_raw),
                    remote_images,
                    attachments: m.attachments,
                    addressed: m.email.as_ref().and_then(addressed),
                    delivery: m.email.and_then(|e| e.delivery).map(|d| d.status),
                    frustration: frustration.get(&m.id.0).cloned(),
                }),
                event: None,
                at,
                collapsed: Vec::new(),
                delivery: false,
            },
        ));
    }
    for e in events {
        if let Some(text) = describe(&e.data, names) {
            timed.push((
                e.at,
                0,
                Entry {
                    message: None,
                    event: Some(format!("{} {text}", names.of(&e.actor))),
                    at: when(&e.at),
                    collapsed: Vec::new(),
                    delivery: matches!(e.data, EventData::EmailDeliveryChanged { .. }),
                },
            ));
        }
    }
    timed.sort_by_key(|(at, order, _)| (*at, *order));
    collapse_deliveries(timed.into_iter().map(|(_, _, entry)| entry))
}

/// Folds each run of two or more consecutive email delivery-status lines
/// into one line ("3 email delivery updates, the latest: …") whose lines
/// expand; other entries pass through.
fn collapse_deliveries(entries: impl Iterator<Item = Entry>) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut run: Vec<Entry> = Vec::new();
    let flush = |run: &mut Vec<Entry>, out: &mut Vec<Entry>| {
        if run.len() < 2 {
            out.append(run);
            return;
        }
        let lines: Vec<(String, String)> = run
            .drain(..)
            .map(|e| (e.event.unwrap_or_default(), e.at))
            .collect();
        let (latest, at) = lines.last().cloned().unwrap_or_default();
        out.push(Entry {
            message: None,
            event: Some(format!(
                "{} email delivery updates, the latest: {latest}",
                lines.len()
            )),
            at,
            collapsed: lines,
            delivery: true,
        });
    };
    for entry in entries {
        if entry.delivery && entry.message.is_none() {
            run.push(entry);
        } else {
            flush(&mut run, &mut out);
            out.push(entry);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Splits a body into its new part and the quoted history at its end, when
/// the store marked one (`quoted` is then a suffix of `body`).
fn split_quote(mut body: String, quoted: Option<String>) -> (String, Option<String>) {
    match quoted {
        Some(q) if !q.is_empty() && body.len() > q.len() && body.ends_with(&q) => {
            body.truncate(body.len() - q.len());
            (body, Some(q))
        }
        _ => (body, None),
    }
}

/// The newest `limit` entries of newest-first pages of `messages` and
/// `events` read from `from`, oldest first, and where the page of older
/// entries starts (`None` when there are none).
pub fn newest(
    messages: Page<Message>,
    events: Page<CaseEvent>,
    limit: usize,
    from: &Older,
) -> (Vec<Message>, Vec<CaseEvent>, Option<Older>) {
    let more = messages.next_cursor.is_some() || events.next_cursor.is_some();
    let mut messages = messages.data.into_iter().peekable();
    let mut events = events.data.into_iter().peekable();
    let (mut kept_messages, mut kept_events) = (Vec::new(), Vec::new());
    while kept_messages.len() + kept_events.len() < limit {
        let message_next = match (messages.peek(), events.peek()) {
            (Some(m), Some(e)) => m.created_at >= e.at,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if message_next {
            kept_messages.extend(messages.next());
        } else {
            kept_events.extend(events.next());
        }
    }
    let older = (more || messages.peek().is_some() || events.peek().is_some()).then(|| Older {
        older_messages: kept_messages
            .last()
            .map(|m| cursor(m.id.0, m.id.0))
            .or_else(|| from.older_messages.clone()),
        older_events: kept_events
            .last()
            .map(|e| cursor(e.seq, e.id.0))
            .or_else(|| from.older_events.clone()),
    });
    kept_messages.reverse();
    kept_events.reverse();
    (kept_messages, kept_events, older)
}

fn cursor(key: i64, id: i64) -> String {
    Cursor { key, id }.encode()
}

/// Where a page of older timeline entries starts: a store cursor into the
/// messages and one into the events, newest first (none: the newest).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Older {
    pub older_messages: Option<String>,
    pub older_events: Option<String>,
}

impl Older {
    /// Whether this is the newest page.
    pub fn is_newest(&self) -> bool {
        self.older_messages.is_none() && self.older_events.is_none()
    }

    /// The two cursors, decoded.
    pub fn cursors(&self) -> Result<(Option<Cursor>, Option<Cursor>), tend_domain::Invalid> {
        let decode = |c: &Option<String>| c.as_deref().map(Cursor::decode).transpose();
        Ok((decode(&self.older_messages)?, decode(&self.older_events)?))
    }

    /// The query string that asks for this page.
    pub fn query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("older_messages", self.older_messages.as_deref()),
            ("older_events", self.older_events.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// A survey answer in words: `CES 6 of 7 (Agree)`.
pub fn survey_answer(kind: SurveyKind, score: u8) -> String {
    format!(
        "{} {score} of {} ({})",
        kind.as_str().to_uppercase(),
        kind.max_score(),
        kind.label(score)
    )
}

/// An SLA clock in words.
pub fn clock_name(clock: ClockKind) -> &'static str {
    match clock {
        ClockKind::FirstResponse => "first response",
        ClockKind::NextResponse => "next response",
        ClockKind::Resolution => "resolution",
    }
}

/// One line for an event, or none for events a message already shows.
fn describe(data: &EventData, names: &Names) -> Option<String> {
    Some(match data {
        EventData::MessageReceived { .. }
        | EventData::ReplySent { .. }
        | EventData::NoteAdded { .. }
        | EventData::FrustrationScored { .. } => return None,
        EventData::CaseOpened { .. } => "opened the case".into(),
        EventData::StatusChanged { from, to } => format!(
            "changed the status from {} to {}",
            label(from.as_str()),
            label(to.as_str())
        ),
        EventData::PriorityChanged { from, to } => format!(
            "changed the priority from {} to {}",
            from.as_str(),
            to.as_str()
        ),
        EventData::Assigned { to: Some(to), .. } => {
            format!("assigned the case to {}", names.agent(Some(*to)))
        }
        EventData::Assigned { to: None, .. } => "unassigned the case".into(),
        EventData::SubjectChanged { to, .. } => format!("renamed the case to “{to}”"),
        EventData::TagsChanged { added, removed } => {
            let mut parts: Vec<String> = added.iter().map(|t| format!("+{t}")).collect();
            parts.extend(removed.iter().map(|t| format!("−{t}")));
            format!("changed the tags: {}", parts.join(", "))
        }
        EventData::EmailDeliveryChanged { status, detail, .. } => match detail {
            Some(detail) => format!("marked a reply's email {}: {detail}", status.as_str()),
            None => format!("marked a reply's email {}", status.as_str()),
        },
        EventData::CaseMerged { into, message_ids } => format!(
            "merged this case into #{into}, moving {} message(s)",
            message_ids.len()
        ),
        EventData::MergedFrom { from, message_ids } => format!(
            "merged case #{from} into this one, bringing {} message(s)",
            message_ids.len()
        ),
        EventData::PossiblyRelated { case_id, reason } => {
            format!("linked this case as possibly related to #{case_id}: {reason}")
        }
        EventData::CustomerActionRequested { action, kind } => {
            format!("asked the customer to {}: “{action}”", kind.describe())
        }
        EventData::ContactLogged {
            channel,
            direction,
            duration_seconds,
            ..
        } => {
            let what = match (channel, direction) {
                (Channel::Phone, Direction::Inbound) => "a call from the customer",
                (Channel::Phone, Direction::Outbound) => "a call to the customer",
                (Channel::WalkIn, _) => "a visit",
                (_, Direction::Inbound) => "a contact from the customer",
                (_, Direction::Outbound) => "a contact with the customer",
            };
            let long = duration_seconds
                .map(|s| format!(" ({} min)", s.div_ceil(60)))
                .unwrap_or_default();
            format!("logged {what}{long}")
        }
        EventData::InformationRepeated { what } => {
            format!("recorded that the customer had to repeat: “{what}”")
        }
        EventData::IdentityRequested {
            reason,
            after_verification,
        } => {
            let again = if *after_verification {
                " again, though already verified"
            } else {
                ""
            };
            format!("asked the customer to identify{again}: {reason}")
        }
        EventData::RepeatLinked { of, reason } => {
            format!("linked this case as a repeat of #{of}: {reason}")
        }
        EventData::RepeatUnlinked { of } => format!("said this case does not repeat #{of}"),
        EventData::SurveySent { csat, .. } => {
            let questions = if *csat { "CES and CSAT" } else { "CES" };
            format!("emailed the customer a survey ({questions})")
        }
        EventData::SurveyAnswered {
            kind,
            score,
            comment,
            ..
        } => {
            let answer = survey_answer(*kind, *score);
            match comment {
                Some(comment) => format!("answered the survey: {answer}, with “{comment}”"),
                None => format!("answered the survey: {answer}"),
            }
        }
        EventData::HandedOff { from, to } => {
            format!(
                "handed the case from {} to {}",
                names.team(*from),
                names.team(*to)
            )
        }
        EventData::AgreementLinked { to: Some(to), .. } => {
            format!("linked the case to the agreement {}", names.agreement(*to))
        }
        EventData::AgreementLinked {
            from: Some(from),
            to: None,
        } => {
            format!("unlinked the agreement {}", names.agreement(*from))
        }
        EventData::ChannelSwitched { from, to } => format!(
            "noted the customer moved from {} to {}",
            from.describe(),
            to.describe()
        ),
        EventData::PromiseMade {
            promise,
            due_at,
            from,
            visible_to_customer,
            kept_by,
        } => {
            let by = match from {
                Some(from) => format!("between {} and {}", when(from), when(due_at)),
                None => format!("by {}", when(due_at)),
            };
            let kept = match kept_by {
                PromiseKeeper::Reply => ", kept by a reply",
                PromiseKeeper::Resolved => ", kept by resolving the case",
                PromiseKeeper::Manual => "",
            };
            let hidden = if *visible_to_customer {
                ""
            } else {
                " (not shown to the customer)"
            };
            format!("promised “{promise}” {by}{kept}{hidden}")
        }
        EventData::PromiseKept { promise } => format!("kept the promise “{promise}”"),
        EventData::CustomerMerged { from, into } => format!(
            "merged the duplicate customer {} into {}",
            names.customer_named(*from),
            names.customer_named(*into)
        ),
        EventData::PromiseBroken { promise } => format!("broke the promise “{promise}”"),
        EventData::SlaWarned { clock, due_at, .. } => format!(
            "warned that the {} is due by {}",
            clock_name(*clock),
            when(due_at)
        ),
        EventData::SlaBreached { clock, due_at, .. } => format!(
            "recorded that the {} target passed at {} unmet",
            clock_name(*clock),
            when(due_at)
        ),
        EventData::RuleApplied { rule, actions, .. } => format!(
            "applied the rule \u{201c}{rule}\u{201d}: {}",
            actions.join(", ").replace('_', " ")
        ),
        EventData::Snoozed { until } => format!("snoozed the case until {}", when(until)),
        EventData::Unsnoozed { by_customer: true } => "ended the snooze: the customer wrote".into(),
        EventData::Unsnoozed { by_customer: false } => "woke the case from its snooze".into(),
        EventData::RelatedLinked { case_id } => format!("linked related case #{case_id}"),
        EventData::RelatedUnlinked { case_id } => format!("unlinked related case #{case_id}"),
        EventData::SplitInto {
            case_id,
            message_ids,
        } => format!(
            "split {} message(s) off into case #{case_id}",
            message_ids.len()
        ),
        EventData::SplitFrom {
            case_id,
            message_ids,
        } => format!(
            "split this case off #{case_id}, bringing {} message(s)",
            message_ids.len()
        ),
        EventData::Routed {
            to: Some(to),
            team_id,
            reason,
        } => format!(
            "routed the case in {} to {}: {reason}",
            names.team(*team_id),
            names.agent(Some(*to))
        ),
        EventData::Routed {
            to: None,
            team_id,
            reason,
        } => format!("routed the case in {}: {reason}", names.team(*team_id)),
        EventData::QuoteSent {
            number,
            total_minor,
            currency,
            valid_until,
            ..
        } => format!(
            "sent quote {number} for {}, valid until {}",
            format_money(*total_minor, currency),
            when(valid_until)
        ),
        EventData::QuoteApproved { comment, .. } => decided("approved", comment.as_deref()),
        EventData::QuoteDeclined { comment, .. } => decided("declined", comment.as_deref()),
        EventData::SideConversationStarted { with, subject, .. } => format!(
            "started a side conversation with {}: “{subject}”",
            with.join(", ")
        ),
        EventData::TaskAdded {
            title,
            owner_kind,
            due_at,
            ..
        } => format!(
            "added the task “{title}” for {}{}",
            owner_kind.describe(),
            due_text(*due_at)
        ),
        EventData::TaskChanged {
            task_id,
            status,
            due_at,
            owner_kind,
        } => format!(
            "changed task {task_id}: {} for {}{}",
            status.as_str(),
            owner_kind.describe(),
            due_text(*due_at)
        ),
        EventData::PromiseWithdrawn { promise } => {
            format!("let go of the promise “{promise}”")
        }
        EventData::AppointmentOffered {
            type_name,
            window_minutes,
            ..
        } => format!("offered a {type_name} visit, in windows of {window_minutes} minutes"),
        EventData::AppointmentBooked {
            starts_at, ends_at, ..
        } => format!(
            "booked the visit for {} to {}",
            when(starts_at),
            when(ends_at)
        ),
        EventData::AppointmentRescheduled {
            starts_at,
            ends_at,
            reason,
            ..
        } => format!(
            "moved the visit to {} to {}{}",
            when(starts_at),
            when(ends_at),
            because(reason.as_deref())
        ),
        EventData::AppointmentCancelled { reason, .. } => {
            format!("cancelled the visit{}", because(reason.as_deref()))
        }
        EventData::TechnicianOnTheWay { arrival_at, .. } => {
            format!("is on the way, arriving about {}", when(arrival_at))
        }
        other => label(other.kind()),
    })
}

/// The reason the business gave, if any.
fn because(reason: Option<&str>) -> String {
    reason.map(|r| format!(": “{r}”")).unwrap_or_default()
}

/// A customer's decision on a quote, with their comment.
fn decided(what: &str, comment: Option<&str>) -> String {
    match comment {
        Some(comment) => format!("{what} the quote, with \u{201c}{comment}\u{201d}"),
        None => format!("{what} the quote"),
    }
}

/// ", due Thu 14 Mar 10:00" for a task with a due time.
fn due_text(due_at: Option<jiff::Timestamp>) -> String {
    due_at
        .map(|d| format!(", due {}", when(&d)))
        .unwrap_or_default()
}

/// "to a@x · cc b@y · bcc c@z" for an email Tend sent with copies or to
/// someone other than the case's customer; `None` for inbound mail.
fn addressed(email: &tend_store::model::EmailDetails) -> Option<String> {
    if email.to.is_empty() {
        return None;
    }
    let parts = [("to", &email.to), ("cc", &email.cc), ("bcc", &email.bcc)];
    let shown: Vec<String> = parts
        .iter()
        .filter(|(_, list)| !list.is_empty())
        .map(|(label, list)| format!("{label} {}", list.join(", ")))
        .collect();
    Some(shown.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tend_domain::email::DeliveryStatus;
    use tend_domain::ids::{CaseId, EventId, MessageId};

    fn event(seq: i64, minute: i64, data: EventData) -> CaseEvent {
        CaseEvent {
            id: EventId(seq),
            case_id: CaseId(1),
            seq,
            at: jiff::Timestamp::from_second(1_800_000_000 + minute * 60).unwrap_or_default(),
            actor: Actor::system(),
            data,
        }
    }

    fn delivery(seq: i64, status: DeliveryStatus) -> CaseEvent {
        let data = EventData::EmailDeliveryChanged {
            message_id: MessageId(7),
            status,
            detail: None,
        };
        event(seq, seq, data)
    }

    #[test]
    fn runs_of_delivery_lines_collapse_into_one_that_expands() {
        let empty = HashMap::new();
        let (teams, agreements) = (HashMap::new(), HashMap::new());
        let names = Names {
            agents: &empty,
            teams: &teams,
            agreements: &agreements,
            customer: "Cora",
            others: &HashMap::new(),
        };
        let events = vec![
            delivery(1, DeliveryStatus::Queued),
            delivery(2, DeliveryStatus::Sent),
            delivery(3, DeliveryStatus::Bounced),
            event(
                4,
                4,
                EventData::PriorityChanged {
                    from: tend_domain::case::Priority::Normal,
                    to: tend_domain::case::Priority::High,
                },
            ),
            delivery(5, DeliveryStatus::Queued),
        ];
        let entries = build(Vec::new(), events, &names, "/attachments/");
        let lines: Vec<(&str, usize)> = entries
            .iter()
            .map(|e| (e.event.as_deref().unwrap_or(""), e.collapsed.len()))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "3 email delivery updates, the latest: Tend marked a reply's email bounced",
                    3
                ),
                ("Tend changed the priority from normal to high", 0),
                ("Tend marked a reply's email queued", 0),
            ]
        );
        assert_eq!(
            entries[0].collapsed[0].0,
            "Tend marked a reply's email queued"
        );
    }
}
