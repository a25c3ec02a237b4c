//! A relay that accepts every message over real SMTP and keeps each
//! envelope and message, so tests can see exactly whom Tend's mail went to
//! (Bcc is only in the envelope). It can demand sign-in with an OAuth
//! token (SASL XOAUTH2), as Microsoft 365's and Google's relays do. It can
//! hold its answer to each message (to kill a sender mid-send): a message
//! whose sender went away while held was never accepted and is not kept.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{OwnedRwLockWriteGuard, RwLock};

/// One message as the relay received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub recipients: Vec<String>,
    pub data: String,
    /// Who signed in (XOAUTH2), if anyone.
    pub user: Option<String>,
}

/// Whether a (user, token) may sign in.
pub type TokenCheck = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// The relay, listening on 127.0.0.1 until the test ends.
pub struct MailSink {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    gate: Gate,
}

/// Holds the answers to messages while a test wants them held.
#[derive(Clone, Default)]
struct Gate {
    open: Arc<RwLock<()>>,
    waiting: Arc<AtomicUsize>,
}

impl MailSink {
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// A relay that takes mail only after an XOAUTH2 sign-in `check` allows.
    pub async fn start_with(check: Option<TokenCheck>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        let gate = Gate::default();
        let sessions_gate = gate.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let gate = sessions_gate.clone();
                tokio::spawn(session(stream, kept.clone(), check.clone(), gate));
            }
        });
        MailSink {
            url,
            received,
            gate,
        }
    }

    /// Stops answering messages (each waits after its data) until the
    /// guard is dropped.
    pub async fn hold(&self) -> OwnedRwLockWriteGuard<()> {
        self.gate.open.clone().write_owned().await
    }

    /// Messages waiting for their answer.
    pub fn waiting(&self) -> usize {
        self.gate.waiting.load(Ordering::SeqCst)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits for a message whose data contains `marker`.
    pub async fn wait_for(&self, marker: &str) -> Received {
        crate::email::eventually(marker, || async {
            self.received()
                .into_iter()
                .find(|r| r.data.contains(marker))
        })
        .await
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    kept: Arc<Mutex<Vec<Received>>>,
    check: Option<TokenCheck>,
    gate: Gate,
) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    let mut recipients = Vec::new();
    let mut user = None;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let answer = if command.starts_with("EHLO") || command.starts_with("HELO") {
            if check.is_some() {
                "250-sink\r\n250 AUTH XOAUTH2\r\n"
            } else {
                "250 sink\r\n"
            }
        } else if let Some(response) = command.strip_prefix("AUTH XOAUTH2 ") {
            let signed_in = check.as_ref().and_then(|check| {
                let (who, token) = xoauth2(&line.trim_end()[command.len() - response.len()..])?;
                check(&who, &token).then_some(who)
            });
            match signed_in {
                Some(who) => {
                    user = Some(who);
                    "235 2.7.0 Accepted\r\n"
                }
                None => "535 5.7.8 Token refused\r\n",
            }
        } else if command.starts_with("MAIL FROM") {
            recipients.clear();
            if check.is_some() && user.is_none() {
                "530 5.7.0 Sign in first\r\n"
            } else {
                "250 OK\r\n"
            }
        } else if command.starts_with("RCPT TO:") {
            let to = line.trim_end()[8..]
                .trim()
                .trim_matches(['<', '>'])
                .to_lowercase();
            recipients.push(to);
            "250 OK\r\n"
        } else if command == "DATA" {
            let _ = write.write_all(b"354 go on\r\n").await;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(&line);
            }
            gate.waiting.fetch_add(1, Ordering::SeqCst);
            let open = gate.open.read().await;
            gate.waiting.fetch_sub(1, Ordering::SeqCst);
            if sender_gone(lines.get_mut()) {
                return; // it never saw the message accepted
            }
            kept.lock().unwrap().push(Received {
                recipients: std::mem::take(&mut recipients),
                data,
                user: user.clone(),
            });
            let _ = write.write_all(b"250 kept\r\n").await;
            drop(open);
            continue;
        } else if command == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            "250 OK\r\n"
        };
        let _ = write.write_all(answer.as_bytes()).await;
    }
}

/// Whether the sender closed the connection (nothing else arrives while
/// it waits for an answer).
fn sender_gone(read: &mut tokio::net::tcp::OwnedReadHalf) -> bool {
    use futures_util::FutureExt;
    let mut byte = [0u8; 1];
    matches!(read.peek(&mut byte).now_or_never(), Some(Ok(0) | Err(_)))
}

/// The user and token of an XOAUTH2 initial response (base64 of
/// `user=…\x01auth=Bearer …\x01\x01`).
fn xoauth2(response: &str) -> Option<(String, String)> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(response.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.split('\x01');
    let who = parts.next()?.strip_prefix("user=")?.to_owned();
    let token = parts.next()?.strip_prefix("auth=Bearer ")?.to_owned();
    Some((who, token))
}
