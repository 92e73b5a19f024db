//! The docker-compose stack, checked without Docker (there is no engine on these machines):
//! the compose file against the Compose Specification schema, every file it mounts, the
//! Prometheus configuration and the Dockerfile.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo(path)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_compose_file_follows_the_compose_specification() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/fixtures/schemas/compose-spec.json")).unwrap(),
    )
    .unwrap();
    let compose = yaml("docker-compose.yml");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&compose)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let services = compose["services"].as_object().unwrap();
    for name in [
        "logbridge",
        "postgres",
        "prometheus",
        "alertmanager",
        "grafana",
    ] {
        assert!(services.contains_key(name), "service {name}");
    }
}

#[test]
fn every_mounted_file_exists_in_the_repository() {
    let compose = yaml("docker-compose.yml");
    let mut mounts = 0;
    for (name, service) in compose["services"].as_object().unwrap() {
        for volume in service["volumes"].as_array().into_iter().flatten() {
            let source = volume.as_str().unwrap().split(':').next().unwrap();
            if let Some(relative) = source.strip_prefix("./") {
                assert!(repo(relative).exists(), "{name} mounts missing {source}");
                mounts += 1;
            }
        }
    }
    assert!(mounts >= 6, "{mounts} bind mounts");
    let prometheus = &compose["services"]["prometheus"]["volumes"];
    assert!(
        prometheus
            .to_string()
            .contains("./alert-rules:/etc/prometheus/rules")
    );
}

#[test]
fn prometheus_loads_the_repository_rules_and_scrapes_the_bridge() {
    let config = yaml("prometheus/prometheus.yml");
    assert_eq!(config["rule_files"][0], "/etc/prometheus/rules/*.yml");
    let targets = config["scrape_configs"].to_string();
    assert!(targets.contains("logbridge:4318"), "{targets}");
    assert!(config["alerting"].to_string().contains("alertmanager:9093"));
    // promtool checks the file with the rule paths pointed at the repository's rules.
    if Command::new("promtool").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI_REQUIRE_PROMTOOL").is_none(),
            "promtool is required"
        );
        eprintln!("promtool not installed: skipping `promtool check config`");
        return;
    }
    let dir = std::env::temp_dir().join(format!("logbridge-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(repo("prometheus/prometheus.yml")).unwrap();
    let rules = repo("alert-rules").display().to_string();
    let local = text.replace("/etc/prometheus/rules", &rules);
    let file = dir.join("prometheus.yml");
    std::fs::write(&file, local).unwrap();
    let output = Command::new("promtool")
        .arg("check")
        .arg("config")
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_image_is_built_in_stages_and_runs_as_a_non_root_user() {
    let dockerfile = std::fs::read_to_string(repo("Dockerfile")).unwrap();
    let stages = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .count();
    assert_eq!(stages, 2, "a build stage and a slim runtime stage");
    let user = dockerfile
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(
        user.trim() != "root" && user.trim() != "0",
        "runs as {user}"
    );
    for line in dockerfile
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let sources: Vec<&str> = line.split_whitespace().skip(1).collect();
        for source in &sources[..sources.len() - 1] {
            assert!(repo(source).exists(), "COPY of missing {source}");
        }
    }
    assert!(dockerfile.contains("EXPOSE 4317 4318"));
}

#[test]
fn grafana_s_database_login_is_the_migrated_read_only_role() {
    let init = std::fs::read_to_string(repo("grafana/postgres-init/01-grafana-role.sh")).unwrap();
    assert!(init.contains("CREATE ROLE logbridge_grafana LOGIN PASSWORD"));
    let migration = std::fs::read_to_string(repo("migrations/0003_read_side.sql")).unwrap();
    assert!(migration.contains("CREATE ROLE logbridge_grafana LOGIN"));
}

#[test]
fn the_stack_s_bridge_settings_load_and_define_the_alerted_log_metric() {
    let compose = yaml("docker-compose.yml");
    let environment = compose["services"]["logbridge"]["environment"]
        .as_object()
        .unwrap();
    let vars = environment
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .filter(|(k, _)| k.starts_with("LOGBRIDGE_"));
    let config = logbridge::settings::from_yaml_and_env("", "compose", vars)
        .expect("the compose environment is a valid configuration");
    let names: Vec<&str> = config.log_metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["log_auth_failures_total"]);
    let alerts = std::fs::read_to_string(repo("alert-rules/alerts.yml")).unwrap();
    assert!(alerts.contains("log_auth_failures_total"));
}
