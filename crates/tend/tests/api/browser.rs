//! End to end in a real Chromium driven over WebDriver: sign in, open a case
//! from a view, reply (and find the reply queued as email through the API),
//! add a note, change the status; hostile email HTML runs no script.
//! Needs `chromium` and `chromium-driver`; in CI their absence is a failure.
//! Set `TEND_SCREENSHOTS=1` to refresh `docs/screenshots/`.

use crate::email::{FIRST, send, server};
use crate::harness::{Backend, TestServer};
use crate::web::{HOSTILE, PASSWORD};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tend_domain::agent::Role;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process with a headless Chromium session. Chromedriver runs
/// in its own process group, which is killed on drop with the Chromium it
/// started, so no browser outlives a test, passing or failing.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session; `None` (a
    /// skip) when chromedriver is not installed outside CI.
    pub async fn start() -> Option<Self> {
        if !std::path::Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var("CI").is_err(),
                "CI must install chromium and chromium-driver for the browser tests"
            );
            eprintln!("skipping browser test: {CHROMEDRIVER} is missing");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.path().display())],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver,
                        _profile: profile,
                    });
                }
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last_error}");
    }

    /// Waits for an element to appear.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
    }

    /// Clicks the element `css` selects.
    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap();
    }

    /// Types into the field `css` selects.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.wait_for(css).await.send_keys(text).await.unwrap();
    }

    /// Presses keys as a person would, on whatever has focus.
    pub async fn press(&self, keys: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Waits for an element containing `text`.
    pub async fn wait_for_text(&self, css_class: &str, text: &str) {
        let xpath = format!("//*[contains(@class, '{css_class}')][contains(., '{text}')]");
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("waiting for {text} in .{css_class}: {e}"));
    }

    /// Signs in through the form as `email` (password [`PASSWORD`]).
    pub async fn sign_in(&self, t: &TestServer, email: &str) {
        self.client
            .goto(&format!("{}/views/mine", t.base))
            .await
            .unwrap();
        self.wait_for("#password").await;
        self.type_into("#email", email).await;
        self.type_into("#password", PASSWORD).await;
        self.click("form button[type=submit]").await;
        self.wait_for("header.top").await;
    }

    /// Saves a screenshot to `docs/screenshots/` when asked to.
    pub async fn screenshot(&self, name: &str) {
        if std::env::var("TEND_SCREENSHOTS").is_err() {
            return;
        }
        let png = self.client.screenshot().await.unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_works_a_case_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = server(Backend::Sqlite).await;
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    send(&t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    let case = crate::email::cases(&t).await[0]["id"].as_i64().unwrap();
    let hostile = hostile_case(&t).await;
    let b = &browser;
    let c = &b.client;

    b.sign_in(&t, "ann@example.com").await;
    b.wait_for_text("empty", "Nothing assigned to you").await;

    // Open the case from the Unassigned view.
    // By address: the link's text also carries the view's live count.
    c.find(Locator::Css("nav a[href='/views/unassigned']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_for("table.cases").await;
    b.screenshot("view.png").await;
    c.find(Locator::XPath("//a[contains(., 'Printer prints')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_for_text("attachments", "scan.pdf").await;

    // Reply: it shows in the timeline and is queued as email.
    b.type_into("#reply", "Please try a new cartridge.").await;
    b.click("#reply-form .send button").await;
    b.wait_for_text("message-reply", "Please try a new cartridge.")
        .await;
    let messages = crate::email::messages(&t, case).await;
    let reply = messages
        .iter()
        .find(|m| m["body_text"] == "Please try a new cartridge.")
        .expect("the reply through the API");
    assert_eq!(reply["email"]["delivery"]["status"], "queued", "{reply}");

    // An internal note, visually distinct.
    b.type_into("#note", "Customer has the old model.").await;
    b.click("#note-form button").await;
    b.wait_for_text("message-note", "Customer has the old model.")
        .await;

    // Status, through the properties form.
    b.wait_for("select[name=status]")
        .await
        .select_by_value("pending_customer")
        .await
        .unwrap();
    b.click("form.properties button").await;
    b.wait_for_text("event", "changed the status from open to pending customer")
        .await;
    let status = b.wait_for("#case-status").await.text().await.unwrap();
    assert_eq!(status, "pending customer");
    let api = t.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(api.body["status"], "pending_customer");
    b.screenshot("case.png").await;

    // Work pushed onto the customer, through the effort panel: the figure
    // and its explanation change, and the API agrees.
    b.click("details.effort-record:nth-of-type(2) > summary")
        .await;
    b.wait_for("form[action$='/effort/ask'] select[name=kind]")
        .await
        .select_by_value("call_third_party")
        .await
        .unwrap();
    b.type_into("#ask-action", "Find a plumber yourself").await;
    b.click("form[action$='/effort/ask'] button").await;
    b.wait_for_text("effort-lines", "asked to call a third party +15")
        .await;
    let effort = t.get(&format!("/api/v1/cases/{case}/effort")).await;
    assert!(
        effort.body["index"].as_u64().unwrap() >= 15,
        "{}",
        effort.body
    );
    b.screenshot("effort.png").await;

    // Hostile HTML renders but runs nothing.
    c.goto(&format!("{}/cases/{hostile}", t.base))
        .await
        .unwrap();
    b.wait_for_text("message-customer", "Hello").await;
    let pwned = c
        .execute("return typeof window.pwned;", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, json!("undefined"));

    // Keyboard: `?` shows the help, Esc hides it; `j` then Enter opens a case.
    c.goto(&format!("{}/views/all", t.base)).await.unwrap();
    let help = b.wait_for("#help").await;
    assert!(!help.is_displayed().await.unwrap());
    b.press("?").await;
    assert!(help.is_displayed().await.unwrap(), "help overlay shown");
    b.press(&char::from(Key::Escape).to_string()).await;
    assert!(!help.is_displayed().await.unwrap(), "help overlay hidden");
    b.press("j").await;
    b.press(&char::from(Key::Enter).to_string()).await;
    b.wait_for("#case-title").await;
    // `/` goes to search, where matches are highlighted.
    b.press("/").await;
    b.type_into("#q", "cartridge").await;
    b.press(&char::from(Key::Enter).to_string()).await;
    b.wait_for_text("snippet", "cartridge").await;
    let mark = b.wait_for(".snippet mark").await.text().await.unwrap();
    assert_eq!(mark.to_lowercase(), "cartridge");
    b.screenshot("search.png").await;
}

/// A case whose message HTML tries to run script.
async fn hostile_case(t: &TestServer) -> i64 {
    let customer = t.customer("Mallory", "mallory@example.org").await;
    t.post(
        "/api/v1/cases",
        json!({"subject": "Invoice looks odd", "customer_id": customer, "message": "x", "message_html": HOSTILE}),
    )
    .await
    .id()
}
