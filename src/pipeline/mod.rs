//! The pure per-record pipeline, between decoding and storage. The ingest path first bounds
//! each record ([`limits`]), then calls [`Pipeline::process`], which replaces the text
//! PostgreSQL cannot store ([`sanitize`]), drops page URLs' queries ([`url_query`]), redacts
//! secrets and personal data ([`redact`]), then
//! runs the enrich step (HTTP request, database query, exception and
//! user from the attributes), exception grouping, the retention class ([`retention`]) and the
//! dedup key ([`dedup`]); the [`policy`] then decides what is stored. Spans take [`Pipeline::process_span`]: the same redaction, then
//! their own enrich step ([`promote`], [`span_signals`]).
//! Also home to what decoders share: field lookup through aliases ([`fields`]) and level
//! normalization ([`levels`]).

pub mod dedup;
pub mod enrich;
pub mod exception;
pub mod fields;
pub mod grouping;
pub mod levels;
pub mod limits;
pub mod policy;
pub mod promote;
pub mod redact;
pub mod retention;
pub mod route;
pub mod sanitize;
pub mod span_signals;
pub mod sql;
pub mod url_query;

use crate::config::{Config, ConfigError, FieldAliases};
use crate::model::{LogRecord, SpanRecord};
use redact::{Redactions, Redactor};
use retention::RetentionClasses;
use url_query::UrlQueries;

/// The configured steps, built once from the configuration and shared by every request.
#[derive(Debug, Clone)]
pub struct Pipeline {
    aliases: FieldAliases,
    retention: RetentionClasses,
    dedup: dedup::Dedup,
    redactor: Redactor,
    grouping: grouping::Rules,
    url_queries: UrlQueries,
    policy: policy::Policy,
}

impl Pipeline {
    /// Builds the steps; a setting that cannot be used (an invalid pattern) is an error naming it.
    pub fn from_config(config: &Config) -> Result<Pipeline, ConfigError> {
        let invalid = |error: &dyn std::fmt::Display| ConfigError::Invalid {
            origin: "configuration".to_string(),
            message: error.to_string(),
        };
        let redactor = Redactor::from_config(&config.redaction).map_err(|error| invalid(&error))?;
        let retention =
            RetentionClasses::from_config(&config.retention).map_err(|error| invalid(&error))?;
        Ok(Pipeline {
            aliases: config.fields.clone(),
            retention,
            dedup: dedup::Dedup::from_config(&config.dedup).map_err(|error| invalid(&error))?,
            redactor,
            grouping: grouping::Rules::from_config(&config.grouping).map_err(|e| invalid(&e))?,
            url_queries: UrlQueries::from_config(&config.redaction),
            policy: policy::Policy::from_config(&config.policy, &config.fields, &config.metrics)
                .map_err(|e| invalid(&e))?,
        })
    }

    /// Runs every step on one record, in order; the single entry point of the ingest path.
    /// `redactions` tallies one batch (see [`Pipeline::redactions`]).
    pub fn process(&self, record: &mut LogRecord, redactions: &mut Redactions) {
        sanitize::record(record, &mut redactions.sanitized);
        self.url_queries.strip(&mut record.attributes);
        self.redactor.redact(record, redactions);
        enrich::enrich(record, &self.aliases);
        grouping::assign_with(record, &self.grouping);
        let class = self.retention.classify(record, &self.aliases.category);
        record.retention_class = Some(class.clone());
        record.dedup_key = self.dedup.key(record);
    }

    /// Runs the steps that apply to spans, in the records' order: redaction, then the span's
    /// enrich step ([`promote`], then [`span_signals`]: its request, query and exceptions). `redactions` tallies one batch, records and spans alike.
    pub fn process_span(&self, span: &mut SpanRecord, redactions: &mut Redactions) {
        self.url_queries.strip(&mut span.attributes);
        self.redactor.redact_span(span, redactions);
        promote::promote(span);
        span_signals::assign(span, &self.aliases, &self.grouping);
    }

    /// An empty tally of redactions for one batch of records (one request).
    pub fn redactions(&self) -> Redactions<'_> {
        self.redactor.batch()
    }

    /// The names of the redaction rules, the `rule` label values of `logbridge_redactions_total`.
    pub fn redaction_rules(&self) -> &[String] {
        self.redactor.rule_names()
    }

    /// The compiled `grouping.rules`, which `logbridge exceptions regroup` applies too.
    pub fn grouping_rules(&self) -> &grouping::Rules {
        &self.grouping
    }

    /// Levels, sampling and quota limits: what ingest stores of what it receives.
    pub fn policy(&self) -> &policy::Policy {
        &self.policy
    }

    /// The alias table, which the JSON decoder reads too.
    pub fn aliases(&self) -> &FieldAliases {
        &self.aliases
    }
}
