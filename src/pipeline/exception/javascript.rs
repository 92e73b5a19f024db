//! JavaScript stacks (V8: Node, Chrome; also `fn@url:1:2` from Firefox and Safari): `at fn
//! (path:line:col)` frames, `async` frames, and causes appended as `caused by: ...` (pino's
//! serializer) or `[cause]: ...` (Node's inspect).

use super::trace::{Frame, Thrown, file_name};

/// The chain of a JavaScript stack, outermost first.
pub fn chain(text: &str) -> Vec<Thrown> {
    let mut chain: Vec<Thrown> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let cause =
            (trimmed.strip_prefix("caused by: ")).or_else(|| trimmed.strip_prefix("[cause]: "));
        if let Some(header) = cause {
            chain.push(thrown(header));
        } else if let Some(frame) = frame(trimmed) {
            if chain.is_empty() {
                chain.push(Thrown::default());
            }
            if let Some(last) = chain.last_mut() {
                last.frames.push(frame);
            }
        } else if chain.is_empty() && !trimmed.is_empty() {
            chain.push(thrown(trimmed));
        }
    }
    chain
}

fn thrown(header: &str) -> Thrown {
    let header = header.strip_prefix("Uncaught ").unwrap_or(header);
    let name = header.split([':', ' ']).next().unwrap_or(header);
    Thrown {
        exception_type: name.to_string(),
        frames: Vec::new(),
    }
}

/// `at [async ][new ]fn (location)`, `at location`, or `fn@location`.
fn frame(line: &str) -> Option<Frame> {
    let (function, location) = match line.strip_prefix("at ") {
        Some(rest) => match rest.rsplit_once(" (") {
            Some((function, location)) => (function, location.strip_suffix(')')?),
            None => ("", rest),
        },
        None => line.split_once('@').filter(|(_, l)| has_position(l))?,
    };
    if !has_position(location) && !matches!(location, "<anonymous>" | "native") {
        return None;
    }
    let function = function
        .trim_start_matches("async ")
        .trim_start_matches("new ");
    let function = function.split(" [as ").next().unwrap_or(function);
    let function = function.strip_prefix("Object.").unwrap_or(function);
    let path = location.trim_end_matches(|c: char| c.is_ascii_digit() || c == ':');
    Some(Frame {
        module: file_name(path).to_string(),
        function: function.to_string(),
        in_app: in_app(path),
    })
}

/// `path:line:col`.
fn has_position(location: &str) -> bool {
    let mut parts = location.rsplitn(3, ':');
    let numeric = |part: Option<&str>| {
        part.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    numeric(parts.next()) && numeric(parts.next()) && parts.next().is_some()
}

/// Not `node_modules`, Node's own (`node:`, `internal/`) or native code.
fn in_app(path: &str) -> bool {
    let library = [
        "node_modules",
        "node:",
        "internal/",
        "<anonymous>",
        "native",
    ];
    !path.is_empty() && !path.starts_with("native") && !library.iter().any(|m| path.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINO: &str = "Error: charge failed\n    at Object.charge (/app/shop/payments.js:19:11)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n    at async main (/app/run.js:11:3)\ncaused by: SyntaxError: Cannot convert 1o to a BigInt\n    at BigInt (<anonymous>)\n    at cents (/app/shop/payments.js:11:17)";

    #[test]
    fn causes_are_links_and_runtime_frames_library() {
        let chain = chain(PINO);
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].exception_type, "Error");
        assert_eq!(chain[0].frames[0].function, "charge");
        assert!(!chain[0].frames[1].in_app);
        assert_eq!(chain[0].frames[2].function, "main");
        let root = &chain[1];
        assert_eq!(root.exception_type, "SyntaxError");
        assert!(!root.frames[0].in_app);
        assert_eq!(root.crashing_frame().unwrap().module, "payments.js");
    }

    #[test]
    fn anonymous_and_firefox_frames() {
        let anonymous = frame("at /app/shop/scenarios.js:23:34").unwrap();
        assert_eq!(
            (anonymous.module.as_str(), anonymous.function.as_str()),
            ("scenarios.js", "")
        );
        let firefox = frame("load@https://shop.example/app.js:3:9").unwrap();
        assert_eq!(firefox.function, "load");
        assert!(frame("at the end of the day").is_none());
    }
}
