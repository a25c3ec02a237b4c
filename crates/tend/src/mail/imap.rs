//! Polling IMAP mailboxes: one task per inbox with IMAP settings fetches
//! the unseen messages of its folder, files each through [`receive`] (the
//! SMTP listener's path), and only once the message is committed marks it
//! `\Seen` or moves it. A crash in between leaves the message unseen; the
//! next poll files it again, which the store recognises as a duplicate
//! (same Message-ID and content), so nothing is lost or doubled. Connection
//! and login failures are logged and retried with backoff.

use super::receive;
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tend_domain::email::ImapSecurity;
use tend_store::email::{ImapSettings, Inbox};
use tend_store::{Store, StoreError};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Messages filed per poll; a full batch polls again at once.
const BATCH: usize = 200;
/// Longest wait for any one network step.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait between attempts after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

type ImapSession = Session<TlsStream<TcpStream>>;

/// Why a poll failed; the next attempt comes after a backoff.
#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error("{0} timed out")]
    Timeout(&'static str),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("IMAP: {0}")]
    Imap(#[from] async_imap::error::Error),
    #[error("storing a message failed: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Server(String),
}

/// The TLS settings for IMAP servers: the system's CA certificates plus
/// those in `ca_file` (PEM), e.g. a private CA.
pub fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::debug!(error = %e, "reading a system CA certificate failed");
    }
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("cannot read IMAP CA file {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("no certificate in IMAP CA file {}", path.display()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("IMAP CA file {}: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// How the pollers work.
#[derive(Debug, Clone, Copy)]
pub struct PollSettings {
    /// Time between polls of a mailbox.
    pub every: Duration,
    /// Larger messages are left unseen in the mailbox, with a warning (the
    /// SMTP listener's limit).
    pub max_message_bytes: usize,
}

impl PollSettings {
    /// The poll settings from Tend's configuration.
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        PollSettings {
            every: settings.imap_poll,
            max_message_bytes: settings.smtp_max_message_bytes,
        }
    }
}

/// Starts polling: every `settings.every`, inboxes with IMAP settings that
/// have no poller yet get one (so inboxes created later are picked up too).
/// Cancelling `stop` ends every poller where it is (a message filed but not
/// yet flagged is filed again next time, as after a crash); the task ends
/// once they all have.
pub fn start(
    store: Store,
    settings: PollSettings,
    tls: Arc<rustls::ClientConfig>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let tls = TlsConnector::from(tls);
    tokio::spawn(async move {
        let mut polled = HashSet::new();
        let mut pollers = tokio::task::JoinSet::new();
        while !stop.is_cancelled() {
            match store.inboxes().await {
                Ok(inboxes) => {
                    for inbox in inboxes.into_iter().filter(|i| i.imap.is_some()) {
                        if polled.insert(inbox.id) {
                            let span = tracing::info_span!("imap", inbox = %inbox.address);
                            let poller = poll_forever(store.clone(), inbox, tls.clone(), settings);
                            let stop = stop.clone();
                            pollers.spawn(
                                async move {
                                    stop.run_until_cancelled(poller).await;
                                }
                                .instrument(span),
                            );
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "listing inboxes for IMAP polling failed"),
            }
            stop.run_until_cancelled(tokio::time::sleep(settings.every))
                .await;
        }
        pollers.join_all().await;
    })
}

/// Polls one inbox's mailbox until the server stops.
async fn poll_forever(store: Store, inbox: Inbox, tls: TlsConnector, settings: PollSettings) {
    let Some(imap) = inbox.imap.clone() else {
        return;
    };
    let every = settings.every;
    let mut failures = 0u32;
    loop {
        let wait = match poll_once(&store, &inbox, &imap, &tls, settings.max_message_bytes).await {
            Ok(filed) => {
                failures = 0;
                if filed > 0 {
                    tracing::info!(filed, "filed messages from IMAP");
                }
                if filed >= BATCH {
                    continue;
                }
                every
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let wait = backoff(every, failures);
                tracing::warn!(error = %e, failures, retry_in = ?wait, "polling IMAP failed");
                wait
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// The wait after `failures` failures in a row: doubling from twice the
/// poll interval, at most [`MAX_BACKOFF`].
fn backoff(every: Duration, failures: u32) -> Duration {
    every
        .saturating_mul(1 << failures.min(16))
        .min(MAX_BACKOFF)
        .max(every)
}

/// One session: files the unseen messages and flags each once stored.
/// Answers how many were filed.
async fn poll_once(
    store: &Store,
    inbox: &Inbox,
    imap: &ImapSettings,
    tls: &TlsConnector,
    max_bytes: usize,
) -> Result<usize, PollError> {
    let mut session = connect(imap, tls).await?;
    step("SELECT", session.select(&imap.folder)).await?;
    if let Some(to) = &imap.move_to {
        // Usually answers "already exists"; a real problem shows at MOVE.
        let _ = step("CREATE", session.create(to)).await;
    }
    let too_big = step(
        "SEARCH",
        session.uid_search(format!("UNSEEN LARGER {max_bytes}")),
    )
    .await?;
    if !too_big.is_empty() {
        tracing::warn!(
            count = too_big.len(),
            max_bytes,
            "messages larger than the limit are left unseen in the mailbox"
        );
    }
    let mut uids: Vec<u32> = step(
        "SEARCH",
        session.uid_search(format!("UNSEEN NOT LARGER {max_bytes}")),
    )
    .await?
    .into_iter()
    .collect();
    uids.sort_unstable();
    uids.truncate(BATCH);
    for &uid in &uids {
        let Some(raw) = fetch(&mut session, uid).await? else {
            continue;
        };
        let filed = receive(store, inbox, raw, Some(&inbox.address), None).await?;
        tracing::debug!(uid, case = %filed.case_id, outcome = ?filed.outcome, "filed");
        mark_done(&mut session, imap, uid).await?;
    }
    let _ = step("LOGOUT", session.logout()).await;
    Ok(uids.len())
}

/// Connects, upgrades to TLS as configured, and logs in.
async fn connect(imap: &ImapSettings, tls: &TlsConnector) -> Result<ImapSession, PollError> {
    let server_name = ServerName::try_from(imap.host.clone())
        .map_err(|_| PollError::Server(format!("`{}` is not a valid host name", imap.host)))?;
    let tcp = step(
        "connecting",
        TcpStream::connect((imap.host.as_str(), imap.port)),
    )
    .await?;
    let client = match imap.security {
        ImapSecurity::Imaps => {
            let stream = step("TLS handshake", tls.connect(server_name, tcp)).await?;
            let mut client = Client::new(stream);
            greeting(&mut client).await?;
            client
        }
        ImapSecurity::Starttls => {
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            step(
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await?;
            let tcp = client.into_inner();
            Client::new(step("TLS handshake", tls.connect(server_name, tcp)).await?)
        }
    };
    let login = async {
        client
            .login(&imap.user, imap.password.expose())
            .await
            .map_err(|(e, _)| e)
    };
    step("LOGIN", login).await
}

/// Reads the server's greeting.
async fn greeting<T>(client: &mut Client<T>) -> Result<(), PollError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    match step("greeting", client.read_response()).await? {
        Some(_) => Ok(()),
        None => Err(PollError::Server("the server closed the connection".into())),
    }
}

/// The raw message with `uid`, without setting `\Seen`; `None` if it has
/// gone meanwhile.
async fn fetch(session: &mut ImapSession, uid: u32) -> Result<Option<Vec<u8>>, PollError> {
    let fetches = step("FETCH", async {
        session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await?;
    Ok(fetches
        .iter()
        .find(|f| f.uid == Some(uid))
        .and_then(|f| f.body())
        .map(<[u8]>::to_vec))
}

/// Marks a stored message `\Seen`, or moves it out of the folder.
async fn mark_done(
    session: &mut ImapSession,
    imap: &ImapSettings,
    uid: u32,
) -> Result<(), PollError> {
    match &imap.move_to {
        Some(to) => step("MOVE", session.uid_mv(uid.to_string(), to)).await,
        None => {
            step("STORE", async {
                session
                    .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
            Ok(())
        }
    }
}

/// Runs one network step with a time limit.
async fn step<T, E>(
    what: &'static str,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, PollError>
where
    PollError: From<E>,
{
    match tokio::time::timeout(STEP_TIMEOUT, future).await {
        Ok(result) => result.map_err(PollError::from),
        Err(_) => Err(PollError::Timeout(what)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_limit() {
        let every = Duration::from_secs(60);
        assert_eq!(backoff(every, 1), Duration::from_secs(120));
        assert_eq!(backoff(every, 2), Duration::from_secs(240));
        assert_eq!(backoff(every, 40), MAX_BACKOFF);
        assert_eq!(
            backoff(Duration::from_secs(3600), 1),
            Duration::from_secs(3600)
        );
    }
}
