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
}

/// Checks the series cap and the slow thresholds.
pub fn check(config: &MetricsConfig) -> Result<(), InvalidMetricsSettings> {
    if config.max_series_per_metric == 0 {
        return Err(InvalidMetricsSettings::NoSeries);
    }
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
}
