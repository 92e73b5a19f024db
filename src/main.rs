//! The `logbridge` command line: `serve`, `migrate`, `tokens`, `rules`, `grafana` and `archive`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use logbridge::auth::commands::{self as tokens, TokensCommand};
use logbridge::config::Config;
use logbridge::grafana::{self, GrafanaCommand};
use logbridge::rules::command::{self as rules, RulesCommand};
use logbridge::store::archive::command::{self as archive, ArchiveCommand};
use logbridge::{app, store, telemetry};

/// The allocator of the `logbridge` binary; the decode path allocates per field, and mimalloc
/// does that markedly faster than the system allocator (see bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bridge application logs (OTLP, JSON) into PostgreSQL and Prometheus metrics.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// YAML configuration file (default: ./logbridge.yaml if present, else built-in defaults).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, then serve OTLP/gRPC, OTLP/HTTP, JSON logs and /metrics.
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage API tokens: create, list, revoke.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Check Prometheus rule files against the metrics the bridge exports.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Provision Grafana: datasources and dashboards over its HTTP API.
    Grafana {
        #[command(subcommand)]
        command: GrafanaCommand,
    },
    /// Archived partitions: list them, restore one into the table `logs_restored`.
    Archive {
        #[command(subcommand)]
        command: ArchiveCommand,
    },
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let _telemetry = telemetry::init(&config.telemetry)?;
        match cli.command {
            Command::Serve => serve(config).await?,
            Command::Migrate => drop(store::migrate(&config).await?),
            Command::Tokens { command } => tokens::run(&config, command).await?,
            Command::Rules { command } => return Ok(rules::run(&config, command)),
            Command::Grafana { command } => grafana::run(command).await?,
            Command::Archive { command } => archive::run(&config, command).await?,
        }
        Ok(ExitCode::SUCCESS)
    })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let running = app::start(config).await?;
    telemetry::shutdown_signal().await;
    tracing::info!("shutting down: finishing requests and committing the queue");
    running.stop().await?;
    tracing::info!("stopped");
    Ok(())
}
