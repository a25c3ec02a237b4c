//! Frustration signals (issue 15): each customer message is scored as it
//! arrives, recorded as a `frustration_scored` event, and the latest score
//! kept on the case (API, `frustration` column, case page badge).

use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;
use tend_domain::case::Channel;
use tend_domain::event::Actor;
use tend_domain::ids::{CaseId, CustomerId};
use tend_store::messages::NewMessage;

crate::both_backends!(
    a_frustrated_message_is_scored_recorded_and_shown,
    a_calm_case_records_nothing_and_a_calm_reply_resets_the_score,
);

async fn scored(t: &TestServer, case: i64) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .into_iter()
        .map(|e| e["data"].clone())
        .filter(|d| d["type"] == "frustration_scored")
        .collect()
}

/// The case row's `frustration` column, read directly.
async fn column(t: &TestServer, b: Backend, case: i64) -> i64 {
    use sqlx::{Connection, Row};
    let sql = "SELECT frustration FROM cases WHERE id = $1";
    match b {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&t.database().url)
                .await
                .unwrap();
            let sql = sql.replace("$1", "?1");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(case)
                .fetch_one(&mut conn)
                .await
                .unwrap()
                .get("frustration")
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&t.database().url)
                .await
                .unwrap();
            sqlx::query(sql)
                .bind(case)
                .fetch_one(&mut conn)
                .await
                .unwrap()
                .get("frustration")
        }
    }
}

/// A message from the customer, as a channel would write it.
async fn customer_writes(t: &TestServer, case: i64, customer: i64, text: &str) {
    let msg = NewMessage::text(
        Actor::customer(CustomerId(customer)),
        Channel::Email,
        false,
        text.into(),
    );
    t.store
        .add_message(CaseId(case), msg, None, None)
        .await
        .unwrap();
}

async fn a_frustrated_message_is_scored_recorded_and_shown(b: Backend) {
    let t = TestServer::start(b).await;
    let cora = t.customer("Cora", "cora@example.com").await;
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Invoice", "customer_id": cora,
                   "message": "This is the third time I write about this invoice. Still not fixed!!!"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case = r.id();
    let score = r.body["frustration"].as_i64().unwrap();
    assert!(score >= 30, "{}", r.body);
    let signals = r.body["frustration_signals"].clone();
    for s in ["third time", "still not", "!!!"] {
        assert!(signals.as_array().unwrap().contains(&json!(s)), "{signals}");
    }
    // The event names the first message (filled in on both write paths).
    let events = scored(&t, case).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let messages = t.all(&format!("/api/v1/cases/{case}/messages")).await;
    assert_eq!(events[0]["message_id"], messages[0]["id"]);
    assert_eq!(events[0]["score"], score);
    assert_eq!(column(&t, b, case).await, score);
    let got = t.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(got.body["frustration"], score);

    // A follow-up chaser raises the contact count and is scored too.
    customer_writes(&t, case, cora, "Hello?? Anyone there? Nobody answers.").await;
    let events = scored(&t, case).await;
    assert_eq!(events.len(), 2);
    let latest = events[1]["score"].as_i64().unwrap();
    assert!(
        events[1]["signals"]
            .as_array()
            .unwrap()
            .contains(&json!("2nd contact")),
        "{events:?}"
    );
    assert_eq!(column(&t, b, case).await, latest);

    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = ann.get(&format!("/cases/{case}")).await;
    assert!(
        page.html.contains(&format!("Frustrated · {latest}")),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("nobody answers"),
        "the phrases are shown"
    );
    assert!(
        !page.html.contains("Frustration scored"),
        "no event line for scores"
    );
}

async fn a_calm_case_records_nothing_and_a_calm_reply_resets_the_score(b: Backend) {
    let t = TestServer::start(b).await;
    let cora = t.customer("Cora", "cora@example.com").await;
    let calm = t
        .case(
            cora,
            "Printer",
            "Hi, my printer shows error 52. Could you help?",
        )
        .await;
    assert!(scored(&t, calm).await.is_empty());
    let r = t.get(&format!("/api/v1/cases/{calm}")).await;
    assert_eq!(r.body["frustration"], 0);
    assert_eq!(r.body["frustration_signals"], json!([]));

    let angry = t
        .case(
            cora,
            "Refund",
            "Still waiting for my refund. This is unacceptable!!",
        )
        .await;
    assert!(
        t.get(&format!("/api/v1/cases/{angry}")).await.body["frustration"]
            .as_i64()
            .unwrap()
            >= 30
    );
    // An agent's reply is not scored; the customer's calm answer resets.
    let r = t
        .post(
            &format!("/api/v1/cases/{angry}/messages"),
            json!({"body": "Sorry! Refunded today."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(scored(&t, angry).await.len(), 1);
    customer_writes(&t, angry, cora, "Received it, thank you.").await;
    let events = scored(&t, angry).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["score"], 0);
    assert_eq!(
        t.get(&format!("/api/v1/cases/{angry}")).await.body["frustration"],
        0
    );
    assert_eq!(column(&t, b, angry).await, 0);
    // Writing again before anyone answered counts the contacts.
    customer_writes(&t, angry, cora, "Have a nice day.").await;
    let events = scored(&t, angry).await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[2]["signals"], json!(["3rd contact"]));
    assert_eq!(events[2]["score"], 20);
}
