//! `logbridge rules check [PATH...]`: prints each problem as `file:line: message`, or a
//! one-line summary when there is none.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::{Known, check};
use crate::config::Config;

/// The `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check Prometheus rule files: YAML, PromQL, and that every metric and label they name is
    /// exported by the bridge, recorded by a rule, or listed in rules.external_metrics.
    Check {
        /// Rule files, or directories of *.yml/*.yaml (their `tests` directories are skipped).
        #[arg(default_value = "alert-rules/")]
        paths: Vec<PathBuf>,
    },
}

/// Runs one `rules` subcommand; fails (exit code 1) when any problem was found.
pub fn run(config: &Config, command: RulesCommand) -> ExitCode {
    let RulesCommand::Check { paths } = command;
    let known = Known::from_config(&config.rules);
    let report = check(&paths, &known);
    for problem in &report.problems {
        println!("{problem}");
    }
    if !report.problems.is_empty() {
        eprintln!("{} problem(s) found", report.problems.len());
        return ExitCode::FAILURE;
    }
    println!(
        "{} file(s), {} recording and {} alerting rules: no problems",
        report.files, report.recording_rules, report.alerting_rules
    );
    ExitCode::SUCCESS
}
