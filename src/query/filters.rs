//! The log filter of a request: its typed parameters ([`LogParams`]), checked together and
//! with the caller's scope.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::ApiError;
use super::mask;
use super::params::{Prefixed, SpanId, Time, TraceId, bounds};
use crate::auth::Principal;
use crate::model::Level;
use crate::pipeline::levels;
use crate::store::read::{LogFilter, StatusFilter};

/// The log filter parameters of the log list, export and stats.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// Start, inclusive: RFC 3339 or relative like `now-1h`.
    #[param(value_type = Option<String>)]
    pub from: Option<Time>,
    /// End, exclusive: RFC 3339 or relative like `now`.
    #[param(value_type = Option<String>)]
    pub to: Option<Time>,
    /// Service name; repeatable, or comma-separated.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    pub service: Vec<String>,
    /// Level (trace, debug, info, warn, error, fatal); repeatable.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    pub level: Vec<LevelName>,
    /// This level and above.
    #[param(value_type = Option<String>)]
    pub min_level: Option<LevelName>,
    /// 32 hex digits.
    #[param(value_type = Option<String>)]
    pub trace_id: Option<TraceId>,
    /// 16 hex digits.
    #[param(value_type = Option<String>)]
    pub span_id: Option<SpanId>,
    /// The end user (`enduser.id`, `user.id`, ... at ingest).
    pub user_id: Option<String>,
    /// Route template, e.g. `/users/{id}`.
    pub route: Option<String>,
    /// A status code (`404`) or class (`5xx`).
    #[param(value_type = Option<String>)]
    pub status: Option<Status>,
    /// Full text: every word must appear in the body or the exception message.
    #[param(value_type = Option<String>)]
    pub q: Option<Words>,
    /// Case-insensitive substring of the body.
    pub contains: Option<String>,
    /// `attr.<key>=<value>`: attribute equality, any number of them (key literal or dotted
    /// path into nested objects; value compared as text).
    #[serde(rename = "attr.<key>", default)]
    #[param(value_type = Option<String>)]
    pub attr: Prefixed,
}

/// The filter of the log list, export and stats. Requested services outside the caller's scope
/// are refused (403); without any, the scope applies.
pub fn log_filter(
    params: LogParams,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<LogFilter, ApiError> {
    if principal.masks_personal_data() {
        refuse_unmasked_filters(&params)?;
    }
    let services = services(params.service, principal)?;
    let levels = levels_of(params.level, params.min_level)?;
    let (from, to) = bounds(params.from, params.to, now)?;
    let attributes = params.attr.0;
    if let Some((key, _)) = attributes.iter().find(|(key, _)| key.is_empty()) {
        return Err(ApiError::invalid(
            &format!("attr.{key}"),
            "empty attribute key",
        ));
    }
    Ok(LogFilter {
        services,
        from,
        to,
        levels,
        trace_id: params.trace_id.map(TraceId::into_string),
        span_id: params.span_id.map(SpanId::into_string),
        user_id: params.user_id,
        route: params.route,
        status: params.status.map(|s| s.0),
        text: params.q.map(|q| q.0),
        contains: params.contains,
        attributes,
        scope: principal.scope(),
    })
}

/// Refuses (403, naming the parameter) the filters through which a token whose answers are
/// masked could recover what the mask hides, since filters match the stored, unmasked values:
/// `user_id` (always masked); `contains` and `q` (a substring or a word can be part of any
/// address: one character at a time, a masked IP came back in 78 requests); `attr.<key>`
/// on a personal key; and equality filters (`attr.<key>`, `route`) whose value holds an
/// address, which only matches values the mask would change.
fn refuse_unmasked_filters(params: &LogParams) -> Result<(), ApiError> {
    let refuse = |parameter: &str, why: &str| {
        Err(ApiError::forbidden(format!(
            "a support token may not filter on {parameter}: {why}"
        )))
    };
    let masked_text = "it would match the personal data its answers mask";
    if params.user_id.is_some() {
        return refuse("user_id", "user ids are masked in its answers");
    }
    if params.contains.is_some() {
        return refuse("contains", masked_text);
    }
    if params.q.is_some() {
        return refuse("q", masked_text);
    }
    if params
        .route
        .as_deref()
        .is_some_and(mask::holds_personal_text)
    {
        return refuse("route", "the value holds an e-mail or IP address");
    }
    for (key, value) in &params.attr.0 {
        if mask::is_personal_path(key) {
            return refuse(&format!("attr.{key}"), "the attribute is personal data");
        }
        if mask::holds_personal_text(value) {
            let why = "the value holds an e-mail or IP address";
            return refuse(&format!("attr.{key}"), why);
        }
    }
    Ok(())
}

/// The filter of a monitoring view: `[from, to)`, the requested services and the caller's
/// scope; requested services outside the scope are refused (403).
pub fn view_filter(
    services: Vec<String>,
    principal: &Principal,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<LogFilter, ApiError> {
    Ok(LogFilter {
        from: Some(from),
        to: Some(to),
        services: self::services(services, principal)?,
        scope: principal.scope(),
        ..LogFilter::default()
    })
}

/// The requested services (`service`, repeatable); one outside the caller's scope is refused
/// (403).
pub fn services(services: Vec<String>, principal: &Principal) -> Result<Vec<String>, ApiError> {
    if let Some(outside) = services.iter().find(|s| !principal.may_read_service(s)) {
        return Err(ApiError::forbidden(format!(
            "this token may not read service {outside:?}"
        )));
    }
    Ok(services)
}

/// `level` (repeatable) and `min_level` together: the levels both allow.
fn levels_of(named: Vec<LevelName>, min: Option<LevelName>) -> Result<Vec<Level>, ApiError> {
    let mut chosen: Vec<Level> = named.into_iter().map(|l| l.0).collect();
    let Some(LevelName(min)) = min else {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LevelName(pub Level);

impl TryFrom<String> for LevelName {
    type Error = String;

    fn try_from(name: String) -> Result<LevelName, String> {
        levels::from_name(&name).map(LevelName).ok_or_else(|| {
            format!("{name:?} is not a level (trace, debug, info, warn, error, fatal)")
        })
    }
}

/// `404` or a class `5xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Status(pub StatusFilter);

impl TryFrom<String> for Status {
    type Error = String;

    fn try_from(text: String) -> Result<Status, String> {
        let bad = || format!("{text:?} is not a status code (100-599) or class like 5xx");
        let lower = text.to_ascii_lowercase();
        if let Some(class) = lower.strip_suffix("xx") {
            let class: u16 = class.parse().map_err(|_| bad())?;
            return (1..=5)
                .contains(&class)
                .then_some(Status(StatusFilter::Class(class)))
                .ok_or_else(bad);
        }
        let code: u16 = text.parse().map_err(|_| bad())?;
        (100..=599)
            .contains(&code)
            .then_some(Status(StatusFilter::Code(code)))
            .ok_or_else(bad)
    }
}

/// Full-text input: at least one word.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Words(pub String);

impl TryFrom<String> for Words {
    type Error = String;

    fn try_from(text: String) -> Result<Words, String> {
        if text.split_whitespace().next().is_none() {
            return Err("needs at least one word".into());
        }
        Ok(Words(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::query::params::{ParamError, from_query};

    fn principal(services: Option<Vec<&str>>) -> Principal {
        Principal {
            token_id: 1,
            name: "t".into(),
            role: Role::Reader,
            services: services.map(|s| s.into_iter().map(String::from).collect()),
            origins: None,
        }
    }

    fn filter(query: &str, who: &Principal) -> Result<LogFilter, ApiError> {
        let params: LogParams = from_query(query)?;
        log_filter(params, who, Utc::now())
    }

    fn status(text: &str) -> Result<StatusFilter, String> {
        Status::try_from(text.to_string()).map(|s| s.0)
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
        let error = filter("level=loud", &all).unwrap_err();
        assert_eq!(error.details["parameter"], "level");
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
        let f = view_filter(vec!["a".into()], &scoped, (from, to)).unwrap();
        assert_eq!((f.from, f.to), (Some(from), Some(to)));
        assert_eq!(
            (f.services, f.scope),
            (vec!["a".into()], Some(vec!["a".into()]))
        );
        let error = view_filter(vec!["b".into()], &scoped, (from, to)).unwrap_err();
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

    #[test]
    fn support_tokens_may_not_filter_on_what_their_answers_mask() {
        let support = Principal {
            role: Role::Support,
            ..principal(None)
        };
        for (query, parameter) in [
            ("user_id=u-1", "user_id"),
            ("contains=10.1", "contains"),
            ("q=bob", "q"),
            ("attr.client.address=x", "attr.client.address"),
            ("attr.req.user.id=7", "attr.req.user.id"),
            ("attr.note=from%2010.1.2.3", "attr.note"),
            ("route=/u/bob@example.com", "route"),
        ] {
            let error = filter(query, &support).unwrap_err();
            assert_eq!(error.status(), axum::http::StatusCode::FORBIDDEN, "{query}");
            assert!(
                error.message.contains(parameter),
                "{query}: {}",
                error.message
            );
            assert!(filter(query, &principal(None)).is_ok(), "{query}");
        }
        assert!(filter("attr.http.method=GET&route=/users/{id}", &support).is_ok());
    }

    #[test]
    fn every_filter_parameter_is_read_and_named_in_its_errors() {
        let all = principal(None);
        let f = filter(
            "service=a,b&service=c&attr.user.id=7&q=x%20y&status=5xx",
            &all,
        )
        .unwrap();
        assert_eq!(f.services, ["a", "b", "c"]);
        assert_eq!(f.attributes, [("user.id".to_string(), "7".to_string())]);
        assert_eq!(f.text.as_deref(), Some("x y"));
        let refused = |query: &str| -> ParamError { from_query::<LogParams>(query).unwrap_err() };
        assert_eq!(refused("route=a&route=b").reason, "given more than once");
        assert_eq!(refused("colour=red").reason, "unknown parameter");
        assert_eq!(refused("q=%20").parameter.as_deref(), Some("q"));
        let error = filter("attr.=x", &all).unwrap_err();
        assert_eq!(error.details["parameter"], "attr.");
    }
}
