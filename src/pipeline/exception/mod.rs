//! Exception detection in message text, for records without structured exception fields:
//! Python tracebacks, `Name: message` headers followed by `at ...` frames (JVM, JavaScript,
//! .NET), Go panics with their goroutine dump, Ruby's `message (Class)` reports and Monolog's
//! `[object] (Class(code: 0): ...)` ones with a `[stacktrace]`. Needs stack
//! evidence, so `Error: disk full` alone is no exception. Linear time. [`trace`] parses a stack
//! trace into its chain and frames, with a parser per language, for the grouping step.

use crate::model::ExceptionInfo;

use super::fields::truncate;

/// Longest exception type kept, in bytes.
pub const MAX_TYPE_BYTES: usize = 256;
/// Longest exception message kept, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4096;
/// Longest stack trace kept, in bytes.
pub const MAX_STACKTRACE_BYTES: usize = 64 * 1024;

const PYTHON_HEADER: &str = "Traceback (most recent call last):";
/// Prefixes printed before an exception name by the JVM, Node and Java's cause chains.
const HEADER_PREFIXES: [&str; 3] = ["Uncaught ", "Caused by: ", "Exception in thread "];
/// How many lines above the first frame may hold the header (multi-line messages).
const HEADER_LOOKBACK: usize = 8;

/// The exception a message body carries as a traceback or stack trace, if any; the stack trace
/// is the body from the traceback's first line on.
pub fn from_body(body: &str) -> Option<ExceptionInfo> {
    if !body.contains('\n') {
        return None;
    }
    python(body)
        .or_else(|| framed(body))
        .or_else(|| go_panic(body))
        .or_else(|| ruby_report(body))
        .or_else(|| php::line_report(body))
}

/// A Go panic: a `panic: message` line with a goroutine dump after it (`[recovered]` and
/// `goroutine N [running]:` lines), whose frames [`trace::parse`] reads.
fn go_panic(body: &str) -> Option<ExceptionInfo> {
    let start = body.find("panic: ")?;
    if start > 0 && !body[..start].ends_with('\n') {
        return None;
    }
    let rest = &body[start..];
    rest.contains("\ngoroutine ")
        .then_some(())
        .filter(|_| !trace::parse(rest).is_empty())?;
    let line = rest.lines().next().unwrap_or_default();
    let message = line["panic: ".len()..].trim_end_matches(" [recovered]");
    Some(bounded("panic", message, Some(rest.trim_end())))
}

/// Ruby's report of an exception: `message (ClassName)` (the Logger's default formatter) or
/// `file:line:in 'method': message (ClassName)` (an uncaught one), then backtrace lines.
fn ruby_report(body: &str) -> Option<ExceptionInfo> {
    let first = body.lines().next().unwrap_or_default().trim_end();
    if !first.ends_with(')') {
        return None;
    }
    let chain = trace::parse(body);
    let thrown = chain.first().filter(|t| !t.exception_type.is_empty())?;
    let suffix = format!(" ({})", thrown.exception_type);
    let head = first.strip_suffix(suffix.as_str())?;
    let after_location = head
        .split_once(":in ")
        .and_then(|(_, rest)| rest.split_once("': "));
    let message = after_location.map_or(head, |(_, message)| message);
    Some(bounded(
        &thrown.exception_type,
        message,
        Some(body.trim_end()),
    ))
}

/// An [`ExceptionInfo`] with every part cut to its maximum length.
pub fn bounded(exception_type: &str, message: &str, stacktrace: Option<&str>) -> ExceptionInfo {
    ExceptionInfo {
        exception_type: truncate(exception_type, MAX_TYPE_BYTES).to_string(),
        message: truncate(message, MAX_MESSAGE_BYTES).to_string(),
        stacktrace: stacktrace.map(|stack| truncate(stack, MAX_STACKTRACE_BYTES).to_string()),
        fingerprint: String::new(),
    }
}

/// A Python traceback: the first unindented line after the last `Traceback` header names the
/// exception that was finally raised (chained exceptions print the original first); loguru's
/// `> File` frame marker is no such line.
fn python(body: &str) -> Option<ExceptionInfo> {
    let first = body.find(PYTHON_HEADER)?;
    let last = body.rfind(PYTHON_HEADER)?;
    let exception_line = body[last + PYTHON_HEADER.len()..]
        .lines()
        .filter(|line| !line.trim().is_empty())
        .find(|line| !line.starts_with([' ', '\t', '>']))?;
    let (name, message) = parse_header(exception_line)?;
    Some(bounded(name, message, Some(body[first..].trim_end())))
}

/// A header line with `at ...` frames below it; the first such group names the exception
/// (the top of a Java `Caused by:` chain).
fn framed(body: &str) -> Option<ExceptionInfo> {
    let mut offset = 0;
    // Whether text that could hold a header came since the last frame.
    let mut text_since_frame = false;
    for line in body.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if !is_frame(line) {
            text_since_frame |= !line.trim().is_empty();
            continue;
        }
        if text_since_frame && let Some(found) = header_above(body, start) {
            return Some(found);
        }
        text_since_frame = false;
    }
    None
}

/// The nearest exception header among the few lines above the frame at `frame_start`.
fn header_above(body: &str, frame_start: usize) -> Option<ExceptionInfo> {
    let above = &body[..frame_start];
    let mut line_end = above.trim_end_matches(['\n', '\r']).len();
    for _ in 0..HEADER_LOOKBACK {
        let line_start = above[..line_end].rfind('\n').map_or(0, |n| n + 1);
        let line = &above[line_start..line_end];
        if is_frame(line) {
            return None;
        }
        if let Some((name, first_line)) =
            parse_header(strip_prefix(line)).filter(|h| exception_like(h.0))
        {
            let more = above[line_end..].trim();
            let message = if more.is_empty() {
                first_line.to_string()
            } else {
                format!("{first_line}\n{more}")
            };
            return Some(bounded(name, &message, Some(body[line_start..].trim_end())));
        }
        if line_start == 0 {
            return None;
        }
        line_end = line_start - 1;
    }
    None
}

/// `at com.foo.Bar.run(Bar.java:12)`, `at fn (/app/x.js:1:2)`, `at Ns.Type.M() in f.cs:line 3`,
/// indented.
fn is_frame(line: &str) -> bool {
    line.starts_with([' ', '\t'])
        && line
            .trim_start()
            .strip_prefix("at ")
            .is_some_and(|rest| !rest.trim().is_empty())
}

fn strip_prefix(line: &str) -> &str {
    let line = line.trim();
    for prefix in HEADER_PREFIXES {
        if let Some(rest) = line.strip_prefix(prefix) {
            return match rest.strip_prefix('"') {
                Some(thread) => thread.split_once("\" ").map_or(rest, |(_, after)| after),
                None => rest,
            };
        }
    }
    line
}

/// `Name: message`, `Name [CODE]: message` (Node) or a bare `Name`, where Name is a dotted
/// identifier.
fn parse_header(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let name_end = line
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '$')))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    let well_formed = name
        .split('.')
        .all(|part| part.starts_with(|c: char| c.is_alphabetic() || c == '_' || c == '$'));
    if !well_formed {
        return None;
    }
    let mut rest = &line[name_end..];
    if let Some(code) = rest.strip_prefix(" [") {
        rest = code.split_once(']').map_or(rest, |(_, after)| after);
    }
    if rest.is_empty() {
        return Some((name, ""));
    }
    Some((name, rest.strip_prefix(':')?.trim()))
}

/// Whether a name reads as an exception class: `...Error`, `...Exception` and the like, or a
/// qualified class name such as `org.acme.Boom`.
fn exception_like(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    let suffixed = [
        "Error",
        "Exception",
        "Throwable",
        "Fault",
        "Failure",
        "Panic",
    ]
    .iter()
    .any(|suffix| last.ends_with(suffix));
    let qualified = name.contains('.') && last.starts_with(|c: char| c.is_uppercase());
    suffixed || qualified
}

mod dotnet;
mod go;
mod java;
mod javascript;
mod php;
mod python;
mod ruby;
pub mod trace;

#[cfg(test)]
mod tests;
