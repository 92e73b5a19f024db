//! The provisioning files as `grafana provision` reads them: the datasource YAML with Grafana's
//! environment interpolation, and the dashboard JSON files.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::ProvisionError;

/// One datasource of the provisioning file, as the body of Grafana's datasource API.
#[derive(Debug, Clone)]
pub struct Datasource {
    pub uid: String,
    pub name: String,
    /// `name`, `type`, `url`, `jsonData`, `secureJsonData`, ... with variables interpolated.
    pub body: Value,
}

/// One dashboard file.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub path: PathBuf,
    pub uid: String,
    pub title: String,
    pub json: Value,
}

/// Provisioning-file keys that are not fields of the datasource API.
const FILE_ONLY_KEYS: [&str; 3] = ["orgId", "version", "editable"];

/// Reads the `datasources:` of a provisioning file, interpolating every string value.
pub fn load_datasources(
    path: &Path,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<Datasource>, ProvisionError> {
    let file_error = |reason: String| ProvisionError::File {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    let mut document: Value =
        serde_yaml_ng::from_str(&text).map_err(|e| file_error(e.to_string()))?;
    interpolate_strings(&mut document, env);
    let Some(Value::Array(entries)) = document.get_mut("datasources").map(Value::take) else {
        return Err(file_error("no `datasources:` list".into()));
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            datasource(entry)
                .map_err(|reason| file_error(format!("datasources[{index}]: {reason}")))
        })
        .collect()
}

fn datasource(mut body: Value) -> Result<Datasource, String> {
    let Some(fields) = body.as_object_mut() else {
        return Err("not a mapping".into());
    };
    for key in FILE_ONLY_KEYS {
        fields.remove(key);
    }
    let text = |key: &str| match fields.get(key) {
        Some(Value::String(value)) if !value.is_empty() => Ok(value.clone()),
        _ => Err(format!("`{key}` is missing")),
    };
    let (uid, name) = (text("uid")?, text("name")?);
    text("type")?;
    Ok(Datasource { uid, name, body })
}

fn interpolate_strings(value: &mut Value, env: &impl Fn(&str) -> Option<String>) {
    match value {
        Value::String(text) => *text = interpolate(text, env),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| interpolate_strings(item, env)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|item| interpolate_strings(item, env)),
        _ => {}
    }
}

/// Replaces `$VAR` and `${VAR}` by the variable's value (empty when unset) and `$$` by `$`, as
/// Grafana does in provisioning files; any other `$` stays as it is.
pub fn interpolate(text: &str, env: &impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let (replacement, after) = expand_one(&rest[dollar + 1..], env);
        out.push_str(&replacement);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// What the text after one `$` starts with, expanded, and the rest of the text.
fn expand_one<'a>(after: &'a str, env: &impl Fn(&str) -> Option<String>) -> (String, &'a str) {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if let Some(rest) = after.strip_prefix('$') {
        return ("$".into(), rest);
    }
    let braced = after
        .strip_prefix('{')
        .and_then(|inner| inner.split_once('}'));
    if let Some((name, rest)) =
        braced.filter(|(name, _)| !name.is_empty() && name.chars().all(is_name))
    {
        return (env(name).unwrap_or_default(), rest);
    }
    let name_end = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
    match name_end {
        0 => ("$".into(), after),
        _ => (
            env(&after[..name_end]).unwrap_or_default(),
            &after[name_end..],
        ),
    }
}

/// Reads every `*.json` dashboard of a folder, sorted by file name.
pub fn load_dashboards(folder: &Path) -> Result<Vec<Dashboard>, ProvisionError> {
    let folder_error = |reason: String| ProvisionError::File {
        path: folder.to_path_buf(),
        reason,
    };
    let entries = std::fs::read_dir(folder).map_err(|e| folder_error(e.to_string()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(folder_error("no *.json dashboards".into()));
    }
    paths.into_iter().map(dashboard).collect()
}

fn dashboard(path: PathBuf) -> Result<Dashboard, ProvisionError> {
    let file_error = |reason: String| ProvisionError::File {
        path: path.clone(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| file_error(e.to_string()))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| file_error(e.to_string()))?;
    let field = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_string);
    let uid = field("uid").ok_or_else(|| file_error("no `uid`".into()))?;
    let title = field("title").ok_or_else(|| file_error("no `title`".into()))?;
    Ok(Dashboard {
        path,
        uid,
        title,
        json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "PASSWORD").then(|| "s3cret".to_string())
    }

    #[test]
    fn interpolation_follows_grafana() {
        assert_eq!(interpolate("${PASSWORD}", &env), "s3cret");
        assert_eq!(interpolate("a $PASSWORD b", &env), "a s3cret b");
        assert_eq!(interpolate("x=$${__value.raw}", &env), "x=${__value.raw}");
        assert_eq!(interpolate("$UNSET|${UNSET}", &env), "|");
        assert_eq!(interpolate("cost: 5$ ${a.b}", &env), "cost: 5$ ${a.b}");
        assert_eq!(interpolate("trailing $", &env), "trailing $");
    }
}
