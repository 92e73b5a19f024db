//! What the read benchmark prints at the end: the machine, the data, one line per request with
//! its p50 and p95 against its target, and the export.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::load::Data;
use crate::queries::{Export, Timing};

/// Where the figures were measured.
pub struct Machine {
    pub date: DateTime<Utc>,
    pub cores: usize,
    pub load_average: String,
    pub postgres: String,
    /// `shared_buffers`, `work_mem`, `effective_cache_size`.
    pub settings: String,
}

impl Machine {
    pub async fn describe(pool: &PgPool) -> anyhow::Result<Machine> {
        let show = |name: &'static str| async move {
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!("SHOW {name}")))
                .fetch_one(pool)
                .await
        };
        let settings = format!(
            "shared_buffers {}, work_mem {}, effective_cache_size {}",
            show("shared_buffers").await?,
            show("work_mem").await?,
            show("effective_cache_size").await?
        );
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        Ok(Machine {
            date: Utc::now(),
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            load_average: load
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            postgres: show("server_version").await?,
            settings,
        })
    }
}

pub fn print(machine: &Machine, data: &Data, timings: &[Timing], export: &Export) {
    println!();
    println!(
        "{} UTC; nproc {}; load average before {}; PostgreSQL {} ({})",
        machine.date.format("%Y-%m-%d %H:%M"),
        machine.cores,
        machine.load_average,
        machine.postgres,
        machine.settings
    );
    println!(
        "data: {} rows from {} to {}; tables {}",
        thousands(data.rows as f64),
        data.oldest.format("%Y-%m-%d %H:%M"),
        data.newest.format("%Y-%m-%d %H:%M"),
        size(data.table_bytes)
    );
    let indexes: Vec<String> = data
        .index_bytes
        .iter()
        .map(|(name, bytes)| format!("{name} {}", size(*bytes)))
        .collect();
    println!("indexes: {}", indexes.join(", "));
    println!();
    println!("| request | matching | rows returned | p50 ms | p95 ms | target p95 |");
    println!("| --- | --- | ---: | ---: | ---: | --- |");
    for timing in timings {
        println!("{}", row(timing));
    }
    print_export(export);
}

fn row(timing: &Timing) -> String {
    let target = timing
        .target_ms
        .map_or(String::new(), |t| format!("< {t} ms"));
    let Some(samples) = &timing.samples else {
        return format!(
            "| {} `{}` | | | not available | not available | {target} |",
            timing.name, timing.request
        );
    };
    let (p50, p95) = (samples.percentile(0.50), samples.percentile(0.95));
    let verdict = match timing.target_ms {
        Some(t) if p95 < t => ": met",
        Some(_) => ": **missed**",
        None => "",
    };
    format!(
        "| {} `{}` | {} | {} | {p50:.1} | {p95:.1} | {target}{verdict} |",
        timing.name,
        timing.request,
        timing.matching,
        samples.median_rows()
    )
}

fn print_export(export: &Export) {
    let kib = |v: Option<u64>| v.map_or("?".into(), |k| size(k as i64 * 1024));
    println!();
    println!(
        "export `{}`: {} rows ({} in range), {} in {:.1} s: {} rows/s, {:.1} MB/s, first bytes after {:.0} ms",
        export.request,
        thousands(export.rows as f64),
        thousands(export.expected as f64),
        size(export.bytes as i64),
        export.seconds,
        thousands(export.rows as f64 / export.seconds),
        export.bytes as f64 / export.seconds / 1e6,
        export.first_byte_ms
    );
    println!(
        "bridge RSS before the export {}, peak during it (VmHWM{}) {}",
        kib(export.rss_before_kib),
        if export.peak_reset {
            ", reset before"
        } else {
            " over the process's life"
        },
        kib(export.peak_kib)
    );
}

/// "12,345".
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1.2 GiB", "340 MiB".
fn size(bytes: i64) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if mib >= 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{mib:.0} MiB")
    }
}
