use crate::harness::{Backend, Options, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;

crate::both_backends!(
    bad_input_gets_a_precise_error_and_changes_nothing,
    unknown_ids_and_routes_are_404,
    nul_characters_never_cause_a_5xx
);

/// PostgreSQL refuses a NUL character in any text value; whatever the
/// backend, such input is the client's fault, never a server error.
async fn nul_characters_never_cause_a_5xx(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Existing", "hello").await;
    let writes = [
        (
            "/api/v1/customers",
            json!({"name": "A\u{0}B", "email": "nul@example.com"}),
        ),
        ("/api/v1/organizations", json!({"name": "Org\u{0}"})),
        (
            &format!("/api/v1/cases/{case}/messages") as &str,
            json!({"body": "with \u{0} inside"}),
        ),
    ];
    for (path, body) in writes {
        let r = t.post(path, body).await;
        assert!(r.status.as_u16() < 500, "{path}: {} {}", r.status, r.body);
    }
    for path in [
        "/api/v1/search?q=%00",
        "/api/v1/customers?email=a%00@example.com",
        "/api/v1/cases?q=%00",
    ] {
        let r = t.get(path).await;
        assert!(r.status.as_u16() < 500, "{path}: {} {}", r.status, r.body);
    }
}

async fn counts(t: &TestServer) -> (usize, usize, usize) {
    let cases = t.all("/api/v1/cases").await;
    let messages: usize = cases
        .iter()
        .map(|c| c["message_count"].as_u64().unwrap() as usize)
        .sum();
    (
        t.all("/api/v1/customers").await.len(),
        cases.len(),
        messages,
    )
}

async fn bad_input_gets_a_precise_error_and_changes_nothing(b: Backend) {
    let t = TestServer::start_with(
        b,
        Options {
            max_body_bytes: Some(64 * 1024),
            max_attachment_bytes: Some(1024),
            ..Options::default()
        },
    )
    .await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let case = t.case(ann, "Existing", "hello").await;
    let before = counts(&t).await;
    let url = |p: &str| format!("{}{p}", t.base);

    let res = t
        .http
        .post(url("/api/v1/cases"))
        .bearer_auth(&t.admin)
        .header("content-type", "application/json")
        .body("{\"subject\": ")
        .send()
        .await
        .unwrap();
    crate::harness::Reply::from(res)
        .await
        .error(StatusCode::BAD_REQUEST, "bad_request");
    let res = t
        .http
        .post(url("/api/v1/cases"))
        .bearer_auth(&t.admin)
        .header("content-type", "text/plain")
        .body("subject=x")
        .send()
        .await
        .unwrap();
    crate::harness::Reply::from(res)
        .await
        .error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let huge = "x".repeat(100 * 1024);
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Big", "customer_id": ann, "message": huge}),
        )
        .await;
    r.error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let attachment =
        json!({"filename": "big.bin", "content_base64": crate::cases::base64_encode(&[7u8; 2048])});
    let r = t.post("/api/v1/cases", json!({"subject": "Big", "customer_id": ann, "message": "m", "attachments": [attachment]})).await;
    assert_eq!(
        r.error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        "attachments[0]"
    );
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "m", "attachments": [{"filename": "a", "content_base64": "%%%"}]}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "attachments[0].content_base64"
    );

    let cases: [(serde_json::Value, &str); 9] = [
        (json!({"customer_id": ann, "message": "m"}), "subject"),
        (
            json!({"subject": "  ", "customer_id": ann, "message": "m"}),
            "subject",
        ),
        (
            json!({"subject": "s", "customer_id": ann, "message": ""}),
            "message",
        ),
        (
            json!({"subject": "s", "customer_id": "ann", "message": "m"}),
            "customer_id",
        ),
        (
            json!({"subject": "s", "customer_id": 424242, "message": "m"}),
            "customer_id",
        ),
        (
            json!({"subject": "s", "customer_id": ann, "message": "m", "priority": "meh"}),
            "priority",
        ),
        (
            json!({"subject": "s", "customer_id": ann, "message": "m", "tags": ["no spaces"]}),
            "tags",
        ),
        (
            json!({"subject": "s", "customer_id": ann, "message": "m", "assignee_id": 999}),
            "assignee_id",
        ),
        (
            json!({"subjct": "s", "customer_id": ann, "message": "m"}),
            "subjct",
        ),
    ];
    for (body, field) in cases {
        let r = t.post("/api/v1/cases", body.clone()).await;
        assert_eq!(
            r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            field,
            "{body}"
        );
    }
    let r = t
        .post("/api/v1/customers", json!({"name": "No contact"}))
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "email"
    );
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "Bad", "email": "not-an-address"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "email"
    );
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "Bad", "email": "ok@example.com", "phones": ["12"]}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "phones[0]"
    );
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"custom_fields": {"nested": {"a": 1}}}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "custom_fields.nested"
    );
    let r = t
        .patch(&format!("/api/v1/cases/{case}"), json!({"team_id": 77}))
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "team_id"
    );
    let r = t
        .send(
            Method::POST,
            "/api/v1/cases",
            Some(&t.admin),
            Some(json!({"subject": "s", "customer_id": ann, "message": "m"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "a valid request still works");
    let after = counts(&t).await;
    assert_eq!(
        (after.0, after.1, after.2),
        (before.0, before.1 + 1, before.2 + 1),
        "only the valid request wrote anything"
    );
}

async fn unknown_ids_and_routes_are_404(b: Backend) {
    let t = TestServer::start(b).await;
    for path in [
        "/api/v1/cases/9999",
        "/api/v1/customers/9999",
        "/api/v1/organizations/9999",
        "/api/v1/agreements/9999",
        "/api/v1/cases/9999/messages",
        "/api/v1/cases/9999/events",
        "/api/v1/agents/9999",
        "/api/v1/teams/9999",
        "/api/v1/nope",
    ] {
        t.get(path).await.error(StatusCode::NOT_FOUND, "not_found");
    }
    t.post("/api/v1/cases/9999/messages", json!({"body": "x"}))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    t.patch("/api/v1/cases/9999", json!({"status": "open"}))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    t.get("/api/v1/cases/abc")
        .await
        .error(StatusCode::BAD_REQUEST, "bad_request");
    // A browser that strays off the map gets the web UI's page, not JSON;
    // under /api/ the answer stays JSON whatever the client accepts.
    let browser = reqwest::Client::new();
    for (path, html) in [("/no/such/page", true), ("/api/v1/nope", false)] {
        let r = browser
            .get(format!("{}{path}", t.base))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
        let body = r.text().await.unwrap();
        assert_eq!(kind.starts_with("text/html"), html, "{path}: {kind} {body}");
        assert_eq!(body.contains("there is no such page"), html, "{body}");
    }
}
