//! SIGTERM stops `tend serve` gracefully: new connections are refused at
//! once, while SMTP sessions in the middle of a message and HTTP requests
//! in flight finish; the process exits 0 and every message it acknowledged
//! is stored. Nothing here waits on a clock: each step waits for an answer
//! (`354`, `100 Continue`, a refused connection) with a generous timeout.

use crate::cli::tend;
use crate::crash::{free_ports, start};
use crate::harness::{Backend, FreshDatabase};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

crate::both_backends!(sigterm_finishes_in_flight_work_and_loses_nothing_acknowledged);

/// Longest wait for any one thing the server should do.
const PATIENCE: Duration = Duration::from_secs(60);

/// Messages delivered whole before the signal.
const BEFORE: usize = 3;
/// Sessions parked in the middle of DATA when the signal comes.
const PARKED: usize = 4;

/// A plain SMTP (or HTTP) conversation over one connection.
struct Conn(BufReader<TcpStream>);

impl Conn {
    async fn open(port: u16) -> Self {
        Conn(BufReader::new(
            TcpStream::connect(("127.0.0.1", port)).await.unwrap(),
        ))
    }

    async fn send(&mut self, text: &str) {
        self.0.get_mut().write_all(text.as_bytes()).await.unwrap();
    }

    /// One reply line, or an empty string at end of stream.
    async fn line(&mut self) -> String {
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, self.0.read_line(&mut line))
            .await
            .expect("the server answered in time")
            .unwrap();
        line
    }

    /// A whole SMTP reply (the last line of a multi-line one).
    async fn reply(&mut self) -> String {
        loop {
            let line = self.line().await;
            if line.as_bytes().get(3) != Some(&b'-') {
                return line;
            }
        }
    }

    async fn command(&mut self, command: &str) -> String {
        self.send(&format!("{command}\r\n")).await;
        self.reply().await
    }

    /// An SMTP session that has sent the head of message `i` and stops in
    /// the middle of DATA.
    async fn parked_in_data(port: u16, i: usize) -> Self {
        let mut smtp = Conn::open(port).await;
        assert!(smtp.reply().await.starts_with("220"));
        assert!(
            smtp.command("EHLO client.example.org")
                .await
                .starts_with("250")
        );
        let from = format!("MAIL FROM:<sender{i}@example.org>");
        assert!(smtp.command(&from).await.starts_with("250"));
        let to = smtp.command("RCPT TO:<support@example.com>").await;
        assert!(to.starts_with("250"), "{to}");
        assert!(smtp.command("DATA").await.starts_with("354"));
        smtp.send(&format!(
            "From: sender{i}@example.org\r\nTo: support@example.com\r\nSubject: shutdown {i}\r\n\
             Message-ID: <shutdown-{i}@example.org>\r\n\r\nThe first half of message {i}\r\n"
        ))
        .await;
        smtp
    }

    /// Sends the rest of the message and answers the reply to its end.
    async fn finish_data(&mut self, i: usize) -> String {
        self.send(&format!("and the second half of message {i}.\r\n.\r\n"))
            .await;
        self.reply().await
    }
}

/// Whether a new connection to `port` is refused.
async fn refused(port: u16) -> bool {
    matches!(
        TcpStream::connect(("127.0.0.1", port)).await,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

/// Runs `tend` with `args` and answers its standard output.
fn run(db: &FreshDatabase, args: &[&str]) -> String {
    let out = tend(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn sigterm_finishes_in_flight_work_and_loses_nothing_acknowledged(b: Backend) {
    let db = FreshDatabase::new(b).await;
    run(
        &db,
        &["inbox", "create", "--address", "support@example.com"],
    );
    let boss = ["--email", "boss@example.com"];
    run(
        &db,
        &[&["admin", "create", "--name", "Boss"][..], &boss].concat(),
    );
    let token = run(&db, &[&["token", "create"][..], &boss].concat());
    let (http_port, smtp_port) = free_ports();
    let mut server = start(&db, (http_port, smtp_port));

    let customer: serde_json::Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{http_port}/api/v1/customers"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Ann", "email": "ann@example.com"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Messages delivered whole, over concurrent sessions.
    let delivered = futures_util::future::join_all((0..BEFORE).map(|i| async move {
        let mut smtp = Conn::parked_in_data(smtp_port, i).await;
        smtp.finish_data(i).await
    }))
    .await;
    for answer in &delivered {
        assert!(answer.starts_with("250"), "{answer}");
    }
    // Sessions in the middle of a message, one idle session, and an HTTP
    // request whose body is half sent: the server asked for it (`100
    // Continue`), so the request is being handled.
    let mut parked = futures_util::future::join_all(
        (BEFORE..BEFORE + PARKED).map(|i| Conn::parked_in_data(smtp_port, i)),
    )
    .await;
    let mut idle = Conn::open(smtp_port).await;
    assert!(idle.reply().await.starts_with("220"));
    assert!(
        idle.command("EHLO idle.example.org")
            .await
            .starts_with("250")
    );
    let body = serde_json::json!({
        "subject": "in flight",
        "customer_id": customer["id"],
        "message": "Sent while the server was stopping.",
    })
    .to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut request = Conn::open(http_port).await;
    request
        .send(&format!(
            "POST /api/v1/cases HTTP/1.1\r\nHost: tend\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            body.len()
        ))
        .await;
    let go_on = request.line().await;
    assert!(go_on.starts_with("HTTP/1.1 100"), "{go_on}");
    assert_eq!(request.line().await, "\r\n");
    request.send(head).await;

    let pid = server.0.id().to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(signalled.success());

    // New connections are refused while the server is still finishing.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !(refused(smtp_port).await && refused(http_port).await) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "new connections were still accepted after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        server.0.try_wait().unwrap().is_none(),
        "the server waits for the work in flight"
    );
    // An idle session is told the service is going away.
    let bye = idle.line().await;
    assert!(bye.starts_with("421"), "{bye}");

    // The parked messages finish and are acknowledged; so is the request.
    for (i, smtp) in (BEFORE..).zip(parked.iter_mut()) {
        let answer = smtp.finish_data(i).await;
        assert!(answer.starts_with("250"), "message {i}: {answer}");
    }
    request.send(tail).await;
    let status = request.line().await;
    assert!(status.starts_with("HTTP/1.1 201"), "{status}");
    drop((parked, request));

    // The process exits by itself, successfully.
    let deadline = std::time::Instant::now() + PATIENCE;
    let exit = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "tend serve exited with {exit}");

    // Everything acknowledged is stored, once.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT email_message_id, COUNT(*) FROM messages WHERE email_message_id LIKE 'shutdown-%' \
         GROUP BY email_message_id ORDER BY email_message_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected: Vec<(String, i64)> = (0..BEFORE + PARKED)
        .map(|i| (format!("shutdown-{i}@example.org"), 1))
        .collect();
    assert_eq!(stored, expected);
    let cases: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases WHERE subject = 'in flight'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(cases.0, 1, "the request in flight was completed");
    pool.close().await;
}
