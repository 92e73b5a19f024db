//! A repeated error is logged once, then summarized: a bridge whose database goes away while
//! requests keep coming logs "database unavailable" and the failed answer once each, not a line
//! per request (the summary of the repeats comes with the first one after a minute; the unit
//! tests of `telemetry::repeats` check it on a fake clock).

use std::io::Read as _;
use std::process::{Command, Stdio};

use crate::api::helpers::eventually;

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn admin(sql: String) {
    let admin = sqlx::PgPool::connect(ADMIN_URL).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_dead_database_is_logged_once_however_many_requests_fail() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("logbridge_test_{}_repeats_{nanos}", std::process::id());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_logbridge"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:5432/{name}"),
        )
        .env("LOGBRIDGE_LISTEN__HTTP", format!("127.0.0.1:{port}"))
        .env("LOGBRIDGE_LISTEN__GRPC", "127.0.0.1:0")
        .env("LOGBRIDGE_RETENTION__ENABLED", "false")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("logbridge starts");
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/logs");
    let send = || {
        client
            .post(&url)
            .header("content-type", "application/json")
            .body(r#"{"message":"m"}"#)
            .send()
    };
    let up = eventually(std::time::Duration::from_secs(60), || async {
        send().await.is_ok_and(|answer| answer.status() == 200)
    });
    assert!(up.await, "the bridge answers");

    admin(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false")).await;
    admin(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    let mut refused = 0;
    for _ in 0..30 {
        if send().await.is_ok_and(|answer| answer.status() == 503) {
            refused += 1;
        }
    }
    child.kill().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    child.wait().unwrap();
    admin(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await;
    admin(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;

    assert!(
        refused >= 20,
        "{refused} of 30 requests answered 503\n{log}"
    );
    let lines = |text: &str| log.lines().filter(|line| line.contains(text)).count();
    assert_eq!(lines("database unavailable"), 1, "{log}");
    assert_eq!(
        lines("response failed"),
        1,
        "one line for {refused} 503s:\n{log}"
    );
}
