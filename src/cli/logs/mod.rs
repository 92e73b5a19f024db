//! `logbridge logs [filters] [--follow] [--output json|text]`: reads logs through a bridge's
//! read API (`GET /api/v1/logs`) with a reader token, prints them oldest first, and with
//! `--follow` polls for newer ones until interrupted.

mod format;

use std::collections::HashSet;
use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use serde_json::Value;

use crate::telemetry;
use format::Output;

/// Which logs to read, from where, and how to print them.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The bridge's HTTP root.
    #[arg(long, default_value = "http://127.0.0.1:4318")]
    url: String,
    /// A reader, support or admin token.
    #[arg(long, env = "LOGBRIDGE_TOKEN", hide_env_values = true)]
    token: String,
    /// Only this service; repeatable.
    #[arg(long)]
    service: Vec<String>,
    /// This level and above: trace, debug, info, warn, error, fatal.
    #[arg(long)]
    min_level: Option<String>,
    /// Every word must appear in the body or the exception message.
    #[arg(long)]
    q: Option<String>,
    /// A status code (404) or class (5xx).
    #[arg(long)]
    status: Option<String>,
    /// A route template, e.g. /users/{id}.
    #[arg(long)]
    route: Option<String>,
    /// A trace id (32 hex digits).
    #[arg(long)]
    trace_id: Option<String>,
    /// Start: RFC 3339 or relative like now-1h.
    #[arg(long, default_value = "now-1h")]
    since: String,
    /// The newest this many records first (then newer ones with --follow), 1-1000.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: u32,
    /// Keep polling for newer records.
    #[arg(long, short)]
    follow: bool,
    /// Seconds between polls with --follow.
    #[arg(long, default_value_t = 2)]
    interval: u64,
    /// text for people (colour only on a terminal), json for programs.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// Prints the matching logs; with `--follow`, keeps printing newer ones.
pub async fn run(args: LogsArgs) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let colour = telemetry::colour(std::io::stdout().is_terminal());
    let mut seen = Seen::default();
    let first = fetch(&client, &args, &args.since).await?;
    print(&first, &args, colour, &mut seen)?;
    if !args.follow {
        return Ok(());
    }
    loop {
        tokio::time::sleep(Duration::from_secs(args.interval.max(1))).await;
        let from = seen.newest.clone().unwrap_or_else(|| args.since.clone());
        let newer = fetch(&client, &args, &from).await?;
        print(&newer, &args, colour, &mut seen)?;
    }
}

/// What was printed: the newest time and the ids at it, so a poll from that time (inclusive)
/// prints nothing twice.
#[derive(Default)]
struct Seen {
    newest: Option<String>,
    ids: HashSet<i64>,
}

/// One page, newest first, as the API answers it.
async fn fetch(
    client: &reqwest::Client,
    args: &LogsArgs,
    from: &str,
) -> anyhow::Result<Vec<Value>> {
    let mut query: Vec<(&str, String)> = vec![("from", from.to_string())];
    query.push(("limit", args.limit.to_string()));
    query.extend(args.service.iter().map(|s| ("service", s.clone())));
    let optional = [
        ("min_level", &args.min_level),
        ("q", &args.q),
        ("status", &args.status),
        ("route", &args.route),
        ("trace_id", &args.trace_id),
    ];
    query.extend(
        optional
            .iter()
            .filter_map(|(k, v)| (*v).clone().map(|v| (*k, v))),
    );
    let url = format!("{}/api/v1/logs", args.url.trim_end_matches('/'));
    let response = client
        .get(&url)
        .query(&query)
        .bearer_auth(&args.token)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let message = answer["error"]["message"]
            .as_str()
            .or(answer["message"].as_str());
        anyhow::bail!("{url}: {status}: {}", message.unwrap_or("no message"));
    }
    Ok(answer["logs"].as_array().cloned().unwrap_or_default())
}

/// Prints the records not printed yet, oldest first; remembers the page's newest time and ids
/// (the next poll starts at that time, inclusive).
fn print(page: &[Value], args: &LogsArgs, colour: bool, seen: &mut Seen) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let id = |record: &Value| record["id"].as_i64().unwrap_or_default();
    for record in page.iter().rev().filter(|r| !seen.ids.contains(&id(r))) {
        writeln!(out, "{}", format::line(record, args.output, colour))?;
    }
    out.flush()?;
    if let Some(newest) = page.first().and_then(|r| r["ts"].as_str()) {
        seen.newest = Some(newest.to_string());
        seen.ids = page.iter().map(id).collect();
    }
    Ok(())
}
