//! `logbridge demo`: realistic traffic from five services sent to a running bridge over the
//! real protocols ([`scenario`] makes the events, [`wire`] encodes them), so that the
//! dashboards, views and alerts have something to show within a minute.

pub mod scenario;
pub mod wire;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use scenario::{Dice, Event, Protocol};

/// Where and how much to send.
#[derive(Debug, Clone)]
pub struct Options {
    /// The bridge's HTTP root, e.g. `http://127.0.0.1:4318`.
    pub url: String,
    /// An ingest token, when the bridge requires one.
    pub token: Option<String>,
    /// Events per second.
    pub rate: u32,
    /// How long to send.
    pub duration: Duration,
}

/// What was sent, per protocol: records accepted and requests refused.
#[derive(Debug, Default)]
pub struct Sent {
    pub accepted: BTreeMap<Protocol, u64>,
    pub refused: BTreeMap<Protocol, u64>,
    /// The first refusal, with the bridge's answer.
    pub first_error: Option<String>,
}

impl Sent {
    /// Records the bridge accepted in all.
    pub fn total(&self) -> u64 {
        self.accepted.values().sum()
    }
}

/// Sends `options.rate` events a second for `options.duration`; the middle tenth of the run
/// (at least ten seconds, from a third of the way in) is a burst of 5xx.
pub async fn run(options: &Options) -> anyhow::Result<Sent> {
    // A fresh connection per request: one request a second per protocol gains nothing from
    // keep-alive, and a connection the server closed while idle is never reused.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()?;
    let seconds = options.duration.as_secs().max(1);
    let burst_start = seconds / 3;
    let burst_end = burst_start + (seconds / 10).max(10);
    let mut dice = Dice::new(now_ns());
    let mut sent = Sent::default();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut n = 0;
    for second in 0..seconds {
        ticker.tick().await;
        let burst = (burst_start..burst_end).contains(&second);
        let events: Vec<Event> = (0..options.rate)
            .map(|i| {
                n += 1;
                let time_ns = now_ns() + u64::from(i) * 1000;
                scenario::event(&mut dice, n, time_ns, burst)
            })
            .collect();
        send_all(&client, options, &events, &mut sent).await;
    }
    Ok(sent)
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Sends one request per protocol with that protocol's events.
async fn send_all(client: &reqwest::Client, options: &Options, events: &[Event], sent: &mut Sent) {
    for (_, protocol) in scenario::SERVICES {
        let batch: Vec<Event> = events
            .iter()
            .filter(|e| e.protocol == protocol)
            .cloned()
            .collect();
        if batch.is_empty() {
            continue;
        }
        let (path, content_type, body) = encode(protocol, &batch);
        let mut request = client
            .post(format!("{}{path}", options.url.trim_end_matches('/')))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = &options.token {
            request = request.bearer_auth(token);
        }
        let outcome = outcome(path, request.send().await).await;
        match outcome {
            Ok(()) => *sent.accepted.entry(protocol).or_default() += batch.len() as u64,
            Err(error) => {
                *sent.refused.entry(protocol).or_default() += 1;
                sent.first_error.get_or_insert(error);
            }
        }
    }
}

/// Ok for a 2xx answer, except a bulk answer that reports item errors (it is 200 all the same).
async fn outcome(
    path: &str,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<(), String> {
    let response = sent.map_err(|error| format!("{path}: {error}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let item_errors = serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|answer| answer["errors"] == serde_json::Value::Bool(true));
    match status.is_success() && !item_errors {
        true => Ok(()),
        false => Err(format!("{path}: {status} {text}")),
    }
}

/// The path, content type and body of a protocol's request.
fn encode(protocol: Protocol, events: &[Event]) -> (&'static str, &'static str, Vec<u8>) {
    match protocol {
        Protocol::OtlpLogs => (
            "/v1/logs",
            "application/x-protobuf",
            wire::otlp_logs(events),
        ),
        Protocol::OtlpTraces => (
            "/v1/traces",
            "application/x-protobuf",
            wire::otlp_traces(events),
        ),
        Protocol::Json => ("/api/v1/logs", "application/json", wire::json_logs(events)),
        Protocol::Loki => (
            "/loki/api/v1/push",
            "application/json",
            wire::loki_push(events),
        ),
        Protocol::ElasticBulk => (
            "/es/_bulk",
            "application/x-ndjson",
            wire::elastic_bulk(events),
        ),
    }
}

/// A duration as people write it: `90`, `90s`, `5m`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: expected a number of seconds, or 30s, 5m, 1h"))?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        _ => return Err(format!("{text:?}: the unit is s, m or h")),
    };
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("m").is_err());
    }
}
