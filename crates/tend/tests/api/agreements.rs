use crate::harness::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::both_backends!(agreements_belong_to_one_holder_and_link_to_its_cases);

async fn agreements_belong_to_one_holder_and_link_to_its_cases(b: Backend) {
    let t = TestServer::start(b).await;
    let org = t
        .post("/api/v1/organizations", json!({"name": "Acme"}))
        .await
        .id();
    let ann = t
        .post(
            "/api/v1/customers",
            json!({"name": "Ann", "email": "ann@acme.example", "organization_id": org}),
        )
        .await
        .id();
    let bob = t.customer("Bob", "bob@example.com").await;
    let r = t
        .post("/api/v1/agreements", json!({"name": "Broadband 500", "customer_id": ann, "reference": "BB-1", "starts_on": "2026-01-01", "ends_on": "2027-12-31", "terms": "24 months"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let personal = r.id();
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["starts_on"], "2026-01-01");
    let company = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Fleet contract", "organization_id": org, "status": "pending"}),
        )
        .await
        .id();
    let bobs = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Mobile", "customer_id": bob}),
        )
        .await
        .id();

    for (body, field) in [
        (json!({"name": "X"}), "customer_id"),
        (
            json!({"name": "X", "customer_id": ann, "organization_id": org}),
            "customer_id",
        ),
        (json!({"name": "X", "customer_id": 999}), "customer_id"),
        (
            json!({"name": "X", "customer_id": ann, "starts_on": "01/02/2026"}),
            "starts_on",
        ),
        (
            json!({"name": "X", "customer_id": ann, "starts_on": "2026-05-01", "ends_on": "2026-04-01"}),
            "ends_on",
        ),
        (
            json!({"name": "X", "customer_id": ann, "status": "expired"}),
            "status",
        ),
    ] {
        let r = t.post("/api/v1/agreements", body.clone()).await;
        assert_eq!(
            r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            field,
            "{body}"
        );
    }
    assert_eq!(
        t.all(&format!("/api/v1/agreements?customer_id={ann}"))
            .await
            .len(),
        1
    );
    assert_eq!(
        t.all(&format!("/api/v1/agreements?organization_id={org}"))
            .await
            .len(),
        1
    );
    assert_eq!(t.all("/api/v1/agreements").await.len(), 3);

    let r = t
        .patch(
            &format!("/api/v1/agreements/{personal}"),
            json!({"status": "suspended", "terms": null}),
        )
        .await;
    assert_eq!(r.body["status"], "suspended");
    assert_eq!(r.body["terms"], Value::Null);
    assert_eq!(r.body["reference"], "BB-1");
    let r = t
        .patch(
            &format!("/api/v1/agreements/{personal}"),
            json!({"ends_on": "2025-01-01"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "ends_on"
    );

    let r = t.post("/api/v1/cases", json!({"subject": "Slow line", "customer_id": ann, "message": "m", "agreement_id": personal})).await;
    assert_eq!(r.body["agreement_id"], personal);
    let case = r.id();
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"agreement_id": company}),
        )
        .await;
    assert_eq!(
        r.body["agreement_id"], company,
        "an organisation's agreement fits its members' cases"
    );
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"agreement_id": bobs}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "agreement_id"
    );
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "x", "customer_id": ann, "message": "m", "agreement_id": bobs}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "agreement_id"
    );
}
