//! `logbridge rules check [PATH...]`: prints each problem as `file:line: message`, or a
//! one-line summary when there is none.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;
use crate::metrics::log_metrics;
use crate::rules::{Known, check};

/// The `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check Prometheus rule files: YAML, PromQL, and that every metric and label they name is
    /// exported by the bridge, recorded by a rule, or listed in rules.external_metrics.
    Check {
        /// Rule files, or directories of *.yml/*.yaml (their `tests` directories are skipped).
        #[arg(default_value = "alert-rules/")]
        paths: Vec<PathBuf>,
    },
}

/// Runs one `rules` subcommand; fails (exit code 1) when any problem was found.
/// What rule files may use: the catalogue, `rules.external_metrics` and the metrics the
/// `log_metrics:` configuration derives from logs.
pub fn known(config: &Config) -> Known {
    let mut known = Known::from_config(&config.rules);
    for metric in log_metrics::catalogue(&config.log_metrics) {
        known.add_metric(&metric.name, metric.kind, &metric.labels);
    }
    known
}

pub fn run(config: &Config, command: RulesCommand) -> ExitCode {
    let RulesCommand::Check { paths } = command;
    let report = check(&paths, &known(config));
    for problem in &report.problems {
        println!("{problem}");
    }
    if !report.problems.is_empty() {
        eprintln!("{} problem(s) found", report.problems.len());
        return ExitCode::FAILURE;
    }
    println!(
        "{} file(s), {} recording and {} alerting rules: no problems",
        report.files, report.recording_rules, report.alerting_rules
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_metrics_of_the_configuration_are_known() {
        let rule = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum by (shop) (increase(checkout_fail_total[5m])) > 1\n";
        let source = || crate::rules::Source {
            file: "r.yml".into(),
            text: rule.to_string(),
        };
        let without = crate::rules::check_sources(&[source()], &known(&Config::default()));
        assert_eq!(without.problems.len(), 1, "{:?}", without.problems);
        let yaml = "log_metrics:\n- name: checkout_fail_total\n  help: h\n  type: counter\n  labels: [{name: shop, from: service}]\n";
        let config = Config::from_yaml_and_env(yaml, "t", std::iter::empty()).unwrap();
        let with = crate::rules::check_sources(&[source()], &known(&config));
        assert!(with.problems.is_empty(), "{:?}", with.problems);
    }

    #[test]
    fn the_shipped_alerts_need_the_default_log_metric() {
        let rules = [PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("alert-rules")];
        let with_defaults = check(&rules, &known(&Config::default()));
        assert!(
            with_defaults.problems.is_empty(),
            "{:?}",
            with_defaults.problems
        );
        let config =
            Config::from_yaml_and_env("log_metrics: []\n", "t", std::iter::empty()).unwrap();
        let without = check(&rules, &known(&config));
        let problems: Vec<String> = without.problems.iter().map(ToString::to_string).collect();
        let problems = problems.join("\n");
        assert!(
            problems.contains("alert `AuthFailureBurst`: unknown metric `log_auth_failures_total`"),
            "{problems}"
        );
    }
}
