//! The benchmark's results: one line per phase on stderr as it completes,
//! a Markdown report on stdout at the end, and optionally the same data as
//! JSON.

use crate::client::Outcome;
use crate::seed::SeedSummary;
use anyhow::Context;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Everything measured in one run.
#[derive(Debug, Serialize)]
pub struct Report {
    pub tend_version: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The database URL with any password hidden.
    pub database: String,
    /// SQLite commit durability (`full` or `normal`); absent for PostgreSQL.
    pub sqlite_sync: Option<&'static str>,
    pub pool_connections: u32,
    pub machine: Machine,
    pub dataset: DatasetFacts,
    pub seeding: SeedSummary,
    pub server_start_seconds: f64,
    pub rss: Vec<RssPoint>,
    pub phases: Vec<PhaseRow>,
}

/// The machine the run happened on.
#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: Option<String>,
    pub memory_mib: Option<u64>,
    pub kernel: Option<String>,
}

/// Data in the database while measuring.
#[derive(Debug, Serialize)]
pub struct DatasetFacts {
    /// Cases when measuring started.
    pub cases: usize,
    /// Messages on those cases.
    pub messages: u64,
    /// Bench customers.
    pub customers: usize,
    /// Cases after the create phases added theirs.
    pub cases_after_creates: usize,
}

/// The server's resident memory at one moment.
#[derive(Debug, Serialize)]
pub struct RssPoint {
    pub moment: String,
    pub mib: f64,
}

/// One measured phase.
#[derive(Debug, Serialize)]
pub struct PhaseRow {
    pub phase: String,
    pub connections: usize,
    pub requests: usize,
    pub errors: usize,
    pub seconds: f64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl PhaseRow {
    /// The row for a phase's outcome.
    pub fn new(phase: &str, connections: usize, outcome: &Outcome) -> Self {
        Self {
            phase: phase.to_string(),
            connections,
            requests: outcome.requests,
            errors: outcome.errors,
            seconds: outcome.elapsed.as_secs_f64(),
            throughput: outcome.throughput(),
            p50_ms: outcome.percentile_ms(50.0),
            p99_ms: outcome.percentile_ms(99.0),
            max_ms: outcome.max_ms(),
        }
    }

    /// A one-line summary for progress output.
    pub fn summary(&self) -> String {
        format!(
            "{} ({} conn): {} requests in {:.1} s, {:.1} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} errors",
            self.phase,
            self.connections,
            self.requests,
            self.seconds,
            self.throughput,
            self.p50_ms,
            self.p99_ms,
            self.max_ms,
            self.errors
        )
    }
}

impl Report {
    /// Records and prints a phase result.
    pub fn add_phase(&mut self, row: PhaseRow) {
        eprintln!("{}", row.summary());
        self.phases.push(row);
    }

    /// Records and prints a memory reading given in KiB.
    pub fn add_rss(&mut self, moment: &str, kib: u64) {
        let point = RssPoint {
            moment: moment.to_string(),
            mib: kib as f64 / 1024.0,
        };
        eprintln!("server RSS {}: {:.1} MiB", point.moment, point.mib);
        self.rss.push(point);
    }

    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_markdown(&mut out);
        out
    }

    fn write_markdown(&self, out: &mut String) -> std::fmt::Result {
        writeln!(out, "## Tend {} benchmark\n", self.tend_version)?;
        self.write_setup(out)?;
        writeln!(
            out,
            "\n| phase | connections | requests | throughput req/s | p50 ms | p99 ms | max ms | errors |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|")?;
        for r in &self.phases {
            writeln!(
                out,
                "| {} | {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {} |",
                r.phase,
                r.connections,
                r.requests,
                r.throughput,
                r.p50_ms,
                r.p99_ms,
                r.max_ms,
                r.errors
            )?;
        }
        writeln!(out)?;
        for p in &self.rss {
            writeln!(out, "- server RSS {}: {:.1} MiB", p.moment, p.mib)?;
        }
        Ok(())
    }

    fn write_setup(&self, out: &mut String) -> std::fmt::Result {
        let m = &self.machine;
        let durability = self
            .sqlite_sync
            .map(|s| format!(", synchronous={s}"))
            .unwrap_or_default();
        writeln!(
            out,
            "- backend: {} (`{}`{durability}, pool {} connections)",
            self.backend, self.database, self.pool_connections
        )?;
        writeln!(
            out,
            "- machine: {} CPUs ({}), {} RAM, Linux {}",
            m.cpus,
            m.cpu_model.as_deref().unwrap_or("unknown model"),
            m.memory_mib
                .map(|mib| format!("{:.1} GiB", mib as f64 / 1024.0))
                .unwrap_or_else(|| "unknown".into()),
            m.kernel.as_deref().unwrap_or("unknown")
        )?;
        let d = &self.dataset;
        writeln!(
            out,
            "- dataset: {} cases, {} messages, {} customers when measuring started ({} cases after the create phases)",
            d.cases, d.messages, d.customers, d.cases_after_creates
        )?;
        let s = &self.seeding;
        writeln!(
            out,
            "- seeding: {} cases ({} messages) added in {:.1} s = {:.0} cases/s ({} were present); \
             {} customers created in {:.1} s",
            s.seeded_cases,
            s.seeded_messages,
            s.case_seconds,
            s.cases_per_second,
            s.existing_cases,
            s.customers_created,
            s.customer_seconds
        )?;
        writeln!(
            out,
            "- server ready {:.2} s after spawn; client and server share the machine",
            self.server_start_seconds
        )
    }

    /// Writes the raw results as JSON.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
    }
}

/// Facts about this machine from `/proc` (Linux; unknown elsewhere).
pub fn machine() -> Machine {
    let proc_file = |path: &str| std::fs::read_to_string(path).ok();
    let field = |text: &str, name: &str| {
        text.lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_once(':'))
            .map(|(_, value)| value.trim().to_string())
    };
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model: proc_file("/proc/cpuinfo").and_then(|t| field(&t, "model name")),
        memory_mib: proc_file("/proc/meminfo")
            .and_then(|t| field(&t, "MemTotal"))
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib / 1024),
        kernel: proc_file("/proc/sys/kernel/osrelease").map(|t| t.trim().to_string()),
    }
}
