//! The log filter of the read API and its translation into a SQL `WHERE` clause. Every value
//! is a bind parameter: user input never becomes SQL text.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};

use crate::model::Level;

/// Which rows of `logs` a read returns. Built and validated by the read API from query
/// parameters; `scope` comes from the caller's token, never from the request.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Inclusive lower bound on `ts`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `ts`.
    pub to: Option<DateTime<Utc>>,
    /// Any of these services (all when empty).
    pub services: Vec<String>,
    /// Any of these levels (all when empty).
    pub levels: Vec<Level>,
    /// Exact trace id (lowercase hex).
    pub trace_id: Option<String>,
    /// Exact span id (lowercase hex).
    pub span_id: Option<String>,
    /// Exact user id.
    pub user_id: Option<String>,
    /// Exact route template.
    pub route: Option<String>,
    /// HTTP status: one code or a class.
    pub status: Option<StatusFilter>,
    /// Full text: every word must appear in the body or the exception message.
    pub text: Option<String>,
    /// Case-insensitive substring of the body.
    pub contains: Option<String>,
    /// Attribute equality, `(key, value)`: the key literally (`http.route`) or as a dotted path
    /// into nested objects (`req.user.id`); the value compared as text.
    pub attributes: Vec<(String, String)>,
    /// The services the caller may read; `None` means every service.
    pub scope: Option<Vec<String>>,
}

/// An HTTP status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Exactly this code.
    Code(u16),
    /// Every code of this hundred: `5` is 500-599.
    Class(u16),
}

/// The full-text expression of `logs_text_idx`; the query must repeat it exactly to use it.
pub const TEXT_VECTOR: &str =
    "to_tsvector('simple'::regconfig, body || ' ' || coalesce(exception_message, ''))";

impl LogFilter {
    /// Which conditions the filter sets, never their values, for spans: `from,to,services=2`.
    pub fn shape(&self) -> String {
        let set = [
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("trace_id", self.trace_id.is_some()),
            ("span_id", self.span_id.is_some()),
            ("user_id", self.user_id.is_some()),
            ("route", self.route.is_some()),
            ("status", self.status.is_some()),
            ("text", self.text.is_some()),
            ("contains", self.contains.is_some()),
        ];
        let mut parts: Vec<String> = set
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| name.to_string())
            .collect();
        let scope = self.scope.as_ref().map_or(0, Vec::len);
        for (name, n) in [
            ("services", self.services.len()),
            ("levels", self.levels.len()),
            ("attributes", self.attributes.len()),
            ("scope", scope),
        ] {
            if n > 0 {
                parts.push(format!("{name}={n}"));
            }
        }
        parts.join(",")
    }

    /// Whether an index of `logs` gives exactly the filter's rows, newest first, so that a walk
    /// of it reads no row the page does not return: one service (`logs_service_ts_idx`), its
    /// errors (`logs_service_errors_ts_idx`), or a trace (`logs_trace_id_idx`, a few rows).
    pub fn read_in_order_by_an_index(&self) -> bool {
        if self.trace_id.is_some() {
            return true;
        }
        let errors = [Level::Error, Level::Fatal];
        let others = [
            self.span_id.is_some(),
            self.user_id.is_some(),
            self.route.is_some(),
            self.status.is_some(),
            self.text.is_some(),
            self.contains.is_some(),
            !self.attributes.is_empty(),
        ];
        self.services.len() == 1
            && self.levels.iter().all(|level| errors.contains(level))
            && !others.contains(&true)
    }

    /// Whether `contains` is a substring the trigram index can look up: ASCII (matched on the
    /// expression the index holds) with a run of at least three letters or digits (`pg_trgm`
    /// finds nothing to look up in shorter ones and would read the whole index).
    pub fn contains_has_trigrams(&self) -> bool {
        let Some(contains) = &self.contains else {
            return false;
        };
        contains.is_ascii()
            && contains
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|run| run.len() >= 3)
    }

    /// Appends ` WHERE ...` (always: at least `true`) with every condition of the filter.
    pub fn push_where(&self, sql: &mut QueryBuilder<Postgres>) {
        sql.push(" WHERE ");
        self.push_conditions(sql);
    }

    /// Appends every condition of the filter joined by `AND` (at least `true`): a boolean
    /// expression over one row of `logs`.
    pub fn push_conditions(&self, sql: &mut QueryBuilder<Postgres>) {
        sql.push("true");
        if let Some(from) = self.from {
            sql.push(" AND ts >= ").push_bind(from);
        }
        if let Some(to) = self.to {
            sql.push(" AND ts < ").push_bind(to);
        }
        self.push_scope(sql);
        push_one_of(sql, "service", self.services.clone());
        let levels = self.levels.iter().map(|l| l.as_str().to_string()).collect();
        push_one_of(sql, "level", levels);
        push_equal(sql, "trace_id", &self.trace_id);
        push_equal(sql, "span_id", &self.span_id);
        push_equal(sql, "user_id", &self.user_id);
        push_equal(sql, "http_route", &self.route);
        self.push_status(sql);
        if let Some(text) = &self.text {
            sql.push(format_args!(
                " AND {TEXT_VECTOR} @@ plainto_tsquery('simple', "
            ));
            sql.push_bind(text.clone()).push(")");
        }
        if let Some(contains) = &self.contains {
            push_contains(sql, contains);
        }
        for (key, value) in &self.attributes {
            let path: Vec<&str> = key.split('.').collect();
            sql.push(" AND (attributes ->> ").push_bind(key.clone());
            sql.push(" = ").push_bind(value.clone());
            sql.push(" OR attributes #>> ").push_bind(path);
            sql.push(" = ").push_bind(value.clone()).push(")");
        }
    }

    /// Appends the caller's scope only: for tables keyed by service other than `logs`.
    pub fn push_scope(&self, sql: &mut QueryBuilder<Postgres>) {
        if let Some(scope) = &self.scope {
            sql.push(" AND service = ANY(").push_bind(scope.clone());
            sql.push(")");
        }
    }

    fn push_status(&self, sql: &mut QueryBuilder<Postgres>) {
        match self.status {
            Some(StatusFilter::Code(code)) => {
                sql.push(" AND http_status = ").push_bind(code as i16);
            }
            Some(StatusFilter::Class(class)) => {
                let low = (class * 100) as i16;
                sql.push(" AND http_status BETWEEN ").push_bind(low);
                sql.push(" AND ").push_bind(low + 99);
            }
            None => {}
        }
    }
}

/// ` AND <column> = $n` for one value (an index on `(column, ts)` then yields rows in `ts`
/// order, which `= ANY` does not tell the planner), ` AND <column> = ANY($n)` for several,
/// nothing for none.
fn push_one_of(sql: &mut QueryBuilder<Postgres>, column: &'static str, mut values: Vec<String>) {
    match values.len() {
        0 => {}
        1 => {
            let value = values.pop().unwrap_or_default();
            sql.push(format_args!(" AND {column} = ")).push_bind(value);
        }
        _ => {
            sql.push(format_args!(" AND {column} = ANY("))
                .push_bind(values)
                .push(")");
        }
    }
}

fn push_equal(sql: &mut QueryBuilder<Postgres>, column: &'static str, value: &Option<String>) {
    if let Some(value) = value {
        sql.push(format_args!(" AND {column} = "))
            .push_bind(value.clone());
    }
}

/// The case-insensitive substring condition, read row by row (no index serves it). An ASCII
/// substring is matched against the body lowered under collation `"C"`, which folds ASCII
/// letters byte by byte: half the time per row of lowering every character through the
/// database's locale (bench/RESULTS.md, issue 21), and the same matches as `ILIKE` but for the
/// two non-ASCII capitals whose lower case is ASCII (the Kelvin sign and `İ`). Any other
/// substring is lowered through the locale, as `ILIKE` does.
fn push_contains(sql: &mut QueryBuilder<Postgres>, contains: &str) {
    if contains.is_ascii() {
        sql.push(" AND lower(body COLLATE \"C\") LIKE ")
            .push_bind(like_pattern(&contains.to_ascii_lowercase()));
    } else {
        sql.push(" AND lower(body) LIKE lower(")
            .push_bind(like_pattern(contains))
            .push(")");
    }
}

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` taken literally.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_names_conditions_and_never_their_values() {
        let filter = LogFilter {
            from: Some(Utc::now()),
            services: vec!["secret-service".into(), "b".into()],
            text: Some("alice@example.com".into()),
            attributes: vec![("user.id".into(), "42".into())],
            scope: Some(vec!["a".into()]),
            ..LogFilter::default()
        };
        assert_eq!(filter.shape(), "from,text,services=2,attributes=1,scope=1");
        assert_eq!(LogFilter::default().shape(), "");
    }

    #[test]
    fn only_ascii_substrings_with_three_letters_in_a_row_have_trigrams() {
        let has = |contains: &str| {
            let filter = LogFilter {
                contains: Some(contains.into()),
                ..LogFilter::default()
            };
            filter.contains_has_trigrams()
        };
        for yes in ["deadlock", "a-b-c-404", "ok in time", "10.1.2.3x7"] {
            assert!(has(yes), "{yes}");
        }
        for no in ["ok", "a b", "10.1.2.3", "x_y%z", "Größe", "日本語です"] {
            assert!(!has(no), "{no}");
        }
        assert!(!LogFilter::default().contains_has_trigrams());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn values_are_bound_never_spliced() {
        let filter = LogFilter {
            services: vec!["x'; DROP TABLE logs; --".into()],
            attributes: vec![("k'ey".into(), "v'alue".into())],
            contains: Some("'".into()),
            ..LogFilter::default()
        };
        let mut sql = QueryBuilder::new("SELECT 1 FROM logs");
        filter.push_where(&mut sql);
        let text = sql.sql().as_str().to_string();
        assert!(!text.contains('\''), "{text}");
        assert!(text.contains("$1"), "{text}");
    }
}
