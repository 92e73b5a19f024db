//! The redact step, after sanitize: secrets and personal data are replaced in every record
//! before enrich reads it and before anything is stored or counted. Whole values under sensitive
//! keys ([`keys`]) and matches of value patterns in every string ([`patterns`]): the body, the
//! attributes and the resource at any depth, arrays included, and the service, scope and
//! severity text; and the same in every span ([`Redactor::redact_span`]). The resource, shared by the records of a request, is redacted once per request.

mod builtins;
pub mod check;
pub mod ip;
pub mod keys;
pub mod luhn;
mod patterns;
pub mod personal;
pub mod prefilter;
pub mod rules;
mod walk;
mod words;

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::RedactionConfig;
use crate::model::{Attributes, LogRecord, SpanRecord};

pub use check::InvalidRedaction;
pub use ip::truncate_ip;
use keys::KeyRules;
use patterns::Patterns;
use rules::{FIRST_KEY_RULE, Profile, RuleId};
use walk::Pass;

/// The configured redaction, built once and shared by every request.
#[derive(Debug, Clone)]
pub struct Redactor {
    names: Vec<String>,
    /// The replacement text of each rule.
    replacements: Vec<String>,
    keys: KeyRules,
    patterns: Patterns,
    profiles: Vec<Profile>,
    /// The profile of services not listed in `services`; `None`: not redacted.
    default: Option<usize>,
    services: HashMap<String, Option<usize>>,
}

/// What redaction did to one batch of records: counts per rule, and the last shared resource
/// redacted, so that the other records of its request reuse it. It also carries the sanitize
/// step's shared resource, the pipeline's other per-batch state.
#[derive(Debug)]
pub struct Redactions<'a> {
    names: &'a [String],
    counts: Vec<u64>,
    shared: Option<SharedResource>,
    pub(in crate::pipeline) sanitized: super::sanitize::SharedResource,
}

#[derive(Debug)]
struct SharedResource {
    /// Kept so that its address stays unique while it is compared.
    original: Arc<Attributes>,
    redacted: Arc<Attributes>,
    profile: usize,
}

impl Redactor {
    /// Checks the settings ([`check`]) and builds their rules; an invalid one is an error naming
    /// the key.
    pub fn from_config(config: &RedactionConfig) -> Result<Redactor, InvalidRedaction> {
        check::check(config)?;
        let names = rules::rule_names(config);
        let keys = KeyRules::new(rules::configured_keys(config), FIRST_KEY_RULE);
        let first_custom = names.len() - config.patterns.len();
        let patterns = Patterns::new(config, &keys, first_custom)?;
        let replacements = names
            .iter()
            .map(|name| config.replacement.replace("{rule}", name))
            .collect();
        let global = || config.disabled_rules.iter();
        let mut profiles = vec![Profile::new(&names, global())];
        let default = config.enabled.then_some(0);
        let mut services = HashMap::new();
        for (service, settings) in &config.services {
            let profile = match settings.enabled.unwrap_or(config.enabled) {
                false => None,
                true if settings.disabled_rules.is_empty() => Some(0),
                true => {
                    let disabled = global().chain(&settings.disabled_rules);
                    profiles.push(Profile::new(&names, disabled));
                    Some(profiles.len() - 1)
                }
            };
            services.insert(service.clone(), profile);
        }
        Ok(Redactor {
            names,
            replacements,
            keys,
            patterns,
            profiles,
            default,
            services,
        })
    }

    /// Every rule's name, in id order.
    pub fn rule_names(&self) -> &[String] {
        &self.names
    }

    /// An empty tally for one batch.
    pub fn batch(&self) -> Redactions<'_> {
        Redactions {
            names: &self.names,
            counts: vec![0; self.names.len()],
            shared: None,
            sanitized: Default::default(),
        }
    }

    /// The profile redacting `service`'s records; `None`: not redacted.
    fn profile_of(&self, service: &str) -> Option<usize> {
        let listed = match self.services.is_empty() {
            true => None,
            false => self.services.get(service),
        };
        listed.copied().unwrap_or(self.default)
    }

    /// Redacts one record in place, counting into `batch`.
    pub fn redact(&self, record: &mut LogRecord, batch: &mut Redactions) {
        let Some(profile_id) = self.profile_of(&record.service) else {
            return;
        };
        let mut pass = Pass::new(self, &self.profiles[profile_id], &mut batch.counts);
        pass.text(&mut record.body);
        pass.map(&mut record.attributes);
        pass.text(&mut record.service);
        pass.optional_text(&mut record.scope);
        pass.optional_text(&mut record.severity_text);
        self.redact_resource(&mut record.resource, profile_id, batch);
    }

    /// Redacts one span in place as a record is, with its service's profile: the name, status
    /// message, attributes, the events' names and attributes, the links' attributes, the
    /// service, scope and resource.
    pub fn redact_span(&self, span: &mut SpanRecord, batch: &mut Redactions) {
        let Some(profile_id) = self.profile_of(&span.service) else {
            return;
        };
        let mut pass = Pass::new(self, &self.profiles[profile_id], &mut batch.counts);
        pass.text(&mut span.name);
        pass.optional_text(&mut span.status.message);
        pass.map(&mut span.attributes);
        for event in &mut span.events {
            pass.text(&mut event.name);
            pass.map(&mut event.attributes);
        }
        for link in &mut span.links {
            pass.map(&mut link.attributes);
        }
        pass.text(&mut span.service);
        pass.optional_text(&mut span.scope);
        self.redact_resource(&mut span.resource, profile_id, batch);
    }

    /// Redacts a resource once per distinct `Arc`: the records of a request share one.
    fn redact_resource(
        &self,
        resource: &mut Arc<Attributes>,
        profile: usize,
        batch: &mut Redactions,
    ) {
        if resource.is_empty() {
            return;
        }
        let mut pass = Pass::new(self, &self.profiles[profile], &mut batch.counts);
        if let Some(map) = Arc::get_mut(resource) {
            pass.map(map);
            return;
        }
        if let Some(shared) = &batch.shared
            && shared.profile == profile
            && Arc::ptr_eq(resource, &shared.original)
        {
            *resource = Arc::clone(&shared.redacted);
            return;
        }
        let mut copy = Attributes::clone(resource);
        let original = Arc::clone(resource);
        if pass.map(&mut copy) {
            *resource = Arc::new(copy);
        }
        batch.shared = Some(SharedResource {
            original,
            redacted: Arc::clone(resource),
            profile,
        });
    }

    fn replacement(&self, rule: RuleId) -> &str {
        &self.replacements[rule]
    }
}

impl Redactions<'_> {
    /// The rules that redacted something, with their counts.
    pub fn counted(&self) -> impl Iterator<Item = (&str, u64)> {
        let counts = self.names.iter().zip(&self.counts);
        counts
            .filter(|(_, n)| **n > 0)
            .map(|(name, n)| (name.as_str(), *n))
    }
}

#[cfg(test)]
mod tests;
