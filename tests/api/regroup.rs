//! `logbridge exceptions regroup` (also run by `migrate`): groups of fingerprint version 1 are
//! mapped onto version 2, merging those that are one bug, keeping resolution state, and their
//! log rows follow.

use logbridge::pipeline::grouping::Rules;
use logbridge::store::regroup;
use sqlx::Row;

use super::helpers::spawn_app;

const STACK: &str = "Traceback (most recent call last):\n  File \"/app/shop/pricing.py\", line 8, in convert\n    raise ValueError(msg)\nValueError: unsupported currency GBP";

/// A version-1 group (as the old fingerprint split by message) and one log row in it.
async fn old_group(db: &sqlx::PgPool, fingerprint: &str, message: &str, resolved: bool) {
    sqlx::query(
        "INSERT INTO exception_groups (fingerprint, service, exception_type, message,
             sample_stacktrace, first_seen, last_seen, occurrences, resolved, resolved_at,
             resolved_by, fingerprint_version)
         VALUES ($1, 'shop', 'ValueError', $2, $3, now() - interval '2 hours',
                 now() - interval '1 hour', 5, $4, CASE WHEN $4 THEN now() END,
                 CASE WHEN $4 THEN 'ann' END, 1)",
    )
    .bind(fingerprint)
    .bind(message)
    .bind(STACK.replace("GBP", &message[message.len() - 3..]))
    .bind(resolved)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO logs (ts, observed_ts, service, level, severity_number, body,
             exception_type, exception_message, exception_fingerprint, error_fingerprint)
         VALUES (now() - interval '1 hour', now(), 'shop', 'error', 17, 'failed', 'ValueError',
                 $1, $2, $2)",
    )
    .bind(message)
    .bind(fingerprint)
    .execute(db)
    .await
    .unwrap();
}

#[tokio::test]
async fn old_groups_of_one_bug_become_one_group_that_keeps_its_resolution() {
    let app = spawn_app().await;
    old_group(
        &app.db,
        "00000000000000a1",
        "unsupported currency GBP",
        true,
    )
    .await;
    old_group(
        &app.db,
        "00000000000000a2",
        "unsupported currency JPY",
        true,
    )
    .await;
    old_group(
        &app.db,
        "00000000000000b1",
        "unsupported currency CHF",
        false,
    )
    .await;
    sqlx::query(
        "UPDATE exception_groups SET service = 'web' WHERE fingerprint = '00000000000000b1'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let done = regroup::regroup(&app.db, &Rules::default()).await.unwrap();
    assert_eq!((done.old_groups, done.new_groups), (3, 2));
    let rows = sqlx::query(
        "SELECT fingerprint, service, occurrences, resolved, resolved_by, fingerprint_version
         FROM exception_groups ORDER BY service",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    let shop = &rows[0];
    assert_eq!(shop.get::<String, _>("service"), "shop");
    assert_eq!(shop.get::<i64, _>("occurrences"), 10);
    assert!(shop.get::<bool, _>("resolved"), "both parts were resolved");
    assert_eq!(
        shop.get::<Option<String>, _>("resolved_by").as_deref(),
        Some("ann")
    );
    assert_eq!(shop.get::<i16, _>("fingerprint_version"), 2);
    assert!(!rows[1].get::<bool, _>("resolved"));
    let fingerprint: String = shop.get("fingerprint");
    let linked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM logs WHERE exception_fingerprint = $1")
            .bind(&fingerprint)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(linked, 2, "the log rows of both old groups follow");
    assert_eq!(
        regroup::regroup(&app.db, &Rules::default()).await.unwrap(),
        regroup::Regrouped::default()
    );
}
