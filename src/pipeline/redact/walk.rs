//! The walk over one record's strings and JSON values: whole values under sensitive keys,
//! pattern matches in every other string (keys included), card numbers among integers.

use serde_json::Value;

use super::Redactor;
use super::luhn;
use super::rules::{Builtin, Profile, RuleId};
use crate::model::Attributes;

/// One record's redaction under one service's rules.
pub struct Pass<'a> {
    redactor: &'a Redactor,
    profile: &'a Profile,
    counts: &'a mut [u64],
}

impl<'a> Pass<'a> {
    pub fn new(redactor: &'a Redactor, profile: &'a Profile, counts: &'a mut [u64]) -> Pass<'a> {
        Pass {
            redactor,
            profile,
            counts,
        }
    }

    /// Redacts matches in a string; returns whether it changed.
    pub fn text(&mut self, text: &mut String) -> bool {
        match self.redacted(text) {
            Some(redacted) => {
                *text = redacted;
                true
            }
            None => false,
        }
    }

    pub fn optional_text(&mut self, text: &mut Option<String>) -> bool {
        text.as_mut().is_some_and(|text| self.text(text))
    }

    fn redacted(&mut self, text: &str) -> Option<String> {
        let redactor = self.redactor;
        let replacement = |rule: RuleId| redactor.replacement(rule);
        let patterns = &redactor.patterns;
        patterns.redact(text, self.profile, replacement, self.counts)
    }

    /// Redacts an object: values of sensitive keys whole, the rest recursively, and matches in
    /// keys (a key renamed onto an existing one replaces it). Returns whether it changed.
    pub fn map(&mut self, map: &mut Attributes) -> bool {
        let mut changed = false;
        let mut renamed = Vec::new();
        for (key, value) in map.iter_mut() {
            if let Some(rule) = self.redactor.keys.matching(key, self.profile) {
                self.replace(value, rule);
                changed = true;
                continue;
            }
            changed |= self.value(value);
            if let Some(new_key) = self.redacted(key) {
                renamed.push((key.clone(), new_key));
            }
        }
        for (old, new) in &renamed {
            if let Some(value) = map.remove(old) {
                map.insert(new.clone(), value);
            }
        }
        changed || !renamed.is_empty()
    }

    /// Redacts any JSON value; returns whether it changed.
    pub fn value(&mut self, value: &mut Value) -> bool {
        match value {
            Value::String(text) => self.text(text),
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| self.value(item) | changed),
            Value::Object(map) => self.map(map),
            Value::Number(n) => {
                let card = Builtin::CreditCard;
                let redact = self.profile.has(card) && n.as_u64().is_some_and(luhn::is_card_number);
                if redact {
                    self.replace(value, card.id());
                }
                redact
            }
            Value::Null | Value::Bool(_) => false,
        }
    }

    fn replace(&mut self, value: &mut Value, rule: RuleId) {
        *value = Value::String(self.redactor.replacement(rule).to_string());
        self.counts[rule] += 1;
    }
}
