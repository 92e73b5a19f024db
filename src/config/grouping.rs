//! `grouping:`: exception groups set by rule, as Sentry's fingerprint rules allow. The grouping
//! step compiles the rules when the pipeline is built (`pipeline::grouping::Rules`).

use serde::{Deserialize, Serialize};

/// Custom exception grouping; no rules by default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupingConfig {
    /// Rules tried in order: the first whose every pattern matches puts the exception in the
    /// group named by its `fingerprint` (one per service). An `exception.fingerprint` attribute
    /// on the record or span event wins over every rule.
    pub rules: Vec<FingerprintRule>,
}

/// One rule: at least one of `type`, `module` and `message`, each a regular expression that
/// must match somewhere in its field (anchor it with `^...$` for a whole match).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FingerprintRule {
    /// The name of the group the matching exceptions share.
    pub fingerprint: String,
    /// Pattern for the exception type, e.g. `Timeout|ConnectionReset`.
    #[serde(default, rename = "type")]
    pub exception_type: Option<String>,
    /// Pattern for the module (class, package or file) of the crashing application frame.
    #[serde(default)]
    pub module: Option<String>,
    /// Pattern for the exception message.
    #[serde(default)]
    pub message: Option<String>,
    /// The services the rule applies to; empty means every service.
    #[serde(default)]
    pub services: Vec<String>,
}
