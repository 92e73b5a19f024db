//! Go stacks: a `panic: ...` goroutine dump, `debug.Stack()` and zap's `stacktrace`, all
//! printing a function line (`main.load(...)`) followed by its file line (`\t/app/x.go:12 +0x3d`).

use super::trace::{Frame, Thrown, without_counter};

/// The one exception of a Go stack (Go has no chains); its type is `panic` for a panic, else
/// empty. The recovery machinery above a `panic(...)` frame is left out.
pub fn chain(text: &str) -> Vec<Thrown> {
    let lines = first_goroutine(text);
    let mut frames = Vec::new();
    let mut panicked_at = None;
    for pair in lines.windows(2) {
        let (function, file) = (pair[0], pair[1]);
        if function.starts_with([' ', '\t']) || !is_file_line(file) {
            continue;
        }
        if function.starts_with("panic(") {
            panicked_at = Some(frames.len());
            continue;
        }
        if let Some(frame) = frame(function, file) {
            frames.push(frame);
        }
    }
    if frames.is_empty() {
        return Vec::new();
    }
    if let Some(at) = panicked_at {
        frames.drain(..at);
    }
    let panicked = lines.iter().any(|line| line.starts_with("panic: "));
    let exception_type = if panicked { "panic" } else { "" };
    vec![Thrown {
        exception_type: exception_type.to_string(),
        frames,
    }]
}

/// The lines up to the second `goroutine N [...]:` header: the panicking goroutine comes first
/// in a dump, the others are bystanders.
fn first_goroutine(text: &str) -> Vec<&str> {
    let mut seen = 0;
    let lines = text.lines().take_while(|line| {
        seen += usize::from(line.starts_with("goroutine ") && line.ends_with("]:"));
        seen < 2
    });
    lines.collect()
}

/// `\t/app/main.go:28 +0x3d`.
fn is_file_line(line: &str) -> bool {
    line.starts_with('\t') && line.contains(".go:")
}

/// `main.(*cart).total(0xc0000a4000, ...)` above `\t/app/main.go:28`.
fn frame(function_line: &str, file_line: &str) -> Option<Frame> {
    let name = function_line.trim();
    let name = match name.rfind('(') {
        Some(open) if name.ends_with(')') && open > 0 => &name[..open],
        _ => name,
    };
    let package_end = name.rfind('/').map_or(0, |slash| slash + 1);
    let dot = package_end + name[package_end..].find('.')?;
    let (package, function) = (&name[..dot], &name[dot + 1..]);
    let path = file_line.trim().split(' ').next().unwrap_or_default();
    Some(Frame {
        module: package.to_string(),
        function: without_counter(function),
        in_app: in_app(package, path),
    })
}

/// The first elements of the standard library's package paths.
const STANDARD: [&str; 44] = [
    "archive",
    "bufio",
    "bytes",
    "cmp",
    "compress",
    "container",
    "context",
    "crypto",
    "database",
    "debug",
    "embed",
    "encoding",
    "errors",
    "expvar",
    "flag",
    "fmt",
    "go",
    "hash",
    "html",
    "image",
    "index",
    "internal",
    "io",
    "iter",
    "log",
    "maps",
    "math",
    "mime",
    "net",
    "os",
    "path",
    "plugin",
    "reflect",
    "regexp",
    "runtime",
    "slices",
    "sort",
    "strconv",
    "strings",
    "sync",
    "syscall",
    "testing",
    "text",
    "time",
];

/// Not the standard library (by its package, or a file under GOROOT) and not a module
/// dependency (`/pkg/mod/`, `vendor/`).
fn in_app(package: &str, path: &str) -> bool {
    let first = package.split('/').next().unwrap_or(package);
    let standard = STANDARD.contains(&first) || matches!(first, "unicode" | "unsafe");
    let goroot = [
        "/usr/local/go/src/",
        "/usr/lib/go",
        "/sdk/go",
        "/libexec/src/",
    ];
    let goroot = goroot.iter().any(|m| path.contains(m));
    let dependency = ["/pkg/mod/", "/vendor/", "/gocode/"]
        .iter()
        .any(|m| path.contains(m));
    !(standard || goroot || dependency)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECOVERED: &str = "goroutine 1 [running]:\nruntime/debug.Stack()\n\t/usr/lib/go-1.19/src/runtime/debug/stack.go:24 +0x65\nmain.recoverDivide.func1()\n\t/src/corpus/main.go:91 +0x189\npanic({0x588700, 0x70d3c0})\n\t/usr/lib/go-1.19/src/runtime/panic.go:884 +0x212\nmain.divide(...)\n\t/src/corpus/main.go:34\nmain.recoverDivide(0xc0000a42a0?)\n\t/src/corpus/main.go:94 +0x51\n";

    #[test]
    fn frames_below_the_panic_count_from_debug_stack() {
        let chain = chain(RECOVERED);
        let crash = chain[0].crashing_frame().unwrap();
        assert_eq!(
            (crash.module.as_str(), crash.function.as_str()),
            ("main", "divide")
        );
    }

    #[test]
    fn a_panic_is_typed_and_packages_are_read() {
        let dump = "panic: runtime error: index out of range [15] with length 1\n\ngoroutine 1 [running]:\nmain.slot(...)\n\t/src/main.go:31\ngithub.com/acme/shop/cart.(*Cart).Total(0x1)\n\t/src/cart/cart.go:9 +0x10\n";
        let chain = chain(dump);
        assert_eq!(chain[0].exception_type, "panic");
        assert_eq!(chain[0].frames[1].module, "github.com/acme/shop/cart");
        assert_eq!(chain[0].frames[1].function, "(*Cart).Total");
        let two =
            format!("{dump}\ngoroutine 7 [chan receive]:\nmain.worker()\n\t/src/main.go:50 +0x1");
        assert_eq!(
            chain_frames(&two).len(),
            2,
            "the second goroutine is left out"
        );
        let zap = "main.event\n\t/src/main.go:70\nruntime.main\n\t/usr/lib/go-1.19/src/runtime/proc.go:250";
        let frames = &chain_frames(zap);
        assert!(frames[0].in_app && !frames[1].in_app);
    }

    fn chain_frames(text: &str) -> Vec<Frame> {
        chain(text).remove(0).frames
    }
}
