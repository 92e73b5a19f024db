//! `serve`'s startup output: a warning for each listener open to unauthenticated writes from the
//! network, none once tokens are required, and one summary line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Runs `serve` until its summary line and answers what it logged up to it.
fn startup_log(vars: &[(&str, &str)]) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("logbridge_startup_{}_{nanos}", std::process::id());
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logbridge"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("LOGBRIDGE_LISTEN__GRPC", "127.0.0.1:0")
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("logbridge starts");
    let mut log = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("logbridge listening") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    log
}

#[test]
fn an_open_listener_on_a_reachable_address_is_named_at_startup() {
    let log = startup_log(&[("LOGBRIDGE_LISTEN__HTTP", "0.0.0.0:0")]);
    assert!(log.contains("logbridge listening"), "{log}");
    assert!(
        log.contains("WARN") && log.contains("accepts unauthenticated writes from the network"),
        "{log}"
    );
    assert!(log.contains("/api/v1/alerts/webhook"), "{log}");
    assert!(
        !log.contains("gRPC listener"),
        "the gRPC listener is on loopback: {log}"
    );
    let summary = log
        .lines()
        .find(|l| l.contains("logbridge listening"))
        .unwrap();
    for part in [
        "auth=",
        "retention=",
        "redaction_rules=",
        "database=",
        "migrations=",
    ] {
        assert!(summary.contains(part), "{summary}");
    }

    let guarded = startup_log(&[
        ("LOGBRIDGE_LISTEN__HTTP", "0.0.0.0:0"),
        ("LOGBRIDGE_INGEST__REQUIRE_TOKEN", "true"),
    ]);
    assert!(guarded.contains("logbridge listening"), "{guarded}");
    assert!(!guarded.contains("unauthenticated"), "{guarded}");
}
