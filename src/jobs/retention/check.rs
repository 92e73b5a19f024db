//! The rules the retention job's settings must follow (`retention:` besides its classes),
//! checked once when the job is built; the error names the key.

use crate::config::RetentionConfig;

/// The shortest `audit_days`: the audit trail is kept at least 12 months.
const MIN_AUDIT_DAYS: u32 = 365;

/// A setting of the retention job that cannot be used, naming its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRetentionJob {
    /// A count that must be positive is 0.
    #[error("{key}: must be greater than 0")]
    NotPositive { key: &'static str },
    /// The audit trail would be kept less than a year.
    #[error(
        "retention.audit_days: must be at least {MIN_AUDIT_DAYS} (the audit trail is kept 12 months)"
    )]
    AuditTooShort,
}

/// Checks the schedule and the days each table keeps its rows.
pub fn check(config: &RetentionConfig) -> Result<(), InvalidRetentionJob> {
    let positive = [
        ("retention.interval_seconds", config.interval_seconds),
        (
            "retention.lock_timeout_seconds",
            config.lock_timeout_seconds,
        ),
        (
            "retention.exceptions_days",
            u64::from(config.exceptions_days),
        ),
        (
            "retention.alert_history_days",
            config.alert_history_days.into(),
        ),
        ("retention.rollup_days", config.rollup_days().into()),
        (
            "retention.anonymize_ips_after_days",
            config.anonymize_ips_after_days.map_or(1, u64::from),
        ),
    ];
    if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
        return Err(InvalidRetentionJob::NotPositive { key });
    }
    if config.audit_days < MIN_AUDIT_DAYS {
        return Err(InvalidRetentionJob::AuditTooShort);
    }
    Ok(())
}
