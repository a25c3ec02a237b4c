//! Agents' messages on a case, shared by the REST API and the web UI: a
//! reply on a case with an email conversation is rendered as email (copied
//! to the conversation's other participants unless the agent chose
//! otherwise, and signed) and queued in the same write as the message.

use crate::http::error::ApiError;
use crate::mail::outbound::{Copies, Sender, reply_email};
use tend_domain::Invalid;
use tend_domain::canned::{Context, expand};
use tend_domain::email::EmailAddress;
use tend_domain::event::ActorKind;
use tend_domain::html::EmailHtml;
use tend_domain::ids::{AgentId, CaseId};
use tend_domain::promise::NewPromise;
use tend_store::Store;
use tend_store::email::Inbox;
use tend_store::messages::NewMessage;
use tend_store::outbound::OutboundEmail;
use tend_store::signatures::SignatureOf;

/// Longest message body, in characters.
pub const MAX_BODY: usize = 200_000;

/// Whom a reply copies besides the customer.
#[derive(Debug, Clone, Default)]
pub struct CopyRequest {
    /// `None`: whoever the conversation copies ("reply all").
    pub cc: Option<Vec<EmailAddress>>,
    pub bcc: Vec<EmailAddress>,
}

impl CopyRequest {
    fn names_anyone(&self) -> bool {
        self.cc.as_ref().is_some_and(|cc| !cc.is_empty()) || !self.bcc.is_empty()
    }
}

/// The email to queue with `msg`, if it is a reply on a case whose customer
/// wrote by email (or on the web); marks `msg` with the email's details and
/// ends it with the signatures. Copies asked of a note, or of a case with
/// no email conversation, are refused.
pub async fn outbound_for(
    store: &Store,
    case: CaseId,
    msg: &mut NewMessage,
    copies: CopyRequest,
) -> Result<Option<OutboundEmail>, ApiError> {
    let ctx = match msg.internal {
        true => None,
        false => store.reply_context(case).await?,
    };
    let Some(ctx) = ctx else {
        if copies.names_anyone() {
            let why = if msg.internal {
                "an internal note is never emailed, so it cannot copy anyone"
            } else {
                "this case has no email conversation, so there is nobody to copy"
            };
            return Err(Invalid::new("cc", why).into());
        }
        return Ok(None);
    };
    let strings = |list: Vec<EmailAddress>| list.into_iter().map(|a| a.as_str().to_owned());
    let copies = Copies {
        cc: copies
            .cc
            .map(|cc| strings(cc).collect())
            .unwrap_or_else(|| ctx.cc.clone()),
        bcc: strings(copies.bcc).collect(),
    };
    sign(store, &ctx.inbox, case, msg).await?;
    let mail = reply_email(&ctx, case, msg, Sender::Person, &copies)
        .map_err(|e| Invalid::new("email", e))?;
    Ok(Some(mail))
}

/// Ends `msg` (text, and HTML if it has any) with its author's signature
/// and `inbox`'s, placeholders filled in for `case`, after a `-- ` line as
/// mail programs expect.
pub async fn sign(
    store: &Store,
    inbox: &Inbox,
    case: CaseId,
    msg: &mut NewMessage,
) -> Result<(), ApiError> {
    let agent = match (msg.author.kind, msg.author.id) {
        (ActorKind::Agent, Some(id)) => Some(store.agent(AgentId(id)).await?),
        _ => None,
    };
    let signature = signature_of(store, inbox, agent.as_ref().map(|a| a.id)).await?;
    if signature.is_empty() {
        return Ok(());
    }
    let case = store.case(case).await?;
    let customer = store.customer(case.customer_id).await?;
    let names = Names {
        customer: &customer.name,
        agent: agent.as_ref().map_or(inbox.name.as_str(), |a| &a.name),
        case: case.id,
        subject: &case.subject,
    };
    sign_with(msg, &signature, inbox, &names);
    Ok(())
}

/// The signature email from `inbox` by `agent` (or by Tend) ends with,
/// placeholders not yet filled in: the agent's, then the inbox's; empty
/// when neither has one.
pub async fn signature_of(
    store: &Store,
    inbox: &Inbox,
    agent: Option<AgentId>,
) -> Result<String, tend_store::StoreError> {
    let mut parts = Vec::new();
    if let Some(agent) = agent {
        parts.push(store.signature(SignatureOf::Agent(agent)).await?);
    }
    parts.push(store.signature(SignatureOf::Inbox(inbox.id)).await?);
    parts.retain(|p| !p.is_empty());
    Ok(parts.join("\n"))
}

/// What a signature's placeholders stand for.
pub struct Names<'a> {
    pub customer: &'a str,
    pub agent: &'a str,
    pub case: CaseId,
    pub subject: &'a str,
}

/// Ends `msg` with `signature` (see [`signature_of`]) filled in with
/// `names`; nothing when it is empty.
pub fn sign_with(msg: &mut NewMessage, signature: &str, inbox: &Inbox, names: &Names<'_>) {
    if signature.is_empty() {
        return;
    }
    let reference = format!("#{}", names.case);
    let context = Context {
        customer_name: names.customer,
        case_reference: &reference,
        case_subject: names.subject,
        agent_name: names.agent,
        inbox_name: Some(&inbox.name),
    };
    let signature = expand(signature, &context);
    msg.body_text = format!("{}\n\n-- \n{signature}", msg.body_text.trim_end());
    if let Some(html) = &msg.body_html {
        let lines = tend_domain::links::linked_text(&signature).replace('\n', "<br>");
        msg.body_html = Some(EmailHtml::untrusted(&format!(
            "{}<div class=\"signature\">-- <br>{lines}</div>",
            html.as_str()
        )));
    }
}

/// Ends a reply's text (and HTML, if any) with the promise it makes, when
/// the customer is to see it: "Our promise: …, by Friday 11 December,
/// 17:00 UTC."
pub fn state_promise(body: &mut String, body_html: Option<&mut String>, promise: &NewPromise) {
    if !promise.visible_to_customer {
        return;
    }
    let line = promise.customer_line();
    body.push_str(&format!("\n\n{line}"));
    if let Some(html) = body_html {
        html.push_str(&format!(
            "<p>{}</p>",
            tend_domain::links::linked_text(&line)
        ));
    }
}
