//! The bench's SLA set-up (`tend-bench load --sla`): one policy, put in
//! place once per dataset through the store as the admin API does, and
//! Tend's own job runner, run in the bench process until it has measured
//! every case against the policy (the `sla_refresh` job writes each case's
//! projection and queues its timer; the timers already past due record
//! their breaches). Seeding itself is unchanged: the projection is never
//! written by the bench.

use anyhow::Context;
use std::time::{Duration, Instant};
use tend_domain::sla::definition::SlaPolicyDefinition;
use tend_store::Store;
use tend_store::jobs::{JobKind, JobState};

/// The bench policy's name: present means in place.
const POLICY_NAME: &str = "Bench SLA";
/// How often the bench looks whether the runner is done.
const POLL: Duration = Duration::from_secs(2);
/// The SLA jobs the bench waits for.
const SLA_JOBS: [JobKind; 2] = [JobKind::SlaRefresh, JobKind::SlaTimer];

/// The bench policy: first and next response targets by priority (1 h for
/// urgent to 8 h for low, around the clock), for cases by email, the
/// portal and the web form (87 % of the seeded cases; phone and API cases
/// have none). So a case waiting for an answer has a running clock, one
/// whose last message is an agent's has none.
fn definition() -> anyhow::Result<SlaPolicyDefinition> {
    let targets: Vec<_> = [("urgent", 60), ("high", 120), ("normal", 240), ("low", 480)]
        .into_iter()
        .map(|(priority, minutes)| {
            serde_json::json!({
                "priority": priority,
                "first_response": minutes,
                "next_response": minutes,
            })
        })
        .collect();
    let definition: SlaPolicyDefinition = serde_json::from_value(serde_json::json!({
        "name": POLICY_NAME,
        "conditions": {"channels": ["email", "portal", "web_form"]},
        "targets": targets,
    }))?;
    Ok(definition.check()?)
}

/// Puts the bench policy in place unless it is; then runs Tend's job
/// runner until no SLA job is due or running, so every case is measured
/// before the statistics are gathered and the server starts.
pub async fn prepare(store: &Store) -> anyhow::Result<()> {
    let present = store
        .sla_policies()
        .await?
        .iter()
        .any(|p| p.definition.name == POLICY_NAME);
    if !present {
        store
            .create_sla_policy(definition()?)
            .await
            .context("creating the bench SLA policy")?;
        eprintln!("SLA: created the policy \u{201c}{POLICY_NAME}\u{201d}");
    }
    if !sla_work_left(store).await? {
        return Ok(());
    }
    let started = Instant::now();
    let runner = tend::jobs::start(
        store.clone(),
        None,
        "http://127.0.0.1".into(),
        "Tend".into(),
        std::time::Duration::from_secs(300),
        &tend::metrics::Metrics::new(),
    )
    .map_err(|e| anyhow::anyhow!("starting the job runner: {e}"))?;
    let waited = wait_until_measured(store, started).await;
    runner.stop().await;
    waited?;
    eprintln!(
        "SLA: cases measured and past-due timers run in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn wait_until_measured(store: &Store, started: Instant) -> anyhow::Result<()> {
    let mut last_print = Instant::now();
    while sla_work_left(store).await? {
        tokio::time::sleep(POLL).await;
        if last_print.elapsed() >= Duration::from_secs(15) {
            eprintln!(
                "  SLA jobs still running ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
            last_print = Instant::now();
        }
    }
    Ok(())
}

/// Whether an SLA job is due now or running (a claimed job is not due).
async fn sla_work_left(store: &Store) -> anyhow::Result<bool> {
    if store.jobs_due(&SLA_JOBS, tend_store::now()).await? {
        return Ok(true);
    }
    Ok(store
        .jobs(Some(JobState::Running))
        .await?
        .iter()
        .any(|job| SLA_JOBS.contains(&job.kind)))
}
