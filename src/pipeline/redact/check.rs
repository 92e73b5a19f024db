//! The rules the `redaction:` settings must follow, checked once when the redactor is built;
//! the error names the key and the entry at fault.

use std::collections::HashSet;

use regex::Regex;

use super::rules::{self, Builtin, KEY_PREFIX};
use crate::config::RedactionConfig;

/// A `redaction:` setting that cannot be used, naming its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRedaction {
    /// A sensitive key without a word to match.
    #[error("redaction.{list}: `{key}` has no letters or digits")]
    KeyWithoutWords { list: &'static str, key: String },
    /// Two sensitive keys of the same words.
    #[error("redaction.{list}: `{key}` is given twice (as {rule})")]
    KeyTwice {
        list: &'static str,
        key: String,
        rule: String,
    },
    /// A pattern with a bad name or regex.
    #[error("redaction.patterns[{index}] \"{name}\": {reason}")]
    Pattern {
        index: usize,
        name: String,
        reason: String,
    },
    /// A disabled rule that does not exist; `key` is the list naming it.
    #[error("{key}: unknown rule `{rule}`; rules are {known}")]
    UnknownRule {
        key: String,
        rule: String,
        known: String,
    },
    /// The patterns together do not compile (a size limit).
    #[error("redaction.patterns: {0}")]
    Patterns(String),
}

/// Checks names, regexes and rule references.
pub fn check(config: &RedactionConfig) -> Result<(), InvalidRedaction> {
    check_keys(config)?;
    check_patterns(config)?;
    let names = rules::rule_names(config);
    check_rules("redaction.disabled_rules", &config.disabled_rules, &names)?;
    for (service, settings) in &config.services {
        let key = format!("redaction.services.{service}.disabled_rules");
        check_rules(&key, &settings.disabled_rules, &names)?;
    }
    Ok(())
}

fn check_keys(config: &RedactionConfig) -> Result<(), InvalidRedaction> {
    let mut seen = HashSet::new();
    let lists = [("keys", &config.keys), ("extra_keys", &config.extra_keys)];
    for (list, keys) in lists {
        for key in keys {
            let rule = rules::key_rule_name(key);
            let key = key.clone();
            if rule == KEY_PREFIX {
                return Err(InvalidRedaction::KeyWithoutWords { list, key });
            }
            if !seen.insert(rule.clone()) {
                return Err(InvalidRedaction::KeyTwice { list, key, rule });
            }
        }
    }
    Ok(())
}

fn check_patterns(config: &RedactionConfig) -> Result<(), InvalidRedaction> {
    let mut seen = HashSet::new();
    for (index, pattern) in config.patterns.iter().enumerate() {
        let at = |reason: String| InvalidRedaction::Pattern {
            index,
            name: pattern.name.clone(),
            reason,
        };
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

fn check_rules(key: &str, disabled: &[String], names: &[String]) -> Result<(), InvalidRedaction> {
    match disabled.iter().find(|rule| !names.contains(rule)) {
        Some(unknown) => Err(InvalidRedaction::UnknownRule {
            key: key.to_string(),
            rule: unknown.clone(),
            known: names.join(", "),
        }),
        None => Ok(()),
    }
}
