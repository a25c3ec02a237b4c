use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use serde_json::json;
use tend_domain::agent::Role;

crate::both_backends!(
    search_ranks_and_highlights_cases_and_messages,
    search_narrows_by_status_team_and_opening_day,
);

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

/// The cases text search looks among narrow by status, team and when they
/// were opened, through the API and on the search page (days in the agent's
/// time zone); bad filters are named, not ignored.
async fn search_narrows_by_status_team_and_opening_day(b: Backend) {
    let t = TestServer::start(b).await;
    t.agent_with_password("ann@example.com", "Ann", Role::Agent, PASSWORD)
        .await;
    let team = t.store.create_team("Heating").await.unwrap().id.0;
    let cora = t.customer("Cora", "cora@example.org").await;
    let plain = t.case(cora, "Boiler noise", "The boiler hums.").await;
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Boiler leak", "customer_id": cora, "message": "The boiler drips.", "team_id": team}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let teamed = r.id();
    t.patch(
        &format!("/api/v1/cases/{plain}"),
        json!({"status": "resolved"}),
    )
    .await;

    let found = |body: &serde_json::Value| -> Vec<i64> {
        let mut ids: Vec<i64> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["case_id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let api = |query: &str| format!("/api/v1/search?q=boiler&{query}");
    assert_eq!(found(&t.get(&api("")).await.body), [plain, teamed]);
    assert_eq!(found(&t.get(&api("status=resolved")).await.body), [plain]);
    assert_eq!(
        found(&t.get(&api("status=new,open,resolved")).await.body),
        [plain, teamed]
    );
    assert_eq!(
        found(&t.get(&api(&format!("team_id={team}"))).await.body),
        [teamed]
    );
    let soon = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string();
    assert_eq!(
        found(&t.get(&api(&format!("opened_before={soon}"))).await.body),
        [plain, teamed]
    );
    assert!(found(&t.get(&api(&format!("opened_from={soon}"))).await.body).is_empty());
    for (query, field) in [
        ("status=closedish", "status"),
        ("opened_from=monday", "opened_from"),
    ] {
        let r = t.get(&api(query)).await;
        assert_eq!(
            r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            field
        );
    }

    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let html = search_page(&mut web, format!("team={team}&from={today}&to={today}")).await;
    assert!(
        html.contains("Boiler leak") && !html.contains("Boiler noise"),
        "{html}"
    );
    assert!(html.contains("<details class=\"search-filters\" open>"));
    let html = search_page(&mut web, format!("from={}", today.tomorrow().unwrap())).await;
    assert!(html.contains("of the cases these filters leave"), "{html}");
    for (query, says) in [
        ("status=gone".to_string(), "gone"),
        ("from=31/12/2026".to_string(), "a date such as"),
        (
            format!("from={today}&to={}", today.yesterday().unwrap()),
            "before the first",
        ),
        ("team=heating".to_string(), "is not a team"),
    ] {
        let html = search_page(&mut web, query.clone()).await;
        assert!(html.contains("role=\"alert\""), "{query}: {html}");
        assert!(html.contains(says), "{query}: {html}");
    }
    // Hostile text gets the same refusal as every list's `q`, never a 5xx.
    for (q, says) in [
        ("boiler%07", "control characters"),
        (&"b".repeat(201)[..], "at most 200"),
    ] {
        let page = web.get(&format!("/search?q={q}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.html.contains("role=\"alert\"") && page.html.contains(says),
            "{}",
            page.html
        );
    }
}

/// The search page's HTML for `q=boiler&{query}`.
async fn search_page(web: &mut WebAgent, query: String) -> String {
    web.get(&format!("/search?q=boiler&{query}")).await.html
}

/// In Chromium: an agent finds a customer by part of their email address
/// and an agreement by its reference, goes from the customer's page to
/// their case and answers with "Send and set pending" in one step.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_finds_the_customer_and_sends_and_sets_pending_in_chromium() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let t = TestServer::start(Backend::Sqlite).await;
    t.agent_with_password("ann@example.com", "Ann", Role::Agent, PASSWORD)
        .await;
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "Bo Brandt", "email": "bo.brandt@example.org"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let bo = r.id();
    let r = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Boiler care", "reference": "BC-2041-X", "customer_id": bo}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case = t.case(bo, "Radiator noise", "The radiator knocks.").await;

    browser.sign_in(&t, "ann@example.com").await;
    let c = &browser.client;
    c.goto(&format!("{}/search", t.base)).await.unwrap();
    browser.type_into("#q", "bc-2041").await;
    browser.click("form.search button[type=submit]").await;
    browser.wait_for_text("found", "BC-2041-X").await;
    browser.wait_for("#q").await.clear().await.unwrap();
    browser.type_into("#q", "brandt@EXAMPLE").await;
    browser.click("form.search button[type=submit]").await;
    // The first results link the customer too: click only on the new page.
    at_address(c, "q=brandt").await;
    browser.click(&format!("a[href='/customers/{bo}']")).await;
    at_address(c, &format!("/customers/{bo}")).await;
    browser.click(&format!("a[href='/cases/{case}']")).await;
    browser
        .type_into("#reply", "Could you send a photo of the radiator valve?")
        .await;
    browser
        .click("#reply-form button[name=then][value=pending_customer]")
        .await;
    let mut shown = String::new();
    for _ in 0..100 {
        if let Ok(status) = c.find(fantoccini::Locator::Css("#case-status")).await {
            shown = status.text().await.unwrap_or_default();
            if shown.eq_ignore_ascii_case("pending customer") {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(shown.eq_ignore_ascii_case("pending customer"), "{shown}");
    let after = t.get(&format!("/api/v1/cases/{case}")).await.body;
    assert_eq!(after["status"], "pending_customer", "{after}");
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    assert!(
        events.iter().any(|e| e["data"]["type"] == "reply_sent"),
        "the reply went out first: {events:?}"
    );
}

/// Waits until the browser's address contains `part`.
async fn at_address(c: &fantoccini::Client, part: &str) {
    for _ in 0..100 {
        if c.current_url().await.unwrap().as_str().contains(part) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the browser never got to an address with {part}");
}
