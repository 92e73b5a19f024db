//! The rules the `metrics:` settings must follow, checked once when the metrics are built; the
//! error names the key.

use crate::config::MetricsConfig;

/// A `metrics:` setting that cannot be used, naming its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMetricsSettings {
    /// The series cap is 0.
    #[error("metrics.max_series_per_metric: must be greater than 0")]
    NoSeries,
    /// A slow threshold that is not a positive number of seconds.
    #[error("{key}: must be a positive number of seconds")]
    Threshold { key: &'static str },
    /// A span setting out of its range.
    #[error("{key}: must be between {min} and {max}")]
    OutOfRange {
        key: &'static str,
        min: u64,
        max: u64,
    },
}

/// The longest span window and service-graph wait: a day.
const MAX_WINDOW_SECONDS: u64 = 86_400;
/// The most spans the service-graph pairing store may hold.
const MAX_GRAPH_ITEMS: u64 = 10_000_000;

/// Checks the series cap, the slow thresholds and the span settings.
pub fn check(config: &MetricsConfig) -> Result<(), InvalidMetricsSettings> {
    if config.max_series_per_metric == 0 {
        return Err(InvalidMetricsSettings::NoSeries);
    }
    check_spans(config)?;
    let thresholds = [
        ("metrics.slow_request_seconds", config.slow_request_seconds),
        ("metrics.slow_query_seconds", config.slow_query_seconds),
    ];
    match thresholds
        .into_iter()
        .find(|(_, seconds)| !(seconds.is_finite() && *seconds > 0.0))
    {
        Some((key, _)) => Err(InvalidMetricsSettings::Threshold { key }),
        None => Ok(()),
    }
}

/// The span window, the service-graph wait and the pairing store's size, each in its range.
fn check_spans(config: &MetricsConfig) -> Result<(), InvalidMetricsSettings> {
    let ranges = [
        (
            "metrics.span_window_seconds",
            config.span_window_seconds,
            1,
            MAX_WINDOW_SECONDS,
        ),
        (
            "metrics.service_graph_wait_seconds",
            config.service_graph_wait_seconds,
            1,
            MAX_WINDOW_SECONDS,
        ),
        (
            "metrics.service_graph_max_items",
            config.service_graph_max_items as u64,
            1,
            MAX_GRAPH_ITEMS,
        ),
    ];
    match ranges
        .into_iter()
        .find(|(_, value, min, max)| !(min..=max).contains(&value))
    {
        Some((key, _, min, max)) => Err(InvalidMetricsSettings::OutOfRange { key, min, max }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_cap_and_bad_thresholds_name_the_key() {
        let with = |adjust: fn(&mut MetricsConfig)| {
            let mut config = MetricsConfig::default();
            adjust(&mut config);
            check(&config).map_err(|e| e.to_string())
        };
        assert_eq!(with(|_| ()), Ok(()));
        let zero = with(|c| c.max_series_per_metric = 0).unwrap_err();
        assert_eq!(
            zero,
            "metrics.max_series_per_metric: must be greater than 0"
        );
        let negative = with(|c| c.slow_query_seconds = -1.0).unwrap_err();
        assert_eq!(
            negative,
            "metrics.slow_query_seconds: must be a positive number of seconds"
        );
        let infinite = with(|c| c.slow_request_seconds = f64::INFINITY).unwrap_err();
        assert!(
            infinite.starts_with("metrics.slow_request_seconds"),
            "{infinite}"
        );
    }

    #[test]
    fn span_settings_out_of_range_name_the_key() {
        let with = |adjust: fn(&mut MetricsConfig)| {
            let mut config = MetricsConfig::default();
            adjust(&mut config);
            check(&config).map_err(|e| e.to_string())
        };
        assert_eq!(
            with(|c| c.span_window_seconds = 0).unwrap_err(),
            "metrics.span_window_seconds: must be between 1 and 86400"
        );
        let wait = with(|c| c.service_graph_wait_seconds = 86_401).unwrap_err();
        assert!(
            wait.starts_with("metrics.service_graph_wait_seconds"),
            "{wait}"
        );
        let items = with(|c| c.service_graph_max_items = 0).unwrap_err();
        assert!(
            items.starts_with("metrics.service_graph_max_items"),
            "{items}"
        );
    }
}
