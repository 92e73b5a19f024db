//! The `logbridge` command line: `serve`, `migrate`, `tokens`, `rules`, `grafana`, `retention`,
//! `archive` and `erase`, one file per subcommand.

mod archive;
mod erase;
mod grafana;
mod retention;
mod rules;
mod tokens;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::{app, settings, store, telemetry};

/// Bridge application logs (OTLP, JSON) into PostgreSQL and Prometheus metrics.
#[derive(Parser)]
#[command(name = "logbridge", version, about)]
pub struct Cli {
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
        command: tokens::TokensCommand,
    },
    /// Check Prometheus rule files against the metrics the bridge exports.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Provision Grafana: datasources and dashboards over its HTTP API.
    Grafana {
        #[command(subcommand)]
        command: Box<grafana::GrafanaCommand>,
    },
    /// Retention: expire old partitions (archiving them when configured) and old rows.
    Retention {
        #[command(subcommand)]
        command: retention::RetentionCommand,
    },
    /// Archived partitions: list them, restore one into the table `logs_restored`.
    Archive {
        #[command(subcommand)]
        command: archive::ArchiveCommand,
    },
    /// Erase one person's data from the live tables (GDPR): their rows are deleted and the
    /// identifier is replaced by [ERASED] wherever else it occurs; recorded in the audit log.
    Erase(erase::EraseArgs),
}

/// Parses the command line, loads the configuration and runs the subcommand.
pub fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let config = settings::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let _telemetry = telemetry::init(&config.telemetry)?;
        run(config, cli.command).await
    })
}

async fn run(config: Config, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => serve(config).await?,
        Command::Migrate => drop(store::migrate(&config).await?),
        Command::Tokens { command } => tokens::run(&config, command).await?,
        Command::Rules { command } => return Ok(rules::run(&config, command)),
        Command::Grafana { command } => grafana::run(*command).await?,
        Command::Erase(args) => erase::run(&config, args).await?,
        Command::Retention { command } => return retention::run(&config, command).await,
        Command::Archive { command } => archive::run(&config, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let running = app::start(config).await?;
    telemetry::shutdown_signal().await;
    tracing::info!("shutting down: finishing requests and committing the queue");
    running.stop().await?;
    tracing::info!("stopped");
    Ok(())
}
