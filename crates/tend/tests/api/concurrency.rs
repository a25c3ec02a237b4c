//! Concurrent writes: on SQLite they share group commits, where one failing
//! request must undo only its own writes.

use crate::harness::{Backend, Reply, TestServer};
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(concurrent_creates_fail_alone);

async fn concurrent_creates_fail_alone(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let mut senders = tokio::task::JoinSet::new();
    for i in 0..60 {
        // Every third request names a customer that does not exist.
        let customer_id = if i % 3 == 0 { 999_999 } else { ann };
        let request = t
            .http
            .post(format!("{}/api/v1/cases", t.base))
            .bearer_auth(&t.admin)
            .json(&json!({"subject": format!("case {i}"), "customer_id": customer_id, "message": "hello"}));
        senders.spawn(async move { (i, Reply::from(request.send().await.unwrap()).await) });
    }
    let mut created = std::collections::BTreeSet::new();
    for (i, reply) in senders.join_all().await {
        if i % 3 == 0 {
            assert_eq!(
                reply.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
                "customer_id"
            );
        } else {
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
            assert_eq!(reply.body["subject"], format!("case {i}"));
            created.insert(reply.id());
        }
    }
    assert_eq!(created.len(), 40);
    let listed: std::collections::BTreeSet<i64> = t
        .all("/api/v1/cases")
        .await
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, created, "exactly the successful creates are stored");
    for id in created {
        let messages = t.all(&format!("/api/v1/cases/{id}/messages")).await;
        assert_eq!(messages.len(), 1, "case {id} has its first message");
    }
}
