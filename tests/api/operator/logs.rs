//! `logbridge logs` against a spawned bridge: filters, text without colour off a terminal, JSON
//! lines, the token from LOGBRIDGE_TOKEN, and `--follow` printing records sent after it started.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::api::helpers::{TestApp, spawn_app};

async fn send(app: &TestApp, service: &str, message: &str, level: &str) {
    let body = format!(r#"{{"service":"{service}","message":"{message}","level":"{level}"}}"#);
    assert_eq!(app.post_json(body).await, 200);
}

fn logs(app: &TestApp, token: &str, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_logbridge"));
    command
        .args(["logs", "--url", &app.http])
        .args(args)
        .env("LOGBRIDGE_TOKEN", token)
        .env_remove("NO_COLOR");
    command
}

#[tokio::test]
async fn logs_prints_the_matching_records_oldest_first_as_text_or_json() {
    let app = spawn_app().await;
    send(&app, "checkout", "order 1 placed", "info").await;
    send(&app, "checkout", "payment declined", "error").await;
    send(&app, "users", "user signed in", "info").await;
    let token = app.token("reader", None).await;

    let output = logs(&app, &token, &["--service", "checkout"])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains(" INFO  checkout order 1 placed"),
        "{text}"
    );
    assert!(
        lines[1].contains(" ERROR checkout payment declined"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour off a terminal: {text:?}"
    );

    let args = ["--output", "json", "--min-level", "error"];
    let output = logs(&app, &token, &args).output().await.unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{text}");
    assert_eq!(records[0]["body"], "payment declined");
    assert_eq!(records[0]["service"], "checkout");

    let refused = logs(&app, "lb_not_a_token", &[]).output().await.unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(said.contains("401"), "{said}");
}

/// The next line of the child's output, within 20 seconds.
async fn next<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
) -> Result<String, tokio::time::error::Elapsed> {
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await?;
    Ok(line.unwrap().unwrap_or_default())
}

#[tokio::test]
async fn follow_prints_records_sent_after_it_started() {
    let app = spawn_app().await;
    send(&app, "shop", "before follow", "info").await;
    let token = app.token("reader", None).await;
    let mut child = logs(&app, &token, &["--follow", "--interval", "1"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: String = next(&mut lines).await.expect("the first record");
    assert!(first.contains("before follow"), "{first}");
    send(&app, "shop", "after follow", "warn").await;
    let second: String = next(&mut lines)
        .await
        .expect("the new record within seconds");
    assert!(second.contains("WARN  shop after follow"), "{second}");
    send(&app, "shop", "once more", "info").await;
    let third: String = next(&mut lines).await.expect("and the next");
    assert!(third.contains("once more"), "printed once each: {third}");
    child.kill().await.unwrap();
}
