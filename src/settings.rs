//! The configuration as the components accept it: `config` reads the plain data, then each
//! component checks its own section with the check it runs when it is built (the retention
//! classes, the retention job, the dedup and redact steps, the metrics and the log metrics). Every command loads its configuration here, so that a bad setting stops
//! it at startup with an error naming the file and the key.

use std::path::Path;

use crate::config::{Config, ConfigError};
use crate::jobs;
use crate::jobs::retention::check::InvalidRetentionJob;
use crate::metrics::check::InvalidMetricsSettings;
use crate::metrics::{self, InvalidLogMetric, catalogue, log_metrics};
use crate::pipeline::dedup::{self, InvalidDedup};
use crate::pipeline::redact::{self, InvalidRedaction};
use crate::pipeline::retention::{self, InvalidRetentionClass};

/// Loads `path`, else `./logbridge.yaml` if present, else defaults; applies the environment of
/// this process; then every component checks its section.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    let (yaml, origin) = Config::read(path)?;
    from_yaml_and_env(&yaml, &origin, std::env::vars())
}

/// Parses `yaml` (naming `origin` in errors), applies `vars` as overrides, then every
/// component checks its section.
pub fn from_yaml_and_env(
    yaml: &str,
    origin: &str,
    vars: impl Iterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let config = Config::from_yaml_and_env(yaml, origin, vars)?;
    check(&config).map_err(|error| ConfigError::Invalid {
        origin: origin.to_string(),
        message: error.to_string(),
    })?;
    Ok(config)
}

/// A component's section that the component refuses; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSection {
    #[error(transparent)]
    RetentionClass(#[from] InvalidRetentionClass),
    #[error(transparent)]
    RetentionJob(#[from] InvalidRetentionJob),
    #[error(transparent)]
    Dedup(#[from] InvalidDedup),
    #[error(transparent)]
    Redaction(#[from] InvalidRedaction),
    #[error(transparent)]
    Metrics(#[from] InvalidMetricsSettings),
    #[error(transparent)]
    LogMetric(#[from] InvalidLogMetric),
}

/// Runs each component's check of its own section; the first error, naming the key.
pub fn check(config: &Config) -> Result<(), InvalidSection> {
    retention::check::check(&config.retention.classes)?;
    jobs::retention::check::check(&config.retention)?;
    dedup::check::check(&config.dedup)?;
    redact::check::check(&config.redaction)?;
    metrics::check::check(&config.metrics)?;
    log_metrics::check::check(&config.log_metrics, catalogue::all())?;
    Ok(())
}
