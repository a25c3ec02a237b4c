use crate::harness::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(search_ranks_and_highlights_cases_and_messages);

async fn search_ranks_and_highlights_cases_and_messages(b: Backend) {
    let t = TestServer::start(b).await;
    let ann = t.customer("Ann", "ann@example.com").await;
    let printer = t
        .case(
            ann,
            "Printer jams every morning",
            "The office printer jams on page two.",
        )
        .await;
    let other = t
        .case(
            ann,
            "Invoice question",
            "Why was I charged twice? <script>alert(1)</script> zebra",
        )
        .await;
    t.post(
        &format!("/api/v1/cases/{other}/messages"),
        json!({"body": "Refund the zebra invoice, customer is upset", "internal": true}),
    )
    .await;
    t.case(ann, "Unrelated", "Nothing to see").await;

    let r = t.get("/api/v1/search?q=printer%20jams").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let hits = r.body["data"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter().all(|h| h["case_id"] == printer),
        "only the printer case matches both words: {hits:?}"
    );
    assert!(
        hits.iter().any(|h| h["message_id"].is_null()),
        "the subject matched"
    );
    assert!(
        hits.iter().any(|h| h["message_id"].is_i64()),
        "the message matched"
    );
    assert!(
        hits.iter()
            .all(|h| h["snippet_html"].as_str().unwrap().contains("<mark>")),
        "{hits:?}"
    );
    assert_eq!(hits[0]["case_reference"], format!("#{printer}"));
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );

    let r = t.get("/api/v1/search?q=zebra").await;
    let hits = r.body["data"].as_array().unwrap();
    assert_eq!(hits.len(), 2);
    assert!(
        hits.iter().any(|h| h["internal"] == true),
        "internal notes are searchable by agents and flagged"
    );
    for h in hits {
        let s = h["snippet_html"].as_str().unwrap();
        assert!(!s.contains("<script>"), "snippets are escaped: {s}");
    }
    assert!(
        hits.iter().all(|h| h["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>zebra</mark>")),
        "{hits:?}"
    );

    let r = t.get("/api/v1/search?q=jam").await;
    assert!(
        !r.body["data"].as_array().unwrap().is_empty(),
        "stemming: jam finds jams"
    );
    assert_eq!(
        t.get("/api/v1/search?q=qqnomatchqq").await.body["data"],
        json!([])
    );
    let r = t.get("/api/v1/search?q=%22%20*%20-%20()").await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "q"
    );
    let r = t.get("/api/v1/search?q=NEAR(printer%20\"jams").await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "search syntax in input is treated as words: {}",
        r.body
    );
    let r = t.get("/api/v1/search").await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "q"
    );

    t.patch(
        &format!("/api/v1/cases/{printer}"),
        json!({"subject": "Scanner broken"}),
    )
    .await;
    let r = t.get("/api/v1/search?q=scanner").await;
    assert_eq!(
        r.body["data"][0]["case_id"], printer,
        "renamed subjects are reindexed"
    );
}
