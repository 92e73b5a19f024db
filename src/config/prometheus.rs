//! `prometheus:`: the Prometheus that evaluates `alert-rules/`, asked for each alert's state by
//! `GET /api/v1/monitoring/alerts/rules`; off without a URL.

use serde::{Deserialize, Serialize};

/// Where Prometheus answers its HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrometheusConfig {
    /// Base URL, e.g. `http://prometheus:9090`; none: alert states are not shown.
    pub url: Option<String>,
    /// Longest a request to Prometheus may take, in seconds.
    pub timeout_seconds: u64,
}

impl Default for PrometheusConfig {
    fn default() -> Self {
        PrometheusConfig {
            url: None,
            timeout_seconds: 5,
        }
    }
}

impl PrometheusConfig {
    /// The URL must be http(s) and the timeout positive.
    pub fn validate(&self) -> Result<(), String> {
        if self.timeout_seconds == 0 {
            return Err("prometheus.timeout_seconds: must be greater than 0".into());
        }
        match &self.url {
            Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => Err(
                format!("prometheus.url: {url:?} is not an http:// or https:// URL"),
            ),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_must_be_http_and_the_timeout_positive() {
        let with = |url: &str, timeout_seconds| PrometheusConfig {
            url: Some(url.to_string()),
            timeout_seconds,
        };
        assert!(with("http://prometheus:9090", 5).validate().is_ok());
        assert!(PrometheusConfig::default().validate().is_ok());
        let error = with("prometheus:9090", 5).validate().unwrap_err();
        assert!(error.starts_with("prometheus.url"), "{error}");
        assert!(with("https://p", 0).validate().is_err());
    }
}
