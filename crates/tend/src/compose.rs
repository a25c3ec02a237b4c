//! Email an agent starts rather than answers, shared by the REST API and
//! the web UI: a case opened by writing to a customer, and a message (or a
//! whole case) forwarded to any address. Both are stored on their case
//! with the email that carries them, in one write.

use crate::http::error::ApiError;
use crate::mail::outbound::{Copies, Letter, Sender};
use crate::replies::sign_with;
use std::collections::HashMap;
use tend_domain::Invalid;
use tend_domain::case::{Channel, Priority};
use tend_domain::customer::ContactKind;
use tend_domain::email::EmailAddress;
use tend_domain::event::{Actor, ActorKind};
use tend_domain::ids::{AgentId, CaseId, CustomerId, MessageId, TeamId};
use tend_store::cases::NewCase;
use tend_store::customers::NewCustomer;
use tend_store::email::Inbox;
use tend_store::idempotency::IdempotencyKey;
use tend_store::messages::{NewAttachment, NewMessage};
use tend_store::model::{Case, ContactPoint, Message};
use tend_store::{Store, StoreError};

/// Most messages a forwarded case carries.
const MAX_FORWARDED_MESSAGES: i64 = 200;
/// Most bytes of attachments one forward carries.
const MAX_FORWARDED_BYTES: usize = 25 * 1024 * 1024;

/// A case an agent opens by writing to a customer.
pub struct Outreach {
    pub inbox_id: i64,
    /// The customer's address: a known customer's, or a new customer's.
    pub to: EmailAddress,
    /// The name of a new customer (a known one keeps theirs).
    pub name: Option<String>,
    pub subject: String,
    pub message: NewMessage,
    pub copies: Copies,
    pub priority: Priority,
    pub team_id: Option<TeamId>,
}

/// Opens the case `out` describes, as `agent`, and queues its email from
/// the chosen inbox; the customer is found by address or added.
pub async fn open_case(
    store: &Store,
    agent: AgentId,
    out: Outreach,
    idem: Option<&IdempotencyKey>,
) -> Result<Case, StoreError> {
    let inbox = chosen_inbox(store, out.inbox_id).await?;
    let customer = customer_for(store, &out.to, out.name.as_deref()).await?;
    let signature = crate::replies::signature_of(store, &inbox, Some(agent)).await?;
    let new = NewCase {
        subject: out.subject.clone(),
        customer_id: customer,
        channel: Channel::Email,
        priority: out.priority,
        tags: Vec::new(),
        team_id: out.team_id,
        assignee_id: Some(agent),
        agreement_id: None,
        custom_fields: serde_json::Map::new(),
        message: out.message,
        follows: None,
    };
    let customer_name = store.customer(customer).await?.name;
    let agent_name = store.agent(agent).await?.name;
    let (to, copies, subject) = (out.to, out.copies, out.subject);
    let render = Box::new(move |case: CaseId, msg: &mut NewMessage| {
        let names = crate::replies::Names {
            customer: &customer_name,
            agent: &agent_name,
            case,
            subject: &subject,
        };
        sign_with(msg, &signature, &inbox, &names);
        Letter {
            inbox: &inbox,
            to: to.as_str(),
            copies: &copies,
            subject: subject.clone(),
            references: &[],
            sender: Sender::Person,
            side: None,
        }
        .write(case, msg)
    });
    store
        .open_outbound_case(new, Actor::agent(agent), idem, render)
        .await
}

/// What to forward, and to whom.
pub struct Forward {
    pub to: Vec<EmailAddress>,
    pub cc: Vec<EmailAddress>,
    /// One message of the case; `None` forwards the whole conversation
    /// (every message the customer sees, oldest first).
    pub message: Option<MessageId>,
    /// What the agent writes above the forwarded text.
    pub note: String,
}

/// Forwards from case `case`, as `agent`: an email to `fwd.to` with the
/// forwarded text and attachments, kept on the case as an internal
/// message (the customer never sees it) with its delivery.
pub async fn forward(
    store: &Store,
    agent: AgentId,
    case: CaseId,
    fwd: Forward,
) -> Result<Message, ApiError> {
    let (first, rest) = fwd
        .to
        .split_first()
        .ok_or_else(|| Invalid::new("to", "name at least one address"))?;
    let the_case = store.case(case).await?;
    let forwarded = forwarded_messages(store, case, fwd.message).await?;
    let inbox = sending_inbox(store, case).await?;
    let mut body = fwd.note.trim_end().to_owned();
    let mut attachments = Vec::new();
    let mut bytes = 0;
    let authors = Authors::load(store).await?;
    for m in &forwarded {
        body.push_str(&format!(
            "\n\n---------- Forwarded message ----------\nFrom: {}\nDate: {}\nSubject: {}\n\n{}",
            authors.name(store, m).await?,
            m.created_at.strftime("%a, %d %b %Y %H:%M UTC"),
            the_case.subject,
            m.body_text.trim_end()
        ));
        for a in &m.attachments {
            bytes += a.size.max(0) as usize;
            if bytes > MAX_FORWARDED_BYTES {
                return Err(Invalid::new(
                    "message_id",
                    "the attachments come to more than 25 MiB: forward fewer messages",
                )
                .into());
            }
            attachments.push(NewAttachment {
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                data: store.blob(&a.sha256).await?,
                content_id: None,
            });
        }
    }
    let mut msg = NewMessage {
        attachments,
        ..NewMessage::text(Actor::agent(agent), Channel::Email, true, body)
    };
    let copies = Copies {
        cc: rest
            .iter()
            .chain(&fwd.cc)
            .map(|a| a.as_str().to_owned())
            .collect(),
        bcc: Vec::new(),
    };
    crate::replies::sign(store, &inbox, case, &mut msg).await?;
    let mail = Letter {
        inbox: &inbox,
        to: first.as_str(),
        copies: &copies,
        subject: format!("Fwd: {}", the_case.subject),
        references: &[],
        sender: Sender::Person,
        side: None,
    }
    .write(case, &mut msg)
    .map_err(|e| Invalid::new("to", e))?;
    Ok(store.add_message(case, msg, Some(mail), None).await?)
}

/// The inbox Tend's mail about `case` goes out from: the customer's
/// conversation's, else the first inbox.
pub(crate) async fn sending_inbox(store: &Store, case: CaseId) -> Result<Inbox, ApiError> {
    Ok(match store.reply_context(case).await? {
        Some(ctx) => ctx.inbox,
        None => store
            .first_inbox()
            .await?
            .ok_or_else(|| Invalid::new("to", "there is no inbox to send from"))?,
    })
}

/// The messages a forward carries: `one` (which must be on the case and
/// not an internal note), or every message the customer sees.
async fn forwarded_messages(
    store: &Store,
    case: CaseId,
    one: Option<MessageId>,
) -> Result<Vec<Message>, ApiError> {
    match one {
        Some(id) => {
            let m = store.message(id).await?;
            if m.case_id != case || m.internal {
                return Err(Invalid::new(
                    "message_id",
                    format!(
                        "message {} is not a message of case {case} the customer sees",
                        id.0
                    ),
                )
                .into());
            }
            Ok(vec![m])
        }
        None => Ok(store
            .messages(case, None, MAX_FORWARDED_MESSAGES)
            .await?
            .data
            .into_iter()
            .filter(|m| !m.internal)
            .collect()),
    }
}

/// Names of who wrote forwarded messages.
struct Authors {
    agents: HashMap<AgentId, String>,
}

impl Authors {
    async fn load(store: &Store) -> Result<Self, ApiError> {
        let agents = store.agents().await?;
        Ok(Authors {
            agents: agents.into_iter().map(|a| (a.id, a.name)).collect(),
        })
    }

    /// "Ann Lee <ann@example.com>" for an email, the agent's or customer's
    /// name otherwise.
    async fn name(&self, store: &Store, m: &Message) -> Result<String, ApiError> {
        let name = match (m.author.kind, m.author.id) {
            (ActorKind::Agent, Some(id)) => self.agents.get(&AgentId(id)).cloned(),
            (ActorKind::Customer, Some(id)) => Some(store.customer(CustomerId(id)).await?.name),
            _ => None,
        }
        .unwrap_or_else(|| "Tend".into());
        Ok(match &m.email {
            Some(email) if m.author.kind == ActorKind::Customer => {
                format!("{name} <{}>", email.from)
            }
            _ => name,
        })
    }
}

/// Inbox `id`, named in the error when there is none.
async fn chosen_inbox(store: &Store, id: i64) -> Result<Inbox, StoreError> {
    match store.inbox(id).await {
        Err(StoreError::NotFound(_)) => {
            Err(Invalid::new("inbox_id", format!("no inbox with id {id}")).into())
        }
        other => other,
    }
}

/// The customer with email address `to`, added (named `name`, else by
/// the address) when nobody has it.
async fn customer_for(
    store: &Store,
    to: &EmailAddress,
    name: Option<&str>,
) -> Result<CustomerId, StoreError> {
    if let Some(id) = store
        .customer_id_by_contact(ContactKind::Email, to.as_str())
        .await?
    {
        return Ok(id);
    }
    let new = NewCustomer {
        name: name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(to.as_str())
            .to_owned(),
        organization_id: None,
        contact_points: vec![ContactPoint::email(to)],
    };
    match store.create_customer(&new, None).await {
        Ok(customer) => Ok(customer.id),
        // Added meanwhile by another request: theirs is the customer.
        Err(StoreError::Conflict {
            existing_id: Some(id),
            ..
        }) => Ok(CustomerId(id)),
        Err(e) => Err(e),
    }
}
