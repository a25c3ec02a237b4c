//! Moving and keeping data with the real binary: `tend migrate --from --to`
//! copies a SQLite install (cases, mail with attachments, agreements, portal
//! sign-ins, sessions) into PostgreSQL, resuming after a `kill -9`; `tend
//! backup` and `tend restore` on both backends. Afterwards every API listing
//! of the served OpenAPI document (every page) and every attachment is
//! byte-for-byte what it was.

use crate::cli::Server;
use crate::harness::{Backend, FreshDatabase, TestServer, postgres_available};
use crate::web::WebAgent;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use tend_domain::agent::Role;

crate::both_backends!(backup_and_restore_keep_every_listing);

/// The real binary on `url`, with `dir` as its data directory (where the
/// secret key lives).
fn tend_at(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tend"));
    cmd.arg("--data-dir")
        .arg(dir)
        .arg("--database-url")
        .arg(url)
        .env("TEND_LOG", "warn")
        .env_remove("TEND_CONFIG")
        .env_remove("TEND_SECRET_KEY")
        .env_remove("TEND_SECRET_KEY_FILE");
    cmd
}

/// Runs a command to the end, answering its output.
fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Starts `tend serve` on a free port; answers the server and its base URL.
fn serve(dir: &Path, url: &str) -> (Server, String) {
    let mut child = tend_at(dir, url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let base = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the server stopped before listening: {seen:#?}");
        };
        if let Some(at) = line.find("listening on http://") {
            break line[at + "listening on ".len()..].trim().to_string();
        }
        seen.push(line);
    };
    std::thread::spawn(move || for _ in lines {});
    (Server(child), base)
}

fn upload(name: &str, content: &str) -> Value {
    use base64::Engine as _;
    json!({
        "filename": name,
        "content_type": "text/plain",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(content),
    })
}

/// An install with customers, an organisation, a canned reply, agreements, cases with
/// replies, internal notes and attachments, mail imported with an attached
/// file, an agent's web session and a customer signed in to the portal;
/// stopped, so its database can be read. `cases` extra cases make it larger.
async fn install(b: Backend, cases: usize) -> TestServer {
    let w = crate::portal::world(b).await;
    let t = w.t;
    for i in 0..cases {
        let case = t
            .case(w.ann, &format!("Extra case {i}"), "More words.")
            .await;
        let reply = t
            .post(
                &format!("/api/v1/cases/{case}/messages"),
                json!({"body": format!("Reply {i}"), "attachments": [upload("log.txt", &format!("log {i}"))]}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let canned = t
        .post(
            "/api/v1/canned_replies",
            json!({"title": "Thanks", "body": "Thank you, {{customer.first_name}}."}),
        )
        .await;
    assert_eq!(canned.status, StatusCode::CREATED, "{}", canned.body);
    t.agent_with_password(
        "web@example.com",
        "Web Agent",
        Role::Agent,
        crate::web::PASSWORD,
    )
    .await;
    WebAgent::signed_in(&t, "web@example.com").await;
    crate::portal::signed_in(&t, "ann@acme.example").await;
    t.stop().await;
    let eml = t.database().dir().join("first.eml");
    std::fs::write(&eml, crate::email::FIRST).unwrap();
    let db = t.database();
    let imported = run(tend_at(db.dir(), &db.url)
        .args(["mail", "import", "--inbox", "support@example.com"])
        .arg(&eml));
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    t
}

/// Listings that need a parameter the OpenAPI document does not enumerate.
const EXTRA: [&str; 4] = [
    "/api/v1/search?q=firmware",
    "/api/v1/reports/service/csv?table=times",
    "/api/v1/reports/effort/csv?table=levels",
    "/api/v1/reports/surveys/csv?table=summary",
];

/// Every listing (each GET of the OpenAPI document without path
/// parameters, every page) and every attachment, as served at `base`.
async fn listings(base: &str, token: &str) -> BTreeMap<String, String> {
    let http = reqwest::Client::new();
    let get = |path: String| {
        let request = http.get(format!("{base}{path}")).bearer_auth(token);
        async move {
            let r = request.send().await.unwrap();
            let status = r.status();
            (status, r.bytes().await.unwrap().to_vec())
        }
    };
    let (_, doc) = get("/api/v1/openapi.json".into()).await;
    let doc: Value = serde_json::from_slice(&doc).unwrap();
    let mut seen = BTreeMap::new();
    let mut queries: Vec<String> = EXTRA.iter().map(|q| q.to_string()).collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.contains('{') || item.get("get").is_none() {
            continue;
        }
        // Small pages, so that every listing has several; required words filled in.
        let mut query = Vec::new();
        for p in item["get"]["parameters"].as_array().into_iter().flatten() {
            match (p["name"].as_str(), p["required"].as_bool()) {
                (Some("limit"), _) => query.push("limit=2"),
                (Some("q"), Some(true)) => query.push("q=printer"),
                _ => {}
            }
        }
        queries.push(format!("{path}?{}", query.join("&")));
    }
    for query in queries {
        let mut url = format!("/api/v1{}", query.strip_prefix("/api/v1").unwrap_or(&query));
        let mut page = 0;
        loop {
            let (status, body) = get(url.clone()).await;
            seen.insert(
                format!("{query} page {page}"),
                format!("{status} {}", comparable(&query, &body)),
            );
            let next = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["next_cursor"].as_str().map(str::to_owned));
            let Some(cursor) = next else { break };
            url = format!(
                "/api/v1{}&cursor={cursor}",
                query.strip_prefix("/api/v1").unwrap_or(&query)
            );
            page += 1;
        }
    }
    let cases = all(&get, "/api/v1/cases").await;
    for case in cases {
        let id = case["id"].as_i64().unwrap();
        for message in all(&get, &format!("/api/v1/cases/{id}/messages")).await {
            for file in message["attachments"].as_array().into_iter().flatten() {
                let file = file["id"].as_i64().unwrap();
                let (status, bytes) = get(format!("/api/v1/attachments/{file}")).await;
                assert_eq!(status, StatusCode::OK);
                seen.insert(format!("attachment {file}"), format!("{bytes:?}"));
            }
        }
    }
    assert!(seen.keys().any(|k| k.starts_with("attachment")));
    assert!(
        seen.keys().any(|k| k.contains("cases?limit=2 page 2")),
        "paged"
    );
    seen
}

/// A response as compared: search hits without their score and snippet,
/// which each backend's full-text engine makes its own way (bm25 with FTS5
/// snippets on SQLite, ts_rank with ts_headline on PostgreSQL).
fn comparable(query: &str, body: &[u8]) -> String {
    let Ok(mut json) = serde_json::from_slice::<Value>(body) else {
        return text(body);
    };
    if query.starts_with("/api/v1/search") {
        for hit in json["data"].as_array_mut().into_iter().flatten() {
            if let Some(hit) = hit.as_object_mut() {
                hit.remove("score");
                hit.remove("snippet_html");
            }
        }
    }
    json.to_string()
}

/// Every item of a paged listing.
async fn all<F, Fut>(get: &F, path: &str) -> Vec<Value>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = (StatusCode, Vec<u8>)>,
{
    let mut items = Vec::new();
    let mut url = path.to_string();
    loop {
        let (status, body) = get(url).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        items.extend(body["data"].as_array().unwrap().iter().cloned());
        let Some(cursor) = body["next_cursor"].as_str() else {
            return items;
        };
        url = format!("{path}?cursor={cursor}");
    }
}

/// Listings served by `tend serve` on `url` (data directory `dir`).
async fn served(dir: &Path, url: &str, token: &str) -> BTreeMap<String, String> {
    let (server, base) = serve(dir, url);
    let seen = listings(&base, token).await;
    drop(server);
    seen
}

/// Asserts two sets of listings are the same, naming the first that is not.
fn assert_same(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (key, was) in before {
        assert_eq!(was, &after[key], "{key} changed");
    }
}

/// Runs a transfer command, asserting it succeeds and verifies.
fn transfer_ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("verified"), "{stdout}");
    assert!(!stdout.contains("MISMATCH"), "{stdout}");
    assert!(stderr.contains("cases: "), "progress on stderr: {stderr}");
    stderr
}

/// Rows in `table` of the database at `url`, or None if there is no such table.
async fn rows(url: &str, table: &str) -> Option<i64> {
    crate::harness::scalar(url, &format!("SELECT COUNT(*) FROM {table}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_moves_sqlite_to_postgres_with_every_listing() {
    if !postgres_available() {
        return;
    }
    let t = install(Backend::Sqlite, 3).await;
    let db = t.database();
    let before = served(db.dir(), &db.url, &t.admin).await;
    let cases_before = rows(&db.url, "cases").await.unwrap();

    let pg = FreshDatabase::new(Backend::Postgres).await;
    transfer_ok(
        tend_at(db.dir(), &db.url)
            .args(["migrate", "--from"])
            .arg(db.dir())
            .args(["--to", &pg.url]),
    );
    assert_eq!(
        rows(&pg.url, "tend_transfer_progress").await,
        None,
        "bookkeeping dropped"
    );

    let (server, base) = serve(db.dir(), &pg.url);
    let after = listings(&base, &t.admin).await;
    assert_same(&before, &after);
    // Search works on the copied rows, and a new case takes a new id.
    let found: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/search?q=firmware"))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!found["data"].as_array().unwrap().is_empty(), "{found}");
    let made: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/cases"))
        .bearer_auth(&t.admin)
        .json(&json!({"subject": "After the move", "customer_id": 1, "message": "New."}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(made["id"].as_i64().unwrap() > cases_before, "{made}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_migrate_resumes_and_verifies() {
    if !postgres_available() {
        return;
    }
    let t = install(Backend::Sqlite, 3).await;
    let db = t.database();
    let pg = FreshDatabase::new(Backend::Postgres).await;
    let schema = run(tend_at(db.dir(), &pg.url).arg("migrate"));
    assert!(schema.status.success(), "{}", text(&schema.stderr));
    // A lock that lets the copy read `canned_replies` (a table no foreign
    // key touches) but not write it: the copy gets as far as that table and
    // waits there, where it is killed.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&pg.url).await.unwrap();
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE canned_replies IN EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let mut child = tend_at(db.dir(), &db.url)
        .args(["migrate", "--batch-rows", "2", "--from"])
        .arg(db.dir())
        .args(["--to", &pg.url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    crate::email::eventually("the copy waiting at canned_replies", || async {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks \
             WHERE NOT granted AND relation = 'canned_replies'::regclass",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        (waiting > 0).then_some(())
    })
    .await;
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success(), "killed before the end");
    lock.rollback().await.unwrap();
    pool.close().await;
    assert!(rows(&pg.url, "blobs").await.unwrap() > 0);
    assert_eq!(rows(&pg.url, "canned_replies").await, Some(0));

    let stderr = transfer_ok(
        tend_at(db.dir(), &db.url)
            .args(["migrate", "--from"])
            .arg(db.dir())
            .args(["--to", &pg.url]),
    );
    let agents = stderr.lines().find(|l| l.starts_with("agents: ")).unwrap();
    assert!(agents.ends_with("(copied before)"), "{stderr}");
    assert_eq!(
        rows(&pg.url, "canned_replies").await,
        rows(&db.url, "canned_replies").await
    );
}

async fn backup_and_restore_keep_every_listing(b: Backend) {
    let t = install(b, 2).await;
    let db = t.database();
    let before = served(db.dir(), &db.url, &t.admin).await;
    let archive = tempfile::tempdir().unwrap();
    let file = archive.path().join("tend.backup");
    transfer_ok(
        tend_at(db.dir(), &db.url)
            .args(["backup", "--to"])
            .arg(&file),
    );
    let again = run(tend_at(db.dir(), &db.url)
        .args(["backup", "--to"])
        .arg(&file));
    assert!(
        !again.status.success(),
        "an existing archive is not replaced"
    );

    // Into a fresh database of each backend available (across backends too).
    let mut targets = vec![Backend::Sqlite];
    if postgres_available() {
        targets.push(Backend::Postgres);
    }
    for target in targets {
        let fresh = FreshDatabase::new(target).await;
        std::fs::copy(db.dir().join("secret.key"), fresh.dir().join("secret.key")).unwrap();
        transfer_ok(
            tend_at(fresh.dir(), &fresh.url)
                .args(["restore", "--from"])
                .arg(&file),
        );
        assert_same(&before, &served(fresh.dir(), &fresh.url, &t.admin).await);
    }

    // Not into a database that holds data: nothing is written.
    let agents = rows(&db.url, "agents").await;
    let refused = run(tend_at(db.dir(), &db.url)
        .args(["restore", "--from"])
        .arg(&file));
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("already holds data"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(rows(&db.url, "agents").await, agents);
    assert_eq!(rows(&db.url, "tend_transfer_progress").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_refuses_bad_input_and_writes_nothing() {
    let t = install(Backend::Sqlite, 0).await;
    let db = t.database();
    let elsewhere = tempfile::tempdir().unwrap();
    let sqlite_target = elsewhere.path().join("other.db");
    let out = run(tend_at(db.dir(), &db.url)
        .args(["migrate", "--from"])
        .arg(db.dir())
        .arg("--to")
        .arg(format!("sqlite://{}", sqlite_target.display())));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("PostgreSQL"),
        "{}",
        text(&out.stderr)
    );
    assert!(!sqlite_target.exists());

    if !postgres_available() {
        return;
    }
    let pg = FreshDatabase::new(Backend::Postgres).await;
    let out = run(tend_at(db.dir(), &db.url)
        .args(["migrate", "--from"])
        .arg(elsewhere.path().join("missing"))
        .args(["--to", &pg.url]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no Tend database"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        rows(&pg.url, "cases").await,
        None,
        "the target is untouched"
    );

    // A PostgreSQL install already in use.
    let used = TestServer::start(Backend::Postgres).await;
    used.stop().await;
    let url = &used.database().url;
    let agents = rows(url, "agents").await;
    let out = run(tend_at(db.dir(), &db.url)
        .args(["migrate", "--from"])
        .arg(db.dir())
        .args(["--to", url]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already holds data"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(rows(url, "agents").await, agents);
    assert_eq!(rows(url, "tend_transfer_progress").await, None);
}
