//! `logbridge exceptions regroup`: exception groups of older fingerprint versions mapped onto
//! the current version (which `migrate` and `serve` also do at start), with a summary.

use clap::Subcommand;

use crate::config::Config;
use crate::pipeline::grouping::{FINGERPRINT_VERSION, Rules};
use crate::store::regroup;

/// The `exceptions` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExceptionsCommand {
    /// Map exception groups of older fingerprint versions onto the current one, merging those
    /// that are one bug now; merged groups keep their resolution state (resolved only if every
    /// part was) and their occurrences link to the new group.
    Regroup,
}

/// Applies the migrations, regroups and prints what was mapped.
pub async fn run(config: &Config, command: ExceptionsCommand) -> anyhow::Result<()> {
    let ExceptionsCommand::Regroup = command;
    let pool = crate::store::open_schema(config).await?;
    let rules = Rules::from_config(&config.grouping).map_err(anyhow::Error::msg)?;
    let done = regroup::regroup(&pool, &rules).await?;
    println!(
        "exception groups on fingerprint version {FINGERPRINT_VERSION}: {} old group(s) mapped onto {} group(s)",
        done.old_groups, done.new_groups
    );
    Ok(())
}
