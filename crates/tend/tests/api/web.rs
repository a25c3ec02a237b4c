//! The web UI over plain HTTP: sign-in, sessions, CSRF, rate limiting,
//! views, the case page's forms, roles and hostile email HTML.

use crate::harness::{Backend, Options, TestServer};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::json;
use std::collections::HashMap;
use tend_domain::agent::Role;

crate::both_backends!(
    sign_in_and_out_with_server_side_sessions,
    failed_sign_ins_are_rate_limited,
    every_form_rejects_a_missing_or_wrong_csrf_token,
    light_agents_read_but_cannot_reply,
    hostile_message_html_cannot_run_script,
    views_filter_sort_and_paginate,
    case_page_changes_and_replies,
    attachments_download_for_signed_in_agents,
    search_highlights_matches_and_escapes_the_rest,
    search_finds_numbers_people_and_agreements,
);

pub const PASSWORD: &str = "correct horse battery";

/// A page as the server sent it.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    /// Where a redirect points.
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    /// The first CSRF token in the page's forms.
    pub fn csrf(&self) -> String {
        let start = self.html.find("name=\"csrf\" value=\"").expect("a form") + 19;
        let end = start + self.html[start..].find('"').unwrap();
        self.html[start..end].to_string()
    }

    /// The `Set-Cookie` header for `name`.
    pub fn set_cookie(&self, name: &str) -> String {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie in {:?}", self.headers))
    }
}

/// A browser-like HTTP client: keeps cookies, does not follow redirects.
pub struct WebAgent {
    base: String,
    http: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

impl WebAgent {
    pub fn new(t: &TestServer) -> Self {
        Self::at(&t.base)
    }

    /// A browser talking to the server at `base`.
    pub fn at(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    /// The same browser (its cookies) talking to the server at `base`.
    pub fn on(&self, base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: self.http.clone(),
            cookies: self.cookies.clone(),
        }
    }

    /// Signs in, asserting it works.
    pub async fn signed_in(t: &TestServer, email: &str) -> Self {
        let mut agent = Self::new(t);
        let page = agent.sign_in(email, PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
        assert_eq!(page.location(), "/");
        agent
    }

    /// Fetches the sign-in form and posts it.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/signin").await;
        let csrf = form.csrf();
        self.post(
            "/signin",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    /// The `Cookie` header this agent sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let r = req
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        for c in headers.get_all(SET_COOKIE) {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.into(), v.into());
            }
        }
        let html = r.text().await.unwrap();
        Page {
            status,
            headers,
            html,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }
}

/// A server with an agent `ann@example.com` (password [`PASSWORD`]) and one
/// case; answers the case id.
pub async fn with_case(b: Backend) -> (TestServer, i64) {
    let t = TestServer::start(b).await;
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let customer = t.customer("Cora Customer", "cora@example.org").await;
    let case = t
        .case(customer, "Printer jam", "It jams on every page.")
        .await;
    (t, case)
}

async fn sign_in_and_out_with_server_side_sessions(b: Backend) {
    let (t, _) = with_case(b).await;
    let mut web = WebAgent::new(&t);
    let page = web.get("/views/mine").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/signin");

    let wrong = web.sign_in("ann@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.html.contains("Wrong email or password"),
        "{}",
        wrong.html
    );
    let unknown = web.sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(!web.cookies.contains_key("tend_session"));

    let ok = web.sign_in("ann@example.com", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    let cookie = ok.set_cookie("tend_session");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP by default: {cookie}"
    );
    let page = web.get("/views/mine").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Ann Agent"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");

    // Signing out deletes the session on the server: the old cookie is dead.
    let old = web.cookies["tend_session"].clone();
    let out = web.post("/signout", &[("csrf", &page.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/signin");
    web.cookies.insert("tend_session".into(), old);
    assert_eq!(web.get("/views/mine").await.location(), "/signin");

    // With --secure-cookies the cookies are HTTPS-only.
    let secure = TestServer::start_with(
        b,
        Options {
            secure_cookies: true,
            ..Options::default()
        },
    )
    .await;
    let page = WebAgent::new(&secure).get("/signin").await;
    assert!(page.set_cookie("tend_signin_csrf").contains("; Secure"));
}

async fn failed_sign_ins_are_rate_limited(b: Backend) {
    let (t, _) = with_case(b).await;
    let mut web = WebAgent::new(&t);
    for _ in 0..5 {
        let page = web.sign_in("ann@example.com", "guess guess guess").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits, with a clear message.
    let page = web.sign_in("ANN@example.com", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.html.contains("Too many failed sign-ins"),
        "{}",
        page.html
    );
    assert!(!web.cookies.contains_key("tend_session"));
    // A 100k-character address is counted like any other: refused, no 5xx.
    let huge = format!("{}@example.com", "x".repeat(100_000));
    let page = WebAgent::new(&t).sign_in(&huge, "guess").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.html);
}

async fn every_form_rejects_a_missing_or_wrong_csrf_token(b: Backend) {
    let (t, case) = with_case(b).await;
    // The sign-in form, without and with a wrong token.
    let mut anon = WebAgent::new(&t);
    anon.get("/signin").await;
    for csrf in [None, Some("wrong")] {
        let mut form = vec![("email", "ann@example.com"), ("password", PASSWORD)];
        form.extend(csrf.map(|c| ("csrf", c)));
        let page = anon.post("/signin", &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.html);
        assert!(page.html.contains("reload the page"));
    }
    assert!(!anon.cookies.contains_key("tend_session"));

    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/cases/{case}/reply"), vec![("body", "hello")]),
        (format!("/cases/{case}/note"), vec![("body", "psst")]),
        (format!("/cases/{case}/update"), vec![("status", "closed")]),
        ("/signout".into(), vec![]),
    ];
    for (path, fields) in &forms {
        for csrf in [None, Some("wrong")] {
            let mut form = fields.clone();
            form.extend(csrf.map(|c| ("csrf", c)));
            let page = web.post(path, &form).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} {csrf:?}");
        }
    }
    // Nothing happened: one message, status new, still signed in.
    let c = t.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(c.body["message_count"], 1);
    assert_eq!(c.body["status"], "new");
    assert_eq!(web.get("/views/mine").await.status, StatusCode::OK);
}

async fn light_agents_read_but_cannot_reply(b: Backend) {
    let (t, case) = with_case(b).await;
    t.agent_with_password("lee@example.com", "Lee Light", Role::LightAgent, PASSWORD)
        .await;
    let mut web = WebAgent::signed_in(&t, "lee@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("It jams on every page."));
    assert!(
        !page.html.contains("Send reply"),
        "no composer for light agents"
    );
    let csrf = page.csrf();
    for (path, field, value) in [
        ("reply", "body", "I should not be able to"),
        ("note", "body", "nor this"),
        ("update", "status", "closed"),
    ] {
        let page = web
            .post(
                &format!("/cases/{case}/{path}"),
                &[("csrf", &csrf), (field, value)],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    let c = t.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(c.body["message_count"], 1);
    assert_eq!(c.body["status"], "new");
}

/// Email HTML meant to run script in an agent's browser.
pub const HOSTILE: &str = "<p>Hello</p><script>window.pwned=1</script>\
<img src=x onerror=\"window.pwned=2\"><a href=\"javascript:window.pwned=3\">click</a>\
<svg onload=\"window.pwned=4\"></svg><iframe src=\"javascript:1\"></iframe>";

async fn hostile_message_html_cannot_run_script(b: Backend) {
    let (t, _) = with_case(b).await;
    let customer = t.customer("Mallory", "mallory@example.org").await;
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "<b>Invoice</b>", "customer_id": customer,
                   "message": "see html", "message_html": HOSTILE}),
        )
        .await;
    let case = r.id();
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("<p>Hello</p>"),
        "sanitised HTML is rendered"
    );
    for bad in [
        "<script>window",
        "onerror",
        "javascript:",
        "onload",
        "<iframe",
    ] {
        assert!(!page.html.contains(bad), "{bad} in page");
    }
    assert!(
        page.html.contains("&#60;b&#62;Invoice&#60;/b&#62;"),
        "subject is escaped"
    );
    let list = web.get("/views/all").await;
    assert!(list.html.contains("&#60;b&#62;Invoice&#60;/b&#62;"));
}

async fn views_filter_sort_and_paginate(b: Backend) {
    let (t, first) = with_case(b).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let mine = web.get("/views/mine").await;
    assert!(
        mine.html.contains("Nothing assigned to you is open"),
        "empty state"
    );
    let customer = t.customer("Dan", "dan@example.org").await;
    for i in 0..26 {
        t.case(customer, &format!("Question {i:02}"), "?").await;
    }
    // Unassigned: 27 open cases, the longest wait first, 25 on the first
    // page, then the rest.
    let page = web.get("/views/unassigned").await;
    assert_eq!(page.html.matches("<tr data-case=").count(), 25, "25 rows");
    assert!(page.html.find("Printer jam").unwrap() < page.html.find("Question 00").unwrap());
    assert!(page.html.find("Question 00").unwrap() < page.html.find("Question 01").unwrap());
    assert!(page.html.contains("1–25 of 27"), "{}", page.html);
    let start = page.html.find("cursor=").expect("a next page link") + 7;
    let end = start + page.html[start..].find(['"', '&']).unwrap();
    let cursor = &page.html[start..end];
    let next = web
        .get(&format!(
            "/views/unassigned?sort=waiting_since&cursor={cursor}&at=26"
        ))
        .await;
    assert_eq!(next.html.matches("<tr data-case=").count(), 2);
    assert!(next.html.contains("Question 25") && next.html.contains("First page"));
    assert!(next.html.contains("26–27 of 27"));
    assert!(
        page.html.contains(&format!("cursor={cursor}&#38;at=26")),
        "the next page link says where it starts"
    );
    let bad = web.get("/views/unassigned?at=0").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let recent = web.get("/views/unassigned?sort=-updated_at").await;
    assert!(recent.html.find("Question 25").unwrap() < recent.html.find("Question 24").unwrap());
    // Oldest first puts the first case on top.
    let oldest = web.get("/views/all?sort=created_at").await;
    assert!(oldest.html.find("Printer jam").unwrap() < oldest.html.find("Question 00").unwrap());
    let bad = web.get("/views/all?sort=nonsense").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(web.get("/views/nope").await.status, StatusCode::NOT_FOUND);

    // Assign to me moves the case from Unassigned to Mine; pending lists it when waiting.
    let page = web.get(&format!("/cases/{first}")).await;
    let csrf = page.csrf();
    let r = web
        .post(
            &format!("/cases/{first}/update"),
            &[("csrf", &csrf), ("assignee", "me")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(web.get("/views/mine").await.html.contains("Printer jam"));
    assert!(
        !web.get("/views/unassigned?sort=created_at")
            .await
            .html
            .contains("Printer jam")
    );
    assert!(
        web.get("/views/pending")
            .await
            .html
            .contains("No case is waiting")
    );
    web.post(
        &format!("/cases/{first}/update"),
        &[("csrf", &csrf), ("status", "pending_customer")],
    )
    .await;
    assert!(web.get("/views/pending").await.html.contains("Printer jam"));
    assert!(!web.get("/views/mine").await.html.contains("Printer jam"));
}

async fn case_page_changes_and_replies(b: Backend) {
    let (t, case) = with_case(b).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("cora@example.org"), "contact points");
    assert!(page.html.contains("unverified"), "verification level");
    assert!(page.html.contains("This is their only case"));
    let csrf = page.csrf();
    let path = |p: &str| format!("/cases/{case}/{p}");
    let r = web
        .post(
            &path("reply"),
            &[("csrf", &csrf), ("body", "Try turning it off.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    web.post(
        &path("note"),
        &[("csrf", &csrf), ("body", "Known firmware bug")],
    )
    .await;
    let r = web
        .post(
            &path("update"),
            &[
                ("csrf", &csrf),
                ("status", "resolved"),
                ("priority", "high"),
                ("assignee", "none"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("message-reply") && page.html.contains("Try turning it off."));
    assert!(page.html.contains("message-note") && page.html.contains("Known firmware bug"));
    // The reply opened the case; then the agent resolved it.
    assert!(
        page.html
            .contains("Tend changed the status from new to open")
    );
    assert!(
        page.html
            .contains("Ann Agent changed the status from open to resolved")
    );
    assert!(
        page.html
            .contains("changed the priority from normal to high")
    );
    let messages = t.all(&format!("/api/v1/cases/{case}/messages")).await;
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[2]["internal"], true);
    // An empty reply is refused with a message and the page again.
    let empty = web
        .post(&path("reply"), &[("csrf", &csrf), ("body", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.html.contains("The reply must not be empty"),
        "{}",
        empty.html
    );
    let bad = web
        .post(&path("update"), &[("csrf", &csrf), ("status", "bogus")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(web.get("/cases/99999").await.status, StatusCode::NOT_FOUND);
}

async fn attachments_download_for_signed_in_agents(b: Backend) {
    let (t, _) = with_case(b).await;
    let customer = t.customer("Pat", "pat@example.org").await;
    let r = t
        .post(
            "/api/v1/cases",
            json!({"subject": "Scan", "customer_id": customer, "message": "attached",
                   "attachments": [{"filename": "a.html", "content_type": "text/html",
                                    "content_base64": "PHNjcmlwdD4xPC9zY3JpcHQ+"}]}),
        )
        .await;
    let case = r.id();
    let messages = t.all(&format!("/api/v1/cases/{case}/messages")).await;
    let id = messages[0]["attachments"][0]["id"].as_i64().unwrap();
    let mut anon = WebAgent::new(&t);
    assert_eq!(
        anon.get(&format!("/attachments/{id}")).await.location(),
        "/signin"
    );
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains(&format!("href=\"/attachments/{id}\"")));
    let file = web.get(&format!("/attachments/{id}")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.html, "<script>1</script>");
    let disposition = file.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(file.headers["content-security-policy"], "sandbox");
}

async fn search_highlights_matches_and_escapes_the_rest(b: Backend) {
    let (t, _) = with_case(b).await;
    let customer = t.customer("Bo", "bo@example.org").await;
    t.case(
        customer,
        "Boiler leaks",
        "The boiler leaks <script>x()</script> badly",
    )
    .await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let empty = web.get("/search").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(!empty.html.contains("Nothing matches"));
    let page = web.get("/search?q=boiler").await;
    assert!(
        page.html.to_lowercase().contains("<mark>boiler</mark>"),
        "{}",
        page.html
    );
    assert!(page.html.contains("Boiler leaks"));
    assert!(
        !page.html.contains("<script>x()"),
        "message text stays escaped"
    );
    let none = web.get("/search?q=zebra").await;
    assert!(none.html.contains("No subject or message contains “zebra”"));
    let bad = web.get("/search?q=%21%21%21").await;
    assert!(bad.html.contains("give at least one word"), "{}", bad.html);
    assert!(!empty.html.contains("No subject or message contains"));
}

/// Search finds what agents type: a case number, a customer by part of an
/// email address or by phone, an agreement by its reference, and each case
/// once however many of its messages match.
async fn search_finds_numbers_people_and_agreements(b: Backend) {
    let (t, _) = with_case(b).await;
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "Bo Brandt", "email": "bo.brandt@example.org", "phone": "+44 20 7946 0018"}),
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
    for body in ["It still knocks.", "Knocks all night, the radiator."] {
        let r = t
            .post(
                &format!("/api/v1/cases/{case}/messages"),
                json!({"body": body}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let by_email = web.get("/search?q=BRANDT%40example").await;
    assert!(
        by_email
            .html
            .contains(&format!("/customers/{bo}\">Bo Brandt</a>")),
        "{}",
        by_email.html
    );
    let by_phone = web.get("/search?q=7946").await;
    assert!(by_phone.html.contains("Bo Brandt"), "{}", by_phone.html);
    let by_reference = web.get("/search?q=bc-2041").await;
    assert!(by_reference.html.contains("Boiler care") && by_reference.html.contains("BC-2041-X"));
    let by_number = web.get(&format!("/search?q=%23{case}")).await;
    assert!(
        by_number.html.contains(&format!(
            "<a href=\"/cases/{case}\">#{case} Radiator noise</a>"
        )),
        "{}",
        by_number.html
    );
    let knocks = web.get("/search?q=knocks").await;
    assert_eq!(
        knocks
            .html
            .matches(&format!("href=\"/cases/{case}\""))
            .count(),
        1,
        "{}",
        knocks.html
    );
    assert!(
        knocks.html.contains("and 2 more matches in this case"),
        "{}",
        knocks.html
    );
    // The API finds the same people.
    let found = t.get("/api/v1/customers?q=brandt%40EXAMPLE").await;
    assert_eq!(found.body["data"][0]["id"], bo, "{}", found.body);
    let found = t.get("/api/v1/agreements?q=2041").await;
    assert_eq!(
        found.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        found.body
    );
    let long = "x".repeat(201);
    t.get(&format!("/api/v1/customers?q={long}"))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}
