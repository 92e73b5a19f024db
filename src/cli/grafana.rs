//! `logbridge grafana provision`: pushes the repository's Grafana datasources and dashboards to
//! a running Grafana over its HTTP API (see [`crate::grafana`]).

use std::path::PathBuf;

use clap::Subcommand;

use crate::config::Secret;
use crate::grafana::{Options, provision};

/// The `grafana` subcommands.
#[derive(Debug, Subcommand)]
pub enum GrafanaCommand {
    /// Create or update the logbridge datasources and dashboards in a running Grafana.
    Provision {
        /// Grafana's base URL, e.g. http://localhost:3000.
        #[arg(long)]
        url: String,
        /// A service account token (Admin for datasources); sent as `Authorization: Bearer`.
        #[arg(long, env = "GRAFANA_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// The datasource provisioning file ($VAR and ${VAR} are read from the environment).
        #[arg(long, default_value = "grafana/provisioning/datasources/logbridge.yml")]
        datasources: PathBuf,
        /// The folder of dashboard JSON files.
        #[arg(long, default_value = "dashboards")]
        dashboards: PathBuf,
        /// The uid of an existing Grafana folder to put the dashboards in (default: General).
        #[arg(long)]
        folder_uid: Option<String>,
    },
}

/// Runs one `grafana` subcommand, printing what it created or updated.
pub async fn run(command: GrafanaCommand) -> anyhow::Result<()> {
    let GrafanaCommand::Provision {
        url,
        token,
        datasources,
        dashboards,
        folder_uid,
    } = command;
    let options = Options {
        url,
        token: token.as_deref().map(Secret::from),
        datasources,
        dashboards,
        folder_uid,
    };
    let env = |name: &str| {
        let value = std::env::var(name).ok();
        if value.is_none() {
            tracing::warn!(
                variable = name,
                "unset; interpolated as empty, as Grafana does"
            );
        }
        value
    };
    let summary = provision(&options, env).await?;
    for line in summary.lines() {
        println!("{line}");
    }
    Ok(())
}
