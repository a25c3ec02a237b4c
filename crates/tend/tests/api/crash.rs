//! Killing Tend (`kill -9`) at random moments while mail arrives over SMTP
//! loses no acknowledged message and stores none twice: the sender retries
//! until it sees `250`, as real mail servers do.

use crate::cli::{Server, tend};
use crate::harness::{Backend, FreshDatabase};
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rand::Rng;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

crate::both_backends!(acknowledged_mail_survives_kill_9);

/// Messages sent through the kills.
const MESSAGES: usize = 100;
/// Kills at least.
const KILLS: usize = 5;

/// How long the server lives between kills, in ms: long enough for a few
/// messages, short enough to land in the middle of sessions and commits.
const KILL_AFTER_MS: std::ops::Range<u64> = 100..600;

/// Starts `tend serve` with SMTP on `port` and waits until it listens.
/// One sender sends all the mail here, so its rate limit is off.
pub fn start(db: &FreshDatabase, ports: (u16, u16)) -> Server {
    start_with(db, ports, &["--mail-rate-limit", "0"])
}

/// [`start`] with further `serve` arguments.
pub fn start_with(db: &FreshDatabase, (http, smtp): (u16, u16), args: &[&str]) -> Server {
    let mut child = tend(db)
        .args(["serve", "--listen", &format!("127.0.0.1:{http}")])
        .args(["--smtp-listen", &format!("127.0.0.1:{smtp}")])
        .args(args)
        .env("TEND_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the server stopped before listening: {seen:#?}");
        };
        if line.contains("SMTP listening on") {
            break;
        }
        seen.push(line);
    }
    std::thread::spawn(move || for _ in lines {});
    Server(child)
}

/// Two free ports (HTTP, SMTP), kept for every restart.
pub fn free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

async fn acknowledged_mail_survives_kill_9(b: Backend) {
    let db = FreshDatabase::new(b).await;
    let made = tend(&db)
        .args(["inbox", "create", "--address", "support@example.com"])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let ports = free_ports();
    let mut server = start(&db, ports);
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(ports.1)
        .timeout(Some(Duration::from_secs(5)))
        .build();
    let envelope = Envelope::new(
        Some("ann@example.org".parse().unwrap()),
        vec!["support@example.com".parse().unwrap()],
    )
    .unwrap();
    let mut rng = rand::rng();
    let mut kills = 0;
    let mut next_kill =
        tokio::time::Instant::now() + Duration::from_millis(rng.random_range(KILL_AFTER_MS));
    // Keep sending until enough messages went through enough kills.
    let mut sent = 0;
    while sent < MESSAGES || kills < KILLS {
        let i = sent;
        sent += 1;
        let raw = format!(
            "From: ann@example.org\r\nTo: support@example.com\r\nSubject: crash {i}\r\n\
             Message-ID: <crash-{i}@example.org>\r\n\r\nmessage number {i}\r\n"
        );
        // Retry until acknowledged, killing and restarting the server at
        // random moments, in the middle of sessions too.
        loop {
            let sending = mailer.send_raw(&envelope, raw.as_bytes());
            let outcome = tokio::select! {
                sent = sending => Some(sent.is_ok()),
                _ = tokio::time::sleep_until(next_kill) => None,
            };
            if outcome == Some(true) {
                break;
            }
            if outcome.is_none() || tokio::time::Instant::now() >= next_kill {
                let _ = server.0.kill();
                let _ = server.0.wait();
                kills += 1;
                server = start(&db, ports);
                next_kill = tokio::time::Instant::now()
                    + Duration::from_millis(rng.random_range(KILL_AFTER_MS));
            }
        }
    }
    drop(server);

    // Every acknowledged message is stored, exactly once.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT email_message_id, COUNT(*) FROM messages WHERE email_message_id LIKE 'crash-%' \
         GROUP BY email_message_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(rows.len(), sent, "every acknowledged message is stored");
    for (id, count) in rows {
        assert_eq!(count, 1, "{id} is stored once");
    }
}
