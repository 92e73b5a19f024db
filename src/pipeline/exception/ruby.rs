//! Ruby backtraces: `path:12:in 'method'` (Ruby 3.4 quotes with `'`, earlier with a backtick),
//! with `from ` before each line in an uncaught exception's report.

use super::trace::{Frame, Thrown, file_name};

/// The one exception of a Ruby backtrace (Ruby prints causes only in reports); its type is the
/// `(ClassName)` ending the first line, when there is one.
pub fn chain(text: &str) -> Vec<Thrown> {
    let frames: Vec<Frame> = text.lines().filter_map(frame).collect();
    if frames.is_empty() {
        return Vec::new();
    }
    let first = text.lines().next().unwrap_or_default().trim_end();
    let exception_type = first
        .strip_suffix(')')
        .and_then(|head| head.rsplit_once(" (").map(|(_, name)| name))
        .filter(|name| !name.contains(' '))
        .unwrap_or_default();
    vec![Thrown {
        exception_type: exception_type.to_string(),
        frames,
    }]
}

/// `/app/shop.rb:10:in `fetch'`, `from app/x.rb:3:in 'Shop#price'`, `block (2 levels) in ...`.
fn frame(line: &str) -> Option<Frame> {
    let line = line.trim();
    let line = line.strip_prefix("from ").unwrap_or(line);
    let (location, method) = line.split_once(":in ")?;
    let (path, number) = location.rsplit_once(':')?;
    let path = path.rsplit_once(": ").map_or(path, |(_, p)| p);
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let method = method.split(':').next().unwrap_or(method);
    let method = method.trim_matches(['`', '\'']);
    let method = method.rsplit(" in ").next().unwrap_or(method);
    let library = ["/gems/", "/lib/ruby/", "<internal:", "/rubygems/"];
    Some(Frame {
        module: file_name(path).trim_end_matches(".rb").to_string(),
        function: method.to_string(),
        in_app: !library.iter().any(|m| path.contains(m)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_quotes_are_read_and_gems_are_library() {
        let text = "request failed (KeyError)\nshop.rb:10:in `fetch'\nshop.rb:10:in `price'\n/usr/lib/ruby/3.1.0/logger.rb:5:in `add'\nfrom app/x.rb:3:in 'block (2 levels) in Shop#price'";
        let chain = chain(text);
        assert_eq!(chain[0].exception_type, "KeyError");
        let frames = &chain[0].frames;
        assert_eq!(frames[1].function, "price");
        assert!(!frames[2].in_app);
        assert_eq!(frames[3].function, "Shop#price");
    }
}
