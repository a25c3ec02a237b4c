use crate::harness::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(
    customers_are_created_found_and_paged,
    contact_points_are_unique_to_one_customer,
    organizations_group_customers
);

async fn customers_are_created_found_and_paged(b: Backend) {
    let t = TestServer::start(b).await;
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "Ann Lee", "email": "Ann@Example.COM", "phone": "+44 20 7946 0958"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.id();
    assert_eq!(
        r.headers["location"],
        format!("/api/v1/customers/{id}").as_str()
    );
    assert_eq!(r.body["verification_level"], "unverified");
    assert_eq!(
        r.body["contact_points"],
        json!([{"kind": "email", "value": "ann@example.com"}, {"kind": "phone", "value": "+442079460958"}])
    );
    let got = t.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(got.body["name"], "Ann Lee");

    for i in 0..6 {
        t.customer(&format!("C{i}"), &format!("c{i}@example.com"))
            .await;
    }
    let all = t.all("/api/v1/customers?limit=2").await;
    let ids: Vec<i64> = all.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 7);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ascending, no repeats: {ids:?}"
    );

    let found = t.get("/api/v1/customers?email=ann@EXAMPLE.com").await;
    assert_eq!(found.body["data"][0]["id"], id);
    let by_phone = t
        .get("/api/v1/customers?phone=%2B44%20(20)%207946-0958")
        .await;
    assert_eq!(by_phone.body["data"][0]["id"], id);
    assert_eq!(
        t.get("/api/v1/customers?email=nobody@example.com")
            .await
            .body["data"],
        json!([])
    );

    let patched = t
        .patch(
            &format!("/api/v1/customers/{id}"),
            json!({"name": "Ann Lee-Smith", "add_emails": ["ann@work.example"]}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["name"], "Ann Lee-Smith");
    assert_eq!(patched.body["contact_points"].as_array().unwrap().len(), 3);
}

async fn contact_points_are_unique_to_one_customer(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "Imposter", "email": "ANN@example.com"}),
        )
        .await;
    assert_eq!(r.error(StatusCode::CONFLICT, "conflict"), "email");
    assert_eq!(r.body["error"]["details"]["existing_id"], ann);
    let bob = t.customer("Bob", "bob@example.com").await;
    let r = t
        .patch(
            &format!("/api/v1/customers/{bob}"),
            json!({"add_emails": ["ann@example.com"]}),
        )
        .await;
    assert_eq!(r.error(StatusCode::CONFLICT, "conflict"), "email");
    let bob_now = t.get(&format!("/api/v1/customers/{bob}")).await;
    assert_eq!(
        bob_now.body["contact_points"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
    assert_eq!(t.all("/api/v1/customers").await.len(), 2);
}

async fn organizations_group_customers(b: Backend) {
    let t = TestServer::start(b).await;
    let r = t
        .post(
            "/api/v1/organizations",
            json!({"name": "Acme", "domain": "Acme.example", "share_cases": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let org = r.id();
    assert_eq!(r.body["domain"], "acme.example");
    assert_eq!(r.body["share_cases"], true);
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "Ann", "email": "ann@acme.example", "organization_id": org}),
        )
        .await;
    assert_eq!(r.body["organization_id"], org);
    t.customer("Loner", "loner@example.com").await;
    let members = t
        .all(&format!("/api/v1/customers?organization_id={org}"))
        .await;
    assert_eq!(members.len(), 1);
    let r = t
        .patch(
            &format!("/api/v1/organizations/{org}"),
            json!({"domain": null, "name": "Acme Ltd"}),
        )
        .await;
    assert_eq!(r.body["domain"], serde_json::Value::Null);
    assert_eq!(r.body["name"], "Acme Ltd");
    assert_eq!(r.body["share_cases"], true, "absent fields stay");
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "X", "email": "x@example.com", "organization_id": 999}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "organization_id"
    );
    assert_eq!(t.all("/api/v1/organizations").await.len(), 1);
}
