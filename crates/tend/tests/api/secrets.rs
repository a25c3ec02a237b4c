//! Secrets at rest: TOTP seeds and IMAP passwords are sealed in the
//! database (the raw columns, read with SQL, hold no plaintext) and still
//! work; values stored in clear before are sealed at start-up; `tend
//! secrets rotate` moves every secret to a new key, after which the new key
//! opens them and the old one does not.

use crate::cli::tend;
use crate::harness::{Backend, FreshDatabase, Options};
use crate::web::WebAgent;
use crate::web_totp::{ANN, enrol, password_step, post_code, server, signed_in};
use reqwest::StatusCode;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use tend_domain::email::EmailAddress;
use tend_store::Store;
use tend_store::secrets::{Keyring, SecretKey};

crate::both_backends!(
    secrets_are_sealed_at_rest_and_still_work,
    secrets_rotate_moves_every_secret_to_a_new_key,
);

/// The values of the first column of `sql`, read straight from the database.
pub async fn raw_column(db: &FreshDatabase, sql: &str) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows.into_iter().map(|(v,)| v).collect()
}

/// Asserts the one inbox's raw IMAP password is sealed with `key`.
async fn assert_sealed_with(db: &FreshDatabase, key: &SecretKey) {
    let raw = raw_column(db, "SELECT imap_password FROM inboxes").await;
    assert_eq!(raw.len(), 1, "one inbox");
    assert!(raw[0].starts_with(&format!("v1:{}:", key.id())), "{raw:?}");
}

/// Runs a statement straight on the database.
async fn raw_execute(db: &FreshDatabase, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// The store of `db`, opening secrets with the key in `key_file` only.
pub async fn store_with_key(db: &FreshDatabase, key_file: &Path) -> Store {
    let key = SecretKey::read_file(key_file).unwrap();
    Store::connect(&db.url, &tend_store::StoreOptions::default())
        .await
        .unwrap()
        .with_secrets(Keyring::new(key))
}

/// The IMAP password of inbox help@example.com, as a store opened with the
/// key in `key_file` reads it: empty when the key does not open it.
async fn imap_password(db: &FreshDatabase, key_file: &Path) -> String {
    let store = store_with_key(db, key_file).await;
    let address = EmailAddress::parse("address", "help@example.com").unwrap();
    let inbox = store.inbox_by_address(&address).await.unwrap().unwrap();
    store.close().await;
    inbox.imap.unwrap().password.expose().to_owned()
}

/// Runs `tend` with `args`, `stdin` on its standard input.
fn run(db: &FreshDatabase, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = tend(db)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Asserts `out` succeeded; answers its standard output and error.
fn succeeded(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

async fn secrets_are_sealed_at_rest_and_still_work(b: Backend) {
    let t = server(b, Options::default()).await;
    let created = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "help@example.com", "imap": {
                "host": "imap.example.com", "user": "help", "password": "imap-s3cret"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let mut web = WebAgent::signed_in(&t, ANN).await;
    let (mut app, key) = enrol(&mut web).await;

    let key_id = SecretKey::read_file(&t.database().dir().join("secret.key"))
        .unwrap()
        .id()
        .to_owned();
    let passwords = raw_column(t.database(), "SELECT imap_password FROM inboxes").await;
    let seeds = raw_column(t.database(), "SELECT secret FROM agent_totp").await;
    for (sealed, plain) in [(&passwords, "imap-s3cret"), (&seeds, key.as_str())] {
        assert_eq!(sealed.len(), 1);
        assert!(
            sealed[0].starts_with(&format!("v1:{key_id}:")),
            "{}",
            sealed[0]
        );
        assert!(!sealed[0].contains(plain), "{}", sealed[0]);
    }

    // The password reads back; two-factor sign-in works from the sealed seed.
    let id = created.body["id"].as_i64().unwrap();
    let inbox = t.store.inbox(id).await.unwrap();
    assert_eq!(inbox.imap.unwrap().password.expose(), "imap-s3cret");
    let mut browser = password_step(&t).await;
    let ok = post_code(&mut browser, &app.next().await).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    assert!(signed_in(&mut browser).await);
}

async fn secrets_rotate_moves_every_secret_to_a_new_key(b: Backend) {
    let db = FreshDatabase::new(b).await;
    let dir = db.dir().to_path_buf();
    let key_file = dir.join("secret.key");
    let imap = [
        "inbox",
        "create",
        "--address",
        "help@example.com",
        "--imap-host",
        "imap.example.com",
        "--imap-user",
        "help",
        "--imap-password-stdin",
    ];
    succeeded(&run(&db, &imap, &[], "s3cret\n"));
    let first = SecretKey::read_file(&key_file).unwrap();
    assert_sealed_with(&db, &first).await;

    // A password stored in clear (as before Tend sealed secrets) is sealed
    // when Tend next starts, and still reads back.
    raw_execute(&db, "UPDATE inboxes SET imap_password = 'legacy-pw'").await;
    succeeded(&run(&db, &["migrate"], &[], ""));
    assert_sealed_with(&db, &first).await;
    assert_eq!(imap_password(&db, &key_file).await, "legacy-pw");

    // Rotating the data directory's key: a new secret.key, the old kept
    // beside it; the new key opens the secret, the old one alone does not.
    let old_file = dir.join("old-copy.key");
    std::fs::copy(&key_file, &old_file).unwrap();
    let rotated = succeeded(&run(&db, &["secrets", "rotate"], &[], ""));
    assert!(rotated.contains("1 secrets re-sealed"), "{rotated}");
    let second = SecretKey::read_file(&key_file).unwrap();
    assert_ne!(second.id(), first.id());
    assert_eq!(
        SecretKey::read_file(&dir.join("secret.key.old"))
            .unwrap()
            .id(),
        first.id()
    );
    assert_sealed_with(&db, &second).await;
    assert_eq!(imap_password(&db, &key_file).await, "legacy-pw");
    assert_eq!(
        imap_password(&db, &old_file).await,
        "",
        "the old key opens nothing"
    );

    // Tend started with only the old key says the secrets do not open.
    let old_key = first.to_base64();
    let started = succeeded(&run(
        &db,
        &["migrate"],
        &[("TEND_SECRET_KEY", &old_key)],
        "",
    ));
    assert!(started.contains("do not open"), "{started}");
    assert!(!started.contains("legacy-pw") && !started.contains(&old_key));

    // With the key in the environment, the new key comes from a file the
    // operator names; the rotation writes a fresh one there.
    let second_key = second.to_base64();
    let env = [("TEND_SECRET_KEY", second_key.as_str())];
    let no_file = run(&db, &["secrets", "rotate"], &env, "");
    assert!(!no_file.status.success());
    assert!(String::from_utf8_lossy(&no_file.stderr).contains("--new-key-file"));
    let next_file = dir.join("next.key");
    let next_path = next_file.to_str().unwrap();
    let rotated = succeeded(&run(
        &db,
        &["secrets", "rotate", "--new-key-file", next_path],
        &env,
        "",
    ));
    assert!(rotated.contains("TEND_SECRET_KEY_FILE"), "{rotated}");
    assert_eq!(imap_password(&db, &next_file).await, "legacy-pw");
    assert_eq!(imap_password(&db, &key_file).await, "");
    let restarted = succeeded(&run(
        &db,
        &["migrate"],
        &[("TEND_SECRET_KEY_FILE", next_path)],
        "",
    ));
    assert!(!restarted.contains("do not open"), "{restarted}");
}
