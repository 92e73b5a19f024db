//! `logbridge grafana provision`: pushes the Grafana datasources and dashboards to a running
//! Grafana over its HTTP API (see [`crate::grafana`]), pointing them at the Prometheus,
//! PostgreSQL and bridge given as flags (the docker-compose names by default).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::config::{MOVED_VARIABLES, Secret};
use crate::grafana::{self, DASHBOARDS_DIR, DATASOURCES_FILE, Options, Targets, provision};

/// The `grafana` subcommands.
#[derive(Debug, Subcommand)]
pub enum GrafanaCommand {
    /// Create or update the logbridge datasources and dashboards in a running Grafana.
    Provision(ProvisionArgs),
}

/// What `grafana provision` provisions, where, and what the datasources point at.
#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// Grafana's base URL, http:// or https://, e.g. http://localhost:3000.
    #[arg(long)]
    url: String,
    /// A service account token (Admin for datasources); sent as `Authorization: Bearer`.
    #[arg(long, env = "GRAFANA_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The folder holding grafana/ and dashboards/ (default: the current directory, else the
    /// binary's folder or its parents, else ../share/logbridge next to the binary).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The datasource provisioning file ($VAR and ${VAR} are read from the environment)
    /// [default: <dir>/grafana/provisioning/datasources/logbridge.yml].
    #[arg(long)]
    datasources: Option<PathBuf>,
    /// The folder of dashboard JSON files [default: <dir>/dashboards].
    #[arg(long)]
    dashboards: Option<PathBuf>,
    /// The uid of an existing Grafana folder to put the dashboards in (default: General).
    #[arg(long)]
    folder_uid: Option<String>,
    /// Prometheus as Grafana reaches it.
    #[arg(long, default_value = "http://prometheus:9090")]
    prometheus_url: String,
    /// PostgreSQL host:port as Grafana reaches it.
    #[arg(long, default_value = "postgres:5432")]
    postgres_host: String,
    /// The bridge's database.
    #[arg(long, default_value = "logbridge")]
    postgres_database: String,
    /// The read-only role Grafana logs in as (README: the Grafana role).
    #[arg(long, default_value = "logbridge_grafana")]
    postgres_user: String,
    /// The environment variable holding that role's password.
    #[arg(long, default_value = "GRAFANA_DB_PASSWORD")]
    postgres_password_env: String,
    /// A file holding that role's password (a trailing newline is ignored); wins over the
    /// variable.
    #[arg(long)]
    postgres_password_file: Option<PathBuf>,
    /// The bridge's Jaeger query root as Grafana reaches it.
    #[arg(long, default_value = "http://logbridge:4318/jaeger")]
    jaeger_url: String,
}

/// Runs one `grafana` subcommand, printing what it created or updated.
pub async fn run(command: GrafanaCommand) -> anyhow::Result<()> {
    let GrafanaCommand::Provision(args) = command;
    let options = options(args)?;
    tracing::info!(
        datasources = %options.datasources.display(),
        dashboards = %options.dashboards.display(),
        grafana = %options.url,
        "provisioning Grafana"
    );
    let summary = provision(&options, variable).await?;
    for line in summary.lines() {
        println!("{line}");
    }
    Ok(())
}

fn options(args: ProvisionArgs) -> anyhow::Result<Options> {
    let (datasources, dashboards) = match (args.datasources, args.dashboards) {
        (Some(datasources), Some(dashboards)) => (datasources, dashboards),
        (datasources, dashboards) => {
            let root = grafana::root(args.dir.as_deref())?;
            (
                datasources.unwrap_or_else(|| root.join(DATASOURCES_FILE)),
                dashboards.unwrap_or_else(|| root.join(DASHBOARDS_DIR)),
            )
        }
    };
    let (password, source) = password(
        args.postgres_password_file.as_deref(),
        &args.postgres_password_env,
    )?;
    let targets = Targets {
        prometheus_url: args.prometheus_url,
        postgres_host: args.postgres_host,
        postgres_database: args.postgres_database,
        postgres_user: args.postgres_user,
        postgres_password: password,
        password_source: source,
        jaeger_url: args.jaeger_url,
    };
    Ok(Options {
        url: args.url,
        token: args.token.as_deref().map(Secret::from),
        datasources,
        dashboards,
        folder_uid: args.folder_uid,
        targets,
    })
}

/// The Grafana role's password and where it came from: the file, else the variable (or the
/// name it had before, with a warning); empty when neither is set.
fn password(file: Option<&Path>, name: &str) -> anyhow::Result<(Secret, String)> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("--postgres-password-file {}", file.display()))?;
        let source = format!("file {}", file.display());
        return Ok((Secret::from(text.trim_end_matches(['\r', '\n'])), source));
    }
    let value = variable(name).unwrap_or_default();
    Ok((Secret::from(value.as_str()), format!("variable {name}")))
}

/// A variable of the environment; a moved one is also read under its old name, with a warning.
fn variable(name: &str) -> Option<String> {
    if let Ok(value) = std::env::var(name) {
        return Some(value);
    }
    let old = MOVED_VARIABLES.iter().find(|(_, new)| *new == name);
    if let Some((old, _)) = old
        && let Ok(value) = std::env::var(old)
    {
        tracing::warn!(
            variable = old,
            instead = name,
            "deprecated variable name; it will stop working in a later release"
        );
        return Some(value);
    }
    tracing::warn!(
        variable = name,
        "unset; interpolated as empty, as Grafana does"
    );
    None
}
