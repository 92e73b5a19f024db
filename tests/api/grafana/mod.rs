//! The Grafana dashboards and provisioning: the dashboard files (structure, datasources, links),
//! every PromQL expression against the metric catalogue, every SQL query against the real schema
//! as the Grafana role, and `grafana provision` against a recording fake Grafana.

mod dashboards;
mod promql;
mod provision;
mod provision_cli;
mod sql;
mod traces;

use std::path::PathBuf;

use serde_json::Value;

pub const PROMETHEUS_UID: &str = "logbridge-prometheus";
pub const POSTGRES_UID: &str = "logbridge-postgres";

/// A path inside the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The datasource provisioning file.
pub fn datasources_file() -> PathBuf {
    repo_path("grafana/provisioning/datasources/logbridge.yml")
}

/// Every dashboard of `dashboards/`, with its file name.
pub fn dashboards() -> Vec<(String, Value)> {
    let folder = repo_path("dashboards");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, json)
        })
        .collect()
}

/// Every panel of a dashboard, including those inside rows.
pub fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut found = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        found.push(panel);
        found.extend(panel["panels"].as_array().into_iter().flatten());
    }
    found
}

/// The template variables of a dashboard.
pub fn variables(dashboard: &Value) -> &[Value] {
    dashboard["templating"]["list"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Every query of a dashboard whose datasource has `uid`: (where, query text), from panel
/// targets (`expr` or `rawSql`) and query variables.
pub fn queries(dashboard: &Value, uid: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for panel in panels(dashboard) {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let datasource = match &target["datasource"] {
                Value::Null => &panel["datasource"],
                own => own,
            };
            if datasource["uid"] != uid {
                continue;
            }
            let text = target["expr"].as_str().or(target["rawSql"].as_str());
            let place = format!("panel {:?} target {}", panel["title"], target["refId"]);
            found.push((place, text.expect("a query").to_string()));
        }
    }
    for variable in variables(dashboard) {
        if variable["type"] != "query" || variable["datasource"]["uid"] != uid {
            continue;
        }
        let query = &variable["query"];
        let text = query.as_str().or(query["query"].as_str()).expect("a query");
        found.push((format!("variable {}", variable["name"]), text.to_string()));
    }
    found
}
