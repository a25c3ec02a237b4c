//! The rule editor in a real Chromium: an admin writes a rule on the
//! admin page, and the rule then acts on a case an inbound email opens.
//! `TEND_SCREENSHOTS=1` refreshes `docs/screenshots/rule-editor.png`.

use crate::browser::Browser;
use crate::email::{eventually, send, server};
use crate::harness::Backend;
use crate::web::PASSWORD;
use fantoccini::Locator;
use tend_domain::agent::Role;

const FLOOD: &str = "From: Bob Stone <bob@example.org>\r\nTo: support@example.com\r\n\
Subject: Water everywhere\r\nMessage-ID: <flood-1@example.org>\r\n\r\n\
There is a flood in the kitchen, the pipe under the sink burst.\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rule_editor_creates_a_rule_that_fires_on_an_inbound_email() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = server(Backend::Sqlite).await;
    t.agent_with_password("root@example.com", "Rita Root", Role::Admin, PASSWORD)
        .await;
    let b = &browser;
    let c = &b.client;
    b.sign_in(&t, "root@example.com").await;
    c.goto(&format!("{}/admin/rules", t.base)).await.unwrap();
    b.wait_for_text("empty", "No rules yet").await;

    b.type_into("#new-rule input[name=name]", "Floods are urgent")
        .await;
    b.wait_for("#new-rule select[name=on]")
        .await
        .select_by_value("customer_message")
        .await
        .unwrap();
    for (field, json) in [
        ("conditions", r#"{"text_contains": "flood"}"#),
        (
            "actions",
            r#"[{"do": "set_priority", "priority": "urgent"}, {"do": "add_tags", "tags": ["flood"]}]"#,
        ),
    ] {
        let area = b
            .wait_for(&format!("#new-rule textarea[name={field}]"))
            .await;
        area.clear().await.unwrap();
        area.send_keys(json).await.unwrap();
    }
    c.execute(
        "document.getElementById('new-rule').previousElementSibling.scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    b.screenshot("rule-editor.png").await;
    b.click("#new-rule > button:not(.secondary)").await;
    b.wait_for_text("admin-table", "Floods are urgent").await;
    let rules = t.get("/api/v1/rules").await.body;
    assert_eq!(rules[0]["when"]["on"], "customer_message", "{rules}");

    send(&t, "bob@example.org", "support@example.com", FLOOD)
        .await
        .unwrap();
    let case = crate::email::cases(&t).await[0]["id"].as_i64().unwrap();
    let got = eventually("the rule's changes", || async {
        let case = t.get(&format!("/api/v1/cases/{case}")).await.body;
        (case["priority"] == "urgent").then_some(case)
    })
    .await;
    assert_eq!(got["tags"], serde_json::json!(["flood"]));

    c.goto(&format!("{}/cases/{case}", t.base)).await.unwrap();
    b.wait_for_text("event", "applied the rule").await;
    let history = c
        .find(Locator::XPath(
            "//*[contains(@class, 'event')][contains(., 'applied the rule')]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(history.contains("Floods are urgent"), "{history}");
}
