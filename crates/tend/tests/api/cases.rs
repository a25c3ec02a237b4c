use crate::harness::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::event::{CaseEvent, EventData};
use tend_domain::state::CaseState;

crate::both_backends!(
    case_lifecycle_is_an_event_log_whose_fold_is_the_case,
    case_list_filters_sorts_and_pages,
    closed_cases_stay_closed,
    attachments_are_stored_once_and_downloadable,
    html_from_outside_is_sanitised,
    recorded_events_update_identity_and_reject_field_changes,
);

/// Folds the case's whole event log with the domain code and checks it
/// matches the case as the API shows it.
async fn assert_fold_matches(t: &TestServer, case_id: i64) -> Vec<CaseEvent> {
    let events: Vec<CaseEvent> = t
        .all(&format!("/api/v1/cases/{case_id}/events?limit=2"))
        .await
        .into_iter()
        .map(|e| serde_json::from_value(e).unwrap())
        .collect();
    let state = CaseState::fold(&events).unwrap();
    let case = t.get(&format!("/api/v1/cases/{case_id}")).await.body;
    assert_eq!(case["subject"], state.subject);
    assert_eq!(case["status"], state.status.as_str());
    assert_eq!(case["priority"], state.priority.as_str());
    assert_eq!(case["assignee_id"], json!(state.assignee_id.map(|a| a.0)));
    assert_eq!(case["team_id"], json!(state.team_id.map(|t| t.0)));
    assert_eq!(case["agreement_id"], json!(state.agreement_id.map(|a| a.0)));
    assert_eq!(case["tags"], json!(state.tags.iter().collect::<Vec<_>>()));
    assert_eq!(
        case["custom_fields"],
        Value::Object(state.custom_fields.clone())
    );
    assert_eq!(case["message_count"], state.message_count);
    assert_eq!(case["last_seq"], state.last_seq);
    assert_eq!(case["updated_at"], json!(state.updated_at));
    events
}

async fn case_lifecycle_is_an_event_log_whose_fold_is_the_case(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let r = t
        .post("/api/v1/cases", json!({"subject": "Boiler leaks", "customer_id": ann, "message": "Water everywhere.", "tags": ["Boiler", "boiler"], "custom_fields": {"floor": 2}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.id();
    assert_eq!(r.body["reference"], format!("#{id}"));
    assert_eq!(r.body["status"], "new");
    assert_eq!(r.body["priority"], "normal");
    assert_eq!(r.body["channel"], "api");
    assert_eq!(r.body["tags"], json!(["boiler"]));
    assert_eq!(r.body["message_count"], 1);
    let opening = assert_fold_matches(&t, id).await;
    let first_message = t.all(&format!("/api/v1/cases/{id}/messages")).await[0]["id"].clone();
    assert!(
        matches!(opening.last().map(|e| &e.data),
            Some(EventData::MessageReceived { message_id, .. }) if json!(message_id.0) == first_message),
        "message_received names the first message: {opening:?}"
    );
    let tagged = t.get("/api/v1/cases?tag=boiler").await.body;
    assert_eq!(
        tagged["data"][0]["id"], id,
        "the tag index holds the new case"
    );

    let team = t
        .post("/api/v1/teams", json!({"name": "Plumbing"}))
        .await
        .id();
    let me = t.get("/api/v1/me").await.id();
    let reply = t
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            json!({"body": "A plumber comes at 9:00."}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["author"], json!({"kind": "agent", "id": me}));
    assert_eq!(reply.body["internal"], false);
    let note = t
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            json!({"body": "Customer sounds upset", "internal": true}),
        )
        .await;
    assert_eq!(note.body["internal"], true);
    assert_eq!(
        t.get(&format!("/api/v1/cases/{id}")).await.body["status"],
        "open",
        "a first public reply opens a new case"
    );

    let r = t
        .patch(
            &format!("/api/v1/cases/{id}"),
            json!({"status": "pending_customer", "priority": "urgent", "assignee_id": me, "team_id": team,
                   "add_tags": ["vip"], "remove_tags": ["boiler"], "custom_fields": {"floor": null, "parts": "valve"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["tags"], json!(["vip"]));
    assert_eq!(r.body["custom_fields"], json!({"parts": "valve"}));
    let unchanged = t
        .patch(
            &format!("/api/v1/cases/{id}"),
            json!({"status": "pending_customer"}),
        )
        .await;
    assert_eq!(
        unchanged.body["last_seq"], r.body["last_seq"],
        "a no-op change appends nothing"
    );
    let r = t
        .patch(
            &format!("/api/v1/cases/{id}"),
            json!({"assignee_id": null, "subject": "Boiler leaks in flat 2"}),
        )
        .await;
    assert_eq!(r.body["assignee_id"], Value::Null);

    let events = assert_fold_matches(&t, id).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.data.kind()).collect();
    assert_eq!(
        kinds,
        [
            "case_opened",
            "custom_fields_changed",
            "message_received",
            "reply_sent",
            "status_changed",
            "note_added",
            "status_changed",
            "priority_changed",
            "assigned",
            "handed_off",
            "tags_changed",
            "custom_fields_changed",
            "subject_changed",
            "assigned",
        ]
    );
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as i64).collect::<Vec<_>>(),
        "no gaps"
    );

    let messages = t.all(&format!("/api/v1/cases/{id}/messages")).await;
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["author"]["kind"], "customer");
    assert_eq!(messages[0]["body_text"], "Water everywhere.");
}

async fn case_list_filters_sorts_and_pages(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let bob = t.customer("Bob", "bob@example.com").await;
    let me = t.get("/api/v1/me").await.id();
    let team = t
        .post("/api/v1/teams", json!({"name": "Billing"}))
        .await
        .id();
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            t.case(
                if i % 2 == 0 { ann } else { bob },
                &format!("Case {i}"),
                "help",
            )
            .await,
        );
    }
    t.patch(
        &format!("/api/v1/cases/{}", ids[1]),
        json!({"status": "open", "assignee_id": me, "add_tags": ["refund"]}),
    )
    .await;
    t.patch(
        &format!("/api/v1/cases/{}", ids[2]),
        json!({"status": "resolved", "team_id": team}),
    )
    .await;
    let since = t.get(&format!("/api/v1/cases/{}", ids[2])).await.body["updated_at"]
        .as_str()
        .unwrap()
        .to_string();
    t.patch(
        &format!("/api/v1/cases/{}", ids[3]),
        json!({"status": "open", "add_tags": ["refund"]}),
    )
    .await;

    let list_ids = |items: Vec<Value>| {
        items
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let newest_first = list_ids(t.all("/api/v1/cases?limit=3").await);
    assert_eq!(newest_first.len(), 7);
    assert_eq!(
        newest_first[..2],
        [ids[3], ids[2]],
        "most recently updated first"
    );
    let oldest_created = list_ids(t.all("/api/v1/cases?sort=created_at&limit=2").await);
    assert_eq!(oldest_created, ids);
    assert_eq!(
        list_ids(t.all("/api/v1/cases?status=open").await),
        [ids[3], ids[1]]
    );
    assert_eq!(
        list_ids(t.all("/api/v1/cases?status=open,resolved&limit=1").await),
        [ids[3], ids[2], ids[1]]
    );
    assert_eq!(list_ids(t.all("/api/v1/cases?assignee=me").await), [ids[1]]);
    assert_eq!(
        list_ids(t.all(&format!("/api/v1/cases?assignee={me}")).await),
        [ids[1]]
    );
    assert_eq!(t.all("/api/v1/cases?assignee=none").await.len(), 6);
    assert_eq!(
        list_ids(t.all(&format!("/api/v1/cases?team_id={team}")).await),
        [ids[2]]
    );
    assert_eq!(
        list_ids(t.all("/api/v1/cases?tag=REFUND").await),
        [ids[3], ids[1]]
    );
    assert_eq!(
        t.all(&format!("/api/v1/cases?customer_id={bob}"))
            .await
            .len(),
        3
    );
    let since_enc = since.replace(':', "%3A").replace('+', "%2B");
    assert_eq!(
        list_ids(
            t.all(&format!("/api/v1/cases?updated_since={since_enc}"))
                .await
        ),
        [ids[3], ids[2]]
    );

    let bad = t.get("/api/v1/cases?status=opened").await;
    assert_eq!(
        bad.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "status"
    );
    let bad = t.get("/api/v1/cases?sort=subject").await;
    assert_eq!(
        bad.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "sort"
    );
    let bad = t.get("/api/v1/cases?limit=1000").await;
    assert_eq!(
        bad.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "limit"
    );
    let bad = t.get("/api/v1/cases?cursor=garbage").await;
    assert_eq!(
        bad.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "cursor"
    );
    let bad = t.get("/api/v1/cases?updated_since=yesterday").await;
    assert_eq!(
        bad.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "updated_since"
    );
    let bad = t.get("/api/v1/cases?team_id=abc").await;
    assert_eq!(
        bad.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "team_id"
    );
}

async fn closed_cases_stay_closed(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let id = t.case(ann, "Refund", "Please refund").await;
    assert_eq!(
        t.patch(&format!("/api/v1/cases/{id}"), json!({"status": "closed"}))
            .await
            .status,
        StatusCode::OK
    );
    let r = t
        .patch(&format!("/api/v1/cases/{id}"), json!({"status": "open"}))
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "status"
    );
    let before = t.get(&format!("/api/v1/cases/{id}")).await.body;
    let r = t
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            json!({"body": "one more thing"}),
        )
        .await;
    r.error(StatusCode::CONFLICT, "conflict");
    let after = t.get(&format!("/api/v1/cases/{id}")).await.body;
    assert_eq!(before, after, "a rejected change leaves no trace");
    assert_eq!(
        t.all(&format!("/api/v1/cases/{id}/messages")).await.len(),
        1
    );
}

async fn attachments_are_stored_once_and_downloadable(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let file = b"%PDF-1.4 pretend invoice\n";
    let upload = json!({"filename": "C:\\Users\\ann\\invoice.pdf", "content_type": "application/pdf", "content_base64": base64_encode(file)});
    let r = t
        .post("/api/v1/cases", json!({"subject": "Invoice wrong", "customer_id": ann, "message": "See attached", "attachments": [upload.clone()]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.id();
    let reply = t
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            json!({"body": "Same file back", "attachments": [upload]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let messages = t.all(&format!("/api/v1/cases/{id}/messages")).await;
    let a0 = &messages[0]["attachments"][0];
    let a1 = &messages[1]["attachments"][0];
    assert_eq!(a0["filename"], "invoice.pdf", "path parts removed");
    assert_eq!(a0["content_type"], "application/pdf");
    assert_eq!(a0["size"], file.len());
    assert_eq!(a0["sha256"], a1["sha256"], "content-addressed");
    let res = t
        .http
        .get(format!("{}/api/v1/attachments/{}", t.base, a0["id"]))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"invoice.pdf\""
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().as_ref(), file);
    let missing = t.get("/api/v1/attachments/999999").await;
    missing.error(StatusCode::NOT_FOUND, "not_found");
}

async fn html_from_outside_is_sanitised(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let hostile = r#"<p onmouseover="steal()">Hi<script>alert(document.cookie)</script><img src=x onerror=alert(1)><a href="javascript:evil()">x</a><iframe src="//evil"></iframe></p>"#;
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Hi", "customer_id": ann, "message": "Hi", "message_html": hostile}),
        )
        .await;
    let id = r.id();
    let reply = t
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            json!({"body": "ok", "body_html": hostile}),
        )
        .await;
    for m in t.all(&format!("/api/v1/cases/{id}/messages")).await {
        let html = m["body_html"].as_str().unwrap().to_lowercase();
        for bad in [
            "<script",
            "onmouseover",
            "onerror",
            "javascript:",
            "<iframe",
        ] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
        assert!(html.contains("hi"));
    }
    assert_eq!(reply.status, StatusCode::CREATED);
}

async fn recorded_events_update_identity_and_reject_field_changes(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let id = t.case(ann, "Change my address", "I moved").await;
    let asked = t
        .post(
            &format!("/api/v1/cases/{id}/events"),
            json!({"type": "identity_requested", "reason": "address change"}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    assert_eq!(asked.body["data"]["type"], "identity_requested");
    let verified = t
        .post(&format!("/api/v1/cases/{id}/events"), json!({"type": "identity_verified", "level": "agent_verified", "method": "passport seen at counter"}))
        .await;
    assert_eq!(verified.status, StatusCode::CREATED, "{}", verified.body);
    let customer = t.get(&format!("/api/v1/customers/{ann}")).await.body;
    assert_eq!(
        customer["verification_level"], "agent_verified",
        "identity travels with the customer"
    );
    assert_eq!(customer["verification_method"], "passport seen at counter");
    let promise = t
        .post(&format!("/api/v1/cases/{id}/events"), json!({"type": "promise_made", "promise": "call back", "due_at": "2030-01-01T09:00:00Z"}))
        .await;
    assert_eq!(promise.status, StatusCode::CREATED, "{}", promise.body);
    let r = t
        .post(
            &format!("/api/v1/cases/{id}/events"),
            json!({"type": "status_changed", "from": "new", "to": "closed"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "type"
    );
    let r = t
        .post(
            &format!("/api/v1/cases/{id}/events"),
            json!({"type": "identity_requested", "reason": "  "}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "reason"
    );
    let r = t
        .post(
            &format!("/api/v1/cases/{id}/events"),
            json!({"type": "teleported"}),
        )
        .await;
    r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        t.get(&format!("/api/v1/cases/{id}")).await.body["status"],
        "new"
    );
    let events = assert_fold_matches(&t, id).await;
    assert_eq!(events.len(), 5);
}

pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
