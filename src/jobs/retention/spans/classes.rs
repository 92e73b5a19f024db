//! Which retention class a span is in, and so how long a day of `spans` is kept. A span has no
//! level, category or exception column, so of `retention.classes` only those whose one
//! condition is `services` apply to it (first match wins, as for logs), and `standard` takes
//! the rest. A day partition holds spans of several classes and is dropped whole: it is kept
//! for the longest class of the spans it holds, so no span goes before its class's days (some
//! stay longer).

use crate::config::{RetentionClassConfig, RetentionConfig};
use crate::model::DEFAULT_RETENTION_CLASS;

/// A class as it applies to spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SpanClass {
    pub name: String,
    pub days: u32,
    /// Which spans it takes.
    pub takes: Takes,
}

/// The spans a class takes, by service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Takes {
    /// Spans of these services (those no earlier class took).
    Services(Vec<String>),
    /// Spans of every service not listed by a class before it.
    AllBut(Vec<String>),
}

/// The classes that apply to spans, in the order they match; the last is `standard`.
pub(super) fn span_classes(config: &RetentionConfig) -> Vec<SpanClass> {
    let mut listed: Vec<String> = Vec::new();
    let mut classes = Vec::new();
    for class in config.classes.iter().filter(|c| by_service_only(c)) {
        let services: Vec<String> = (class.services.iter())
            .filter(|service| !listed.contains(service))
            .cloned()
            .collect();
        listed.extend(services.iter().cloned());
        if !services.is_empty() {
            classes.push(SpanClass {
                name: class.name.clone(),
                days: class.days,
                takes: Takes::Services(services),
            });
        }
    }
    let standard = config
        .classes
        .iter()
        .find(|class| class.name == DEFAULT_RETENTION_CLASS);
    classes.push(SpanClass {
        name: DEFAULT_RETENTION_CLASS.to_string(),
        days: standard.map_or_else(|| config.longest_class_days(), |class| class.days),
        takes: Takes::AllBut(listed),
    });
    classes
}

/// Whether a class's only condition is its services.
fn by_service_only(class: &RetentionClassConfig) -> bool {
    !class.services.is_empty()
        && class.levels.is_empty()
        && class.categories.is_empty()
        && class.has_exception.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str, days: u32, services: &[&str]) -> RetentionClassConfig {
        let mut class: RetentionClassConfig =
            serde_json::from_value(serde_json::json!({"name": name, "days": days})).unwrap();
        class.services = services.iter().map(|s| s.to_string()).collect();
        class
    }

    #[test]
    fn the_default_classes_give_spans_the_standard_days() {
        let classes = span_classes(&RetentionConfig::default());
        assert_eq!(classes.len(), 1);
        assert_eq!(
            (classes[0].name.as_str(), classes[0].days),
            ("standard", 90)
        );
        assert_eq!(classes[0].takes, Takes::AllBut(Vec::new()));
    }

    #[test]
    fn classes_by_service_apply_first_match_and_the_others_do_not() {
        let mut payments = class("payments", 400, &["pay", "ledger"]);
        payments.levels = vec!["error".into()];
        let config = RetentionConfig {
            classes: vec![
                payments,
                class("audit", 365, &["ledger"]),
                class("noise", 3, &["health", "ledger"]),
                class("standard", 30, &[]),
            ],
            ..RetentionConfig::default()
        };
        let classes = span_classes(&config);
        let taken: Vec<(&str, u32, &Takes)> = classes
            .iter()
            .map(|c| (c.name.as_str(), c.days, &c.takes))
            .collect();
        let services = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            taken,
            [
                ("audit", 365, &Takes::Services(services(&["ledger"]))),
                ("noise", 3, &Takes::Services(services(&["health"]))),
                (
                    "standard",
                    30,
                    &Takes::AllBut(services(&["ledger", "health"]))
                ),
            ]
        );
    }
}
