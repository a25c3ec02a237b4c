//! Two-factor sign-in (TOTP) and the account page over plain HTTP: setting
//! it up, the code step at sign-in, single-use codes, expiry of the code
//! step, rate limiting, turning it off, the admin reset, CSRF on every new
//! form, and changing the password. Codes are computed here, with the same
//! crate, from the key the account page shows.

use crate::browser::Browser;
use crate::harness::{Backend, Options, TestServer};
use crate::web::{PASSWORD, Page, WebAgent};
use fantoccini::Locator;
use reqwest::{Method, StatusCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tend_domain::agent::Role;
use totp_rs::{Builder, Secret, Totp};

crate::both_backends!(
    enrol_then_sign_in_with_single_use_codes,
    the_code_step_expires_and_is_rate_limited,
    an_admin_turns_two_factor_off_through_the_api,
    every_new_form_needs_its_csrf_token,
    agents_change_their_own_password,
);

pub(crate) const ANN: &str = "ann@example.com";

/// The text between `start` and the next `end` in `html`.
fn between<'h>(html: &'h str, start: &str, end: &str) -> &'h str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        + start.len();
    let to = from + html[from..].find(end).unwrap();
    &html[from..to]
}

/// An authenticator app: the agent's key, and the last time step it gave a
/// code for (the server accepts each step once, within one step of now).
pub(crate) struct App {
    totp: Totp,
    last: Option<u64>,
}

impl App {
    fn new(base32: &str) -> Self {
        let totp = Builder::new()
            .with_secret(Secret::try_from_base32(base32).unwrap())
            .build()
            .unwrap();
        Self { totp, last: None }
    }

    fn code_at(&self, step: u64) -> String {
        self.totp.generate(step * 30).to_string()
    }

    /// A code the server has not seen yet. Waits (a second at most) when a
    /// time step is about to end, so the server judges it in the same step.
    pub(crate) async fn next(&mut self) -> String {
        let mut now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        if now.as_secs() % 30 >= 29 {
            tokio::time::sleep(Duration::from_millis(1100)).await;
            now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        }
        let current = now.as_secs() / 30;
        let step = self.last.map_or(current - 1, |l| (l + 1).max(current - 1));
        assert!(
            step <= current + 1,
            "the test used more than three codes in one step"
        );
        self.last = Some(step);
        self.code_at(step)
    }

    /// A code that is wrong at any step near now.
    fn wrong(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 30;
        let near: Vec<String> = (now - 2..=now + 2).map(|s| self.code_at(s)).collect();
        (0..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|c| !near.contains(c))
            .unwrap()
    }
}

/// Starts a server with agent Ann.
pub(crate) async fn server(b: Backend, options: Options) -> TestServer {
    let t = TestServer::start_with(b, options).await;
    t.agent_with_password(ANN, "Ann Agent", Role::Agent, PASSWORD)
        .await;
    t
}

/// Starts setting up two-factor; answers the form token and the page that
/// shows the key.
async fn start_setup(web: &mut WebAgent) -> (String, Page) {
    let csrf = web.get("/account").await.csrf();
    let setup = web.post("/account/totp/setup", &[("csrf", &csrf)]).await;
    assert_eq!(setup.status, StatusCode::SEE_OTHER, "{}", setup.html);
    assert_eq!(setup.location(), "/account");
    (csrf, web.get("/account").await)
}

/// The key the account page shows while setting up.
fn shown_key(page: &Page) -> String {
    between(&page.html, "id=\"totp-secret\">", "</code>").to_string()
}

/// Sets up two-factor for the signed-in agent; answers the app and the key.
pub(crate) async fn enrol(web: &mut WebAgent) -> (App, String) {
    let (csrf, page) = start_setup(web).await;
    let key = shown_key(&page);
    let mut app = App::new(&key);
    let code = app.next().await;
    let on = web
        .post("/account/totp/enable", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER, "{}", on.html);
    assert_eq!(on.location(), "/account?done=totp_on");
    (app, key)
}

/// Signs in with the password; asserts it leads to the code step.
pub(crate) async fn password_step(t: &TestServer) -> WebAgent {
    let mut web = WebAgent::new(t);
    let step = web.sign_in(ANN, PASSWORD).await;
    assert_eq!(step.status, StatusCode::SEE_OTHER, "{}", step.html);
    assert_eq!(step.location(), "/signin/code");
    let cookie = step.set_cookie("tend_signin_pending");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!web.cookies.contains_key("tend_session"));
    web
}

/// Posts a code on the code form.
pub(crate) async fn post_code(web: &mut WebAgent, code: &str) -> Page {
    let form = web.get("/signin/code").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    web.post("/signin/code", &[("csrf", &form.csrf()), ("code", code)])
        .await
}

/// Whether the browser has a working session.
pub(crate) async fn signed_in(web: &mut WebAgent) -> bool {
    let page = web.get("/views/mine").await;
    page.status == StatusCode::OK && page.html.contains("Ann Agent")
}

async fn enrol_then_sign_in_with_single_use_codes(b: Backend) {
    let t = server(b, Options::default()).await;
    let mut web = WebAgent::signed_in(&t, ANN).await;
    let home = web.get("/views/mine").await;
    assert!(
        home.html.contains("href=\"/account\""),
        "header links the account page"
    );
    let account = web.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        account.html.contains("is <strong>off</strong>"),
        "{}",
        account.html
    );

    // Setting up shows the key, the otpauth:// address and a QR code.
    let (csrf, page) = start_setup(&mut web).await;
    let key = shown_key(&page);
    let url = between(&page.html, "id=\"totp-url\">", "</code>").replace("&amp;", "&");
    assert!(
        url.starts_with("otpauth://totp/Tend:ann%40example.com?"),
        "{url}"
    );
    assert!(url.contains(&format!("secret={key}")), "{url}");
    assert!(page.html.contains("src=\"data:image/svg+xml;base64,"));
    let mut app = App::new(&key);

    // A wrong code does not turn it on; the right one does.
    let wrong = web
        .post(
            "/account/totp/enable",
            &[("csrf", &csrf), ("code", &app.wrong())],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.html.contains("not right"), "{}", wrong.html);
    assert!(
        wrong.html.contains("id=\"totp-secret\""),
        "still setting up"
    );
    let first = app.next().await;
    let on = web
        .post("/account/totp/enable", &[("csrf", &csrf), ("code", &first)])
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER, "{}", on.html);
    let page = web.get(on.location()).await;
    assert!(
        page.html.contains("is <strong>on</strong>"),
        "{}",
        page.html
    );
    assert!(
        !page.html.contains(&key),
        "the key is shown only while setting up"
    );
    let agents = t.get("/api/v1/agents").await;
    assert_eq!(agents.status, StatusCode::OK);
    assert!(!agents.body.to_string().contains(&key), "{}", agents.body);
    web.post("/signout", &[("csrf", &csrf)]).await;

    // The password alone gives no usable session, and the pending cookie is
    // not a session.
    let mut browser = password_step(&t).await;
    let pending = browser.cookies["tend_signin_pending"].clone();
    assert!(!signed_in(&mut browser).await);
    let mut forger = WebAgent::new(&t);
    forger.cookies.insert("tend_session".into(), pending);
    assert!(!signed_in(&mut forger).await);

    // Wrong codes and the code already spent on turning it on are refused.
    let wrong = post_code(&mut browser, &app.wrong()).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.html);
    assert!(wrong.html.contains("not right"), "{}", wrong.html);
    let replay = post_code(&mut browser, &first).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.html);
    assert!(!signed_in(&mut browser).await);

    // The right code signs in.
    let code = app.next().await;
    let ok = post_code(&mut browser, &code).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    assert_eq!(ok.location(), "/");
    assert!(signed_in(&mut browser).await);
    assert!(!browser.cookies.contains_key("tend_signin_pending"));

    // The same code cannot sign in a second time.
    let mut thief = password_step(&t).await;
    let again = post_code(&mut thief, &code).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.html);
    assert!(!signed_in(&mut thief).await);

    // Turning it off needs a right, unused code.
    let csrf = browser.get("/account").await.csrf();
    for code in [app.wrong(), code] {
        let refused = browser
            .post("/account/totp/disable", &[("csrf", &csrf), ("code", &code)])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.html.contains("is <strong>on</strong>"));
    }
    let off = browser
        .post(
            "/account/totp/disable",
            &[("csrf", &csrf), ("code", &app.next().await)],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.html);
    assert_eq!(off.location(), "/account?done=totp_off");
    let page = browser.get("/account").await;
    assert!(
        page.html.contains("is <strong>off</strong>"),
        "{}",
        page.html
    );
    let plain = WebAgent::new(&t).sign_in(ANN, PASSWORD).await;
    assert_eq!(plain.location(), "/", "the password alone signs in again");
}

async fn the_code_step_expires_and_is_rate_limited(b: Backend) {
    let options = Options {
        signin_code_seconds: Some(1),
        ..Options::default()
    };
    let t = server(b, options).await;
    let mut web = WebAgent::signed_in(&t, ANN).await;
    let (mut app, _) = enrol(&mut web).await;

    // A code step older than its lifetime is refused, even with the right code.
    let mut late = password_step(&t).await;
    let form = late.get("/signin/code").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let code = app.next().await;
    let expired = late
        .post("/signin/code", &[("csrf", &form.csrf()), ("code", &code)])
        .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED, "{}", expired.html);
    assert!(expired.html.contains("waited too long"), "{}", expired.html);
    assert!(!signed_in(&mut late).await);
    assert_eq!(late.get("/signin/code").await.location(), "/signin");

    // Five wrong codes for the address, and the sixth attempt waits even
    // with the right code; signing in with the password again does not help.
    let mut guesser = password_step(&t).await;
    for _ in 0..5 {
        let wrong = post_code(&mut guesser, &app.wrong()).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.html);
    }
    let blocked = post_code(&mut guesser, &code).await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        blocked.html
    );
    assert!(blocked.html.contains("Too many failed sign-ins"));
    assert!(!signed_in(&mut guesser).await);
    let mut again = WebAgent::new(&t);
    let password = again.sign_in(ANN, PASSWORD).await;
    assert_eq!(password.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn an_admin_turns_two_factor_off_through_the_api(b: Backend) {
    let t = server(b, Options::default()).await;
    let mut web = WebAgent::signed_in(&t, ANN).await;
    let (_, key) = enrol(&mut web).await;
    let agents = t.get("/api/v1/agents").await;
    let id = agents
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == ANN)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let one = t.get(&format!("/api/v1/agents/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(!one.body.to_string().contains(&key), "{}", one.body);

    let doc = t.get("/api/v1/openapi.json").await;
    let op = &doc.body["paths"]["/api/v1/agents/{id}/totp"]["delete"];
    assert!(op["responses"]["204"].is_object(), "{op}");

    let mut waiting = password_step(&t).await;
    let path = format!("/api/v1/agents/{id}/totp");
    let agent = t.agent_token("bo@example.com", Role::Agent).await;
    let r = t.send(Method::DELETE, &path, Some(&agent), None).await;
    r.error(StatusCode::FORBIDDEN, "forbidden");
    let r = t.send(Method::DELETE, &path, None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t
        .send(
            Method::DELETE,
            "/api/v1/agents/999999/totp",
            Some(&t.admin),
            None,
        )
        .await;
    r.error(StatusCode::NOT_FOUND, "not_found");

    let r = t.send(Method::DELETE, &path, Some(&t.admin), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // The sign-in that waited for a code is over; the password alone works.
    assert_eq!(waiting.get("/signin/code").await.location(), "/signin");
    let plain = WebAgent::new(&t).sign_in(ANN, PASSWORD).await;
    assert_eq!(plain.status, StatusCode::SEE_OTHER);
    assert_eq!(plain.location(), "/");
    let page = web.get("/account").await;
    assert!(
        page.html.contains("is <strong>off</strong>"),
        "{}",
        page.html
    );
}

async fn every_new_form_needs_its_csrf_token(b: Backend) {
    let t = server(b, Options::default()).await;
    let mut web = WebAgent::signed_in(&t, ANN).await;
    let forms: [(&str, &[(&str, &str)]); 4] = [
        ("/account/totp/setup", &[]),
        ("/account/totp/enable", &[("code", "123456")]),
        ("/account/totp/disable", &[("code", "123456")]),
        (
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
                ("new_password_again", "a brand new password"),
            ],
        ),
    ];
    for (path, fields) in forms {
        for token in [None, Some("tend_wrong")] {
            let mut form = fields.to_vec();
            if let Some(token) = token {
                form.push(("csrf", token));
            }
            let page = web.post(path, &form).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} with {token:?}");
        }
    }
    // Nothing changed: two-factor is off, the password is the old one.
    assert!(
        web.get("/account")
            .await
            .html
            .contains("is <strong>off</strong>")
    );
    let (mut app, _) = enrol(&mut web).await;

    // The code form checks the token paired with its cookie.
    let mut browser = password_step(&t).await;
    browser.get("/signin/code").await;
    let code = app.next().await;
    for token in [None, Some("tend_wrong")] {
        let mut form = vec![("code", code.as_str())];
        if let Some(token) = token {
            form.push(("csrf", token));
        }
        let page = browser.post("/signin/code", &form).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "/signin/code with {token:?}"
        );
    }
    assert!(!signed_in(&mut browser).await);
    let ok = post_code(&mut browser, &code).await;
    assert_eq!(
        ok.location(),
        "/",
        "the code was not spent by the refused posts"
    );
}

async fn agents_change_their_own_password(b: Backend) {
    let t = server(b, Options::default()).await;
    let mut web = WebAgent::signed_in(&t, ANN).await;
    let mut elsewhere = WebAgent::signed_in(&t, ANN).await;
    let csrf = web.get("/account").await.csrf();
    let new = "a brand new password";
    let change = |current: &'static str, first: &'static str, second: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("current_password", current.to_string()),
            ("new_password", first.to_string()),
            ("new_password_again", second.to_string()),
        ]
    };
    let refused = [
        (
            change("not the password", new, new),
            "current password is not right",
        ),
        (change(PASSWORD, new, "another new password"), "differ"),
        (
            change(PASSWORD, "short", "short"),
            "must be at least 12 characters",
        ),
    ];
    for (form, message) in refused {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = web.post("/account/password", &form).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(page.html.contains(message), "{}", page.html);
    }
    assert_eq!(
        WebAgent::new(&t).sign_in(ANN, PASSWORD).await.location(),
        "/"
    );

    let form = change(PASSWORD, new, new);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = web.post("/account/password", &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), "/account?done=password");
    assert!(
        web.get(done.location())
            .await
            .html
            .contains("Your password is changed")
    );

    // This browser stays signed in, the other one is signed out, and only
    // the new password works.
    assert!(signed_in(&mut web).await);
    assert!(!signed_in(&mut elsewhere).await);
    let old = WebAgent::new(&t).sign_in(ANN, PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let fresh = WebAgent::new(&t).sign_in(ANN, new).await;
    assert_eq!(fresh.status, StatusCode::SEE_OTHER);
    assert_eq!(fresh.location(), "/");
}

/// In Chromium, under the page's Content-Security-Policy: the QR code draws,
/// two-factor goes on, and the next sign-in asks for the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = server(Backend::Sqlite, Options::default()).await;
    let b = &browser;
    let c = &b.client;
    b.sign_in(&t, ANN).await;
    c.find(Locator::LinkText("Account"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click(".account-box form button[type=submit]").await;
    b.wait_for("img.qr").await;
    let width = c
        .execute(
            "return document.querySelector('img.qr').naturalWidth",
            vec![],
        )
        .await
        .unwrap();
    assert!(width.as_u64().unwrap() >= 200, "the QR code draws: {width}");
    let key = b.wait_for("#totp-secret").await.text().await.unwrap();
    b.screenshot("account.png").await;
    let mut app = App::new(&key);
    b.type_into("#enable-code", &app.next().await).await;
    b.click("#enable-code ~ button").await;
    b.wait_for_text("notice", "Two-factor sign-in is on").await;

    b.click(".who button.link").await;
    b.type_into("#email", ANN).await;
    b.type_into("#password", PASSWORD).await;
    b.click("form button[type=submit]").await;
    b.type_into("#code", &app.next().await).await;
    b.click("form button[type=submit]").await;
    // Only a signed-in page has the header.
    b.wait_for("header.top").await;
}
