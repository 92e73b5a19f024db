//! The timed log patterns (issue 15): the busiest service over 24 hours grouped into templates
//! at several sample sizes, so that the cost is shown against the sample. The load COPYs rows
//! without the per-minute rollup the writers keep, which the patterns weigh their sample by:
//! it is filled from `logs` first when it is empty (the bridge keeps it at ingest).

use chrono::Duration;

use super::{Reader, Timing, WARM_UPS, encode, instant};
use crate::report::thousands;

/// Rows sampled per request: the smallest, the default and the largest allowed.
const SAMPLES: [i64; 3] = [1_000, 10_000, 100_000];

impl Reader<'_> {
    /// One timing per sample size, of the busiest service over the last 24 hours.
    pub(super) async fn patterns(&self) -> anyhow::Result<Vec<Timing>> {
        self.fill_rollup().await?;
        let from = self.now - Duration::hours(24);
        let (service, rows): (String, i64) = sqlx::query_as(
            "SELECT service, count(*) FROM logs WHERE ts >= $1 AND ts < $2 \
             GROUP BY service ORDER BY count(*) DESC LIMIT 1",
        )
        .bind(from)
        .bind(self.now)
        .fetch_one(self.pool)
        .await?;
        let mut timings = Vec::new();
        for sample in SAMPLES {
            let sample_text = sample.to_string();
            let query = [
                ("service", service.as_str()),
                ("from", &instant(from)),
                ("to", &instant(self.now)),
                ("sample", &sample_text),
            ];
            let url = format!("/api/v1/logs/patterns?{}", encode(&query));
            let samples = self.measure(&vec![url; self.runs + WARM_UPS]).await?;
            let patterns = samples.as_ref().map_or(0, |s| s.median_rows());
            timings.push(Timing {
                name: format!("patterns, 24 h, sample {}", thousands(sample as f64)),
                request: format!(
                    "/api/v1/logs/patterns?service=<busiest>&from=now-24h&sample={sample}"
                ),
                matching: format!(
                    "{} rows of {service}; {patterns} patterns",
                    thousands(rows as f64)
                ),
                target_ms: None,
                samples,
            });
        }
        Ok(timings)
    }

    /// Fills `log_counts` from `logs` when it is empty (a load COPYs rows past the writers).
    async fn fill_rollup(&self) -> anyhow::Result<()> {
        let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM log_counts)")
            .fetch_one(self.pool)
            .await?;
        if empty {
            println!("filling the log_counts rollup from logs (the load bypasses the writers)");
            sqlx::query(
                "INSERT INTO log_counts (minute, service, level, count) \
                 SELECT date_trunc('minute', ts), service, level, sum(dedup_count) \
                 FROM logs GROUP BY 1, 2, 3",
            )
            .execute(self.pool)
            .await?;
        }
        Ok(())
    }
}
