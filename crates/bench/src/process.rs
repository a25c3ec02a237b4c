//! The server under test, run as a child process (the shipped `tend`
//! binary, `tend serve`) so its memory can be measured on its own and the
//! load generator does not share its runtime. The child is killed when the guard is
//! dropped, so an error anywhere never leaves a server behind.

use crate::client::{self, Call, Target};
use anyhow::{Context, bail};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tend::config::Settings;
use tend_store::SqliteSync;

/// How long the server may take to answer its health check.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a graceful stop may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running `tend serve` child; killed on drop.
pub struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts `tend serve` on a free loopback port against the same database.
    ///
    /// The resolved store settings go to the child through the `TEND_*`
    /// variables that `--data-dir`, `--database-url`, `--sqlite-sync` and
    /// `--max-connections` read, so the child opens exactly what the parent
    /// seeded (config file and environment layers included) and a database
    /// password never shows up in the process list.
    pub fn spawn(tend: &Path, settings: &Settings, config: Option<&Path>) -> anyhow::Result<Self> {
        let addr = free_loopback_port()?;
        let log = log_path(settings, addr);
        let log_file = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut command = Command::new(tend);
        command
            .args(["serve", "--listen", &addr.to_string()])
            .env("TEND_LOG", "warn")
            .env("TEND_DATA_DIR", &settings.data_dir)
            .env("TEND_DATABASE_URL", &settings.database_url)
            .env("TEND_SQLITE_SYNC", sync_name(settings.store.sqlite_sync))
            .env(
                "TEND_MAX_CONNECTIONS",
                settings.store.max_connections.to_string(),
            )
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        if let Some(config) = config {
            command.env("TEND_CONFIG", config);
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {} serve", tend.display()))?;
        Ok(Self { child, addr, log })
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where the server's output goes.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Waits until `/healthz` answers 200, failing if the server exits or
    /// takes longer than a minute.
    pub async fn wait_ready(&mut self, target: &Target) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let health = Call::get("/healthz".into());
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "tend serve exited during start-up ({status}); its log:\n{}",
                    self.log_tail()
                );
            }
            if let Ok((status, _)) = client::fetch(target, &health).await
                && status.is_success()
            {
                return Ok(started.elapsed());
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "tend serve did not become healthy within {} s; its log:\n{}",
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asks the server to stop (SIGTERM, so in-flight work finishes and
    /// SQLite checkpoints), killing it if it takes too long.
    pub async fn stop(mut self) -> anyhow::Result<ExitStatus> {
        // std can only send SIGKILL, and unsafe code is forbidden, so ask
        // kill(1) for the polite signal.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let started = Instant::now();
        while started.elapsed() < STOP_TIMEOUT {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.child.kill()?;
        Ok(self.child.wait()?)
    }

    /// The end of the server's log, for error messages.
    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.log) {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = file.seek(SeekFrom::Start(len.saturating_sub(4000)));
            let _ = file.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Harmless when the child already exited (after `stop`).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `tend` binary to measure: `given`, or `tend` in the directory of
/// this executable, where cargo puts both (`target/release/`).
pub fn server_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(path) => path.to_path_buf(),
        None => std::env::current_exe()
            .context("finding the tend-bench executable")?
            .with_file_name(format!("tend{}", std::env::consts::EXE_SUFFIX)),
    };
    if !path.is_file() {
        bail!(
            "no tend binary at {}; build it beside tend-bench \
             (`cargo build --release -p tend -p tend-bench`) or name one with --server-bin",
            path.display()
        );
    }
    Ok(path)
}

/// A loopback address nobody listens on right now. Another process could
/// take it before the child binds; the health check then fails clearly.
fn free_loopback_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?)
}

/// The server log: in the data directory when there is one (SQLite; each
/// run overwrites the last), else a per-run file in the temporary
/// directory; one per port, as several servers may run at once.
fn log_path(settings: &Settings, addr: SocketAddr) -> PathBuf {
    let port = addr.port();
    if settings.data_dir.is_dir() {
        settings.data_dir.join(format!("bench-server-{port}.log"))
    } else {
        std::env::temp_dir().join(format!(
            "tend-bench-server-{}-{port}.log",
            std::process::id()
        ))
    }
}

fn sync_name(sync: SqliteSync) -> &'static str {
    match sync {
        SqliteSync::Full => "full",
        SqliteSync::Normal => "normal",
    }
}
