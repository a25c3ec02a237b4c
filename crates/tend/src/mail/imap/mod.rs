//! Reading IMAP mailboxes: one task per inbox with IMAP settings fetches
//! the unseen messages of its folder, files each through [`receive`] (the
//! SMTP listener's path), and only once the message is committed marks it
//! `\Seen` or moves it. A crash in between leaves the message unseen; the
//! next pass files it again, which the store recognises as a duplicate
//! (same Message-ID and content), so nothing is lost or doubled.
//!
//! When the server offers IDLE, the session stays open and waits for news
//! (re-issuing IDLE every [`IDLE_RENEW`]), so mail is filed within seconds;
//! otherwise the mailbox is polled. Connection and login failures are
//! logged and retried with capped exponential back-off; a change of inbox
//! settings or credentials ([`Mailboxes::changed`]) retries at once.
//! Messages fetched and failed sessions are counted in the metrics.
//!
//! With several nodes on one PostgreSQL, each inbox is read by one node at
//! a time: its reader holds an advisory lock
//! (`tend_store::signals::LockKind::Mailbox`) while it reads, and the
//! readers on other nodes try again every [`LOCK_RETRY`], so when the
//! reading node dies another takes over within that time.

mod connect;

use super::mailboxes::Mailboxes;
use super::oauth::OauthError;
use super::receive;
use crate::metrics::ImapMetrics;
use async_imap::Session;
use async_imap::extensions::idle::IdleResponse;
use connect::Login;
use futures_util::TryStreamExt;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tend_store::email::{ImapSettings, Inbox};
use tend_store::signals::{ExclusiveLock, LockKind};
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
/// The wait after the first failure; it doubles with each further one.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
/// IDLE is re-issued this often (servers may drop it after 30 minutes).
const IDLE_RENEW: Duration = Duration::from_secs(25 * 60);
/// How often a node whose inbox another node reads tries to take over.
const LOCK_RETRY: Duration = Duration::from_secs(10);
/// Longest time between looks for new inboxes.
const DISCOVER_EVERY: Duration = Duration::from_secs(60);

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
    #[error("OAuth: {0}")]
    Oauth(#[from] OauthError),
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

/// How the mailbox readers work.
#[derive(Debug, Clone, Copy)]
pub struct PollSettings {
    /// Time between polls of a mailbox whose server offers no IDLE.
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

/// Starts reading mailboxes: inboxes with IMAP settings that have no
/// reader yet get one, looked for every `settings.every` (at most
/// [`DISCOVER_EVERY`]) and whenever [`Mailboxes::changed`] says so;
/// messages and failures are counted in `metrics`.
/// Cancelling `stop` ends every reader where it is (a message filed but
/// not yet flagged is filed again next time, as after a crash); the task
/// ends once they all have.
pub fn start(
    store: Store,
    settings: PollSettings,
    tls: Arc<rustls::ClientConfig>,
    mailboxes: Mailboxes,
    metrics: ImapMetrics,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let tls = TlsConnector::from(tls);
    let mut changed = mailboxes.subscribe();
    tokio::spawn(async move {
        let mut polled = HashSet::new();
        let mut pollers = tokio::task::JoinSet::new();
        while !stop.is_cancelled() {
            match store.inboxes().await {
                Ok(inboxes) => {
                    for inbox in inboxes.into_iter().filter(|i| i.imap.is_some()) {
                        if polled.insert(inbox.id) {
                            let span = tracing::info_span!("imap", inbox = %inbox.address);
                            let reader = Reader {
                                store: store.clone(),
                                inbox_id: inbox.id,
                                tls: tls.clone(),
                                settings,
                                mailboxes: mailboxes.clone(),
                                metrics: metrics.clone(),
                            };
                            let stop = stop.clone();
                            pollers.spawn(
                                async move {
                                    stop.run_until_cancelled(reader.run()).await;
                                }
                                .instrument(span),
                            );
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "listing inboxes for IMAP polling failed"),
            }
            let wait = tokio::time::sleep(settings.every.min(DISCOVER_EVERY));
            stop.run_until_cancelled(async {
                tokio::select! {
                    () = wait => {}
                    _ = changed.changed() => {}
                }
            })
            .await;
        }
        pollers.join_all().await;
    })
}

/// Reads one inbox's mailbox until the server stops.
struct Reader {
    store: Store,
    inbox_id: i64,
    tls: TlsConnector,
    settings: PollSettings,
    mailboxes: Mailboxes,
    metrics: ImapMetrics,
}

impl Reader {
    async fn run(self) {
        let mut changed = self.mailboxes.subscribe();
        let mut failures = 0u32;
        let mut lock = None;
        loop {
            if !self.hold(&mut lock).await {
                tokio::time::sleep(LOCK_RETRY).await;
                continue;
            }
            let wait = match self.session(&mut failures).await {
                Ok(wait) => wait,
                Err(e) => {
                    self.metrics.failed();
                    failures = failures.saturating_add(1);
                    let wait = backoff(failures);
                    tracing::warn!(error = %e, failures, retry_in = ?wait, "reading IMAP failed");
                    wait
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                result = changed.changed() => {
                    if result.is_err() {
                        return;
                    }
                    // New settings or credentials: try them at once.
                    failures = 0;
                }
            }
        }
    }

    /// Whether this node may read the mailbox: it holds the lock, or has
    /// just taken it.
    async fn hold(&self, lock: &mut Option<ExclusiveLock>) -> bool {
        if let Some(held) = lock {
            if held.still_held().await {
                return true;
            }
            tracing::warn!("lost the lock on this mailbox; taking it again");
            *lock = None;
        }
        match self
            .store
            .try_exclusive(LockKind::Mailbox, self.inbox_id)
            .await
        {
            Ok(Some(taken)) => {
                tracing::debug!("this node reads the mailbox");
                *lock = Some(taken);
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(error = %e, "taking the lock on this mailbox failed");
                false
            }
        }
    }

    /// One session: files the unseen messages, then waits in IDLE for more
    /// when the server offers it. Answers how long to wait before the next
    /// session (polling); errors end the session.
    async fn session(&self, failures: &mut u32) -> Result<Duration, PollError> {
        let inbox = self.store.inbox(self.inbox_id).await?;
        let Some(imap) = inbox.imap.clone() else {
            return Ok(self.settings.every);
        };
        let login = Login {
            store: &self.store,
            mailboxes: &self.mailboxes,
            tls: &self.tls,
        };
        let mut session = connect::connect(&login, &inbox, &imap).await?;
        *failures = 0;
        let idle = step("CAPABILITY", session.capabilities())
            .await?
            .has_str("IDLE");
        step("SELECT", session.select(&imap.folder)).await?;
        if let Some(to) = &imap.move_to {
            // Usually answers "already exists"; a real problem shows at MOVE.
            let _ = step("CREATE", session.create(to)).await;
        }
        loop {
            let filed = self.file_unseen(&mut session, &inbox, &imap).await?;
            if filed > 0 {
                tracing::info!(filed, "filed messages from IMAP");
            }
            if filed >= BATCH {
                continue;
            }
            if !idle {
                let _ = step("LOGOUT", session.logout()).await;
                return Ok(self.settings.every);
            }
            session = idle_once(session).await?;
        }
    }

    /// Files the unseen messages (up to [`BATCH`]) and flags each once
    /// stored. Answers how many were filed.
    async fn file_unseen(
        &self,
        session: &mut ImapSession,
        inbox: &Inbox,
        imap: &ImapSettings,
    ) -> Result<usize, PollError> {
        let max_bytes = self.settings.max_message_bytes;
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
            let Some(raw) = fetch(session, uid).await? else {
                continue;
            };
            let filed = receive(&self.store, inbox, raw, Some(&inbox.address), None).await?;
            tracing::debug!(uid, case = %filed.case_id, outcome = ?filed.outcome, "filed");
            self.metrics.fetched();
            mark_done(session, imap, uid).await?;
        }
        Ok(uids.len())
    }
}

/// Waits in IDLE until the server reports news or [`IDLE_RENEW`] passes,
/// then ends IDLE and answers the session.
async fn idle_once(session: ImapSession) -> Result<ImapSession, PollError> {
    let mut idle = session.idle();
    step("IDLE", idle.init()).await?;
    {
        // The library's own timeout restarts on every keep-alive, so the
        // renewal is timed here.
        let (news, _interrupt) = idle.wait_with_timeout(IDLE_RENEW);
        match tokio::time::timeout(IDLE_RENEW, news).await {
            Ok(Ok(IdleResponse::NewData(_))) => tracing::debug!("IDLE: news"),
            Ok(Ok(_)) | Err(_) => tracing::debug!("IDLE: renewing"),
            Ok(Err(e)) => return Err(e.into()),
        }
    }
    step("DONE", idle.done()).await
}

/// The wait after `failures` failures in a row: doubling from
/// [`FIRST_BACKOFF`], at most [`MAX_BACKOFF`].
fn backoff(failures: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
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
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(2), Duration::from_secs(4));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
