//! Tend's SMTP listener: takes mail for its inboxes from the internet (MX)
//! or a relay. It answers `250` to the end of DATA only once the message is
//! committed to the database, so a message the sender saw accepted is never
//! lost. The session is written here rather than with an SMTP crate because
//! that acknowledgement has to wait on an async commit. With a certificate
//! configured it offers STARTTLS; one session code path serves the plain
//! and the TLS stream. Senders over their rate limit are told to retry.
//! Sessions, and messages accepted and refused, are counted in the metrics.
//! When asked to stop it closes the listening socket at once, lets every
//! session finish the message it is sending (a message in DATA is still
//! committed and acknowledged) and tells idle sessions `421`.

use super::rate_limit::Limiter;
use super::{parse, receive};
use crate::metrics::{Metrics, Refusal, SmtpMetrics};
use std::net::SocketAddr;
use std::time::Duration;
use tend_store::Store;
use tend_store::email::{Inbox, IngestOutcome};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// Longest command line accepted (RFC 5321 allows 512 octets).
const MAX_LINE: usize = 4096;
/// Recipients accepted per message.
const MAX_RECIPIENTS: usize = 100;
/// A silent client is dropped after this long.
const IDLE: Duration = Duration::from_secs(300);
/// The answer to a message larger than the listener takes.
const TOO_BIG: &str = "552 5.3.4 Message too big for this server";

/// Listener settings.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Largest message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Name announced in the greeting.
    pub hostname: String,
    /// STARTTLS is offered when this is set.
    pub tls: Option<TlsAcceptor>,
    /// Mail per sender (shared by every clone of these settings).
    pub limiter: Limiter,
    /// Where sessions and messages are counted.
    pub metrics: SmtpMetrics,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("max_message_bytes", &self.max_message_bytes)
            .field("hostname", &self.hostname)
            .field("tls", &self.tls.is_some())
            .field("limiter", &self.limiter)
            .finish()
    }
}

impl SmtpSettings {
    /// The listener settings from Tend's configuration, counting in
    /// `metrics`; fails when the TLS certificate or key cannot be read.
    pub fn from_settings(
        settings: &crate::config::Settings,
        metrics: &Metrics,
    ) -> Result<Self, String> {
        let tls = match &settings.smtp_tls {
            Some((cert, key)) => Some(super::tls::acceptor(cert, key)?),
            None => None,
        };
        Ok(SmtpSettings {
            max_message_bytes: settings.smtp_max_message_bytes,
            hostname: "tend".into(),
            tls,
            limiter: Limiter::new(settings.mail_rate_limit),
            metrics: metrics.smtp.clone(),
        })
    }
}

/// Binds `addr` and serves SMTP there in the background until `stop` is
/// cancelled; answers the address bound (useful with port 0) and the task,
/// which ends once every session has.
pub async fn start(
    addr: SocketAddr,
    store: Store,
    settings: SmtpSettings,
    stop: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    Ok((bound, tokio::spawn(serve(listener, store, settings, stop))))
}

/// Accepts SMTP sessions on `listener` until `stop` is cancelled, then
/// closes it and waits for the sessions to end.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    settings: SmtpSettings,
    stop: CancellationToken,
) {
    let mut sessions = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            // Finished sessions are reaped as they end.
            Some(_) = sessions.join_next() => continue,
            accepted = listener.accept() => accepted,
        };
        let (socket, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "accepting an SMTP connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        settings.metrics.session_opened();
        // Replies are small and each waits for the next command.
        if let Err(e) = socket.set_nodelay(true) {
            tracing::debug!(error = %e, "setting TCP_NODELAY failed");
        }
        let (store, settings, stop) = (store.clone(), settings.clone(), stop.clone());
        sessions.spawn(async move {
            if let Err(e) = connection(socket, &store, &settings, peer, &stop).await {
                tracing::debug!(%peer, error = %e, "SMTP session ended");
            }
        });
    }
    drop(listener);
    if !sessions.is_empty() {
        tracing::info!(
            sessions = sessions.len(),
            "SMTP: no new connections; waiting for open sessions"
        );
    }
    while sessions.join_next().await.is_some() {}
}

/// Serves one connection: a plain session, and a TLS one after STARTTLS.
async fn connection(
    socket: TcpStream,
    store: &Store,
    settings: &SmtpSettings,
    peer: SocketAddr,
    stop: &CancellationToken,
) -> std::io::Result<()> {
    let mut plain = BufReader::new(socket);
    reply(
        &mut plain,
        &format!("220 {} Tend ESMTP ready", settings.hostname),
    )
    .await?;
    let offer = if settings.tls.is_some() {
        Tls::Offered
    } else {
        Tls::Unavailable
    };
    let ended = session(&mut plain, store, settings, peer, offer, stop).await?;
    let (Ended::StartTls, Some(acceptor)) = (ended, &settings.tls) else {
        return Ok(());
    };
    // Dropping the buffer drops anything the client sent after STARTTLS in
    // the clear: it must not count as said inside TLS (RFC 3207, 4.2).
    let handshake = acceptor.accept(plain.into_inner());
    let secure = tokio::time::timeout(IDLE, handshake).await.map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake timed out")
    })??;
    // A fresh session: the client must say EHLO again (RFC 3207, 4.2).
    let mut secure = BufReader::new(secure);
    session(&mut secure, store, settings, peer, Tls::Active, stop).await?;
    Ok(())
}

/// Where a session stands with TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    /// No certificate is configured.
    Unavailable,
    /// STARTTLS may be used.
    Offered,
    /// The session runs inside TLS already.
    Active,
}

/// How a session ended.
enum Ended {
    /// The client left (or went quiet).
    Closed,
    /// The client asked for TLS and was told to go ahead.
    StartTls,
}

/// One message being received.
#[derive(Default)]
struct Envelope {
    from: Option<String>,
    /// The inbox and the address it was reached at.
    recipients: Vec<(Inbox, String)>,
}

/// Runs one SMTP session (after the greeting) to its end, over a plain or
/// a TLS stream alike. Once `stop` is cancelled, the session ends at the
/// next command with `421`: a message already in DATA is finished first.
async fn session<S>(
    conn: &mut BufReader<S>,
    store: &Store,
    settings: &SmtpSettings,
    peer: SocketAddr,
    tls: Tls,
    stop: &CancellationToken,
) -> std::io::Result<Ended>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut envelope: Option<Envelope> = None;
    let mut greeted = false;
    loop {
        let next = tokio::select! {
            biased;
            () = stop.cancelled() => None,
            line = read_line(conn) => Some(line?),
        };
        let Some(next) = next else {
            reply(conn, "421 4.3.2 Service shutting down; try again later").await?;
            return Ok(Ended::Closed);
        };
        let Some(line) = next else {
            return Ok(Ended::Closed);
        };
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                greeted = true;
                envelope = None;
                let starttls = if tls == Tls::Offered {
                    "250-STARTTLS\r\n"
                } else {
                    ""
                };
                let text = format!(
                    "250-{} greets {}\r\n250-SIZE {}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n{starttls}250 ENHANCEDSTATUSCODES",
                    settings.hostname,
                    arg.trim(),
                    settings.max_message_bytes
                );
                reply(conn, &text).await?;
            }
            "HELO" => {
                greeted = true;
                envelope = None;
                reply(conn, &format!("250 {}", settings.hostname)).await?;
            }
            "MAIL" if !greeted => reply(conn, "503 5.5.1 Say EHLO first").await?,
            "MAIL" => match mail_from(arg, settings.max_message_bytes) {
                Ok(from)
                    if !settings
                        .limiter
                        .admit(store, &sender_key(from.as_deref(), peer))
                        .await =>
                {
                    tracing::info!(%peer, from = ?from, "throttling a sender over its mail rate limit");
                    settings.metrics.refused(Refusal::RateLimited);
                    reply(
                        conn,
                        "450 4.7.1 Too much mail from this sender; try again later",
                    )
                    .await?;
                }
                Ok(from) => {
                    envelope = Some(Envelope {
                        from,
                        recipients: Vec::new(),
                    });
                    reply(conn, "250 2.1.0 OK").await?;
                }
                Err(answer) => {
                    if answer == TOO_BIG {
                        settings.metrics.refused(Refusal::TooBig);
                    }
                    reply(conn, answer).await?
                }
            },
            "RCPT" => {
                let answer = match envelope.as_mut() {
                    None => "503 5.5.1 MAIL first".to_owned(),
                    Some(env) if env.recipients.len() >= MAX_RECIPIENTS => {
                        "452 4.5.3 Too many recipients".to_owned()
                    }
                    Some(env) => rcpt_to(env, arg, store, &settings.metrics).await,
                };
                reply(conn, &answer).await?;
            }
            "DATA" => {
                let ready = envelope.as_ref().is_some_and(|e| !e.recipients.is_empty());
                if !ready {
                    reply(conn, "503 5.5.1 RCPT first").await?;
                    continue;
                }
                reply(conn, "354 End data with <CR><LF>.<CR><LF>").await?;
                let Some(raw) = read_data(conn, settings.max_message_bytes).await? else {
                    envelope = None;
                    settings.metrics.refused(Refusal::TooBig);
                    reply(conn, TOO_BIG).await?;
                    continue;
                };
                let answer = match envelope.take() {
                    Some(env) => accept(store, env, raw, peer, &settings.metrics).await,
                    None => "503 5.5.1 RCPT first".to_owned(),
                };
                reply(conn, &answer).await?;
            }
            "RSET" => {
                envelope = None;
                reply(conn, "250 2.0.0 OK").await?;
            }
            "NOOP" => reply(conn, "250 2.0.0 OK").await?,
            "VRFY" => reply(conn, "252 2.5.2 Send some mail and see").await?,
            "QUIT" => {
                reply(conn, "221 2.0.0 Bye").await?;
                return Ok(Ended::Closed);
            }
            "STARTTLS" => match tls {
                Tls::Active => reply(conn, "503 5.5.1 TLS already active").await?,
                Tls::Unavailable => reply(conn, "454 4.7.0 TLS not available").await?,
                Tls::Offered if !arg.trim().is_empty() => {
                    reply(conn, "501 5.5.4 STARTTLS takes no parameters").await?
                }
                Tls::Offered => {
                    reply(conn, "220 2.0.0 Ready to start TLS").await?;
                    return Ok(Ended::StartTls);
                }
            },
            _ => reply(conn, "500 5.5.2 Command not recognised").await?,
        }
    }
}

/// Whom the rate limit counts: the envelope sender, or for the null sender
/// (bounces) the connecting host.
fn sender_key(from: Option<&str>, peer: SocketAddr) -> String {
    match from {
        Some(address) => address.to_lowercase(),
        None => format!("<>@{}", peer.ip()),
    }
}

/// Files the message (once, into the first recipient's inbox) and gives the
/// answer to DATA: success only after the commit.
async fn accept(
    store: &Store,
    env: Envelope,
    raw: Vec<u8>,
    peer: SocketAddr,
    metrics: &SmtpMetrics,
) -> String {
    let Some((inbox, recipient)) = env.recipients.into_iter().next() else {
        return "503 5.5.1 RCPT first".into();
    };
    match receive(store, &inbox, raw, Some(&recipient), env.from.as_deref()).await {
        Ok(filed) => {
            metrics.accepted();
            if filed.outcome == IngestOutcome::Bounced {
                format!("250 2.0.0 Bounce recorded on case #{}", filed.case_id)
            } else {
                format!("250 2.0.0 Filed on case #{}", filed.case_id)
            }
        }
        Err(e) => {
            tracing::error!(%peer, error = %e, "storing an incoming email failed");
            metrics.refused(Refusal::TemporaryFailure);
            "451 4.3.0 Could not store the message; try again later".into()
        }
    }
}

/// Parses `MAIL FROM:<address> [SIZE=n]`; the null sender `<>` is allowed.
fn mail_from(arg: &str, max: usize) -> Result<Option<String>, &'static str> {
    let Some(rest) = strip_prefix_ci(arg, "FROM:") else {
        return Err("501 5.5.4 Syntax: MAIL FROM:<address>");
    };
    let (path, params) = split_path(rest).ok_or("501 5.1.7 Bad sender address syntax")?;
    for param in params.split_whitespace() {
        if let Some(size) = strip_prefix_ci(param, "SIZE=") {
            match size.parse::<usize>() {
                Ok(n) if n > max => return Err(TOO_BIG),
                Ok(_) => {}
                Err(_) => return Err("501 5.5.4 Bad SIZE parameter"),
            }
        }
    }
    Ok((!path.is_empty()).then(|| path.to_owned()))
}

/// Accepts `RCPT TO:<address>` when the address belongs to an inbox.
async fn rcpt_to(env: &mut Envelope, arg: &str, store: &Store, metrics: &SmtpMetrics) -> String {
    let Some(path) = strip_prefix_ci(arg, "TO:")
        .and_then(split_path)
        .map(|(p, _)| p)
    else {
        return "501 5.5.4 Syntax: RCPT TO:<address>".into();
    };
    let Some(address) = parse::inbox_address(path) else {
        return "501 5.1.3 Bad recipient address syntax".into();
    };
    match store.inbox_by_address(&address).await {
        Ok(Some(inbox)) => {
            env.recipients.push((inbox, path.to_owned()));
            "250 2.1.5 OK".into()
        }
        Ok(None) => {
            metrics.refused(Refusal::UnknownRecipient);
            "550 5.1.1 No such mailbox here".into()
        }
        Err(e) => {
            tracing::error!(error = %e, "looking up an inbox failed");
            metrics.refused(Refusal::TemporaryFailure);
            "451 4.3.0 Temporary failure; try again later".into()
        }
    }
}

/// Splits `<path> params` into the path inside the brackets and the rest.
fn split_path(raw: &str) -> Option<(&str, &str)> {
    let raw = raw.trim_start();
    let rest = raw.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some((rest[..end].trim(), &rest[end + 1..]))
}

fn strip_prefix_ci<'a>(raw: &'a str, prefix: &str) -> Option<&'a str> {
    let head = raw.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| raw[prefix.len()..].trim_start())
}

/// Reads one line (up to [`MAX_LINE`]); `None` at end of stream or on idle
/// timeout.
async fn read_line<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = tokio::time::timeout(IDLE, async {
        let mut limited = (&mut *reader).take(MAX_LINE as u64);
        limited.read_until(b'\n', &mut line).await
    })
    .await;
    match read {
        Ok(Ok(0)) | Err(_) => Ok(None),
        Ok(Ok(_)) => Ok(Some(line)),
        Ok(Err(e)) => Err(e),
    }
}

/// Reads the message after DATA up to the lone `.`, undoing dot-stuffing.
/// `None` when it is larger than `max` (the rest is read and dropped).
async fn read_data<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
    max: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut message = Vec::new();
    let mut too_big = false;
    loop {
        let mut line = Vec::new();
        let n = tokio::time::timeout(IDLE, reader.read_until(b'\n', &mut line))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "DATA timed out"))??;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed during DATA",
            ));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((!too_big).then_some(message));
        }
        let content = line.strip_prefix(b".").unwrap_or(&line);
        if message.len() + content.len() > max {
            too_big = true;
            message.clear();
        }
        if !too_big {
            message.extend_from_slice(content);
        }
    }
}

/// Sends one reply in one write: split writes meet delayed ACKs and stall
/// each command for tens of milliseconds.
async fn reply<W: AsyncWrite + Unpin>(write: &mut W, text: &str) -> std::io::Result<()> {
    let mut line = String::with_capacity(text.len() + 2);
    line.push_str(text);
    line.push_str("\r\n");
    write.write_all(line.as_bytes()).await?;
    write.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_envelope_commands() {
        assert_eq!(mail_from("FROM:<a@b.co>", 100), Ok(Some("a@b.co".into())));
        assert_eq!(mail_from("from: <> SIZE=10", 100), Ok(None));
        assert!(
            mail_from("FROM:<a@b.co> SIZE=1000", 100)
                .unwrap_err()
                .starts_with("552")
        );
        assert!(
            mail_from("TO:<a@b.co>", 100)
                .unwrap_err()
                .starts_with("501")
        );
        assert_eq!(
            split_path("<x@y.z> BODY=8BITMIME"),
            Some(("x@y.z", " BODY=8BITMIME"))
        );
    }
}
