//! What the ingest benchmark prints: the workload, one line per run, and the medians.

use crate::copy::Batch;
use crate::cpu::Cpu;
use crate::requests::Requests;

/// The three phases of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Bridge,
    /// COPY at the bridge's own rows per commit.
    CopyMatched,
    /// COPY at `--copy-group` request batches per COPY.
    CopyFixed,
}

impl Phase {
    /// The order of run `run` (from 0): the bridge first in even runs, last in odd ones.
    pub fn order(run: usize) -> [Phase; 3] {
        if run.is_multiple_of(2) {
            [Phase::Bridge, Phase::CopyMatched, Phase::CopyFixed]
        } else {
            [Phase::CopyFixed, Phase::CopyMatched, Phase::Bridge]
        }
    }
}

/// The outcome of one phase.
#[derive(Debug, Clone)]
pub struct PhaseResult {
    /// Rows counted in `logs` afterwards.
    pub rows: i64,
    /// Wall time until the last ack (bridge) or the last commit (COPY).
    pub seconds: f64,
    /// Ack latency of each request (bridge only).
    pub latencies_ms: Vec<f64>,
    /// Commits (transactions) the rows took.
    pub commits: Option<f64>,
    /// Mean time of one commit (one COPY: send and commit), in milliseconds.
    pub commit_ms: Option<f64>,
    /// CPU used during the phase.
    pub cpu: Cpu,
}

impl PhaseResult {
    pub fn rate(&self) -> f64 {
        self.rows as f64 / self.seconds
    }

    /// CPU microseconds per row of the bridge, of the rest of this process (the load clients or
    /// the COPY sender) and of PostgreSQL.
    pub fn cpu_per_row(&self) -> CpuPerRow {
        let per_row = |seconds: f64| seconds * 1e6 / self.rows as f64;
        CpuPerRow {
            bridge: per_row(self.cpu.bridge),
            load: per_row(self.cpu.load),
            postgres: per_row(self.cpu.postgres),
        }
    }

    pub fn rows_per_commit(&self) -> f64 {
        self.commits.map_or(f64::NAN, |c| self.rows as f64 / c)
    }

    fn latency(&self, quantile: f64) -> f64 {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        percentile(&sorted, quantile)
    }

    /// "123,456 rows/s (200000 rows in 1.62 s, 310 rows/commit of 12.3 ms, CPU µs/row:
    /// bridge 10.1, load 3.2, postgres 30.2)".
    pub fn summary(&self) -> String {
        format!(
            "{:>9} rows/s ({} rows in {:.2} s, {:.0} rows/commit of {:.1} ms, CPU µs/row: {})",
            thousands(self.rate()),
            self.rows,
            self.seconds,
            self.rows_per_commit(),
            self.commit_ms.unwrap_or(f64::NAN),
            self.cpu_per_row()
        )
    }
}

/// CPU microseconds per row, by whom.
#[derive(Debug, Clone, Copy)]
pub struct CpuPerRow {
    /// The bridge's threads (idle in the COPY phases).
    pub bridge: f64,
    /// The rest of the benchmark process: the load clients, or the COPY sender.
    pub load: f64,
    /// Every local `postgres` process.
    pub postgres: f64,
}

impl std::fmt::Display for CpuPerRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bridge {:.1}, load {:.1}, postgres {:.1}",
            self.bridge, self.load, self.postgres
        )
    }
}

/// The phases of one run.
#[derive(Debug, Default)]
pub struct RunReport {
    pub bridge: Option<PhaseResult>,
    /// COPY at the bridge's rows per commit.
    pub matched: Option<PhaseResult>,
    /// COPY at `--copy-group` request batches per COPY.
    pub fixed: Option<PhaseResult>,
}

impl RunReport {
    /// Bridge/COPY at the bridge's own rows per commit: the headline.
    fn ratio(&self) -> Option<f64> {
        Some(self.bridge.as_ref()?.rate() / self.matched.as_ref()?.rate())
    }

    /// Bridge/COPY at `--copy-group` request batches per COPY: the old headline.
    fn fixed_ratio(&self) -> Option<f64> {
        Some(self.bridge.as_ref()?.rate() / self.fixed.as_ref()?.rate())
    }

    pub fn print(&self, run: usize, order: [Phase; 3], copy_group: usize) {
        let (Some(bridge), Some(matched), Some(fixed)) = (&self.bridge, &self.matched, &self.fixed)
        else {
            return;
        };
        let first = if order[0] == Phase::Bridge {
            "bridge"
        } else {
            "COPY"
        };
        println!("run {run} ({first} first)");
        println!(
            "  bridge       {}  ack p50 {:.1} ms  p99 {:.1} ms",
            bridge.summary(),
            bridge.latency(0.50),
            bridge.latency(0.99)
        );
        println!("  COPY alike   {}", matched.summary());
        println!("  COPY {copy_group:<2} req {}", fixed.summary());
        print_ratios(self.ratio(), self.fixed_ratio(), copy_group);
    }
}

/// The headline ratio and the old one beside it, labelled.
fn print_ratios(matched: Option<f64>, fixed: Option<f64>, copy_group: usize) {
    let show = |ratio: Option<f64>| ratio.map_or("-".to_string(), |r| format!("{r:.3}"));
    println!(
        "  ratio bridge/COPY at the bridge's rows per commit {} (target >= 0.8)",
        show(matched)
    );
    println!(
        "  (old headline: ratio bridge/COPY at {copy_group} request batch(es) per COPY {})",
        show(fixed)
    );
}

/// Prints the medians over runs of every figure of [`RunReport::print`].
pub fn medians(reports: &[RunReport], copy_group: usize) {
    let of = |phase: fn(&RunReport) -> Option<&PhaseResult>| -> Vec<&PhaseResult> {
        reports.iter().filter_map(phase).collect()
    };
    let bridges = of(|r| r.bridge.as_ref());
    println!("medians over {} runs", reports.len());
    println!(
        "  bridge       {}  ack p50 {:.1} ms  p99 {:.1} ms",
        median_summary(&bridges),
        median(bridges.iter().map(|b| b.latency(0.50)).collect()),
        median(bridges.iter().map(|b| b.latency(0.99)).collect())
    );
    println!(
        "  COPY alike   {}",
        median_summary(&of(|r| r.matched.as_ref()))
    );
    println!(
        "  COPY {copy_group:<2} req {}",
        median_summary(&of(|r| r.fixed.as_ref()))
    );
    let ratios = |ratio: fn(&RunReport) -> Option<f64>| {
        let all: Vec<f64> = reports.iter().filter_map(ratio).collect();
        (!all.is_empty()).then(|| median(all))
    };
    print_ratios(
        ratios(RunReport::ratio),
        ratios(RunReport::fixed_ratio),
        copy_group,
    );
}

/// "123,456 rows/s (310 rows/commit of 12.3 ms, CPU µs/row: ...)", each the median over the
/// results.
fn median_summary(results: &[&PhaseResult]) -> String {
    let of =
        |figure: &dyn Fn(&PhaseResult) -> f64| median(results.iter().map(|r| figure(r)).collect());
    let cpu = CpuPerRow {
        bridge: of(&|r| r.cpu_per_row().bridge),
        load: of(&|r| r.cpu_per_row().load),
        postgres: of(&|r| r.cpu_per_row().postgres),
    };
    format!(
        "{:>9} rows/s ({:.0} rows/commit of {:.1} ms, CPU µs/row: {cpu})",
        thousands(of(&PhaseResult::rate)),
        of(&PhaseResult::rows_per_commit),
        of(&|r| r.commit_ms.unwrap_or(f64::NAN)),
    )
}

/// Describes the generated records, so that runs with other arguments can be compared.
pub fn workload(requests: &Requests, batches: &[Batch]) {
    let records: usize = batches.iter().map(|b| b.records).sum();
    let protobuf = requests.encoded_len();
    let rows: usize = batches
        .iter()
        .map(|b| b.data.len() + b.spans.data.len())
        .sum();
    println!(
        "workload: {records} records in {} requests ({:.0} records/request); \
         {:.0} bytes/record as OTLP protobuf, {:.0} bytes/row as COPY text",
        requests.len(),
        records as f64 / requests.len() as f64,
        protobuf as f64 / records as f64,
        rows as f64 / records as f64
    );
}

/// The median; NaN when there are no values.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A rate with thousands separators: "123,456".
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
