//! Which code runs each kind of job: a handler per [`JobKind`], and for a
//! recurring kind how long after a run the next one is due.

use super::outcome::JobError;
use super::{clean_up, effort_upkeep, promises, rules, sla};
use crate::mail::outbound::Relay;
use crate::metrics::SlaMetrics;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tend_store::Store;
use tend_store::jobs::{Job, JobKind};

/// The code of one kind of job: called with the store and the claimed job.
pub type Handler =
    Arc<dyn Fn(Store, Job) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

/// A kind's handler and, for a recurring kind, its period.
#[derive(Clone)]
pub(super) struct Entry {
    pub(super) handler: Handler,
    pub(super) every: Option<Duration>,
}

/// The handlers a runner knows; it claims only jobs of these kinds, so a
/// node without a relay leaves email to one that has one.
#[derive(Clone, Default)]
pub struct Registry {
    entries: HashMap<JobKind, Entry>,
}

/// How often expired sessions and links are cleared out.
const CLEAN_UP_EVERY: Duration = Duration::from_secs(3600);

impl Registry {
    /// Tend's handlers; email is sent only when there is a `relay`.
    /// Links in email (surveys, notifications, reminders) point to
    /// `public_url`; reminders on cases without an inbox come from `business`.
    /// SLA breaches are counted in `breaches`.
    pub fn standard(
        relay: Option<Relay>,
        public_url: String,
        business: String,
        breaches: SlaMetrics,
    ) -> Result<Self, String> {
        let public_url: Arc<str> = public_url.into();
        let links = public_url.clone();
        let reminders = (public_url.clone(), Arc::<str>::from(business));
        let mut registry = Registry::default()
            .with(
                JobKind::Acknowledge,
                None,
                Arc::new(|store, job| Box::pin(crate::mail::acknowledge::run(store, job))),
            )
            .with(
                JobKind::Survey,
                None,
                Arc::new(move |store, job| {
                    let public_url = public_url.clone();
                    Box::pin(
                        async move { crate::surveys::send::run(store, job, &public_url).await },
                    )
                }),
            )
            .with(
                JobKind::NotificationEmail,
                None,
                Arc::new(move |store, job| {
                    let public_url = links.clone();
                    Box::pin(async move {
                        crate::mail::notifications::run(store, job, &public_url).await
                    })
                }),
            )
            .with(
                JobKind::CleanUp,
                Some(CLEAN_UP_EVERY),
                Arc::new(|store, job| Box::pin(clean_up::run(store, job))),
            )
            .with(
                JobKind::EffortBackfill,
                None,
                Arc::new(|store, job| Box::pin(effort_upkeep::backfill(store, job))),
            )
            .with(
                JobKind::EffortRescore,
                None,
                Arc::new(|store, job| Box::pin(effort_upkeep::rescore(store, job))),
            )
            .with(
                JobKind::SlaTimer,
                None,
                Arc::new(move |store, job| {
                    let breaches = breaches.clone();
                    Box::pin(async move { sla::timer(store, job, &breaches).await })
                }),
            )
            .with(
                JobKind::SlaRefresh,
                None,
                Arc::new(|store, job| Box::pin(sla::refresh(store, job))),
            )
            .with(
                JobKind::RuleTimer,
                None,
                Arc::new(|store, job| Box::pin(rules::timer(store, job))),
            )
            .with(
                JobKind::RuleReply,
                None,
                Arc::new(|store, job| Box::pin(rules::reply(store, job))),
            )
            .with(
                JobKind::PromiseDue,
                None,
                Arc::new(|store, job| Box::pin(promises::due(store, job))),
            )
            .with(
                JobKind::AppointmentReminder,
                None,
                Arc::new(move |store, job| {
                    let (url, business) = reminders.clone();
                    Box::pin(async move {
                        crate::appointments::reminder::run(store, job, &url, &business).await
                    })
                }),
            );
        let http = crate::webhooks::client()?;
        registry = registry.with(
            JobKind::WebhookDelivery,
            None,
            Arc::new(move |store, job| {
                let http = http.clone();
                Box::pin(async move { crate::webhooks::deliver(store, job, &http).await })
            }),
        );
        if let Some(relay) = relay {
            let sender = Arc::new(crate::mail::outbound::Sending::new(&relay)?);
            registry = registry.with(
                JobKind::SendEmail,
                None,
                Arc::new(move |store, job| {
                    let sender = sender.clone();
                    Box::pin(async move { sender.run(store, job).await })
                }),
            );
        }
        Ok(registry)
    }

    /// Adds (or replaces) the handler of `kind`; a recurring kind is queued
    /// again `every` after each successful run.
    pub fn with(mut self, kind: JobKind, every: Option<Duration>, handler: Handler) -> Self {
        self.entries.insert(kind, Entry { handler, every });
        self
    }

    /// The kinds this registry handles.
    pub(super) fn kinds(&self) -> Vec<JobKind> {
        JobKind::ALL
            .iter()
            .copied()
            .filter(|k| self.entries.contains_key(k))
            .collect()
    }

    /// The entry for `kind`.
    pub(super) fn get(&self, kind: JobKind) -> Option<&Entry> {
        self.entries.get(&kind)
    }
}
