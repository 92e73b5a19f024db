//! Tests of exception detection on tracebacks as Python, the JVM, Node and .NET print them.

use super::*;
use proptest::prelude::*;

const PYTHON: &str = r#"2024-05-02 10:31:07.512 | ERROR    | app.worker:handle:42 - job failed
Traceback (most recent call last):
  File "/srv/app/worker.py", line 40, in handle
    total = int(payload["amount"])
            ^^^^^^^^^^^^^^^^^^^^^^
ValueError: invalid literal for int() with base 10: '12,50'
"#;

const PYTHON_CHAINED: &str = r#"Traceback (most recent call last):
  File "/srv/app/db.py", line 12, in get
    return self._cache[key]
KeyError: 'user:7'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/app/db.py", line 14, in get
    raise app.errors.NotFound(key)
app.errors.NotFound: user:7"#;

const JAVA: &str = "2024-05-02 10:31:07.512 ERROR 1 --- [nio-8080-exec-3] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() failed
java.lang.IllegalStateException: Order 42 is already shipped
\tat com.acme.orders.OrderService.cancel(OrderService.java:88)
\tat com.acme.orders.OrderController.cancel(OrderController.java:41)
\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)
Caused by: java.sql.SQLException: connection closed
\tat org.postgresql.jdbc.PgConnection.checkClosed(PgConnection.java:917)
\t... 48 more
";

const NODE: &str = "TypeError: Cannot read properties of undefined (reading 'id')
    at getUser (/app/src/users.js:14:22)
    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)";

const DOTNET: &str = "System.InvalidOperationException: Sequence contains no elements
   at System.Linq.ThrowHelper.ThrowNoElementsException()
   at Acme.Api.UsersController.Get(Int32 id) in /src/Api/UsersController.cs:line 31";

#[test]
fn python_traceback() {
    let found = from_body(PYTHON).expect("traceback");
    assert_eq!(found.exception_type, "ValueError");
    assert_eq!(
        found.message,
        "invalid literal for int() with base 10: '12,50'"
    );
    let stack = found.stacktrace.expect("stack");
    assert!(stack.starts_with("Traceback (most recent call last):"));
    assert!(stack.ends_with("'12,50'"));
}

#[test]
fn python_chained_traceback_names_the_last_exception() {
    let found = from_body(PYTHON_CHAINED).expect("traceback");
    assert_eq!(found.exception_type, "app.errors.NotFound");
    assert_eq!(found.message, "user:7");
    assert_eq!(found.stacktrace.as_deref(), Some(PYTHON_CHAINED));
}

#[test]
fn python_bare_exception_name() {
    let body = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nKeyboardInterrupt\n";
    let found = from_body(body).expect("traceback");
    assert_eq!(
        (found.exception_type.as_str(), found.message.as_str()),
        ("KeyboardInterrupt", "")
    );
}

#[test]
fn java_stack_trace_keeps_the_top_exception() {
    let found = from_body(JAVA).expect("stack trace");
    assert_eq!(found.exception_type, "java.lang.IllegalStateException");
    assert_eq!(found.message, "Order 42 is already shipped");
    let stack = found.stacktrace.expect("stack");
    assert!(stack.starts_with("java.lang.IllegalStateException"));
    assert!(stack.ends_with("... 48 more"));
}

#[test]
fn java_thread_prefix_and_multiline_message() {
    let body = "Exception in thread \"main\" com.acme.ConfigMissing: no database url\nset DATABASE_URL\n\tat com.acme.Main.main(Main.java:9)";
    let found = from_body(body).expect("stack trace");
    assert_eq!(found.exception_type, "com.acme.ConfigMissing");
    assert_eq!(found.message, "no database url\nset DATABASE_URL");
}

#[test]
fn javascript_and_dotnet_stacks() {
    let node = from_body(NODE).expect("node");
    assert_eq!(node.exception_type, "TypeError");
    assert_eq!(
        node.message,
        "Cannot read properties of undefined (reading 'id')"
    );
    let coded = from_body("Error [ERR_INVALID_ARG_TYPE]: bad path\n    at open (node:fs:1:2)")
        .expect("coded");
    assert_eq!(
        (coded.exception_type.as_str(), coded.message.as_str()),
        ("Error", "bad path")
    );
    let dotnet = from_body(DOTNET).expect("dotnet");
    assert_eq!(dotnet.exception_type, "System.InvalidOperationException");
}

#[test]
fn no_stack_no_exception() {
    for body in [
        "Error: disk full",
        "Error: disk full\nretrying in 5s",
        "java.lang.IllegalStateException: boom",
        "request finished\n    at least 3 retries left",
        "",
        "Traceback (most recent call last):",
    ] {
        assert_eq!(from_body(body), None, "{body}");
    }
}

#[test]
fn parts_are_bounded() {
    let body = format!(
        "{}Error: {}\n    at f (x.js:1:1)",
        "A".repeat(1000),
        "m".repeat(10_000)
    );
    let found = from_body(&body).expect("stack");
    assert_eq!(found.exception_type.len(), MAX_TYPE_BYTES);
    assert_eq!(found.message.len(), MAX_MESSAGE_BYTES);
}

proptest! {
    #[test]
    fn never_panics(body in "(.{0,20}\n?(\tat |    at |Traceback \\(most recent call last\\):|Error: |Caused by: )?){0,12}") {
        if let Some(found) = from_body(&body) {
            prop_assert!(!found.exception_type.is_empty());
            prop_assert!(found.stacktrace.is_some());
        }
    }
}

/// loguru's default `backtrace=True`: a `> File` marker and variable dumps under the frames.
const LOGURU_BACKTRACE: &str =
    "2026-12-04 17:16:53.498 | ERROR    | __main__:main:20 - request failed
Traceback (most recent call last):

> File \"/srv/run_loguru.py\", line 18, in main
    raise_it()
    └ <function _scenarios.<locals>.<lambda> at 0x7f14>

  File \"/srv/shop/stats.py\", line 5, in average
    return sum(samples) / len(samples)
               │           └ []
               └ []

ZeroDivisionError: division by zero
";

#[test]
fn loguru_backtrace_with_variable_dumps() {
    let found = from_body(LOGURU_BACKTRACE).expect("a traceback");
    assert_eq!(found.exception_type, "ZeroDivisionError");
    assert_eq!(found.message, "division by zero");
}

#[test]
fn go_panic_with_its_goroutine_dump() {
    let body = "panic: runtime error: index out of range [15] with length 1\n\ngoroutine 1 [running]:\nmain.slot(...)\n\t/src/corpus/main.go:31\nmain.main()\n\t/src/corpus/main.go:48 +0xa5\nexit status 2";
    let found = from_body(body).expect("a panic");
    assert_eq!(found.exception_type, "panic");
    assert_eq!(
        found.message,
        "runtime error: index out of range [15] with length 1"
    );
    assert!(from_body("panic: none here\nbut no goroutines").is_none());
}

#[test]
fn ruby_report_of_an_uncaught_exception() {
    let body = "shop.rb:10:in `fetch': key not found: :quantity (KeyError)\n\tfrom shop.rb:10:in `price'\n\tfrom shop.rb:14:in `reorder'";
    let found = from_body(body).expect("a Ruby report");
    assert_eq!(found.exception_type, "KeyError");
    assert_eq!(found.message, "key not found: :quantity");
    assert!(from_body("total (estimated)\nmore text").is_none());
}
