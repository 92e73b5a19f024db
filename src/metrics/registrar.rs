//! Registration of declared metrics: a component registers each [`MetricInfo`] it declares
//! through a [`Registrar`], which names it in the prometheus-client registry (or a prefixed
//! sub-registry) and records it in the catalogue.

use prometheus_client::registry::{Metric, Registry};

use super::catalogue::{Kind, MetricInfo, Unit};

/// A registry, or a prefixed sub-registry of it, and the catalogue of what was registered.
pub struct Registrar<'a> {
    registry: &'a mut Registry,
    /// The sub-registry's prefix with its trailing `_`; empty at the root.
    prefix: String,
    declared: &'a mut Vec<MetricInfo>,
}

impl<'a> Registrar<'a> {
    /// Registers into `registry`, recording each declaration in `declared`.
    pub fn new(registry: &'a mut Registry, declared: &'a mut Vec<MetricInfo>) -> Registrar<'a> {
        Registrar {
            registry,
            prefix: String::new(),
            declared,
        }
    }

    /// The registrar of a sub-registry whose metric names all start with `prefix` and `_`.
    pub fn sub_registry(&mut self, prefix: &str) -> Registrar<'_> {
        Registrar {
            registry: self.registry.sub_registry_with_prefix(prefix),
            prefix: format!("{}{prefix}_", self.prefix),
            declared: self.declared,
        }
    }

    /// Registers `metric` as `info` declares it, and lists it in the catalogue.
    pub fn register(&mut self, info: &MetricInfo, metric: impl Metric) {
        let name = registered_name(info, &self.prefix);
        match info.unit {
            Some(unit) => self
                .registry
                .register_with_unit(name, info.help, to_unit(unit), metric),
            None => self.registry.register(name, info.help, metric),
        }
        self.declared.push(*info);
    }

    /// What was registered so far, in order.
    pub fn declared(&self) -> &[MetricInfo] {
        self.declared
    }

    /// The registry itself, for metrics named at runtime (the configured log metrics).
    pub fn registry(&mut self) -> &mut Registry {
        self.registry
    }
}

fn to_unit(unit: Unit) -> prometheus_client::registry::Unit {
    match unit {
        Unit::Seconds => prometheus_client::registry::Unit::Seconds,
        Unit::Bytes => prometheus_client::registry::Unit::Bytes,
    }
}

/// The name prometheus-client is given: the exposed name without the registry's prefix, a
/// counter's `_total` and the unit, which it adds back.
pub(super) fn registered_name<'n>(info: &'n MetricInfo, prefix: &str) -> &'n str {
    let unit_suffix = match info.unit {
        Some(Unit::Seconds) => "_seconds",
        Some(Unit::Bytes) => "_bytes",
        None => "",
    };
    let total_suffix = if info.kind == Kind::Counter {
        "_total"
    } else {
        ""
    };
    info.name
        .strip_prefix(prefix)
        .and_then(|name| name.strip_suffix(total_suffix))
        .and_then(|name| name.strip_suffix(unit_suffix))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "metric {} must start with `{prefix}` and end in `{unit_suffix}{total_suffix}`",
                info.name
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_names_lose_the_prefix_the_unit_and_total() {
        let queue = MetricInfo::gauge("logbridge_queue_bytes", &[], "h").with_unit(Unit::Bytes);
        assert_eq!(registered_name(&queue, "logbridge_"), "queue");
        let runs = MetricInfo::counter("logbridge_retention_runs_total", &[], "h");
        assert_eq!(registered_name(&runs, "logbridge_retention_"), "runs");
        let logs = MetricInfo::counter("log_records_total", &[], "h");
        assert_eq!(registered_name(&logs, ""), "log_records");
    }

    #[test]
    #[should_panic(expected = "must start with `logbridge_`")]
    fn a_name_outside_the_prefix_is_a_programming_error() {
        let logs = MetricInfo::counter("log_records_total", &[], "h");
        registered_name(&logs, "logbridge_");
    }
}
