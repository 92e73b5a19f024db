//! The effective configuration key by key, for `logbridge config check`: each value (secrets
//! hidden, the database URL without its password) with where it came from: the file, an
//! environment variable, or the built-in default.

use serde_yaml_ng::Value;

use super::{Config, env};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The configuration file, by its path.
    File(String),
    /// An environment variable, by its name.
    Variable(String),
    /// The built-in default.
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(path) => write!(f, "file {path}"),
            Source::Variable(name) => write!(f, "env {name}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// One key of the effective configuration.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The dotted key path, e.g. `ingest.max_body_bytes`.
    pub key: String,
    /// The value as one line of YAML flow text.
    pub value: String,
    pub source: Source,
}

/// Every leaf key of `config` (loaded from `yaml` and `vars`) with its value and source.
pub fn explain(
    config: &Config,
    yaml: &str,
    origin: &str,
    vars: &[(String, String)],
) -> Result<Vec<Entry>, String> {
    let effective = serde_yaml_ng::to_value(config).map_err(|e| e.to_string())?;
    let file_tree = env::parse_tree(yaml)?;
    let (_, applied) = env::apply(file_tree.clone(), vars)?;
    let mut entries = Vec::new();
    let context = Context {
        file_tree: &file_tree,
        origin,
        applied: &applied,
    };
    walk(&effective, &mut Vec::new(), &context, &mut entries);
    for entry in entries.iter_mut().filter(|e| e.key == "database.url") {
        entry.value = config.database.url.url_without_password();
    }
    Ok(entries)
}

struct Context<'a> {
    file_tree: &'a Value,
    origin: &'a str,
    applied: &'a env::Applied,
}

fn walk(value: &Value, path: &mut Vec<String>, context: &Context, out: &mut Vec<Entry>) {
    if let Value::Mapping(fields) = value
        && !fields.is_empty()
    {
        for (key, child) in fields {
            path.push(key.as_str().unwrap_or_default().to_string());
            walk(child, path, context, out);
            path.pop();
        }
        return;
    }
    out.push(Entry {
        key: path.join("."),
        value: flow(value),
        source: source(path, context),
    });
}

/// The value as one line: scalars as they are, lists and mappings as JSON.
fn flow(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(text) => text.clone(),
        Value::Bool(_) | Value::Number(_) => serde_yaml_ng::to_string(value)
            .unwrap_or_default()
            .trim_end()
            .to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn source(path: &[String], context: &Context) -> Source {
    let by_variable = context
        .applied
        .iter()
        .rev()
        .find(|(set, _)| path.starts_with(set) || set.starts_with(path));
    if let Some((_, name)) = by_variable {
        return Source::Variable(name.clone());
    }
    let mut node = context.file_tree;
    for key in path {
        match node.get(key.as_str()) {
            Some(child) => node = child,
            None => return Source::Default,
        }
    }
    Source::File(context.origin.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(yaml: &str, vars: &[(&str, &str)]) -> Vec<Entry> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let config = Config::from_yaml_and_env(yaml, "f.yaml", vars.clone().into_iter()).unwrap();
        explain(&config, yaml, "f.yaml", &vars).unwrap()
    }

    fn find<'a>(entries: &'a [Entry], key: &str) -> &'a Entry {
        entries.iter().find(|e| e.key == key).expect(key)
    }

    #[test]
    fn each_value_names_the_file_the_variable_or_the_default() {
        let yaml = "ingest:\n  writers: 3\nlisten:\n  http: 127.0.0.1:4318\n";
        let vars = [
            ("LOGBRIDGE_LISTEN__HTTP", "127.0.0.1:9000"),
            ("DATABASE_URL", "postgres://u:hunter2@db/x"),
        ];
        let entries = entries(yaml, &vars);
        let writers = find(&entries, "ingest.writers");
        assert_eq!(
            (writers.value.as_str(), &writers.source),
            ("3", &Source::File("f.yaml".into()))
        );
        let http = find(&entries, "listen.http");
        assert_eq!(http.value, "127.0.0.1:9000");
        assert_eq!(
            http.source,
            Source::Variable("LOGBRIDGE_LISTEN__HTTP".into())
        );
        let url = find(&entries, "database.url");
        assert_eq!(url.value, "postgres://u:***@db/x");
        assert_eq!(url.source, Source::Variable("DATABASE_URL".into()));
        let body = find(&entries, "ingest.max_body_bytes");
        assert_eq!(
            (body.value.as_str(), &body.source),
            ("16777216", &Source::Default)
        );
    }

    #[test]
    fn secrets_never_print() {
        let yaml = "access:\n  metrics_token: hunter2\n";
        let entries = entries(yaml, &[]);
        assert_eq!(find(&entries, "access.metrics_token").value, "***");
        assert!(entries.iter().all(|e| !e.value.contains("hunter2")));
    }
}
