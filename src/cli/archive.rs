//! `logbridge archive list` and `logbridge archive restore FILE`.

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Subcommand;

use crate::config::Config;
use crate::jobs::archive::{Archive, Manifest, RestoreReport};

/// The `archive` subcommands.
#[derive(Subcommand)]
pub enum ArchiveCommand {
    /// List the archives at `archive.location`: day, class, rows, size, time range, table
    /// (`logs` or `spans`) and file.
    List,
    /// Verify an archive's checksum, then load its rows into the table `logs_restored` (an
    /// archive of spans into `spans_restored`; restoring a file again replaces its rows).
    Restore {
        /// The archive file as `archive list` prints it (its manifest's name works too).
        file: String,
    },
}

/// Runs an `archive` subcommand, printing its outcome on stdout.
pub async fn run(config: &Config, command: ArchiveCommand) -> anyhow::Result<()> {
    let archive = Archive::open(&config.archive)?
        .context("no archive location configured: set archive.location")?;
    match command {
        ArchiveCommand::List => {
            let manifests = archive.list().await?;
            print!("{}", list_text(archive.location(), &manifests));
        }
        ArchiveCommand::Restore { file } => {
            let pool = crate::store::open(config).await?;
            let report = archive.restore(&pool, &file).await?;
            print!("{}", restore_text(&report));
        }
    }
    Ok(())
}

/// The table `archive list` prints.
fn list_text(location: &str, manifests: &[Manifest]) -> String {
    if manifests.is_empty() {
        return format!("no archives at {location}\n");
    }
    let mut text = format!(
        "{:<10}  {:<10}  {:>10}  {:>10}  {:<27}  {:<27}  {:<5}  FILE\n",
        "DAY", "CLASS", "ROWS", "SIZE", "FROM", "TO", "TABLE"
    );
    for m in manifests {
        text += &format!(
            "{:<10}  {:<10}  {:>10}  {:>10}  {:<27}  {:<27}  {:<5}  {}\n",
            m.day,
            m.class,
            m.rows,
            size(m.bytes),
            time(m.min_ts),
            time(m.max_ts),
            m.source.table(),
            m.file
        );
    }
    text
}

/// What `archive restore` prints.
fn restore_text(report: &RestoreReport) -> String {
    let mut text = format!(
        "restored {} rows ({} .. {}) of {} into {}\n",
        report.rows,
        time(report.min_ts),
        time(report.max_ts),
        report.file,
        report.table
    );
    if report.replaced > 0 {
        text += &format!(
            "replaced {} rows of an earlier restore of it\n",
            report.replaced
        );
    }
    if !report.dropped_columns.is_empty() {
        let columns = report.dropped_columns.join(", ");
        let source = report.source.table();
        text += &format!("columns `{source}` no longer has, not restored: {columns}\n");
    }
    text += &format!(
        "query them: SELECT * FROM {} WHERE archive_file = '{}' ORDER BY {};\n",
        report.table,
        report.file,
        report.source.time_column()
    );
    text
}

fn time(ts: Option<DateTime<Utc>>) -> String {
    ts.map_or("-".to_string(), |ts| {
        ts.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    })
}

/// Bytes for people: `812 B`, `3.4 MiB`.
fn size(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", units[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(812), "812 B");
        assert_eq!(size(3 * 1024 * 1024 + 400 * 1024), "3.4 MiB");
        assert_eq!(size(5 << 40), "5.0 TiB");
    }

    #[test]
    fn an_empty_location_says_so() {
        assert_eq!(list_text("s3://b/p", &[]), "no archives at s3://b/p\n");
    }
}
