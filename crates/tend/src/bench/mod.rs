//! The load generator (`tend bench`): placeholder until the bench module lands.

use crate::config::StoreArgs;
use std::process::ExitCode;

/// Options for `tend bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {}

/// Runs the benchmark.
pub async fn run(_store: StoreArgs, _args: BenchArgs) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
