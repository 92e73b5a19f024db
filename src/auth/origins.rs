//! The origins a browser key may be used from: exact origins (`https://shop.example.com`,
//! `http://localhost:3000`) and subdomain patterns (`https://*.example.com`; `*.example.com`
//! means https). Checked against the `Origin` header a browser sends with every request.

/// Why an origin given for a browser key is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an origin: give scheme://host[:port] without a path, \
     or a pattern such as https://*.example.com"
)]
pub struct InvalidOrigin(pub String);

/// The normal form of an origin or pattern a key is created with: lower case, no trailing `/`,
/// `https://` added to a bare `*.domain` pattern.
pub fn normalize(origin: &str) -> Result<String, InvalidOrigin> {
    let lowered = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let normal = if lowered.starts_with("*.") {
        format!("https://{lowered}")
    } else {
        lowered
    };
    let invalid = || InvalidOrigin(origin.to_string());
    let (scheme, host) = normal.split_once("://").ok_or_else(invalid)?;
    let domain = host.strip_prefix("*.").unwrap_or(host);
    let scheme_ok = matches!(scheme, "http" | "https");
    let host_ok = !domain.is_empty()
        && !domain.starts_with(['.', ':'])
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if scheme_ok && host_ok {
        Ok(normal)
    } else {
        Err(invalid())
    }
}

/// Whether the `Origin` a browser sent is one of `allowed` (normalized entries).
pub fn allows(allowed: &[String], origin: &str) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    allowed.iter().any(|entry| matches(entry, &origin))
}

fn matches(entry: &str, origin: &str) -> bool {
    let Some((scheme, pattern)) = entry.split_once("://") else {
        return false;
    };
    let Some(domain) = pattern.strip_prefix("*.") else {
        return entry == origin;
    };
    let Some(host) = origin
        .strip_prefix(scheme)
        .and_then(|rest| rest.strip_prefix("://"))
    else {
        return false;
    };
    let Some(subdomain) = host.strip_suffix(domain) else {
        return false;
    };
    let label = subdomain.strip_suffix('.').unwrap_or("");
    !label.is_empty() && !label.contains([':', '/', '@'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| normalize(e).unwrap()).collect()
    }

    #[test]
    fn exact_origins_match_only_themselves() {
        let allowed = normal(&["https://Shop.example.com/", "http://localhost:3000"]);
        assert!(allows(&allowed, "https://shop.example.com"));
        assert!(allows(&allowed, "http://localhost:3000"));
        assert!(!allows(&allowed, "http://shop.example.com"));
        assert!(!allows(&allowed, "https://shop.example.com.evil.net"));
        assert!(!allows(&allowed, "https://shop.example.com:8443"));
        assert!(!allows(&allowed, "http://localhost:3001"));
        assert!(!allows(&allowed, "null"));
    }

    #[test]
    fn patterns_match_subdomains_of_their_scheme_only() {
        let allowed = normal(&["*.example.com"]);
        assert_eq!(allowed, ["https://*.example.com"]);
        assert!(allows(&allowed, "https://shop.example.com"));
        assert!(allows(&allowed, "https://a.b.example.com"));
        assert!(!allows(&allowed, "https://example.com"));
        assert!(!allows(&allowed, "https://evilexample.com"));
        assert!(!allows(&allowed, "http://shop.example.com"));
        assert!(!allows(&allowed, "https://shop.example.com.evil.net"));
        assert!(!allows(&allowed, "https://shop.example.com:8443"));
    }

    #[test]
    fn entries_must_be_origins_or_patterns() {
        for bad in [
            "example.com",
            "https://a.example/app",
            "ftp://a",
            "*",
            "https://",
            "null",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
        assert_eq!(
            normalize("HTTPS://A.example:8443/").unwrap(),
            "https://a.example:8443"
        );
    }
}
