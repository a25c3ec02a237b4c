//! The customer portal over HTTP against a running server: magic-link
//! sign-in (read from Tend's outbound mail queue), what each customer may
//! see and change, organisation sharing as configured, replies with files
//! and requests about agreements.

use crate::email::eventually;
use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, Page, WebAgent};
use crate::web_case::{field, file, post_multipart};
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tend_domain::agent::Role;

crate::both_backends!(
    magic_links_sign_in_once_and_reveal_nothing,
    link_requests_are_rate_limited_and_sessions_are_separate,
    customers_never_reach_each_others_cases_files_or_agreements,
    organisation_sharing_follows_its_setting,
    customers_reply_with_files_and_ask_for_changes,
    long_lists_and_conversations_come_in_pages,
    links_in_messages_are_clickable_and_safe,
);

/// A server with an inbox, an organisation Acme (sharing cases) with Ann
/// and Bob, and Carl on his own, each with a case and an agreement.
pub struct World {
    pub t: TestServer,
    pub org: i64,
    pub ann: i64,
    pub ann_case: i64,
    pub bob_case: i64,
    pub carl_case: i64,
    /// A file on the agent's public reply on Ann's case.
    pub ann_file: i64,
    /// A file on an internal note on Ann's case.
    pub note_file: i64,
    pub ann_agreement: i64,
    pub org_agreement: i64,
    pub carl_agreement: i64,
}

fn upload(name: &str, text: &str) -> Value {
    json!({
        "filename": name,
        "content_type": "text/plain",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(text),
    })
}

pub async fn world(b: Backend) -> World {
    let t = TestServer::start(b).await;
    let inbox = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "support@example.com", "name": "Example Support"}),
        )
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    let org = sharing_organization(&t, "Acme").await;
    let ann = member(&t, org, "Ann Acme", "ann@acme.example").await;
    let bob = member(&t, org, "Bob Acme", "bob@acme.example").await;
    let carl = t.customer("Carl Other", "carl@other.example").await;
    let ann_case = t.case(ann, "Router keeps rebooting", "Every hour.").await;
    let bob_case = t.case(bob, "Invoice address", "Please change it.").await;
    let carl_case = t.case(carl, "Carl's secret case", "Private words.").await;
    let reply = t
        .post(
            &format!("/api/v1/cases/{ann_case}/messages"),
            json!({"body": "Please try the new firmware.", "attachments": [upload("firmware-notes.txt", "notes")]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let note = t
        .post(
            &format!("/api/v1/cases/{ann_case}/messages"),
            json!({"body": "INTERNAL: customer is on the old batch", "internal": true,
                   "attachments": [upload("internal-only.txt", "secret")]}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    let agreement = |body: Value| {
        let t = &t;
        async move {
            let r = t.post("/api/v1/agreements", body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.id()
        }
    };
    let ann_agreement =
        agreement(json!({"name": "Fibre 500", "customer_id": ann, "terms": "24 months"})).await;
    let org_agreement =
        agreement(json!({"name": "Acme office plan", "organization_id": org})).await;
    let carl_agreement =
        agreement(json!({"name": "Carl's mobile plan", "customer_id": carl})).await;
    World {
        ann_file: reply.body["attachments"][0]["id"].as_i64().unwrap(),
        note_file: note.body["attachments"][0]["id"].as_i64().unwrap(),
        t,
        org,
        ann,
        ann_case,
        bob_case,
        carl_case,
        ann_agreement,
        org_agreement,
        carl_agreement,
    }
}

/// A new organisation that shares cases among its members.
async fn sharing_organization(t: &TestServer, name: &str) -> i64 {
    let r = t
        .post(
            "/api/v1/organizations",
            json!({"name": name, "share_cases": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

/// A new customer in organisation `org`.
async fn member(t: &TestServer, org: i64, name: &str, email: &str) -> i64 {
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": name, "email": email, "organization_id": org}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

/// The status of an API request sent with only a browser's cookies.
async fn api_status_with_cookies(t: &TestServer, web: &WebAgent, path: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{}{path}", t.base))
        .header("cookie", web.cookie_header())
        .send()
        .await
        .unwrap()
        .status()
}

/// The sign-in link path in a queued email's text.
pub fn link_in(raw: &[u8], base: &str) -> String {
    let text = body_text(raw);
    let start = text
        .find(&format!("{base}/portal/link/"))
        .unwrap_or_else(|| panic!("no link in {text}"));
    let url = text[start..].split_whitespace().next().unwrap();
    url.strip_prefix(base).unwrap().to_owned()
}

/// Emails waiting in Tend's outbound queue (this server has no relay), each
/// taken off the queue as it is read: its `send_email` job is claimed.
pub async fn take_queued_mail(t: &TestServer) -> Vec<tend_store::outbound::QueuedEmail> {
    let jobs = t
        .store
        .claim_jobs(
            &[tend_store::jobs::JobKind::SendEmail],
            50,
            tend_store::now(),
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    let mut mail = Vec::new();
    for job in jobs {
        let id = job.payload["outbound_id"].as_i64().unwrap();
        mail.push(t.store.outbound_email(id).await.unwrap());
    }
    mail
}

/// Emails waiting in Tend's outbound queue for `to`, once at least one is
/// there (each is taken off the queue as it is read).
pub async fn mail_to(t: &TestServer, to: &str) -> Vec<Vec<u8>> {
    eventually(&format!("email to {to}"), || async {
        let queued = take_queued_mail(t).await;
        let mine: Vec<Vec<u8>> = queued
            .into_iter()
            .filter(|m| m.recipient == to)
            .map(|m| m.raw)
            .collect();
        (!mine.is_empty()).then_some(mine)
    })
    .await
}

/// The sign-in link Tend mailed to `to`.
pub async fn sign_in_link(t: &TestServer, to: &str) -> String {
    let mails = mail_to(t, to).await;
    link_in(mails.last().unwrap(), &t.base)
}

/// Asks for a sign-in link for `email` through the form.
pub async fn ask_for_link(web: &mut WebAgent, email: &str) -> Page {
    let form = web.get("/portal/signin").await;
    assert_eq!(form.status, StatusCode::OK);
    web.post(
        "/portal/signin",
        &[("csrf", &form.csrf()), ("email", email)],
    )
    .await
}

/// Opens a link's page and presses its button.
pub async fn follow(web: &mut WebAgent, link: &str) -> Page {
    let confirm = web.get(link).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.html);
    let token = link.rsplit('/').next().unwrap();
    web.post(
        "/portal/link",
        &[("csrf", &confirm.csrf()), ("token", token)],
    )
    .await
}

/// A customer browser signed in by the link mailed to `email`.
pub async fn signed_in(t: &TestServer, email: &str) -> WebAgent {
    let mut web = WebAgent::new(t);
    let asked = ask_for_link(&mut web, email).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.html);
    let link = sign_in_link(t, email).await;
    let done = follow(&mut web, &link).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), "/portal");
    web
}

/// The page without the address it repeats.
fn normalised(page: &Page, email: &str) -> String {
    page.html.replace(email, "ADDRESS")
}

/// The decoded text of an email.
pub fn body_text(raw: &[u8]) -> String {
    mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a parsable email")
        .body_text(0)
        .expect("a text body")
        .to_string()
}

async fn magic_links_sign_in_once_and_reveal_nothing(b: Backend) {
    let w = world(b).await;
    let t = &w.t;
    let mut web = WebAgent::new(t);
    assert_eq!(web.get("/portal").await.location(), "/portal/signin");

    // Known and unknown addresses get the same answer; only the known one
    // gets mail.
    let unknown = ask_for_link(&mut web, "nobody@nowhere.example").await;
    let known = ask_for_link(&mut web, "ann@acme.example").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(
        normalised(&unknown, "nobody@nowhere.example"),
        normalised(&known, "ann@acme.example")
    );
    assert!(
        known.html.contains("sign-in link is on its way"),
        "{}",
        known.html
    );
    let link = sign_in_link(t, "ann@acme.example").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stray = take_queued_mail(t).await;
    assert!(
        stray.is_empty(),
        "nothing goes to unknown addresses: {stray:?}"
    );

    // The link's page does not use it up (mail scanners fetch links).
    assert_eq!(web.get(&link).await.status, StatusCode::OK);
    let before = t.get(&format!("/api/v1/customers/{}", w.ann)).await;
    assert_eq!(before.body["verification_level"], "unverified");
    let done = follow(&mut web, &link).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let cookie = done.set_cookie("tend_portal");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let home = web.get("/portal").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.html.contains("Router keeps rebooting"),
        "{}",
        home.html
    );
    assert_eq!(home.headers["cache-control"], "no-store");
    // Following the emailed link proved the address.
    let after = t.get(&format!("/api/v1/customers/{}", w.ann)).await;
    assert_eq!(after.body["verification_level"], "email_verified");
    assert_eq!(after.body["verification_method"], "portal sign-in link");

    // Used once, never again, in this browser or another.
    let mut other = WebAgent::new(t);
    let again = follow(&mut other, &link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(
        again.html.contains("expired or was already used"),
        "{}",
        again.html
    );
    assert!(!other.cookies.contains_key("tend_portal"));

    // A guessed or mangled token is worth nothing.
    for guess in [
        "tend_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "",
        "../../api",
    ] {
        let confirm = other.get("/portal/link/x").await;
        let page = other
            .post(
                "/portal/link",
                &[("csrf", &confirm.csrf()), ("token", guess)],
            )
            .await;
        assert_eq!(page.status, StatusCode::GONE, "{guess}");
    }

    // An expired link does not work either.
    let token = "tend_expired-link-for-the-test";
    let hash = tend::auth::token_hash(token);
    let email = tend_domain::email::EmailAddress::parse("email", "ann@acme.example").unwrap();
    let past = tend_store::now()
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .unwrap();
    t.store
        .create_portal_link(&email, &hash, past)
        .await
        .unwrap()
        .expect("Ann has that address");
    let expired = follow(&mut other, &format!("/portal/link/{token}")).await;
    assert_eq!(expired.status, StatusCode::GONE);

    // Without the form's token, nothing happens.
    let no_csrf = other.post("/portal/link", &[("token", "x")]).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);

    // Signing out ends the session on the server.
    let stolen = web.cookie_header();
    let home = web.get("/portal").await;
    let out = web.post("/portal/signout", &[("csrf", &home.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/portal/signin");
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/portal", t.base))
        .header("cookie", stolen)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

async fn link_requests_are_rate_limited_and_sessions_are_separate(b: Backend) {
    let w = world(b).await;
    let t = &w.t;
    let mut web = signed_in(t, "carl@other.example").await;
    // A customer's session opens no agent page and no API.
    assert_eq!(web.get("/views/mine").await.location(), "/signin");
    assert_eq!(
        web.get(&format!("/cases/{}", w.carl_case)).await.location(),
        "/signin"
    );
    assert_eq!(
        api_status_with_cookies(t, &web, "/api/v1/cases").await,
        StatusCode::UNAUTHORIZED
    );
    // An agent's session opens no portal page.
    t.agent_with_password("ann.agent@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let mut as_agent = WebAgent::signed_in(t, "ann.agent@example.com").await;
    assert_eq!(as_agent.get("/portal").await.location(), "/portal/signin");

    // Four more links for Carl are fine; the sixth within the hour is not.
    let mut asker = WebAgent::new(t);
    for _ in 0..4 {
        let page = ask_for_link(&mut asker, "carl@other.example").await;
        assert_eq!(page.status, StatusCode::OK);
    }
    let limited = ask_for_link(&mut asker, "Carl@Other.example").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        limited.html.contains("try again in an hour"),
        "{}",
        limited.html
    );
    // A malformed address is an error, not a silent success.
    let bad = ask_for_link(&mut asker, "not an address").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        web.get("/portal").await.status,
        StatusCode::OK,
        "Carl is still signed in"
    );
}

/// Web addresses in a plain-text message are links on the portal and the
/// agent's case page; nothing else in the text becomes markup.
async fn links_in_messages_are_clickable_and_safe(b: Backend) {
    let w = world(b).await;
    let t = &w.t;
    let r = t
        .post(
            &format!("/api/v1/cases/{}/messages", w.ann_case),
            json!({"body": "The manual: https://example.com/manual?a=1&b=2. Not javascript:alert(1) nor <b>bold</b>."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let link = r#"<a href="https://example.com/manual?a=1&#38;b=2" rel="noopener noreferrer nofollow" target="_blank">https://example.com/manual?a=1&#38;b=2</a>."#;
    let mut ann = signed_in(t, "ann@acme.example").await;
    let portal = ann.get(&format!("/portal/cases/{}", w.ann_case)).await;
    t.agent_with_password("lin@example.com", "Lin Agent", Role::Agent, PASSWORD)
        .await;
    let mut agent = WebAgent::signed_in(t, "lin@example.com").await;
    let case_page = agent.get(&format!("/cases/{}", w.ann_case)).await;
    for page in [portal, case_page] {
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        assert!(page.html.contains(link), "{}", page.html);
        assert!(
            page.html
                .contains("Not javascript:alert(1) nor &#60;b&#62;bold&#60;/b&#62;.")
        );
        assert!(!page.html.contains("href=\"javascript"));
    }
}

async fn customers_never_reach_each_others_cases_files_or_agreements(b: Backend) {
    let w = world(b).await;
    let t = &w.t;
    let mut carl = signed_in(t, "carl@other.example").await;
    let mut ann = signed_in(t, "ann@acme.example").await;

    // Ann's own case shows the public reply and its file, never the note.
    let page = ann.get(&format!("/portal/cases/{}", w.ann_case)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("Please try the new firmware."));
    assert!(page.html.contains("firmware-notes.txt"));
    assert!(
        !page.html.contains("INTERNAL"),
        "internal notes stay internal"
    );
    assert!(!page.html.contains("internal-only.txt"));
    let download = ann
        .get(&format!("/portal/attachments/{}", w.ann_file))
        .await;
    assert_eq!(download.html, "notes");
    assert_eq!(download.headers["cache-control"], "no-store");
    assert_eq!(
        ann.get(&format!("/portal/attachments/{}", w.note_file))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let home = ann.get("/portal").await;
    assert!(home.html.contains("Fibre 500") && home.html.contains("Acme office plan"));
    assert!(!home.html.contains("Carl"), "{}", home.html);

    // Carl reaches none of it: every page, form and file is "not found".
    let csrf = carl.get("/portal").await.csrf();
    let forbidden_gets = [
        format!("/portal/cases/{}", w.ann_case),
        format!("/portal/cases/{}", w.bob_case),
        format!("/portal/attachments/{}", w.ann_file),
        format!("/portal/attachments/{}", w.note_file),
        "/portal/cases/999999".to_owned(),
        "/portal/attachments/999999".to_owned(),
    ];
    for path in &forbidden_gets {
        let page = carl.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !page.html.contains("Router") && !page.html.contains("notes"),
            "{path}"
        );
    }
    // The agents' and the API's URLs are closed to a customer's session.
    let agent_file = carl.get(&format!("/attachments/{}", w.ann_file)).await;
    assert_eq!(agent_file.location(), "/signin");
    for path in [
        format!("/api/v1/attachments/{}", w.ann_file),
        format!("/api/v1/cases/{}", w.ann_case),
        format!("/api/v1/agreements/{}", w.ann_agreement),
    ] {
        let status = api_status_with_cookies(t, &carl, &path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let solved = carl
        .post(
            &format!("/portal/cases/{}/resolve", w.ann_case),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(solved.status, StatusCode::NOT_FOUND);
    let case = t.get(&format!("/api/v1/cases/{}", w.ann_case)).await;
    assert_eq!(case.body["status"], "open");
    let reply = carl
        .post(
            &format!("/portal/cases/{}/reply", w.ann_case),
            &[("csrf", &csrf), ("body", "Carl was here")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let messages = t
        .all(&format!("/api/v1/cases/{}/messages", w.ann_case))
        .await;
    assert!(messages.iter().all(|m| m["body_text"] != "Carl was here"));
    let cases_before = t.all("/api/v1/cases").await.len();
    let change = carl
        .post(
            "/portal/requests/new",
            &[
                ("csrf", &csrf),
                ("subject", "Cancel it"),
                ("message", "Cancel Ann's plan"),
                ("agreement", &w.ann_agreement.to_string()),
            ],
        )
        .await;
    assert_eq!(change.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.all("/api/v1/cases").await.len(),
        cases_before,
        "no case was opened"
    );
    let form = carl
        .get(&format!(
            "/portal/requests/new?agreement={}",
            w.org_agreement
        ))
        .await;
    assert!(!form.html.contains("Acme office plan"), "{}", form.html);
    assert!(form.html.contains("mobile plan"), "{}", form.html);
    let home = carl.get("/portal").await;
    assert!(home.html.contains("secret case"), "{}", home.html);
    assert!(!home.html.contains("Router") && !home.html.contains("Invoice address"));
    assert!(!home.html.contains("Fibre 500") && !home.html.contains("Acme office plan"));

    // And Ann cannot reach Carl's.
    assert_eq!(
        ann.get(&format!("/portal/cases/{}", w.carl_case))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let ann_csrf = ann.get("/portal").await.csrf();
    let change = ann
        .post(
            "/portal/requests/new",
            &[
                ("csrf", &ann_csrf),
                ("subject", "Move it"),
                ("message", "Move Carl's plan"),
                ("agreement", &w.carl_agreement.to_string()),
            ],
        )
        .await;
    assert_eq!(change.status, StatusCode::NOT_FOUND);
}

async fn organisation_sharing_follows_its_setting(b: Backend) {
    let w = world(b).await;
    let t = &w.t;
    let mut bob = signed_in(t, "bob@acme.example").await;
    // Acme shares cases: Bob sees Ann's case and may add to it, but never
    // Ann's own agreement; the organisation's is his too.
    let home = bob.get("/portal").await;
    assert!(
        home.html.contains("Router keeps rebooting"),
        "{}",
        home.html
    );
    assert!(home.html.contains("opened by Ann Acme"));
    assert!(home.html.contains("Acme office plan"));
    assert!(!home.html.contains("Fibre 500"));
    let page = bob.get(&format!("/portal/cases/{}", w.ann_case)).await;
    assert_eq!(page.status, StatusCode::OK);
    let reply = bob
        .post(
            &format!("/portal/cases/{}/reply", w.ann_case),
            &[
                ("csrf", &page.csrf()),
                ("body", "Bob adds: it happens here too"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.html);
    let page = bob.get(&format!("/portal/cases/{}", w.ann_case)).await;
    assert!(page.html.contains("Bob adds"), "{}", page.html);
    // Agents see who wrote it.
    t.agent_with_password("ann.agent@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let mut agent = WebAgent::signed_in(t, "ann.agent@example.com").await;
    let seen = agent.get(&format!("/cases/{}", w.ann_case)).await;
    assert!(
        seen.html.contains("<strong>Bob Acme</strong>"),
        "{}",
        seen.html
    );

    // A customer of another organisation that shares its cases sees none
    // of Acme's.
    let globex = sharing_organization(t, "Globex").await;
    let dora = member(t, globex, "Dora Globex", "dora@globex.example").await;
    t.case(dora, "Globex printer", "Out of toner.").await;
    let mut dora = signed_in(t, "dora@globex.example").await;
    let home = dora.get("/portal").await;
    assert!(home.html.contains("Globex printer"), "{}", home.html);
    assert!(!home.html.contains("Router") && !home.html.contains("Invoice address"));
    assert!(!home.html.contains("Acme office plan"));
    for case in [w.ann_case, w.bob_case] {
        let page = dora.get(&format!("/portal/cases/{case}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
    }
    let csrf = page.csrf();
    let plan = bob
        .post(
            "/portal/requests/new",
            &[
                ("csrf", &csrf),
                ("subject", "x"),
                ("message", "y"),
                ("agreement", &w.ann_agreement.to_string()),
            ],
        )
        .await;
    assert_eq!(plan.status, StatusCode::NOT_FOUND);

    // Once Acme stops sharing, Bob sees only his own cases.
    let off = t
        .patch(
            &format!("/api/v1/organizations/{}", w.org),
            json!({"share_cases": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    let home = bob.get("/portal").await;
    assert!(
        !home.html.contains("Router keeps rebooting"),
        "{}",
        home.html
    );
    assert!(home.html.contains("Invoice address"));
    assert!(
        home.html.contains("Acme office plan"),
        "the organisation's agreement is still his"
    );
    for path in [
        format!("/portal/cases/{}", w.ann_case),
        format!("/portal/attachments/{}", w.ann_file),
    ] {
        assert_eq!(bob.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let reply = bob
        .post(
            &format!("/portal/cases/{}/reply", w.ann_case),
            &[("csrf", &csrf), ("body", "Bob again")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

async fn customers_reply_with_files_and_ask_for_changes(b: Backend) {
    let w = world(b).await;
    let t = &w.t;
    let mut ann = signed_in(t, "ann@acme.example").await;
    let case_path = format!("/portal/cases/{}", w.ann_case);
    let page = ann.get(&case_path).await;

    // A reply with a file joins the case as the customer's, on the portal.
    let sent = post_multipart(
        t,
        &ann,
        &format!("{case_path}/reply"),
        &[
            field("csrf", &page.csrf()),
            field("body", "Firmware did not help."),
            file("rebooting.log", b"reboot at 10:00"),
        ],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let messages = t
        .all(&format!("/api/v1/cases/{}/messages", w.ann_case))
        .await;
    let mine = messages.last().unwrap();
    assert_eq!(mine["body_text"], "Firmware did not help.");
    assert_eq!(mine["author"]["kind"], "customer");
    assert_eq!(mine["channel"], "portal");
    let file_id = mine["attachments"][0]["id"].as_i64().unwrap();
    assert_eq!(
        ann.get(&format!("/portal/attachments/{file_id}"))
            .await
            .html,
        "reboot at 10:00"
    );

    // An empty reply is refused and nothing is stored; no token, no reply.
    let empty = ann
        .post(
            &format!("{case_path}/reply"),
            &[("csrf", &page.csrf()), ("body", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let forged = ann
        .post(&format!("{case_path}/reply"), &[("body", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.all(&format!("/api/v1/cases/{}/messages", w.ann_case))
            .await
            .len(),
        messages.len()
    );

    // A resolved case reopens when the customer writes; a closed one
    // takes no replies.
    let solved = ann
        .post(
            &format!("{case_path}/resolve"),
            &[("csrf", &page.csrf()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(solved.status, StatusCode::SEE_OTHER, "{}", solved.html);
    let case = t.get(&format!("/api/v1/cases/{}", w.ann_case)).await;
    assert_eq!(case.body["status"], "resolved");
    let log = t.all(&format!("/api/v1/cases/{}/events", w.ann_case)).await;
    let last = log.last().unwrap();
    assert_eq!(last["data"]["to"], "resolved");
    assert_eq!(last["actor"]["kind"], "customer", "{last}");
    assert_eq!(last["actor"]["id"], w.ann);
    let again = ann
        .post(
            &format!("{case_path}/reply"),
            &[("csrf", &page.csrf()), ("body", "Still broken")],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let case = t.get(&format!("/api/v1/cases/{}", w.ann_case)).await;
    assert_eq!(case.body["status"], "open");
    t.patch(
        &format!("/api/v1/cases/{}", w.ann_case),
        json!({"status": "closed"}),
    )
    .await;
    let closed = ann
        .post(
            &format!("{case_path}/reply"),
            &[("csrf", &page.csrf()), ("body", "Hello?")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        closed.html.contains("Open a new request"),
        "{}",
        closed.html
    );

    // "Request a change" opens the form about that agreement, and the case
    // it opens is linked to it.
    let home = ann.get("/portal").await;
    let change_link = format!("/portal/requests/new?agreement={}", w.ann_agreement);
    assert!(home.html.contains(&change_link), "{}", home.html);
    let form = ann.get(&change_link).await;
    assert!(
        form.html
            .contains(&format!("value=\"{}\" selected", w.ann_agreement)),
        "{}",
        form.html
    );
    let missing = ann
        .post(
            "/portal/requests/new",
            &[
                ("csrf", &form.csrf()),
                ("subject", ""),
                ("message", "Upgrade please"),
            ],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.html.contains("Upgrade please"),
        "what was typed is kept"
    );
    let opened = post_multipart(
        t,
        &ann,
        "/portal/requests/new",
        &[
            field("csrf", &form.csrf()),
            field("agreement", &w.ann_agreement.to_string()),
            field("subject", "Upgrade to Fibre 1000"),
            field("message", "Faster please."),
            file("speedtest.txt", b"480 Mbit/s"),
        ],
    )
    .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.html);
    let new_id: i64 = opened
        .location()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let case = t.get(&format!("/api/v1/cases/{new_id}")).await;
    assert_eq!(case.body["agreement_id"], w.ann_agreement);
    assert_eq!(case.body["channel"], "portal");
    assert_eq!(case.body["customer_id"], w.ann);
    let shown = ann.get(&format!("/portal/cases/{new_id}")).await;
    assert!(shown.html.contains("Fibre 500") && shown.html.contains("speedtest.txt"));

    // An agent's reply on a portal case goes to the customer by email.
    let reply = t
        .post(
            &format!("/api/v1/cases/{new_id}/messages"),
            json!({"body": "Upgraded tonight."}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["email"]["from"], "support@example.com");
    let mails = mail_to(t, "ann@acme.example").await;
    let text = body_text(mails.last().unwrap());
    assert!(text.contains("Upgraded tonight."), "{text}");
}

/// The value of the first `href` that starts with `prefix`.
fn link_starting(html: &str, prefix: &str) -> Option<String> {
    let marker = format!("href=\"{prefix}");
    let start = html.find(&marker)? + "href=\"".len();
    let end = start + html[start..].find('"')?;
    Some(
        html[start..end]
            .replace("&#x3d;", "=")
            .replace("&amp;", "&"),
    )
}

async fn long_lists_and_conversations_come_in_pages(b: Backend) {
    let w = world(b).await;
    let t = &w.t;
    let carl = t.get(&format!("/api/v1/cases/{}", w.carl_case)).await.body["customer_id"]
        .as_i64()
        .unwrap();
    for i in 1..=29 {
        t.case(carl, &format!("Numbered request {i:02}"), "Hello")
            .await;
    }
    for i in 1..=54 {
        let r = t
            .post(
                &format!("/api/v1/cases/{}/messages", w.carl_case),
                json!({"body": format!("Reply number {i:02}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let mut web = signed_in(t, "carl@other.example").await;

    // 30 cases: 25, then the other 5, each once.
    let first = web.get("/portal").await;
    let next = link_starting(&first.html, "/portal?after").expect("a next page");
    let second = web.get(&next).await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(link_starting(&second.html, "/portal?after").is_none());
    let count = |html: &str| html.matches("class=\"ref\"").count();
    assert_eq!((count(&first.html), count(&second.html)), (25, 5));
    // Carl's own case was updated last (54 replies), so it leads.
    assert!(first.html.contains("secret case"));
    assert!(second.html.contains("Numbered request 01"));

    // 55 messages: the newest 50, then the 5 before them.
    let path = format!("/portal/cases/{}", w.carl_case);
    let newest = web.get(&path).await;
    assert!(newest.html.contains("Reply number 54"));
    assert!(!newest.html.contains("Private words."));
    let older = link_starting(&newest.html, &format!("{path}?before")).expect("older messages");
    let oldest = web.get(&older).await;
    assert!(oldest.html.contains("Private words.") && oldest.html.contains("Reply number 04"));
    assert!(!oldest.html.contains("Reply number 05"));
    assert!(link_starting(&oldest.html, &format!("{path}?before")).is_none());
    let bad = web.get(&format!("{path}?before=not-a-cursor")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_uses_the_portal_on_a_phone_in_chromium() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let w = world(Backend::Sqlite).await;
    let t = &w.t;
    let article = t
        .post(
            "/api/v1/articles",
            json!({"title": "Updating your router firmware", "body": "Hold **reset** for ten seconds.", "state": "published"}),
        )
        .await;
    assert_eq!(article.status, StatusCode::CREATED, "{}", article.body);
    let c = &browser.client;
    c.set_window_size(390, 844).await.unwrap();

    // Sign in with the link from Tend's outbound mail.
    c.goto(&format!("{}/portal", t.base)).await.unwrap();
    browser.wait_for("main h1").await;
    let problems = c
        .execute(crate::accessibility::AUDIT, vec![])
        .await
        .unwrap();
    assert_eq!(problems, json!([]), "the sign-in page on a phone");
    browser.type_into("#portal-email", "ann@acme.example").await;
    browser.click("form.request-form button[type=submit]").await;
    browser.wait_for_text("notice", "on its way").await;
    let link = sign_in_link(t, "ann@acme.example").await;
    c.goto(&format!("{}{link}", t.base)).await.unwrap();
    browser.click("#portal-continue").await;
    browser
        .wait_for_text("portal-cases", "Router keeps rebooting")
        .await;
    browser
        .wait_for_text("portal-agreements", "Fibre 500")
        .await;
    // The knowledge base is searchable from the portal.
    browser.type_into("#portal-help-q", "firmware").await;
    browser.click("form.portal-help-search button").await;
    browser
        .wait_for_text("help-articles", "Updating your router firmware")
        .await;
    c.goto(&format!("{}/portal", t.base)).await.unwrap();
    browser.wait_for("#portal-help-q").await;
    let overflow: bool = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(!overflow, "the portal fits a phone's width");
    browser.screenshot("portal.png").await;
    // Every portal page passes the same audit as the agent pages, on a phone.
    for page in [
        "/portal".to_owned(),
        format!("/portal/cases/{}", w.ann_case),
        format!("/portal/cases/{}", w.bob_case),
        "/portal/requests/new".into(),
        format!("/portal/requests/new?agreement={}", w.org_agreement),
    ] {
        c.goto(&format!("{}{page}", t.base)).await.unwrap();
        browser.wait_for("main h1").await;
        let problems = c
            .execute(crate::accessibility::AUDIT, vec![])
            .await
            .unwrap();
        assert_eq!(problems, json!([]), "{page} on a phone");
    }
    c.goto(&format!("{}/portal", t.base)).await.unwrap();

    // Read the case and reply.
    browser
        .click(&format!("a[href='/portal/cases/{}']", w.ann_case))
        .await;
    browser
        .wait_for_text("message-reply", "Please try the new firmware.")
        .await;
    browser
        .type_into("#portal-reply", "Sent from my phone: still rebooting.")
        .await;
    browser.click("form.request-form button[type=submit]").await;
    browser
        .wait_for_text("message-customer", "Sent from my phone")
        .await;
    browser.screenshot("portal-case.png").await;

    // Ask for a change to an agreement; an article is suggested on the way.
    c.goto(&format!("{}/portal", t.base)).await.unwrap();
    browser
        .click(&format!(
            "a[href='/portal/requests/new?agreement={}']",
            w.ann_agreement
        ))
        .await;
    browser
        .type_into("#portal-subject", "router firmware")
        .await;
    browser
        .wait_for_text("suggestion", "Updating your router firmware")
        .await;
    browser
        .type_into("#portal-message", "Please move me to Fibre 1000.")
        .await;
    browser.click("form.request-form button[type=submit]").await;
    browser.wait_for_text("status-line", "Fibre 500").await;
    let cases = t.all("/api/v1/cases").await;
    let opened = cases
        .iter()
        .find(|c| c["subject"] == "router firmware")
        .expect("the new request");
    assert_eq!(opened["agreement_id"], w.ann_agreement);
    assert_eq!(opened["channel"], "portal");
}
