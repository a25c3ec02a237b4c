//! Mailboxes connected with OAuth 2.0, against a real Dovecot whose passdb
//! checks bearer tokens at an introspection endpoint this test serves on
//! 127.0.0.1, beside the token endpoint: the admin connects the mailbox
//! with the authorisation-code flow (PKCE, state tied to the session), Tend
//! logs in with XOAUTH2, refreshes a token the server refuses, files new
//! mail within seconds through IDLE (the poll interval is ten minutes), and
//! shows a revoked grant on the admin page and API while the mail waits
//! unread on the server until the mailbox is connected again.

use crate::email::{cases, eventually};
use crate::harness::{Backend, Options, TestServer};
use crate::imap::{Dovecot, Passdb, create_inbox, email, filed};
use crate::web::{PASSWORD, WebAgent};
use axum::extract::State;
use axum::routing::post;
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tend_domain::agent::Role;

crate::both_backends!(
    oauth_mailbox_connects_refreshes_idles_and_survives_revocation,
    replies_go_out_signed_in_as_the_oauth_mailbox,
);

/// The mailbox user at Dovecot.
const USER: &str = "oauth";

/// The provider's books.
#[derive(Default)]
struct Books {
    /// Codes issued: their PKCE challenge.
    codes: HashMap<String, String>,
    /// Access tokens and whether they are active.
    access: HashMap<String, bool>,
    /// Refresh tokens and whether they are still good.
    refresh: HashMap<String, bool>,
    /// Refreshes answered with new tokens.
    refreshed: usize,
    /// Token requests whose form lacked the client's credentials.
    bad_clients: usize,
    serial: usize,
}

type Provider = Arc<Mutex<Books>>;

impl Books {
    fn token(&mut self, kind: &str) -> String {
        self.serial += 1;
        format!("{kind}-{}-{}", self.serial, "x".repeat(20))
    }

    /// The provider approves an authorisation: a code for this challenge.
    fn approve(&mut self, challenge: &str) -> String {
        let code = self.token("code");
        self.codes.insert(code.clone(), challenge.to_owned());
        code
    }

    /// Revokes every grant: refresh tokens refused, access tokens inactive.
    fn revoke_all(&mut self) {
        self.access.values_mut().for_each(|a| *a = false);
        self.refresh.values_mut().for_each(|r| *r = false);
    }
}

/// Starts the token and introspection endpoints; answers their base URL.
async fn start_provider(books: Provider) -> String {
    let app = Router::new()
        .route("/token", post(token))
        .route("/introspect", post(introspect))
        .with_state(books);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn refused(error: &str) -> (StatusCode, Json<Value>) {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error})))
}

async fn token(
    State(books): State<Provider>,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let mut b = books.lock().unwrap();
    if form.get("client_id").map(String::as_str) != Some("tend-test")
        || form.get("client_secret").map(String::as_str) != Some("client-secret-1")
    {
        b.bad_clients += 1;
        return refused("invalid_client");
    }
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    match field("grant_type").as_str() {
        "authorization_code" => {
            let Some(challenge) = b.codes.remove(&field("code")) else {
                return refused("invalid_grant");
            };
            let verified = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier")));
            if verified != challenge || !field("redirect_uri").ends_with("/admin/oauth/callback") {
                return refused("invalid_grant");
            }
            // The first access token of a grant has "expired" early at the
            // server: Tend must refresh when the server refuses it.
            let (access, refresh) = (b.token("access"), b.token("refresh"));
            b.access.insert(access.clone(), false);
            b.refresh.insert(refresh.clone(), true);
            (
                StatusCode::OK,
                Json(json!({"access_token": access, "refresh_token": refresh,
                            "token_type": "Bearer", "expires_in": 3600})),
            )
        }
        "refresh_token" => {
            if b.refresh.get(&field("refresh_token")) != Some(&true) {
                return refused("invalid_grant");
            }
            let access = b.token("access");
            b.access.insert(access.clone(), true);
            b.refreshed += 1;
            (
                StatusCode::OK,
                Json(json!({"access_token": access, "token_type": "Bearer", "expires_in": 3600})),
            )
        }
        _ => refused("unsupported_grant_type"),
    }
}

/// Dovecot's question: is this token active, and for whom.
async fn introspect(
    State(books): State<Provider>,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    let b = books.lock().unwrap();
    let active = form
        .get("token")
        .is_some_and(|t| b.access.get(t) == Some(&true));
    Json(json!({"active": if active { "true" } else { "false" }, "username": USER}))
}

/// Sets the test provider as inbox `id`'s OAuth client; answers the inbox.
async fn set_client(t: &TestServer, id: i64, provider: &str) -> crate::harness::Reply {
    let client = json!({"authorize_url": format!("{provider}/authorize"),
        "token_url": format!("{provider}/token"), "client_id": "tend-test",
        "client_secret": "client-secret-1", "scopes": "imap"});
    let set = t
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/inboxes/{id}/oauth"),
            Some(&t.admin),
            Some(client),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    set
}

/// The admin clicks "Connect with OAuth": answers the provider URL's
/// query parameters.
async fn connect(web: &mut WebAgent, inbox: i64) -> HashMap<String, String> {
    let page = web.get(&format!("/admin/inboxes/{inbox}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let go = web
        .post(
            &format!("/admin/inboxes/{inbox}/oauth/connect"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(go.status, StatusCode::SEE_OTHER, "{}", go.html);
    let url = reqwest::Url::parse(go.location()).unwrap();
    assert_eq!(url.path(), "/authorize");
    url.query_pairs().into_owned().collect()
}

/// The provider sends the admin back with a code for `query`'s challenge.
async fn come_back(
    web: &mut WebAgent,
    books: &Provider,
    query: &HashMap<String, String>,
) -> crate::web::Page {
    assert_eq!(query["code_challenge_method"], "S256");
    let code = books.lock().unwrap().approve(&query["code_challenge"]);
    let back = serde_urlencoded::to_string([("code", &code), ("state", &query["state"])]).unwrap();
    web.get(&format!("/admin/oauth/callback?{back}")).await
}

async fn inbox_json(t: &TestServer, id: i64) -> Value {
    let listed = t.get("/api/v1/inboxes").await;
    listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()
        .clone()
}

async fn oauth_mailbox_connects_refreshes_idles_and_survives_revocation(b: Backend) {
    let books = Provider::default();
    let provider = start_provider(books.clone()).await;
    let introspection_url = format!("{provider}/introspect");
    let Some(dovecot) = Dovecot::start_with(Passdb::Oauth2 {
        introspection_url: &introspection_url,
        users: &[USER],
    }) else {
        return;
    };
    dovecot.deliver(
        USER,
        "1.a.test",
        &email("ann@example.org", "Waiting since Monday", "o1@example.org"),
    );
    let t = TestServer::start_with(
        b,
        Options {
            imap_ca_file: Some(dovecot.root().join("ca.pem")),
            imap_poll_seconds: Some(600),
            ..Options::default()
        },
    )
    .await;
    let inbox = create_inbox(
        &t,
        json!({"address": "help@example.com", "imap": {
            "host": "127.0.0.1", "port": dovecot.imaps_port, "user": USER, "auth": "oauth2"}}),
    )
    .await;
    let id = inbox["id"].as_i64().unwrap();
    assert_eq!(inbox["imap"]["auth"], "oauth2");
    assert_eq!(inbox["imap"]["password_set"], false);

    // The client, through the API; a password with OAuth is refused.
    let with_password = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "x@example.com", "imap": {"host": "127.0.0.1", "user": "x",
                   "auth": "oauth2", "password": "pw"}}),
        )
        .await;
    assert_eq!(
        with_password.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        with_password.body
    );
    let set = set_client(&t, id, &provider).await;
    assert_eq!(set.body["oauth"]["connected"], false);
    assert_eq!(set.body["oauth"]["client_secret_set"], true);
    assert!(!set.body.to_string().contains("client-secret-1"));
    let doc = t.get("/api/v1/openapi.json").await.body;
    crate::openapi::check(&doc, "/api/v1/inboxes/{id}/oauth", "put", 200, &set.body);

    t.agent_with_password("root@example.com", "Root", Role::Admin, PASSWORD)
        .await;
    t.agent_with_password("other@example.com", "Other", Role::Admin, PASSWORD)
        .await;
    let mut web = WebAgent::signed_in(&t, "root@example.com").await;
    let mut other = WebAgent::signed_in(&t, "other@example.com").await;

    // A state is tied to the session that began it, and good once.
    let first = connect(&mut web, id).await;
    assert_eq!(first["client_id"], "tend-test");
    assert_eq!(first["scope"], "imap");
    assert!(first["redirect_uri"].ends_with("/admin/oauth/callback"));
    let stolen = come_back(&mut other, &books, &first).await;
    assert_eq!(
        stolen.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stolen.html
    );
    let replayed = come_back(&mut web, &books, &first).await;
    assert_eq!(
        replayed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        replayed.html
    );

    let query = connect(&mut web, id).await;
    let back = come_back(&mut web, &books, &query).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.html);
    assert_eq!(back.location(), format!("/admin/inboxes/{id}"));

    // The first token is refused by the server, refreshed, and the waiting
    // mail filed and flagged.
    eventually("the first message filed", || async {
        (filed(&t).await.len() == 1).then_some(())
    })
    .await;
    eventually("the message flagged \\Seen", || async {
        dovecot
            .flags(USER, None)
            .iter()
            .all(|f| f.contains('S'))
            .then_some(())
    })
    .await;
    assert!(
        books.lock().unwrap().refreshed >= 1,
        "the refused token was refreshed"
    );
    assert_eq!(books.lock().unwrap().bad_clients, 0);
    let connected = inbox_json(&t, id).await;
    assert_eq!(connected["oauth"]["connected"], true, "{connected}");
    assert_eq!(connected["oauth"]["needs_attention"], Value::Null);

    // Tokens are sealed at rest with the secret key.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.database().url).await.unwrap();
    let sealed: Vec<(String, String, String)> =
        sqlx::query_as("SELECT client_secret, access_token, refresh_token FROM inbox_oauth")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    for value in [&sealed[0].0, &sealed[0].1, &sealed[0].2] {
        assert!(value.starts_with("v1:"), "{value}");
        assert!(
            !value.contains("access-")
                && !value.contains("refresh-")
                && !value.contains("client-secret")
        );
    }

    // IDLE: new mail is a case within seconds, long before the next poll.
    let (_, second) = idle_delivery(&t, &dovecot, "2.b.test", "Second question", 2).await;
    assert!(second < Duration::from_secs(5), "filed after {second:?}");

    // The grant is revoked at the provider: the inbox needs attention, and
    // new mail stays unread in the mailbox.
    books.lock().unwrap().revoke_all();
    dovecot.deliver(
        USER,
        "3.c.test",
        &email("cat@example.org", "While revoked", "o3@example.org"),
    );
    dovecot.kick(USER);
    let attention = eventually("the inbox marked as needing attention", || async {
        let inbox = inbox_json(&t, id).await;
        inbox["oauth"]["needs_attention"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    assert!(attention.contains("invalid_grant"), "{attention}");
    let page = web.get(&format!("/admin/inboxes/{id}")).await;
    assert!(page.html.contains("Needs attention"), "{}", page.html);
    assert!(page.html.contains("invalid_grant"), "{}", page.html);
    assert_eq!(filed(&t).await.len(), 2);
    assert_eq!(
        dovecot
            .flags(USER, None)
            .iter()
            .filter(|f| !f.contains('S'))
            .count(),
        1,
        "the message waits unread"
    );

    // Connected again, the waiting mail is filed and the problem gone.
    let query = connect(&mut web, id).await;
    let back = come_back(&mut web, &books, &query).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.html);
    eventually("the waiting message filed", || async {
        (filed(&t).await.len() == 3).then_some(())
    })
    .await;
    let inbox = inbox_json(&t, id).await;
    assert_eq!(inbox["oauth"]["needs_attention"], Value::Null, "{inbox}");
    assert_eq!(cases(&t).await.len(), 3);
    let page = web.get(&format!("/admin/inboxes/{id}")).await;
    assert!(!page.html.contains("Needs attention"), "{}", page.html);
}

/// Delivers a message into the mailbox and waits for the `count`th case;
/// answers the cases and how long it took.
async fn idle_delivery(
    t: &TestServer,
    dovecot: &Dovecot,
    name: &str,
    subject: &str,
    count: usize,
) -> (Vec<(String, String)>, Duration) {
    let started = Instant::now();
    dovecot.deliver(
        USER,
        name,
        &email("bob@example.org", subject, &format!("{name}@example.org")),
    );
    let found = eventually("the new message filed", || async {
        let found = filed(t).await;
        (found.len() == count).then_some(found)
    })
    .await;
    (found, started.elapsed())
}

/// Microsoft 365 and Google take no passwords at their relays either: with
/// a relay URL that gives none, mail from an OAuth-connected inbox signs in
/// as its mailbox (XOAUTH2). A token the relay refuses is refreshed once;
/// a revoked grant leaves the reply queued and the inbox needing attention.
async fn replies_go_out_signed_in_as_the_oauth_mailbox(b: Backend) {
    let books = Provider::default();
    let provider = start_provider(books.clone()).await;
    let active = books.clone();
    let check: crate::mail_sink::TokenCheck = Arc::new(move |user, token| {
        user == "help@example.com" && active.lock().unwrap().access.get(token) == Some(&true)
    });
    let sink = crate::mail_sink::MailSink::start_with(Some(check)).await;
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            smtp_relay: Some(sink.url.clone()),
            imap_poll_seconds: Some(600),
            mail_rate_limit: Some(0),
            ..Options::default()
        },
    )
    .await;
    // The mailbox's IMAP side is not reachable here; only sending matters.
    let inbox = create_inbox(
        &t,
        json!({"address": "help@example.com", "imap": {
            "host": "127.0.0.1", "port": 1, "user": USER, "auth": "oauth2"}}),
    )
    .await;
    let id = inbox["id"].as_i64().unwrap();
    set_client(&t, id, &provider).await;
    t.agent_with_password("root@example.com", "Root", Role::Admin, PASSWORD)
        .await;
    let mut web = WebAgent::signed_in(&t, "root@example.com").await;
    let query = connect(&mut web, id).await;
    let back = come_back(&mut web, &books, &query).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.html);

    crate::email::send(
        &t,
        "ann@example.org",
        "help@example.com",
        crate::email::FIRST,
    )
    .await
    .unwrap();
    let case = cases(&t).await[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/cases/{case}/messages");
    let reply = t
        .post(&path, json!({"body": "Signed in: marker-oauth-1"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let got = sink.wait_for("marker-oauth-1").await;
    assert_eq!(got.user.as_deref(), Some("help@example.com"));
    assert!(
        books.lock().unwrap().refreshed >= 1,
        "the refused first token was refreshed"
    );

    books.lock().unwrap().revoke_all();
    let reply = t
        .post(&path, json!({"body": "Revoked: marker-oauth-2"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let stuck = eventually("the inbox needing attention", || async {
        let inbox = inbox_json(&t, id).await;
        inbox["oauth"]["needs_attention"]
            .is_string()
            .then_some(inbox)
    })
    .await;
    assert!(
        stuck["oauth"]["needs_attention"]
            .as_str()
            .unwrap()
            .contains("grant"),
        "{stuck}"
    );
    let queued = crate::email::messages(&t, case).await;
    let last = queued.last().unwrap();
    assert_eq!(last["email"]["delivery"]["status"], "queued", "{last}");
    assert!(
        sink.received()
            .iter()
            .all(|r| !r.data.contains("marker-oauth-2"))
    );
}
