use crate::harness::{Backend, Reply, TestServer};
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(retried_posts_never_create_duplicates);

async fn post_with_key(t: &TestServer, path: &str, key: &str, body: &serde_json::Value) -> Reply {
    let res = t
        .http
        .post(format!("{}{path}", t.base))
        .bearer_auth(&t.admin)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    Reply::from(res).await
}

async fn retried_posts_never_create_duplicates(b: Backend) {
    let t = TestServer::start(b).await;
    let customer = json!({"name": "Ann", "email": "ann@example.com"});
    let first = post_with_key(&t, "/api/v1/customers", "cust-1", &customer).await;
    let again = post_with_key(&t, "/api/v1/customers", "cust-1", &customer).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.id(), first.id());
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert!(first.headers.get("idempotent-replayed").is_none());
    let ann = first.id();

    let case = json!({"subject": "Refund", "customer_id": ann, "message": "Please"});
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = t
            .http
            .post(format!("{}/api/v1/cases", t.base))
            .bearer_auth(&t.admin)
            .header("Idempotency-Key", "case-1")
            .json(&case);
        racers.spawn(async move { Reply::from(request.send().await.unwrap()).await });
    }
    let replies = racers.join_all().await;
    let ids: std::collections::BTreeSet<i64> = replies
        .iter()
        .map(|r| {
            assert!(
                r.status == StatusCode::CREATED || r.status == StatusCode::CONFLICT,
                "{}",
                r.body
            );
            r.body["id"].as_i64().unwrap_or(0)
        })
        .filter(|id| *id != 0)
        .collect();
    assert_eq!(ids.len(), 1, "concurrent retries share one case: {ids:?}");
    assert_eq!(t.all("/api/v1/cases").await.len(), 1);
    let case_id = *ids.iter().next().unwrap();

    let other = post_with_key(
        &t,
        "/api/v1/cases",
        "case-1",
        &json!({"subject": "Different", "customer_id": ann, "message": "x"}),
    )
    .await;
    assert_eq!(
        other.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "Idempotency-Key"
    );
    let reply = json!({"body": "On it"});
    let path = format!("/api/v1/cases/{case_id}/messages");
    let m1 = post_with_key(&t, &path, "msg-1", &reply).await;
    let m2 = post_with_key(&t, &path, "msg-1", &reply).await;
    assert_eq!(m1.id(), m2.id());
    assert_eq!(t.all(&path).await.len(), 2, "customer message + one reply");
    let asked = json!({"type": "identity_requested", "reason": "address change"});
    let events = format!("/api/v1/cases/{case_id}/events");
    let e1 = post_with_key(&t, &events, "ev-1", &asked).await;
    let e2 = post_with_key(&t, &events, "ev-1", &asked).await;
    assert_eq!(e1.status, StatusCode::CREATED, "{}", e1.body);
    assert_eq!(e1.id(), e2.id(), "a retried effort event is recorded once");
    assert_eq!(
        e2.headers["location"],
        format!("/api/v1/events/{}", e1.id()).as_str()
    );
    assert_eq!(
        t.get(&format!("/api/v1/events/{}", e1.id())).await.body,
        e1.body
    );
    let kinds: Vec<_> = t
        .all(&events)
        .await
        .into_iter()
        .filter(|e| e["data"]["type"] == "identity_requested")
        .collect();
    assert_eq!(kinds.len(), 1);
    let bad = post_with_key(
        &t,
        "/api/v1/customers",
        &"k".repeat(300),
        &json!({"name": "B", "email": "b@example.com"}),
    )
    .await;
    assert_eq!(
        bad.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "Idempotency-Key"
    );
}
