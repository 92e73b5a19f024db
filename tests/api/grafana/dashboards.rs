//! The dashboard files themselves: uids, panel ids, datasources and links between dashboards.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use super::{dashboards, datasources_file, panels, variables};

const UIDS: [&str; 8] = [
    "logbridge-alerts",
    "logbridge-bridge",
    "logbridge-cost",
    "logbridge-exceptions",
    "logbridge-logs",
    "logbridge-overview",
    "logbridge-security",
    "logbridge-trace",
];

#[test]
fn the_eight_dashboards_parse_with_fixed_uids_and_unique_panel_ids() {
    let all = dashboards();
    let uids: BTreeSet<&str> = all
        .iter()
        .map(|(_, d)| d["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, BTreeSet::from(UIDS));
    for (name, dashboard) in &all {
        assert_eq!(dashboard["schemaVersion"], 39, "{name}");
        assert!(
            dashboard["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{name}"
        );
        let panels = panels(dashboard);
        assert!(!panels.is_empty(), "{name} has no panels");
        let mut ids = HashSet::new();
        for panel in panels {
            let id = panel["id"]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: panel without id"));
            assert!(ids.insert(id), "{name}: panel id {id} is used twice");
        }
    }
}

/// Every `datasource` object anywhere in a dashboard.
fn datasource_refs<'a>(value: &'a Value, found: &mut Vec<&'a Value>) {
    match value {
        Value::Object(fields) => {
            if let Some(datasource) = fields.get("datasource") {
                found.push(datasource);
            }
            fields.values().for_each(|v| datasource_refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| datasource_refs(v, found)),
        _ => {}
    }
}

#[test]
fn every_datasource_a_dashboard_uses_is_provisioned() {
    let text = std::fs::read_to_string(datasources_file()).unwrap();
    let file: Value = serde_yaml_ng::from_str(&text).unwrap();
    let provisioned: HashSet<(String, String)> = file["datasources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["uid"].as_str().unwrap().into(),
                d["type"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (name, dashboard) in dashboards() {
        let mut found = Vec::new();
        datasource_refs(&dashboard, &mut found);
        for panel in panels(&dashboard).iter().filter(|p| p["type"] != "row") {
            assert!(
                panel["datasource"].is_object(),
                "{name}: {:?} has no datasource",
                panel["title"]
            );
        }
        for datasource in found {
            let uid = datasource["uid"].as_str().unwrap_or_default().to_string();
            let kind = datasource["type"].as_str().unwrap_or_default().to_string();
            assert!(
                provisioned.contains(&(uid, kind)),
                "{name}: datasource {datasource} is not in the provisioning file"
            );
        }
    }
}

/// Every `/d/<uid>?var-<name>=` link in a text.
fn links(text: &str) -> Vec<(String, String)> {
    text.match_indices("/d/")
        .filter_map(|(start, _)| {
            let rest = &text[start + 3..];
            let (uid, query) = rest.split_once('?')?;
            let name = query.strip_prefix("var-")?.split('=').next()?;
            Some((uid.to_string(), name.to_string()))
        })
        .collect()
}

#[test]
fn trace_links_open_the_request_trace_dashboard_with_its_variable() {
    let all = dashboards();
    let provisioning = std::fs::read_to_string(datasources_file()).unwrap();
    let mut texts: Vec<String> = all.iter().map(|(_, d)| d.to_string()).collect();
    texts.push(provisioning.clone());
    let found: Vec<(String, String)> = texts.iter().flat_map(|t| links(t)).collect();
    assert!(
        found.len() >= 3,
        "logs, security and the exemplar destination link: {found:?}"
    );
    for (uid, name) in found {
        let (_, target) = all
            .iter()
            .find(|(_, d)| d["uid"] == uid.as_str())
            .expect(&uid);
        assert!(
            variables(target).iter().any(|v| v["name"] == name.as_str()),
            "{uid} has no variable {name}"
        );
    }
    assert!(provisioning.contains("exemplarTraceIdDestinations"));
    let logs = &all
        .iter()
        .find(|(_, d)| d["uid"] == "logbridge-logs")
        .unwrap()
        .1;
    let logs_panel = panels(logs)
        .into_iter()
        .find(|p| p["type"] == "logs")
        .expect("a logs panel");
    assert!(
        logs_panel
            .to_string()
            .contains("/d/logbridge-trace?var-trace_id=${__value.raw}")
    );
}
