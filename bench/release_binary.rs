//! The release `logbridge` binary for the benchmarks that run it as its own process
//! (`bench/query`, `bench/overload`): built first, then found beside the running example.

use std::path::PathBuf;

use anyhow::Context as _;
use tokio::process::Command;

/// `cargo build --release --bin logbridge --example EXAMPLE`, then the binary's path beside this
/// example's (target/release/examples/EXAMPLE → target/release/logbridge). Naming the example too
/// builds the binary with the dependencies' features as `cargo run --example` just compiled them,
/// so nothing but the binary itself is compiled.
pub async fn build(example: &str) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--release",
            "--bin",
            "logbridge",
            "--example",
            example,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    // What `cargo run` set for this example; left in, build scripts that watch them (ring
    // watches CARGO_MANIFEST_DIR) would rebuild half the dependencies, and again next time.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo_run = name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "OUT_DIR",
            ]
            .contains(&name.as_ref());
        if set_by_cargo_run {
            command.env_remove(name.as_ref());
        }
    }
    let status = command.status().await.context("running cargo build")?;
    anyhow::ensure!(status.success(), "cargo build --release failed");
    let examples = std::env::current_exe()?
        .parent()
        .context("the example's directory")?
        .to_path_buf();
    let release = examples.parent().context("the release directory")?;
    Ok(release.join("logbridge"))
}
