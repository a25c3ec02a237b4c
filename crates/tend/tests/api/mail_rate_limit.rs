//! The per-sender rate limit on SMTP: a sender over its allowance is told
//! to retry later (450 4.7.1), its retry after the window gets through, other
//! senders are not held up, and imports are never limited.

use crate::email::{cases, send};
use crate::harness::{Backend, Options, TestServer};
use serde_json::json;
use tend_domain::email::EmailAddress;

crate::both_backends!(senders_over_the_rate_limit_retry_later_and_lose_nothing);

fn mail(from: &str, n: u32) -> String {
    format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: Question {n}\r\n\
         Message-ID: <q{n}.{from}>\r\n\r\nQuestion number {n}.\r\n"
    )
}

async fn senders_over_the_rate_limit_retry_later_and_lose_nothing(b: Backend) {
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            mail_rate_limit: Some(2),
            mail_rate_window: Some(2),
            ..Options::default()
        },
    )
    .await;
    t.post("/api/v1/inboxes", json!({"address": "support@example.com"}))
        .await;
    let ann = "ann@example.org";
    for n in 1..=2 {
        send(&t, ann, "support@example.com", &mail(ann, n))
            .await
            .unwrap();
    }
    let throttled = send(&t, "Ann@Example.org", "support@example.com", &mail(ann, 3)).await;
    let error = throttled.unwrap_err();
    assert!(
        error.contains("450") && error.contains("try again later"),
        "{error}"
    );
    assert_eq!(
        cases(&t).await.len(),
        2,
        "the throttled message is not taken"
    );
    // Someone else is not held up.
    let bob = "bob@example.org";
    send(&t, bob, "support@example.com", &mail(bob, 1))
        .await
        .unwrap();

    // Imports are never rate limited, even for a throttled sender.
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (10..13)
        .map(|n| {
            let path = dir.path().join(format!("{n}.eml"));
            std::fs::write(&path, mail(ann, n)).unwrap();
            path
        })
        .collect();
    let inbox = t
        .store
        .inbox_by_address(&EmailAddress::parse("address", "support@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    let summary = tend::mail::import::import(&t.store, &inbox, &paths, &mut std::io::sink())
        .await
        .unwrap();
    assert_eq!((summary.new_cases, summary.failed), (3, 0));

    // After the window the sending server's retry gets through.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    send(&t, ann, "support@example.com", &mail(ann, 3))
        .await
        .unwrap();
    assert_eq!(cases(&t).await.len(), 7);
}
