//! The configuration as the components accept it: `config` reads the plain data, then each
//! component checks its own section with the check it runs when it is built (the retention
//! classes, the retention job, the dedup and redact steps, the metrics and the log metrics, the
//! receivers' allowed origins and trusted proxies).
//! Every command loads its configuration here, so that a bad setting stops it at startup with
//! an error naming the file and the key.

use std::path::Path;

use crate::auth::clients::{self, InvalidTrustedProxy};
use crate::config::{Config, ConfigError};
use crate::ingest::cross_site::{self, InvalidOrigin};
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
    Ok(load_named(path)?.0)
}

/// [`load`], with the name of where it came from: the file's path or `defaults`.
pub fn load_named(path: Option<&Path>) -> Result<(Config, String), ConfigError> {
    let (yaml, origin) = Config::read(path)?;
    let config = from_yaml_and_env(&yaml, &origin, std::env::vars())?;
    Ok((config, origin))
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
    #[error(transparent)]
    Origin(#[from] InvalidOrigin),
    #[error(transparent)]
    TrustedProxy(#[from] InvalidTrustedProxy),
}

/// Runs each component's check of its own section; the first error, naming the key.
pub fn check(config: &Config) -> Result<(), InvalidSection> {
    retention::check::check(&config.retention.classes)?;
    jobs::retention::check::check(&config.retention)?;
    dedup::check::check(&config.dedup)?;
    redact::check::check(&config.redaction)?;
    metrics::check::check(&config.metrics)?;
    log_metrics::check::check(&config.log_metrics, catalogue::all())?;
    cross_site::check(&config.access)?;
    clients::check(&config.access)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(yaml: &str) -> String {
        from_yaml_and_env(yaml, "x.yaml", std::iter::empty())
            .expect_err(yaml)
            .to_string()
    }

    #[test]
    fn each_component_refuses_its_section_naming_the_file_and_the_key() {
        let cases = [
            (
                "metrics:\n  max_series_per_metric: 0\n",
                "invalid config x.yaml: metrics.max_series_per_metric: must be greater than 0",
            ),
            (
                "retention:\n  interval_seconds: 0\n",
                "invalid config x.yaml: retention.interval_seconds: must be greater than 0",
            ),
            (
                "retention:\n  classes: []\n",
                "invalid config x.yaml: retention.classes: must end with class `standard`",
            ),
            (
                "dedup:\n  window_seconds: 0\n",
                "invalid config x.yaml: dedup.window_seconds: must be from 1 to 86400",
            ),
            (
                "redaction:\n  disabled_rules: [emial]\n",
                "invalid config x.yaml: redaction.disabled_rules: unknown rule `emial`",
            ),
            (
                "access:\n  allowed_origins: [console.example.com]\n",
                "invalid config x.yaml: access.allowed_origins[0]: \"console.example.com\"",
            ),
            (
                "log_metrics:\n- { name: exceptions_total, help: h, type: counter }\n",
                "invalid config x.yaml: log_metrics[0] (exceptions_total).name: collides",
            ),
        ];
        for (yaml, message) in cases {
            let error = error(yaml);
            assert!(error.starts_with(message), "{yaml}: {error}");
        }
    }

    #[test]
    fn the_defaults_pass_every_check() {
        assert_eq!(check(&Config::default()), Ok(()));
    }
}
