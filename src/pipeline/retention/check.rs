//! The rules `retention.classes` must follow, checked once when the classes are compiled; the
//! error names the class and the key.

use std::collections::HashSet;

use crate::config::RetentionClassConfig;
use crate::config::retention::LEGACY_CLASS;
use crate::model::{DEFAULT_RETENTION_CLASS, Level};

/// Longest class name, so that partition names stay within PostgreSQL's 63 bytes.
const MAX_CLASS_NAME: usize = 31;

/// A retention class that cannot be used, naming it and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRetentionClass {
    /// One class breaks a rule.
    #[error("retention.classes[{index}] ({name}).{key}: {reason}")]
    Class {
        index: usize,
        name: String,
        key: &'static str,
        reason: String,
    },
    /// No class at all.
    #[error("retention.classes: must end with class `{DEFAULT_RETENTION_CLASS}` (no conditions)")]
    Empty,
    /// The last class is not an unconditional `standard`.
    #[error(
        "retention.classes[{index}] ({name}): the last class must be `{DEFAULT_RETENTION_CLASS}` \
         with no conditions, the class of every record no other class takes"
    )]
    LastNotDefault { index: usize, name: String },
    /// A class before the last has no condition.
    #[error(
        "retention.classes[{index}] ({name}): has no conditions, so no class after it would \
         ever match"
    )]
    Shadowing { index: usize, name: String },
}

/// Checks every class, their names' uniqueness and the unconditional last class.
pub fn check(classes: &[RetentionClassConfig]) -> Result<(), InvalidRetentionClass> {
    let mut seen = HashSet::new();
    for (index, class) in classes.iter().enumerate() {
        let at = |key: &'static str, reason: String| InvalidRetentionClass::Class {
            index,
            name: class.name.clone(),
            key,
            reason,
        };
        check_class(class).map_err(|(key, reason)| at(key, reason))?;
        if !seen.insert(class.name.as_str()) {
            return Err(at("name", "is defined twice".to_string()));
        }
    }
    check_default_class(classes)
}

type Invalid = (&'static str, String);

fn check_class(class: &RetentionClassConfig) -> Result<(), Invalid> {
    if !is_class_name(&class.name) {
        let reason = format!("must match [a-z][a-z0-9_]{{0,{}}}", MAX_CLASS_NAME - 1);
        return Err(("name", reason));
    }
    if class.name == LEGACY_CLASS {
        let reason = "is reserved for partitions made before retention classes".to_string();
        return Err(("name", reason));
    }
    if class.days == 0 {
        return Err(("days", "must be at least 1".to_string()));
    }
    let known = |name: &String| Level::ALL.iter().any(|level| level.as_str() == name);
    if let Some(unknown) = class.levels.iter().find(|name| !known(name)) {
        let reason = format!("`{unknown}` is not a level (trace, debug, info, warn, error, fatal)");
        return Err(("levels", reason));
    }
    Ok(())
}

/// `[a-z][a-z0-9_]{0,30}`.
fn is_class_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
    let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    first_ok && rest_ok && name.len() <= MAX_CLASS_NAME
}

/// The last class must be `standard` without conditions, and no other class may be
/// unconditional (it would shadow every class after it).
fn check_default_class(classes: &[RetentionClassConfig]) -> Result<(), InvalidRetentionClass> {
    let last = classes.len().saturating_sub(1);
    let Some(default) = classes.last() else {
        return Err(InvalidRetentionClass::Empty);
    };
    if default.name != DEFAULT_RETENTION_CLASS || !default.matches_everything() {
        return Err(InvalidRetentionClass::LastNotDefault {
            index: last,
            name: default.name.clone(),
        });
    }
    let shadowing = classes[..last].iter().position(|c| c.matches_everything());
    if let Some(index) = shadowing {
        return Err(InvalidRetentionClass::Shadowing {
            index,
            name: classes[index].name.clone(),
        });
    }
    Ok(())
}
