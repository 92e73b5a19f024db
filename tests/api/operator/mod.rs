//! The operator's side of the commands: `config check`, which commands may create a database,
//! what `migrate` reports, and how logs and errors read.

mod config_check;
mod database;
mod demo;
mod logs;
mod pino_recipe;
mod quickstart;
mod repeats;
mod startup;

use std::process::Output;

/// Runs the binary in an empty folder with only `vars` of the LOGBRIDGE_/DATABASE_URL kind set.
pub fn logbridge(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let folder = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_logbridge"));
    command.current_dir(folder.path()).args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("LOGBRIDGE_") || name == "DATABASE_URL" || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command.envs(vars.iter().copied());
    command.output().expect("logbridge runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
