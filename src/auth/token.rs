//! Token secrets: generated at random, shown once, kept only as a SHA-256 hash.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::Rng as _;
use sha2::{Digest, Sha256};

/// Every token starts with this, so that leaked tokens are easy to find (secret scanners).
pub const PREFIX: &str = "lb_";

/// A new random token: 256 bits of entropy.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token. A fast hash suffices: tokens are random, not passwords.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The token of an `Authorization` header value: `Bearer <token>`, `ApiKey <token>` (what the
/// Elasticsearch clients send) or HTTP Basic with the token as the password (what Promtail,
/// Alloy and the Loki libraries send); the Basic user name is ignored.
pub fn secret(header: &str) -> Option<String> {
    let (scheme, value) = header.trim().split_once(' ')?;
    let value = value.trim();
    let token = if scheme.eq_ignore_ascii_case("basic") {
        basic_password(value)?
    } else if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("apikey") {
        value.to_owned()
    } else {
        return None;
    };
    (!token.is_empty()).then_some(token)
}

/// The password of a Basic credential, `base64(user:password)`.
fn basic_password(encoded: &str) -> Option<String> {
    let decoded = STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    Some(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_prefixed() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43, "{a}");
        assert_ne!(hash(&a), hash(&b));
    }

    #[test]
    fn bearer_api_key_and_basic_headers_are_parsed() {
        let secret = |header: &str| super::secret(header);
        assert_eq!(secret("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(secret("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(secret("ApiKey abc").as_deref(), Some("abc"));
        let basic = format!("Basic {}", STANDARD.encode("loki:lb_x"));
        assert_eq!(secret(&basic).as_deref(), Some("lb_x"));
        let colon = format!("Basic {}", STANDARD.encode("u:a:b"));
        assert_eq!(secret(&colon).as_deref(), Some("a:b"));
        assert_eq!(secret(&format!("Basic {}", STANDARD.encode("u:"))), None);
        assert_eq!(secret("Basic not-base64!"), None);
        assert_eq!(secret("Bearer "), None);
        assert_eq!(secret("Digest abc"), None);
        assert_eq!(secret("abc"), None);
    }
}
