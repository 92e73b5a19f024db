//! `contains` with `storage.substring_index` (issue 21): the trigram index answers a rare
//! substring in every partition holding rows, where without it each partition of the range is
//! read row by row; `serve` and `migrate` create and drop the index to follow the setting.

use chrono::Duration;
use logbridge::store::read::{LogFilter, LogRow, page};
use logbridge::store::substring_index;

use super::{MIN_WALKED_ROWS, Scan, leaves, loaded_app, midnight, page_scans};
use crate::api::helpers::spawn_app_with;

/// `contains=deadlock` over the last loaded day: about 50 matches in 50,000 rows, so the page
/// (101 rows) reads every window of the day.
fn rare_substring() -> LogFilter {
    LogFilter {
        from: Some(midnight() - Duration::days(1)),
        contains: Some("deadlock".into()),
        ..LogFilter::default()
    }
}

/// Scans that read [`MIN_WALKED_ROWS`] rows or more of a partition, each with the `LIKE` filter.
fn per_row_matches(scans: &[Scan]) -> Vec<&Scan> {
    let like = |scan: &&Scan| scan.filter.contains("~~");
    scans
        .iter()
        .filter(|scan| scan.read >= MIN_WALKED_ROWS)
        .filter(like)
        .collect()
}

#[tokio::test]
async fn a_rare_substring_is_read_through_the_trigram_index_in_every_partition() {
    let app = loaded_app().await;
    let without = page_scans(&app.db, &rare_substring()).await;
    assert!(
        !per_row_matches(&without).is_empty(),
        "without the index the day is read row by row (the check below can fail): {without:#?}"
    );

    let change = substring_index::follow(&app.db, true).await.unwrap();
    assert_eq!(change, Some(substring_index::Change::Created));
    sqlx::query("ANALYZE logs").execute(&app.db).await.unwrap();
    let scans = page_scans(&app.db, &rare_substring()).await;
    let walks = per_row_matches(&scans);
    assert!(walks.is_empty(), "per-row LIKE filters: {walks:#?}");
    let leaves = leaves(&app.db).await;
    let holding_rows = scans.iter().filter_map(|scan| {
        let leaf = scan.relation.as_deref()?;
        let rows = leaves.get(leaf).map_or(0, |(rows, _)| *rows);
        (rows >= MIN_WALKED_ROWS).then_some(leaf)
    });
    let trigram_scans: Vec<&str> = scans
        .iter()
        .filter_map(|scan| scan.index.as_deref())
        .filter(|index| index.contains("lower"))
        .collect();
    for leaf in holding_rows {
        assert!(
            trigram_scans.iter().any(|index| index.starts_with(leaf)),
            "{leaf} is read without its trigram index: {scans:#?}"
        );
    }
}

#[tokio::test]
async fn pages_through_the_trigram_index_equal_the_single_statement() {
    let app = loaded_app().await;
    substring_index::follow(&app.db, true).await.unwrap();
    sqlx::query("ANALYZE logs").execute(&app.db).await.unwrap();
    for substring in ["deadlock", "timeout", "Cache Refreshed", "ok"] {
        let filter = LogFilter {
            contains: Some(substring.into()),
            ..rare_substring()
        };
        for limit in [7, 101] {
            let mut after = None;
            for _ in 0..3 {
                let rows = page::page(&app.db, &filter, after, limit).await.unwrap();
                let reference = page::page_in_one_statement(&app.db, &filter, after, limit);
                let ids = |rows: &[LogRow]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
                let reference = reference.await.unwrap();
                assert_eq!(ids(&rows), ids(&reference), "{substring} limit {limit}");
                let Some(last) = rows.last() else { break };
                after = Some(last.position());
            }
        }
    }
}

#[tokio::test]
async fn serve_creates_the_index_when_set_and_drops_it_when_unset() {
    let app = spawn_app_with(|config| config.storage.substring_index = true).await;
    assert!(substring_index::exists(&app.db).await.unwrap());
    let partition = "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'logs_p%lower%'";
    let per_partition: i64 = sqlx::query_scalar(partition)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(per_partition > 0, "every partition has its own");
    assert_eq!(substring_index::follow(&app.db, true).await.unwrap(), None);

    let change = substring_index::follow(&app.db, false).await.unwrap();
    assert_eq!(change, Some(substring_index::Change::Dropped));
    assert!(!substring_index::exists(&app.db).await.unwrap());
    let left: i64 = sqlx::query_scalar(partition)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0, "no partition keeps one");
}
