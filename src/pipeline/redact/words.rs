//! The words of an attribute key, split at separators and camelCase changes, compared ASCII
//! case-insensitively without allocating: what key rules ([`super::keys`]) match on and what
//! their names ([`super::rules`]) are made of.

/// The lowercase words of a key: `X-Api-Key` and `xApiKey` are `[x, api, key]`.
pub fn words(key: &str) -> Vec<String> {
    let bytes = key.as_bytes();
    let mut words = Vec::new();
    let mut end = skip_separators(bytes, bytes.len());
    while end > 0 {
        let start = word_start(bytes, end);
        words.push(key[start..end].to_ascii_lowercase());
        end = skip_separators(bytes, start);
    }
    words.reverse();
    words
}

fn is_separator(byte: u8) -> bool {
    !byte.is_ascii_alphanumeric()
}

/// Where the separators just before `end` begin.
pub(super) fn skip_separators(key: &[u8], mut end: usize) -> usize {
    while end > 0 && is_separator(key[end - 1]) {
        end -= 1;
    }
    end
}

/// Where the word ending at `end` starts: after a separator, or at an upper-case letter that
/// follows a lower-case letter or digit (`userPassword`) or that starts a capitalized word after
/// an acronym (`APIKey`).
pub(super) fn word_start(key: &[u8], end: usize) -> usize {
    let mut start = end;
    while start > 0 && !is_separator(key[start - 1]) {
        start -= 1;
        let byte = key[start];
        if start == 0 || !byte.is_ascii_uppercase() {
            continue;
        }
        let before = key[start - 1];
        let next_lower = start + 1 < end && key[start + 1].is_ascii_lowercase();
        if before.is_ascii_lowercase()
            || before.is_ascii_digit()
            || (before.is_ascii_uppercase() && next_lower)
        {
            return start;
        }
    }
    start
}

/// Whether the key's last words are `words` (ASCII case-insensitively).
pub(super) fn ends_with_words(key: &[u8], words: &[String]) -> bool {
    let mut end = skip_separators(key, key.len());
    for (i, word) in words.iter().rev().enumerate() {
        if end == 0 {
            return false;
        }
        let start = word_start(key, end);
        if !key[start..end].eq_ignore_ascii_case(word.as_bytes()) {
            return false;
        }
        if i + 1 < words.len() {
            end = skip_separators(key, start);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_separators_and_case_changes() {
        assert_eq!(words("http.request.header.authorization").len(), 4);
        assert_eq!(words("X-Api-Key"), ["x", "api", "key"]);
        assert_eq!(words("userPassword"), ["user", "password"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("SSN"), ["ssn"]);
        assert_eq!(words("__token__"), ["token"]);
        assert!(words("--").is_empty());
    }
}
