//! The `logbridge` command line: `serve`, `migrate`, `config`, `tokens`, `rules`, `grafana`,
//! `retention`, `archive` and `erase`, one file per subcommand.

mod archive;
mod config;
mod demo;
mod erase;
mod exceptions;
mod grafana;
mod logs;
mod retention;
mod rules;
mod tokens;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use rules::known as rules_known;

use crate::config::{Config, MOVED_VARIABLES};
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
    /// Create the database if missing, apply the migrations, print what was done and exit.
    Migrate,
    /// Validate the configuration and show where each value comes from.
    Config {
        #[command(subcommand)]
        command: config::ConfigCommand,
    },
    /// Send realistic traffic from five services over OTLP, JSON, Loki and Elasticsearch bulk.
    Demo(demo::DemoArgs),
    /// Read logs through a bridge's read API (token from LOGBRIDGE_TOKEN); --follow tails them.
    Logs(logs::LogsArgs),
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
    /// Exception groups: map groups of older fingerprint versions onto the current one.
    Exceptions {
        #[command(subcommand)]
        command: exceptions::ExceptionsCommand,
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
    if let Command::Config { command } = cli.command {
        return Ok(config::run(cli.config.as_deref(), command));
    }
    let (config, origin) = settings::load_named(cli.config.as_deref())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let _telemetry = telemetry::init(&config.telemetry)?;
        announce(&origin, &config, &cli.command);
        run(config, cli.command, cli.config).await
    })
}

/// Logs which configuration and database the command uses, and variables that moved.
fn announce(origin: &str, config: &Config, command: &Command) {
    if !matches!(
        command,
        Command::Rules { .. } | Command::Grafana { .. } | Command::Demo(_) | Command::Logs(_)
    ) {
        tracing::info!(
            config = origin,
            database = %config.database.url.url_without_password(),
            "configuration loaded"
        );
    }
    for (old, new) in MOVED_VARIABLES {
        if std::env::var_os(old).is_some() && std::env::var_os(new).is_none() {
            tracing::warn!(
                variable = old,
                instead = new,
                "deprecated variable name: it is not a config key; set the new name"
            );
        }
    }
}

async fn run(
    config: Config,
    command: Command,
    source: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => serve(config, source).await?,
        Command::Migrate => migrate(&config).await?,
        Command::Config { .. } => unreachable!("handled before the configuration is loaded"),
        Command::Demo(args) => demo::run(args).await?,
        Command::Logs(args) => logs::run(args).await?,
        Command::Tokens { command } => tokens::run(&config, command).await?,
        Command::Rules { command } => return Ok(rules::run(&config, command)),
        Command::Grafana { command } => grafana::run(*command).await?,
        Command::Erase(args) => erase::run(&config, args).await?,
        Command::Retention { command } => return retention::run(&config, command).await,
        Command::Archive { command } => archive::run(&config, command).await?,
        Command::Exceptions { command } => exceptions::run(&config, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `migrate`: prepares the database and prints what it did.
async fn migrate(config: &Config) -> anyhow::Result<()> {
    let (_pool, prepared) = store::migrate_reporting(config).await?;
    let target = config.database.url.url_without_password();
    if prepared.created {
        println!("created database {target}");
    }
    for migration in &prepared.applied {
        println!("applied migration {migration}");
    }
    match prepared.substring_index {
        Some(store::substring_index::Change::Created) => {
            println!("created the substring index logs_body_trgm_idx (storage.substring_index)")
        }
        Some(store::substring_index::Change::Dropped) => {
            println!("dropped the substring index logs_body_trgm_idx (storage.substring_index off)")
        }
        None => {}
    }
    println!(
        "database {target}: {} migration(s) applied now, {} in all, schema up to date",
        prepared.applied.len(),
        prepared.total
    );
    Ok(())
}

async fn serve(config: Config, source: Option<PathBuf>) -> anyhow::Result<()> {
    let running = app::start_from(config, source).await?;
    telemetry::shutdown_signal().await;
    tracing::info!("shutting down: finishing requests and committing the queue");
    running.stop().await?;
    tracing::info!("stopped");
    Ok(())
}
