//! The navigation's live view counts, lists that take in new cases without
//! a reload, and each agent's display settings (time zone, locale, newest
//! first), over HTTP on both backends and in a real Chromium.

use crate::browser::Browser;
use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    view_counts_follow_the_cases,
    display_settings_are_checked_and_kept_per_agent,
    newest_first_puts_the_latest_message_and_the_reply_box_on_top,
);

/// A server with agents Ann and Bob.
async fn staffed(b: Backend) -> TestServer {
    let t = TestServer::start(b).await;
    for (email, name) in [
        ("ann@example.com", "Ann Agent"),
        ("bob@example.com", "Bob Agent"),
    ] {
        t.agent_with_password(email, name, Role::Agent, PASSWORD)
            .await;
    }
    t
}

/// `/views/counts` as the agent sees it.
async fn counts(web: &mut WebAgent) -> Value {
    let page = web.get("/views/counts").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    serde_json::from_str(&page.html).unwrap()
}

/// Each agent's counts are their own views' sizes now; the change stamp
/// moves with every change, and a list page carries the stamp it was
/// drawn at.
async fn view_counts_follow_the_cases(b: Backend) {
    let t = staffed(b).await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let mut bob = WebAgent::signed_in(&t, "bob@example.com").await;
    let empty = counts(&mut ann).await;
    assert_eq!(
        empty["views"],
        json!({"mine": 0, "team": 0, "unassigned": 0, "pending": 0, "breached": 0})
    );
    assert_eq!(empty["changed"], 0);

    let cora = t.customer("Cora", "cora@example.org").await;
    let first = t.case(cora, "Boiler", "It is cold.").await;
    t.case(cora, "Radiator", "It knocks.").await;
    let two = counts(&mut ann).await;
    assert_eq!(two["views"]["unassigned"], 2);
    assert!(two["changed"].as_i64().unwrap() > 0);

    let page = ann.get("/views/unassigned").await;
    let drawn = format!("data-live-list=\"{}\"", two["changed"]);
    assert!(page.html.contains(&drawn), "{}", page.html);
    assert!(page.html.contains(&format!("<tr data-case=\"{first}\"")));
    assert!(page.html.contains("data-count-view=\"unassigned\""));

    let ann_id = t
        .store
        .agents()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.email.as_str() == "ann@example.com")
        .unwrap()
        .id;
    let r = t
        .patch(
            &format!("/api/v1/cases/{first}"),
            json!({"assignee_id": ann_id.0, "status": "pending_customer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let after = counts(&mut ann).await;
    assert_eq!(after["views"]["unassigned"], 1);
    assert_eq!(after["views"]["pending"], 1);
    assert_eq!(after["views"]["mine"], 0, "pending is not open work");
    assert!(after["changed"].as_i64() > two["changed"].as_i64());
    t.patch(&format!("/api/v1/cases/{first}"), json!({"status": "open"}))
        .await;
    assert_eq!(counts(&mut ann).await["views"]["mine"], 1);
    assert_eq!(counts(&mut bob).await["views"]["mine"], 0, "Bob's own");

    // Signed-out callers learn nothing.
    let mut stranger = WebAgent::new(&t);
    let refused = stranger.get("/views/counts").await;
    assert_ne!(refused.status, StatusCode::OK);
    assert!(!refused.html.contains("unassigned"));
}

/// Display settings are validated, saved per agent and put on every page
/// for the browser to write times with.
async fn display_settings_are_checked_and_kept_per_agent(b: Backend) {
    let t = staffed(b).await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let mut bob = WebAgent::signed_in(&t, "bob@example.com").await;
    let account = ann.get("/account").await;
    assert!(
        account.html.contains("data-time-zone=\"\""),
        "browser's by default"
    );
    assert!(account.html.contains("<option value=\"Asia/Tokyo\">"));
    let csrf = account.csrf();

    for (zone, locale, field) in [
        ("Mars/Olympus_Mons", "", "not a time zone"),
        ("Asia/Tokyo", "english!", "not a language tag"),
        ("Asia/Tokyo\u{7}", "", "not a time zone"),
    ] {
        let refused = ann
            .post(
                "/account/preferences",
                &[("csrf", &csrf), ("time_zone", zone), ("locale", locale)],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{zone} {locale}"
        );
        assert!(refused.html.contains(field), "{}", refused.html);
    }
    let forged = ann
        .post(
            "/account/preferences",
            &[("csrf", "nope"), ("time_zone", "UTC")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        ann.get("/views/mine")
            .await
            .html
            .contains("data-time-zone=\"\""),
        "nothing refused was saved"
    );

    let saved = ann
        .post(
            "/account/preferences",
            &[
                ("csrf", &csrf),
                ("time_zone", " Asia/Tokyo "),
                ("locale", "en_GB"),
                ("newest_first", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let page = ann.get(saved.location()).await;
    assert!(page.html.contains("Your display settings are saved"));
    assert!(
        page.html
            .contains("data-time-zone=\"Asia/Tokyo\" data-locale=\"en-GB\"")
    );
    assert!(page.html.contains("name=\"newest_first\" checked"));
    let others = bob.get("/views/mine").await;
    assert!(
        others.html.contains("data-time-zone=\"\""),
        "Bob's are his own"
    );

    // Emptied, they go back to the browser's.
    ann.post(
        "/account/preferences",
        &[("csrf", &csrf), ("time_zone", "")],
    )
    .await;
    let reset = ann.get("/account").await;
    assert!(reset.html.contains("data-time-zone=\"\" data-locale=\"\""));
    assert!(!reset.html.contains("name=\"newest_first\" checked"));
}

/// An agent who reads newest first gets the latest entry and the reply
/// box at the top of a case; everyone else keeps the conversation order.
async fn newest_first_puts_the_latest_message_and_the_reply_box_on_top(b: Backend) {
    let t = staffed(b).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let case = t.case(cora, "Boiler", "First message: it is cold.").await;
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "Second message: still cold."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let mut bob = WebAgent::signed_in(&t, "bob@example.com").await;
    let csrf = ann.get("/account").await.csrf();
    ann.post(
        "/account/preferences",
        &[("csrf", &csrf), ("newest_first", "on")],
    )
    .await;
    let at = |html: &str, what: &str| {
        html.find(what)
            .unwrap_or_else(|| panic!("{what} in {html}"))
    };
    let newest = ann.get(&format!("/cases/{case}")).await.html;
    assert!(at(&newest, "Second message") < at(&newest, "First message"));
    assert!(at(&newest, "id=\"reply-form\"") < at(&newest, "<ol class=\"timeline"));
    let oldest = bob.get(&format!("/cases/{case}")).await.html;
    assert!(at(&oldest, "First message") < at(&oldest, "Second message"));
    assert!(at(&oldest, "<ol class=\"timeline") < at(&oldest, "id=\"reply-form\""));
}

/// In Chromium: an agent in Tokyo sees exact times in Tokyo time; a case
/// opened elsewhere appears in the open list, marked new, with the counts
/// in the navigation and the tab title, without a reload.
#[tokio::test(flavor = "multi_thread")]
async fn lists_update_live_in_the_agents_time_zone_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = staffed(Backend::Sqlite).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let first = t.case(cora, "Boiler", "It is cold.").await;
    browser.sign_in(&t, "ann@example.com").await;
    let c = &browser.client;
    c.goto(&format!("{}/account", t.base)).await.unwrap();
    browser.type_into("#time-zone", "Asia/Tokyo").await;
    browser.type_into("#locale", "en-GB").await;
    browser.click("#preferences-form button[type=submit]").await;
    browser
        .wait_for_text("notice", "display settings are saved")
        .await;

    c.goto(&format!("{}/views/unassigned", t.base))
        .await
        .unwrap();
    browser
        .wait_for("tr[data-case] time[title*='Asia/Tokyo']")
        .await;
    let case: Value = t.get(&format!("/api/v1/cases/{first}")).await.body;
    let updated: jiff::Timestamp = case["updated_at"].as_str().unwrap().parse().unwrap();
    let tokyo = updated
        .in_tz("Asia/Tokyo")
        .unwrap()
        .strftime("%H:%M")
        .to_string();
    let title = browser
        .wait_for(&format!("tr[data-case='{first}'] time"))
        .await
        .attr("title")
        .await
        .unwrap()
        .unwrap();
    assert!(title.contains(&tokyo), "{title} shows {tokyo}, Tokyo time");
    browser.wait_for_text("nav-count", "1").await;

    let second = t.case(cora, "Radiator knocks", "Bang bang.").await;
    // The page polls every 10 seconds; wait up to 30.
    c.wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(fantoccini::Locator::Css(&format!(
            "tr.new-row[data-case='{second}']"
        )))
        .await
        .expect("the new case appears without a reload");
    browser.wait_for_text("live-status", "1 new case").await;
    let tab = c.title().await.unwrap();
    assert!(tab.starts_with("(2) Unassigned"), "{tab}");
    assert!(
        browser
            .wait_for(&format!("tr[data-case='{second}'] time"))
            .await
            .attr("title")
            .await
            .unwrap()
            .unwrap()
            .contains("Asia/Tokyo"),
        "times in redrawn rows are written too"
    );
}
