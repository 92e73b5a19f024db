//! The documented choice: a class's `days` applies to stored data at the next run, so shortening
//! it expires partitions already stored (README, Retention); lengthening it keeps them.

use serde_json::json;

use super::{app, leaf, partitions, post_old, retention, run};

#[tokio::test]
async fn a_shortened_class_applies_to_stored_partitions_at_the_next_run() {
    let app = app().await;
    post_old(&app, 30, &[json!({"level": "info", "message": "i30"})]).await;
    let stored = leaf(30, "standard");
    let standard_days = |days: u32| {
        move |config: &mut logbridge::config::Config| {
            let standard = config.retention.classes.last_mut().unwrap();
            assert_eq!(standard.name, "standard");
            standard.days = days;
        }
    };
    run(&retention(&app, standard_days(90))).await;
    assert!(
        partitions(&app).await.contains(&stored),
        "kept under 90 days"
    );
    assert_eq!(app.count("body = 'i30'").await, 1);

    run(&retention(&app, standard_days(20))).await;
    assert!(
        !partitions(&app).await.contains(&stored),
        "dropped by the first run after the class went down to 20 days"
    );
    assert_eq!(app.count("body = 'i30'").await, 0);
}

#[tokio::test]
async fn a_dry_run_names_what_would_go_and_changes_nothing() {
    let app = app().await;
    post_old(&app, 30, &[json!({"level": "info", "message": "i30"})]).await;
    let stored = leaf(30, "standard");
    let run_command = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_logbridge"))
            .args(["retention", "run"])
            .args(args)
            .env("DATABASE_URL", app.database_url())
            .env(
                "LOGBRIDGE_RETENTION__CLASSES",
                "[{name: standard, days: 20}]",
            )
            .output()
            .expect("logbridge runs")
    };
    let output = run_command(&["--dry-run"]);
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains(
            "dry run: would drop (no archive configured) 1 partition(s) of logs and 0 day(s) of \
             spans; nothing changed"
        ),
        "{said}"
    );
    assert!(said.contains(&format!("{stored} (")), "{said}");
    assert!(said.contains("standard, kept 20 days"), "{said}");
    assert!(
        said.contains("would delete 0 old row(s) of audit_log"),
        "{said}"
    );
    assert!(partitions(&app).await.contains(&stored), "nothing changed");
    assert_eq!(app.count("body = 'i30'").await, 1);

    let output = run_command(&[]);
    assert!(output.status.success());
    assert!(
        !partitions(&app).await.contains(&stored),
        "the real run drops it"
    );
}
