//! The alerting stack with real binaries: `amtool check-config` on the shipped Alertmanager
//! configuration, and Prometheus -> Alertmanager -> the bridge's webhook -> `alert_history`.
//! Skipped with a note when the binaries are not installed, unless `CI_REQUIRE_AMTOOL`
//! is set (as `.ci/run` does).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::process::Child;

use super::helpers::{TestApp, eventually, spawn_app_with};

const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/alertmanager/alertmanager.yml");

/// The first of `names` found on `PATH`, or `None` (then the test is skipped unless required).
fn binary(names: &[&str]) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        let required = std::env::var_os("CI_REQUIRE_AMTOOL").is_some();
        assert!(!required, "{names:?} required but not installed");
        eprintln!(
            "{names:?} not installed: skipping (Debian: prometheus, prometheus-alertmanager)"
        );
    }
    found
}

/// Runs amtool and returns whether it succeeded, with its output.
fn amtool(amtool: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(amtool)
        .args(args)
        .output()
        .expect("amtool runs");
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn amtool_accepts_the_config_and_routes_by_severity() {
    let Some(tool) = binary(&["amtool"]) else {
        return;
    };
    let (ok, report) = amtool(&tool, &["check-config", CONFIG]);
    assert!(ok, "amtool check-config: {report}");
    // Every alert reaches the bridge first; then people by severity, info nobody.
    for (labels, receivers) in [
        ("severity=critical", "logbridge,critical"),
        ("severity=warning", "logbridge,warning"),
        ("severity=info", "logbridge,nobody"),
        ("alertname=Unlabelled", "logbridge"),
    ] {
        let config = format!("--config.file={CONFIG}");
        let verify = format!("--verify.receivers={receivers}");
        let args = [
            "config",
            "routes",
            "test",
            &config,
            &verify,
            "service=x",
            labels,
        ];
        let (ok, report) = amtool(&tool, &args);
        assert!(ok, "{labels} should reach {receivers}: {report}");
    }
}

/// A child process killed when dropped, with its output in `log`.
struct Process {
    _child: Child,
    log: PathBuf,
}

impl Process {
    fn start(binary: &Path, args: &[String], log: PathBuf) -> Process {
        let out = std::fs::File::create(&log).unwrap();
        let child = tokio::process::Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        Process { _child: child, log }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Two distinct ports free right now on 127.0.0.1.
fn free_ports() -> (u16, u16) {
    let bind = || std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (first, second) = (bind(), bind());
    let port = |l: &std::net::TcpListener| l.local_addr().unwrap().port();
    (port(&first), port(&second))
}

/// The alert awaited: one of this repository's rules (`alert-rules/alerts.yml`), which fires on
/// the first fatal record without a `for` delay.
const AWAITED: &str = "FatalLogRecord";

fn write_alertmanager_config(dir: &Path, app: &TestApp, token: &str) -> PathBuf {
    std::fs::write(dir.join("token"), token).unwrap();
    let config = json!({
        "route": {
            "receiver": "bridge", "group_by": ["alertname", "service"],
            "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h",
        },
        "receivers": [{"name": "bridge", "webhook_configs": [{
            "url": format!("{}/api/v1/alerts/webhook", app.http),
            "send_resolved": true,
            "http_config": {"authorization": {
                "type": "Bearer", "credentials_file": dir.join("token"),
            }},
        }]}],
    });
    let path = dir.join("alertmanager.yml");
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

fn write_prometheus_config(dir: &Path, app: &TestApp, alertmanager_port: u16) -> PathBuf {
    // Prometheus evaluates the repository's own rule files.
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("alert-rules");
    let rule_files = vec![rules.join("*.yml")];
    let config = json!({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": rule_files,
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [format!("127.0.0.1:{alertmanager_port}")]},
        ]}]},
        "scrape_configs": [{"job_name": "logbridge", "static_configs": [
            {"targets": [app.http.trim_start_matches("http://")]},
        ]}],
    });
    let path = dir.join("prometheus.yml");
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

/// A fatal log becomes a firing row in `alert_history` through a real Prometheus (scraping
/// `/metrics` every second) and a real Alertmanager (webhook with an ingest token from a file).
#[tokio::test]
async fn a_fatal_log_alert_reaches_the_history_through_prometheus_and_alertmanager() {
    let (Some(alertmanager), Some(prometheus)) = (
        binary(&["alertmanager", "prometheus-alertmanager"]),
        binary(&["prometheus"]),
    ) else {
        return;
    };
    let started = Instant::now();
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let token = app.token("ingest", None).await;
    let dir = tempfile::tempdir().unwrap();
    let (am_port, prom_port) = free_ports();
    let am_config = write_alertmanager_config(dir.path(), &app, &token);
    let am = Process::start(
        &alertmanager,
        &[
            format!("--config.file={}", am_config.display()),
            format!("--storage.path={}", dir.path().join("am").display()),
            format!("--web.listen-address=127.0.0.1:{am_port}"),
            "--cluster.listen-address=".to_string(),
        ],
        dir.path().join("alertmanager.log"),
    );
    let prom_config = write_prometheus_config(dir.path(), &app, am_port);
    let prom = Process::start(
        &prometheus,
        &[
            format!("--config.file={}", prom_config.display()),
            format!("--storage.tsdb.path={}", dir.path().join("prom").display()),
            format!("--web.listen-address=127.0.0.1:{prom_port}"),
        ],
        dir.path().join("prometheus.log"),
    );
    // The counter needs two scraped samples to increase: keep logging fatal records.
    let fatal = json!({"service": "e2e", "level": "fatal", "message": "out of memory"});
    let fired = eventually(Duration::from_secs(30), || async {
        let sent = app
            .client
            .post(format!("{}/api/v1/logs", app.http))
            .bearer_auth(&token)
            .json(&fatal)
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 200);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let firing: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM alert_history WHERE alertname = $1 \
             AND status = 'firing' AND service = 'e2e' AND severity = 'critical'",
        )
        .bind(AWAITED)
        .fetch_one(&app.db)
        .await
        .unwrap();
        firing > 0
    })
    .await;
    assert!(
        fired,
        "no firing row after 30 s\n--- alertmanager\n{}\n--- prometheus\n{}",
        am.output(),
        prom.output()
    );
    eprintln!(
        "alert recorded {:?} after the bridge started",
        started.elapsed()
    );
}
