//! `redaction:`: which secrets and personal data are replaced in every record before it is stored
//! or counted, and the validation that names the key and entry at fault.

use std::collections::{BTreeMap, HashSet};

use regex::Regex;
use serde::Deserialize;

use crate::pipeline::redact::rules::{self, Builtin, KEY_PREFIX};

/// The redaction step's settings; the defaults redact the built-in keys and patterns.
#[derive(Debug, Clone, Deserialize)]
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
}

/// What becomes of IP addresses found in text.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PatternConfig {
    /// The rule's name: lower case letters, digits and `_`, not a built-in rule's.
    pub name: String,
    /// The regex (Rust `regex` syntax), matched anywhere in every string.
    pub regex: String,
}

/// Redaction settings of one service.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
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
        }
    }
}

impl RedactionConfig {
    /// Checks names, regexes and rule references; the error names the key and entry.
    pub fn validate(&self) -> Result<(), String> {
        self.check_keys()?;
        self.check_patterns()?;
        let names = rules::rule_names(self);
        check_rules("redaction.disabled_rules", &self.disabled_rules, &names)?;
        for (service, settings) in &self.services {
            let key = format!("redaction.services.{service}.disabled_rules");
            check_rules(&key, &settings.disabled_rules, &names)?;
        }
        Ok(())
    }

    fn check_keys(&self) -> Result<(), String> {
        let mut seen = HashSet::new();
        let lists = [("keys", &self.keys), ("extra_keys", &self.extra_keys)];
        for (list, keys) in lists {
            for key in keys {
                let rule = rules::key_rule_name(key);
                if rule == KEY_PREFIX {
                    return Err(format!(
                        "redaction.{list}: `{key}` has no letters or digits"
                    ));
                }
                if !seen.insert(rule.clone()) {
                    return Err(format!(
                        "redaction.{list}: `{key}` is given twice (as {rule})"
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_patterns(&self) -> Result<(), String> {
        let mut seen = HashSet::new();
        for (i, pattern) in self.patterns.iter().enumerate() {
            let at =
                |reason: String| format!("redaction.patterns[{i}] \"{}\": {reason}", pattern.name);
            let name = &pattern.name;
            let valid_name = name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid_name {
                return Err(at(
                    "the name must be lower case letters, digits and _".into()
                ));
            }
            if Builtin::ALL.iter().any(|b| b.name() == name) || !seen.insert(name) {
                return Err(at("the name is taken by another rule".into()));
            }
            let regex = Regex::new(&pattern.regex).map_err(|e| at(e.to_string()))?;
            if regex.is_match("") {
                return Err(at("the regex matches the empty string".into()));
            }
        }
        Ok(())
    }
}

fn check_rules(key: &str, disabled: &[String], names: &[String]) -> Result<(), String> {
    match disabled.iter().find(|rule| !names.contains(rule)) {
        Some(unknown) => Err(format!(
            "{key}: unknown rule `{unknown}`; rules are {}",
            names.join(", ")
        )),
        None => Ok(()),
    }
}
