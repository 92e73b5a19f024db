//! Every PromQL expression of the dashboards parses and uses only exported metrics and labels.

use logbridge::metrics::catalogue::{has_label, series};
use promql_parser::parser::{self, Expr, LabelModifier};
use promql_parser::util::{ExprVisitor, walk_expr};
use regex::Regex;
use serde_json::Value;

use super::{PROMETHEUS_UID, dashboards, queries, variables};

/// Labels Prometheus adds to every scraped series.
const TARGET_LABELS: [&str; 2] = ["job", "instance"];

/// Replaces Grafana's variables by sample values: intervals for the built-in ones, a label value
/// for the dashboard's own.
fn substitute(expr: &str, dashboard: &Value) -> String {
    let variable = Regex::new(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)").unwrap();
    variable
        .replace_all(expr, |captures: &regex::Captures| {
            let name = captures.get(1).or(captures.get(2)).unwrap().as_str();
            match name {
                "__rate_interval" => "5m".to_string(),
                "__interval" => "1m".to_string(),
                "__range" => "6h".to_string(),
                own if variables(dashboard).iter().any(|v| v["name"] == own) => "sample".into(),
                unknown => panic!("unknown variable ${unknown} in {expr}"),
            }
        })
        .into_owned()
}

/// The series names, matcher labels and grouping labels of an expression.
#[derive(Default)]
struct Uses {
    selectors: Vec<(String, Vec<String>)>,
    grouping: Vec<String>,
}

impl ExprVisitor for Uses {
    type Error = String;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, String> {
        let selector = match expr {
            Expr::VectorSelector(selector) => Some(selector),
            Expr::MatrixSelector(matrix) => Some(&matrix.vs),
            _ => None,
        };
        if let Some(selector) = selector {
            let name = selector
                .name
                .clone()
                .ok_or("a selector without a metric name")?;
            let labels = selector.matchers.matchers.iter().map(|m| m.name.clone());
            let labels = labels.filter(|label| label != "__name__").collect();
            self.selectors.push((name, labels));
        }
        let modifier = match expr {
            Expr::Aggregate(aggregate) => aggregate.modifier.as_ref(),
            Expr::Binary(binary) => binary.modifier.as_ref().and_then(|m| m.matching.as_ref()),
            _ => None,
        };
        if let Some(LabelModifier::Include(labels) | LabelModifier::Exclude(labels)) = modifier {
            self.grouping.extend(labels.labels.iter().cloned());
        }
        Ok(true)
    }
}

/// Checks one expression; answers what is wrong with it.
fn check(expr: &str) -> Result<(), String> {
    let parsed = parser::parse(expr)?;
    let mut uses = Uses::default();
    walk_expr(&mut uses, &parsed)?;
    if uses.selectors.is_empty() {
        return Err("selects no metric".into());
    }
    for (name, labels) in &uses.selectors {
        if series(name).is_none() {
            return Err(format!("{name} is not exported"));
        }
        if let Some(label) = labels.iter().find(|l| !label_ok(name, l)) {
            return Err(format!("{name} has no label {label}"));
        }
    }
    let grouped = |label: &String| uses.selectors.iter().any(|(name, _)| label_ok(name, label));
    match uses.grouping.iter().find(|label| !grouped(label)) {
        Some(label) => Err(format!("no metric of the expression has label {label}")),
        None => Ok(()),
    }
}

fn label_ok(name: &str, label: &str) -> bool {
    has_label(name, label) || TARGET_LABELS.contains(&label)
}

/// Checks a Prometheus variable query: PromQL, Grafana's `label_values(selector, label)` or
/// `query_result(expr)`.
fn check_variable(query: &str) -> Result<(), String> {
    let query_result = Regex::new(r"^query_result\((.+)\)$").unwrap();
    if let Some(captures) = query_result.captures(query.trim()) {
        return check(&captures[1]);
    }
    let label_values = Regex::new(r"^label_values\((.+),\s*(\w+)\)$").unwrap();
    let Some(captures) = label_values.captures(query.trim()) else {
        return check(query);
    };
    let selector = &captures[1];
    check(selector)?;
    let name = selector.split('{').next().unwrap().trim();
    match label_ok(name, &captures[2]) {
        true => Ok(()),
        false => Err(format!("{name} has no label {}", &captures[2])),
    }
}

#[test]
fn every_promql_expression_parses_and_uses_only_exported_metrics_and_labels() {
    let mut checked = 0;
    for (name, dashboard) in dashboards() {
        for (place, query) in queries(&dashboard, PROMETHEUS_UID) {
            let expr = substitute(&query, &dashboard);
            let result = match place.starts_with("variable") {
                true => check_variable(&expr),
                false => check(&expr),
            };
            assert!(
                result.is_ok(),
                "{name} {place}: {query}: {}",
                result.unwrap_err()
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} PromQL expressions found");
}

#[test]
fn the_checker_refuses_unknown_metrics_and_labels() {
    assert!(check("sum(rate(log_records_total[5m]))").is_ok());
    assert!(check("sum by (le) (rate(http_server_request_duration_seconds_bucket[5m]))").is_ok());
    assert!(check("rate(log_records[5m])").is_err());
    assert!(check(r#"log_records_total{route="/x"}"#).is_err());
    assert!(check("sum by (route) (log_records_total)").is_err());
    assert!(check("sum by (le) (http_server_request_duration_seconds_count)").is_err());
    assert!(check("sum(rate(log_records_total[5m]").is_err());
    assert!(check_variable("label_values(log_records_total, service)").is_ok());
    assert!(check_variable("label_values(log_records_total, route)").is_err());
    let services = "query_result(group by (service) (log_records_total))";
    assert!(check_variable(services).is_ok());
    assert!(check_variable("query_result(group by (route) (log_records_total))").is_err());
}

#[test]
fn latency_graphs_ask_for_exemplars() {
    for (name, dashboard) in dashboards() {
        let timeseries = super::panels(&dashboard)
            .into_iter()
            .filter(|p| p["type"] == "timeseries");
        for panel in timeseries {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr = target["expr"].as_str().unwrap_or_default();
                if expr.contains("http_server_request_duration_seconds_bucket") {
                    assert_eq!(target["exemplar"], true, "{name} {:?}", panel["title"]);
                }
            }
        }
    }
}
