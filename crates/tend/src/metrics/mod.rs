//! Tend's Prometheus metrics: one registry built at start-up with the
//! counters the parts of the application move as they work (HTTP, SMTP,
//! IMAP, jobs, SLA breaches) and the gauges read from the database when
//! scraped (the job queue, outbound email, the connection pool).
//! [`Metrics::render`] writes the exposition in the OpenMetrics text
//! format, which Prometheus scrapes; [`http`] has the request middleware
//! and the `/metrics` route. docs/metrics.md lists every metric.

mod gauges;
pub mod http;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;
use tend_domain::sla::ClockKind;
use tend_store::Store;
use tend_store::jobs::JobKind;

/// Every metric of one running Tend; cheap to clone (clones share the
/// numbers).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    /// HTTP requests, by route.
    pub http: HttpMetrics,
    /// The SMTP listener's sessions and messages.
    pub smtp: SmtpMetrics,
    /// Mail read from IMAP mailboxes.
    pub imap: ImapMetrics,
    /// Job runs and failures, by kind.
    pub jobs: JobMetrics,
    /// SLA breaches recorded.
    pub sla: SlaMetrics,
    gauges: gauges::StoreGauges,
    /// One scrape at a time: the gauges are refreshed, then written out.
    scrape: Arc<tokio::sync::Mutex<()>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tend");
        let http = HttpMetrics::register(&mut registry);
        let smtp = SmtpMetrics::register(&mut registry);
        let imap = ImapMetrics::register(&mut registry);
        let jobs = JobMetrics::register(&mut registry);
        let sla = SlaMetrics::register(&mut registry);
        let gauges = gauges::StoreGauges::register(&mut registry);
        Metrics {
            registry: Arc::new(registry),
            http,
            smtp,
            imap,
            jobs,
            sla,
            gauges,
            scrape: Arc::default(),
        }
    }

    /// The exposition: the gauges read from `store` now, and every counter.
    pub async fn render(&self, store: &Store) -> Result<String, std::fmt::Error> {
        let _one_at_a_time = self.scrape.lock().await;
        self.gauges.refresh(store).await;
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Creates the series of `family` for each of `labels` at zero, so that
/// a known series is there (and rates work) before anything happens.
fn start_at_zero<S, M, C>(family: &Family<S, M, C>, labels: impl IntoIterator<Item = S>)
where
    S: Clone + Hash + Eq,
    M: Clone,
    C: MetricConstructor<M>,
{
    for labels in labels {
        drop(family.get_or_create(&labels));
    }
}

/// A request's method, matched route and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

/// A request's method and matched route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

/// Request latency buckets, in seconds (Prometheus' defaults).
const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// HTTP requests and their latency, by method and matched route.
#[derive(Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl HttpMetrics {
    fn register(registry: &mut Registry) -> Self {
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route and status",
            requests.clone(),
        );
        let duration = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (until the response head), by method and matched route",
            Unit::Seconds,
            duration.clone(),
        );
        HttpMetrics { requests, duration }
    }

    /// Records one answered request.
    pub fn record(&self, method: &'static str, route: String, status: u16, took: Duration) {
        self.duration
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }
}

/// Why the SMTP listener refused a message (or one recipient of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The sender is over its rate limit (`450`).
    RateLimited,
    /// A recipient is no inbox of Tend's (`550`, counted per recipient).
    UnknownRecipient,
    /// Larger than the listener takes (`552`), declared or sent.
    TooBig,
    /// The database could not look up or store it (`451`).
    TemporaryFailure,
}

impl Refusal {
    const ALL: [Refusal; 4] = [
        Refusal::RateLimited,
        Refusal::UnknownRecipient,
        Refusal::TooBig,
        Refusal::TemporaryFailure,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Refusal::RateLimited => "rate_limited",
            Refusal::UnknownRecipient => "unknown_recipient",
            Refusal::TooBig => "too_big",
            Refusal::TemporaryFailure => "temporary_failure",
        }
    }
}

/// A refusal's reason.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The SMTP listener's sessions and the messages it accepted or refused.
#[derive(Clone)]
pub struct SmtpMetrics {
    sessions: Counter,
    accepted: Counter,
    refused: Family<ReasonLabels, Counter>,
}

impl SmtpMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = SmtpMetrics {
            sessions: Counter::default(),
            accepted: Counter::default(),
            refused: Family::default(),
        };
        registry.register(
            "smtp_sessions",
            "SMTP connections accepted",
            metrics.sessions.clone(),
        );
        registry.register(
            "smtp_messages_accepted",
            "Messages the SMTP listener stored and acknowledged",
            metrics.accepted.clone(),
        );
        registry.register(
            "smtp_messages_refused",
            "Messages (or, for unknown_recipient, recipients) the SMTP listener refused, by reason",
            metrics.refused.clone(),
        );
        start_at_zero(
            &metrics.refused,
            Refusal::ALL.map(|why| ReasonLabels {
                reason: why.as_str(),
            }),
        );
        metrics
    }

    /// A connection was accepted.
    pub fn session_opened(&self) {
        self.sessions.inc();
    }

    /// A message was stored and acknowledged.
    pub fn accepted(&self) {
        self.accepted.inc();
    }

    /// A message (or recipient) was refused.
    pub fn refused(&self, why: Refusal) {
        self.refused
            .get_or_create(&ReasonLabels {
                reason: why.as_str(),
            })
            .inc();
    }
}

/// Mail read from IMAP mailboxes.
#[derive(Clone)]
pub struct ImapMetrics {
    fetched: Counter,
    failures: Counter,
}

impl ImapMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = ImapMetrics {
            fetched: Counter::default(),
            failures: Counter::default(),
        };
        registry.register(
            "imap_messages_fetched",
            "Messages fetched from IMAP mailboxes and stored",
            metrics.fetched.clone(),
        );
        registry.register(
            "imap_failures",
            "IMAP sessions that failed (connecting, signing in, a command or storing a message)",
            metrics.failures.clone(),
        );
        metrics
    }

    /// A message was fetched and stored.
    pub fn fetched(&self) {
        self.fetched.inc();
    }

    /// A session failed; the reader tries again after a back-off.
    pub fn failed(&self) {
        self.failures.inc();
    }
}

/// A job kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

/// Job runs and failures, by kind.
#[derive(Clone)]
pub struct JobMetrics {
    runs: Family<KindLabels, Counter>,
    failures: Family<KindLabels, Counter>,
}

impl JobMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = JobMetrics {
            runs: Family::default(),
            failures: Family::default(),
        };
        registry.register(
            "job_runs",
            "Job runs this process finished, failed or not, by kind",
            metrics.runs.clone(),
        );
        registry.register(
            "job_failures",
            "Job runs that failed (retried later, or dead), by kind",
            metrics.failures.clone(),
        );
        for family in [&metrics.runs, &metrics.failures] {
            start_at_zero(
                family,
                JobKind::ALL.iter().map(|kind| KindLabels {
                    kind: kind.as_str(),
                }),
            );
        }
        metrics
    }

    /// A run of a job of `kind` ended; `failed` when it did not succeed.
    pub fn ran(&self, kind: JobKind, failed: bool) {
        let labels = KindLabels {
            kind: kind.as_str(),
        };
        self.runs.get_or_create(&labels).inc();
        if failed {
            self.failures.get_or_create(&labels).inc();
        }
    }
}

/// An SLA clock.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClockLabels {
    clock: &'static str,
}

/// SLA breaches recorded by this process's timers.
#[derive(Clone)]
pub struct SlaMetrics {
    breaches: Family<ClockLabels, Counter>,
}

impl SlaMetrics {
    fn register(registry: &mut Registry) -> Self {
        let breaches = Family::default();
        registry.register(
            "sla_breaches",
            "SLA breaches recorded (sla_breached events), by clock",
            breaches.clone(),
        );
        start_at_zero(
            &breaches,
            ClockKind::ALL.iter().map(|clock| ClockLabels {
                clock: clock.as_str(),
            }),
        );
        SlaMetrics { breaches }
    }

    /// A breach of `clock` was recorded.
    pub fn breached(&self, clock: ClockKind) {
        self.breaches
            .get_or_create(&ClockLabels {
                clock: clock.as_str(),
            })
            .inc();
    }
}
