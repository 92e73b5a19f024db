//! The probes: a small OTLP request and a `GET /healthz`, each sent at a fixed pace and timed,
//! and the large request kept in flight meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::time::MissedTickBehavior;

/// What the probes send, and how often.
pub struct Pace {
    pub small: Vec<Bytes>,
    pub interval: Duration,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

/// Latencies of one phase, in milliseconds.
#[derive(Debug, Default)]
pub struct Latencies {
    pub small: Vec<f64>,
    pub healthz: Vec<f64>,
    /// Probes answered with anything but 200, or not at all.
    pub failed: usize,
}

/// The large requests of the loaded phase.
#[derive(Debug, Default)]
pub struct Large {
    /// Seconds from sending to the answer, per request.
    pub seconds: Vec<f64>,
    pub failed: usize,
}

/// The value below which `quantile` of the samples lie (nearest rank).
pub fn percentile(samples: &[f64], quantile: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1))
        .copied()
        .unwrap_or(f64::NAN)
}

/// Both probes, side by side, for `duration`.
pub async fn run(pace: &Pace, duration: Duration) -> Latencies {
    let small = probe(pace, duration, |i| {
        let url = format!("{}/v1/logs", pace.base);
        let body = pace.small[i % pace.small.len()].clone();
        (reqwest::Method::POST, url, Some(body))
    });
    let healthz = probe(pace, duration, |_| {
        (reqwest::Method::GET, format!("{}/healthz", pace.base), None)
    });
    let ((small, failed_small), (healthz, failed_healthz)) = tokio::join!(small, healthz);
    Latencies {
        small,
        healthz,
        failed: failed_small + failed_healthz,
    }
}

type Call = (reqwest::Method, String, Option<Bytes>);

/// One probe: a request every `pace.interval`, each timed; gives the latencies of the 200s and
/// the number of the others.
async fn probe(pace: &Pace, duration: Duration, call: impl Fn(usize) -> Call) -> (Vec<f64>, usize) {
    let http = reqwest::Client::new();
    let mut ticks = tokio::time::interval(pace.interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (started, mut latencies, mut failed) = (Instant::now(), Vec::new(), 0);
    for i in 0.. {
        ticks.tick().await;
        if started.elapsed() >= duration {
            break;
        }
        let (method, url, body) = call(i);
        let mut request = http.request(method, url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/x-protobuf")
                .body(body);
        }
        let sent = Instant::now();
        let answer = request.send().await;
        let ok = answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK);
        match ok {
            true => latencies.push(sent.elapsed().as_secs_f64() * 1000.0),
            false => failed += 1,
        }
    }
    (latencies, failed)
}

/// The probes for `seconds` while `in_flight` senders each send the large body again as soon
/// as it is answered; the probes start once the first large requests are on their way.
pub async fn under_load(
    pace: &Pace,
    big: Bytes,
    seconds: u64,
    in_flight: usize,
) -> anyhow::Result<(Latencies, Large)> {
    let stop = Arc::new(AtomicBool::new(false));
    let url = format!("{}/v1/logs", pace.base);
    let senders: Vec<_> = (0..in_flight)
        .map(|_| {
            let (url, big, stop) = (url.clone(), big.clone(), Arc::clone(&stop));
            tokio::spawn(async move { keep_in_flight(url, big, stop).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let latencies = run(pace, Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut large = Large::default();
    for sender in senders {
        let one = sender.await?;
        large.seconds.extend(one.seconds);
        large.failed += one.failed;
    }
    Ok((latencies, large))
}

async fn keep_in_flight(url: String, big: Bytes, stop: Arc<AtomicBool>) -> Large {
    let http = reqwest::Client::new();
    let mut large = Large::default();
    while !stop.load(Ordering::Relaxed) {
        let sent = Instant::now();
        let request = (http.post(&url))
            .header("content-type", "application/x-protobuf")
            .body(big.clone());
        let answer = request.send().await;
        large.seconds.push(sent.elapsed().as_secs_f64());
        if !answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
            large.failed += 1;
        }
    }
    large
}
