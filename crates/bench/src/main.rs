//! `tend-bench`, Tend's load generator, kept out of the shipped `tend`
//! binary. `tend-bench load` seeds a dataset and measures a `tend serve`
//! child over HTTP; `tend-bench mail` measures Maildir import and SMTP
//! delivery in process. See docs/benchmarks.md.
//!
//! - [`load`] runs the HTTP benchmark, with [`seed`] and [`corpus`] for the
//!   dataset, [`process`] for the server child, [`client`] for requests and
//!   [`report`] for the results, and [`sla`] for its SLA set-up;
//! - [`mail`] runs the email benchmark;
//! - [`rules`] measures automation rules on the write path;
//! - [`slots`] measures the appointment slot search;
//! - [`nodes`] measures several nodes behind HAProxy on one PostgreSQL.

mod client;
mod corpus;
mod load;
mod mail;
mod nodes;
mod process;
mod report;
mod rules;
mod seed;
mod sla;
mod slots;

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use tend::config::StoreArgs;

/// Tend's load generator: seeds data and measures a Tend over HTTP and SMTP.
#[derive(Debug, Parser)]
#[command(name = "tend-bench", version, about)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Seed a dataset and measure `tend serve` over HTTP (see docs/benchmarks.md).
    Load(load::LoadArgs),
    /// Measure the email channel: Maildir import and SMTP delivery (see docs/benchmarks.md).
    Mail(mail::MailBenchArgs),
    /// Measure what automation rules cost on case creation (see docs/benchmarks.md).
    Rules(rules::RulesBenchArgs),
    /// Measure the appointment slot search over two weeks (see docs/benchmarks.md).
    Slots(slots::SlotsBenchArgs),
    /// Measure several `tend serve` nodes behind HAProxy on one PostgreSQL (see docs/scaling.md).
    Nodes(nodes::NodesBenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The store and the in-process mail channel log as `tend` does.
    tend::cli::run_command(async move {
        match cli.command {
            Command::Load(args) => load::run(cli.store, args).await,
            Command::Mail(args) => mail::run(cli.store, args).await,
            Command::Rules(args) => rules::run(cli.store, args).await,
            Command::Slots(args) => slots::run(cli.store, args).await,
            Command::Nodes(args) => nodes::run(cli.store, args).await,
        }
    })
}
