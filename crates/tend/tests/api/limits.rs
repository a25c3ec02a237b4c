//! Tag limits: at most 50 different tags per request and 50 per case, over
//! the API (create, change), the case page's form and bulk changes; refused
//! with a 422 naming the field before anything changes, and big lists full
//! of duplicates still accepted.

use crate::harness::{Backend, TestServer};
use crate::web::{WebAgent, with_case};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::both_backends!(
    tag_lists_over_the_cap_are_refused_before_anything_changes,
    a_case_at_the_tag_cap_refuses_one_more_everywhere,
    duplicate_laden_tag_lists_are_accepted_and_deduplicated,
);

/// The cap, per case and per request, as the README documents it.
const CAP: usize = 50;

/// `n` different tags.
fn tags(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("tag-{i}")).collect()
}

/// A case's tags and how many events it has.
async fn tags_and_events(t: &TestServer, case: i64) -> (Value, usize) {
    let tags = t.get(&format!("/api/v1/cases/{case}")).await.body["tags"].clone();
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await.len();
    (tags, events)
}

async fn tag_lists_over_the_cap_are_refused_before_anything_changes(b: Backend) {
    let (t, case) = with_case(b).await;
    let cora = t.get(&format!("/api/v1/cases/{case}")).await.body["customer_id"].clone();
    let before = tags_and_events(&t, case).await;

    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Too many", "customer_id": cora, "message": "hi", "tags": tags(CAP + 1)}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "tags"
    );
    assert_eq!(t.all("/api/v1/cases").await.len(), 1, "no case was opened");

    for field in ["add_tags", "remove_tags"] {
        let r = t
            .patch(
                &format!("/api/v1/cases/{case}"),
                json!({"status": "open", field: tags(CAP + 1)}),
            )
            .await;
        assert_eq!(
            r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            field
        );
    }

    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = web.get(&format!("/cases/{case}")).await.csrf();
    let words = tags(CAP + 1).join(", ");
    let page = web
        .post(
            &format!("/cases/{case}/update"),
            &[("csrf", &csrf), ("status", "open"), ("add_tag", &words)],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    assert!(
        page.html.contains("at most 50 different tags"),
        "{}",
        page.html
    );

    assert_eq!(tags_and_events(&t, case).await, before, "nothing changed");
    assert_eq!(
        t.get(&format!("/api/v1/cases/{case}")).await.body["status"],
        "new"
    );
}

async fn a_case_at_the_tag_cap_refuses_one_more_everywhere(b: Backend) {
    let (t, other) = with_case(b).await;
    let cora = t.get(&format!("/api/v1/cases/{other}")).await.body["customer_id"].clone();
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Full", "customer_id": cora, "message": "hi", "tags": tags(CAP)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let full = r.id();
    assert_eq!(r.body["tags"].as_array().unwrap().len(), CAP);
    let before = tags_and_events(&t, full).await;

    // The API: one more is refused, with the status change beside it.
    let r = t
        .patch(
            &format!("/api/v1/cases/{full}"),
            json!({"status": "open", "add_tags": ["one-more"]}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "add_tags"
    );
    // Tags already on the case are no change at all.
    let r = t
        .patch(
            &format!("/api/v1/cases/{full}"),
            json!({"add_tags": tags(CAP)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The case page's form.
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = web.get(&format!("/cases/{full}")).await.csrf();
    let page = web
        .post(
            &format!("/cases/{full}/update"),
            &[("csrf", &csrf), ("status", "open"), ("add_tag", "one-more")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    assert!(page.html.contains("at most 50 tags"), "{}", page.html);

    // A bulk tag: the full case is reported, the other one tagged.
    let page = web.get("/views/all").await;
    let r = web
        .post(
            "/views/bulk",
            &[
                ("csrf", &page.csrf()),
                ("back", "/views/all"),
                ("case", &full.to_string()),
                ("case", &other.to_string()),
                ("tag", "one-more"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let report = web.get(r.location()).await;
    assert!(report.html.contains("1 case updated"), "{}", report.html);
    assert!(
        report.html.contains(&format!("#{full}: ")) && report.html.contains("at most 50 tags"),
        "{}",
        report.html
    );
    assert_eq!(
        t.get(&format!("/api/v1/cases/{other}")).await.body["tags"],
        json!(["one-more"])
    );
    assert_eq!(
        tags_and_events(&t, full).await,
        before,
        "the full case is unchanged"
    );

    // Making room works: one out, one in.
    let r = t
        .patch(
            &format!("/api/v1/cases/{full}"),
            json!({"add_tags": ["one-more"], "remove_tags": ["tag-0"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let now = r.body["tags"].as_array().unwrap();
    assert_eq!(now.len(), CAP);
    assert!(now.contains(&json!("one-more")) && !now.contains(&json!("tag-0")));
}

async fn duplicate_laden_tag_lists_are_accepted_and_deduplicated(b: Backend) {
    let (t, case) = with_case(b).await;
    let cora = t.get(&format!("/api/v1/cases/{case}")).await.body["customer_id"].clone();
    // 20,000 entries naming five tags, in mixed case and with spaces.
    let noisy: Vec<String> = (0..20_000)
        .map(|i| match i % 3 {
            0 => format!("Tag-{}", i % 5),
            1 => format!(" tag-{} ", i % 5),
            _ => format!("TAG-{}", i % 5),
        })
        .collect();
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Noisy", "customer_id": cora, "message": "hi", "tags": noisy}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["tags"], json!(tags(5)));

    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"add_tags": noisy, "remove_tags": noisy}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["tags"],
        json!(tags(5)),
        "a tag both added and removed stays"
    );
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    let changed: Vec<&Value> = events
        .iter()
        .filter(|e| e["data"]["type"] == "tags_changed")
        .collect();
    assert_eq!(changed.len(), 1, "{events:?}");
    assert_eq!(changed[0]["data"]["added"], json!(tags(5)));
}
