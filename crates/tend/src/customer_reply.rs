//! A message the business sends the customer on a case outside the reply
//! box (a quote, an appointment's confirmation or reminder): gathered
//! before the write transaction, rendered inside it once what it is about
//! has its id, and emailed when the case has an email conversation,
//! signed and copying whom the conversation copies.

use crate::mail::outbound::{Copies, Sender, reply_email};
use crate::replies::{Names, sign_with, signature_of};
use tend_domain::Invalid;
use tend_domain::case::Channel;
use tend_domain::event::Actor;
use tend_domain::ids::{AgentId, CaseId};
use tend_store::messages::{NewAttachment, NewMessage};
use tend_store::outbound::{OutboundEmail, ReplyContext};
use tend_store::{Store, StoreError};

/// Everything a customer message on one case is made with.
pub struct CustomerReply {
    /// The name it goes out under: the case's inbox, else the brand.
    pub business: String,
    pub case: CaseId,
    pub subject: String,
    channel: Channel,
    /// The agent who sends it; Tend itself when `None`.
    agent: Option<AgentId>,
    agent_name: String,
    pub customer_name: String,
    pub customer_email: Option<String>,
    /// The address it comes from, when emailed: the case's inbox's.
    pub from_address: Option<String>,
    signature: String,
    ctx: Option<ReplyContext>,
}

impl CustomerReply {
    /// Gathers what a message on `case` from `agent` (or from Tend) needs;
    /// `business` is the name used when the case has no inbox.
    pub async fn prepare(
        store: &Store,
        case: CaseId,
        agent: Option<AgentId>,
        business: &str,
    ) -> Result<CustomerReply, StoreError> {
        let case = store.case(case).await?;
        let ctx = store.reply_context(case.id).await?;
        let customer = store.customer(case.customer_id).await?;
        let business = ctx
            .as_ref()
            .map_or(business, |c| c.inbox.name.as_str())
            .to_owned();
        let agent_name = match agent {
            Some(agent) => store.agent(agent).await?.name,
            None => business.clone(),
        };
        let signature = match &ctx {
            Some(ctx) => signature_of(store, &ctx.inbox, agent).await?,
            None => String::new(),
        };
        Ok(CustomerReply {
            business,
            case: case.id,
            subject: case.subject,
            channel: case.channel,
            agent,
            agent_name,
            customer_email: ctx.as_ref().map(|c| c.recipient.clone()),
            from_address: ctx.as_ref().map(|c| c.inbox.address.clone()),
            customer_name: customer.name,
            signature,
            ctx,
        })
    }

    /// The message with `body` and `attachments`, and its email if the
    /// case has an email conversation.
    pub fn render(
        &self,
        body: String,
        attachments: Vec<NewAttachment>,
    ) -> Result<(NewMessage, Option<OutboundEmail>), Invalid> {
        let (author, sender) = match self.agent {
            Some(agent) => (Actor::agent(agent), Sender::Person),
            None => (Actor::system(), Sender::Automatic),
        };
        let mut msg = NewMessage {
            attachments,
            ..NewMessage::text(author, self.channel, false, body)
        };
        let Some(ctx) = &self.ctx else {
            return Ok((msg, None));
        };
        let names = Names {
            customer: &self.customer_name,
            agent: &self.agent_name,
            case: self.case,
            subject: &self.subject,
        };
        sign_with(&mut msg, &self.signature, &ctx.inbox, &names);
        let copies = Copies {
            cc: ctx.cc.clone(),
            bcc: Vec::new(),
        };
        let mail = reply_email(ctx, self.case, &mut msg, sender, &copies)
            .map_err(|e| Invalid::new("email", e))?;
        Ok((msg, Some(mail)))
    }
}
