//! The rules the `dedup:` settings must follow, checked once when the dedup step is built; the
//! error names the key.

use crate::config::DedupConfig;
use crate::config::dedup::MAX_WINDOW_SECONDS;

/// A `dedup:` setting that cannot be used, naming its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDedup {
    #[error("dedup.window_seconds: must be from 1 to {MAX_WINDOW_SECONDS}")]
    Window,
    #[error("dedup.keep_open_seconds: must be at least dedup.window_seconds")]
    KeepOpen,
    #[error("dedup.services: a service name must not be empty")]
    EmptyService,
    /// An attribute of `key` (`dedup.attributes`, `dedup.services.<name>.attributes`).
    #[error("{key}[{index}]: must not be empty")]
    EmptyAttribute { key: String, index: usize },
    #[error("{key}[{index}]: `{attribute}` is listed twice")]
    AttributeTwice {
        key: String,
        index: usize,
        attribute: String,
    },
}

/// Checks the ranges and names.
pub fn check(config: &DedupConfig) -> Result<(), InvalidDedup> {
    if !(1..=MAX_WINDOW_SECONDS).contains(&config.window_seconds) {
        return Err(InvalidDedup::Window);
    }
    if config.keep_open_seconds < config.window_seconds {
        return Err(InvalidDedup::KeepOpen);
    }
    check_attributes("dedup.attributes", &config.attributes)?;
    for (service, settings) in &config.services {
        if service.is_empty() {
            return Err(InvalidDedup::EmptyService);
        }
        if let Some(attributes) = &settings.attributes {
            check_attributes(&format!("dedup.services.{service}.attributes"), attributes)?;
        }
    }
    Ok(())
}

fn check_attributes(key: &str, attributes: &[String]) -> Result<(), InvalidDedup> {
    for (index, attribute) in attributes.iter().enumerate() {
        if attribute.trim().is_empty() {
            let key = key.to_string();
            return Err(InvalidDedup::EmptyAttribute { key, index });
        }
        if attributes[..index].contains(attribute) {
            return Err(InvalidDedup::AttributeTwice {
                key: key.to_string(),
                index,
                attribute: attribute.clone(),
            });
        }
    }
    Ok(())
}
