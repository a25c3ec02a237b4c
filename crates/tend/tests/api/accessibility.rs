//! The agent pages in real Chromium at laptop and tablet widths: nothing
//! wider than the screen, every form control named for screen readers, one
//! page heading, and the keyboard reaches the controls in reading order.

use crate::browser::Browser;
use crate::harness::Backend;
use crate::web::PASSWORD;
use serde_json::{Value, json};
use tend_domain::agent::Role;

/// Window sizes: a laptop and a tablet held upright.
const SIZES: [(u32, u32); 2] = [(1280, 800), (820, 1180)];

/// Problems on the current page, as sentences (empty when there are none).
pub const AUDIT: &str = r#"
const problems = [];
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth + 1)
  problems.push(`wider than the window: ${root.scrollWidth} > ${root.clientWidth}`);
if (!root.lang) problems.push("no lang on <html>");
const headings = document.querySelectorAll("h1");
if (headings.length !== 1) problems.push(`${headings.length} h1 elements`);
const named = (el) =>
  (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") ||
  el.getAttribute("aria-labelledby") || el.getAttribute("title") ||
  ((el.tagName === "BUTTON" || el.tagName === "A") && el.textContent.trim() !== "");
for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button, a[href]")) {
  if (el.closest("[hidden]")) continue;
  if (!named(el)) problems.push(`unnamed ${el.tagName.toLowerCase()} ${el.outerHTML.slice(0, 80)}`);
}
for (const el of document.querySelectorAll("[tabindex]")) {
  if (Number(el.getAttribute("tabindex")) > 0) problems.push(`positive tabindex on ${el.tagName}`);
}
return problems;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_pages_are_labelled_and_fit_laptops_and_tablets() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (t, case) = crate::web::with_case(Backend::Sqlite).await;
    // An admin sees every page an agent does, and the admin pages.
    t.agent_with_password("ada@example.com", "Ada Admin", Role::Admin, PASSWORD)
        .await;
    browser.sign_in(&t, "ada@example.com").await;
    // The case page with its tools in use (open promise, related case,
    // snooze banner, messages to tick for a split).
    crate::case_tools::case_with_tools_in_use(&t, case).await;
    let customer = crate::customer_pages::page_fixtures(&t, case).await;
    let pages = [
        "/views/mine".to_string(),
        "/views/unassigned".into(),
        "/views/team".into(),
        "/views/all".into(),
        "/views/snoozed".into(),
        "/views/following".into(),
        format!("/cases/{case}"),
        "/cases/new".into(),
        "/search?q=printer".into(),
        "/search".into(),
        "/account".into(),
        "/notifications".into(),
        "/reports".into(),
        "/admin/agents".into(),
        "/admin/teams".into(),
        "/admin/inboxes".into(),
        "/admin/canned".into(),
        // The public help centre, branded like the portal, with and
        // without results.
        "/help".into(),
        "/help/search?q=printer".into(),
        "/help/search?q=nothing+matches+this".into(),
        "/customers".into(),
        format!("/customers/{}", customer.customer),
        format!(
            "/customers/{}/merge?into={}",
            customer.duplicate, customer.customer
        ),
        "/organizations".into(),
        format!("/organizations/{}", customer.organization),
    ];
    let c = &browser.client;
    for (width, height) in SIZES {
        c.set_window_size(width, height).await.unwrap();
        for page in &pages {
            c.goto(&format!("{}{page}", t.base)).await.unwrap();
            browser.wait_for("main h1").await;
            let problems = c.execute(AUDIT, vec![]).await.unwrap();
            assert_eq!(problems, json!([]), "{page} at {width}x{height}");
        }
    }

    // Tab order follows the page: from the start, the first stops are the
    // header's links, and the case page's reply box comes before its button.
    c.goto(&format!("{}/cases/{case}", t.base)).await.unwrap();
    browser.wait_for("#reply").await;
    let order = c
        .execute(
            r##"const all = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")]
                 .filter(el => !el.closest("[hidden]"));
               return [all[0].textContent.trim(),
                       all.indexOf(document.getElementById("reply")) <
                       all.indexOf(document.querySelector("#reply-form .send button"))];"##,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(order, Value::from(vec![json!("Tend"), json!(true)]));
}
