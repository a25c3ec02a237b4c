use crate::harness::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::both_backends!(real_responses_match_the_served_openapi_document);

/// Validates `body` against the schema the document gives for this
/// operation and status.
pub fn check(doc: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    let schema = response["content"]["application/json"]["schema"].clone();
    assert!(!schema.is_null(), "no schema for {method} {path} {status}");
    let mut root = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "components": doc["components"].clone()});
    root.as_object_mut()
        .unwrap()
        .extend(schema.as_object().unwrap().clone());
    let validator = jsonschema::draft202012::new(&root)
        .unwrap_or_else(|e| panic!("schema for {method} {path}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status} does not match the document: {errors:?}\n{body}"
    );
}

async fn real_responses_match_the_served_openapi_document(b: Backend) {
    let t = TestServer::start(b).await;
    let res = t
        .http
        .get(format!("{}/api/v1/openapi.json", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/messages",
        "/api/v1/cases/{id}/events",
        "/api/v1/customers",
        "/api/v1/organizations",
        "/api/v1/agreements",
        "/api/v1/search",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }

    let org = t
        .post("/api/v1/organizations", json!({"name": "Acme"}))
        .await;
    check(&doc, "/api/v1/organizations", "post", 201, &org.body);
    let cust = t
        .post(
            "/api/v1/customers",
            json!({"name": "Ann", "email": "ann@example.com", "organization_id": org.id()}),
        )
        .await;
    check(&doc, "/api/v1/customers", "post", 201, &cust.body);
    let ann = cust.id();
    let agr = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Gold", "customer_id": ann, "starts_on": "2026-01-01"}),
        )
        .await;
    check(&doc, "/api/v1/agreements", "post", 201, &agr.body);
    let case = t
        .post("/api/v1/cases", json!({"subject": "Printer", "customer_id": ann, "message": "jams", "custom_fields": {"x": 1},
              "attachments": [{"filename": "a.txt", "content_base64": "aGk="}]}))
        .await;
    check(&doc, "/api/v1/cases", "post", 201, &case.body);
    let id = case.id();
    let msg = t
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            json!({"body": "ok", "body_html": "<b>ok</b>"}),
        )
        .await;
    check(&doc, "/api/v1/cases/{id}/messages", "post", 201, &msg.body);
    let patched = t
        .patch(
            &format!("/api/v1/cases/{id}"),
            json!({"status": "on_hold", "add_tags": ["t"]}),
        )
        .await;
    check(&doc, "/api/v1/cases/{id}", "patch", 200, &patched.body);
    let ev = t
        .post(
            &format!("/api/v1/cases/{id}/events"),
            json!({"type": "promise_made", "promise": "call", "due_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    check(&doc, "/api/v1/cases/{id}/events", "post", 201, &ev.body);
    let task = t
        .post(
            &format!("/api/v1/cases/{id}/tasks"),
            json!({"title": "Parts ordered", "owner_kind": "third_party", "due_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    check(&doc, "/api/v1/cases/{id}/tasks", "post", 201, &task.body);
    let changed = t
        .patch(
            &format!("/api/v1/tasks/{}", task.id()),
            json!({"status": "done", "due_at": null}),
        )
        .await;
    check(&doc, "/api/v1/tasks/{id}", "patch", 200, &changed.body);

    for (path, template) in [
        ("/api/v1/cases?limit=1".to_string(), "/api/v1/cases"),
        (format!("/api/v1/cases/{id}"), "/api/v1/cases/{id}"),
        (
            format!("/api/v1/cases/{id}/messages"),
            "/api/v1/cases/{id}/messages",
        ),
        (
            format!("/api/v1/cases/{id}/events"),
            "/api/v1/cases/{id}/events",
        ),
        (
            format!("/api/v1/cases/{id}/tasks"),
            "/api/v1/cases/{id}/tasks",
        ),
        (
            format!("/api/v1/cases/{id}/side_conversations"),
            "/api/v1/cases/{id}/side_conversations",
        ),
        ("/api/v1/customers".into(), "/api/v1/customers"),
        (format!("/api/v1/customers/{ann}"), "/api/v1/customers/{id}"),
        ("/api/v1/organizations".into(), "/api/v1/organizations"),
        ("/api/v1/agreements".into(), "/api/v1/agreements"),
        ("/api/v1/search?q=printer".into(), "/api/v1/search"),
        ("/api/v1/agents".into(), "/api/v1/agents"),
        ("/api/v1/teams".into(), "/api/v1/teams"),
        ("/api/v1/me".into(), "/api/v1/me"),
    ] {
        let r = t.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        check(&doc, template, "get", 200, &r.body);
    }
    let err = t.post("/api/v1/cases", json!({"subject": 5})).await;
    check(&doc, "/api/v1/cases", "post", 422, &err.body);
    let err = t.get("/api/v1/cases/424242").await;
    check(&doc, "/api/v1/cases/{id}", "get", 404, &err.body);
}
