//! `--log-format json`: every line Tend writes is one JSON object, and the
//! lines an HTTP request writes carry its request id, the one the proxy in
//! front sent (if sane) and the one sent back in `X-Request-Id`.

use crate::cli::tend;
use crate::harness::{Backend, FreshDatabase};
use crate::web::WebAgent;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

crate::both_backends!(json_logs_name_the_request);

async fn json_logs_name_the_request(b: Backend) {
    let db = FreshDatabase::new(b).await;
    let (port, _) = crate::crash::free_ports();
    let mut child = tend(&db)
        .args(["--log-format", "json", "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .env("TEND_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let _server = crate::cli::Server(child);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let next = |what: &str| {
        lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("a log line {what}"))
    };
    loop {
        let line = next("saying Tend listens");
        let parsed: Value = serde_json::from_str(&line).expect("every line is JSON");
        if parsed["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("listening on http:"))
        {
            break;
        }
    }
    let base = format!("http://127.0.0.1:{port}");

    // A failed sign-in logs a line inside the request, naming its id.
    let mut browser = WebAgent::at(&base);
    let form = browser.get("/signin").await;
    let csrf = form.csrf();
    let answer = reqwest::Client::new()
        .post(format!("{base}/signin"))
        .header("x-request-id", "proxy-id-42")
        .header("cookie", browser.cookie_header())
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "nobody@example.com"),
            ("password", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(answer.headers()["x-request-id"], "proxy-id-42");
    loop {
        let line = next("about the failed sign-in");
        let parsed: Value = serde_json::from_str(&line).expect("every line is JSON");
        if parsed["fields"]["message"] == "failed sign-in" {
            assert_eq!(parsed["span"]["request_id"], "proxy-id-42", "{line}");
            break;
        }
    }

    // An id unfit to log is replaced by a fresh one.
    let answer = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .header(
            "x-request-id",
            "has spaces and is far too long to be anyone's request id at all",
        )
        .send()
        .await
        .unwrap();
    let id = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 16, "{id}");
    assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
}
