//! IMAP polling against a real Dovecot the test starts: its own config in a
//! temporary directory, passwd-file users, Maildir storage, TLS with a
//! certificate from a CA the test makes (trusted through Tend's CA-file
//! option). Mail is put in the Maildirs, Tend polls over STARTTLS and IMAPS,
//! and the Maildir flags show what Tend did to each message.

use crate::email::{cases, eventually, messages};
use crate::harness::{Backend, FreshDatabase, Options, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

crate::both_backends!(
    imap_mail_becomes_cases_once_and_is_flagged_after_storing,
    inbox_create_takes_imap_and_acknowledgement_flags,
);

/// A Dovecot running on free ports of 127.0.0.1 until dropped.
pub struct Dovecot {
    dir: tempfile::TempDir,
    child: Child,
    /// Plain IMAP, upgraded with STARTTLS.
    pub imap_port: u16,
    pub imaps_port: u16,
}

/// How Dovecot checks logins.
pub enum Passdb<'a> {
    /// The passwords of [`USERS`].
    Passwords,
    /// OAuth 2.0 bearer tokens (XOAUTH2, OAUTHBEARER) for `users`, checked
    /// at this introspection URL (POST).
    Oauth2 {
        introspection_url: &'a str,
        users: &'a [&'a str],
    },
}

/// Users and their passwords.
const USERS: &[(&str, &str)] = &[("seen", "pw-seen"), ("mover", "pw-mover")];

impl Dovecot {
    /// Starts Dovecot with password logins; `None` (skip) when it is not
    /// installed, unless in CI.
    fn start() -> Option<Self> {
        Self::start_with(Passdb::Passwords)
    }

    /// Starts Dovecot checking logins with `passdb`.
    pub fn start_with(passdb: Passdb<'_>) -> Option<Self> {
        let Some(binary) = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
        else {
            assert!(
                std::env::var("CI").is_err(),
                "CI must have Dovecot installed (apt-get install dovecot-imapd)"
            );
            eprintln!("skipping IMAP test: dovecot is not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Dovecot's unprivileged processes must reach their files.
        set_mode(root, 0o755);
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        crate::harness::write_test_certificates(root);
        let r = root.display();
        let (users, passdb): (Vec<&str>, String) = match passdb {
            Passdb::Passwords => {
                let passwd: String = USERS
                    .iter()
                    .map(|(user, pw)| format!("{user}:{{PLAIN}}{pw}::::::\n"))
                    .collect();
                std::fs::write(root.join("passwd"), passwd).unwrap();
                (
                    USERS.iter().map(|(user, _)| *user).collect(),
                    format!(
                        "passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/passwd\n}}\n"
                    ),
                )
            }
            Passdb::Oauth2 {
                introspection_url,
                users,
            } => {
                std::fs::write(
                    root.join("dovecot-oauth2.conf.ext"),
                    format!(
                        "introspection_url = {introspection_url}\nintrospection_mode = post\n\
                         username_attribute = username\nactive_attribute = active\nactive_value = true\n"
                    ),
                )
                .unwrap();
                (
                    users.to_vec(),
                    format!(
                        "auth_mechanisms = plain xoauth2 oauthbearer\n\
                         passdb {{\n  driver = oauth2\n  args = {r}/dovecot-oauth2.conf.ext\n}}\n"
                    ),
                )
            }
        };
        for user in users {
            maildir(&root.join("mail").join(user));
        }
        let (imap_port, imaps_port) = (free_port(), free_port());
        let config = format!(
            "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\n\
             default_internal_user = dovecot\ndefault_login_user = dovenull\nfirst_valid_uid = 1\n\
             ssl = required\nssl_cert = <{r}/cert.pem\nssl_key = <{r}/key.pem\n\
             {passdb}\
             userdb {{\n  driver = static\n  args = uid=dovecot gid=dovecot home={r}/home/%u\n}}\n\
             mail_location = maildir:{r}/mail/%u\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap_port}\n  }}\n\
             \x20 inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps_port}\n    ssl = yes\n  }}\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), config).unwrap();
        own_mail(root);
        let child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let dovecot = Dovecot {
            dir,
            child,
            imap_port,
            imaps_port,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", imaps_port)).is_ok() {
                return Some(dovecot);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("dovecot did not start: {}", dovecot.log());
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The Maildir of `user`'s folder (`None` for INBOX).
    fn folder(&self, user: &str, folder: Option<&str>) -> PathBuf {
        let inbox = self.root().join("mail").join(user);
        match folder {
            Some(name) => inbox.join(format!(".{name}")),
            None => inbox,
        }
    }

    /// Delivers `raw` into `user`'s INBOX as a new message.
    pub fn deliver(&self, user: &str, name: &str, raw: &str) {
        let path = self.folder(user, None).join("new").join(name);
        std::fs::write(path, raw).unwrap();
        own_mail(self.root());
    }

    /// The Maildir flags of the messages in a folder (`new/` ones have
    /// none yet).
    pub fn flags(&self, user: &str, folder: Option<&str>) -> Vec<String> {
        let dir = self.folder(user, folder);
        let mut flags = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
                continue;
            };
            for entry in entries {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                flags.push(
                    name.split_once(":2,")
                        .map_or(String::new(), |(_, f)| f.to_owned()),
                );
            }
        }
        flags
    }

    /// Ends `user`'s sessions (as a server restart would).
    pub fn kick(&self, user: &str) {
        let status = Command::new("doveadm")
            .arg("-c")
            .arg(self.root().join("dovecot.conf"))
            .args(["kick", user])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "doveadm kick: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn maildir(path: &Path) {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(path.join(sub)).unwrap();
    }
}

/// Mail belongs to the `dovecot` user the mail processes run as.
fn own_mail(root: &Path) {
    let status = Command::new("chown")
        .args(["-R", "dovecot:dovecot"])
        .arg(root.join("mail"))
        .status()
        .unwrap();
    assert!(status.success());
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn email(from: &str, subject: &str, id: &str) -> String {
    format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: {subject}\r\n\
         Message-ID: <{id}>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nHello from {from}.\r\n"
    )
}

/// Subject and sender of every case's first message, sorted.
pub async fn filed(t: &TestServer) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for case in cases(t).await {
        let msgs = messages(t, case["id"].as_i64().unwrap()).await;
        found.push((
            case["subject"].as_str().unwrap().to_owned(),
            msgs[0]["email"]["from"].as_str().unwrap().to_owned(),
        ));
    }
    found.sort();
    found
}

pub async fn create_inbox(t: &TestServer, body: Value) -> Value {
    let r = t.post("/api/v1/inboxes", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

async fn imap_mail_becomes_cases_once_and_is_flagged_after_storing(b: Backend) {
    let Some(dovecot) = Dovecot::start() else {
        return;
    };
    let first = email(
        "Ann Lee <ann@example.org>",
        "Printer on fire",
        "p1@example.org",
    );
    dovecot.deliver("seen", "1.a.test", &first);
    dovecot.deliver(
        "seen",
        "2.b.test",
        &email("bob@example.org", "Invoice question", "p2@example.org"),
    );
    dovecot.deliver(
        "mover",
        "3.c.test",
        &email("cat@example.net", "Login broken", "p3@example.net"),
    );
    // Larger than the limit: left unseen in the mailbox, never half read.
    let big = email("dan@example.org", "Huge scan", "p5@example.org") + &"x".repeat(80_000);
    dovecot.deliver("seen", "5.d.test", &big);
    let t = TestServer::start_with(
        b,
        Options {
            imap_ca_file: Some(dovecot.root().join("ca.pem")),
            smtp_max_message_bytes: Some(64 * 1024),
            ..Options::default()
        },
    )
    .await;
    // STARTTLS, marking stored messages \Seen.
    let inbox = create_inbox(
        &t,
        json!({"address": "support@example.com", "name": "Support", "imap": {
            "host": "127.0.0.1", "port": dovecot.imap_port, "security": "starttls",
            "user": "seen", "password": "pw-seen"}}),
    )
    .await;
    assert_eq!(
        inbox["imap"],
        json!({"host": "127.0.0.1", "port": dovecot.imap_port, "security": "starttls",
               "user": "seen", "auth": "password", "password_set": true, "folder": "INBOX",
               "move_to": null})
    );
    assert_eq!(inbox["oauth"], Value::Null);
    // IMAPS (the default), moving stored messages to another folder.
    create_inbox(
        &t,
        json!({"address": "sales@example.com", "imap": {
            "host": "127.0.0.1", "port": dovecot.imaps_port,
            "user": "mover", "password": "pw-mover", "move_to": "Archive"}}),
    )
    .await;
    // A wrong password is retried with backoff and troubles nobody else.
    create_inbox(
        &t,
        json!({"address": "broken@example.com", "imap": {
            "host": "127.0.0.1", "port": dovecot.imaps_port,
            "user": "seen", "password": "wrong"}}),
    )
    .await;

    let want = vec![
        ("Invoice question".to_owned(), "bob@example.org".to_owned()),
        ("Login broken".to_owned(), "cat@example.net".to_owned()),
        ("Printer on fire".to_owned(), "ann@example.org".to_owned()),
    ];
    eventually("three cases from IMAP", || async {
        (filed(&t).await.len() >= 3).then_some(())
    })
    .await;
    assert_eq!(filed(&t).await, want);
    eventually("the messages flagged \\Seen", || async {
        let seen = dovecot.flags("seen", None);
        (seen.iter().filter(|f| f.contains('S')).count() == 2).then_some(())
    })
    .await;
    eventually("the message moved to Archive", || async {
        (dovecot.flags("mover", None).is_empty()
            && dovecot.flags("mover", Some("Archive")).len() == 1)
            .then_some(())
    })
    .await;

    // The same message showing up unseen again (as after a crash between
    // storing and flagging) is flagged but not filed twice.
    dovecot.deliver("seen", "4.a-again.test", &first);
    eventually("the redelivered copy flagged \\Seen", || async {
        let seen = dovecot.flags("seen", None);
        (seen.iter().filter(|f| f.contains('S')).count() == 3).then_some(())
    })
    .await;
    // A few more polls change nothing.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(filed(&t).await, want);
    let flags = dovecot.flags("seen", None);
    assert_eq!(flags.len(), 4, "{flags:?}");
    assert_eq!(
        flags.iter().filter(|f| !f.contains('S')).count(),
        1,
        "the oversized message stays unseen: {flags:?}"
    );
    for case in cases(&t).await {
        assert_eq!(
            messages(&t, case["id"].as_i64().unwrap()).await.len(),
            1,
            "{case}"
        );
    }

    // Reads never show a password, and match the published schema.
    let listed = t.get("/api/v1/inboxes").await;
    assert_eq!(listed.status, StatusCode::OK);
    let text = listed.body.to_string();
    assert!(
        !text.contains("pw-") && !text.contains("wrong") && !text.contains("\"password\":"),
        "{text}"
    );
    let doc = t.get("/api/v1/openapi.json").await.body;
    crate::openapi::check(&doc, "/api/v1/inboxes", "get", 200, &listed.body);
}

async fn inbox_create_takes_imap_and_acknowledgement_flags(b: Backend) {
    let db = FreshDatabase::new(b).await;
    let help = crate::cli::tend(&db)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for option in [
        "--imap-poll-seconds",
        "TEND_IMAP_POLL_SECONDS",
        "--imap-ca-file",
        "TEND_IMAP_CA_FILE",
    ] {
        assert!(help.contains(option), "serve --help documents {option}");
    }
    let create = |extra: &[&str], password: &str| {
        let mut child = crate::cli::tend(&db)
            .args(["inbox", "create", "--address", "help@example.com"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let imap = [
        "--imap-host",
        "imap.example.com",
        "--imap-security",
        "starttls",
        "--imap-user",
        "help",
        "--imap-password-stdin",
    ];
    let no_user = create(&["--imap-host", "imap.example.com"], "");
    assert!(
        !no_user.status.success(),
        "--imap-host needs a user and password"
    );
    let bad_port = create(&[&imap[..], &["--imap-port", "0"]].concat(), "s3cret\n");
    assert!(!bad_port.status.success());
    assert!(
        String::from_utf8_lossy(&bad_port.stderr).contains("imap.port"),
        "{}",
        String::from_utf8_lossy(&bad_port.stderr)
    );
    let flags = [
        &imap[..],
        &[
            "--imap-move-to",
            "Done",
            "--auto-acknowledge",
            "--first-reply-hours",
            "4",
        ],
    ]
    .concat();
    let made = create(&flags, "s3cret\n");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&made.stdout),
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(made.status.success(), "{out}");
    assert!(!out.contains("s3cret"), "{out}");

    let store = crate::secrets::store_with_key(&db, &db.dir().join("secret.key")).await;
    let address = tend_domain::email::EmailAddress::parse("a", "help@example.com").unwrap();
    let inbox = store.inbox_by_address(&address).await.unwrap().unwrap();
    store.close().await;
    assert!(inbox.auto_acknowledge);
    assert_eq!(inbox.first_reply_hours, Some(4));
    let settings = inbox.imap.unwrap();
    assert_eq!(
        (
            settings.host.as_str(),
            settings.port,
            settings.user.as_str()
        ),
        ("imap.example.com", 143, "help")
    );
    assert_eq!(settings.security.as_str(), "starttls");
    assert_eq!(settings.folder, "INBOX");
    assert_eq!(settings.move_to.as_deref(), Some("Done"));
    assert_eq!(settings.password.expose(), "s3cret");
}
