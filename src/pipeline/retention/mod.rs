//! The retention step, after enrich: the record's retention class (`retention.classes`, first
//! match wins), which decides its partition and so how long it is kept.

pub mod check;

use std::sync::Arc;

use serde_json::Value;

use crate::config::{RetentionClassConfig, RetentionConfig};
use crate::model::{DEFAULT_RETENTION_CLASS, Level, LogRecord};

use super::fields::Fields;
pub use check::InvalidRetentionClass;

/// The configured classes, compiled for the hot path: a level mask, and names shared by every
/// record of a class (assigning one is a reference-count increment).
#[derive(Debug, Clone)]
pub struct RetentionClasses {
    classes: Vec<Class>,
    default: Arc<str>,
}

#[derive(Debug, Clone)]
struct Class {
    name: Arc<str>,
    /// Bit `level as usize` set for each accepted level; every bit when any level will do.
    levels: u8,
    services: Vec<String>,
    /// Lower case.
    categories: Vec<String>,
    has_exception: Option<bool>,
}

impl RetentionClasses {
    /// Checks the classes ([`check`]) and compiles them; the unconditional last class is the
    /// default.
    pub fn from_config(
        config: &RetentionConfig,
    ) -> Result<RetentionClasses, InvalidRetentionClass> {
        check::check(&config.classes)?;
        Ok(RetentionClasses::compile(config))
    }

    /// Compiles checked classes.
    fn compile(config: &RetentionConfig) -> RetentionClasses {
        let (last, conditional) = match config.classes.split_last() {
            Some((last, rest)) if last.matches_everything() => (last.name.as_str(), rest),
            _ => (DEFAULT_RETENTION_CLASS, config.classes.as_slice()),
        };
        RetentionClasses {
            classes: conditional.iter().map(Class::new).collect(),
            default: Arc::from(last),
        }
    }

    /// The class of a record; `categories` is its category attribute aliases.
    pub fn classify(&self, record: &LogRecord, categories: &[String]) -> &Arc<str> {
        let mut category: Option<Option<&Value>> = None;
        for class in &self.classes {
            let plain = class.levels & level_bit(record.level) != 0
                && (class.services.is_empty() || class.services.contains(&record.service))
                && class
                    .has_exception
                    .is_none_or(|wanted| wanted == record.exception.is_some());
            if !plain {
                continue;
            }
            if class.categories.is_empty() {
                return &class.name;
            }
            // Looked up once, and only when a class asks for it.
            let value =
                *category.get_or_insert_with(|| Fields::new(&record.attributes).first(categories));
            if value.is_some_and(|value| class.has_category(value)) {
                return &class.name;
            }
        }
        &self.default
    }
}

impl Class {
    fn new(config: &RetentionClassConfig) -> Class {
        let levels = Level::ALL
            .into_iter()
            .filter(|level| {
                config.levels.is_empty() || config.levels.iter().any(|l| l == level.as_str())
            })
            .fold(0, |mask, level| mask | level_bit(level));
        Class {
            name: Arc::from(config.name.as_str()),
            levels,
            services: config.services.clone(),
            categories: config.categories.iter().map(|c| c.to_lowercase()).collect(),
            has_exception: config.has_exception,
        }
    }

    /// Whether a category value (a string, or an array of strings) names one of the class's.
    fn has_category(&self, value: &Value) -> bool {
        let named = |text: &str| {
            self.categories
                .iter()
                .any(|category| category.eq_ignore_ascii_case(text.trim()))
        };
        match value {
            Value::String(text) => named(text),
            Value::Array(items) => items.iter().filter_map(Value::as_str).any(named),
            _ => false,
        }
    }
}

fn level_bit(level: Level) -> u8 {
    1 << level as u8
}

#[cfg(test)]
mod tests;
