//! The public request form, branding, embedding and identify-once on the
//! case page, over HTTP against a running server.

use crate::harness::{Backend, Options, TestServer};
use crate::web::{PASSWORD, Page, WebAgent, with_case};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, SET_COOKIE, X_FRAME_OPTIONS};
use serde_json::Value;
use std::time::Duration;
use tend_domain::agent::Role;

crate::both_backends!(
    public_form_opens_a_case_and_reuses_known_customers,
    honeypot_and_hasty_submissions_store_nothing,
    public_requests_are_rate_limited,
    missing_or_wrong_tokens_are_refused,
    oversized_attachments_are_refused,
    only_the_embedded_form_may_be_framed_when_configured,
    brand_css_reflects_settings,
    identity_is_requested_and_verified_once,
    light_agents_cannot_touch_identity,
    public_requests_are_confirmed_by_email_with_the_portal,
);

/// A visitor of the public form: keeps the form's cookie, token and stamp.
pub(crate) struct Visitor {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
    started: String,
}

/// The value of hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the field") + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_string()
}

impl Visitor {
    /// Opens the form; waits `wait` as a person would before sending.
    pub(crate) async fn open(t: &TestServer, wait: Duration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = http
            .get(format!("{}/request", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let cookie = r.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let html = r.text().await.unwrap();
        tokio::time::sleep(wait).await;
        Visitor {
            http,
            base: t.base.clone(),
            cookie,
            csrf: hidden(&html, "csrf"),
            started: hidden(&html, "started"),
        }
    }

    /// Posts the form as multipart: the visitor's token and stamp, then
    /// `fields`, then `files` as (name, bytes).
    pub(crate) async fn send(&self, fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> Page {
        let boundary = "tend-test-boundary";
        let mut body = Vec::new();
        let base = [
            ("csrf", self.csrf.as_str()),
            ("started", self.started.as_str()),
        ];
        for (k, v) in base.iter().chain(fields) {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, data) in files {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend(data);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        let r = self
            .http
            .post(format!("{}/request", self.base))
            .header("cookie", &self.cookie)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        Page {
            status: r.status(),
            headers: r.headers().clone(),
            html: r.text().await.unwrap(),
        }
    }
}

/// A filled-in request from `email`.
pub(crate) fn request<'a>(email: &'a str, subject: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("email", email),
        ("name", "Pat Public"),
        ("subject", subject),
        ("message", "My order has not arrived."),
        ("website", ""),
    ]
}

/// Every case in the store.
async fn cases(t: &TestServer) -> Vec<Value> {
    t.all("/api/v1/cases").await
}

/// A person's pause before sending.
pub(crate) const HUMAN: Duration = Duration::from_millis(2100);

async fn public_form_opens_a_case_and_reuses_known_customers(b: Backend) {
    let t = TestServer::start(b).await;
    let known = t.customer("Cora Customer", "cora@example.org").await;
    let visitor = Visitor::open(&t, HUMAN).await;

    let page = visitor
        .send(
            &request("pat@example.net", "Where is my order?"),
            &[("receipt.txt", b"order 42".to_vec())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let all = cases(&t).await;
    assert_eq!(all.len(), 1);
    let case = &all[0];
    assert!(
        page.html.contains(&format!("#{}", case["id"])),
        "the thank-you page shows the reference: {}",
        page.html
    );
    assert_eq!(case["channel"], "web_form");
    assert_eq!(case["subject"], "Where is my order?");
    let customers = t.all("/api/v1/customers?email=pat@example.net").await;
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["name"], "Pat Public");
    assert_eq!(customers[0]["verification_level"], "unverified");
    assert_eq!(customers[0]["id"], case["customer_id"]);
    let messages = t
        .all(&format!("/api/v1/cases/{}/messages", case["id"]))
        .await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["body_text"], "My order has not arrived.");
    assert_eq!(messages[0]["attachments"][0]["filename"], "receipt.txt");

    // A known address (in any case) is the same customer, not a new one.
    let page = visitor
        .send(&request("CORA@example.org", "Another question"), &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let cora = t.all("/api/v1/customers?email=cora@example.org").await;
    assert_eq!(cora.len(), 1, "no duplicate customer");
    let theirs = t.all(&format!("/api/v1/cases?customer_id={known}")).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["subject"], "Another question");
    assert_eq!(t.all("/api/v1/customers").await.len(), 2);

    // Bad input is shown again with the error, nothing stored.
    let page = visitor.send(&request("not an address", "x"), &[]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("not an email address"), "{}", page.html);
    assert_eq!(cases(&t).await.len(), 2);
}

async fn honeypot_and_hasty_submissions_store_nothing(b: Backend) {
    let t = TestServer::start(b).await;
    let visitor = Visitor::open(&t, HUMAN).await;
    let mut fields = request("bot@example.net", "Cheap pills");
    fields.retain(|(k, _)| *k != "website");
    fields.push(("website", "http://spam.example"));
    let page = visitor.send(&fields, &[]).await;
    assert_eq!(page.status, StatusCode::OK, "the bot is told it worked");
    assert!(page.html.contains("We have received your request"));
    assert!(!page.html.contains("request-reference"));

    let hasty = Visitor::open(&t, Duration::ZERO).await;
    let page = hasty.send(&request("fast@example.net", "Quick"), &[]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("looks like spam"), "{}", page.html);

    // A forged stamp (claiming an old form) is no better.
    let mut forged = Visitor::open(&t, HUMAN).await;
    forged.started = format!("1000.{}", forged.started.split_once('.').unwrap().1);
    let page = forged
        .send(&request("forger@example.net", "Old"), &[])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);

    assert!(cases(&t).await.is_empty());
    assert!(t.all("/api/v1/customers").await.is_empty());
}

async fn public_requests_are_rate_limited(b: Backend) {
    let t = TestServer::start(b).await;
    let visitor = Visitor::open(&t, HUMAN).await;
    for i in 0..5 {
        let subject = format!("Request {i}");
        let page = visitor
            .send(&request("busy@example.net", &subject), &[])
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    }
    let page = visitor
        .send(&request("busy@example.net", "Sixth"), &[])
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.html.contains("wait an hour"), "{}", page.html);
    assert_eq!(cases(&t).await.len(), 5);
    // The same IP may still write for others, up to its own allowance.
    for i in 0..5 {
        let email = format!("other{i}@example.net");
        let page = visitor.send(&request(&email, "Hello"), &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    }
    let page = visitor
        .send(&request("eleventh@example.net", "Hi"), &[])
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(cases(&t).await.len(), 10);
}

async fn missing_or_wrong_tokens_are_refused(b: Backend) {
    let t = TestServer::start(b).await;
    let mut visitor = Visitor::open(&t, HUMAN).await;
    let good = visitor.csrf.clone();
    visitor.csrf = "wrong".into();
    let page = visitor.send(&request("a@example.net", "x"), &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    visitor.csrf = String::new();
    let page = visitor.send(&request("a@example.net", "x"), &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    visitor.csrf = good;
    visitor.cookie = String::new();
    let page = visitor.send(&request("a@example.net", "x"), &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // A plain urlencoded post without a cookie is refused too.
    let r = t
        .http
        .post(format!("{}/request", t.base))
        .form(&[("csrf", "x"), ("email", "a@example.net")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(cases(&t).await.is_empty());
    assert!(t.all("/api/v1/customers").await.is_empty());
}

async fn oversized_attachments_are_refused(b: Backend) {
    let options = Options {
        max_attachment_bytes: Some(1000),
        ..Options::default()
    };
    let t = TestServer::start_with(b, options).await;
    let visitor = Visitor::open(&t, HUMAN).await;
    let page = visitor
        .send(
            &request("big@example.net", "Big file"),
            &[("big.bin", vec![7u8; 2000])],
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.html);
    assert!(page.html.contains("too large"), "{}", page.html);
    assert!(cases(&t).await.is_empty());
    assert!(t.all("/api/v1/customers").await.is_empty());
}

/// The framing headers of `path`: (X-Frame-Options, CSP).
async fn framing(t: &TestServer, path: &str) -> (Option<String>, String) {
    let r = t
        .http
        .get(format!("{}{path}", t.base))
        .send()
        .await
        .unwrap();
    let h = |name| {
        r.headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_string())
    };
    (
        h(X_FRAME_OPTIONS),
        h(CONTENT_SECURITY_POLICY).unwrap_or_default(),
    )
}

async fn only_the_embedded_form_may_be_framed_when_configured(b: Backend) {
    let t = TestServer::start(b).await;
    let (xfo, csp) = framing(&t, "/request?embed=1").await;
    assert_eq!(xfo.as_deref(), Some("DENY"), "not configured: no framing");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = t
        .http
        .get(format!("{}/request?embed=1", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("--embed-origins"), "says embedding needs it");
    drop(t);

    let options = Options {
        embed_origins: Some("https://shop.example, https://help.example:8443".into()),
        ..Options::default()
    };
    let t = TestServer::start_with(b, options).await;
    let (xfo, csp) = framing(&t, "/request?embed=1").await;
    assert_eq!(xfo, None);
    assert!(
        csp.contains("frame-ancestors https://shop.example https://help.example:8443"),
        "{csp}"
    );
    let html = t
        .http
        .get(format!("{}/request?embed=1", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("action=\"/request?embed=1\""));
    assert!(!html.contains("brand-bar"), "the minimal layout");
    for path in ["/request", "/signin", "/views/mine"] {
        let (xfo, csp) = framing(&t, path).await;
        assert_eq!(xfo.as_deref(), Some("DENY"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}

async fn brand_css_reflects_settings(b: Backend) {
    let options = Options {
        brand_name: Some("Acme Help".into()),
        brand_color: Some("#AA3300".into()),
        ..Options::default()
    };
    let t = TestServer::start_with(b, options).await;
    let r = t
        .http
        .get(format!("{}/brand.css", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let css = r.text().await.unwrap();
    assert!(css.contains("--brand: #aa3300"), "{css}");
    let html = t
        .http
        .get(format!("{}/request", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("href=\"/brand.css\""));
    assert!(html.contains("Acme Help"));
    assert!(html.contains("data-suggest"));
    assert!(html.contains("/assets/suggest.js"));
    let r = t
        .http
        .get(format!("{}/brand/logo", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "no logo file configured");

    for bad in ["red", "#abc", "#12345g", "#123456;}body{"] {
        let serve = tend::config::ServeArgs {
            brand_color: Some(bad.into()),
            ..Default::default()
        };
        let err = tend::config::Settings::resolve(&Default::default(), &serve)
            .expect_err(bad)
            .to_string();
        assert!(err.contains("#rrggbb"), "{err}");
    }
}

/// The customer of case `case`, through the API.
async fn customer_of(t: &TestServer, case: i64) -> Value {
    let case = t.get(&format!("/api/v1/cases/{case}")).await.body;
    t.get(&format!("/api/v1/customers/{}", case["customer_id"]))
        .await
        .body
}

/// The kinds of case `case`'s events, oldest first.
async fn event_types(t: &TestServer, case: i64) -> Vec<String> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .iter()
        .map(|e| e["data"]["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn identity_is_requested_and_verified_once(b: Backend) {
    let (t, case) = with_case(b).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("Request identity"), "{}", page.html);
    let csrf = page.csrf();

    let page = web
        .post(
            &format!("/cases/{case}/identity/request"),
            &[("csrf", &csrf), ("reason", "Changing the delivery address")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    let asked = events
        .iter()
        .find(|e| e["data"]["type"] == "identity_requested")
        .expect("identity_requested event");
    assert_eq!(asked["data"]["reason"], "Changing the delivery address");
    assert_eq!(
        customer_of(&t, case).await["verification_level"],
        "unverified"
    );

    // A method is required.
    let page = web
        .post(
            &format!("/cases/{case}/identity/verify"),
            &[("csrf", &csrf), ("method", "  ")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = web
        .post(
            &format!("/cases/{case}/identity/verify"),
            &[("csrf", &csrf), ("method", "ID document")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert!(
        event_types(&t, case)
            .await
            .contains(&"identity_verified".to_string())
    );
    let customer = customer_of(&t, case).await;
    assert_eq!(customer["verification_level"], "agent_verified");
    assert_eq!(customer["verification_method"], "ID document");

    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html.contains("Verified — do not ask again"),
        "{}",
        page.html
    );
    assert!(page.html.contains("by Ann Agent"));
    assert!(page.html.contains("Asked to identify 1 time."));

    // Asking a verified customer again needs the deliberate second step.
    let page = web
        .post(
            &format!("/cases/{case}/identity/request"),
            &[("csrf", &csrf), ("reason", "Just checking")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("already verified"));
    let page = web
        .post(
            &format!("/cases/{case}/identity/request"),
            &[
                ("csrf", &csrf),
                ("reason", "Large refund"),
                ("again", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let asked = event_types(&t, case)
        .await
        .iter()
        .filter(|k| *k == "identity_requested")
        .count();
    assert_eq!(asked, 2, "the second request is recorded and counted");

    // The verified identity travels to the customer's other cases.
    let customer_id = customer_of(&t, case).await["id"].as_i64().unwrap();
    let second = t.case(customer_id, "Another thing", "Hello again").await;
    let page = web.get(&format!("/cases/{second}")).await;
    assert!(
        page.html.contains("Verified — do not ask again"),
        "{}",
        page.html
    );
    assert!(page.html.contains("Asked to identify 2 times."));
    assert!(!page.html.contains(">Request identity</button>"));

    // Without a token nothing is recorded.
    let page = web
        .post(
            &format!("/cases/{second}/identity/verify"),
            &[("method", "call-back")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        !event_types(&t, second)
            .await
            .contains(&"identity_verified".to_string())
    );
}

async fn light_agents_cannot_touch_identity(b: Backend) {
    let (t, case) = with_case(b).await;
    t.agent_with_password("lee@example.com", "Lee Light", Role::LightAgent, PASSWORD)
        .await;
    let mut web = WebAgent::signed_in(&t, "lee@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("Mark identity verified"));
    let csrf = page.csrf();
    for (path, field, value) in [
        ("request", "reason", "Please identify"),
        ("verify", "method", "ID document"),
    ] {
        let page = web
            .post(
                &format!("/cases/{case}/identity/{path}"),
                &[("csrf", &csrf), (field, value)],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    let kinds = event_types(&t, case).await;
    assert!(
        !kinds.iter().any(|k| k.starts_with("identity")),
        "{kinds:?}"
    );
    assert_eq!(
        customer_of(&t, case).await["verification_level"],
        "unverified"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_sends_a_request_in_chromium() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let t = TestServer::start(Backend::Sqlite).await;
    browser
        .client
        .goto(&format!("{}/request", t.base))
        .await
        .unwrap();
    browser.wait_for("#request-email").await;
    browser.type_into("#request-email", "pat@example.net").await;
    browser.type_into("#request-name", "Pat Public").await;
    browser
        .type_into("#request-subject", "Where is my order?")
        .await;
    browser
        .type_into("#request-message", "It has not arrived yet.")
        .await;
    tokio::time::sleep(HUMAN).await;
    browser.screenshot("request.png").await;
    browser.click(".request-form button[type=submit]").await;
    browser.wait_for_text("request-reference", "#1").await;
    let all = cases(&t).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["subject"], "Where is my order?");
}

async fn public_requests_are_confirmed_by_email_with_the_portal(b: Backend) {
    let t = TestServer::start(b).await;
    let inbox = t
        .post(
            "/api/v1/inboxes",
            serde_json::json!({"address": "help@example.com", "name": "Example Help"}),
        )
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    let visitor = Visitor::open(&t, HUMAN).await;
    let page = visitor
        .send(&request("pat@example.net", "Where is my order?"), &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let case = cases(&t).await[0]["id"].as_i64().unwrap();
    let mails = crate::portal::mail_to(&t, "pat@example.net").await;
    let raw = String::from_utf8_lossy(&mails[0]).to_string();
    assert!(raw.contains("Auto-Submitted: auto-replied"), "{raw}");
    let text = crate::portal::body_text(&mails[0]);
    assert!(text.contains(&format!("[#{case}]")), "{text}");
    assert!(text.contains(&format!("{}/portal", t.base)), "{text}");
    // The confirmation is on the case, as Tend's.
    let messages = t.all(&format!("/api/v1/cases/{case}/messages")).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["author"]["kind"], "system");
    assert_eq!(messages[1]["email"]["from"], "help@example.com");
}
