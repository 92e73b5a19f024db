//! Prometheus rule files (`alert-rules/`): `logbridge rules check` parses them and every PromQL
//! expression, and reports each metric or label the bridge does not export, as `file:line: message`.
//!
//! [`parse`] reads the files; [`check`](check()) infers the labels each expression carries and
//! checks selectors and label clauses against [`Known`] (the catalogue, recording rules, external
//! metrics); `cli::rules` is the command. [`listing`] shows the files' groups and rules to the
//! read API, with each alert's state from Prometheus ([`prometheus`]) when it is configured.

mod check;
mod known;
pub mod listing;
mod parse;
pub mod prometheus;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

pub use check::check_sources;
pub use known::{Known, LabelSet};
pub use parse::{Source, rule_files};

/// One thing wrong with a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Rule files read.
    pub files: usize,
    pub recording_rules: usize,
    pub alerting_rules: usize,
    pub problems: Vec<Problem>,
}

/// Checks the rule files at `paths` (files, or directories of `*.yml`/`*.yaml` whose `tests`
/// subdirectories are skipped) against `known`.
pub fn check(paths: &[impl AsRef<Path>], known: &Known) -> Report {
    let (files, mut problems) = rule_files(paths);
    let mut sources = Vec::new();
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => sources.push(Source { file, text }),
            Err(error) => problems.push(Problem {
                file,
                line: None,
                message: format!("cannot read: {error}"),
            }),
        }
    }
    let mut report = check_sources(&sources, known);
    problems.append(&mut report.problems);
    report.problems = problems;
    report
}
