//! Who takes part in a case, for email: a message joins a case only when its
//! sender does. A subject tag, a References header or a plus address names a
//! case but proves nothing about who wrote the message.

use crate::Result;
use crate::tx::{Tx, args};
use tend_domain::email::EmailAddress;
use tend_domain::ids::{CaseId, CustomerId};

/// Most of a case's customer messages whose Cc lists are read.
const MAX_CC_MESSAGES: i64 = 200;

/// Whether `sender` (the customer record of `address`) takes part in `case`:
/// its customer (from any of their contact points), the customer of a case
/// merged into it, a colleague when their organisation shares cases, an
/// address Tend's own mail on the case went to (or copied, Cc or Bcc) outside
/// its side conversations, or one the case's customer copied in (Cc). A third
/// party in a side conversation takes part in that conversation only
/// ([`crate::side_conversations::is_participant`]).
pub(crate) async fn is_participant(
    tx: &mut Tx,
    case: CaseId,
    sender: CustomerId,
    address: &EmailAddress,
) -> Result<bool> {
    let Some(row) = tx
        .fetch_optional(
            "SELECT c.customer_id, owner.organization_id AS owner_org, me.organization_id AS my_org, \
             o.share_cases FROM cases c JOIN customers owner ON owner.id = c.customer_id \
             JOIN customers me ON me.id = $2 \
             LEFT JOIN organizations o ON o.id = owner.organization_id WHERE c.id = $1",
            args![case.0, sender.0],
        )
        .await?
    else {
        return Ok(false);
    };
    let owner = CustomerId(row.int("customer_id")?);
    if owner == sender {
        return Ok(true);
    }
    let same_org = matches!(
        (row.opt_int("owner_org")?, row.opt_int("my_org")?),
        (Some(a), Some(b)) if a == b
    );
    if same_org && row.opt_int("share_cases")?.unwrap_or(0) != 0 {
        return Ok(true);
    }
    let merged_owner = tx
        .fetch_optional(
            "SELECT id FROM cases WHERE merged_into_id = $1 AND customer_id = $2 LIMIT 1",
            args![case.0, sender.0],
        )
        .await?;
    if merged_owner.is_some() {
        return Ok(true);
    }
    let mailed = tx
        .fetch_optional(
            "SELECT o.id FROM outbound_mail o JOIN messages m ON m.id = o.message_id \
             WHERE m.case_id = $1 AND m.side_conversation_id IS NULL AND (o.recipient = $2 OR EXISTS (SELECT 1 FROM outbound_copies k \
             WHERE k.outbound_id = o.id AND k.address = $2)) LIMIT 1",
            args![case.0, address.as_str()],
        )
        .await?;
    if mailed.is_some() {
        return Ok(true);
    }
    copied_in(tx, case, owner, address).await
}

/// Whether the case's customer copied `address` in on one of their emails.
async fn copied_in(
    tx: &mut Tx,
    case: CaseId,
    owner: CustomerId,
    address: &EmailAddress,
) -> Result<bool> {
    let rows = tx
        .fetch_all(
            "SELECT email_cc FROM messages WHERE case_id = $1 AND author_kind = 'customer' \
             AND author_id = $2 AND email_cc IS NOT NULL ORDER BY id DESC LIMIT $3",
            args![case.0, owner.0, MAX_CC_MESSAGES],
        )
        .await?;
    for row in rows {
        let Some(cc) = row.opt_text("email_cc")? else {
            continue;
        };
        let listed: Vec<String> = serde_json::from_str(&cc).unwrap_or_default();
        if listed.iter().any(|a| a == address.as_str()) {
            return Ok(true);
        }
    }
    Ok(false)
}
