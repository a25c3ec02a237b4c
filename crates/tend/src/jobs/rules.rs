//! The rule jobs: `rule_timer` lets a waiting rule act at its moment, and
//! `rule_reply` sends a rule's canned reply (rendered as email like an
//! agent's reply, which the store cannot do inside the rule's write). A
//! canned reply that can no longer be sent is recorded as the rule's error.

use super::{JobError, payload_id};
use crate::replies::{CopyRequest, outbound_for};
use tend_domain::canned::{Context, expand};
use tend_domain::event::Actor;
use tend_domain::ids::CaseId;
use tend_store::Store;
use tend_store::jobs::{Failure, Job};
use tend_store::messages::NewMessage;

/// Who `{{agent.name}}` is in a reply a rule sends.
const RULE_SIGNATURE: &str = "the support team";

/// Lets the job's waiting rule act on its case.
pub(super) async fn timer(store: Store, job: Job) -> Result<(), JobError> {
    let rule_id = payload_id(&job, "rule_id")?;
    let case = CaseId(payload_id(&job, "case_id")?);
    let seq = payload_id(&job, "seq")?;
    let acted = store
        .run_rule_timer(rule_id, case, seq, store.clock().now())
        .await?;
    tracing::info!(rule = rule_id, %case, acted, "rule timer");
    Ok(())
}

/// Sends the job's canned reply on its case, as the rule.
pub(super) async fn reply(store: Store, job: Job) -> Result<(), JobError> {
    let rule_id = payload_id(&job, "rule_id")?;
    let case = CaseId(payload_id(&job, "case_id")?);
    let canned = payload_id(&job, "canned_reply_id")?;
    match send(&store, rule_id, case, canned).await {
        Err(e) if e.failure == Failure::Permanent => {
            store
                .record_rule_failure(rule_id, case, format!("canned reply: {e}"))
                .await?;
            Ok(())
        }
        other => other,
    }
}

async fn send(store: &Store, rule_id: i64, id: CaseId, canned: i64) -> Result<(), JobError> {
    let reply = store.canned_reply(canned).await?;
    let case = store.case(id).await?;
    let customer = store.customer(case.customer_id).await?;
    let body = expand(
        &reply.body,
        &Context {
            customer_name: &customer.name,
            case_reference: &case.reference,
            case_subject: &case.subject,
            agent_name: RULE_SIGNATURE,
            inbox_name: None,
        },
    );
    let mut msg = NewMessage::text(Actor::rule(rule_id), case.channel, false, body);
    let outbound = outbound_for(store, id, &mut msg, CopyRequest::default())
        .await
        .map_err(JobError::permanent)?;
    store
        .add_message(id, msg, outbound, None)
        .await
        .map_err(|e| match e {
            tend_store::StoreError::State(message) => JobError::permanent(message),
            other => other.into(),
        })?;
    Ok(())
}
