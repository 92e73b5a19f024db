//! `logbridge config check [--config F]`: loads the configuration as `serve` would (file,
//! environment, every component's check) and prints each effective key with its value (secrets
//! hidden) and where it came from; exit status 1 with the error when it does not load.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use crate::config::explain::explain;
use crate::config::{Config, ConfigError};
use crate::settings;

/// The `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print every effective value with its source (file,
    /// environment variable or default); secrets are shown as ***.
    Check,
}

/// Runs `config check`; never needs the database.
pub fn run(path: Option<&Path>, command: ConfigCommand) -> ExitCode {
    let ConfigCommand::Check = command;
    match check(path) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The report of a configuration that loads, or why it does not.
fn check(path: Option<&Path>) -> Result<String, ConfigError> {
    let (yaml, origin) = Config::read(path)?;
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let config = settings::from_yaml_and_env(&yaml, &origin, vars.clone().into_iter())?;
    let entries =
        explain(&config, &yaml, &origin, &vars).map_err(|message| ConfigError::Invalid {
            origin: origin.clone(),
            message,
        })?;
    let width = entries.iter().map(|e| e.key.len()).max().unwrap_or(0);
    let mut text = format!("config: {origin}: valid\n");
    for entry in entries {
        text.push_str(&format!(
            "{:width$} = {}    ({})\n",
            entry.key, entry.value, entry.source
        ));
    }
    Ok(text)
}
