//! Metrics end to end: `/metrics` on the main listener and on a listener
//! of its own, read back by Python's OpenMetrics parser
//! (`prometheus_client`); counters move with HTTP, SMTP and job traffic
//! and the gauges come from the database. Off unless asked for.

use crate::email::{FIRST, cases, eventually, send};
use crate::harness::{Backend, Options, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::both_backends!(
    metrics_parse_and_move_with_traffic,
    metrics_are_off_by_default
);

async fn metrics_parse_and_move_with_traffic(b: Backend) {
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            metrics: true,
            metrics_listen: true,
            ..Options::default()
        },
    )
    .await;
    let inbox = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "support@example.com", "auto_acknowledge": true}),
        )
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    let own = format!("http://{}/metrics", t.metrics.unwrap());
    let main = format!("{}/metrics", t.base);
    let Some(before) = scrape(&t, &own).await else {
        return;
    };

    for _ in 0..2 {
        assert_eq!(t.get("/api/v1/customers").await.status, StatusCode::OK);
    }
    assert_eq!(t.get("/no/such/page").await.status, StatusCode::NOT_FOUND);
    send(&t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    send(&t, "ann@example.org", "nobody@example.com", FIRST)
        .await
        .unwrap_err();
    let case = cases(&t).await[0]["id"].as_i64().unwrap();
    assert_eq!(
        t.get(&format!("/api/v1/cases/{case}")).await.status,
        StatusCode::OK
    );
    let reply = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "Please try a new cartridge."}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    // The email queued an acknowledgement; the job runner gets to it.
    let after = eventually("the acknowledge job counted", || async {
        let after = scrape(&t, &main).await.unwrap();
        let runs = &[("kind", "acknowledge")];
        (value(&after, "tend_job_runs_total", runs) > value(&before, "tend_job_runs_total", runs))
            .then_some(after)
    })
    .await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };

    let customers = [("method", "GET"), ("route", "/api/v1/customers")];
    let ok = [customers[0], customers[1], ("status", "200")];
    assert_eq!(moved("tend_http_requests_total", &ok), 2.0);
    assert_eq!(
        moved("tend_http_request_duration_seconds_count", &customers),
        2.0
    );
    let one_case = [
        ("method", "GET"),
        ("route", "/api/v1/cases/{id}"),
        ("status", "200"),
    ];
    assert_eq!(moved("tend_http_requests_total", &one_case), 1.0);
    let unmatched = [("method", "GET"), ("route", "unmatched"), ("status", "404")];
    assert_eq!(moved("tend_http_requests_total", &unmatched), 1.0);
    let raw_ids = |route: &String| route.split('/').any(|s| s.parse::<i64>().is_ok());
    assert!(
        !routes(&after).iter().any(raw_ids),
        "routes are templates, never raw paths: {:?}",
        routes(&after)
    );

    assert!(moved("tend_smtp_sessions_total", &[]) >= 2.0);
    assert_eq!(moved("tend_smtp_messages_accepted_total", &[]), 1.0);
    let unknown = [("reason", "unknown_recipient")];
    assert_eq!(moved("tend_smtp_messages_refused_total", &unknown), 1.0);

    // Without a relay the acknowledgement and the reply wait in the
    // queue, and their jobs with them.
    let queued = [("kind", "send_email"), ("state", "queued")];
    assert!(value(&after, "tend_jobs", &queued) >= 1.0);
    assert_eq!(
        value(
            &after,
            "tend_jobs",
            &[("kind", "clean_up"), ("state", "dead")]
        ),
        0.0,
        "every kind and state is written"
    );
    assert!(value(&after, "tend_outbound_emails", &[("state", "queued")]) >= 1.0);
    assert_eq!(value(&after, "tend_db_pool_max_connections", &[]), 4.0);
    assert!(
        value(&after, "tend_db_pool_connections", &[])
            >= value(&after, "tend_db_pool_idle_connections", &[])
    );
    for (family, kind) in [
        ("tend_sla_breaches", "counter"),
        ("tend_imap_messages_fetched", "counter"),
        ("tend_imap_failures", "counter"),
        ("tend_job_failures", "counter"),
        ("tend_http_request_duration_seconds", "histogram"),
    ] {
        assert!(
            after
                .iter()
                .any(|f| f["name"] == family && f["type"] == kind),
            "{family} is a {kind}"
        );
    }

    // A scrape is counted once it is answered: the next one shows it.
    let last = scrape(&t, &main).await.unwrap();
    let scrapes = [("method", "GET"), ("route", "/metrics"), ("status", "200")];
    assert!(value(&last, "tend_http_requests_total", &scrapes) >= 1.0);

    let doc = t.get("/api/v1/openapi.json").await.body;
    assert!(doc["paths"]["/metrics"].is_null(), "not part of the API");

    // The documentation and the sample dashboard name only real metrics.
    let served: Vec<&str> = after
        .iter()
        .filter_map(|f| f["name"].as_str())
        .chain(samples(&after).filter_map(|s| s[0].as_str()))
        .collect();
    for doc in ["docs/metrics.md", "docs/grafana-dashboard.json"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(doc);
        let text = std::fs::read_to_string(path).unwrap();
        for name in text
            .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .filter(|w| w.starts_with("tend_"))
        {
            assert!(
                served.contains(&name),
                "{doc} names {name}, which is not served"
            );
        }
    }
}

async fn metrics_are_off_by_default(b: Backend) {
    let t = TestServer::start(b).await;
    let res = t
        .http
        .get(format!("{}/metrics", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(t.metrics.is_none());
}

/// Scrapes `url` and reads the exposition with Python's parser; `None`
/// when Python's prometheus_client is missing outside CI.
async fn scrape(t: &TestServer, url: &str) -> Option<Vec<Value>> {
    let res = t.http.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let media = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(media.starts_with("application/openmetrics-text"), "{media}");
    python_parses(&res.text().await.unwrap())
}

/// Each metric family Python's OpenMetrics parser reads from
/// `exposition`: `{"name", "type", "samples": [[name, labels, value]]}`.
/// A missing Python or prometheus_client fails in CI.
fn python_parses(exposition: &str) -> Option<Vec<Value>> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let script = "import sys, json\n\
        from prometheus_client.openmetrics.parser import text_string_to_metric_families\n\
        print(json.dumps([{'name': f.name, 'type': f.type, \
        'samples': [[s.name, s.labels, s.value] for s in f.samples]} \
        for f in text_string_to_metric_families(sys.stdin.read())]))\n";
    // Debian's python3-prometheus-client is for the system Python, which
    // another python3 earlier on the PATH would not see.
    let python = if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let run = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match run {
        Ok(child) => child,
        Err(e) => {
            assert!(std::env::var("CI").is_err(), "python3 is needed in CI: {e}");
            eprintln!("skipping the metrics checks: no python3");
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named 'prometheus_client'") {
        assert!(
            std::env::var("CI").is_err(),
            "python3-prometheus-client is needed in CI"
        );
        eprintln!("skipping the metrics checks: no prometheus_client");
        return None;
    }
    assert!(out.status.success(), "{stderr}\n{exposition}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// The value of the sample `name` with exactly `labels`; 0 when absent.
fn value(families: &[Value], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples(families)
        .find(|s| {
            let have = s[1].as_object().unwrap();
            s[0] == name
                && have.len() == labels.len()
                && labels.iter().all(|(k, v)| have.get(*k) == Some(&json!(v)))
        })
        .map_or(0.0, |s| s[2].as_f64().unwrap())
}

/// Every route label in the exposition.
fn routes(families: &[Value]) -> Vec<String> {
    samples(families)
        .filter_map(|s| s[1]["route"].as_str().map(str::to_owned))
        .collect()
}

fn samples(families: &[Value]) -> impl Iterator<Item = &Value> {
    families
        .iter()
        .flat_map(|f| f["samples"].as_array().unwrap().iter())
}
