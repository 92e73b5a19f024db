//! The `logbridge` command line: `serve`, `migrate`, `tokens`, `rules`, `grafana`, `retention`,
//! `archive` and `erase`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use logbridge::auth::commands::{self as tokens, TokensCommand};
use logbridge::config::Config;
use logbridge::grafana::{self, GrafanaCommand};
use logbridge::rules::command::{self as rules, RulesCommand};
use logbridge::store::archive::command::{self as archive, ArchiveCommand};
use logbridge::store::erase::{MIN_FREE_TEXT_LEN, Subject};
use logbridge::store::retention::command::{self as retention, RetentionCommand};
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
    /// Retention: expire old partitions (archiving them when configured) and old rows.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Archived partitions: list them, restore one into the table `logs_restored`.
    Archive {
        #[command(subcommand)]
        command: ArchiveCommand,
    },
    /// Erase one person's data from the live tables (GDPR): their rows are deleted and the
    /// identifier is replaced by [ERASED] wherever else it occurs; recorded in the audit log.
    Erase(EraseArgs),
}

/// Whom `erase` is about: exactly one of the two.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct EraseArgs {
    /// The user id, as stored in the `user_id` column.
    #[arg(long)]
    user_id: Option<String>,
    /// An e-mail address (matched case-insensitively).
    #[arg(long)]
    email: Option<String>,
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
            Command::Erase(args) => erase(&config, args).await?,
            Command::Retention { command } => return retention::run(&config, command).await,
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

async fn erase(config: &Config, args: EraseArgs) -> anyhow::Result<()> {
    let subject = match (args.user_id, args.email) {
        (Some(id), _) => Subject::UserId(id),
        (None, Some(email)) => Subject::Email(email),
        (None, None) => unreachable!("clap requires one of --user-id and --email"),
    };
    let pool = store::migrate(config).await?;
    let report = store::erase::erase(&pool, &subject).await?;
    for table in &report.tables {
        println!(
            "{}: {} rows deleted, {} rows redacted",
            table.table, table.deleted, table.redacted
        );
    }
    println!(
        "erased: {} rows deleted, {} rows redacted",
        report.deleted(),
        report.redacted()
    );
    if !report.free_text_searched {
        println!(
            "note: identifiers shorter than {MIN_FREE_TEXT_LEN} characters are replaced only as whole values, not inside free text"
        );
    }
    Ok(())
}
