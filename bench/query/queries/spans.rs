//! The timed span reads (issue 13's targets), with the same `Reader` as the log reads: a
//! trace's spans and logs by id over the read API and the Jaeger API, and the Request trace
//! dashboard's Slowest spans panel over the last hour, run as the Grafana role.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use sqlx::PgPool;

use super::{Reader, Samples, Timing, WARM_UPS};
use crate::report::thousands;
use crate::span_load::SERVICES;

/// The dashboard whose Slowest spans panel is timed.
const TRACE_DASHBOARD: &str = include_str!("../../../dashboards/trace.json");

impl Reader<'_> {
    /// Both trace lookups, by random ids of stored spans.
    pub(super) async fn span_reads(&self, grafana: &PgPool) -> anyhow::Result<Vec<Timing>> {
        let ids = self.trace_ids().await?;
        let spans_per_trace: i64 =
            sqlx::query_scalar("SELECT count(*) FROM spans WHERE trace_id = $1")
                .bind(&ids[0])
                .fetch_one(self.pool)
                .await?;
        let lookup = |prefix: &str, suffix: &str| -> Vec<String> {
            ids.iter()
                .map(|id| format!("{prefix}{id}{suffix}"))
                .collect()
        };
        let matching = format!("{spans_per_trace} spans per trace");
        Ok(vec![
            Timing {
                name: "trace lookup (spans and logs)".into(),
                request: "/api/v1/traces/<random existing id>".into(),
                matching: matching.clone(),
                target_ms: Some(10.0),
                samples: self.measure(&lookup("/api/v1/traces/", "")).await?,
            },
            Timing {
                name: "trace lookup, Jaeger API".into(),
                request: "/jaeger/api/traces/<random existing id>".into(),
                matching,
                target_ms: Some(10.0),
                samples: self.measure(&lookup("/jaeger/api/traces/", "")).await?,
            },
            self.slowest_spans(grafana).await?,
        ])
    }

    /// Trace ids of stored spans, one per timed request, sampled from the whole table.
    async fn trace_ids(&self) -> anyhow::Result<Vec<String>> {
        let n = self.runs + WARM_UPS;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT trace_id FROM spans TABLESAMPLE SYSTEM (0.1) ORDER BY random() LIMIT $1",
        )
        .bind(n as i64)
        .fetch_all(self.pool)
        .await?;
        anyhow::ensure!(ids.len() == n, "found only {} trace ids", ids.len());
        Ok(ids)
    }

    /// The Slowest spans panel over the hour before the newest span, each service in turn.
    async fn slowest_spans(&self, grafana: &PgPool) -> anyhow::Result<Timing> {
        let newest: DateTime<Utc> = sqlx::query_scalar("SELECT max(start_ts) FROM spans")
            .fetch_one(self.pool)
            .await?;
        let from = newest - Duration::hours(1);
        let in_hour: i64 = sqlx::query_scalar("SELECT count(*) FROM spans WHERE start_ts >= $1")
            .bind(from)
            .fetch_one(self.pool)
            .await?;
        let panel = slowest_panel_sql(from, newest)?;
        let mut samples = Samples::default();
        for i in 0..self.runs + WARM_UPS {
            let service = format!("'{}'", SERVICES[i % SERVICES.len()]);
            let sql = panel.replace("$service", &service);
            let started = Instant::now();
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(grafana)
                .await?;
            if i >= WARM_UPS {
                samples.ms.push(started.elapsed().as_secs_f64() * 1000.0);
                samples.rows.push(rows.len());
            }
        }
        samples.ms.sort_by(f64::total_cmp);
        Ok(Timing {
            name: "slowest spans of a service, 1 h (Grafana role)".into(),
            request: "Request trace dashboard, Slowest spans, service=<each in turn>".into(),
            matching: format!(
                "{} spans per service, about",
                thousands((in_hour / SERVICES.len() as i64) as f64)
            ),
            target_ms: Some(50.0),
            samples: Some(samples),
        })
    }
}

/// The panel's SQL with its time macro expanded as Grafana's PostgreSQL data source does for the
/// range `from`..`to`; `$service` is left for each run.
fn slowest_panel_sql(from: DateTime<Utc>, to: DateTime<Utc>) -> anyhow::Result<String> {
    let dashboard: Value = serde_json::from_str(TRACE_DASHBOARD)?;
    let panel = (dashboard["panels"].as_array().into_iter().flatten())
        .find(|panel| panel["title"] == "Slowest spans")
        .ok_or_else(|| anyhow::anyhow!("no Slowest spans panel in dashboards/trace.json"))?;
    let sql = panel["targets"][0]["rawSql"].as_str().unwrap_or_default();
    let time = |at: DateTime<Utc>| at.format("'%Y-%m-%dT%H:%M:%S%.6fZ'").to_string();
    let filter = format!("start_ts BETWEEN {} AND {}", time(from), time(to));
    Ok(sql.replace("$__timeFilter(start_ts)", &filter))
}
