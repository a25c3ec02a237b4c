//! One place that starts and stops Tend: the store, the HTTP server, the
//! SMTP listener, the metrics listener and the background workers
//! (outbound mail, IMAP polling), which share one [`Metrics`].
//! `tend serve` and the test harness both run it, so the tests exercise
//! what operators run.
//!
//! Shutdown goes in this order: stop accepting HTTP and SMTP connections;
//! let in-flight requests and SMTP sessions finish (a message in DATA is
//! committed and acknowledged; an idle session is told `421`), at most
//! [`SHUTDOWN_GRACE`]; stop the workers; close the store.

mod worker;

pub use worker::Worker;

use crate::config::Settings;
use crate::mail::mailboxes::Mailboxes;
use crate::mail::{imap, outbound, smtp};
use crate::metrics::Metrics;
use crate::server;
use anyhow::Context;
use std::net::SocketAddr;
use std::time::Duration;
use tend_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long shutdown waits for in-flight HTTP requests and SMTP sessions,
/// and then for each worker, before dropping what is left.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Starts the application.
#[derive(Debug)]
pub struct App;

/// A started application: where it listens, and how to stop it.
#[derive(Debug)]
pub struct RunningApp {
    /// The HTTP address bound (useful with port 0).
    pub http: SocketAddr,
    /// The SMTP address bound, when the listener runs.
    pub smtp: Option<SocketAddr>,
    /// The metrics listener's address, when it runs.
    pub metrics: Option<SocketAddr>,
    /// The store every part shares; closed at shutdown.
    pub store: Store,
    /// Cancelled when shutdown begins: listeners stop accepting.
    stopping: CancellationToken,
    /// The HTTP, SMTP and metrics servers, stopped first.
    listeners: Vec<Worker>,
    /// Background work, stopped once the listeners have drained.
    workers: Vec<Worker>,
}

impl App {
    /// Opens the store, binds `settings.listen` (and the SMTP and metrics
    /// listeners when configured) and starts every part.
    pub async fn start(settings: Settings) -> anyhow::Result<RunningApp> {
        let http = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        App::start_on(settings, http).await
    }

    /// Like [`App::start`], serving HTTP on a listener bound already (a
    /// caller that needs the address before building the settings).
    pub async fn start_on(settings: Settings, http: TcpListener) -> anyhow::Result<RunningApp> {
        let store = server::open_store(&settings).await?;
        match start_parts(&settings, store.clone(), http).await {
            Ok(app) => Ok(app),
            Err(e) => {
                store.close().await;
                Err(e)
            }
        }
    }
}

/// Starts the workers and the listeners on an open store; what was started
/// is stopped again when a later part fails.
async fn start_parts(
    settings: &Settings,
    store: Store,
    http: TcpListener,
) -> anyhow::Result<RunningApp> {
    let stopping = CancellationToken::new();
    let http_addr = http.local_addr()?;
    let metrics = Metrics::new();
    // Bound before anything starts, so a taken address stops nothing.
    let metrics_listener = match settings.metrics_listen {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for metrics on {addr}"))?;
            Some((listener.local_addr()?, listener))
        }
        None => None,
    };
    let tls = imap::tls_config(settings.imap_ca_file.as_deref()).map_err(anyhow::Error::msg)?;
    let mailboxes = Mailboxes::new(tls.clone()).map_err(anyhow::Error::msg)?;
    let workers = start_workers(settings, &store, tls, &mailboxes, &metrics)?;
    let mut listeners = Vec::new();
    let smtp_addr = match start_smtp(settings, &store, &metrics, &stopping).await {
        Ok(Some((bound, smtp))) => {
            listeners.push(smtp);
            Some(bound)
        }
        Ok(None) => None,
        Err(e) => {
            futures_util::future::join_all(workers.into_iter().map(Worker::stop)).await;
            return Err(e);
        }
    };
    let router = server::app(
        store.clone(),
        settings,
        mailboxes,
        &metrics,
        stopping.clone(),
    );
    let task = tokio::spawn(server::serve(
        http,
        router,
        stopping.clone().cancelled_owned(),
    ));
    listeners.push(Worker::task("http", stopping.clone(), task, SHUTDOWN_GRACE));
    let metrics_addr = metrics_listener.map(|(bound, listener)| {
        let router = crate::metrics::http::routes(metrics, store.clone());
        let task = tokio::spawn(server::serve(
            listener,
            router,
            stopping.clone().cancelled_owned(),
        ));
        listeners.push(Worker::task(
            "metrics",
            stopping.clone(),
            task,
            SHUTDOWN_GRACE,
        ));
        bound
    });
    Ok(RunningApp {
        http: http_addr,
        smtp: smtp_addr,
        metrics: metrics_addr,
        store,
        stopping,
        listeners,
        workers,
    })
}

/// Starts the SMTP listener when one is configured; it stops accepting when
/// `stopping` is cancelled.
async fn start_smtp(
    settings: &Settings,
    store: &Store,
    metrics: &Metrics,
    stopping: &CancellationToken,
) -> anyhow::Result<Option<(SocketAddr, Worker)>> {
    let Some(addr) = settings.smtp_listen else {
        return Ok(None);
    };
    let smtp_settings =
        smtp::SmtpSettings::from_settings(settings, metrics).map_err(anyhow::Error::msg)?;
    let (bound, task) = smtp::start(addr, store.clone(), smtp_settings, stopping.clone())
        .await
        .with_context(|| format!("cannot listen for SMTP on {addr}"))?;
    let worker = Worker::task("smtp", stopping.clone(), task, SHUTDOWN_GRACE);
    Ok(Some((bound, worker)))
}

/// Starts the background workers: the job runner (which sends email when a
/// relay is set) and IMAP polling. Each is a [`Worker`] stopped on its own.
fn start_workers(
    settings: &Settings,
    store: &Store,
    tls: std::sync::Arc<rustls::ClientConfig>,
    mailboxes: &Mailboxes,
    metrics: &Metrics,
) -> anyhow::Result<Vec<Worker>> {
    let mut workers = Vec::new();
    let relay = match &settings.smtp_relay {
        Some(url) => {
            let mut relay = outbound::Relay::parse(url).map_err(anyhow::Error::msg)?;
            if let Some(ca) = &settings.smtp_relay_ca_file {
                relay = relay.trusting(ca).map_err(anyhow::Error::msg)?;
            }
            if let Some(file) = &settings.smtp_relay_password_file {
                relay = relay.with_password_file(file).map_err(anyhow::Error::msg)?;
            }
            tracing::info!("sending email through {relay:?}");
            Some(relay.with_oauth(mailboxes.clone()))
        }
        None => {
            tracing::info!("no --smtp-relay: email replies are queued, not sent");
            None
        }
    };
    let runner = crate::jobs::start(
        store.clone(),
        relay,
        settings.public_url.clone(),
        settings.brand.name.clone(),
        settings.job_lease,
        metrics,
    )
    .map_err(anyhow::Error::msg)?;
    workers.push(Worker::new("jobs", async move { runner.stop().await }));
    let stop = CancellationToken::new();
    let polling = imap::PollSettings::from_settings(settings);
    let task = imap::start(
        store.clone(),
        polling,
        tls,
        mailboxes.clone(),
        metrics.imap.clone(),
        stop.clone(),
    );
    workers.push(Worker::task("imap polling", stop, task, SHUTDOWN_GRACE));
    Ok(workers)
}

impl RunningApp {
    /// Runs until `signal` resolves, then shuts down.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }

    /// Stops accepting, lets in-flight requests and SMTP sessions finish,
    /// stops the workers and closes the store.
    pub async fn shutdown(self) {
        tracing::info!("shutting down: no new connections; finishing what is in flight");
        self.stopping.cancel();
        futures_util::future::join_all(self.listeners.into_iter().map(Worker::stop)).await;
        futures_util::future::join_all(self.workers.into_iter().map(Worker::stop)).await;
        self.store.close().await;
    }
}
