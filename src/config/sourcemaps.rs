//! `sourcemaps:`: where JavaScript source maps come from besides uploads, how large one may be
//! and how much memory the parsed maps may hold (the symbolication step, `crate::sourcemaps`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Source maps for symbolicating minified browser stack frames.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceMapsConfig {
    /// A directory of maps loaded into the database at start, laid out as
    /// `APP/VERSION/PATH.map` for the minified file served at `/PATH` (e.g.
    /// `shop/1.4.2/assets/index-B3k1.js.map`); none by default.
    pub directory: Option<PathBuf>,
    /// Largest map accepted, in bytes (uploads and the directory); a larger upload answers 413.
    pub max_map_bytes: usize,
    /// Memory the parsed maps kept in memory may take, in bytes (least recently used dropped).
    pub cache_bytes: usize,
}

impl Default for SourceMapsConfig {
    fn default() -> Self {
        SourceMapsConfig {
            directory: None,
            max_map_bytes: 50 * 1024 * 1024,
            cache_bytes: 256 * 1024 * 1024,
        }
    }
}

impl SourceMapsConfig {
    /// The first setting that is 0 (none may be), by its key.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_map_bytes == 0 {
            return Err("sourcemaps.max_map_bytes must be above 0".into());
        }
        if self.cache_bytes == 0 {
            return Err("sourcemaps.cache_bytes must be above 0".into());
        }
        Ok(())
    }
}
