//! The web console (`/ui/`) in a real browser: headless Chromium driven by
//! `tests/clients/browser/console.js` signs in with a token and works the pages; the tests
//! check what it found against SQL and that nothing ran or was requested that the console did
//! not mean (no dialog, no page error, no console error, no URL but the console's assets and
//! the read API). Screenshots go to `$CONSOLE_SCREENSHOTS` when set (`docs/console/` holds
//! the committed ones), else to a temporary directory.

mod access;
mod assets;
mod workflows;
mod xss;

use std::path::PathBuf;

use serde_json::{Value, json};
use tokio::process::Command;

use super::chromium::{browser_installed, chromium, clients_dir};
use crate::api::helpers::TestApp;

/// What the driver found, and what the browser saw.
pub struct Report {
    pub found: Value,
    pub seen: Value,
}

/// Where a test's screenshots go.
pub fn shots_dir(app: &TestApp) -> PathBuf {
    std::env::var_os("CONSOLE_SCREENSHOTS").map_or_else(
        || std::env::temp_dir().join(format!("console-{}", app.db_name)),
        PathBuf::from,
    )
}

/// Runs `scenario` of console.js signed in with `token`; `None` when the browser is not
/// installed and `SKIP_BROWSER_TEST` says to skip.
pub async fn drive(app: &TestApp, token: &str, scenario: &str, mut args: Value) -> Option<Report> {
    if !browser_installed() {
        return None;
    }
    args["bridge"] = json!(app.http);
    args["token"] = json!(token);
    args["scenario"] = json!(scenario);
    args["shots"] = json!(shots_dir(app));
    let output = Command::new("node")
        .arg("console.js")
        .arg(args.to_string())
        .env("CHROMIUM", chromium())
        .current_dir(clients_dir())
        .output()
        .await
        .expect("node runs console.js");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "console.js: {stdout}\n{stderr}");
    let report: Value = serde_json::from_str(stdout.trim()).expect("console.js prints JSON");
    Some(Report {
        found: report["found"].clone(),
        seen: report["seen"].clone(),
    })
}

impl Report {
    /// Nothing ran that the console did not mean, and nothing was requested but the console's
    /// assets and the read API on the bridge; console errors only those that contain one of
    /// `expected` (a refused request is logged by Chromium).
    pub fn assert_quiet(&self, app: &TestApp, expected: &[&str]) {
        let seen = &self.seen;
        assert_eq!(seen["dialogs"], json!([]), "a dialog opened: {seen}");
        assert_eq!(seen["pageerrors"], json!([]), "{seen}");
        assert_eq!(self.found["xss"], Value::Null, "injected code ran: {seen}");
        let errors = seen["console"].as_array().unwrap().iter().filter(|m| {
            let text = m["text"].as_str().unwrap_or_default();
            m["type"] == "error" && !expected.iter().any(|e| text.contains(e))
        });
        let errors: Vec<&Value> = errors.collect();
        assert!(errors.is_empty(), "console errors: {errors:?}");
        for url in seen["requests"].as_array().unwrap() {
            let url = url.as_str().unwrap();
            assert!(expected_request(app, url), "unexpected request to {url}");
        }
    }

    /// The text of a page the `visit` scenario opened.
    pub fn page(&self, route: &str) -> &str {
        let text = self.found["pages"][route].as_str();
        text.unwrap_or_else(|| panic!("{route} was not visited: {}", self.found))
    }
}

/// A console asset or a read API call on the bridge under test.
fn expected_request(app: &TestApp, url: &str) -> bool {
    let Some(path) = url.strip_prefix(app.http.as_str()) else {
        return false;
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let asset = path.strip_prefix("/ui/").is_some_and(|name| {
        name.is_empty() || logbridge::console::ASSETS.iter().any(|a| a.name == name)
    });
    asset || path.starts_with("/api/v1/")
}

/// Every page of the console, with the name of its screenshot.
pub const PAGES: &[(&str, &str)] = &[
    ("#/logs", "logs"),
    ("#/trace", "trace-search"),
    ("#/exceptions", "exceptions"),
    ("#/performance", "performance"),
    ("#/alerts", "alerts"),
    ("#/services", "services"),
    ("#/health", "health"),
];

/// The `visit` scenario's arguments for every page, screenshots named when `shots` is set.
pub fn every_page(shots: bool) -> Value {
    let routes: Vec<&str> = PAGES.iter().map(|(route, _)| *route).collect();
    let names: serde_json::Map<String, Value> = PAGES
        .iter()
        .map(|(route, name)| (route.to_string(), json!(name)))
        .collect();
    match shots {
        true => json!({"pages": routes, "shotNames": names}),
        false => json!({"pages": routes}),
    }
}

/// Posts `records` to the JSON receiver; they are committed when it answers.
pub async fn post(app: &TestApp, records: &[Value]) {
    let body = Value::Array(records.to_vec()).to_string();
    assert_eq!(app.post_json(body).await, 200);
}
