//! Why a parameter was refused: the error of the parameter deserializer, which the read API
//! answers as a 400 naming the parameter.

use std::fmt;

use serde::de;

/// Why a parameter was refused: its name (when known) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub parameter: Option<String>,
    pub reason: String,
}

impl ParamError {
    /// A reason about `parameter`.
    pub fn new(parameter: &str, reason: impl Into<String>) -> ParamError {
        ParamError {
            parameter: Some(parameter.to_string()),
            reason: reason.into(),
        }
    }

    /// The error, naming `parameter` unless it already names one.
    pub(super) fn or_named(mut self, parameter: &str) -> ParamError {
        self.parameter.get_or_insert_with(|| parameter.to_string());
        self
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.parameter {
            Some(parameter) => write!(f, "invalid parameter {parameter:?}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for ParamError {}

impl de::Error for ParamError {
    fn custom<T: fmt::Display>(reason: T) -> ParamError {
        ParamError {
            parameter: None,
            reason: reason.to_string(),
        }
    }
}
