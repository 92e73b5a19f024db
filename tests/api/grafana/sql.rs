//! Every SQL query of the dashboards, with Grafana's macros and variables expanded, runs against
//! a freshly migrated database as the `logbridge_grafana` role.

use chrono::{DateTime, Duration, Utc};
use regex::{Captures, Regex};
use serde_json::Value;
use sqlx::{Column, PgPool};

use super::super::helpers::{TestApp, spawn_app};
use super::{POSTGRES_UID, dashboards, panels, queries, variables};

pub(super) const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

/// How the variables are set: values chosen and text typed, or everything at its default.
#[derive(Clone, Copy, Debug)]
pub(super) enum Selection {
    Chosen,
    Defaults,
}

/// The dashboard time range: the last hour.
pub(super) struct Range {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A variable's value as Grafana's SQL datasources interpolate it (`format` is `None` for `$x`).
fn variable_value(variable: &Value, format: Option<&str>, selection: Selection) -> String {
    let multi = variable["multi"] == true || variable["includeAll"] == true;
    match (selection, variable["type"].as_str().unwrap()) {
        (Selection::Defaults, _) if multi && variable["allValue"].is_string() => {
            variable["allValue"].as_str().unwrap().to_string()
        }
        (Selection::Defaults, "textbox") => text_value("", format),
        (Selection::Chosen, "textbox") if variable["name"] == "trace_id" => {
            text_value(TRACE, format)
        }
        (_, "textbox") => text_value("it's", format),
        (_, "custom") => {
            let options = variable["options"].as_array().unwrap();
            let chosen: Vec<String> = options[1..3]
                .iter()
                .map(|o| quote(o["value"].as_str().unwrap()))
                .collect();
            chosen.join(",")
        }
        _ => "'checkout','payments'".to_string(),
    }
}

fn text_value(text: &str, format: Option<&str>) -> String {
    match format {
        Some("sqlstring") => quote(text),
        None | Some("raw") => text.to_string(),
        Some(other) => panic!("format {other} is not expanded by this test"),
    }
}

/// Seconds of a Grafana interval such as `1m` or `'5m'`.
fn seconds(interval: &str) -> i64 {
    let interval = interval.trim().trim_matches('\'');
    let (number, unit) = interval.split_at(interval.len() - 1);
    let number: i64 = number
        .parse()
        .unwrap_or_else(|_| panic!("interval {interval}"));
    number
        * match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86400,
            other => panic!("interval unit {other}"),
        }
}

/// Expands `$__timeFilter(col)`, `$__timeFrom()`, `$__timeTo()`, `$__timeGroup(col, interval)` and
/// `$__timeGroupAlias(col, interval)` as Grafana's PostgreSQL datasource does.
fn expand_macros(sql: &str, range: &Range) -> String {
    let time = |t: &DateTime<Utc>| quote(&t.to_rfc3339());
    let group = |args: &[&str]| {
        let step = seconds(args[1]);
        format!("floor(extract(epoch from {})/{step})*{step}", args[0])
    };
    let call = Regex::new(r"\$__(\w+)\(([^)]*)\)").unwrap();
    call.replace_all(sql, |captures: &Captures| {
        let args: Vec<&str> = captures[2].split(',').map(str::trim).collect();
        match &captures[1] {
            "timeFilter" => format!(
                "{} BETWEEN {} AND {}",
                args[0],
                time(&range.from),
                time(&range.to)
            ),
            "timeFrom" => time(&range.from),
            "timeTo" => time(&range.to),
            "timeGroup" => group(&args),
            "timeGroupAlias" => format!("{} AS \"time\"", group(&args)),
            other => panic!("macro $__{other} is not expanded by this test"),
        }
    })
    .into_owned()
}

/// Replaces variables (`$x`, `${x}`, `${x:format}`, `$__interval`), then macros.
pub(super) fn expand(sql: &str, dashboard: &Value, selection: Selection, range: &Range) -> String {
    let variable = Regex::new(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)").unwrap();
    let expanded = variable.replace_all(sql, |captures: &Captures| {
        let name = captures.get(1).or(captures.get(3)).unwrap().as_str();
        let format = captures.get(2).map(|m| m.as_str());
        let end = captures.get(0).unwrap().end();
        if name.starts_with("__") && sql[end..].starts_with('(') {
            return captures[0].to_string();
        }
        match name {
            "__interval" => "1m".to_string(),
            "__interval_ms" => "60000".to_string(),
            own => {
                let found = variables(dashboard).iter().find(|v| v["name"] == own);
                let found = found.unwrap_or_else(|| panic!("unknown variable ${own} in {sql}"));
                variable_value(found, format, selection)
            }
        }
    });
    expand_macros(&expanded, range)
}

/// Rows a dashboard should show: logs of a trace with a request, an auth failure, a fatal
/// exception; two spans of the trace (checkout calling payments, which fails); an exception
/// group, an audit row and an alert.
pub(super) async fn seed(app: &TestApp) {
    let statements = [
        format!(
            "INSERT INTO logs (ts, observed_ts, service, level, severity_number, body, trace_id,
                http_method, http_route, http_status, http_duration_ms, attributes)
             VALUES (now(), now(), 'checkout', 'warn', 13, 'login failed for it''s', '{TRACE}',
                'POST', '/login', 401, 12.5, '{{\"user\": \"u\"}}')"
        ),
        format!(
            "INSERT INTO logs (ts, observed_ts, service, level, severity_number, body, trace_id,
                exception_type, exception_message, exception_fingerprint)
             VALUES (now(), now(), 'payments', 'fatal', 21, 'boom', '{TRACE}',
                'PanicError', 'boom', '00000000000000aa')"
        ),
        "INSERT INTO exception_groups (fingerprint, service, exception_type, message, first_seen,
            last_seen, occurrences, resolved, regression, reopened_at)
         VALUES ('00000000000000aa', 'payments', 'PanicError', 'boom', now(), now(), 1, false,
            true, now())"
            .to_string(),
        format!(
            "INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, start_ts,
                duration_ns, status_code, status_message, service, attributes, resource, events)
             VALUES ('{TRACE}', '00f067aa0ba902b7', NULL, 'POST /login', 'server', now(),
                50000000, 0, NULL, 'checkout', '{{\"http.route\": \"/login\"}}',
                '{{\"service.name\": \"checkout\", \"host.name\": \"h1\"}}', '[]'),
                ('{TRACE}', '00f067aa0ba902b8', '00f067aa0ba902b7', 'charge', 'client',
                now() + interval '5 milliseconds', 30000000, 2, 'declined', 'payments', '{{}}',
                '{{\"service.name\": \"payments\"}}',
                '[{{\"name\": \"exception\", \"time\": \"2026-01-02T03:04:05.006000000Z\",
                   \"attributes\": {{\"exception.type\": \"PanicError\"}}}}]')"
        ),
        "INSERT INTO audit_log (token_name, role, method, endpoint, filters, status, rows)
         VALUES ('grafana', 'reader', 'GET', '/api/v1/logs', '{\"service\": \"checkout\"}', 200, 1)"
            .to_string(),
        "INSERT INTO alert_history (fingerprint, alertname, status, severity, service, starts_at,
            labels, annotations)
         VALUES ('f1', 'HighErrorRate', 'firing', 'critical', 'checkout', now(),
            '{\"alertname\": \"HighErrorRate\"}', '{\"summary\": \"5xx above 5%\"}')"
            .to_string(),
    ];
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&app.db)
            .await
            .unwrap();
    }
}

/// Runs a query as the Grafana role; answers its column names and row count.
pub(super) async fn run(
    grafana: &PgPool,
    sql: String,
) -> Result<(Vec<String>, usize), sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(grafana)
        .await?;
    let columns = rows.first().map(|row| {
        use sqlx::Row;
        row.columns().iter().map(|c| c.name().to_string()).collect()
    });
    Ok((columns.unwrap_or_default(), rows.len()))
}

#[tokio::test]
async fn every_sql_query_runs_as_the_grafana_role() {
    let app = spawn_app().await;
    seed(&app).await;
    let url = format!(
        "postgres://logbridge_grafana@127.0.0.1:5432/{}",
        app.db_name
    );
    let grafana = PgPool::connect(&url)
        .await
        .expect("the Grafana role logs in");
    let range = Range {
        from: Utc::now() - Duration::hours(1),
        to: Utc::now() + Duration::hours(1),
    };
    let mut checked = 0;
    for (name, dashboard) in dashboards() {
        for (place, query) in queries(&dashboard, POSTGRES_UID) {
            for selection in [Selection::Chosen, Selection::Defaults] {
                let sql = expand(&query, &dashboard, selection, &range);
                let result = run(&grafana, sql.clone()).await;
                assert!(
                    result.is_ok(),
                    "{name} {place} ({selection:?}): {result:?}\n{sql}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} SQL queries found");
}

#[tokio::test]
async fn the_logs_and_trace_panels_show_the_seeded_rows() {
    let app = spawn_app().await;
    seed(&app).await;
    let url = format!(
        "postgres://logbridge_grafana@127.0.0.1:5432/{}",
        app.db_name
    );
    let grafana = PgPool::connect(&url).await.unwrap();
    let range = Range {
        from: Utc::now() - Duration::hours(1),
        to: Utc::now() + Duration::hours(1),
    };
    let all = dashboards();
    let find = |uid: &str| &all.iter().find(|(_, d)| d["uid"] == uid).unwrap().1;
    let logs = find("logbridge-logs");
    let panel = panels(logs)
        .into_iter()
        .find(|p| p["type"] == "logs")
        .unwrap();
    let sql = panel["targets"][0]["rawSql"].as_str().unwrap();
    let (columns, rows) = run(&grafana, expand(sql, logs, Selection::Defaults, &range))
        .await
        .unwrap();
    assert_eq!(columns, ["time", "body", "level", "service", "trace_id"]);
    assert_eq!(rows, 2, "every log in range");
    let (_, rows) = run(&grafana, expand(sql, logs, Selection::Chosen, &range))
        .await
        .unwrap();
    assert_eq!(
        rows, 0,
        "no log of 'checkout','payments' at debug/info has the text it's"
    );
    let trace = find("logbridge-trace");
    let table = panels(trace)
        .into_iter()
        .find(|p| p["type"] == "table")
        .unwrap();
    let sql = table["targets"][0]["rawSql"].as_str().unwrap();
    let (_, rows) = run(&grafana, expand(sql, trace, Selection::Chosen, &range))
        .await
        .unwrap();
    assert_eq!(rows, 2, "both logs of the trace");
}
