//! `GET /api/v1/logs/stats` reads per-minute rollups for whole minutes and `logs` for the
//! partial minutes at either end: its answers must equal counting the rows themselves.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::json;

use super::helpers::spawn_app_with;

const LEVELS: [&str; 4] = ["info", "warn", "error", "fatal"];

#[tokio::test]
async fn stats_from_rollups_equal_counting_the_rows() {
    let app = spawn_app_with(|config| config.query.token_requests_per_second = 1000).await;
    let token = app.token("reader", None).await;
    let base = (Utc::now() - Duration::minutes(30))
        .duration_trunc(Duration::minutes(1))
        .unwrap();
    // 600 records over 12 minutes at 1.2 s steps, in several requests (several commits).
    let records: Vec<(DateTime<Utc>, &str, &str, String)> = (0..600)
        .map(|i| {
            let ts = base + Duration::milliseconds(i * 1200);
            let service = ["a", "b", "c"][(i % 7 % 3) as usize];
            let level = LEVELS[(i % 11 % 4) as usize];
            (
                ts,
                service,
                level,
                format!("failure {} of order {i}", i % 3),
            )
        })
        .collect();
    for chunk in records.chunks(97) {
        let body: String = chunk
            .iter()
            .map(|(ts, service, level, message)| {
                format!(
                    "{}\n",
                    json!({"timestamp": ts.to_rfc3339(), "service": service,
                                        "level": level, "message": message})
                )
            })
            .collect();
        assert_eq!(app.post_json(body).await, 200);
    }
    // A range that starts and ends inside minutes, with 2-minute buckets.
    let (from, to) = (base + Duration::seconds(95), base + Duration::seconds(610));
    for services in ["", "&service=a&service=c", "&level=error&level=fatal"] {
        let path = format!(
            "/api/v1/logs/stats?from={}&to={}&interval=2m{services}",
            from.to_rfc3339().replace('+', "%2B"),
            to.to_rfc3339().replace('+', "%2B")
        );
        let stats = app.get_json(&token, &path).await;
        let matching: Vec<_> = records
            .iter()
            .filter(|(ts, service, level, _)| {
                *ts >= from
                    && *ts < to
                    && (services.is_empty()
                        || services.contains(&format!("service={service}"))
                        || services.contains(&format!("level={level}")))
            })
            .collect();
        let mut buckets: BTreeMap<(i64, String), i64> = BTreeMap::new();
        for (ts, _, level, _) in &matching {
            let start = ts.timestamp() - ts.timestamp().rem_euclid(120);
            *buckets.entry((start, level.to_string())).or_default() += 1;
        }
        let mut got: BTreeMap<(i64, String), i64> = BTreeMap::new();
        for bucket in stats["buckets"].as_array().unwrap() {
            let start = DateTime::parse_from_rfc3339(bucket["start"].as_str().unwrap()).unwrap();
            for (level, count) in bucket["counts"].as_object().unwrap() {
                got.insert((start.timestamp(), level.clone()), count.as_i64().unwrap());
            }
        }
        assert_eq!(got, buckets, "{path}");
        assert_eq!(stats["total"], matching.len(), "{path}");
        let errors = matching
            .iter()
            .filter(|r| r.2 == "error" || r.2 == "fatal")
            .count();
        assert_eq!(stats["errors"], errors, "{path}");
        let top: i64 = stats["top_errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["count"].as_i64().unwrap())
            .sum();
        assert_eq!(
            top as usize, errors,
            "{path}: every error is in one of the (few) groups"
        );
        for group in stats["top_errors"].as_array().unwrap() {
            let message = group["message"].as_str().unwrap();
            assert!(message.starts_with("failure "), "{group}");
        }
        let services_total: i64 = stats["top_services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["count"].as_i64().unwrap())
            .sum();
        assert_eq!(services_total as usize, matching.len(), "{path}");
    }
    let rollup_rows: i64 = sqlx::query_scalar("SELECT sum(count)::bigint FROM log_counts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(rollup_rows, 600, "every committed row is counted once");
}
