//! `redaction:`: which secrets and personal data are replaced in every record before it is stored
//! or counted. The redact step checks them when it is built (`pipeline::redact::check`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The redaction step's settings; the defaults redact the built-in keys and patterns.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactionConfig {
    /// Whether records are redacted at all; `services.<name>.enabled` overrides it per service.
    pub enabled: bool,
    /// What replaces a secret; `{rule}` in it becomes the rule's name (`[REDACTED:{rule}]`).
    pub replacement: String,
    /// Attribute keys (in `attributes` and `resource`, at any depth) whose whole value is
    /// replaced. A key matches when its last words are these words: `password` catches
    /// `db.password`, `user_password` and `userPassword`, not `password_hash`. Setting the list
    /// replaces the defaults.
    pub keys: Vec<String>,
    /// Keys redacted in addition to `keys`.
    pub extra_keys: Vec<String>,
    /// IP addresses in text: `keep`, `truncate` (last IPv4 octet and last 80 bits of IPv6
    /// zeroed) or `redact`.
    pub ip_addresses: IpMode,
    /// Extra value patterns, each a `name` (its rule name) and a `regex`; a group named
    /// `secret` limits the replacement to that group.
    pub patterns: Vec<PatternConfig>,
    /// Rules off for every service: built-in names (`email`, `jwt`, ...), `key:<words>`
    /// (`key:api_key`) or a pattern's name.
    pub disabled_rules: Vec<String>,
    /// Settings per service name.
    pub services: BTreeMap<String, ServiceRedaction>,
    /// Attribute keys holding page URLs whose query string and fragment (`?token=...`,
    /// `#access_token=...`) are dropped before anything else sees them; `[page.url]` (what
    /// the Faro Web SDK sends) by default, `[]` keeps them.
    pub strip_url_queries: Vec<String>,
}

/// What becomes of IP addresses found in text.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IpMode {
    /// Left as they are.
    Keep,
    /// The last IPv4 octet and the last 80 bits of IPv6 zeroed.
    Truncate,
    /// Replaced like any other secret.
    Redact,
}

/// A configured value pattern.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PatternConfig {
    /// The rule's name: lower case letters, digits and `_`, not a built-in rule's.
    pub name: String,
    /// The regex (Rust `regex` syntax), matched anywhere in every string.
    pub regex: String,
}

/// Redaction settings of one service.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceRedaction {
    /// Whether the service's records are redacted; unset: as `redaction.enabled`.
    pub enabled: Option<bool>,
    /// Rules off for this service, besides `redaction.disabled_rules`.
    pub disabled_rules: Vec<String>,
}

/// The default sensitive keys.
pub const DEFAULT_KEYS: [&str; 21] = [
    "password",
    "passwd",
    "passphrase",
    "password_confirmation",
    "secret",
    "secret_key",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "authorization",
    "cookie",
    "set-cookie",
    "session",
    "credit_card",
    "card_number",
    "cvv",
    "ssn",
];

impl Default for RedactionConfig {
    fn default() -> Self {
        RedactionConfig {
            enabled: true,
            replacement: "***REDACTED***".to_string(),
            keys: DEFAULT_KEYS.map(String::from).to_vec(),
            extra_keys: Vec::new(),
            ip_addresses: IpMode::Keep,
            patterns: Vec::new(),
            disabled_rules: Vec::new(),
            services: BTreeMap::new(),
            strip_url_queries: vec!["page.url".to_string()],
        }
    }
}
