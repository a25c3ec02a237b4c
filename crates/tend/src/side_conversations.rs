//! Side conversations, shared by the REST API and the web UI: an agent
//! emails people outside (a supplier, a subcontractor) about a case from
//! the case's inbox, and replies within the conversation go to them. Each
//! message is an internal note of the case with the email carrying it, in
//! one write; the subject carries `[#123-S4]`, never the customer's `[#123]`.

use crate::compose::sending_inbox;
use crate::http::error::ApiError;
use crate::mail::outbound::{Copies, Letter, Sender};
use tend_domain::Invalid;
use tend_domain::case::Channel;
use tend_domain::email::EmailAddress;
use tend_domain::event::Actor;
use tend_domain::ids::{AgentId, CaseId, SideConversationId};
use tend_store::Store;
use tend_store::messages::NewMessage;
use tend_store::model::Message;
use tend_store::side_conversations::{MAX_PARTICIPANTS, NewSideConversation, SideConversation};

/// Longest side conversation subject, in characters.
pub const MAX_SUBJECT: usize = 200;

/// A side conversation to start.
pub struct Start {
    pub to: Vec<EmailAddress>,
    pub cc: Vec<EmailAddress>,
    /// One line, checked.
    pub subject: String,
    /// The first message, checked.
    pub body: String,
}

/// A side conversation's subject: one clean line.
pub fn subject(raw: &str) -> Result<String, Invalid> {
    tend_domain::text::one_line("subject", raw, MAX_SUBJECT)
}

/// Starts a side conversation on `case` as `agent`, emailing `start.to`
/// (and copying `start.cc`).
pub async fn start(
    store: &Store,
    agent: AgentId,
    case: CaseId,
    start: Start,
) -> Result<SideConversation, ApiError> {
    let to = start
        .to
        .first()
        .ok_or_else(|| Invalid::new("to", "name at least one address"))?
        .as_str()
        .to_owned();
    let with: Vec<String> = start
        .to
        .iter()
        .chain(&start.cc)
        .map(|a| a.as_str().to_owned())
        .collect();
    if with.len() > MAX_PARTICIPANTS {
        return Err(Invalid::new(
            "cc",
            format!("a side conversation is held with at most {MAX_PARTICIPANTS} addresses"),
        )
        .into());
    }
    store.case(case).await?;
    let inbox = sending_inbox(store, case).await?;
    let inboxes = store.inboxes().await?;
    if inboxes.iter().any(|i| with.contains(&i.address)) {
        return Err(Invalid::new("to", "a side conversation is held with people outside").into());
    }
    let mut msg = note(agent, start.body);
    crate::replies::sign(store, &inbox, case, &mut msg).await?;
    let copies = Copies {
        cc: with[1..].to_vec(),
        bcc: Vec::new(),
    };
    let subject = start.subject.clone();
    let render = Box::new(move |side: SideConversationId, msg: &mut NewMessage| {
        Letter {
            inbox: &inbox,
            to: &to,
            copies: &copies,
            subject,
            references: &[],
            sender: Sender::Person,
            side: Some(side),
        }
        .write(case, msg)
    });
    let new = NewSideConversation {
        case_id: case,
        agent,
        subject: start.subject,
        with,
        message: msg,
    };
    Ok(store.start_side_conversation(new, render).await?)
}

/// Adds `body` by `agent` to side conversation `id`, emailed to its
/// participants (the first as recipient, the others copied).
pub async fn reply(
    store: &Store,
    agent: AgentId,
    id: SideConversationId,
    body: String,
) -> Result<Message, ApiError> {
    let side = store.side_conversation(id).await?;
    let (first, rest) = side
        .participants
        .split_first()
        .ok_or_else(|| Invalid::new("body", "this side conversation has nobody to write to"))?;
    let inbox = sending_inbox(store, side.case_id).await?;
    let references = store.side_references(id).await?;
    let mut msg = note(agent, body);
    crate::replies::sign(store, &inbox, side.case_id, &mut msg).await?;
    let copies = Copies {
        cc: rest.to_vec(),
        bcc: Vec::new(),
    };
    let mail = Letter {
        inbox: &inbox,
        to: first,
        copies: &copies,
        subject: format!("Re: {}", side.subject),
        references: &references,
        sender: Sender::Person,
        side: Some(id),
    }
    .write(side.case_id, &mut msg)
    .map_err(|e| Invalid::new("body", e))?;
    Ok(store.add_side_message(id, msg, mail).await?)
}

/// An agent's internal message, sent by email.
fn note(agent: AgentId, body: String) -> NewMessage {
    NewMessage::text(Actor::agent(agent), Channel::Email, true, body)
}
