//! `tend-bench rules`: what automation rules cost on the write path. Case
//! creations are timed in process against the configured store, first
//! with no rules, then with `--rules` enabled rules of which `--matching`
//! act on every new case (the rest listen for the same or other events
//! and do not match), then with no rules again (compared with the mean of
//! the two rule-less phases, so the database's growth does not count as
//! the rules' cost). Each creation appends a handful of events, each run
//! through every rule; the report gives creations per second, latency
//! and the added cost per appended event.

use crate::seed;
use anyhow::Context;
use clap::Args;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tend::config::{ServeArgs, Settings, StoreArgs};
use tend::server;
use tend_domain::event::Actor;
use tend_domain::ids::{CaseId, CustomerId};
use tend_domain::rules::RuleDefinition;
use tend_store::Store;

/// Options of `tend-bench rules`.
#[derive(Debug, Args)]
pub struct RulesBenchArgs {
    /// Case creations timed in each phase.
    #[arg(long, default_value_t = 2_000)]
    cases: usize,
    /// Enabled rules in the second phase.
    #[arg(long, default_value_t = 100)]
    rules: usize,
    /// Of those, rules that act on every new case.
    #[arg(long, default_value_t = 5)]
    matching: usize,
}

/// Runs the rules benchmark against the store `store_args` names.
pub async fn run(store_args: StoreArgs, args: RulesBenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.matching <= args.rules, "--matching is at most --rules");
    let settings = Settings::resolve(&store_args, &ServeArgs::default())?;
    let store = server::open_store(&settings).await?;
    anyhow::ensure!(
        store.rules().await?.is_empty(),
        "the database already holds rules: give an empty --data-dir"
    );
    let customer = seed::bench_customer(&store, "Rule Bench", "rules").await?;
    let bare = phase(&store, customer, args.cases, "no rules").await?;
    for i in 0..args.rules {
        store
            .create_rule(rule(i, i < args.matching)?)
            .await
            .with_context(|| format!("creating rule {i}"))?;
    }
    let label = format!("{} rules, {} matching", args.rules, args.matching);
    let ruled = phase(&store, customer, args.cases, &label).await?;
    // Without rules again, so a database grown by the earlier phases
    // weighs on both sides of the comparison.
    for rule in store.rules().await? {
        store.delete_rule(rule.id).await?;
    }
    let again = phase(&store, customer, args.cases, "no rules, again").await?;
    let before_events = events_of(&store, bare.last).await?;
    let after_events = events_of(&store, ruled.last).await?;
    println!("| phase | creates/s | p50 ms | p99 ms | mean ms | events per case |");
    println!("|---|---|---|---|---|---|");
    for (row, events) in [
        (&bare, before_events),
        (&ruled, after_events),
        (&again, before_events),
    ] {
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {events:.1} |",
            row.label,
            row.per_second(),
            ms(row.quantile(0.50)),
            ms(row.quantile(0.99)),
            ms(row.mean()),
        );
    }
    // Events the plain creation appends, each matched against every rule.
    let without = (bare.mean() + again.mean()) / 2;
    let added = ruled.mean().saturating_sub(without);
    let throughput = ruled.per_second() / ((bare.per_second() + again.per_second()) / 2.0);
    println!(
        "\nadded per create: {:.3} ms; per event of a plain creation ({before_events:.1}): {:.3} ms; \
         creates/s with rules: {:.0} % of without",
        ms(added),
        ms(added) / before_events.max(1.0),
        throughput * 100.0
    );
    Ok(ExitCode::SUCCESS)
}

/// A rule acting on every new case, or one that listens but never matches.
fn rule(i: usize, matching: bool) -> anyhow::Result<RuleDefinition> {
    let on = [
        "case_created",
        "customer_message",
        "status_changed",
        "assigned",
    ][i % 4];
    let value = if matching {
        serde_json::json!({
            "name": format!("bench {i} (acts)"),
            "when": {"on": "case_created"},
            "if": {"statuses": ["new"], "without_tags": [format!("skip{i}")]},
            "then": [{"do": "add_tags", "tags": [format!("bench{i}")]},
                     {"do": "set_priority", "priority": "high"}]
        })
    } else {
        serde_json::json!({
            "name": format!("bench {i}"),
            "when": {"on": on},
            "if": {"subject_contains": format!("no such subject {i}"), "priorities": ["urgent"]},
            "then": [{"do": "add_tags", "tags": ["never"]}]
        })
    };
    Ok(serde_json::from_value::<RuleDefinition>(value)?.check()?)
}

/// Timed creations of one phase.
struct Phase {
    label: String,
    /// The last case created.
    last: CaseId,
    took: Vec<Duration>,
    wall: Duration,
}

impl Phase {
    fn per_second(&self) -> f64 {
        self.took.len() as f64 / self.wall.as_secs_f64()
    }

    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.took.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }

    fn mean(&self) -> Duration {
        self.took.iter().sum::<Duration>() / self.took.len().max(1) as u32
    }
}

async fn phase(
    store: &Store,
    customer: CustomerId,
    cases: usize,
    label: &str,
) -> anyhow::Result<Phase> {
    let started = Instant::now();
    let mut took = Vec::with_capacity(cases);
    let mut last = None;
    for i in 0..cases {
        let at = Instant::now();
        let case = store
            .create_case(
                seed::heating_case(customer, i),
                Actor::customer(customer),
                None,
            )
            .await
            .with_context(|| format!("creating case {i} ({label})"))?;
        took.push(at.elapsed());
        last = Some(case.id);
    }
    let wall = started.elapsed();
    eprintln!("{label}: {cases} creations in {:.1} s", wall.as_secs_f64());
    Ok(Phase {
        label: label.into(),
        last: last.context("no cases created: give --cases 1 or more")?,
        took,
        wall,
    })
}

/// The events case `id` holds.
async fn events_of(store: &Store, id: CaseId) -> anyhow::Result<f64> {
    Ok(store.events(id, None, 500).await?.data.len() as f64)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
