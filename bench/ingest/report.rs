//! What the ingest benchmark prints: the workload, one line per run, and the medians.

use crate::copy::Batch;
use crate::cpu::Cpu;
use crate::requests::Requests;

/// The two phases of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Bridge,
    Copy,
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

    /// CPU microseconds per row of this process and of PostgreSQL.
    pub fn cpu_per_row(&self) -> (f64, f64) {
        let per_row = |seconds: f64| seconds * 1e6 / self.rows as f64;
        (per_row(self.cpu.bench), per_row(self.cpu.postgres))
    }

    fn rows_per_commit(&self) -> f64 {
        self.commits.map_or(f64::NAN, |c| self.rows as f64 / c)
    }

    fn latency(&self, quantile: f64) -> f64 {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        percentile(&sorted, quantile)
    }

    /// "123,456 rows/s (200000 rows in 1.62 s, 310 rows/commit of 12.3 ms, CPU µs/row:
    /// bench 10.1, postgres 30.2)".
    pub fn summary(&self) -> String {
        let (bench, postgres) = self.cpu_per_row();
        format!(
            "{:>9} rows/s ({} rows in {:.2} s, {:.0} rows/commit of {:.1} ms, \
             CPU µs/row: bench {bench:.1}, postgres {postgres:.1})",
            thousands(self.rate()),
            self.rows,
            self.seconds,
            self.rows_per_commit(),
            self.commit_ms.unwrap_or(f64::NAN)
        )
    }
}

/// Both phases of one run.
#[derive(Debug, Default)]
pub struct RunReport {
    pub bridge: Option<PhaseResult>,
    pub copy: Option<PhaseResult>,
}

impl RunReport {
    fn ratio(&self) -> Option<f64> {
        Some(self.bridge.as_ref()?.rate() / self.copy.as_ref()?.rate())
    }

    pub fn print(&self, run: usize, order: [Phase; 2]) {
        let (Some(bridge), Some(copy), Some(ratio)) = (&self.bridge, &self.copy, self.ratio())
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
            "  bridge {}  ack p50 {:.1} ms  p99 {:.1} ms",
            bridge.summary(),
            bridge.latency(0.50),
            bridge.latency(0.99)
        );
        println!("  COPY   {}", copy.summary());
        println!("  ratio bridge/COPY {ratio:.3}");
    }
}

/// Prints the medians over runs of every figure of [`RunReport::print`].
pub fn medians(reports: &[RunReport]) {
    let bridges: Vec<&PhaseResult> = reports.iter().filter_map(|r| r.bridge.as_ref()).collect();
    let copies: Vec<&PhaseResult> = reports.iter().filter_map(|r| r.copy.as_ref()).collect();
    println!("medians over {} runs", reports.len());
    println!(
        "  bridge {}  ack p50 {:.1} ms  p99 {:.1} ms",
        median_summary(&bridges),
        median(bridges.iter().map(|b| b.latency(0.50)).collect()),
        median(bridges.iter().map(|b| b.latency(0.99)).collect())
    );
    println!("  COPY   {}", median_summary(&copies));
    println!(
        "  ratio bridge/COPY {:.3} (target >= 0.8)",
        median(reports.iter().filter_map(RunReport::ratio).collect())
    );
}

/// "123,456 rows/s (310 rows/commit of 12.3 ms, CPU µs/row: ...)", each the median over the
/// results.
fn median_summary(results: &[&PhaseResult]) -> String {
    let of = |figure: fn(&PhaseResult) -> f64| median(results.iter().map(|r| figure(r)).collect());
    format!(
        "{:>9} rows/s ({:.0} rows/commit of {:.1} ms, CPU µs/row: bench {:.1}, postgres {:.1})",
        thousands(of(PhaseResult::rate)),
        of(PhaseResult::rows_per_commit),
        of(|r| r.commit_ms.unwrap_or(f64::NAN)),
        of(|r| r.cpu_per_row().0),
        of(|r| r.cpu_per_row().1)
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
