//! PHP traces: `getTraceAsString()` frames (`#0 /app/src/Cart.php(12): Cart->total()`), as PHP's
//! fatal errors and Monolog's LineFormatter print them, and the `path.php:12` lines of Monolog's
//! JsonFormatter (its `file` then its `trace`); and Monolog's LineFormatter report of an
//! exception in a message body.

use super::bounded;
use super::trace::{Frame, Thrown, file_name};
use crate::model::ExceptionInfo;

/// What Monolog's LineFormatter prints before an exception's class (`[object] (TypeError(code:
/// 0): message at /app/src/Cart.php:6)`) and between the exception and its frames.
const LINE_OBJECT: &str = "[object] (";
const LINE_STACKTRACE: &str = "\n[stacktrace]\n";

/// The one exception of a PHP trace, typed by a `PHP Fatal error:  Uncaught Name: ...`,
/// `Name: ...` or `[object] (Name(code: 0): ...` line above the frames when there is one.
pub fn chain(text: &str) -> Vec<Thrown> {
    let frames: Vec<Frame> = text.lines().filter_map(frame).collect();
    if frames.is_empty() {
        return Vec::new();
    }
    let header = text.lines().next().unwrap_or_default();
    let exception_type = if frame(header).is_some() || header.trim_start().starts_with('#') {
        ""
    } else {
        header_type(header)
    };
    vec![Thrown {
        exception_type: exception_type.to_string(),
        frames,
    }]
}

/// The exception name of a header line.
fn header_type(header: &str) -> &str {
    let header = header.split("Uncaught ").nth(1).unwrap_or(header);
    let header = header.split(LINE_OBJECT).nth(1).unwrap_or(header);
    header.split([':', ' ', '(']).next().unwrap_or_default()
}

/// An exception Monolog's LineFormatter reported in `body`: `[object] (Name(code: N): message
/// at path:line)`, a `[stacktrace]` line and `#N` frames; the stack trace runs from `[object]`.
pub fn line_report(body: &str) -> Option<ExceptionInfo> {
    let start = body.find(LINE_OBJECT)?;
    let rest = &body[start..];
    let header_end = rest.find(LINE_STACKTRACE)?;
    let header = &rest[LINE_OBJECT.len()..header_end];
    let (name, after) = header.split_once("(code: ")?;
    let (_, message) = after.split_once("): ")?;
    let message = message.rsplit_once(" at ").map_or(message, |(m, _)| m);
    if name.is_empty() || name.contains(char::is_whitespace) || chain(rest).is_empty() {
        return None;
    }
    let stack = rest.trim_end().trim_end_matches(['"', '}', ']', ' ', '[']);
    let (name, message) = (unescape(name), unescape(message));
    Some(bounded(&name, &message, Some(stack.trim_end())))
}

/// The LineFormatter prints the exception inside its JSON-encoded context: `Shop\\Cart`, `\"`.
fn unescape(text: &str) -> String {
    text.replace("\\\\", "\\").replace("\\\"", "\"")
}

/// `#3 /app/src/Cart.php(12): App\Cart->total(Array)`, `/app/src/Cart.php:12`, or `#4 {main}`
/// (no frame).
fn frame(line: &str) -> Option<Frame> {
    let line = line.trim();
    match line.strip_prefix('#') {
        Some(rest) => numbered_frame(rest),
        None => location_frame(line),
    }
}

/// Monolog's JsonFormatter frame, `/app/src/Cart.php:12`: a file, no function.
fn location_frame(line: &str) -> Option<Frame> {
    let (path, number) = line.rsplit_once(':')?;
    let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    if !digits || !path.ends_with(".php") || path.contains(char::is_whitespace) {
        return None;
    }
    Some(Frame {
        module: file_name(path).to_string(),
        function: String::new(),
        in_app: !path.contains("/vendor/"),
    })
}

/// `3 /app/src/Cart.php(12): App\Cart->total(Array)` after its `#`.
fn numbered_frame(rest: &str) -> Option<Frame> {
    let (_, rest) = rest.split_once(' ')?;
    let (location, call) = rest.split_once(": ")?;
    let path = location.split('(').next().unwrap_or(location);
    let call = call.split('(').next().unwrap_or(call);
    let (module, function) = call
        .rsplit_once("->")
        .or_else(|| call.rsplit_once("::"))
        .unwrap_or(("", call));
    Some(Frame {
        module: if module.is_empty() {
            file_name(path).to_string()
        } else {
            // Monolog's LineFormatter prints the JSON-escaped `Shop\\Cart`.
            module.replace("\\\\", "\\")
        },
        function: function.to_string(),
        in_app: !path.contains("/vendor/") && !path.starts_with('['),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_frames_are_library() {
        let text = "PHP Fatal error:  Uncaught TypeError: total(): Argument #1 must be of type array\n#0 /app/vendor/slim/App.php(5): Closure->call()\n#1 /app/src/Cart.php(12): App\\Cart->total(NULL)\n#2 {main}";
        let chain = chain(text);
        assert_eq!(chain[0].exception_type, "TypeError");
        assert!(!chain[0].frames[0].in_app);
        let crash = chain[0].crashing_frame().unwrap();
        assert_eq!(
            (crash.module.as_str(), crash.function.as_str()),
            ("App\\Cart", "total")
        );
    }

    /// Monolog's LineFormatter with `includeStacktraces` (bench/grouping/corpus/monolog-line):
    /// the class and message from `[object] (...)`, the frames after `[stacktrace]`.
    #[test]
    fn monolog_line_formatter_report() {
        let body = "[2026-12-04T18:12:20.553880+00:00] shop-monolog-line.ERROR: request failed {\"exception\":\"[object] (InvalidArgumentException(code: 0): Invalid amount '5,30' at /tmp/logbridge-grouping/php/vendor/acme/money/src/Money.php:10)\n[stacktrace]\n#0 /tmp/logbridge-grouping/php/src/Payments.php(33): Acme\\\\Money\\\\Money::parse()\n#1 /tmp/logbridge-grouping/php/src/Payments.php(38): Shop\\\\Payments::amount()\n#2 /tmp/logbridge-grouping/php/shop.php(38): Shop\\\\Payments::fromForm()\n#3 /tmp/logbridge-grouping/php/shop.php(70): {closure}()\n#4 {main}\n\"} []";
        let found = line_report(body).expect("an exception");
        assert_eq!(found.exception_type, "InvalidArgumentException");
        assert!(
            found.message.starts_with("Invalid amount '"),
            "{}",
            found.message
        );
        let stack = found.stacktrace.as_deref().unwrap_or_default();
        assert!(
            stack.starts_with("[object] (") && stack.ends_with("{main}"),
            "{stack}"
        );
        let chain = super::super::trace::parse(stack);
        assert_eq!(chain[0].exception_type, "InvalidArgumentException");
        let frame = &chain[0].frames[0];
        assert_eq!(
            (frame.module.as_str(), frame.function.as_str()),
            ("Acme\\Money\\Money", "parse")
        );
        assert!(line_report("[object] (no stack trace)\n#0 {main}").is_none());
    }

    /// Monolog's JsonFormatter (bench/grouping/corpus/monolog): `file`, then the `trace` lines,
    /// read as files; vendor/ ones are library code.
    #[test]
    fn monolog_json_formatter_locations() {
        let stack = "/tmp/logbridge-grouping/php/vendor/acme/money/src/Money.php:10\n/tmp/logbridge-grouping/php/src/Payments.php:33\n/tmp/logbridge-grouping/php/shop.php:37";
        let chain = super::super::trace::parse(stack);
        assert_eq!(chain.len(), 1);
        assert_eq!(chain[0].exception_type, "");
        assert!(!chain[0].frames[0].in_app);
        let crash = chain[0].crashing_frame().expect("an application frame");
        assert_eq!(
            (crash.module.as_str(), crash.function.as_str()),
            ("Payments.php", "")
        );
        assert!(super::chain("/app/notes.txt:3\nkey: value").is_empty());
    }
}
