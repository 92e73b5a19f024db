//! How a stack frame's file finds its map, as Sentry and Alloy's `faro.receiver` match them:
//! by the file URL's path (query and fragment dropped), then by each shorter path suffix, then
//! by the base name; and how an uploaded map's file is named the same way.

/// Longest file URL looked up, in bytes; longer ones are left as sent.
pub(super) const MAX_URL_BYTES: usize = 2048;
/// Path segments tried, at most, from the end.
const MAX_SEGMENTS: usize = 16;

/// The names a frame's file may be stored under, most specific first: `/assets/app.js`,
/// `/app.js`, `app.js` for `https://shop.example.com/assets/app.js?v=2`.
pub fn candidates(url: &str) -> Vec<String> {
    if url.len() > MAX_URL_BYTES {
        return Vec::new();
    }
    let path = url_path(url);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some(base) = segments.last() else {
        return Vec::new();
    };
    let start = segments.len().saturating_sub(MAX_SEGMENTS);
    let mut names: Vec<String> = (start..segments.len())
        .map(|from| format!("/{}", segments[from..].join("/")))
        .collect();
    names.push((*base).to_string());
    names
}

/// The stored name of an uploaded map's minified file (`?file=`, or the map's `file`): its
/// URL path with a leading `/` (`/assets/app.js`), or a bare base name; `.map` dropped.
pub fn stored_name(file: &str) -> Option<String> {
    let path = url_path(file.trim());
    let path = path.strip_suffix(".map").unwrap_or(path);
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let valid = !segments.is_empty()
        && path.len() <= MAX_URL_BYTES
        && !path.chars().any(char::is_control)
        && !segments.contains(&"..");
    if !valid {
        return None;
    }
    match path.contains('/') {
        true => Some(format!("/{}", segments.join("/"))),
        false => Some(segments[0].to_string()),
    }
}

/// The path of a URL (`scheme://host/path`), or the text itself when it has no scheme; the
/// query and fragment dropped.
fn url_path(url: &str) -> &str {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |at| &rest[at..]),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_url_is_tried_by_path_suffixes_then_base_name() {
        assert_eq!(
            candidates("https://shop.example.com/assets/index-B3k1.js?v=2#x"),
            ["/assets/index-B3k1.js", "/index-B3k1.js", "index-B3k1.js"]
        );
        assert_eq!(candidates("app.js"), ["/app.js", "app.js"]);
        assert!(candidates("https://shop.example.com/").is_empty());
        assert!(candidates(&"a/".repeat(5000)).is_empty());
        let deep = format!("https://x{}/a.js", "/d".repeat(40));
        assert_eq!(candidates(&deep).len(), MAX_SEGMENTS + 1);
    }

    #[test]
    fn an_uploaded_file_is_named_by_its_path_or_base_name() {
        let named = |file| stored_name(file);
        assert_eq!(
            named("https://cdn.example.com/assets/app.js").as_deref(),
            Some("/assets/app.js")
        );
        assert_eq!(
            named("assets/app.js.map").as_deref(),
            Some("/assets/app.js")
        );
        assert_eq!(named("app.js").as_deref(), Some("app.js"));
        assert_eq!(named("../../etc/passwd"), None);
        assert_eq!(named(""), None);
    }
}
