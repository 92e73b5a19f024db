//! `GET /api/v1/openapi.json` covers every route: no route is registered past the documented
//! declarations (`utoipa_axum::routes!`), every documented operation is routed, the ingest
//! operations name the content types their 415 lists, their auth and refusals, and the
//! document is valid OpenAPI (openapi-spec-validator from PyPI, installed by `scripts/test`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::api::helpers::{TestApp, spawn_app};

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// Where `text` registers a route outside `routes!` (axum's `Router::new`, `.route(`,
/// `.route_service(`, `.nest_service(`), as `line: text`.
fn undocumented_registrations(text: &str) -> Vec<String> {
    let calls = [".route(", ".route_service(", ".nest_service("];
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let bare_router = line.match_indices("Router::new(").any(|(at, _)| {
                let before = line[..at].chars().last();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            bare_router || calls.iter().any(|call| line.contains(call))
        })
        .map(|(n, line)| format!("{}: {}", n + 1, line.trim()))
        .collect()
}

#[test]
fn every_route_is_registered_through_its_documented_declaration() {
    let mut files = Vec::new();
    sources(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let found: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            let shown = file.display().to_string();
            let hits = undocumented_registrations(&text);
            hits.into_iter().map(move |hit| format!("{shown}:{hit}"))
        })
        .collect();
    assert!(
        found.is_empty(),
        "routes registered without an OpenAPI operation (use `#[utoipa::path]` and \
         `routes!`):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_registration_scan_finds_plain_axum_routes() {
    let text = "let r = Router::new()\n    .route(\"/x\", get(x));\nOpenApiRouter::new()";
    assert_eq!(undocumented_registrations(text).len(), 2);
    assert!(undocumented_registrations("OpenApiRouter::new().routes(routes!(x))").is_empty());
}

async fn document(app: &TestApp) -> Value {
    let answer = app.get("/api/v1/openapi.json").await;
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

/// Every `(method, path)` of the document.
fn operations(document: &Value) -> Vec<(String, String)> {
    let methods = ["get", "put", "post", "delete", "options", "head", "patch"];
    let paths = document["paths"].as_object().unwrap();
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().unwrap();
            methods
                .iter()
                .filter(|m| item.contains_key(**m))
                .map(|m| (m.to_string(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A concrete path for a template: every `{param}` (or axum's `{*rest}`) becomes a value.
fn concrete(template: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').unwrap() + open;
        path.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        path.push_str(if name == "trace_id" {
            "0af7651916cd43dd8448eb211c80319c"
        } else {
            "1"
        });
        rest = &rest[close + 1..];
    }
    path + rest
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let admin = app.token("admin", None).await;
    let document = document(&app).await;
    let operations = operations(&document);
    assert!(operations.len() > 50, "{operations:?}");
    for (method, path) in operations {
        let url = format!("{}{}", app.http, concrete(&path));
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let answer = app
            .client
            .request(method.clone(), &url)
            .bearer_auth(&admin)
            .send();
        let answer = answer.await.unwrap();
        let status = answer.status();
        // Only a 404's body is read: a live tail's stream (`/api/v1/logs/tail`) never ends.
        let body = match status {
            reqwest::StatusCode::NOT_FOUND => answer.text().await.unwrap(),
            _ => String::new(),
        };
        // axum answers an unrouted path with an empty 404, the `/es` root with its own.
        let unrouted = status == 404 && (body.is_empty() || body.contains("no handler found"));
        assert!(
            status != 405 && !unrouted,
            "{method} {path}: {status} {body}"
        );
    }
}

/// The ingest operations and the webhook, with the success status each documents.
const RECEIVERS: &[(&str, &str, &str)] = &[
    ("post", "/v1/logs", "200"),
    ("post", "/v1/traces", "200"),
    ("post", "/api/v1/logs", "200"),
    ("post", "/loki/api/v1/push", "204"),
    ("post", "/api/prom/push", "204"),
    ("post", "/es/_bulk", "200"),
    ("put", "/es/_bulk", "200"),
    ("post", "/es/{index}/_bulk", "200"),
    ("post", "/faro/collect", "202"),
    ("post", "/collect/{app_key}", "202"),
    ("post", "/api/v1/alerts/webhook", "200"),
];

/// The content types a 415 answer lists after "this endpoint takes ".
fn listed_in_415(body: &str) -> BTreeSet<String> {
    let start = body
        .find("takes ")
        .expect("the 415 names what the endpoint takes")
        + 6;
    let list: String = body[start..]
        .chars()
        .take_while(|c| !matches!(c, '"' | '\n' | '}' | ']'))
        .collect();
    list.split(", ").map(|t| t.trim().to_string()).collect()
}

#[tokio::test]
async fn receivers_document_their_bodies_auth_and_refusals_and_the_types_their_415_lists() {
    let app = spawn_app().await;
    let document = document(&app).await;
    for (method, path, success) in RECEIVERS {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let responses = operation["responses"].as_object().unwrap();
        for status in [*success, "400", "401", "403", "413", "415", "429", "503"] {
            assert!(
                responses.contains_key(status),
                "{method} {path}: no {status}"
            );
        }
        let security = operation["security"].to_string();
        assert!(security.contains("bearer"), "{method} {path}: {security}");
        let content = operation["requestBody"]["content"].as_object().unwrap();
        let documented: BTreeSet<String> = content.keys().cloned().collect();
        let url = format!("{}{}", app.http, concrete(path));
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let request = app
            .client
            .request(method, &url)
            .header("content-type", "text/csv");
        let answer = request.body("a,b").send().await.unwrap();
        assert_eq!(answer.status(), 415, "{path}");
        let listed = listed_in_415(&answer.text().await.unwrap());
        assert_eq!(
            documented, listed,
            "{path}: the document and the 415 disagree"
        );
    }
    let batch = &document["components"]["schemas"]["JsonBatch"];
    assert!(
        batch["oneOf"]
            .as_array()
            .is_some_and(|forms| forms.len() == 3),
        "{batch}"
    );
    let webhook = &document["components"]["schemas"]["AlertmanagerNotification"];
    assert!(webhook["properties"]["alerts"].is_object(), "{webhook}");
    let resolve = &document["paths"]["/api/v1/exceptions/{id}/resolve"]["put"]["requestBody"];
    assert!(
        resolve["content"]["application/json"].is_object(),
        "{resolve}"
    );
}

#[tokio::test]
async fn the_document_is_valid_openapi() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let required = std::env::var_os("CI_REQUIRE_OPENAPI_VALIDATOR").is_some();
    let probe = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output();
    if !probe.is_ok_and(|output| output.status.success()) {
        assert!(
            !required,
            "openapi-spec-validator is required but not installed"
        );
        eprintln!("openapi-spec-validator not installed, skipping (scripts/test installs it)");
        return;
    }
    let file = std::env::temp_dir().join(format!("openapi-{}.json", app.db_name));
    std::fs::write(&file, document.to_string()).unwrap();
    let script = "import json, sys\nfrom openapi_spec_validator import validate\n\
                  validate(json.load(open(sys.argv[1])))\nprint('valid')";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the document is invalid: {stderr}");
}
