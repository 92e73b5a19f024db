//! JVM stack traces (Java, Kotlin, Scala): `at pkg.Class.method(File.java:12)` frames, a chain
//! of `Caused by:` exceptions, `... N more` and `Suppressed:` blocks (left out: they are other
//! exceptions).

use super::trace::{Frame, Thrown, without_counter};

/// Packages of the JDK, language runtimes and the frameworks that call application code.
const LIBRARY_PACKAGES: [&str; 14] = [
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "com.sun.",
    "kotlin.",
    "kotlinx.",
    "scala.",
    "org.springframework.",
    "org.apache.",
    "ch.qos.",
    "io.netty.",
    "org.junit.",
    "org.hibernate.",
];

/// The chain of a JVM stack trace, outermost first.
pub fn chain(text: &str) -> Vec<Thrown> {
    let mut chain: Vec<Thrown> = Vec::new();
    // The exception named last above the first frame (a log line may come before it).
    let mut header: Option<Thrown> = None;
    let mut suppressed = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(caused) = trimmed.strip_prefix("Caused by: ") {
            suppressed = suppressed && line.starts_with([' ', '\t']);
            if !suppressed {
                chain.push(thrown(caused));
            }
        } else if trimmed.starts_with("Suppressed: ") {
            suppressed = true;
        } else if let Some(frame) = frame(line) {
            if chain.is_empty() {
                chain.push(header.take().unwrap_or_default());
            }
            if let Some(thrown) = chain.last_mut().filter(|_| !suppressed) {
                thrown.frames.push(frame);
            }
        } else if chain.is_empty() && looks_like_header(trimmed) {
            header = Some(thrown(trimmed));
        }
    }
    chain
}

/// `pkg.SomeException: message` or a bare `pkg.SomeException`.
fn looks_like_header(line: &str) -> bool {
    let name = line.split(':').next().unwrap_or(line);
    !name.is_empty()
        && !name.contains(char::is_whitespace)
        && (name.contains('.') || line.contains(':'))
}

fn thrown(header: &str) -> Thrown {
    let name = header.split([':', ' ']).next().unwrap_or(header);
    Thrown {
        exception_type: name.to_string(),
        frames: Vec::new(),
    }
}

/// `at [module/]pkg.Class.method(File.java:12)`, also `at pkg.Class.method(Native Method)`.
fn frame(line: &str) -> Option<Frame> {
    let rest = line.trim_start().strip_prefix("at ")?;
    let (qualified, location) = rest.split_once('(')?;
    // `File.java:12)`, `File.java)` (no line table), ProGuard's `SourceFile:12)`, natives.
    let sources = [
        ".java:",
        ".java)",
        ".kt:",
        ".kt)",
        ".scala:",
        ".groovy:",
        "SourceFile",
    ];
    let natives = ["Native Method", "Unknown Source"];
    let jvm = sources.iter().any(|source| location.contains(source))
        || natives.iter().any(|native| location.starts_with(native));
    if !jvm {
        return None;
    }
    let (module_prefix, qualified) = match qualified.split_once('/') {
        Some((module, rest)) => (Some(module), rest),
        None => (None, qualified),
    };
    let (class, method) = qualified.rsplit_once('.')?;
    // Generated classes (`Service$$SpringCGLIB$$0`, `$$Lambda$12/0x...`) vary between builds.
    let class = class.split("$$").next().unwrap_or(class);
    let jdk_module = module_prefix.is_some_and(|m| m.starts_with("java.") || m.starts_with("jdk."));
    Some(Frame {
        module: class.to_string(),
        function: without_counter(method),
        in_app: !jdk_module && !LIBRARY_PACKAGES.iter().any(|p| class.starts_with(p)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGBACK: &str = "shop.Inventory$SyncException: inventory sync failed\n\tat shop.Inventory.sync(Inventory.java:26)\n\tat shop.Main.lambda$main$4(Main.java:28)\n\tat shop.Main.main(Main.java:35)\nCaused by: java.lang.NumberFormatException: For input string: \"n20\"\n\tat java.base/java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)\n\tat java.base/java.lang.Long.parseLong(Long.java:711)\n\tat shop.Inventory.sync(Inventory.java:24)\n\t... 2 common frames omitted\n";

    #[test]
    fn caused_by_is_the_next_link_and_jdk_frames_are_library() {
        let chain = chain(LOGBACK);
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].exception_type, "shop.Inventory$SyncException");
        assert_eq!(chain[0].frames[1].function, "lambda$main");
        let root = &chain[1];
        assert_eq!(root.exception_type, "java.lang.NumberFormatException");
        assert!(!root.frames[0].in_app);
        let crash = root.crashing_frame().unwrap();
        assert_eq!(
            (crash.module.as_str(), crash.function.as_str()),
            ("shop.Inventory", "sync")
        );
    }

    #[test]
    fn frames_without_line_numbers_and_from_obfuscated_builds() {
        let text =
            "a.B: x\n\tat a.B.f(B.java)\n\tat a.C.g(SourceFile:3)\n\tat Object.h (/app/x.js:1:2)";
        let frames = &chain(text)[0].frames;
        let functions: Vec<&str> = frames.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(functions, ["f", "g"]);
    }

    #[test]
    fn suppressed_exceptions_are_not_links() {
        let text = "a.B: x\n\tat a.B.f(B.java:1)\n\tSuppressed: a.C: y\n\t\tat a.C.g(C.java:2)\n\tCaused by: a.D: z\n\t\tat a.D.h(D.java:3)\nCaused by: a.E: w\n\tat a.E.k(E.java:4)";
        let chain = chain(text);
        let types: Vec<&str> = chain.iter().map(|t| t.exception_type.as_str()).collect();
        assert_eq!(types, ["a.B", "a.E"]);
        assert_eq!(chain[0].frames.len(), 1);
    }
}
