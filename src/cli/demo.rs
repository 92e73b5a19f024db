//! `logbridge demo`: sends realistic traffic to a running bridge (see [`crate::demo`]) and
//! says what it sent and where to look.

use std::time::Duration;

use clap::Args;

use crate::demo::{self, Options, parse_duration};

/// How much demo traffic to send, and where.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The bridge's HTTP root.
    #[arg(long, default_value = "http://127.0.0.1:4318")]
    url: String,
    /// An ingest token, when the bridge requires one.
    #[arg(long)]
    token: Option<String>,
    /// Events per second, spread over five services.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    rate: u32,
    /// How long to send: 90, 90s, 5m, 1h.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    duration: Duration,
}

/// Sends the traffic; fails when the bridge accepted nothing.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let options = Options {
        url: args.url,
        token: args.token,
        rate: args.rate,
        duration: args.duration,
    };
    eprintln!(
        "sending {} events/s for {}s to {} (services frontend, checkout, payments, users, inventory; a burst of 5xx a third of the way in)",
        options.rate,
        options.duration.as_secs(),
        options.url
    );
    let sent = demo::run(&options).await?;
    for (protocol, records) in &sent.accepted {
        println!("{protocol:?}: {records} records accepted");
    }
    for (protocol, requests) in &sent.refused {
        println!("{protocol:?}: {requests} requests refused");
    }
    if let Some(error) = &sent.first_error {
        eprintln!("first refusal: {error}");
    }
    if sent.total() == 0 {
        anyhow::bail!("the bridge at {} accepted nothing", options.url);
    }
    println!("sent {} records", sent.total());
    Ok(())
}
