//! README's quick start, executed: its `sh quickstart` code blocks run in order in one shell
//! against a spawned bridge (`localhost:4318` replaced by its address, `logbridge` the built
//! binary), and every `# → expected` line must appear in the output, in order.

use std::path::Path;

use crate::api::helpers::spawn_app;

/// The quick start's runnable blocks: (commands, expected outputs).
fn blocks(readme: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let start = readme
        .find("## Quick start")
        .expect("README has a quick start");
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let mut blocks = Vec::new();
    let mut current: Option<(Vec<String>, Vec<String>)> = None;
    for line in section[..end].lines().map(str::trim) {
        match (&mut current, line) {
            (None, "```sh quickstart") => current = Some((Vec::new(), Vec::new())),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some((_, expected)), text) if text.starts_with("# → ") => {
                expected.push(text["# → ".len()..].to_string())
            }
            (Some((commands, _)), text) => commands.push(text.to_string()),
            _ => {}
        }
    }
    blocks
}

#[tokio::test]
async fn the_readme_quick_start_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let blocks = blocks(&readme);
    assert!(blocks.len() >= 3, "the quick start has its runnable blocks");
    let app = spawn_app().await;
    let script: Vec<String> = blocks
        .iter()
        .flat_map(|(commands, _)| commands.iter())
        .map(|line| line.replace("http://localhost:4318", &app.http))
        .collect();
    let script = format!("set -euo pipefail\n{}\n", script.join("\n"));
    let binary = Path::new(env!("CARGO_BIN_EXE_logbridge"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = tokio::process::Command::new("bash")
        .args(["-c", &script])
        .env("PATH", path)
        .env("DATABASE_URL", app.database_url())
        .env("NO_COLOR", "1")
        .env_remove("LOGBRIDGE_TOKEN")
        .output()
        .await
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{script}\n{stdout}\n{stderr}");
    let mut rest = stdout.as_str();
    for expected in blocks.iter().flat_map(|(_, expected)| expected.iter()) {
        let at = rest
            .find(expected.as_str())
            .unwrap_or_else(|| panic!("README expects {expected:?} next in\n{rest}\n{stderr}"));
        rest = &rest[at + expected.len()..];
    }
}
