//! The load side of the benchmark: HTTP/1.1 keep-alive connections (one per
//! worker task, so the concurrency is exactly the connection count), one
//! generic runner that sends N requests over C connections, latency
//! percentiles, and the server's resident memory from `/proc`.

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// Error responses quoted when a phase fails.
const ERROR_SAMPLES: usize = 5;

/// The server under test and the credentials to send.
#[derive(Clone)]
pub struct Target {
    addr: SocketAddr,
    host: HeaderValue,
    authorization: HeaderValue,
    cookie: HeaderValue,
}

/// What every request is sent with: a bearer token for the API and a web
/// session cookie (`name=value`) for the agent pages.
pub struct Credentials {
    pub token: String,
    pub cookie: String,
}

impl Target {
    /// A server at `addr`, called with `credentials`.
    pub fn new(addr: SocketAddr, credentials: &Credentials) -> anyhow::Result<Self> {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", credentials.token))?;
        authorization.set_sensitive(true);
        let mut cookie = HeaderValue::from_str(&credentials.cookie)?;
        cookie.set_sensitive(true);
        Ok(Self {
            addr,
            host: HeaderValue::from_str(&addr.to_string())?,
            authorization,
            cookie,
        })
    }

    fn request(&self, call: &Call) -> anyhow::Result<Request<Full<Bytes>>> {
        let builder = Request::builder()
            .method(call.method.clone())
            .uri(&call.path)
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(COOKIE, self.cookie.clone());
        let request = match &call.body {
            Some(body) => builder
                .header(CONTENT_TYPE, call.content_type)
                .body(Full::new(Bytes::from(body.clone()))),
            None => builder.body(Full::new(Bytes::new())),
        };
        request.with_context(|| format!("building {} {}", call.method, call.path))
    }
}

/// One request to make: method, path with query, optional JSON body.
#[derive(Debug, Clone)]
pub struct Call {
    method: Method,
    path: String,
    body: Option<String>,
    content_type: &'static str,
}

impl Call {
    /// `GET path`.
    pub fn get(path: String) -> Self {
        Self {
            method: Method::GET,
            path,
            body: None,
            content_type: "application/json",
        }
    }

    /// `POST path` with a JSON body.
    pub fn post_json(path: &str, body: String) -> Self {
        Self {
            method: Method::POST,
            path: path.to_string(),
            body: Some(body),
            content_type: "application/json",
        }
    }

    /// `POST path` with a form body (`a=1&b=2`), as a browser sends one.
    pub fn post_form(path: &str, body: String) -> Self {
        Self {
            content_type: "application/x-www-form-urlencoded",
            ..Self::post_json(path, body)
        }
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    sender: SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let tcp = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        // Small requests and responses: do not let Nagle add latency.
        tcp.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(tcp)).await?;
        // The connection future does the actual I/O; it ends when the
        // sender is dropped or the server closes.
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { sender, driver })
    }

    /// Sends a request and reads the whole response body (so the
    /// connection can be reused and the latency includes the body).
    async fn send(&mut self, request: Request<Full<Bytes>>) -> anyhow::Result<(StatusCode, Bytes)> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Makes one request on a fresh connection (set-up calls, health checks).
pub async fn fetch(target: &Target, call: &Call) -> anyhow::Result<(StatusCode, Bytes)> {
    let mut connection = Connection::open(target.addr).await?;
    connection.send(target.request(call)?).await
}

/// Like [`fetch`], but fails unless the answer is a 2xx JSON document.
pub async fn fetch_json(target: &Target, path: &str) -> anyhow::Result<serde_json::Value> {
    let (status, body) = fetch(target, &Call::get(path.to_string())).await?;
    if !status.is_success() {
        bail!(
            "GET {path} answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    serde_json::from_slice(&body).with_context(|| format!("GET {path} did not return JSON"))
}

/// What one phase measured.
#[derive(Debug)]
pub struct Outcome {
    /// Requests sent (successful or not).
    pub requests: usize,
    /// 2xx responses.
    pub ok: usize,
    /// Non-2xx responses and transport failures.
    pub errors: usize,
    /// Wall time of the whole phase.
    pub elapsed: Duration,
    /// Latencies of the successful requests, sorted, in microseconds.
    latencies_us: Vec<u64>,
}

impl Outcome {
    /// What `elapsed` of work measured: the successes' latencies in
    /// microseconds, in any order, and the failures.
    pub fn new(mut latencies_us: Vec<u64>, errors: usize, elapsed: Duration) -> Self {
        latencies_us.sort_unstable();
        Self {
            requests: latencies_us.len() + errors,
            ok: latencies_us.len(),
            errors,
            elapsed,
            latencies_us,
        }
    }

    /// Successful responses per wall-clock second.
    pub fn throughput(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.ok as f64 / seconds
        } else {
            0.0
        }
    }

    /// The `p`th percentile latency (nearest rank), in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = (p / 100.0 * self.latencies_us.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies_us.len()) - 1;
        self.latencies_us[index] as f64 / 1000.0
    }

    /// The slowest successful request, in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.latencies_us
            .last()
            .map_or(0.0, |&us| us as f64 / 1000.0)
    }
}

/// Counters the workers of one phase share.
struct Shared {
    total: usize,
    next: AtomicUsize,
    errors: AtomicUsize,
    /// Set once more than 1 % of the phase's requests failed.
    aborted: AtomicBool,
}

impl Shared {
    /// The index of the next request to send, or `None` when done.
    fn claim(&self) -> Option<usize> {
        if self.aborted.load(Ordering::Relaxed) {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.total).then_some(i)
    }

    fn record_error(&self) {
        let errors = self.errors.fetch_add(1, Ordering::Relaxed) + 1;
        if errors * 100 > self.total {
            self.aborted.store(true, Ordering::Relaxed);
        }
    }
}

/// What one worker saw.
#[derive(Default)]
struct WorkerLog {
    latencies_us: Vec<u64>,
    errors: usize,
    samples: Vec<String>,
}

/// Sends `total` requests over `connections` keep-alive connections, one
/// task per connection; `build(rng, i)` makes request `i`. Every non-2xx
/// answer counts as an error; more than 1 % errors stops the phase and
/// fails with the first error responses quoted.
pub async fn run<F>(
    target: &Target,
    phase: &str,
    total: usize,
    connections: usize,
    build: F,
) -> anyhow::Result<Outcome>
where
    F: Fn(&mut StdRng, usize) -> Call + Send + Sync + 'static,
{
    let build = Arc::new(build);
    let shared = Arc::new(Shared {
        total,
        next: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
        aborted: AtomicBool::new(false),
    });
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for worker_index in 0..connections.clamp(1, total.max(1)) {
        let (target, shared, build) = (target.clone(), shared.clone(), build.clone());
        workers.spawn(async move { worker(&target, &shared, &*build, worker_index).await });
    }
    let mut latencies_us = Vec::with_capacity(total);
    let mut errors = 0;
    let mut samples = Vec::new();
    while let Some(joined) = workers.join_next().await {
        let log = joined.context("a load worker stopped unexpectedly")??;
        latencies_us.extend(log.latencies_us);
        errors += log.errors;
        samples.extend(log.samples);
    }
    let elapsed = started.elapsed();
    if shared.aborted.load(Ordering::Relaxed) || errors * 100 > total {
        samples.truncate(ERROR_SAMPLES);
        bail!(
            "{phase}: {errors} requests failed (more than 1 % of {total}); phase stopped. First errors:\n  {}",
            samples.join("\n  ")
        );
    }
    Ok(Outcome::new(latencies_us, errors, elapsed))
}

/// One connection's loop: claim a request index, send, time, repeat.
async fn worker<F>(
    target: &Target,
    shared: &Shared,
    build: &F,
    worker_index: usize,
) -> anyhow::Result<WorkerLog>
where
    F: Fn(&mut StdRng, usize) -> Call,
{
    // Each worker draws from its own generator so runs are repeatable.
    let mut rng = StdRng::seed_from_u64(0x5EED_0000 + worker_index as u64);
    let mut connection = Connection::open(target.addr).await?;
    let mut log = WorkerLog::default();
    while let Some(i) = shared.claim() {
        let call = build(&mut rng, i);
        let request = target.request(&call)?;
        let sent = Instant::now();
        let failure = match connection.send(request).await {
            Ok((status, _)) if status.is_success() => {
                log.latencies_us
                    .push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
                None
            }
            Ok((status, body)) => Some(format!(
                "{} {} -> {status}: {}",
                call.method,
                call.path,
                snippet(&body)
            )),
            Err(e) => {
                // The connection is unusable after a transport error.
                connection = Connection::open(target.addr).await?;
                Some(format!("{} {} -> {e:#}", call.method, call.path))
            }
        };
        if let Some(message) = failure {
            log.errors += 1;
            shared.record_error();
            if log.samples.len() < ERROR_SAMPLES {
                log.samples.push(message);
            }
        }
    }
    Ok(log)
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(300).collect()
}

/// The resident set size of process `pid`, in KiB (`VmRSS` in
/// `/proc/<pid>/status`; Linux only).
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmRSS line in {path}"))
}

/// Samples a process's RSS on a timer and keeps the largest value.
pub struct RssSampler {
    stop: oneshot::Sender<()>,
    task: JoinHandle<u64>,
}

impl RssSampler {
    /// Starts sampling `pid` every `every`.
    pub fn start(pid: u32, every: Duration) -> Self {
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            // One reading up front, so even a very short phase has one.
            let mut max = rss_kib(pid).unwrap_or(0);
            let mut ticks = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticks.tick() => {
                        // A failed read (process gone) just adds no sample.
                        if let Ok(kib) = rss_kib(pid) {
                            max = max.max(kib);
                        }
                    }
                }
            }
            max
        });
        Self { stop, task }
    }

    /// Stops sampling; the largest RSS seen, in KiB.
    pub async fn finish(self) -> anyhow::Result<u64> {
        let _ = self.stop.send(());
        self.task
            .await
            .context("the RSS sampler stopped unexpectedly")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::http::StatusCode as AxumStatus;
    use axum::routing::get;

    fn outcome(latencies_us: Vec<u64>) -> Outcome {
        Outcome::new(latencies_us, 0, Duration::from_secs(1))
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let o = outcome((1..=100).map(|ms| ms * 1000).collect());
        assert_eq!(o.percentile_ms(50.0), 50.0);
        assert_eq!(o.percentile_ms(99.0), 99.0);
        assert_eq!(o.max_ms(), 100.0);
        assert_eq!(o.throughput(), 100.0);
        assert_eq!(outcome(Vec::new()).percentile_ms(99.0), 0.0);
    }

    /// A server answering 200 on `/ok` and 500 on `/fail`.
    async fn server() -> Target {
        let app = Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route("/fail", get(|| async { AxumStatus::INTERNAL_SERVER_ERROR }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let credentials = Credentials {
            token: "token".into(),
            cookie: "session=1".into(),
        };
        Target::new(addr, &credentials).unwrap()
    }

    fn path(fail_every: usize) -> impl Fn(&mut StdRng, usize) -> Call + Send + Sync + 'static {
        move |_, i| {
            let failing = fail_every > 0 && i % fail_every == fail_every - 1;
            Call::get(if failing { "/fail" } else { "/ok" }.into())
        }
    }

    #[tokio::test]
    async fn the_runner_sends_every_request_and_counts_errors() {
        let target = server().await;
        let all_ok = run(&target, "ok", 300, 4, path(0)).await.unwrap();
        assert_eq!((all_ok.requests, all_ok.ok, all_ok.errors), (300, 300, 0));
        let one_failed = run(&target, "one", 300, 4, path(300)).await.unwrap();
        assert_eq!((one_failed.ok, one_failed.errors), (299, 1));
    }

    #[tokio::test]
    async fn more_than_one_percent_of_errors_fails_the_phase() {
        let target = server().await;
        let err = run(&target, "failing", 300, 4, path(50))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("more than 1 %"), "{err}");
        assert!(err.contains("GET /fail -> 500"), "{err}");
    }
}
