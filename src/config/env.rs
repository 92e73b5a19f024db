//! Environment overrides applied to the YAML tree before it is deserialized.

use serde_yaml_ng::{Mapping, Value};

use super::Config;

const PREFIX: &str = "LOGBRIDGE_";

/// Variables that once carried the config prefix but are not config keys (Grafana's datasource
/// file reads them), with their new names: config parsing skips them, and the commands that
/// use them read the old name, with a deprecation warning, when the new one is unset.
pub const MOVED_VARIABLES: [(&str, &str); 2] = [
    ("LOGBRIDGE_GRAFANA_DB_PASSWORD", "GRAFANA_DB_PASSWORD"),
    ("LOGBRIDGE_GRAFANA_READ_TOKEN", "GRAFANA_READ_TOKEN"),
];

/// Parses YAML text into a tree; empty text is an empty mapping.
pub(super) fn parse_tree(yaml: &str) -> Result<Value, String> {
    if yaml.trim().is_empty() {
        return Ok(Value::Mapping(Mapping::new()));
    }
    serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
}

/// Deserializes a tree into a `Config`. Goes through text so that errors name the key path.
pub(super) fn deserialize(tree: &Value) -> Result<Config, String> {
    let text = serde_yaml_ng::to_string(tree).map_err(|e| e.to_string())?;
    serde_yaml_ng::from_str(&text).map_err(|e| e.to_string())
}

/// Applies `LOGBRIDGE_A__B=value` and `DATABASE_URL`; reports whether anything was applied.
pub(super) fn apply(
    mut tree: Value,
    vars: impl Iterator<Item = (String, String)>,
) -> Result<(Value, bool), String> {
    let mut applied = false;
    for (name, raw) in vars {
        if MOVED_VARIABLES.iter().any(|(old, _)| *old == name) {
            continue;
        }
        let path: Vec<String> = if name == "DATABASE_URL" {
            vec!["database".into(), "url".into()]
        } else if let Some(rest) = name.strip_prefix(PREFIX) {
            rest.split("__").map(str::to_ascii_lowercase).collect()
        } else {
            continue;
        };
        let value = scalar(&name, &raw)?;
        set(&mut tree, &path, value).map_err(|e| format!("{name}: {e}"))?;
        applied = true;
    }
    Ok((tree, applied))
}

/// Reads a variable's value as YAML, so numbers, booleans and lists work; URLs stay strings.
fn scalar(name: &str, raw: &str) -> Result<Value, String> {
    if name == "DATABASE_URL" {
        return Ok(Value::String(raw.to_string()));
    }
    serde_yaml_ng::from_str(raw).map_err(|e| format!("{name}: {e}"))
}

fn set(tree: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty key".to_string());
    };
    let mut node = tree;
    for key in parents {
        if node.is_null() {
            *node = Value::Mapping(Mapping::new());
        }
        let map = node
            .as_mapping_mut()
            .ok_or_else(|| format!("`{key}` is inside a value that is not a mapping"))?;
        node = map
            .entry(Value::String(key.clone()))
            .or_insert(Value::Mapping(Mapping::new()));
    }
    if node.is_null() {
        *node = Value::Mapping(Mapping::new());
    }
    let map = node
        .as_mapping_mut()
        .ok_or_else(|| format!("`{last}` is inside a value that is not a mapping"))?;
    map.insert(Value::String(last.clone()), value);
    Ok(())
}

/// An error message without its trailing ` at line L column C`.
pub(super) fn without_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_string(),
        _ => message.to_string(),
    }
}
