//! The gauges read from the database at each scrape: jobs by kind and
//! state, outbound email by state, and the connection pool. Every known
//! kind and state is written, at zero when there is none, so a series does
//! not vanish when its queue empties.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tend_domain::email::DeliveryStatus;
use tend_store::Store;
use tend_store::jobs::{JobKind, JobState};

/// A job kind and state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    state: String,
}

/// An outbound email state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

/// The gauges, set from the store by [`StoreGauges::refresh`].
#[derive(Clone)]
pub(super) struct StoreGauges {
    jobs: Family<JobLabels, Gauge>,
    outbound: Family<StateLabels, Gauge>,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

impl StoreGauges {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let gauges = StoreGauges {
            jobs: Family::default(),
            outbound: Family::default(),
            pool_size: Gauge::default(),
            pool_idle: Gauge::default(),
            pool_max: Gauge::default(),
        };
        registry.register(
            "jobs",
            "Jobs in the queue by kind and state (queued, running, dead), read at scrape",
            gauges.jobs.clone(),
        );
        registry.register(
            "outbound_emails",
            "Outbound emails by state (queued, sent, failed, bounced), read at scrape",
            gauges.outbound.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool (on SQLite the read pool)",
            gauges.pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Database connections open and idle in the pool",
            gauges.pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The most connections the pool opens",
            gauges.pool_max.clone(),
        );
        gauges
    }

    /// Reads the numbers from `store`. A query that fails is logged and
    /// its gauges left out of this scrape rather than shown stale.
    pub(super) async fn refresh(&self, store: &Store) {
        let pool = store.pool_stats();
        self.pool_size.set(i64::from(pool.size));
        self.pool_idle
            .set(i64::try_from(pool.idle).unwrap_or(i64::MAX));
        self.pool_max.set(i64::from(pool.max));

        self.jobs.clear();
        match store.job_counts().await {
            Ok(counts) => {
                for kind in JobKind::ALL {
                    for state in JobState::ALL {
                        let labels = JobLabels {
                            kind: kind.as_str().into(),
                            state: state.as_str().into(),
                        };
                        self.jobs.get_or_create(&labels).set(0);
                    }
                }
                for count in counts {
                    let labels = JobLabels {
                        kind: count.kind,
                        state: count.state,
                    };
                    self.jobs.get_or_create(&labels).set(count.count);
                }
            }
            Err(e) => tracing::warn!(error = %e, "counting jobs for the metrics failed"),
        }

        self.outbound.clear();
        match store.outbound_counts().await {
            Ok(counts) => {
                for state in DeliveryStatus::ALL {
                    let labels = StateLabels {
                        state: state.as_str().into(),
                    };
                    self.outbound.get_or_create(&labels).set(0);
                }
                for (state, count) in counts {
                    self.outbound
                        .get_or_create(&StateLabels { state })
                        .set(count);
                }
            }
            Err(e) => tracing::warn!(error = %e, "counting outbound email for the metrics failed"),
        }
    }
}
