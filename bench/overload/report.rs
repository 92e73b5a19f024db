//! What the overload run saw: memory and queue samples, answers by phase, recovery time.

use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::bridge::Probe;
use crate::load::{Answer, Outcome};

/// When things happened, in seconds since the open loop started.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    pub locked: f64,
    pub released: f64,
    /// The open loop's last send.
    pub load_end: f64,
    /// Every request answered (or timed out).
    pub answered: f64,
}

/// The bridge's memory and queue at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: f64,
    pub rss_mib: f64,
    pub queue_records: f64,
    pub queue_mib: f64,
}

/// Samples the bridge every half second for `duration`.
pub fn sample(bridge: &Probe, started: Instant, duration: Duration) -> JoinHandle<Vec<Sample>> {
    let bridge = bridge.clone();
    tokio::spawn(async move {
        let mut samples = Vec::new();
        while started.elapsed() < duration {
            let (records, bytes) = bridge.queue().await.unwrap_or((f64::NAN, f64::NAN));
            samples.push(Sample {
                at: started.elapsed().as_secs_f64(),
                rss_mib: bridge.memory_mib("VmRSS").unwrap_or(f64::NAN),
                queue_records: records,
                queue_mib: bytes / (1024.0 * 1024.0),
            });
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        samples
    })
}

/// Seconds after the last answer until the queue is empty (`None`: not within 120 s).
pub async fn time_to_drain(bridge: &Probe) -> anyhow::Result<Option<f64>> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if bridge.queue().await?.0 == 0.0 {
            return Ok(Some(started.elapsed().as_secs_f64()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(None)
}

/// Everything [`print`] reports.
pub struct Report<'a> {
    pub rate: f64,
    pub requests_per_second: f64,
    pub outcomes: &'a [Outcome],
    pub skipped: usize,
    pub timeline: Timeline,
    pub samples: &'a [Sample],
    pub peak_rss_mib: f64,
    pub stored: usize,
    pub drained: Option<f64>,
}

/// Answers to the requests sent in one phase.
#[derive(Debug, Default)]
struct Tally {
    sent: usize,
    ok: usize,
    too_many: usize,
    unavailable: usize,
    /// 429 or 503 without `Retry-After`.
    no_retry_after: usize,
    other: usize,
    errors: usize,
    acked_records: usize,
    ack_seconds: Vec<f64>,
}

impl Tally {
    fn of<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Tally {
        let mut tally = Tally::default();
        for outcome in outcomes {
            tally.sent += 1;
            match outcome.answer {
                Answer::Ok => {
                    tally.ok += 1;
                    tally.acked_records += outcome.records;
                    tally.ack_seconds.push(outcome.done - outcome.sent);
                }
                Answer::Retry {
                    status,
                    retry_after,
                } => {
                    *if status == 429 {
                        &mut tally.too_many
                    } else {
                        &mut tally.unavailable
                    } += 1;
                    tally.no_retry_after += usize::from(!retry_after);
                }
                Answer::Other(_) => tally.other += 1,
                Answer::Error => tally.errors += 1,
            }
        }
        tally.ack_seconds.sort_by(f64::total_cmp);
        tally
    }

    fn share(&self, n: usize) -> f64 {
        100.0 * n as f64 / self.sent.max(1) as f64
    }

    /// Nearest-rank percentile of the ack latencies, in seconds.
    fn ack(&self, percentile: f64) -> f64 {
        let n = self.ack_seconds.len();
        if n == 0 {
            return f64::NAN;
        }
        let rank = ((percentile / 100.0 * n as f64).ceil() as usize).clamp(1, n);
        self.ack_seconds[rank - 1]
    }
}

fn sent_between(outcomes: &[Outcome], from: f64, to: f64) -> Tally {
    Tally::of(outcomes.iter().filter(|o| o.sent >= from && o.sent < to))
}

/// Seconds from the release until requests sent are answered as in the warm-up's second half
/// (at least 80% of its share of 2xx, median ack latency at most 1.5 times its own + 50 ms),
/// judged per second of sending; `None` if never within the run.
fn back_to_normal(outcomes: &[Outcome], t: Timeline) -> Option<f64> {
    let normal = sent_between(outcomes, t.locked / 2.0, t.locked);
    let (share, p50) = (normal.share(normal.ok), normal.ack(50.0));
    (0..(t.load_end - t.released) as usize).find_map(|k| {
        let from = t.released + k as f64;
        let window = sent_between(outcomes, from, from + 1.0);
        let normal_again = window.sent > 0
            && window.share(window.ok) >= 0.8 * share
            && window.ack(50.0) <= 1.5 * p50 + 0.05;
        normal_again.then_some(k as f64)
    })
}

/// Prints the report, ending with a Markdown table for bench/RESULTS.md.
pub fn print(report: &Report) {
    let t = report.timeline;
    let phases = [
        ("warm-up", 0.0, t.locked),
        ("stall", t.locked, t.released),
        ("after", t.released, f64::MAX),
        ("all", 0.0, f64::MAX),
    ];
    println!(
        "\n| requests sent during | sent | 2xx | 429 | 503 | 429/503 without Retry-After | other status | no answer | ack p50 | ack p99 | ack max |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, from, to) in phases {
        let x = sent_between(report.outcomes, from, to);
        println!(
            "| {name} | {} | {:.1}% | {:.1}% | {:.1}% | {} | {} | {} | {:.3} s | {:.3} s | {:.3} s |",
            x.sent,
            x.share(x.ok),
            x.share(x.too_many),
            x.share(x.unavailable),
            x.no_retry_after,
            x.other,
            x.errors,
            x.ack(50.0),
            x.ack(99.0),
            x.ack(100.0)
        );
    }
    print_memory_and_recovery(report);
}

fn print_memory_and_recovery(report: &Report) {
    let t = report.timeline;
    let max_in = |from: f64, to: f64, value: fn(&Sample) -> f64| {
        let during = report.samples.iter().filter(|s| s.at >= from && s.at < to);
        during.map(value).fold(f64::NAN, f64::max)
    };
    let all = Tally::of(report.outcomes.iter());
    let first_ack = report
        .outcomes
        .iter()
        .filter(|o| o.answer == Answer::Ok && o.done >= t.released)
        .map(|o| o.done - t.released)
        .fold(f64::NAN, f64::min);
    let seconds = |s: Option<f64>| s.map_or("not within the run".into(), |s| format!("{s:.1} s"));
    println!(
        "\nopen loop {:.1} requests/s ({:.0} records/s sustainable); sends skipped at the in-flight cap: {}",
        report.requests_per_second, report.rate, report.skipped
    );
    println!(
        "bridge RSS: peak (VmHWM) {:.1} MiB; max during warm-up {:.1} MiB, during the stall {:.1} MiB, after {:.1} MiB",
        report.peak_rss_mib,
        max_in(0.0, t.locked, |s| s.rss_mib),
        max_in(t.locked, t.released, |s| s.rss_mib),
        max_in(t.released, f64::MAX, |s| s.rss_mib),
    );
    println!(
        "queue during the stall: at most {:.0} records, {:.1} MiB",
        max_in(t.locked, t.released, |s| s.queue_records),
        max_in(t.locked, t.released, |s| s.queue_mib),
    );
    println!(
        "recovery: first ack {first_ack:.2} s after the release; answers as before the stall after {}; queue empty {} after the last answer ({:.1} s after the last send)",
        seconds(back_to_normal(report.outcomes, t)),
        seconds(report.drained),
        t.answered - t.load_end,
    );
    println!(
        "records acknowledged {} <= stored {}: {}",
        all.acked_records,
        report.stored,
        if all.acked_records <= report.stored {
            "yes"
        } else {
            "NO: acknowledged records are missing"
        }
    );
}
