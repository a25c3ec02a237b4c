//! Read replicas on PostgreSQL, against a real streaming standby
//! (`TEND_TEST_POSTGRES_REPLICA_URL`, started by `.ci/replica`): views,
//! search and reports read from it, the agent who just wrote reads their
//! own write, a replica that cannot be reached falls back to the primary,
//! and SQLite refuses a read URL.

use crate::cli::tend;
use crate::harness::{
    Backend, FreshDatabase, Options, TestServer, postgres_available, postgres_url,
};
use crate::web::{PASSWORD, WebAgent};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use std::time::Duration;
use tend_domain::agent::Role;

/// The replica's admin URL; in CI it must be set.
fn replica_url() -> Option<String> {
    let url = std::env::var("TEND_TEST_POSTGRES_REPLICA_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set TEND_TEST_POSTGRES_REPLICA_URL (.ci/replica starts the replica)"
        );
        eprintln!("skipping: TEND_TEST_POSTGRES_REPLICA_URL is not set");
    }
    url
}

/// A server URL's host part with the test's own database (`{db}`).
fn on_test_database(admin: &str) -> String {
    let (base, _) = admin.rsplit_once('/').expect("a URL ending in /DATABASE");
    format!("{base}/{{db}}")
}

/// The one value `sql` answers on the server at `url`.
async fn scalar<T>(url: &str, sql: &'static str, arg: Option<&str>) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    let mut conn = sqlx::PgConnection::connect(url).await.expect(url);
    let mut query = sqlx::query_scalar(sql);
    if let Some(arg) = arg {
        query = query.bind(arg.to_owned());
    }
    let value = query.fetch_one(&mut conn).await.expect(sql);
    conn.close().await.ok();
    value
}

/// Waits until the replica has replayed everything committed on the primary.
async fn caught_up(replica: &str) {
    let primary = postgres_url().unwrap();
    let lsn: String = scalar(&primary, "SELECT CAST(pg_current_wal_lsn() AS TEXT)", None).await;
    for _ in 0..300 {
        let replayed: bool = scalar(
            replica,
            "SELECT pg_last_wal_replay_lsn() >= CAST($1 AS pg_lsn)",
            Some(&lsn),
        )
        .await;
        if replayed {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replica did not replay up to {lsn} within 30 s");
}

/// Replay paused on the replica; resumed on drop, whatever the test did.
struct Paused(String);

impl Paused {
    async fn new(replica: &str) -> Self {
        let paused = Paused(replica.to_owned());
        let _: String = scalar(replica, "SELECT CAST(pg_wal_replay_pause() AS TEXT)", None).await;
        // Pausing is asked for; it holds once the state says so.
        for _ in 0..300 {
            let state: String =
                scalar(replica, "SELECT pg_get_wal_replay_pause_state()", None).await;
            if state == "paused" {
                return paused;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("replay on the replica did not pause");
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let url = self.0.clone();
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let _: String =
                    scalar(&url, "SELECT CAST(pg_wal_replay_resume() AS TEXT)", None).await;
            });
        })
        .join();
    }
}

/// Whether an agent's pending view, view counts and search show the case
/// as Ann changed it.
async fn sees_the_change(web: &mut WebAgent) -> (bool, i64, bool) {
    let pending = web.get("/views/pending").await;
    assert_eq!(pending.status, StatusCode::OK);
    let counts = web.get("/views/counts").await;
    assert_eq!(counts.status, StatusCode::OK);
    let counts: Value = serde_json::from_str(&counts.html).unwrap();
    let search = web.get("/search?q=zebracrossing").await;
    assert_eq!(search.status, StatusCode::OK);
    (
        pending.html.contains("Printer jam"),
        counts["views"]["pending"].as_i64().unwrap(),
        search.html.contains("Printer jam"),
    )
}

/// The case's subject in the API's case list, and how many cases the API's
/// search finds for `quokka`, sending `position` as the last write's.
async fn api_view(t: &TestServer, token: &str, position: Option<&str>) -> (String, usize) {
    let get = |path: String| {
        let mut req = t.http.get(format!("{}{path}", t.base)).bearer_auth(token);
        if let Some(p) = position {
            req = req.header("tend-wal-position", p);
        }
        req.send()
    };
    let list: Value = get("/api/v1/cases".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let search: Value = get("/api/v1/search?q=quokka".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        list["data"][0]["subject"].as_str().unwrap().to_owned(),
        search["data"].as_array().unwrap().len(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_read_the_replica_and_agents_read_their_own_writes() {
    if !postgres_available() {
        return;
    }
    let Some(replica) = replica_url() else {
        return;
    };
    // A run killed while paused leaves replay paused: resume first.
    drop(Paused(replica.clone()));
    let t = TestServer::start_with(
        Backend::Postgres,
        Options {
            database_read_url: Some(on_test_database(&replica)),
            ..Options::default()
        },
    )
    .await;
    for (email, name) in [("ann@example.com", "Ann"), ("bob@example.com", "Bob")] {
        t.agent_with_password(email, name, Role::Agent, PASSWORD)
            .await;
    }
    let carl = t.agent_token("carl@example.com", Role::Agent).await;
    let customer = t.customer("Cora Customer", "cora@example.org").await;
    let case = t.case(customer, "Printer jam", "It jams.").await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let mut bob = WebAgent::signed_in(&t, "bob@example.com").await;
    caught_up(&replica).await;
    assert_eq!(sees_the_change(&mut bob).await, (false, 0, false));

    let paused = Paused::new(&replica).await;
    // Ann replies and sets the case pending in the web UI.
    let csrf = ann.get(&format!("/cases/{case}")).await.csrf();
    let reply = ann
        .post(
            &format!("/cases/{case}/reply"),
            &[("csrf", &csrf), ("body", "Try the zebracrossing tray.")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let update = ann
        .post(
            &format!("/cases/{case}/update"),
            &[
                ("csrf", &csrf),
                ("status", "pending_customer"),
                ("priority", "normal"),
                ("assignee", "none"),
            ],
        )
        .await;
    assert_eq!(update.status, StatusCode::SEE_OTHER);
    assert!(update.set_cookie("tend_wal").contains("Max-Age=60"));
    assert_eq!(
        sees_the_change(&mut ann).await,
        (true, 1, true),
        "Ann reads her own write at once"
    );
    assert_eq!(
        sees_the_change(&mut bob).await,
        (false, 0, false),
        "Bob, who wrote nothing, reads the paused replica"
    );

    // Carl renames the case through the API and sends the position back.
    let r = t
        .send(
            Method::PATCH,
            &format!("/api/v1/cases/{case}"),
            Some(&carl),
            Some(json!({"subject": "Printer jam, quokka tray"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let position = r.headers["tend-wal-position"].to_str().unwrap().to_owned();
    assert_eq!(
        api_view(&t, &carl, Some(&position)).await,
        ("Printer jam, quokka tray".to_owned(), 1),
        "the API client that sends its write's position reads it"
    );
    assert_eq!(
        api_view(&t, &t.admin, None).await,
        ("Printer jam".to_owned(), 0),
        "a client without a recent write reads the replica"
    );
    let report = t.get("/api/v1/reports/service").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);

    drop(paused);
    caught_up(&replica).await;
    assert_eq!(sees_the_change(&mut bob).await, (true, 1, true));
    assert_eq!(
        api_view(&t, &t.admin, None).await,
        ("Printer jam, quokka tray".to_owned(), 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_replica_falls_back_to_the_primary() {
    if !postgres_available() {
        return;
    }
    let t = TestServer::start_with(
        Backend::Postgres,
        Options {
            // Nothing listens on port 1.
            database_read_url: Some("postgres://postgres@127.0.0.1:1/{db}".into()),
            ..Options::default()
        },
    )
    .await;
    t.agent_with_password("ann@example.com", "Ann", Role::Agent, PASSWORD)
        .await;
    let customer = t.customer("Cora Customer", "cora@example.org").await;
    let case = t.case(customer, "Printer jam", "It jams.").await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = ann.get(&format!("/cases/{case}")).await.csrf();
    ann.post(
        &format!("/cases/{case}/reply"),
        &[("csrf", &csrf), ("body", "Try the zebracrossing tray.")],
    )
    .await;
    ann.post(
        &format!("/cases/{case}/update"),
        &[
            ("csrf", &csrf),
            ("status", "pending_customer"),
            ("priority", "normal"),
            ("assignee", "none"),
        ],
    )
    .await;
    assert_eq!(sees_the_change(&mut ann).await, (true, 1, true));
    // Twice: once finding the replica down, once while it is left alone.
    for _ in 0..2 {
        assert_eq!(api_view(&t, &t.admin, None).await.0, "Printer jam");
        for path in ["/api/v1/reports/service", "/api/v1/search?q=jam"] {
            let r = t.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_the_replica_fails_is_run_again_on_the_primary() {
    if !postgres_available() {
        return;
    }
    let Some(replica) = replica_url() else {
        return;
    };
    // The replica's admin database answers the replay check but has no
    // Tend tables: every view's query there fails.
    let t = TestServer::start_with(
        Backend::Postgres,
        Options {
            database_read_url: Some(replica),
            ..Options::default()
        },
    )
    .await;
    t.agent_with_password("ann@example.com", "Ann", Role::Agent, PASSWORD)
        .await;
    let customer = t.customer("Cora Customer", "cora@example.org").await;
    t.case(customer, "Printer jam, quokka tray", "It jams.")
        .await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let all = ann.get("/views/all").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.html);
    assert!(all.html.contains("Printer jam, quokka tray"));
    assert_eq!(
        api_view(&t, &t.admin, None).await,
        ("Printer jam, quokka tray".to_owned(), 1)
    );
    let report = t.get("/api/v1/reports/service").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_url_with_sqlite_is_refused() {
    let db = FreshDatabase::new(Backend::Sqlite).await;
    let mut server = tend(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env(
            "TEND_DATABASE_READ_URL",
            "postgres://reader:s3cret@127.0.0.1:5433/tend",
        )
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut exited = None;
    for _ in 0..300 {
        exited = server.try_wait().unwrap();
        if exited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(status) = exited else {
        server.kill().ok();
        panic!("tend serve started with a read URL on SQLite");
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("--database-read-url (TEND_DATABASE_READ_URL) needs a PostgreSQL primary"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
}
