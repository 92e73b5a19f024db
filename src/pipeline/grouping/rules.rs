//! The `grouping.rules` of the configuration, compiled: the first rule whose patterns all match
//! an exception names its group.

use regex::Regex;

use crate::config::grouping::{FingerprintRule, GroupingConfig};

/// The compiled rules, in configuration order.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Compiled>,
}

#[derive(Debug, Clone)]
struct Compiled {
    fingerprint: String,
    exception_type: Option<Regex>,
    module: Option<Regex>,
    message: Option<Regex>,
    services: Vec<String>,
}

/// What a rule is matched against.
pub struct Subject<'a> {
    pub service: &'a str,
    pub exception_type: &'a str,
    /// The crashing frame's module; empty when the trace has no frames.
    pub module: &'a str,
    pub message: &'a str,
}

impl Rules {
    /// Compiles the rules; an error names the rule's key and what is wrong with it.
    pub fn from_config(config: &GroupingConfig) -> Result<Rules, String> {
        let compiled = config
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| compile(i, rule));
        Ok(Rules {
            rules: compiled.collect::<Result<_, _>>()?,
        })
    }

    /// The fingerprint of the first rule matching the subject.
    pub fn matching(&self, subject: &Subject) -> Option<&str> {
        let found = self.rules.iter().find(|rule| rule.matches(subject))?;
        Some(&found.fingerprint)
    }
}

impl Compiled {
    fn matches(&self, subject: &Subject) -> bool {
        let field =
            |pattern: &Option<Regex>, text: &str| pattern.as_ref().is_none_or(|p| p.is_match(text));
        (self.services.is_empty() || self.services.iter().any(|s| s == subject.service))
            && field(&self.exception_type, subject.exception_type)
            && field(&self.module, subject.module)
            && field(&self.message, subject.message)
    }
}

fn compile(index: usize, rule: &FingerprintRule) -> Result<Compiled, String> {
    let key = format!("grouping.rules[{index}]");
    if rule.fingerprint.trim().is_empty() {
        return Err(format!("{key}.fingerprint: must not be empty"));
    }
    let pattern = |name: &str, text: &Option<String>| {
        text.as_deref()
            .map(|text| Regex::new(text).map_err(|error| format!("{key}.{name}: {error}")))
            .transpose()
    };
    let compiled = Compiled {
        fingerprint: rule.fingerprint.clone(),
        exception_type: pattern("type", &rule.exception_type)?,
        module: pattern("module", &rule.module)?,
        message: pattern("message", &rule.message)?,
        services: rule.services.clone(),
    };
    if compiled.exception_type.is_none() && compiled.module.is_none() && compiled.message.is_none()
    {
        return Err(format!(
            "{key}: needs at least one of type, module and message"
        ));
    }
    Ok(compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(yaml: &str) -> Result<Rules, String> {
        let config: GroupingConfig = serde_yaml_ng::from_str(yaml).expect("valid YAML");
        Rules::from_config(&config)
    }

    #[test]
    fn the_first_matching_rule_names_the_group() {
        let rules = rules(
            "rules:\n- {fingerprint: db-outage, type: 'Timeout|ConnectionReset', services: [api]}\n- {fingerprint: any-timeout, message: timed out}",
        )
        .unwrap();
        let subject = |service, exception_type, message| Subject {
            service,
            exception_type,
            module: "",
            message,
        };
        assert_eq!(
            rules.matching(&subject("api", "ConnectionResetError", "x")),
            Some("db-outage")
        );
        assert_eq!(
            rules.matching(&subject("web", "TimeoutError", "timed out")),
            Some("any-timeout")
        );
        assert_eq!(
            rules.matching(&subject("web", "TimeoutError", "refused")),
            None
        );
    }

    #[test]
    fn invalid_rules_are_errors_naming_the_key() {
        let error = rules("rules:\n- {fingerprint: x, module: '('}").unwrap_err();
        assert!(error.starts_with("grouping.rules[0].module: "), "{error}");
        let error = rules("rules:\n- {fingerprint: x}").unwrap_err();
        assert!(error.contains("at least one"), "{error}");
        assert!(rules("rules:\n- {fingerprint: '', type: E}").is_err());
    }
}
