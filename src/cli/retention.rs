//! `logbridge retention run`: one run of the retention job, a summary on stdout, and an exit
//! status that says whether everything due was done.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use clap::Subcommand;

use crate::config::Config;
use crate::jobs::retention::{Plan, Retention, RunReport, RunStatus, Trigger};

/// The `retention` subcommands.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Run the retention/archival pass once and exit: drop the partitions of `logs` past their
    /// class's days (archiving them first when archive.location is set) and delete old rows of
    /// the other tables. Exit status 1 when anything failed (it was left in place).
    Run {
        /// Print what a run would do now and change nothing: the partitions of `logs` and the
        /// days of `spans` it would expire (archiving first when configured), with their
        /// estimated rows, and the old rows it would delete from the other tables. (The IP
        /// anonymization of `anonymize_ips_after_days` is not previewed.)
        #[arg(long)]
        dry_run: bool,
    },
}

/// Migrates, runs the job once and prints what it did; exit status 1 when something failed.
/// A run skipped because another one holds the lock (a bridge's schedule) exits 0.
pub async fn run(config: &Config, command: RetentionCommand) -> anyhow::Result<ExitCode> {
    let RetentionCommand::Run { dry_run } = command;
    let pool = crate::store::open(config).await?;
    let retention = Retention::new(pool, config)?;
    if dry_run {
        print!("{}", plan_summary(&retention.plan().await?));
        return Ok(ExitCode::SUCCESS);
    }
    let report = retention
        .run(Trigger::Command, &AtomicBool::new(false))
        .await?;
    print!("{}", summary(&report));
    Ok(match report.status {
        RunStatus::Ok | RunStatus::Skipped => ExitCode::SUCCESS,
        RunStatus::Partial | RunStatus::Failed => ExitCode::FAILURE,
    })
}

/// What a run would do, for people.
pub fn plan_summary(plan: &Plan) -> String {
    let action = match plan.archives {
        true => "archive and drop",
        false => "drop (no archive configured)",
    };
    let mut text = format!(
        "dry run: would {action} {} partition(s) of logs and {} day(s) of spans; nothing changed\n",
        plan.logs.len(),
        plan.spans.len()
    );
    for planned in plan.logs.iter().chain(&plan.spans) {
        let _ = writeln!(
            text,
            "    {} ({} {}, kept {} days, about {} rows)",
            planned.partition,
            planned.day,
            planned.class,
            planned.days,
            planned.estimated_rows.max(0)
        );
    }
    for (table, rows) in &plan.deleted {
        let _ = writeln!(text, "  would delete {rows} old row(s) of {table}");
    }
    text
}

/// What a run did, for people.
pub fn summary(report: &RunReport) -> String {
    let mut text = format!("retention run {}: {}\n", report.id, report.status.as_str());
    if let Some(message) = &report.message {
        let _ = writeln!(text, "  {message}");
    }
    let archived = report.dropped.iter().filter(|d| d.archived).count();
    let _ = writeln!(
        text,
        "  dropped {} partition(s), {archived} of them archived",
        report.dropped.len()
    );
    for dropped in &report.dropped {
        let _ = writeln!(
            text,
            "    {} ({} {})",
            dropped.partition, dropped.day, dropped.class
        );
    }
    let deleted: Vec<String> = report
        .deleted
        .iter()
        .map(|(table, rows)| format!("{table} {rows}"))
        .collect();
    if !deleted.is_empty() {
        let _ = writeln!(text, "  rows deleted: {}", deleted.join(", "));
    }
    for failed in &report.failed {
        let _ = writeln!(
            text,
            "  failed: {} ({}): {}",
            failed.target, failed.step, failed.error
        );
    }
    text
}
