//! Opening the store and serving HTTP until asked to stop. [`crate::app`]
//! puts these together with the rest of the application.

use crate::config::{Settings, redact_url};
use crate::http::{AppState, Limits, WebConfig};
use axum::Router;
use std::sync::Arc;
use tend_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Opens (creating if needed) the configured database, migrates it, loads
/// the secret key and brings every stored secret under it.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let keys = settings.secret_key.load()?;
    if settings.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create data directory {}: {e}",
                settings.data_dir.display()
            )
        })?;
    }
    let store = Store::connect(&settings.database_url, &settings.store)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot open database {}: {e}",
                settings.database_url_redacted()
            )
        })?;
    let store = match &settings.database_read_url {
        Some(url) => store
            .with_replica(url, settings.store.max_connections)
            .map_err(|e| anyhow::anyhow!("cannot use the read replica {}: {e}", redact_url(url)))?,
        None => store,
    };
    store
        .migrate()
        .await
        .map_err(|e| anyhow::anyhow!("migrating the database failed: {e}"))?;
    if store.adopt_effort_weights().await? {
        tracing::info!("the effort weights changed: every case will be scored again");
    }
    let store = store.with_secrets(keys);
    // Reports refresh their summary first; doing it now (all of it after an
    // upgrade) keeps the first report from waiting.
    let refresher = store.clone();
    tokio::spawn(async move {
        match refresher.refresh_reports().await {
            Ok(days) if days > 0 => tracing::info!(days, "report summary up to date"),
            Ok(_) => {}
            Err(e) => tracing::warn!("refreshing the report summary failed: {e}"),
        }
    });
    let sealed = store
        .seal_secrets()
        .await
        .map_err(|e| anyhow::anyhow!("sealing stored secrets failed: {e}"))?;
    if sealed.unreadable > 0 {
        tracing::warn!(
            "{} stored secrets (TOTP seeds, IMAP passwords) do not open with the secret key {:?}; \
             start Tend with the key that sealed them, or set them again",
            sealed.unreadable,
            settings.secret_key
        );
    }
    Ok(store)
}

/// The whole application router for a store (assembled in `crate::router`),
/// counting requests in `metrics`; `shutdown` is cancelled when the server
/// stops.
pub fn app(
    store: Store,
    settings: &Settings,
    mailboxes: crate::mail::mailboxes::Mailboxes,
    metrics: &crate::metrics::Metrics,
    shutdown: CancellationToken,
) -> Router {
    let limits = Limits {
        max_body_bytes: settings.max_body_bytes,
        max_attachment_bytes: settings.max_attachment_bytes,
    };
    let web = WebConfig {
        secure_cookies: settings.secure_cookies,
        signin_code_lifetime: settings.signin_code_lifetime,
        portal_undo: settings.portal_undo,
        embed_origins: settings.embed_origins.clone(),
        trusted_proxies: settings.trusted_proxies.clone(),
        brand: settings.brand.clone(),
        public_url: settings.public_url.clone(),
        ..Default::default()
    };
    let web = Arc::new(web);
    tokio::spawn(crate::http::state::signals::listen(
        store.clone(),
        web.clone(),
        shutdown.clone(),
    ));
    let state = AppState {
        store,
        limits: Arc::new(limits),
        web,
        mailboxes,
        shutdown,
    };
    crate::router::router(state, metrics, settings.metrics)
}

/// Serves `app` on `listener` until `shutdown` resolves, then closes the
/// listener (new connections are refused) and lets in-flight requests
/// finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // The peer address keys the sign-in rate limit.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(error = %e, "serving HTTP failed");
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
