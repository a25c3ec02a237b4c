//! Webhooks against a receiver on 127.0.0.1 that records every request and
//! answers what the test says: deliveries carry the event, a signature the
//! secret verifies, the same delivery id on every attempt; a 500 is
//! retried after the back-off (on the store's clock); a receiver that
//! keeps refusing gets its webhook switched off and the admins told; the
//! secret is shown once and sealed at rest; bad definitions store nothing.

use crate::harness::{Backend, TestServer};
use crate::secrets::raw_column;
use axum::http::HeaderMap;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use tend_domain::agent::Role;

crate::both_backends!(
    deliveries_are_signed_and_retried_after_a_500,
    a_receiver_that_keeps_refusing_is_switched_off,
    webhook_definitions_are_checked_and_admin_only,
    admins_manage_webhooks_from_their_page,
);

/// A request the receiver got: its headers and body.
#[derive(Clone, Debug)]
struct Got {
    headers: HeaderMap,
    body: String,
}

/// A local HTTP receiver answering `status` to every POST.
struct Receiver {
    url: String,
    status: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start(status: u16) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(AtomicU16::new(status));
        let (log, code) = (got.clone(), answer.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (log, code) = (log.clone(), code.clone());
                async move {
                    log.lock().unwrap().push(Got { headers, body });
                    StatusCode::from_u16(code.load(Ordering::SeqCst)).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url,
            status: answer,
            got,
        }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests have come.
    async fn wait_for(&self, n: usize) -> Vec<Got> {
        crate::email::eventually("webhook requests", || async {
            let got = self.got();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

async fn subscribe(t: &TestServer, url: &str, events: Value) -> Value {
    let r = t
        .post("/api/v1/webhooks", json!({"url": url, "events": events}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

/// Checks `got`'s signature with `secret`, answering its timestamp.
fn verify(got: &Got, secret: &str) -> i64 {
    use hmac::{Hmac, Mac};
    let header = got.headers["tend-signature"].to_str().unwrap();
    let (t, v1) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap_or_else(|| panic!("signature header {header}"));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", got.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected, "the signature verifies");
    t.parse().unwrap()
}

async fn deliveries(t: &TestServer, hook: i64) -> Vec<Value> {
    let r = t.get(&format!("/api/v1/webhooks/{hook}/deliveries")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

async fn deliveries_are_signed_and_retried_after_a_500(b: Backend) {
    let t = TestServer::start(b).await;
    let receiver = Receiver::start(500).await;
    let hook = subscribe(&t, &receiver.url, json!(["case_opened", "status_changed"])).await;
    let (id, secret) = (
        hook["id"].as_i64().unwrap(),
        hook["secret"].as_str().unwrap(),
    );
    assert!(secret.starts_with("whsec_"), "{hook}");
    let doc = t.get("/api/v1/openapi.json").await.body;
    crate::openapi::check(&doc, "/api/v1/webhooks", "post", 201, &hook);

    let customer = t.customer("Ann", "ann@example.org").await;
    let case = t.case(customer, "Printer", "It jams").await;
    // A note is not subscribed to: nothing is sent for it.
    t.post(
        &format!("/api/v1/cases/{case}/messages"),
        json!({"body": "internal", "internal": true}),
    )
    .await;
    let first = receiver.wait_for(1).await;
    assert_eq!(first[0].headers["tend-event"], "case_opened");
    let sent_at = verify(&first[0], secret);
    assert!((jiff::Timestamp::now().as_second() - sent_at).abs() < 600);
    let body: Value = serde_json::from_str(&first[0].body).unwrap();
    assert_eq!(body["event"]["case_id"], case);
    assert_eq!(body["event"]["data"]["type"], "case_opened");
    let listed = crate::email::eventually("the failed attempt", || async {
        let all = deliveries(&t, id).await;
        (all.len() == 1 && all[0]["attempts"] == 1).then_some(all)
    })
    .await;
    assert_eq!(listed[0]["status"], "queued");
    assert_eq!(listed[0]["response_code"], 500);
    crate::openapi::check(
        &doc,
        "/api/v1/webhooks/{id}/deliveries",
        "get",
        200,
        &json!(listed),
    );

    // After the back-off it is tried again, with the same body and id.
    receiver.status.store(204, Ordering::SeqCst);
    t.store.clock().advance(SignedDuration::from_secs(31));
    let both = receiver.wait_for(2).await;
    assert_eq!(both[1].body, both[0].body);
    assert_eq!(
        both[1].headers["tend-delivery"],
        both[0].headers["tend-delivery"]
    );
    verify(&both[1], secret);
    let delivered = crate::email::eventually("the delivery", || async {
        let all = deliveries(&t, id).await;
        (all[0]["status"] == "delivered").then_some(all)
    })
    .await;
    assert_eq!(delivered[0]["attempts"], 2);
    assert_eq!(delivered[0]["response_code"], 204);

    // A status change is delivered too; the note never was.
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"status": "pending_customer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let all = receiver.wait_for(3).await;
    assert_eq!(all[2].headers["tend-event"], "status_changed");
    assert!(all.iter().all(|g| g.headers["tend-event"] != "note_added"));

    // The secret is shown once, and sealed at rest.
    assert!(
        !t.get(&format!("/api/v1/webhooks/{id}"))
            .await
            .body
            .to_string()
            .contains(secret)
    );
    let raw = raw_column(t.database(), "SELECT secret FROM webhooks").await;
    assert_eq!(raw.len(), 1);
    assert!(!raw[0].contains(secret), "stored sealed");
}

async fn a_receiver_that_keeps_refusing_is_switched_off(b: Backend) {
    let t = TestServer::start(b).await;
    let receiver = Receiver::start(410).await;
    let hook = subscribe(&t, &receiver.url, json!(["case_opened"])).await;
    let id = hook["id"].as_i64().unwrap();
    let customer = t.customer("Bob", "bob@example.org").await;
    // 410 is not worth retrying: each delivery fails at its first attempt.
    for n in 0..5 {
        t.case(customer, &format!("Case {n}"), "Broken").await;
        receiver.wait_for(n + 1).await;
        crate::email::eventually("the failure recorded", || async {
            let failed = deliveries(&t, id)
                .await
                .iter()
                .filter(|d| d["status"] == "failed")
                .count();
            (failed == n + 1).then_some(())
        })
        .await;
    }
    let off = t.get(&format!("/api/v1/webhooks/{id}")).await.body;
    assert_eq!(off["enabled"], false, "{off}");
    assert_eq!(off["failures"], 5);
    assert!(
        off["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("5 deliveries")
    );
    let told = t.get("/api/v1/notifications").await.body;
    assert!(told.to_string().contains("was switched off"), "{told}");

    // Switched off, it makes no deliveries.
    t.case(customer, "Case 6", "Broken").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(deliveries(&t, id).await.len(), 5);

    // Switched on again, with a receiver that answers: a failed delivery
    // can be sent again by hand.
    receiver.status.store(200, Ordering::SeqCst);
    let r = t
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/webhooks/{id}"),
            Some(&t.admin),
            Some(json!({"url": receiver.url, "events": ["case_opened"], "enabled": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["failures"], 0);
    assert!(r.body["disabled_reason"].is_null());
    let oldest = deliveries(&t, id).await.last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = t
        .post(
            &format!("/api/v1/webhook_deliveries/{oldest}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    crate::email::eventually("the redelivery", || async {
        let all = deliveries(&t, id).await;
        let again = all.iter().find(|d| d["id"] == oldest).unwrap().clone();
        (again["status"] == "delivered").then_some(())
    })
    .await;
}

async fn webhook_definitions_are_checked_and_admin_only(b: Backend) {
    let t = TestServer::start(b).await;
    for (body, field) in [
        (json!({"url": "ftp://x.example/h", "events": ["*"]}), "url"),
        (
            json!({"url": "https://u:p@x.example/h", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://x.example/h", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://x.example/h", "events": ["teleported"]}),
            "events",
        ),
    ] {
        let r = t.post("/api/v1/webhooks", body).await;
        assert_eq!(
            r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            field
        );
    }
    let r = t
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://x.example/h", "events": ["*"], "secret": "mine"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(t.get("/api/v1/webhooks").await.body, json!([]));
    let agent = t.agent_token("agent@example.com", Role::Agent).await;
    let r = t
        .send(reqwest::Method::GET, "/api/v1/webhooks", Some(&agent), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.get("/api/v1/webhooks/12345").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.post("/api/v1/webhook_deliveries/12345/redeliver", json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn admins_manage_webhooks_from_their_page(b: Backend) {
    use crate::web::{PASSWORD, WebAgent};
    let t = TestServer::start(b).await;
    let receiver = Receiver::start(200).await;
    t.agent_with_password("boss@example.com", "Boss", Role::Admin, PASSWORD)
        .await;
    t.agent_with_password("ann@example.com", "Ann", Role::Agent, PASSWORD)
        .await;
    let mut boss = WebAgent::signed_in(&t, "boss@example.com").await;
    let page = boss.get("/admin/webhooks").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("No webhooks yet"), "{}", page.html);
    let csrf = page.csrf();

    // A bad URL comes back with its message and what was typed.
    let refused = boss
        .post(
            "/admin/webhooks",
            &[
                ("csrf", &csrf),
                ("url", "ftp://x.example/h"),
                ("events", "*"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("url: use an http or https URL"),
        "{}",
        refused.html
    );

    // Added: the secret is shown on this page only.
    let made = boss
        .post(
            "/admin/webhooks",
            &[
                ("csrf", &csrf),
                ("url", &receiver.url),
                ("events", "case_opened"),
                ("events", "status_changed"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.html);
    let secret = made
        .html
        .split("<code>whsec_")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .map(|hex| format!("whsec_{hex}"))
        .expect("the secret on the page");
    let listed = boss.get("/admin/webhooks").await;
    assert!(
        listed.html.contains("case_opened, status_changed"),
        "{}",
        listed.html
    );
    assert!(!listed.html.contains(&secret));

    // A delivery shows in its log and can be sent again.
    let customer = t.customer("Cy", "cy@example.org").await;
    t.case(customer, "Scanner", "Streaks").await;
    let got = receiver.wait_for(1).await;
    verify(&got[0], &secret);
    let id = t.get("/api/v1/webhooks").await.body[0]["id"]
        .as_i64()
        .unwrap();
    let delivery = crate::email::eventually("the delivery", || async {
        let all = deliveries(&t, id).await;
        (all.first().is_some_and(|d| d["status"] == "delivered")).then(|| all[0]["id"].clone())
    })
    .await;
    let log = boss.get(&format!("/admin/webhooks/{id}")).await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.html.contains("delivered"), "{}", log.html);
    let again = boss
        .post(
            &format!("/admin/webhooks/deliveries/{delivery}/redeliver"),
            &[("csrf", &log.csrf())],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.html);
    receiver.wait_for(2).await;

    // Switched off from the page; agents may not see it.
    let off = boss
        .post(&format!("/admin/webhooks/{id}/enabled"), &[("csrf", &csrf)])
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.html);
    assert_eq!(
        t.get(&format!("/api/v1/webhooks/{id}")).await.body["enabled"],
        false
    );
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    assert_eq!(
        ann.get("/admin/webhooks").await.status,
        StatusCode::FORBIDDEN
    );
}
