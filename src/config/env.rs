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

/// The variables that set keys, with the key path each sets.
pub(super) type Applied = Vec<(Vec<String>, String)>;

/// Applies `LOGBRIDGE_A__B=value` and `DATABASE_URL`; answers which variable set which path.
pub(super) fn apply(
    mut tree: Value,
    vars: &[(String, String)],
) -> Result<(Value, Applied), String> {
    let mut applied = Vec::new();
    for (name, raw) in vars {
        let Some(path) = key_path(name) else {
            continue;
        };
        let value = scalar(name, raw)?;
        set(&mut tree, &path, value).map_err(|e| format!("{name}: {e}"))?;
        applied.push((path, name.clone()));
    }
    Ok((tree, applied))
}

/// The key path a variable sets; none for variables that are not overrides.
fn key_path(name: &str) -> Option<Vec<String>> {
    if name == "DATABASE_URL" {
        return Some(vec!["database".into(), "url".into()]);
    }
    if MOVED_VARIABLES.iter().any(|(old, _)| *old == name) || COMMAND_VARIABLES.contains(&name) {
        return None;
    }
    let rest = name.strip_prefix(PREFIX)?;
    Some(rest.split("__").map(str::to_ascii_lowercase).collect())
}

/// The first variable that alone makes `file_tree` fail to deserialize, with its error: the
/// variable an environment error is about.
pub(super) fn culprit(file_tree: &Value, vars: &[(String, String)]) -> Option<String> {
    vars.iter().find_map(|var| {
        let (tree, applied) = apply(file_tree.clone(), std::slice::from_ref(var)).ok()?;
        if applied.is_empty() {
            return None;
        }
        let error = deserialize(&tree).err()?;
        Some(format!("{}: {}", var.0, without_location(&error)))
    })
}

/// Variables with the prefix that commands read, not the configuration: `logbridge logs` takes
/// its read token from `LOGBRIDGE_TOKEN`.
pub const COMMAND_VARIABLES: [&str; 1] = ["LOGBRIDGE_TOKEN"];

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
