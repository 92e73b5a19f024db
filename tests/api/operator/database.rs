//! Only `serve` and `migrate` create a database; the other commands fail naming the missing one
//! (without its password); `migrate` says what it did; logs go to stderr without colour codes
//! when stderr is not a terminal, naming the configuration and the database.

use sqlx::PgPool;

use super::{logbridge, stderr, stdout};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn fresh_name(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("logbridge_{what}_{}_{nanos}", std::process::id())
}

async fn exists(name: &str) -> bool {
    let admin = PgPool::connect(ADMIN_URL).await.unwrap();
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&admin)
        .await
        .unwrap()
}

async fn drop_database(url: &str) {
    use sqlx::migrate::MigrateDatabase as _;
    sqlx::Postgres::force_drop_database(url).await.unwrap();
}

#[tokio::test]
async fn commands_other_than_serve_and_migrate_never_create_a_database() {
    let name = fresh_name("missing");
    let url = format!("postgres://postgres:pw-not-shown@127.0.0.1:5432/{name}");
    for args in [
        &["tokens", "list"][..],
        &["retention", "run"],
        &["erase", "--user-id", "u1"],
    ] {
        let output = logbridge(args, &[("DATABASE_URL", &url)]);
        let said = stderr(&output);
        assert!(!output.status.success(), "{args:?}: {said}");
        assert!(
            said.contains(&format!("{name} does not exist")),
            "{args:?}: {said}"
        );
        assert!(
            said.contains("serve` and `logbridge migrate` create"),
            "{said}"
        );
        assert!(!said.contains("pw-not-shown"), "{said}");
        assert!(!exists(&name).await, "{args:?} created the database");
    }
}

#[tokio::test]
async fn migrate_creates_the_database_and_reports_what_it_applied() {
    let name = fresh_name("migrate");
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let output = logbridge(&["migrate"], &[("DATABASE_URL", &url)]);
    let (said, logs) = (stdout(&output), stderr(&output));
    assert!(output.status.success(), "{said}{logs}");
    assert!(said.contains(&format!("created database {url}")), "{said}");
    assert!(said.contains("applied migration 1 "), "{said}");
    let applied = said
        .lines()
        .filter(|l| l.starts_with("applied migration"))
        .count();
    assert!(
        said.contains(&format!(
            "{applied} migration(s) applied now, {applied} in all"
        )),
        "{said}"
    );
    assert!(logs.contains("configuration loaded"), "{logs}");
    assert!(logs.contains("config=\"defaults\""), "{logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "no colour codes when not on a terminal: {logs:?}"
    );

    let again = logbridge(&["migrate"], &[("DATABASE_URL", &url)]);
    let said = stdout(&again);
    assert!(
        said.contains(&format!("0 migration(s) applied now, {applied} in all")),
        "{said}"
    );
    assert!(!said.contains("created database"), "{said}");
    drop_database(&url).await;
}

#[test]
fn an_unreachable_database_is_one_error_line_naming_it_without_its_password_each_cause_once() {
    let url = "postgres://postgres:pw-not-shown@127.0.0.1:1/nowhere";
    let output = logbridge(&["migrate"], &[("DATABASE_URL", url)]);
    let said = stderr(&output);
    assert!(!output.status.success(), "{said}");
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{said}");
    let line = errors[0];
    assert!(
        line.contains("postgres://postgres:***@127.0.0.1:1/nowhere"),
        "{line}"
    );
    assert!(!said.contains("pw-not-shown"), "{said}");
    assert_eq!(line.matches("Connection refused").count(), 1, "{line}");
    assert!(!said.contains("Caused by"), "{said}");
}
