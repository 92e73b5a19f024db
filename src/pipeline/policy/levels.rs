//! Minimum levels by scope prefix, service and environment: the most specific match wins.

use std::collections::HashMap;

use crate::config::policy::LevelsConfig;
use crate::model::{Attributes, Level, LogRecord};
use crate::pipeline::fields;

/// The resource attributes naming the deployment environment, newest convention first.
const ENVIRONMENT_KEYS: [&str; 2] = ["deployment.environment.name", "deployment.environment"];

/// The configured minimum levels, compiled for lookup.
#[derive(Debug, Clone)]
pub struct MinimumLevels {
    default: Level,
    /// Longest prefix first, so the first match is the most specific.
    scopes: Vec<(String, Level)>,
    services: HashMap<String, Level>,
    environments: HashMap<String, Level>,
    /// The record attributes naming the environment when the resource does not.
    environment_aliases: Vec<String>,
}

impl MinimumLevels {
    pub fn from_config(config: &LevelsConfig, environment_aliases: &[String]) -> MinimumLevels {
        let mut scopes: Vec<(String, Level)> = (config.scopes.iter())
            .map(|(prefix, level)| (prefix.clone(), (*level).into()))
            .collect();
        scopes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        let compile = |map: &std::collections::BTreeMap<_, _>| {
            (map.iter())
                .map(|(name, level): (&String, &_)| (name.clone(), Level::from(*level)))
                .collect()
        };
        MinimumLevels {
            default: config.default.into(),
            scopes,
            services: compile(&config.services),
            environments: compile(&config.environments),
            environment_aliases: environment_aliases.to_vec(),
        }
    }

    /// Whether every record passes (no minimum above `trace`).
    pub fn keeps_all(&self) -> bool {
        let lowest = |level: &Level| *level == Level::Trace;
        lowest(&self.default)
            && self.scopes.iter().all(|(_, level)| lowest(level))
            && self.services.values().all(lowest)
            && self.environments.values().all(lowest)
    }

    /// The minimum level of a record: its scope's, else its service's, else its environment's,
    /// else the default.
    pub fn minimum(&self, record: &LogRecord) -> Level {
        if let Some(level) = self.of_scope(record.scope.as_deref()) {
            return level;
        }
        if let Some(level) = self.services.get(&record.service) {
            return *level;
        }
        self.of_environment(record).unwrap_or(self.default)
    }

    fn of_scope(&self, scope: Option<&str>) -> Option<Level> {
        let scope = scope?;
        let mut matching = self.scopes.iter();
        let (_, level) = matching.find(|(prefix, _)| scope.starts_with(prefix.as_str()))?;
        Some(*level)
    }

    fn of_environment(&self, record: &LogRecord) -> Option<Level> {
        if self.environments.is_empty() {
            return None;
        }
        let named = environment_of(&record.resource, &self.environment_aliases)
            .or_else(|| environment_of(&record.attributes, &self.environment_aliases))?;
        self.environments.get(named).copied()
    }
}

/// The environment a map names: the resource keys, else the aliases.
fn environment_of<'a>(map: &'a Attributes, aliases: &[String]) -> Option<&'a str> {
    let mut named = ENVIRONMENT_KEYS.iter().filter_map(|key| map.get(*key));
    let value = named.next().or_else(|| fields::first(map, aliases))?;
    value.as_str()
}
