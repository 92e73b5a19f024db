//! The log filter of a request: its query parameters, validated, with the caller's scope.

use chrono::{DateTime, Utc};

use super::error::ApiError;
use super::params::{self, Params};
use crate::auth::Principal;
use crate::model::Level;
use crate::pipeline::levels;
use crate::store::read::{LogFilter, StatusFilter};

/// Reads the filter parameters shared by the log list, export and stats endpoints. Requested
/// services outside the caller's scope are refused (403); without any, the scope applies.
pub fn log_filter(
    params: &mut Params,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<LogFilter, ApiError> {
    let filter = LogFilter {
        services: services(params, principal)?,
        from: params.parsed("from", |t| params::instant(t, now))?,
        to: params.parsed("to", |t| params::instant(t, now))?,
        levels: levels_of(params)?,
        trace_id: params.parsed("trace_id", |t| hex_id(t, 32))?,
        span_id: params.parsed("span_id", |t| hex_id(t, 16))?,
        user_id: params.one("user_id")?,
        route: params.one("route")?,
        status: params.parsed("status", status)?,
        text: params.parsed("q", words)?,
        contains: params.one("contains")?,
        attributes: params.prefixed("attr."),
        scope: principal.scope(),
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(ApiError::invalid("from", "must be before `to`"));
    }
    if let Some((key, _)) = filter.attributes.iter().find(|(key, _)| key.is_empty()) {
        return Err(ApiError::invalid(
            &format!("attr.{key}"),
            "empty attribute key",
        ));
    }
    Ok(filter)
}

/// The filter of a monitoring view: `[from, to)`, the `service` parameter and the caller's
/// scope; requested services outside the scope are refused (403).
pub fn view_filter(
    params: &mut Params,
    principal: &Principal,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<LogFilter, ApiError> {
    Ok(LogFilter {
        from: Some(from),
        to: Some(to),
        services: services(params, principal)?,
        scope: principal.scope(),
        ..LogFilter::default()
    })
}

/// The requested services (`service`, repeatable); one outside the caller's scope is refused
/// (403).
pub fn services(params: &mut Params, principal: &Principal) -> Result<Vec<String>, ApiError> {
    let services = params.all("service");
    if let Some(outside) = services.iter().find(|s| !principal.may_read_service(s)) {
        return Err(ApiError::forbidden(format!(
            "this token may not read service {outside:?}"
        )));
    }
    Ok(services)
}

/// `level` (repeatable) and `min_level` together: the levels both allow.
fn levels_of(params: &mut Params) -> Result<Vec<Level>, ApiError> {
    let named = params.all("level");
    let mut chosen = Vec::new();
    for name in &named {
        chosen.push(level(name).map_err(|reason| ApiError::invalid("level", reason))?);
    }
    let Some(min) = params.parsed("min_level", level)? else {
        return Ok(chosen);
    };
    let at_least: Vec<Level> = Level::ALL.into_iter().filter(|l| *l >= min).collect();
    if chosen.is_empty() {
        return Ok(at_least);
    }
    chosen.retain(|l| at_least.contains(l));
    if chosen.is_empty() {
        return Err(ApiError::invalid(
            "level",
            "no level is both listed and >= min_level",
        ));
    }
    Ok(chosen)
}

/// A contract level name (or a common alias such as `warning`).
pub fn level(name: &str) -> Result<Level, String> {
    levels::from_name(name)
        .ok_or_else(|| format!("{name:?} is not a level (trace, debug, info, warn, error, fatal)"))
}

/// `404` or a class `5xx`.
fn status(text: &str) -> Result<StatusFilter, String> {
    let bad = || format!("{text:?} is not a status code (100-599) or class like 5xx");
    let lower = text.to_ascii_lowercase();
    if let Some(class) = lower.strip_suffix("xx") {
        let class: u16 = class.parse().map_err(|_| bad())?;
        return (1..=5)
            .contains(&class)
            .then_some(StatusFilter::Class(class))
            .ok_or_else(bad);
    }
    let code: u16 = text.parse().map_err(|_| bad())?;
    (100..=599)
        .contains(&code)
        .then_some(StatusFilter::Code(code))
        .ok_or_else(bad)
}

/// A trace or span id: `len` hex digits, returned in lower case as stored.
fn hex_id(text: &str, len: usize) -> Result<String, String> {
    let valid = text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit());
    valid
        .then(|| text.to_ascii_lowercase())
        .ok_or_else(|| format!("must be {len} hex digits"))
}

/// Full-text input: at least one word.
fn words(text: &str) -> Result<String, String> {
    if text.split_whitespace().next().is_none() {
        return Err("needs at least one word".into());
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn principal(services: Option<Vec<&str>>) -> Principal {
        Principal {
            token_id: 1,
            name: "t".into(),
            role: Role::Reader,
            services: services.map(|s| s.into_iter().map(String::from).collect()),
        }
    }

    fn filter(query: &str, who: &Principal) -> Result<LogFilter, ApiError> {
        let mut params = Params::parse(Some(query)).unwrap();
        let filter = log_filter(&mut params, who, Utc::now())?;
        params.finish()?;
        Ok(filter)
    }

    #[test]
    fn statuses_and_classes() {
        assert_eq!(status("404"), Ok(StatusFilter::Code(404)));
        assert_eq!(status("5xx"), Ok(StatusFilter::Class(5)));
        assert_eq!(status("5XX"), Ok(StatusFilter::Class(5)));
        assert!(status("6xx").is_err() && status("99").is_err() && status("x").is_err());
    }

    #[test]
    fn min_level_intersects_listed_levels() {
        let all = principal(None);
        let f = filter("min_level=warn", &all).unwrap();
        assert_eq!(f.levels, [Level::Warn, Level::Error, Level::Fatal]);
        let f = filter("level=info&level=error&min_level=warn", &all).unwrap();
        assert_eq!(f.levels, [Level::Error]);
        assert!(filter("level=info&min_level=error", &all).is_err());
        assert!(filter("level=loud", &all).is_err());
    }

    #[test]
    fn scoped_readers_get_their_scope_and_nothing_else() {
        let scoped = principal(Some(vec!["a"]));
        assert_eq!(filter("", &scoped).unwrap().scope, Some(vec!["a".into()]));
        let error = filter("service=b", &scoped).unwrap_err();
        assert_eq!(error.status(), axum::http::StatusCode::FORBIDDEN);
    }

    #[test]
    fn view_filters_keep_the_range_and_the_scope() {
        let scoped = principal(Some(vec!["a"]));
        let (from, to) = (Utc::now() - chrono::Duration::hours(1), Utc::now());
        let mut params = Params::parse(Some("service=a")).unwrap();
        let f = view_filter(&mut params, &scoped, (from, to)).unwrap();
        assert_eq!((f.from, f.to), (Some(from), Some(to)));
        assert_eq!(
            (f.services, f.scope),
            (vec!["a".into()], Some(vec!["a".into()]))
        );
        let mut params = Params::parse(Some("service=b")).unwrap();
        let error = view_filter(&mut params, &scoped, (from, to)).unwrap_err();
        assert_eq!(error.status(), axum::http::StatusCode::FORBIDDEN);
    }

    #[test]
    fn ids_are_validated_and_lowercased() {
        let all = principal(None);
        let f = filter(&format!("trace_id={}", "AB".repeat(16)), &all).unwrap();
        assert_eq!(f.trace_id.unwrap(), "ab".repeat(16));
        assert!(filter("trace_id=xyz", &all).is_err());
        assert!(filter("from=now&to=now-1h", &all).is_err());
    }
}
