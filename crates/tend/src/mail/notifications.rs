//! Notifications by email: the `notification_email` job, which the store
//! queues with a notification for an agent who wants email (at once, or at
//! the next full hour for a digest). It emails the agent what is waiting
//! (unread, not yet emailed): one notification as its own email, several
//! as one digest. The email is queued, and what it lists marked emailed,
//! in one transaction, so nothing is emailed twice. It is sent from the
//! first inbox's address; without an inbox nothing can be sent and the
//! notifications stay in the workspace.

use super::outbound::system_email;
use crate::jobs::outcome::{JobError, payload_id};
use std::fmt::Write as _;
use tend_domain::ids::AgentId;
use tend_domain::notification::EmailNotifications;
use tend_store::Store;
use tend_store::jobs::Job;
use tend_store::notifications::Notification;

/// Runs a `notification_email` job; links point to `public_url`.
pub async fn run(store: Store, job: Job, public_url: &str) -> Result<(), JobError> {
    let agent = AgentId(payload_id(&job, "agent_id")?);
    let outgoing = store
        .notifications_to_email(agent, tend_store::now())
        .await?;
    if outgoing.preference == EmailNotifications::Off || outgoing.items.is_empty() {
        return Ok(());
    }
    let Some(inbox) = store.first_inbox().await? else {
        tracing::info!(%agent, "notifications not emailed: there is no inbox to send from");
        return Ok(());
    };
    let (subject, text) = compose(&outgoing.name, &outgoing.items, public_url);
    let mail =
        system_email(&inbox, &outgoing.email, &subject, text).map_err(JobError::permanent)?;
    let ids = outgoing.items.iter().map(|n| n.id).collect();
    if !store.record_notifications_emailed(agent, ids, mail).await? {
        tracing::info!(%agent, "notifications already emailed by another run");
    }
    Ok(())
}

/// The subject and text of the email telling `name` about `items`.
fn compose(name: &str, items: &[Notification], public_url: &str) -> (String, String) {
    let base = public_url.trim_end_matches('/');
    let subject = match items {
        [one] => format!("[Tend] {}", tend_domain::text::preview(&one.text, 120)),
        many => format!("[Tend] {} notifications", many.len()),
    };
    let mut text = format!("Hello {name},\n\n");
    if items.len() > 1 {
        let _ = writeln!(text, "this happened while you were away:\n");
    }
    for n in items {
        let _ = writeln!(text, "- {}\n  {base}/notifications/{}\n", n.text, n.id);
    }
    let _ = write!(
        text,
        "All your notifications: {base}/notifications\n\
         Choose how you get them by email on {base}/account\n\n(This is an automatic message.)\n"
    );
    (subject, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tend_domain::ids::CaseId;
    use tend_domain::notification::NotificationKind;

    fn item(id: i64, text: &str) -> Notification {
        Notification {
            id,
            agent_id: AgentId(1),
            kind: NotificationKind::Assigned,
            case_id: CaseId(3),
            text: text.into(),
            event_id: None,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            read_at: None,
        }
    }

    #[test]
    fn one_notification_is_its_own_subject_and_several_a_digest() {
        let (subject, text) = compose(
            "Ann",
            &[item(7, "Bob assigned #3 Boiler to you")],
            "http://t/",
        );
        assert_eq!(subject, "[Tend] Bob assigned #3 Boiler to you");
        assert!(text.contains("- Bob assigned #3 Boiler to you\n  http://t/notifications/7\n"));
        let (subject, text) = compose("Ann", &[item(7, "a"), item(8, "b")], "http://t");
        assert_eq!(subject, "[Tend] 2 notifications");
        assert!(text.contains("http://t/notifications/8"), "{text}");
    }
}
