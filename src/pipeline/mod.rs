//! The pure per-record pipeline, between decoding and storage. The ingest path first bounds
//! each record ([`limits`]), then calls [`Pipeline::process`], which runs the enrich step (HTTP
//! request, database query, exception and user from the attributes), exception grouping and
//! the retention class ([`retention`]) and the dedup key ([`dedup`]).
//! Also home to what decoders share: field lookup through aliases ([`fields`]) and level
//! normalization ([`levels`]).

pub mod dedup;
pub mod enrich;
pub mod exception;
pub mod fields;
pub mod grouping;
pub mod levels;
pub mod limits;
pub mod retention;
pub mod route;
pub mod sql;

use crate::config::{Config, ConfigError, FieldAliases};
use crate::model::LogRecord;
use retention::RetentionClasses;

/// The configured steps, built once from the configuration and shared by every request.
#[derive(Debug, Clone)]
pub struct Pipeline {
    aliases: FieldAliases,
    retention: RetentionClasses,
    dedup: dedup::Dedup,
}

impl Pipeline {
    /// Builds the steps; a setting that cannot be used (an invalid pattern) is an error naming it.
    pub fn from_config(config: &Config) -> Result<Pipeline, ConfigError> {
        Ok(Pipeline {
            aliases: config.fields.clone(),
            retention: RetentionClasses::new(&config.retention),
            dedup: dedup::Dedup::from_config(&config.dedup),
        })
    }

    /// Runs every step on one record, in order; the single entry point of the ingest path.
    pub fn process(&self, record: &mut LogRecord) {
        enrich::enrich(record, &self.aliases);
        grouping::assign(record);
        let class = self.retention.classify(record, &self.aliases.category);
        record.retention_class = Some(class.clone());
        record.dedup_key = self.dedup.key(record);
    }

    /// The alias table, which the JSON decoder reads too.
    pub fn aliases(&self) -> &FieldAliases {
        &self.aliases
    }
}
