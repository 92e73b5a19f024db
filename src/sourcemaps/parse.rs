//! A source map checked and parsed with the `sourcemap` crate: refused naming why when it is
//! not JSON, not a version 3 map, an index map with external sections, or when a source name
//! is over [`MAX_SOURCE_NAME_BYTES`] or holds control characters (which could forge stack
//! lines). Sources are names only: the bridge never opens what they point at.

use sourcemap::{DecodedMap, SourceMap};

/// Longest source name accepted, in bytes.
pub const MAX_SOURCE_NAME_BYTES: usize = 1024;

/// Why a map was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMap {
    #[error("the source map is not JSON: {0}")]
    NotJson(String),
    #[error("not a usable source map: {0}")]
    Invalid(String),
    #[error("sources[{index}] {reason}")]
    Source { index: usize, reason: &'static str },
}

/// A parsed map and the memory it takes, for the cache's budget.
#[derive(Debug)]
pub struct ParsedMap {
    pub map: SourceMap,
    /// Estimated bytes the parsed map holds.
    pub cost: usize,
}

/// The top of a map, checked before the crate parses it.
#[derive(serde::Deserialize)]
struct Head {
    version: Option<serde_json::Value>,
}

/// Parses and checks a map.
pub fn parse(bytes: &[u8]) -> Result<ParsedMap, InvalidMap> {
    let head: Head =
        serde_json::from_slice(bytes).map_err(|e| InvalidMap::NotJson(e.to_string()))?;
    match head.version {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(3) => {}
        other => {
            let found = other.map_or("none".to_string(), |v| v.to_string());
            return Err(InvalidMap::Invalid(format!(
                "`version` is {found}; 3 is expected"
            )));
        }
    }
    let decoded = sourcemap::decode_slice(bytes).map_err(|e| InvalidMap::Invalid(e.to_string()))?;
    let map = match decoded {
        DecodedMap::Regular(map) => map,
        DecodedMap::Hermes(_) => {
            let reason = "a Hermes (React Native) map, not a web bundle's";
            return Err(InvalidMap::Invalid(reason.to_string()));
        }
        DecodedMap::Index(index) => index.flatten().map_err(|e| {
            InvalidMap::Invalid(format!("an index map that cannot be flattened: {e}"))
        })?,
    };
    check_sources(&map)?;
    let cost = cost(&map);
    Ok(ParsedMap { map, cost })
}

fn check_sources(map: &SourceMap) -> Result<(), InvalidMap> {
    for (index, source) in map.sources().enumerate() {
        if source.len() > MAX_SOURCE_NAME_BYTES {
            let reason = "is longer than 1024 bytes";
            return Err(InvalidMap::Source { index, reason });
        }
        if source.chars().any(char::is_control) {
            let reason = "holds control characters";
            return Err(InvalidMap::Source { index, reason });
        }
    }
    Ok(())
}

/// Tokens, sources, their contents and names: what the parsed map holds in memory.
fn cost(map: &SourceMap) -> usize {
    let tokens = map.get_token_count() as usize * std::mem::size_of::<sourcemap::RawToken>();
    let sources: usize = map.sources().map(str::len).sum();
    let contents: usize = map.source_contents().flatten().map(str::len).sum();
    let names: usize = map.names().map(str::len).sum();
    // Source views keep an index of line starts (a few bytes per line) besides the text.
    tokens + sources + contents * 2 + names + 1024
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = r#"{"version":3,"sources":["src/cart.js"],"names":["total"],
        "mappings":"AAAA,SAASA","sourcesContent":["function total() {}\n"]}"#;

    #[test]
    fn a_map_parses_with_its_cost() {
        let parsed = parse(MAP.as_bytes()).unwrap();
        assert_eq!(parsed.map.get_token_count(), 2);
        assert!(parsed.cost > 20, "{}", parsed.cost);
    }

    #[test]
    fn what_is_not_a_map_is_refused_naming_why() {
        let not_json = parse(b"<html>nope</html>").unwrap_err();
        assert!(matches!(not_json, InvalidMap::NotJson(_)), "{not_json}");
        let version = parse(br#"{"version":2,"sources":[],"names":[],"mappings":""}"#);
        assert!(
            matches!(version, Err(InvalidMap::Invalid(_))),
            "{version:?}"
        );
        let forged = r#"{"version":3,"sources":["a.js\n    at evil (x.js:1:1)"],"names":[],"mappings":"AAAA"}"#;
        let error = parse(forged.as_bytes()).unwrap_err().to_string();
        assert_eq!(error, "sources[0] holds control characters");
        let external =
            r#"{"version":3,"sections":[{"offset":{"line":0,"column":0},"url":"b.js.map"}]}"#;
        let error = parse(external.as_bytes()).unwrap_err().to_string();
        assert!(error.contains("index map"), "{error}");
    }
}
