//! Exception and error grouping: an exception's fingerprint, the key of table
//! `exception_groups`, names the bug: the service, the exception type, the chain's root cause
//! and the application frame nearest the throw ([`trace`]), or the normalized message when the
//! exception has no frames; `exception.fingerprint` overrides it. Error records get an error
//! group (the exception's, else their service and normalized message).

mod normalize;
mod rules;

use sha2::{Digest, Sha256};

use super::exception::trace::{self, Thrown};
use crate::model::{ExceptionInfo, Level, LogRecord};
pub use normalize::normalize;
pub use rules::Rules;

/// The version of the fingerprint rules; `logbridge exceptions regroup` maps groups of older
/// versions onto it.
pub const FINGERPRINT_VERSION: i16 = 2;
/// The attribute that sets a record's exception group by hand (Sentry's `fingerprint`).
pub const CUSTOM_FINGERPRINT: &str = "exception.fingerprint";
/// Hex characters of the SHA-256 kept as the fingerprint (64 bits).
const FINGERPRINT_HEX: usize = 16;

/// Sets the fingerprint of the record's exception, if it has one, and the error group of an
/// error or fatal record, with no configured rules.
pub fn assign(record: &mut LogRecord) {
    assign_with(record, &Rules::default());
}

/// [`assign`] with the configured `grouping.rules`.
pub fn assign_with(record: &mut LogRecord, rules: &Rules) {
    if let Some(exception) = &mut record.exception {
        let custom = custom_fingerprint(&record.attributes);
        assign_exception(&record.service, exception, custom, rules);
    }
    if matches!(record.level, Level::Error | Level::Fatal) {
        record.error_fingerprint = Some(match &record.exception {
            Some(exception) => exception.fingerprint.clone(),
            None => fingerprint(&[&record.service, &normalize(&record.body)]),
        });
    }
}

/// The `exception.fingerprint` attribute, when it is a non-empty string.
pub fn custom_fingerprint(attributes: &crate::model::Attributes) -> Option<&str> {
    let value = attributes.get(CUSTOM_FINGERPRINT)?.as_str()?.trim();
    (!value.is_empty()).then_some(value)
}

/// Sets the fingerprint of an exception of `service`, whether a log record or a span event
/// carried it, from [`parts`]; `custom` is its `exception.fingerprint` attribute.
pub fn assign_exception(
    service: &str,
    exception: &mut ExceptionInfo,
    custom: Option<&str>,
    rules: &Rules,
) {
    let parts = parts(service, exception, custom, rules);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    exception.fingerprint = fingerprint(&parts);
}

/// What identifies the bug: a custom fingerprint (the attribute, else the first matching
/// rule) as it is; else the type (without its package), the root cause's type and the crashing
/// application frame (the root cause's, else that of the nearest link with one; a library
/// frame when no frame is the application's); the normalized message only without frames.
fn parts(
    service: &str,
    exception: &ExceptionInfo,
    custom: Option<&str>,
    rules: &Rules,
) -> Vec<String> {
    let version = format!("v{FINGERPRINT_VERSION}");
    let chain = trace::parse(exception.stacktrace.as_deref().unwrap_or_default());
    let crashing = crashing_frame(&chain);
    let subject = rules::Subject {
        service,
        exception_type: &exception.exception_type,
        module: crashing.map_or("", |frame| frame.module.as_str()),
        message: &exception.message,
    };
    if let Some(custom) = custom.or_else(|| rules.matching(&subject)) {
        let custom = custom.to_string();
        return vec![version, service.to_string(), "custom".into(), custom];
    }
    let kind = simple_name(&exception.exception_type).to_string();
    let Some(frame) = crashing else {
        return vec![
            version,
            service.to_string(),
            kind,
            normalize(&exception.message),
        ];
    };
    let root = chain
        .last()
        .map_or("", |root| simple_name(&root.exception_type));
    vec![
        version,
        service.to_string(),
        kind,
        root.to_string(),
        frame.module.clone(),
        frame.function.clone(),
    ]
}

/// The application frame nearest the throw of the root cause, else of the next link out; the
/// root cause's first frame when none is the application's.
fn crashing_frame(chain: &[Thrown]) -> Option<&trace::Frame> {
    let in_app = chain.iter().rev().find_map(Thrown::crashing_frame);
    in_app.or_else(|| chain.iter().rev().find_map(|thrown| thrown.frames.first()))
}

/// Application frames kept in a call path.
const CALL_PATH_FRAMES: usize = 8;

/// The call path of an occurrence: the application frames of the chain link that holds the
/// crashing frame, nearest the throw first, as `module.function` joined by ` < `; empty when
/// the trace has no application frames.
pub fn call_path(stacktrace: &str) -> String {
    let chain = trace::parse(stacktrace);
    let link = chain
        .iter()
        .rev()
        .find(|thrown| thrown.crashing_frame().is_some());
    let frames = link
        .map(|thrown| thrown.frames.iter())
        .into_iter()
        .flatten();
    let names: Vec<String> = (frames.filter(|frame| frame.in_app))
        .take(CALL_PATH_FRAMES)
        .map(|frame| format!("{}.{}", frame.module, frame.function))
        .collect();
    names.join(" < ")
}

/// `KeyError` of `builtins.KeyError`, `IllegalStateException` of `java.lang.IllegalStateException`.
fn simple_name(name: &str) -> &str {
    name.rsplit(['.', ':', '\\']).next().unwrap_or(name)
}

/// The first 64 bits of the SHA-256 of the parts, NUL-separated, in hex.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash.update([0]);
        }
        hash.update(part.as_bytes());
    }
    let digest = hex::encode(hash.finalize());
    digest[..FINGERPRINT_HEX].to_string()
}

#[cfg(test)]
mod tests;
