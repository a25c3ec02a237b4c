//! Remote images in a customer's HTML: the case page keeps its strict policy
//! (they do not load), says they were blocked and links to a sandboxed page
//! of the message that may load them; messages without them get no notice.

use crate::harness::Backend;
use crate::harness::TestServer;
use crate::web::{WebAgent, with_case};
use reqwest::StatusCode;
use reqwest::header::CONTENT_SECURITY_POLICY;
use serde_json::json;

crate::both_backends!(remote_images_are_reported_blocked_with_a_link_to_them);

const NOTICE: &str = "Remote images were blocked to protect your privacy";

/// Opens a case whose first message has `html`; answers the case and
/// message ids.
async fn case_with_html(t: &TestServer, customer: i64, html: &str) -> (i64, i64) {
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Pictures", "customer_id": customer, "message": "See the picture", "message_html": html}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case = r.id();
    let messages = t.get(&format!("/api/v1/cases/{case}/messages")).await;
    (case, messages.body["data"][0]["id"].as_i64().unwrap())
}

async fn remote_images_are_reported_blocked_with_a_link_to_them(b: Backend) {
    let (t, plain) = with_case(b).await;
    let cora = t.get(&format!("/api/v1/cases/{plain}")).await.body["customer_id"]
        .as_i64()
        .unwrap();
    let (remote, message) = case_with_html(
        &t,
        cora,
        r#"<p>Here it is: <img alt="the jam" src="https://tracker.example/jam.png?u=cora"></p>"#,
    )
    .await;
    let (local, local_message) = case_with_html(
        &t,
        cora,
        r#"<p>No pictures, only <a href="https://example.org/jam.png">a link</a> and <img alt="broken"></p>"#,
    )
    .await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;

    let page = web.get(&format!("/cases/{remote}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(NOTICE), "{}", page.html);
    let link = format!("href=\"/messages/{message}/images\"");
    assert!(page.html.contains(&link), "{}", page.html);
    let policy = page.headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        policy.contains("img-src 'self' data:;"),
        "still strict: {policy}"
    );

    for case in [plain, local] {
        let page = web.get(&format!("/cases/{case}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.html.contains(NOTICE), "#{case}: {}", page.html);
        assert!(!page.html.contains("/images\""), "#{case}");
    }

    // The linked page shows the message with its image, sandboxed.
    let shown = web.get(&format!("/messages/{message}/images")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.html);
    assert!(
        shown
            .html
            .contains(r#"src="https://tracker.example/jam.png?u=cora""#),
        "{}",
        shown.html
    );
    let policy = shown.headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.starts_with("sandbox;"), "{policy}");
    assert!(
        policy.contains("default-src 'none'") && policy.contains("https:"),
        "{policy}"
    );
    assert!(!policy.contains("script-src"), "{policy}");

    // Only for signed-in agents, and only for messages with HTML.
    let stranger = WebAgent::new(&t)
        .get(&format!("/messages/{message}/images"))
        .await;
    assert_eq!(stranger.status, StatusCode::SEE_OTHER);
    assert_eq!(stranger.location(), "/signin");
    let plain_message =
        t.get(&format!("/api/v1/cases/{plain}/messages")).await.body["data"][0]["id"]
            .as_i64()
            .unwrap();
    let none = web.get(&format!("/messages/{plain_message}/images")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let page = web.get(&format!("/messages/{local_message}/images")).await;
    assert_eq!(page.status, StatusCode::OK);
}
