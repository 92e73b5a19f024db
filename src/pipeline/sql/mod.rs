//! SQL normalization for records that describe a database query: a fingerprint that groups
//! executions of one statement (literals and parameters as `?`, lists collapsed, comments and
//! formatting dropped), and the statement's operation as a bounded metric label.

mod keywords;
mod lexer;

use std::sync::LazyLock;

use regex::Regex;

use keywords::{MAIN_STATEMENTS, keyword};
pub use keywords::{OPERATIONS, OTHER_OPERATION};
use lexer::{Kind, Lexer, Token};

use super::fields::truncate;

/// The longest fingerprint produced, in bytes.
pub const MAX_FINGERPRINT_BYTES: usize = 512;

/// `IN (?, ?)`, `IN (...)` and `VALUES (?, ?), (?, ?)` as rendered, to collapse into `(?)`.
static VALUE_LISTS: LazyLock<Regex> = LazyLock::new(|| {
    let list = r"\((?:\.\.\.|\?(?:, \?)*)\)";
    Regex::new(&format!(r"(?-u:\b)(IN|VALUES) {list}(?:, {list})*")).expect("valid regex")
});

/// The fingerprint of a statement: string, numeric and dollar-quoted literals and bind
/// parameters (`$1`, `?`, `:name`, `%s`) become `?`, value lists collapse to `(?)`, comments
/// go, whitespace is canonical, known keywords are upper case, identifiers keep their case, a
/// trailing `;` goes; at most [`MAX_FINGERPRINT_BYTES`]. Linear time, total, idempotent.
pub fn fingerprint(sql: &str) -> String {
    let rendered = render(sql);
    let collapsed = VALUE_LISTS.replace_all(&rendered, "$1 (?)");
    cap(&collapsed).to_string()
}

/// The statement's operation in upper case, one of [`OPERATIONS`] or `OTHER`; for `WITH`, the
/// main statement's keyword when one follows the common table expressions.
pub fn operation(sql: &str) -> String {
    operation_name(sql).to_string()
}

fn operation_name(sql: &str) -> &'static str {
    let mut tokens = Lexer::new(sql).skip_while(|token| token.kind == Kind::Open);
    let Some(first) = tokens.next().filter(|token| token.kind == Kind::Word) else {
        return OTHER_OPERATION;
    };
    let Some(name) = OPERATIONS
        .iter()
        .find(|op| op.eq_ignore_ascii_case(first.text))
    else {
        return OTHER_OPERATION;
    };
    if *name != "WITH" {
        return name;
    }
    let mut depth = 0usize;
    for token in tokens {
        match token.kind {
            Kind::Open => depth += 1,
            Kind::Close => depth = depth.saturating_sub(1),
            Kind::Word if depth == 0 => {
                let main = MAIN_STATEMENTS
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(token.text));
                if let Some(main) = main {
                    return main;
                }
            }
            _ => {}
        }
    }
    name
}

/// Tokens written back with canonical spacing, values as `?` and keywords in upper case.
fn render(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len().min(4 * MAX_FINGERPRINT_BYTES));
    let mut prev: Option<Token> = None;
    for token in Lexer::new(sql) {
        if prev.is_some_and(|prev| needs_space(prev, token)) {
            out.push(' ');
        }
        match token.kind {
            Kind::Value => out.push('?'),
            Kind::Word => out.push_str(keyword(token.text).unwrap_or(token.text)),
            _ => out.push_str(token.text),
        }
        prev = Some(token);
    }
    out
}

/// Whether a space separates two tokens: none inside brackets, around `.`, before `,` and `;`,
/// nor between a function name and its `(` when the source had none.
fn needs_space(prev: Token, next: Token) -> bool {
    match (prev.kind, next.kind) {
        (Kind::Open | Kind::Dot, _) => false,
        (_, Kind::Close | Kind::Comma | Kind::Semi | Kind::Dot) => false,
        (Kind::Word, Kind::Open) => next.spaced || keyword(prev.text).is_some(),
        _ => true,
    }
}

/// The rendered text cut to the maximum length without splitting a word, then without trailing
/// whitespace and `;`.
fn cap(text: &str) -> &str {
    let mut cut = truncate(text, MAX_FINGERPRINT_BYTES);
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '$') || !c.is_ascii();
    let split_word =
        cut.len() < text.len() && cut.ends_with(is_word) && text[cut.len()..].starts_with(is_word);
    if split_word {
        let word_start = cut.trim_end_matches(is_word).len();
        if word_start > 0 {
            cut = &cut[..word_start];
        }
    }
    cut.trim_end_matches(|c: char| c == ';' || c.is_whitespace())
}

#[cfg(test)]
mod tests;
