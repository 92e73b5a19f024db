//! `logbridge grafana provision` as a user runs it: the binary, outside the repository, against
//! the recording fake Grafana; the datasource targets and the password come from flags, the
//! environment or a file, and an empty password is refused before anything is sent.

use std::process::Output;

use super::provision::{Recorded, fake_grafana, taken};
use super::repo_path;

/// Runs the binary in an empty folder with `args` and `vars` (no Grafana variables inherited).
async fn provision(args: &[&str], vars: &[(&str, &str)]) -> Output {
    provision_with(env!("CARGO_BIN_EXE_logbridge").as_ref(), args, vars).await
}

/// `logbridge grafana provision` run by `binary` in an empty working directory.
async fn provision_with(binary: &std::path::Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let folder = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(binary);
    command
        .current_dir(folder.path())
        .args(["grafana", "provision"])
        .args(args)
        .env("NO_COLOR", "1");
    for name in [
        "GRAFANA_DB_PASSWORD",
        "GRAFANA_READ_TOKEN",
        "LOGBRIDGE_GRAFANA_DB_PASSWORD",
        "LOGBRIDGE_GRAFANA_READ_TOKEN",
        "GRAFANA_TOKEN",
    ] {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    command.output().await.expect("logbridge runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn datasource<'a>(received: &'a [Recorded], uid: &str) -> &'a serde_json::Value {
    let body = received
        .iter()
        .map(|r| &r.body)
        .find(|body| body["uid"] == uid);
    body.unwrap_or_else(|| panic!("{uid} was sent"))
}

#[tokio::test]
async fn flags_point_the_datasources_anywhere_and_the_files_come_from_dir() {
    let (url, fake) = fake_grafana().await;
    let root = repo_path("");
    let args = [
        "--url",
        &url,
        "--dir",
        root.to_str().unwrap(),
        "--prometheus-url",
        "https://prom.example:9090",
        "--postgres-host",
        "db.example:5433",
        "--postgres-database",
        "bridge",
        "--postgres-user",
        "grafana_ro",
        "--jaeger-url",
        "http://bridge.example:4318/jaeger",
    ];
    let output = provision(&args, &[("GRAFANA_DB_PASSWORD", "pw-from-env")]).await;
    assert!(output.status.success(), "{}", text(&output));
    let received = taken(&fake);
    let prometheus = datasource(&received, "logbridge-prometheus");
    assert_eq!(prometheus["url"], "https://prom.example:9090");
    let postgres = datasource(&received, "logbridge-postgres");
    assert_eq!(postgres["url"], "db.example:5433");
    assert_eq!(postgres["user"], "grafana_ro");
    assert_eq!(postgres["jsonData"]["database"], "bridge");
    assert_eq!(postgres["secureJsonData"]["password"], "pw-from-env");
    let jaeger = datasource(&received, "logbridge-jaeger");
    assert_eq!(jaeger["url"], "http://bridge.example:4318/jaeger");
}

#[tokio::test]
async fn the_password_file_wins_and_the_old_variable_name_still_works_with_a_warning() {
    let (url, fake) = fake_grafana().await;
    let root = repo_path("");
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "pw-from-file\n").unwrap();
    let dir = ["--url", &url, "--dir", root.to_str().unwrap()];
    let with_file = [
        &dir[..],
        &["--postgres-password-file", secret.path().to_str().unwrap()],
    ]
    .concat();
    let output = provision(&with_file, &[("GRAFANA_DB_PASSWORD", "ignored")]).await;
    assert!(output.status.success(), "{}", text(&output));
    let postgres = datasource(&taken(&fake), "logbridge-postgres").clone();
    assert_eq!(postgres["secureJsonData"]["password"], "pw-from-file");

    let old = [("LOGBRIDGE_GRAFANA_DB_PASSWORD", "pw-old-name")];
    let output = provision(&dir, &old).await;
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("deprecated"), "{}", text(&output));
    let postgres = datasource(&taken(&fake), "logbridge-postgres").clone();
    assert_eq!(postgres["secureJsonData"]["password"], "pw-old-name");
}

#[tokio::test]
async fn an_empty_password_is_refused_before_anything_is_sent() {
    let (url, fake) = fake_grafana().await;
    let root = repo_path("");
    let args = ["--url", &url, "--dir", root.to_str().unwrap()];
    let output = provision(&args, &[]).await;
    assert!(!output.status.success());
    let said = text(&output);
    assert!(said.contains("password is empty"), "{said}");
    assert!(said.contains("GRAFANA_DB_PASSWORD"), "{said}");
    assert!(taken(&fake).is_empty(), "nothing reached Grafana");
}

#[tokio::test]
async fn without_dir_outside_the_repository_it_says_where_it_looked() {
    // A copy of the binary outside the build tree: the target folder may sit in the repository,
    // whose dashboards the binary's parents would find.
    let elsewhere = tempfile::tempdir().unwrap();
    let binary = elsewhere.path().join("bin").join("logbridge");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_logbridge"), &binary).unwrap();
    let output = provision_with(
        &binary,
        &["--url", "http://127.0.0.1:9"],
        &[("GRAFANA_DB_PASSWORD", "pw")],
    )
    .await;
    assert!(!output.status.success());
    let said = text(&output);
    assert!(said.contains("pass --dir"), "{said}");
    assert!(said.contains("share/logbridge"), "{said}");
}

#[tokio::test]
async fn an_https_url_is_attempted_over_tls() {
    let (url, fake) = fake_grafana().await;
    let https = url.replace("http://", "https://");
    let root = repo_path("");
    let args = ["--url", &https, "--dir", root.to_str().unwrap()];
    let output = provision(&args, &[("GRAFANA_DB_PASSWORD", "pw")]).await;
    assert!(!output.status.success(), "the fake speaks plain HTTP");
    let said = text(&output);
    assert!(said.contains("cannot reach Grafana"), "{said}");
    assert!(!said.contains("only http://"), "{said}");
    assert!(taken(&fake).is_empty(), "no plain-HTTP request got through");
}
