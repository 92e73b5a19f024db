//! Route templating for HTTP records that carry a raw path instead of a route: id-like path
//! segments become `{id}` so that the `route` metric label stays low-cardinality.

/// The longest route produced, in bytes.
pub const MAX_ROUTE_BYTES: usize = 256;

/// Segments longer than this are opaque values, never route words.
const MAX_SEGMENT_BYTES: usize = 64;

/// The route template of a path or URL: scheme, host, query and fragment dropped, empty
/// segments (duplicate and trailing slashes) dropped, id-like segments replaced by `{id}`, at
/// most [`MAX_ROUTE_BYTES`] long (whole segments only). Idempotent.
pub fn template(path: &str) -> String {
    let path = strip_origin(path);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut route = String::with_capacity(path.len().min(MAX_ROUTE_BYTES));
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        let segment = if is_id(segment) { "{id}" } else { segment };
        if route.len() + 1 + segment.len() > MAX_ROUTE_BYTES {
            break;
        }
        route.push('/');
        route.push_str(segment);
    }
    if route.is_empty() {
        route.push('/');
    }
    route
}

/// The path part of an absolute URL (`https://host:8080/a` → `/a`); other input unchanged.
fn strip_origin(path: &str) -> &str {
    let Some((scheme, rest)) = path.split_once("://") else {
        return path;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return path;
    }
    rest.find(['/', '?', '#'])
        .map_or("", |start| &rest[start..])
}

/// Whether a segment is a value (number, UUID, hash, token) rather than a route word.
fn is_id(segment: &str) -> bool {
    if segment.len() > MAX_SEGMENT_BYTES {
        return true;
    }
    if is_placeholder(segment) {
        return false;
    }
    let bytes = segment.as_bytes();
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    bytes.iter().all(u8::is_ascii_digit)
        || is_uuid(bytes)
        || (bytes.len() >= 8 && has_digit && bytes.iter().all(u8::is_ascii_hexdigit))
        || (has_digit && is_opaque_token(bytes))
        || is_mostly_digits(bytes)
        || is_email(segment)
}

/// Four or more digits making up at least half of the letters and digits, as in order numbers
/// and dates (`ORD-2024-000123`, `2024-05-01`); `report_2024.pdf` stays.
fn is_mostly_digits(bytes: &[u8]) -> bool {
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    let alphanumerics = bytes.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    digits >= 4 && digits * 2 >= alphanumerics
}

/// `local@domain.tld`.
fn is_email(segment: &str) -> bool {
    segment
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

/// `{name}` or `:name`, as routers write parameters.
fn is_placeholder(segment: &str) -> bool {
    (segment.starts_with('{') && segment.ends_with('}') && segment.len() > 2)
        || segment
            .strip_prefix(':')
            .is_some_and(|name| !name.is_empty() && name.bytes().all(is_word_byte))
}

/// 8-4-4-4-12 hex digits, any case.
fn is_uuid(bytes: &[u8]) -> bool {
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// At least 20 base64url characters in which letters and digits alternate often (three or more
/// letter/digit boundaries), as in random tokens; slugs like `report-2024-v2-final` stay.
fn is_opaque_token(bytes: &[u8]) -> bool {
    if bytes.len() < 20 || !bytes.iter().all(|b| is_word_byte(*b) || *b == b'-') {
        return false;
    }
    let boundaries = bytes
        .windows(2)
        .filter(|pair| {
            let (a, b) = (pair[0], pair[1]);
            (a.is_ascii_digit() && b.is_ascii_alphabetic())
                || (a.is_ascii_alphabetic() && b.is_ascii_digit())
        })
        .count();
    boundaries >= 3
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_ordinary_words() {
        for path in [
            "/api/v1/users",
            "/health",
            "/static/app.js",
            "/report-2024-v2-final",
        ] {
            assert_eq!(template(path), path);
        }
    }

    #[test]
    fn replaces_id_like_segments() {
        let cases = [
            ("/users/42", "/users/{id}"),
            ("/users/42/orders/7", "/users/{id}/orders/{id}"),
            ("/o/6F9619FF-8B86-D011-B42D-00C04FC964FF", "/o/{id}"),
            (
                "/o/550e8400-e29b-41d4-a716-446655440000/items",
                "/o/{id}/items",
            ),
            ("/commits/3f2a9c1e", "/commits/{id}"),
            ("/commits/deadbeef", "/commits/deadbeef"),
            (
                "/blobs/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "/blobs/{id}",
            ),
            ("/pay/pi_3MtwBwLkdIwHu7ix28a3tqPa", "/pay/{id}"),
            ("/reset/dQw4w9WgXcQ-abc_XYZ12345", "/reset/{id}"),
            ("/orders/ORD-2024-000123/lines", "/orders/{id}/lines"),
            ("/reports/2024-05-01", "/reports/{id}"),
            ("/users/john.doe@example.com", "/users/{id}"),
        ];
        for (path, route) in cases {
            assert_eq!(template(path), route, "{path}");
        }
    }

    #[test]
    fn strips_origin_query_fragment_and_slashes() {
        assert_eq!(
            template("https://api.example.com:8443/users/12?expand=1#top"),
            "/users/{id}"
        );
        assert_eq!(template("http://example.com"), "/");
        assert_eq!(template("//users///12//"), "/users/{id}");
        assert_eq!(template("users/12"), "/users/{id}");
        assert_eq!(template("/search?q=/etc/passwd"), "/search");
        assert_eq!(template(""), "/");
        assert_eq!(template("?"), "/");
    }

    #[test]
    fn keeps_router_placeholders() {
        assert_eq!(
            template("/users/{id}/posts/:postId"),
            "/users/{id}/posts/:postId"
        );
        assert_eq!(template("/users/{userId}"), "/users/{userId}");
    }

    #[test]
    fn bounded_length_on_whole_segments() {
        let long = "/abcdefghij".repeat(40);
        let route = template(&long);
        assert!(route.len() <= MAX_ROUTE_BYTES);
        assert!(route.ends_with("/abcdefghij"));
        assert_eq!(template(&format!("/a/{}", "é".repeat(300))), "/a/{id}");
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,10}",
            "[0-9]{1,12}",
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[A-Za-z0-9_-]{15,30}",
            Just("{id}".to_string()),
        ]
    }

    proptest! {
        #[test]
        fn idempotent_on_arbitrary_strings(path in ".{0,300}") {
            let once = template(&path);
            prop_assert_eq!(template(&once), once.clone());
            prop_assert!(once.len() <= MAX_ROUTE_BYTES && once.starts_with('/'));
        }

        #[test]
        fn idempotent_on_generated_paths(segments in prop::collection::vec(segment(), 0..40)) {
            let path = format!("/{}", segments.join("/"));
            let once = template(&path);
            prop_assert_eq!(template(&once), once.clone());
            let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            prop_assert!(!once.split('/').any(numeric), "{}", once);
        }
    }
}
