//! Starts Tend on a free port with a fresh database and gives tests a small
//! HTTP client for it. The server is the application `tend serve` runs
//! ([`tend::app::App`]), configured through the same settings.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use tend::app::{App, RunningApp};
use tend::config::{ServeArgs, Settings, StoreArgs};
use tend_domain::agent::Role;
use tend_domain::email::EmailAddress;
use tend_store::Store;
use tend_store::agents::NewAgent;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The admin URL of the PostgreSQL server tests create databases on.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEND_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether PostgreSQL tests can run; in CI they must.
pub fn postgres_available() -> bool {
    if postgres_url().is_some() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must set TEND_TEST_POSTGRES_URL so PostgreSQL tests run"
    );
    eprintln!("skipping PostgreSQL variant: TEND_TEST_POSTGRES_URL is not set");
    false
}

static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// A fresh database URL for one test, plus what is needed to drop it.
pub struct FreshDatabase {
    pub url: String,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
}

impl FreshDatabase {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("tend.db").display());
                Self {
                    url,
                    pg_name: None,
                    _dir: dir,
                }
            }
            Backend::Postgres => {
                let admin = postgres_url().unwrap();
                let name = format!(
                    "tend_t_{}_{}",
                    std::process::id(),
                    NEXT_DB.fetch_add(1, Ordering::SeqCst)
                );
                admin_exec(&admin, &format!("CREATE DATABASE {name}")).await;
                let url = match admin.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => panic!("TEND_TEST_POSTGRES_URL must end in /DATABASE"),
                };
                Self {
                    url,
                    pg_name: Some(name),
                    _dir: dir,
                }
            }
        }
    }

    /// The temporary directory used as the data dir.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            let admin = postgres_url().unwrap();
            // Drop runs inside the test's runtime: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(admin_exec(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ));
            })
            .join();
        }
    }
}

/// The one number `sql` answers on the database at `url`; `None` if the
/// query fails (e.g. no such table).
pub async fn scalar(url: &str, sql: &str) -> Option<i64> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let n = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&pool)
        .await
        .ok();
    pool.close().await;
    n
}

async fn admin_exec(admin_url: &str, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to TEND_TEST_POSTGRES_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .expect(sql);
}

/// A running Tend with an admin token.
pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub admin: String,
    pub store: Store,
    /// The SMTP listener, when started with `Options::smtp`.
    pub smtp: Option<std::net::SocketAddr>,
    /// The metrics listener, when started with `Options::metrics_listen`.
    pub metrics: Option<std::net::SocketAddr>,
    _db: FreshDatabase,
    /// Stopped on drop. In a mutex only so tests can share the server
    /// between tasks (a worker's stop is `Send`, not `Sync`).
    app: std::sync::Mutex<Option<RunningApp>>,
}

/// Knobs for a test server.
#[derive(Default)]
pub struct Options {
    pub max_body_bytes: Option<usize>,
    pub max_attachment_bytes: Option<usize>,
    /// Also run the SMTP listener (its address is in `TestServer::smtp`).
    pub smtp: bool,
    pub smtp_max_message_bytes: Option<usize>,
    /// Send queued email through this relay (`smtp://host:port`).
    pub smtp_relay: Option<String>,
    /// A CA certificate (PEM file) trusted for the relay's TLS.
    pub smtp_relay_ca_file: Option<std::path::PathBuf>,
    /// Offer STARTTLS with this certificate chain and key (PEM files).
    pub smtp_tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    /// Messages per sender per window over SMTP (the server's default
    /// when unset) and the window in seconds.
    pub mail_rate_limit: Option<u32>,
    pub mail_rate_window: Option<u64>,
    /// Poll inboxes' IMAP mailboxes every second, trusting this CA file.
    pub imap_ca_file: Option<std::path::PathBuf>,
    /// Poll IMAP mailboxes this often instead (servers without IDLE).
    pub imap_poll_seconds: Option<u64>,
    /// Mark session cookies `Secure`.
    pub secure_cookies: bool,
    /// Seconds a sign-in waits for its two-factor code (the server's
    /// default when unset).
    pub signin_code_seconds: Option<u64>,
    /// Seconds a customer may undo resolving in the portal (the
    /// server's default when unset).
    pub portal_undo_seconds: Option<u64>,
    /// Origins allowed to frame the public request form.
    pub embed_origins: Option<String>,
    /// Brand name and colour of customer-facing pages.
    pub brand_name: Option<String>,
    pub brand_color: Option<String>,
    /// Serve `/metrics` on the main listener.
    pub metrics: bool,
    /// Also serve `/metrics` on a listener of its own (its address is in
    /// `TestServer::metrics`).
    pub metrics_listen: bool,
    /// Read views, search and reports from this PostgreSQL URL; `{db}`
    /// stands for the test's database.
    pub database_read_url: Option<String>,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, Options::default()).await
    }

    pub async fn start_with(backend: Backend, options: Options) -> Self {
        let db = FreshDatabase::new(backend).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let store_args = StoreArgs {
            data_dir: Some(db.dir().to_path_buf()),
            database_url: Some(db.url.clone()),
            max_connections: Some(4),
            ..StoreArgs::default()
        };
        let serve_args = ServeArgs {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            smtp_listen: options.smtp.then(|| "127.0.0.1:0".parse().unwrap()),
            smtp_relay: options.smtp_relay.clone(),
            smtp_relay_ca_file: options.smtp_relay_ca_file.clone(),
            max_body_bytes: options.max_body_bytes,
            max_attachment_bytes: options.max_attachment_bytes,
            smtp_max_message_bytes: options.smtp_max_message_bytes,
            smtp_tls_cert: options.smtp_tls.as_ref().map(|(cert, _)| cert.clone()),
            smtp_tls_key: options.smtp_tls.as_ref().map(|(_, key)| key.clone()),
            mail_rate_limit: options.mail_rate_limit,
            mail_rate_window: options.mail_rate_window,
            imap_poll_seconds: Some(options.imap_poll_seconds.unwrap_or(1)),
            imap_ca_file: options.imap_ca_file.clone(),
            secure_cookies: options.secure_cookies,
            signin_code_seconds: options.signin_code_seconds,
            portal_undo_seconds: options.portal_undo_seconds,
            embed_origins: options.embed_origins.clone(),
            brand_name: options.brand_name.clone(),
            brand_color: options.brand_color.clone(),
            public_url: Some(base.clone()),
            database_read_url: options
                .database_read_url
                .as_ref()
                .map(|url| url.replace("{db}", db.pg_name.as_deref().unwrap_or_default())),
            metrics: options.metrics,
            metrics_listen: options
                .metrics_listen
                .then(|| "127.0.0.1:0".parse().unwrap()),
            ..ServeArgs::default()
        };
        let settings = Settings::resolve(&store_args, &serve_args).unwrap();
        let app = App::start_on(settings, listener).await.unwrap();
        let mut server = Self {
            base,
            http: reqwest::Client::new(),
            admin: String::new(),
            store: app.store.clone(),
            smtp: app.smtp,
            metrics: app.metrics,
            _db: db,
            app: std::sync::Mutex::new(Some(app)),
        };
        server.admin = server.agent_token("admin@example.com", Role::Admin).await;
        server
    }

    /// Shuts the server down (listeners, workers, then the store), keeping
    /// the database for the test to read.
    pub async fn stop(&self) {
        let app = self.app.lock().ok().and_then(|mut app| app.take());
        if let Some(app) = app {
            app.shutdown().await;
        }
    }

    /// The test's database.
    pub fn database(&self) -> &FreshDatabase {
        &self._db
    }

    /// Creates an agent with `role` directly in the store (as `tend admin
    /// create` does) and returns a fresh API token for it.
    pub async fn agent_token(&self, email: &str, role: Role) -> String {
        let agent = self
            .store
            .create_agent(&NewAgent {
                email: EmailAddress::parse("email", email).unwrap(),
                name: email.into(),
                role,
                password_hash: None,
            })
            .await
            .unwrap();
        let token = tend::auth::new_token();
        self.store
            .create_api_token(agent.id, &tend::auth::token_hash(&token))
            .await
            .unwrap();
        token
    }

    /// Creates an agent who signs in to the web UI with `password`.
    pub async fn agent_with_password(&self, email: &str, name: &str, role: Role, password: &str) {
        self.store
            .create_agent(&NewAgent {
                email: EmailAddress::parse("email", email).unwrap(),
                name: name.into(),
                role,
                password_hash: Some(tend::auth::hash_password(password).unwrap()),
            })
            .await
            .unwrap();
    }

    /// Sends a request with a token (or none) and an optional JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Reply::from(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Some(&self.admin), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(&self.admin), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(&self.admin), Some(body))
            .await
    }

    /// Creates a customer and returns its id.
    pub async fn customer(&self, name: &str, email: &str) -> i64 {
        let r = self
            .post("/api/v1/customers", json!({"name": name, "email": email}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.id()
    }

    /// Creates a case for `customer` and returns its id.
    pub async fn case(&self, customer: i64, subject: &str, message: &str) -> i64 {
        let r = self
            .post(
                "/api/v1/cases",
                json!({"subject": subject, "customer_id": customer, "message": message}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.id()
    }

    /// Every item of a paged list, following cursors.
    pub async fn all(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut url = path.to_string();
        loop {
            let r = self.get(&url).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            items.extend(r.body["data"].as_array().unwrap().iter().cloned());
            match r.body["next_cursor"].as_str() {
                Some(c) => {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    url = format!("{path}{sep}cursor={c}");
                }
                None => return items,
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let app = self.app.get_mut().ok().and_then(Option::take);
        if let (Some(app), Ok(runtime)) = (app, tokio::runtime::Handle::try_current()) {
            runtime.spawn(app.shutdown());
        }
    }
}

/// A response: status, headers and JSON body (Null when not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub async fn from(r: reqwest::Response) -> Self {
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn id(&self) -> i64 {
        self.body["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id in {}", self.body))
    }

    /// Asserts an error envelope with this status and code; returns the field named.
    pub fn error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["error"]["code"], code, "{}", self.body);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            self.body
        );
        self.body["error"]["details"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Writes a test CA (`ca.pem`) and a certificate it signed for 127.0.0.1 and
/// localhost (`cert.pem`, `key.pem`) into `dir`; answers the CA's PEM.
pub fn write_test_certificates(dir: &std::path::Path) -> String {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Tend test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    ca.pem()
}
