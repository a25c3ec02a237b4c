//! The real binary, driven the way operators and scripts drive it.

use crate::harness::{Backend, FreshDatabase, Reply};
use reqwest::StatusCode;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

crate::both_backends!(operator_cli_sets_up_and_serves);

pub fn tend(db: &FreshDatabase) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tend"));
    cmd.arg("--data-dir")
        .arg(db.dir())
        .arg("--database-url")
        .arg(&db.url)
        .env("TEND_LOG", "warn")
        .env_remove("TEND_CONFIG")
        .env_remove("TEND_SECRET_KEY")
        .env_remove("TEND_SECRET_KEY_FILE");
    cmd
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn operator_cli_sets_up_and_serves(b: Backend) {
    let db = FreshDatabase::new(b).await;
    let out = tend(&db).arg("version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("tend "));
    let help =
        String::from_utf8(tend(&db).args(["serve", "--help"]).output().unwrap().stdout).unwrap();
    for option in [
        "--listen",
        "--data-dir",
        "--database-url",
        "--config",
        "TEND_LISTEN",
        "TEND_DATA_DIR",
        "TEND_DATABASE_URL",
    ] {
        assert!(help.contains(option), "serve --help documents {option}");
    }
    for _ in 0..2 {
        assert!(
            tend(&db).arg("migrate").status().unwrap().success(),
            "migrate is repeatable"
        );
    }

    let mut admin = tend(&db)
        .args([
            "admin",
            "create",
            "--email",
            "boss@example.com",
            "--name",
            "Boss",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    admin
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    assert!(admin.wait_with_output().unwrap().status.success());
    let short = tend(&db)
        .args([
            "admin",
            "create",
            "--email",
            "b2@example.com",
            "--name",
            "B",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut short_stdin = short.stdin.as_ref().unwrap();
    short_stdin.write_all(b"short\n").unwrap();
    let out = short.wait_with_output().unwrap();
    assert!(!out.status.success(), "short passwords are refused");
    let dup = tend(&db)
        .args([
            "admin",
            "create",
            "--email",
            "BOSS@example.com",
            "--name",
            "Again",
        ])
        .output()
        .unwrap();
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));

    let out = tend(&db)
        .args(["token", "create", "--email", "boss@example.com"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("tend_") && token.len() > 40, "{token}");
    let missing = tend(&db)
        .args(["token", "create", "--email", "ghost@example.com"])
        .output()
        .unwrap();
    assert!(!missing.status.success());

    let mut child = tend(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("TEND_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let http = reqwest::Client::new();
    let health = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let me = Reply::from(
        http.get(format!("http://{addr}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["email"], "boss@example.com");
    assert_eq!(me.body["role"], "admin");
    let created = Reply::from(
        http.post(format!("http://{addr}/api/v1/customers"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": "Ann", "email": "ann@example.com"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    drop(server);
}
