//! A minified position resolved through its map: the original file, line, column and the
//! enclosing function, guessed as stacktrace.js's `StackTraceGPS` does (the nearest function
//! declaration above the position in the original source, `sourcesContent`), else the token's
//! name. Positions are 1-based, as browsers print them.

use std::sync::LazyLock;

use regex::Regex;

use super::parse::ParsedMap;

/// Lines of original source searched above a position for its function.
const FUNCTION_LOOKBACK_LINES: u32 = 100;
/// Longest original line searched, in bytes (longer ones are skipped: minified sources).
const MAX_LINE_BYTES: usize = 1000;

/// Where a minified position came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub function: Option<String>,
}

/// `function name(`, `name = function`, `name: async (...) =>`, `name(args) {` (a method).
static FUNCTION: LazyLock<Regex> = LazyLock::new(|| {
    let name = r"[A-Za-z_$][\w$]*";
    let declared = format!(r"function\s*\*?\s*(?P<declared>{name})\s*\(");
    let assigned = format!(
        r"(?P<assigned>{name})\s*[:=]\s*(?:async\s+)?(?:function\b|\([^()]*\)\s*=>|{name}\s*=>)"
    );
    let method =
        format!(r"^\s*(?:(?:async|static|get|set)\s+)*(?P<method>{name})\s*\([^()]*\)\s*\{{");
    Regex::new(&format!("{declared}|{assigned}|{method}")).expect("the function pattern")
});

/// Words that look like a method before `(...) {`.
const KEYWORDS: [&str; 6] = ["if", "for", "while", "switch", "catch", "with"];

impl ParsedMap {
    /// The original of 1-based `line` and `column` of the minified file, if the map maps it.
    pub fn original(&self, line: u64, column: u64) -> Option<Original> {
        let line = u32::try_from(line.checked_sub(1)?).ok()?;
        let column = u32::try_from(column.saturating_sub(1)).ok()?;
        let token = self.map.lookup_token(line, column)?;
        if token.get_dst_line() != line || !token.has_source() {
            return None;
        }
        let (src_line, src_col) = (token.get_src_line(), token.get_src_col());
        if src_line == u32::MAX || src_col == u32::MAX {
            return None;
        }
        let function = self
            .enclosing_function(token.get_src_id(), src_line, src_col)
            .or_else(|| token.get_name().map(str::to_string));
        Some(Original {
            file: token.get_source()?.to_string(),
            line: src_line.saturating_add(1),
            column: src_col.saturating_add(1),
            function,
        })
    }

    /// The nearest function declared at or above 0-based `line` (before `column` on it).
    fn enclosing_function(&self, source: u32, line: u32, column: u32) -> Option<String> {
        let view = self.map.get_source_view(source)?;
        let first = line.saturating_sub(FUNCTION_LOOKBACK_LINES);
        for at in (first..=line).rev() {
            let Some(text) = view.get_line(at) else {
                continue;
            };
            if text.len() > MAX_LINE_BYTES {
                continue;
            }
            let text = match at == line {
                true => text.get(..column as usize).unwrap_or(text),
                false => text,
            };
            if let Some(name) = last_function(text) {
                return Some(name.to_string());
            }
        }
        None
    }
}

/// The last function a line declares.
fn last_function(line: &str) -> Option<&str> {
    let names = FUNCTION.captures_iter(line).filter_map(|found| {
        let name = ["declared", "assigned", "method"]
            .iter()
            .find_map(|group| found.name(group))?;
        (!KEYWORDS.contains(&name.as_str())).then_some(name.as_str())
    });
    names.last()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sourcemaps::parse::parse;

    /// `function total(items){throw new Error("x")}` minified to `function t(n){throw Error("x")}`.
    const MAP: &str = r#"{"version":3,"sources":["../src/cart.js"],"names":["total","items"],
        "mappings":"AAAA,SAASA,EAAMC,GACb,MAAM","sourcesContent":["function total(items) {\n  throw new Error(\"x\");\n}\n"]}"#;

    #[test]
    fn a_position_maps_to_its_original_and_enclosing_function() {
        let parsed = parse(MAP.as_bytes()).unwrap();
        let original = parsed.original(1, 16).unwrap();
        assert_eq!(
            original,
            Original {
                file: "../src/cart.js".into(),
                line: 2,
                column: 3,
                function: Some("total".into()),
            }
        );
        assert_eq!(parsed.original(2, 1), None, "no mapping on that line");
        assert_eq!(parsed.original(0, 5), None);
        assert_eq!(parsed.original(u64::MAX, u64::MAX), None);
    }

    #[test]
    fn two_esbuild_builds_map_their_frames_to_the_same_original() {
        let first =
            include_bytes!("../../tests/fixtures/sourcemaps/dist/shop/1.0.0/assets/app.js.map");
        let next =
            include_bytes!("../../tests/fixtures/sourcemaps/dist/shop/1.0.1/assets/app.js.map");
        let (first, next) = (parse(first).unwrap(), parse(next).unwrap());
        let thrown = Original {
            file: "../../../../src/cart.js".into(),
            line: 7,
            column: 13,
            function: Some("total".into()),
        };
        assert_eq!(first.original(1, 71), Some(thrown.clone()));
        assert_eq!(next.original(1, 245), Some(thrown));
        let caller = first.original(1, 174).unwrap();
        assert_eq!(
            (caller.line, caller.function.as_deref()),
            (5, Some("checkout"))
        );
        assert_eq!(
            next.original(1, 350).unwrap().function.as_deref(),
            Some("checkout")
        );
    }

    #[test]
    fn functions_are_found_in_their_usual_forms() {
        assert_eq!(
            last_function("export function total(items) {"),
            Some("total")
        );
        assert_eq!(last_function("const pay = async (card) => {"), Some("pay"));
        assert_eq!(last_function("  onClick: function () {"), Some("onClick"));
        assert_eq!(last_function("  async checkout(cart) {"), Some("checkout"));
        assert_eq!(last_function("  if (x) {"), None);
    }
}
