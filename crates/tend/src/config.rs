//! One typed settings struct, layered: built-in defaults < TOML file
//! (`--config`) < `TEND_*` environment < command-line flags. Each setting is
//! described once, as a field of [`StoreArgs`] or [`ServeArgs`]: clap reads
//! it from flags and environment, serde from the TOML file (same name, with
//! `_`), the file fills whatever neither gave, and [`Settings::resolve`]
//! applies the defaults and checks.

use crate::brand::Brand;
use crate::mail::rate_limit::RateLimit;
use crate::secret_key::KeySource;
use clap::{Args, ValueEnum};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tend_domain::effort::EffortWeights;
use tend_store::{Dialect, SqliteSync, StoreOptions};

/// Where Tend keeps its data and which database it uses; shared by every
/// command that opens the database.
#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreArgs {
    /// TOML configuration file (keys as in the flags, with `_`: data_dir, listen...).
    #[arg(long, env = "TEND_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Directory for the embedded SQLite database and other local state [default: ./tend-data].
    #[arg(long, env = "TEND_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite in --data-dir].
    #[arg(long, env = "TEND_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// SQLite commit durability: `full` syncs every commit to disk, `normal` only at checkpoints [default: full].
    #[arg(long, env = "TEND_SQLITE_SYNC", global = true, value_enum)]
    pub sqlite_sync: Option<SyncMode>,
    /// Database connections in the pool [default: 8].
    #[arg(long, env = "TEND_MAX_CONNECTIONS", global = true)]
    pub max_connections: Option<u32>,
    /// File holding the key that seals secrets at rest (32 bytes, base64); the environment variable TEND_SECRET_KEY can hold the key itself [default: secret.key in --data-dir, created on first start].
    #[arg(long, env = "TEND_SECRET_KEY_FILE", global = true)]
    pub secret_key_file: Option<PathBuf>,
    /// Customer effort weights and thresholds, as an `[effort]` table in the
    /// TOML file only (see docs/effort.md) [default: the documented weights].
    #[arg(skip)]
    pub effort: Option<EffortWeights>,
}

/// Options only the server needs.
#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeArgs {
    /// PostgreSQL read replica for views, search and reports, postgres://USER@HOST/DB; needs a PostgreSQL --database-url (see docs/replicas.md) [default: none; everything reads from the primary].
    #[arg(long, env = "TEND_DATABASE_READ_URL", hide_env_values = true)]
    pub database_read_url: Option<String>,
    /// Address to listen on for HTTP [default: 127.0.0.1:8080].
    #[arg(long, env = "TEND_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Largest request body accepted, in bytes [default: 26214400 (25 MiB)].
    #[arg(long, env = "TEND_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest single attachment accepted, in bytes [default: 10485760 (10 MiB)].
    #[arg(long, env = "TEND_MAX_ATTACHMENT_BYTES")]
    pub max_attachment_bytes: Option<usize>,
    /// Address for the built-in SMTP listener, e.g. 0.0.0.0:25 [default: off].
    #[arg(long, env = "TEND_SMTP_LISTEN")]
    pub smtp_listen: Option<SocketAddr>,
    /// Largest email accepted over SMTP, in bytes [default: 26214400 (25 MiB)].
    #[arg(long, env = "TEND_SMTP_MAX_MESSAGE_BYTES")]
    pub smtp_max_message_bytes: Option<usize>,
    /// SMTP relay for outgoing replies, smtp://, smtp+starttls:// or smtps://, then [user:password@]host[:port] [default: none; replies stay queued].
    #[arg(long, env = "TEND_SMTP_RELAY", hide_env_values = true)]
    pub smtp_relay: Option<String>,
    /// PEM file of a CA certificate to trust for the relay's TLS, besides the built-in roots [default: none].
    #[arg(long, env = "TEND_SMTP_RELAY_CA_FILE")]
    pub smtp_relay_ca_file: Option<PathBuf>,
    /// File holding the relay password (first line), used with the user in --smtp-relay instead of a password in the URL [default: none].
    #[arg(long, env = "TEND_SMTP_RELAY_PASSWORD_FILE")]
    pub smtp_relay_password_file: Option<PathBuf>,
    /// PEM certificate chain for STARTTLS on the SMTP listener (with --smtp-tls-key) [default: no STARTTLS].
    #[arg(long, env = "TEND_SMTP_TLS_CERT")]
    pub smtp_tls_cert: Option<PathBuf>,
    /// PEM private key for --smtp-tls-cert.
    #[arg(long, env = "TEND_SMTP_TLS_KEY")]
    pub smtp_tls_key: Option<PathBuf>,
    /// Messages one sender may send over SMTP per --mail-rate-window before being told to retry later; 0 = no limit [default: 30].
    #[arg(long, env = "TEND_MAIL_RATE_LIMIT")]
    pub mail_rate_limit: Option<u32>,
    /// The rate limit's window, in seconds, at most a day [default: 600].
    #[arg(long, env = "TEND_MAIL_RATE_WINDOW", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub mail_rate_window: Option<u64>,
    /// Seconds between polls of each inbox's IMAP mailbox [default: 60].
    #[arg(long, env = "TEND_IMAP_POLL_SECONDS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub imap_poll_seconds: Option<u64>,
    /// Seconds a node's claim on a background job lasts: if the node dies, another takes the job after this long. Keep it well above the slowest job (sending through a slow relay) [default: 300].
    #[arg(long, env = "TEND_JOB_LEASE_SECONDS", value_parser = clap::value_parser!(u64).range(5..=86400))]
    pub job_lease_seconds: Option<u64>,
    /// PEM file of extra CA certificates to trust for IMAP servers, besides the system's [default: none].
    #[arg(long, env = "TEND_IMAP_CA_FILE")]
    pub imap_ca_file: Option<PathBuf>,
    /// Mark web session cookies `Secure` (set this when Tend is served over HTTPS, e.g. behind a TLS proxy).
    #[arg(long, env = "TEND_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Seconds a sign-in waits for the agent's two-factor code after the right password [default: 300].
    #[arg(long, env = "TEND_SIGNIN_CODE_SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub signin_code_seconds: Option<u64>,
    /// Seconds a customer may take back "My request is solved" in the portal (Reopen); 0 = no undo [default: 600].
    #[arg(long, env = "TEND_PORTAL_UNDO_SECONDS", value_parser = clap::value_parser!(u64).range(0..=86400))]
    pub portal_undo_seconds: Option<u64>,
    /// Sites allowed to frame the public request form (/request?embed=1), space- or comma-separated origins such as https://www.example.com [default: none; embedding is refused].
    #[arg(long, env = "TEND_EMBED_ORIGINS")]
    pub embed_origins: Option<String>,
    /// Load balancers or proxies in front of Tend whose `X-Forwarded-For` names the client (for rate limits and logs): addresses or networks such as 10.0.0.0/8, space- or comma-separated [default: none; the header is ignored].
    #[arg(long, env = "TEND_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Name shown on customer-facing pages [default: Tend].
    #[arg(long, env = "TEND_BRAND_NAME")]
    pub brand_name: Option<String>,
    /// Primary colour of customer-facing pages, #rrggbb [default: #2456c7].
    #[arg(long, env = "TEND_BRAND_COLOR")]
    pub brand_color: Option<String>,
    /// Logo for customer-facing pages: an http(s) URL [default: none].
    #[arg(long, env = "TEND_BRAND_LOGO_URL")]
    pub brand_logo_url: Option<String>,
    /// Logo for customer-facing pages: a local image file, served at /brand/logo [default: none].
    #[arg(long, env = "TEND_BRAND_LOGO_FILE")]
    pub brand_logo_file: Option<PathBuf>,
    /// Address customers reach Tend at, for links in email such as portal sign-in links, e.g. https://help.example.com [default: http://<listen>].
    #[arg(long, env = "TEND_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve Prometheus metrics at /metrics on the main listener (--listen), where anyone who reaches Tend can read them [default: off].
    #[arg(long, env = "TEND_METRICS")]
    pub metrics: bool,
    /// Address to serve Prometheus metrics at (/metrics) apart from the main listener, e.g. 127.0.0.1:9100 [default: off].
    #[arg(long, env = "TEND_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

/// SQLite durability, as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    Full,
    Normal,
}

/// Resolved settings.
#[derive(Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// May hold a password: never printed whole (see [`Settings::database_url_redacted`]).
    pub database_url: String,
    /// A PostgreSQL standby views, search and reports read from; may hold a
    /// password like `database_url`.
    pub database_read_url: Option<String>,
    pub store: StoreOptions,
    pub listen: SocketAddr,
    pub max_body_bytes: usize,
    pub max_attachment_bytes: usize,
    /// Where the SMTP listener runs, if it does.
    pub smtp_listen: Option<SocketAddr>,
    pub smtp_max_message_bytes: usize,
    /// Where replies are sent; may hold a password.
    pub smtp_relay: Option<String>,
    /// Extra CA certificate trusted for the relay's TLS.
    pub smtp_relay_ca_file: Option<PathBuf>,
    /// A file holding the relay's password, kept out of the URL.
    pub smtp_relay_password_file: Option<PathBuf>,
    /// Where the key sealing secrets at rest comes from.
    pub secret_key: KeySource,
    /// Certificate chain and key files for STARTTLS, if offered.
    pub smtp_tls: Option<(PathBuf, PathBuf)>,
    /// How much mail one sender may send over SMTP.
    pub mail_rate_limit: RateLimit,
    /// How often each IMAP mailbox is polled.
    pub imap_poll: std::time::Duration,
    /// How long a claim on a background job lasts.
    pub job_lease: std::time::Duration,
    /// Extra CA certificates trusted for IMAP servers.
    pub imap_ca_file: Option<PathBuf>,
    /// Whether web session cookies are marked `Secure` (HTTPS only).
    pub secure_cookies: bool,
    /// How long a sign-in waits for its two-factor code.
    pub signin_code_lifetime: Duration,
    /// How long a customer may undo resolving a case in the portal.
    pub portal_undo: Duration,
    /// Origins allowed to frame the public request form.
    pub embed_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How customer-facing pages look.
    pub brand: Brand,
    /// Where customers reach Tend, without a trailing slash.
    pub public_url: String,
    /// Whether the main listener serves `/metrics`.
    pub metrics: bool,
    /// Where `/metrics` is served on a listener of its own, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url_redacted())
            .field(
                "database_read_url",
                &self.database_read_url.as_deref().map(redact_url),
            )
            .field("store", &self.store)
            .field("listen", &self.listen)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_attachment_bytes", &self.max_attachment_bytes)
            .field("smtp_listen", &self.smtp_listen)
            .field("smtp_max_message_bytes", &self.smtp_max_message_bytes)
            .field("smtp_relay", &self.smtp_relay.as_deref().map(redact_url))
            .field("smtp_relay_ca_file", &self.smtp_relay_ca_file)
            .field("smtp_relay_password_file", &self.smtp_relay_password_file)
            .field("secret_key", &self.secret_key)
            .field("smtp_tls", &self.smtp_tls)
            .field("mail_rate_limit", &self.mail_rate_limit)
            .field("imap_poll", &self.imap_poll)
            .field("job_lease", &self.job_lease)
            .field("imap_ca_file", &self.imap_ca_file)
            .field("secure_cookies", &self.secure_cookies)
            .field("signin_code_lifetime", &self.signin_code_lifetime)
            .field("portal_undo", &self.portal_undo)
            .field("embed_origins", &self.embed_origins)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("brand", &self.brand.name)
            .field("public_url", &self.public_url)
            .field("metrics", &self.metrics)
            .field("metrics_listen", &self.metrics_listen)
            .finish()
    }
}

impl Settings {
    /// Resolves the layers. Reads the TOML file if one is named.
    pub fn resolve(store: &StoreArgs, serve: &ServeArgs) -> anyhow::Result<Self> {
        let (store, serve) = match &store.config {
            Some(path) => with_file(store, serve, path)?,
            None => (store.clone(), serve.clone()),
        };
        let data_dir = store
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("tend-data"));
        let database_url = store
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("tend.db").display()));
        let database_read_url = serve.database_read_url.clone();
        if database_read_url.is_some()
            && Dialect::from_url(&database_url).ok() != Some(Dialect::Postgres)
        {
            anyhow::bail!(
                "--database-read-url (TEND_DATABASE_READ_URL) needs a PostgreSQL primary: \
                 set --database-url to postgres://..., or leave the read URL out with SQLite"
            );
        }
        let smtp_tls = match (serve.smtp_tls_cert.clone(), serve.smtp_tls_key.clone()) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => anyhow::bail!(
                "--smtp-tls-cert and --smtp-tls-key go together: give both or neither"
            ),
        };
        let secret_key = match (
            std::env::var("TEND_SECRET_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
            store.secret_key_file.clone(),
        ) {
            (Some(key), _) => KeySource::Env(key),
            (None, Some(path)) => KeySource::File(path),
            (None, None) => KeySource::DataDir(data_dir.clone()),
        };
        let sync = store.sqlite_sync.unwrap_or(SyncMode::Full);
        let effort = store.effort.clone().unwrap_or_default();
        effort
            .check()
            .map_err(|e| anyhow::anyhow!("[effort] in the settings file: {e}"))?;
        let embed_origins =
            parse_origins(serve.embed_origins.clone().as_deref().unwrap_or_default())?;
        let trusted_proxies = crate::http::client_ip::parse_trusted(
            serve.trusted_proxies.as_deref().unwrap_or_default(),
        )
        .map_err(anyhow::Error::msg)?;
        let brand = Brand::new(
            serve.brand_name.clone(),
            serve.brand_color.clone(),
            serve.brand_logo_url.clone(),
            serve.brand_logo_file.clone().as_deref(),
        )?;
        let listen = serve
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let public_url = match serve.public_url.clone() {
            Some(url) => parse_public_url(&url)?,
            None if listen.ip().is_unspecified() => format!("http://localhost:{}", listen.port()),
            None => format!("http://{listen}"),
        };
        Ok(Self {
            data_dir,
            database_url,
            database_read_url,
            store: StoreOptions {
                max_connections: store.max_connections.unwrap_or(8),
                sqlite_sync: match sync {
                    SyncMode::Full => SqliteSync::Full,
                    SyncMode::Normal => SqliteSync::Normal,
                },
                effort,
            },
            listen,
            max_body_bytes: serve.max_body_bytes.unwrap_or(25 * 1024 * 1024),
            max_attachment_bytes: serve.max_attachment_bytes.unwrap_or(10 * 1024 * 1024),
            smtp_listen: serve.smtp_listen,
            smtp_max_message_bytes: serve.smtp_max_message_bytes.unwrap_or(25 * 1024 * 1024),
            smtp_relay: serve.smtp_relay.clone(),
            smtp_relay_ca_file: serve.smtp_relay_ca_file.clone(),
            smtp_relay_password_file: serve.smtp_relay_password_file.clone(),
            secret_key,
            smtp_tls,
            mail_rate_limit: RateLimit {
                messages: serve.mail_rate_limit.unwrap_or(30),
                window: Duration::from_secs(serve.mail_rate_window.unwrap_or(600)),
            },
            imap_poll: std::time::Duration::from_secs(
                serve.imap_poll_seconds.unwrap_or(60).clamp(1, 86400),
            ),
            job_lease: std::time::Duration::from_secs(serve.job_lease_seconds.unwrap_or(300)),
            imap_ca_file: serve.imap_ca_file.clone(),
            secure_cookies: serve.secure_cookies,
            signin_code_lifetime: Duration::from_secs(
                serve.signin_code_seconds.unwrap_or(300).clamp(1, 3600),
            ),
            portal_undo: Duration::from_secs(serve.portal_undo_seconds.unwrap_or(600).min(86400)),
            embed_origins,
            trusted_proxies,
            brand,
            public_url,
            metrics: serve.metrics,
            metrics_listen: serve.metrics_listen,
        })
    }

    /// The database URL with any password replaced by `***`.
    pub fn database_url_redacted(&self) -> String {
        redact_url(&self.database_url)
    }
}

/// Checks the public URL is `http(s)://host[:port][/path]`; answers it
/// without a trailing slash.
fn parse_public_url(raw: &str) -> anyhow::Result<String> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .unwrap_or_default();
    let ok = !rest.is_empty()
        && !rest.starts_with('/')
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '/' | '_'));
    if ok {
        Ok(raw.trim_end_matches('/').to_owned())
    } else {
        Err(anyhow::anyhow!(
            "public URL `{raw}` must look like https://help.example.com (scheme, host, optional port and path)"
        ))
    }
}

/// Splits the allowed embedding origins, each `http(s)://host[:port]`
/// with nothing that could break out of a CSP source list.
fn parse_origins(raw: &str) -> anyhow::Result<Vec<String>> {
    raw.split([' ', ','])
        .filter(|o| !o.is_empty())
        .map(|o| {
            let host = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
                .unwrap_or_default();
            let ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
            if ok {
                Ok(o.to_owned())
            } else {
                Err(anyhow::anyhow!(
                    "embed origin `{o}` must look like https://www.example.com (scheme, host, optional port)"
                ))
            }
        })
        .collect()
}

/// The flags and environment given, with every setting they left unset
/// taken from the TOML file at `path`; a key that names no setting is an
/// error.
fn with_file(
    store: &StoreArgs,
    serve: &ServeArgs,
    path: &Path,
) -> anyhow::Result<(StoreArgs, ServeArgs)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
    let context =
        |e: &dyn std::fmt::Display| anyhow::anyhow!("config file {}: {e}", path.display());
    let mut file: toml::Table = toml::from_str(&text).map_err(|e| context(&e))?;
    let store = fill_unset(store, &mut file).map_err(|e| context(&e))?;
    let serve = fill_unset(serve, &mut file).map_err(|e| context(&e))?;
    match file.keys().next() {
        Some(key) => Err(context(&format!("unknown key `{key}`"))),
        None => Ok((store, serve)),
    }
}

/// `given` with each field it leaves unset (`None`, or a flag left off)
/// taken from `file`, whose keys it uses are removed.
fn fill_unset<T: Serialize + DeserializeOwned>(
    given: &T,
    file: &mut toml::Table,
) -> Result<T, serde_json::Error> {
    let serde_json::Value::Object(mut fields) = serde_json::to_value(given)? else {
        return serde_json::from_value(serde_json::to_value(given)?);
    };
    for (key, value) in fields.iter_mut() {
        let Some(from_file) = file.remove(key) else {
            continue;
        };
        if matches!(
            value,
            serde_json::Value::Null | serde_json::Value::Bool(false)
        ) {
            *value = serde_json::to_value(from_file)?;
        }
    }
    serde_json::from_value(serde_json::Value::Object(fields))
}

/// Hides the password part of `scheme://user:password@host/...`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                url.to_string()
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_resolve_flags_over_file_over_defaults() {
        let dir = std::env::temp_dir().join(format!("tend-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tend.toml");
        std::fs::write(
            &file,
            "data_dir = \"/srv/tend\"\nlisten = \"0.0.0.0:9000\"\nmax_connections = 3\n\
             secure_cookies = true\nbrand_name = \"Acme\"\n",
        )
        .unwrap();
        let store = StoreArgs {
            config: Some(file),
            max_connections: Some(5),
            ..Default::default()
        };
        let s = Settings::resolve(&store, &ServeArgs::default()).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/srv/tend"));
        assert_eq!(s.database_url, "sqlite:///srv/tend/tend.db");
        assert_eq!(s.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(s.store.max_connections, 5, "flag/env beats file");
        assert!(
            s.secure_cookies,
            "a switch the flags left off comes from the file"
        );
        assert_eq!(s.brand.name, "Acme");
        assert_eq!(
            s.max_body_bytes,
            25 * 1024 * 1024,
            "default when nobody says"
        );
    }

    #[test]
    fn unknown_file_keys_are_errors_and_passwords_are_redacted() {
        let dir = std::env::temp_dir().join(format!("tend-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tend.toml");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        let store = StoreArgs {
            config: Some(file),
            ..Default::default()
        };
        assert!(Settings::resolve(&store, &ServeArgs::default()).is_err());
        assert_eq!(
            redact_url("postgres://tend:s3cret@db/tend"),
            "postgres://tend:***@db/tend"
        );
        assert!(parse_origins("https://a.example https://b.example:8443").is_ok());
        assert!(parse_origins("https://a.example/path").is_err());
        assert!(parse_origins("*").is_err());
        assert_eq!(
            redact_url("postgres://tend@db/tend"),
            "postgres://tend@db/tend"
        );
    }
}
