//! STARTTLS on the SMTP listener: a real client upgrading the session with
//! a certificate from a test CA, the session starting over inside TLS, and
//! no STARTTLS without a certificate.

use crate::cli::tend;
use crate::email::{cases, eventually, messages, relaying_server};
use crate::harness::{Backend, FreshDatabase, Options, TestServer, write_test_certificates};
use lettre::address::Envelope;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

crate::both_backends!(
    starttls_upgrades_the_session_and_mail_is_stored,
    replies_reach_a_starttls_relay_only_when_its_certificate_is_trusted,
);

/// A test CA and a certificate it signed for `localhost` and 127.0.0.1,
/// written as PEM files.
struct TestCa {
    ca_pem: String,
    cert: PathBuf,
    key: PathBuf,
    _dir: tempfile::TempDir,
}

fn test_ca() -> TestCa {
    let dir = tempfile::tempdir().unwrap();
    let ca_pem = write_test_certificates(dir.path());
    TestCa {
        ca_pem,
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
        _dir: dir,
    }
}

async fn server(b: Backend, tls: Option<&TestCa>) -> TestServer {
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            smtp_tls: tls.map(|ca| (ca.cert.clone(), ca.key.clone())),
            ..Options::default()
        },
    )
    .await;
    let inbox = t
        .post("/api/v1/inboxes", json!({"address": "support@example.com"}))
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    t
}

/// Reads one (possibly multi-line) reply; answers its lines joined.
async fn answer<S: AsyncRead + Unpin>(conn: &mut BufReader<S>) -> String {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        assert!(conn.read_line(&mut line).await.unwrap() > 0, "{text}");
        text.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return text;
        }
    }
}

/// Sends one command and reads the reply.
async fn say<S: AsyncRead + AsyncWrite + Unpin>(conn: &mut BufReader<S>, command: &str) -> String {
    conn.get_mut()
        .write_all(format!("{command}\r\n").as_bytes())
        .await
        .unwrap();
    answer(conn).await
}

async fn starttls_upgrades_the_session_and_mail_is_stored(b: Backend) {
    let ca = test_ca();
    let t = server(b, Some(&ca)).await;
    let smtp = t.smtp.unwrap();

    // A real client that insists on TLS, trusting only the test CA.
    let tls = TlsParameters::builder("localhost".into())
        .add_root_certificate(Certificate::from_pem(ca.ca_pem.as_bytes()).unwrap())
        .build_rustls()
        .unwrap();
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port())
        .tls(Tls::Required(tls))
        .build();
    let envelope = Envelope::new(
        Some("ann@example.org".parse().unwrap()),
        vec!["support@example.com".parse().unwrap()],
    )
    .unwrap();
    let raw = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Sent over TLS\r\n\
        Message-ID: <tls-1@example.org>\r\n\r\nPrivate matters.\r\n";
    let sent = mailer.send_raw(&envelope, raw.as_bytes()).await;
    assert!(sent.is_ok(), "{sent:?}");
    let all = cases(&t).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["subject"], "Sent over TLS");
    let stored = messages(&t, all[0]["id"].as_i64().unwrap()).await;
    assert_eq!(stored[0]["email"]["message_id"], "tls-1@example.org");

    // By hand: STARTTLS is offered, the session starts over inside TLS,
    // and a second STARTTLS is refused.
    let mut plain = BufReader::new(TcpStream::connect(smtp).await.unwrap());
    assert!(answer(&mut plain).await.starts_with("220"));
    let ehlo = say(&mut plain, "EHLO client.example").await;
    assert!(ehlo.contains("250-STARTTLS"), "{ehlo}");
    assert!(
        say(&mut plain, "MAIL FROM:<ann@example.org>")
            .await
            .starts_with("250")
    );
    assert!(say(&mut plain, "STARTTLS").await.starts_with("220"));
    let mut roots = RootCertStore::empty();
    roots
        .add(
            tokio_rustls::rustls::pki_types::CertificateDer::from_pem_slice(ca.ca_pem.as_bytes())
                .unwrap(),
        )
        .unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let stream = TlsConnector::from(Arc::new(config))
        .connect(
            ServerName::try_from("localhost").unwrap(),
            plain.into_inner(),
        )
        .await
        .unwrap();
    let mut secure = BufReader::new(stream);
    let before_ehlo = say(&mut secure, "RCPT TO:<support@example.com>").await;
    assert!(
        before_ehlo.starts_with("503"),
        "state was reset: {before_ehlo}"
    );
    assert!(
        say(&mut secure, "MAIL FROM:<ann@example.org>")
            .await
            .starts_with("503")
    );
    let ehlo = say(&mut secure, "EHLO client.example").await;
    assert!(
        ehlo.starts_with("250") && !ehlo.contains("STARTTLS"),
        "{ehlo}"
    );
    assert!(say(&mut secure, "STARTTLS").await.starts_with("503"));
    assert!(say(&mut secure, "QUIT").await.starts_with("221"));

    // Without a certificate there is no STARTTLS.
    let bare = server(b, None).await;
    let mut conn = BufReader::new(TcpStream::connect(bare.smtp.unwrap()).await.unwrap());
    answer(&mut conn).await;
    let ehlo = say(&mut conn, "EHLO client.example").await;
    assert!(
        ehlo.starts_with("250") && !ehlo.contains("STARTTLS"),
        "{ehlo}"
    );
    assert!(say(&mut conn, "STARTTLS").await.starts_with("454"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_to_start_with_unreadable_tls_files() {
    let db = FreshDatabase::new(Backend::Sqlite).await;
    let help = tend(&db).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for option in [
        "--smtp-tls-cert",
        "--smtp-tls-key",
        "TEND_SMTP_TLS_CERT",
        "--mail-rate-limit",
        "--mail-rate-window",
    ] {
        assert!(help.contains(option), "serve --help documents {option}");
    }
    let missing = db.dir().join("missing.pem");
    let out = tend(&db)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--smtp-listen",
            "127.0.0.1:0",
        ])
        .arg("--smtp-tls-cert")
        .arg(&missing)
        .arg("--smtp-tls-key")
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read TLS certificate") && stderr.contains("missing.pem"),
        "{stderr}"
    );
    let half = tend(&db)
        .args(["serve", "--listen", "127.0.0.1:0", "--smtp-tls-cert"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!half.status.success());
    assert!(String::from_utf8_lossy(&half.stderr).contains("go together"));
}

/// Posts a reply on `case`; answers the message's id.
async fn reply(t: &TestServer, case: i64) -> i64 {
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "Sent over TLS to the relay."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

/// The delivery record of message `id` on `case`, once `ready` holds.
async fn delivery(t: &TestServer, case: i64, id: i64, ready: fn(&Value) -> bool) -> Value {
    eventually("the delivery record", || async {
        let all = messages(t, case).await;
        let delivery = all.iter().find(|m| m["id"] == id)?["email"]["delivery"].clone();
        ready(&delivery).then_some(delivery)
    })
    .await
}

async fn replies_reach_a_starttls_relay_only_when_its_certificate_is_trusted(b: Backend) {
    let ca = test_ca();
    // The customer's mail server: a Tend with STARTTLS and Ann's inbox.
    let customer_side = server(b, Some(&ca)).await;
    crate::email::take_mail_for_ann_and_bob(&customer_side).await;
    let relay = format!(
        "smtp+starttls://127.0.0.1:{}",
        customer_side.smtp.unwrap().port()
    );

    // Trusting the test CA: the reply is delivered over TLS.
    let ca_file = ca.cert.with_file_name("ca.pem");
    let (t, case) = relaying_server(b, &relay, Some(ca_file)).await;
    let sent = reply(&t, case).await;
    delivery(&t, case, sent, |d| d["status"] == "sent").await;
    let arrived = cases(&customer_side).await;
    assert_eq!(arrived.len(), 1, "{arrived:?}");
    let text =
        messages(&customer_side, arrived[0]["id"].as_i64().unwrap()).await[0]["body_text"].clone();
    assert!(text.as_str().unwrap().contains("Sent over TLS"), "{text}");

    // Not trusting it: nothing is handed over in the clear; the reply stays
    // queued with the certificate error.
    let (untrusting, case) = relaying_server(b, &relay, None).await;
    let held = reply(&untrusting, case).await;
    let d = delivery(&untrusting, case, held, |d| !d["last_error"].is_null()).await;
    assert_eq!(d["status"], "queued", "{d}");
    assert!(
        d["last_error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("certificate"),
        "{d}"
    );
    assert_eq!(cases(&customer_side).await.len(), 1, "nothing more arrived");
}
