//! IP anonymization after `retention.anonymize_ips_after_days`: old partitions get their
//! addresses truncated once; newer ones keep them.

use serde_json::{Value, json};

use super::{app, leaf, post_old, retention, run};

fn with_addresses() -> Value {
    json!({
        "message": "login from 203.0.113.77 via 2001:db8:85a3:1234:5678:8a2e:370:7334",
        "client.address": "198.51.100.23",
        "hops": ["10.1.2.3", {"via": "192.0.2.200"}],
    })
}

#[tokio::test]
async fn addresses_in_partitions_past_the_age_are_truncated_once() {
    let app = app().await;
    post_old(&app, 40, &[with_addresses()]).await;
    post_old(&app, 5, &[with_addresses()]).await;
    let job = retention(&app, |config| {
        config.retention.anonymize_ips_after_days = Some(30)
    });

    let report = run(&job).await;
    let partitions: Vec<&str> = report
        .anonymized
        .iter()
        .map(|a| a.partition.as_str())
        .collect();
    assert_eq!(
        partitions,
        [leaf(40, "standard")],
        "only the old day's partition"
    );
    assert_eq!(report.anonymized[0].rows, 1);

    let old: (String, Value) =
        sqlx::query_as("SELECT body, attributes FROM logs WHERE ts < now() - interval '30 days'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(old.0, "login from 203.0.113.0 via 2001:db8:85a3::");
    assert_eq!(old.1["client.address"], "198.51.100.0");
    assert_eq!(old.1["hops"], json!(["10.1.2.0", {"via": "192.0.2.0"}]));
    let recent: String =
        sqlx::query_scalar("SELECT body FROM logs WHERE ts > now() - interval '30 days'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(
        recent.contains("203.0.113.77"),
        "newer rows keep their addresses"
    );

    let recorded: Value = sqlx::query_scalar("SELECT anonymized FROM retention_runs WHERE id = $1")
        .bind(report.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(recorded[0]["rows"], 1);
    let again = run(&job).await;
    assert!(
        again.anonymized.is_empty(),
        "a partition is anonymized once"
    );
}

#[tokio::test]
async fn anonymization_can_be_turned_off() {
    let app = app().await;
    post_old(&app, 40, &[with_addresses()]).await;
    let job = retention(&app, |config| {
        config.retention.anonymize_ips_after_days = None
    });
    assert!(run(&job).await.anonymized.is_empty());
    assert_eq!(app.count("body LIKE '%203.0.113.77%'").await, 1);
}
