//! Message normalization for grouping: what varies between occurrences of one bug (numbers,
//! ids, quoted values) becomes `?`.

/// The message with what varies between occurrences (numbers, hex ids, quoted values) replaced
/// by `?`, so that `user 42 not found` and `user 7 not found` group together.
pub fn normalize(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' if c == '"' || !word_continues(&out) => {
                // A quoted value, up to its closing quote (or the end).
                for next in chars.by_ref() {
                    if next == c {
                        break;
                    }
                }
                out.push('?');
            }
            c if c.is_ascii_hexdigit() && !word_continues(&out) => {
                let mut token = String::from(c);
                while let Some(&next) = chars.peek() {
                    if !(next.is_ascii_alphanumeric() || next == '-') {
                        break;
                    }
                    token.push(next);
                    chars.next();
                }
                if is_variable(&token) {
                    out.push('?');
                } else {
                    out.push_str(&token);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether the last character written is part of a word (so a hex digit here is inside it).
fn word_continues(out: &str) -> bool {
    out.chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Tokens that vary between occurrences: anything with a digit (numbers, UUIDs, hex ids).
fn is_variable(token: &str) -> bool {
    token.bytes().any(|b| b.is_ascii_digit())
}
