//! Stack traces parsed into the chain of exceptions they print and each one's frames, for the
//! grouping step: a parser per language ([`python`], [`java`], [`dotnet`], [`javascript`],
//! [`go`], [`ruby`], [`php`]) and the rules that tell application frames from library ones.

use super::{dotnet, go, java, javascript, php, python, ruby};

/// One stack frame, reduced to what identifies the code: no line numbers, no addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The module, class, package or file (without directories) the function belongs to.
    pub module: String,
    /// The function or method, without argument lists or anonymous-function counters.
    pub function: String,
    /// Whether the frame is the application's own code, not a library's or the runtime's.
    pub in_app: bool,
}

/// One exception of a chain: its type and its frames, nearest the throw first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Thrown {
    /// The exception type as printed (`KeyError`, `java.lang.IllegalStateException`, `panic`).
    pub exception_type: String,
    /// The frames, the one that threw first.
    pub frames: Vec<Frame>,
}

impl Thrown {
    /// The frame nearest the throw that is application code.
    pub fn crashing_frame(&self) -> Option<&Frame> {
        self.frames.iter().find(|frame| frame.in_app)
    }
}

/// The chain a stack trace prints, outermost exception first and root cause last; empty when
/// no language's frames are found in it.
pub fn parse(stack: &str) -> Vec<Thrown> {
    let parsers: [fn(&str) -> Vec<Thrown>; 7] = [
        python::chain,
        go::chain,
        java::chain,
        dotnet::chain,
        javascript::chain,
        ruby::chain,
        php::chain,
    ];
    let mut best: Vec<Thrown> = Vec::new();
    let mut best_frames = 0;
    for parse in parsers {
        let chain = parse(stack);
        let frames = chain
            .iter()
            .map(|thrown| thrown.frames.len())
            .sum::<usize>();
        if frames > best_frames {
            (best, best_frames) = (chain, frames);
        }
    }
    best
}

/// The last path component of a file name, without its directories.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// `name` without trailing `$1`-, `.func2`- or `_3`-style counters that compilers give anonymous
/// functions, which change when code above them changes.
pub fn without_counter(name: &str) -> String {
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit());
    match trimmed.strip_suffix(['$', '_']) {
        Some(base) if trimmed.len() < name.len() => base.to_string(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_of_anonymous_functions_are_dropped() {
        assert_eq!(without_counter("lambda$main$3"), "lambda$main");
        assert_eq!(without_counter("load"), "load");
        assert_eq!(without_counter("http2"), "http2");
        assert_eq!(file_name("/app/src/users.js"), "users.js");
    }

    #[test]
    fn text_without_frames_is_no_chain() {
        assert!(parse("disk full\nretrying").is_empty());
    }
}
