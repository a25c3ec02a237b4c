//! Three `tend serve` nodes on one PostgreSQL behind HAProxy (round robin,
//! no stickiness), each with its own SMTP listener and its own relay (a
//! sink): agents on different nodes see each other on a case and each
//! other's changes, sign-in limits hold across nodes, the same mail
//! delivered to every node makes one message, and a node killed with
//! `kill -9` in the middle of sending loses no acknowledged mail, job or
//! reply and sends no email twice.

use crate::cli::{Server, tend};
use crate::crash::{free_ports, start_with};
use crate::email::eventually;
use crate::harness::{Backend, FreshDatabase, postgres_available};
use crate::live::Stream;
use crate::mail_sink::MailSink;
use crate::web::{PASSWORD, WebAgent};
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Inbound messages sent while a node is killed.
const LOAD_MAILS: usize = 45;
/// Replies (each an outbound email) posted while a node is killed.
const LOAD_REPLIES: usize = 30;

/// HAProxy from Debian's package, if installed (CI installs it).
fn haproxy() -> Option<&'static str> {
    let found = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    assert!(
        found.is_some() || std::env::var("CI").is_err(),
        "CI must install haproxy for the multi-node test"
    );
    found
}

/// One node: its HTTP and SMTP ports, the process and the relay it sends through.
struct Node {
    http: u16,
    smtp: u16,
    server: Option<Server>,
    sink: MailSink,
}

impl Node {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    /// Kills the node's process outright, as a crash would.
    fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.0.kill().unwrap();
            server.0.wait().unwrap();
        }
    }
}

/// Starts a node on `db` and waits until it listens.
async fn start_node(db: &FreshDatabase) -> Node {
    let sink = MailSink::start().await;
    let (http, smtp) = free_ports();
    let args = [
        "--smtp-relay",
        &sink.url,
        "--trusted-proxies",
        "127.0.0.1",
        "--job-lease-seconds",
        "10",
    ];
    Node {
        http,
        smtp,
        server: Some(start_with(db, (http, smtp), &args)),
        sink,
    }
}

/// HAProxy in front of `nodes`, round robin, retrying a refused
/// connection on another node; answers its process and base URL.
async fn start_proxy(haproxy: &str, nodes: &[Node], dir: &std::path::Path) -> (Server, String) {
    let (port, _) = free_ports();
    let servers: String = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                "    server n{i} 127.0.0.1:{} check inter 1s fall 2 rise 1\n",
                n.http
            )
        })
        .collect();
    let config = format!(
        "global\n    maxconn 512\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 120s\n    \
         timeout server 120s\n    retries 3\n    option redispatch 1\n\
         frontend tend\n    bind 127.0.0.1:{port}\n    option forwardfor\n    default_backend nodes\n\
         backend nodes\n    balance roundrobin\n{servers}"
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config).unwrap();
    let child = Command::new(haproxy)
        .arg("-f")
        .arg(&path)
        .arg("-db")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    eventually("HAProxy to answer", || async {
        let r = http.get(format!("{base}/healthz")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    (Server(child), base)
}

/// Runs a `tend` command on `db` with `stdin`, answering its output.
fn run(db: &FreshDatabase, args: &[&str], stdin: &str) -> String {
    let mut child = tend(db)
        .args(args)
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
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// An admin who signs in with [`PASSWORD`].
fn admin(db: &FreshDatabase, email: &str, name: &str) {
    run(
        db,
        &[
            "admin",
            "create",
            "--email",
            email,
            "--name",
            name,
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
}

/// Sends `raw` from ann@example.org to the SMTP listener on `port`;
/// whether it was acknowledged.
async fn mail(port: u16, raw: &str) -> bool {
    mail_from(port, "ann@example.org", raw).await
}

/// Sends `raw` from `from` to the SMTP listener on `port`.
async fn mail_from(port: u16, from: &str, raw: &str) -> bool {
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(10)))
        .build();
    let envelope = Envelope::new(
        Some(from.parse().unwrap()),
        vec!["support@example.com".parse().unwrap()],
    )
    .unwrap();
    mailer.send_raw(&envelope, raw.as_bytes()).await.is_ok()
}

fn raw_mail(id: &str, extra: &str) -> String {
    raw_mail_from("ann@example.org", id, extra)
}

fn raw_mail_from(from: &str, id: &str, extra: &str) -> String {
    format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: {id}\r\n\
         Message-ID: <{id}@example.org>\r\n{extra}\r\nabout {id}\r\n"
    )
}

/// A plain count from the database.
async fn count(db: &FreshDatabase, sql: &str) -> i64 {
    crate::harness::scalar(&db.url, sql).await.expect(sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_behind_a_proxy_act_as_one() {
    let Some(haproxy) = haproxy() else {
        eprintln!("skipping: haproxy is not installed");
        return;
    };
    if !postgres_available() {
        return;
    }
    let db = FreshDatabase::new(Backend::Postgres).await;
    // The first command migrates and makes the secret key every node shares.
    run(
        &db,
        &["inbox", "create", "--address", "support@example.com"],
        "",
    );
    admin(&db, "boss@example.com", "Boss");
    admin(&db, "ann@example.com", "Ann Agent");
    admin(&db, "bob@example.com", "Bob Agent");
    let token = run(&db, &["token", "create", "--email", "boss@example.com"], "")
        .trim()
        .to_owned();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(start_node(&db).await);
    }
    let (_proxy, proxy) = start_proxy(haproxy, &nodes, db.dir()).await;
    let api = reqwest::Client::new();

    // Mail delivered to every node at once is one message on one case,
    // and a reply to it, sent to another node, joins that case.
    let first = raw_mail("one", "");
    let delivered =
        futures_util::future::join_all(nodes.iter().map(|n| mail(n.smtp, &first))).await;
    assert_eq!(delivered, [true, true, true], "every node acknowledges");
    assert!(
        mail(
            nodes[1].smtp,
            &raw_mail("one-reply", "In-Reply-To: <one@example.org>\r\n")
        )
        .await
    );
    let one = "email_message_id IN ('one@example.org', 'one-reply@example.org')";
    assert_eq!(
        count(&db, &format!("SELECT COUNT(*) FROM messages WHERE {one}")).await,
        2
    );
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(DISTINCT case_id) FROM messages WHERE {one}")
        )
        .await,
        1
    );
    // The per-sender mail limit (30 by default) counts on every node: 30
    // messages spread over the three are taken, the next is deferred.
    for i in 0..30 {
        let raw = raw_mail_from("loop@example.net", &format!("loop-{i}"), "");
        assert!(
            mail_from(nodes[i % 3].smtp, "loop@example.net", &raw).await,
            "message {i}"
        );
    }
    let raw = raw_mail_from("loop@example.net", "loop-30", "");
    assert!(
        !mail_from(nodes[2].smtp, "loop@example.net", &raw).await,
        "over the limit"
    );

    let case = count(
        &db,
        "SELECT case_id FROM messages WHERE email_message_id = 'one@example.org'",
    )
    .await;

    // Sessions need no stickiness: signed in through the proxy, every
    // node knows the agent.
    let mut ann = WebAgent::at(&proxy);
    let page = ann.sign_in("ann@example.com", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let mut bob = WebAgent::at(&proxy);
    assert_eq!(
        bob.sign_in("bob@example.com", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    for _ in 0..nodes.len() * 2 {
        assert_eq!(
            ann.get(&format!("/cases/{case}")).await.status,
            StatusCode::OK
        );
    }

    // Ann on node 0 and Bob on node 1 see each other; Bob typing on node 2
    // and a reply through the proxy reach Ann's page on node 0.
    let mut anns_stream = Stream::open_at(&nodes[0].base(), &ann, case).await;
    let mut bob_on_1 = bob.on(&nodes[1].base());
    let bobs_page = bob_on_1.get(&format!("/cases/{case}")).await;
    anns_stream
        .until("presence", "Bob Agent is viewing this case.")
        .await;
    let mut bobs_stream = Stream::open_at(&nodes[1].base(), &bob, case).await;
    bobs_stream
        .until("presence", "Ann Agent is viewing this case.")
        .await;
    let typed = bob
        .on(&nodes[2].base())
        .post(
            &format!("/cases/{case}/typing"),
            &[("csrf", &bobs_page.csrf())],
        )
        .await;
    assert_eq!(typed.status, StatusCode::NO_CONTENT);
    anns_stream
        .until("presence", "Bob Agent is typing a reply.")
        .await;
    let note = api
        .post(format!("{}/api/v1/cases/{case}/messages", nodes[2].base()))
        .bearer_auth(&token)
        .json(&json!({"body": "Checking with the plumber", "internal": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), StatusCode::CREATED);
    anns_stream.until("changed", "").await;
    drop((anns_stream, bobs_stream));

    // Failed sign-ins count on every node: five wrong passwords, spread
    // over the nodes by the proxy, and even the right one must wait.
    for _ in 0..5 {
        let page = WebAgent::at(&proxy)
            .sign_in("boss@example.com", "wrong password")
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let page = WebAgent::at(&proxy)
        .sign_in("boss@example.com", PASSWORD)
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.html);

    // Under load (mail into every node, replies through the proxy), node 1
    // is killed while its relay holds a message it is sending.
    let held = nodes[1].sink.hold().await;
    let smtp_ports: Vec<u16> = nodes.iter().map(|n| n.smtp).collect();
    let mails = tokio::spawn(async move {
        for i in 0..LOAD_MAILS {
            // Each from its own sender, as the per-sender limit is shared.
            let from = format!("load-{i}@example.org");
            let raw = raw_mail_from(&from, &format!("load-{i}"), "");
            // Retry on the next node until some node acknowledges it.
            let mut port = i;
            while !mail_from(smtp_ports[port % smtp_ports.len()], &from, &raw).await {
                port += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });
    let replies = {
        let (api, proxy, token) = (api.clone(), proxy.clone(), token.clone());
        tokio::spawn(async move {
            for i in 0..LOAD_REPLIES {
                // Retried with one idempotency key until acknowledged.
                loop {
                    let sent = api
                        .post(format!("{proxy}/api/v1/cases/{case}/messages"))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", format!("reply-{i}"))
                        .json(&json!({"body": format!("marker reply-{i}.")}))
                        .send()
                        .await;
                    // A replay answers what the first attempt created.
                    if sent.is_ok_and(|r| r.status().is_success()) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        })
    };
    let sink = &nodes[1].sink;
    eventually("node 1 to be sending", || async {
        (sink.waiting() > 0).then_some(())
    })
    .await;
    nodes[1].kill();
    drop(held);
    mails.await.unwrap();
    replies.await.unwrap();

    // Every acknowledged message is stored once.
    let stored = "SELECT COUNT(*) FROM messages WHERE email_message_id LIKE 'load-%'";
    assert_eq!(count(&db, stored).await, LOAD_MAILS as i64);
    let doubled = "SELECT COUNT(*) FROM (SELECT email_message_id FROM messages \
                   WHERE email_message_id LIKE 'load-%' GROUP BY email_message_id HAVING COUNT(*) > 1) d";
    assert_eq!(count(&db, doubled).await, 0);
    // Every reply is sent, once, by whichever node took its job (node 1's
    // after their lease ran out); no job is left.
    let received = || {
        nodes
            .iter()
            .flat_map(|n| n.sink.received())
            .collect::<Vec<_>>()
    };
    let all_sent = || async {
        let sent: Vec<_> = received();
        (0..LOAD_REPLIES)
            .all(|i| {
                sent.iter()
                    .any(|r| r.data.contains(&format!("marker reply-{i}.")))
            })
            .then_some(())
    };
    for _ in 0..3 {
        // The lease (10 s) plus a retry may outlast one wait.
        if all_sent().await.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    eventually("every reply to reach a relay", all_sent).await;
    let sent = received();
    for i in 0..LOAD_REPLIES {
        let marker = format!("marker reply-{i}.");
        let copies = sent.iter().filter(|r| r.data.contains(&marker)).count();
        assert_eq!(copies, 1, "reply {i} is sent once");
    }
    eventually("no job left", || async {
        let left = count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'send_email'").await;
        (left == 0).then_some(())
    })
    .await;
    let unsent = "SELECT COUNT(*) FROM outbound_mail WHERE status <> 'sent'";
    assert_eq!(count(&db, unsent).await, 0);
    let stored: Value = api
        .get(format!("{proxy}/api/v1/cases/{case}/messages?limit=100"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> = stored["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body_text"].as_str())
        .collect();
    for i in 0..LOAD_REPLIES {
        let marker = format!("marker reply-{i}.");
        let copies = bodies.iter().filter(|b| b.contains(&marker)).count();
        assert_eq!(copies, 1, "reply {i} is stored once");
    }
}

/// The lock that keeps a mailbox to one node: while one node's store holds
/// it another's is refused, and it passes on once the holder's connection
/// goes (as when its process dies).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_is_read_by_one_node_at_a_time() {
    use tend_store::signals::LockKind;
    use tend_store::{Store, StoreOptions};
    if !postgres_available() {
        return;
    }
    let db = FreshDatabase::new(Backend::Postgres).await;
    let first = Store::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    first.migrate().await.unwrap();
    let second = Store::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    let mut held = first
        .try_exclusive(LockKind::Mailbox, 7)
        .await
        .unwrap()
        .expect("a free mailbox is taken");
    assert!(held.still_held().await);
    assert!(
        second
            .try_exclusive(LockKind::Mailbox, 7)
            .await
            .unwrap()
            .is_none(),
        "another node is refused while it is held"
    );
    assert!(
        second
            .try_exclusive(LockKind::Mailbox, 8)
            .await
            .unwrap()
            .is_some(),
        "other mailboxes are free"
    );
    drop(held);
    eventually("the lock to pass on", || async {
        second.try_exclusive(LockKind::Mailbox, 7).await.unwrap()
    })
    .await;
}
