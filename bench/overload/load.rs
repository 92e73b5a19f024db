//! The load: a closed loop to measure the sustainable rate, and an open loop that sends
//! requests at a fixed rate whatever the answers, recording every answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::RETRY_AFTER;
use tokio::sync::mpsc;

/// Pre-encoded OTLP/HTTP protobuf requests, sent in turn, and their record counts.
pub struct Bodies {
    pub url: String,
    pub bodies: Vec<(Bytes, usize)>,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Ok,
    /// 429 or 503, and whether `Retry-After` came with it.
    Retry {
        status: u16,
        retry_after: bool,
    },
    /// Any other status.
    Other(u16),
    /// No answer: connection refused or reset, or the client's timeout.
    Error,
}

/// One request of the open loop, times in seconds since the run started.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub sent: f64,
    pub done: f64,
    pub records: usize,
    pub answer: Answer,
}

/// Sends `bodies` in turn from `clients` tasks, each waiting for its answer, for `duration`;
/// returns acknowledged records per second.
pub async fn closed_loop(
    http: &reqwest::Client,
    bodies: &Arc<Bodies>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let (next, acked) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, bodies) = (http.clone(), bodies.clone());
            let (next, acked) = (next.clone(), acked.clone());
            tokio::spawn(async move {
                while started.elapsed() < duration {
                    let i = next.fetch_add(1, Ordering::Relaxed) % bodies.bodies.len();
                    let (body, records) = &bodies.bodies[i];
                    if send(&http, &bodies.url, body.clone()).await == Answer::Ok {
                        acked.fetch_add(*records, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    Ok(acked.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// The open loop: one request every `1 / requests_per_second` seconds from `started` until
/// `until`, whatever the answers; a request is skipped (counted) only when `max_in_flight`
/// requests are already waiting. Returns every outcome and the number skipped.
pub async fn open_loop(
    http: &reqwest::Client,
    bodies: &Arc<Bodies>,
    requests_per_second: f64,
    started: Instant,
    until: Duration,
    max_in_flight: usize,
) -> (Vec<Outcome>, usize) {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / requests_per_second));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let (mut next, mut skipped) = (0, 0);
    while started.elapsed() < until {
        ticker.tick().await;
        if in_flight.load(Ordering::Relaxed) >= max_in_flight {
            skipped += 1;
            continue;
        }
        let (body, records) = bodies.bodies[next % bodies.bodies.len()].clone();
        next += 1;
        let (http, url, sender) = (http.clone(), bodies.url.clone(), sender.clone());
        let in_flight = in_flight.clone();
        in_flight.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let sent = started.elapsed().as_secs_f64();
            let answer = send(&http, &url, body).await;
            let done = started.elapsed().as_secs_f64();
            in_flight.fetch_sub(1, Ordering::Relaxed);
            let _ = sender.send(Outcome {
                sent,
                done,
                records,
                answer,
            });
        });
    }
    drop(sender);
    let mut outcomes = Vec::new();
    while let Some(outcome) = receiver.recv().await {
        outcomes.push(outcome);
    }
    (outcomes, skipped)
}

async fn send(http: &reqwest::Client, url: &str, body: Bytes) -> Answer {
    let request = http
        .post(url)
        .header("content-type", "application/x-protobuf")
        .body(body);
    let Ok(response) = request.send().await else {
        return Answer::Error;
    };
    let status = response.status().as_u16();
    let retry_after = response.headers().contains_key(RETRY_AFTER);
    // Read the answer whole, as a client does, so that the connection is reused.
    if response.bytes().await.is_err() {
        return Answer::Error;
    }
    match status {
        200..=299 => Answer::Ok,
        429 | 503 => Answer::Retry {
            status,
            retry_after,
        },
        other => Answer::Other(other),
    }
}
