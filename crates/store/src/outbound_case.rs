//! Cases an agent opens by writing to a customer: the case, its first
//! message (the agent's) and the email that carries it are one write, so a
//! case is never opened without its email, nor an email queued for a case
//! that was not stored.

use crate::cases::{NewCase, write_new_case};
use crate::idempotency::{self, IdempotencyKey};
use crate::messages::{NewMessage, write_recipients};
use crate::model::Case;
use crate::outbound::OutboundEmail;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError, blobs, customers, now};
use tend_domain::Invalid;
use tend_domain::event::Actor;
use tend_domain::ids::{CaseId, MessageId};

/// Makes the email of a new case's first message once the case's id is
/// known (its subject and Message-ID carry it); it may change the message
/// (a signature) and fills in its email details. An error names what is
/// wrong with the email, and nothing is stored.
pub type RenderFirst =
    Box<dyn FnOnce(CaseId, &mut NewMessage) -> std::result::Result<OutboundEmail, String> + Send>;

impl Store {
    /// Opens `new`, whose message an agent (`actor`) writes to the
    /// customer, and queues the email `render` makes of it.
    pub async fn open_outbound_case(
        &self,
        new: NewCase,
        actor: Actor,
        idem: Option<&IdempotencyKey>,
        render: RenderFirst,
    ) -> Result<Case> {
        self.check_case_refs(None, new.assignee_id, new.team_id, new.agreement_id)
            .await?;
        let (dialect, idem) = (self.dialect, idem.cloned());
        let id = self
            .write(move |tx| {
                Box::pin(async move {
                    customers::ensure_exists(tx, new.customer_id).await?;
                    let at = now();
                    let (id, _, message_id) = write_new_case(tx, &new, None, actor, at).await?;
                    let mut msg = new.message;
                    let mail = render(id, &mut msg).map_err(|e| Invalid::new("email", e))?;
                    attach_email(tx, message_id, &msg, &mail).await?;
                    crate::outbound::enqueue(tx, dialect, id, message_id, &mail).await?;
                    idempotency::record(tx, idem.as_ref(), "case", id.0).await?;
                    Ok(id)
                })
            })
            .await?;
        self.case(id).await
    }
}

/// Writes onto stored message `id` what its email made of it: the signed
/// body, the email details and the raw source.
async fn attach_email(
    tx: &mut Tx,
    id: MessageId,
    msg: &NewMessage,
    mail: &OutboundEmail,
) -> Result<()> {
    let email = msg
        .email
        .as_ref()
        .ok_or_else(|| StoreError::Corrupt("an outbound message without email details".into()))?;
    let raw = blobs::put(tx, &mail.raw).await?;
    let cc = serde_json::to_string(&email.cc).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(
        "UPDATE messages SET body_text = $1, body_html = $2, email_message_id = $3, email_from = $4, \
         email_subject = $5, email_cc = $6, email_inbox_id = $7, raw_sha256 = $8 WHERE id = $9",
        args![
            &msg.body_text,
            msg.body_html
                .as_ref()
                .map(|h| h.resolve(&std::collections::HashMap::new()).0),
            email.message_id.clone(),
            &email.from,
            &email.subject,
            cc,
            email.inbox_id,
            raw,
            id.0
        ],
    )
    .await?;
    write_recipients(tx, id, email).await
}
