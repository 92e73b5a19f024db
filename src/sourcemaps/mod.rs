//! JavaScript source maps: uploaded (`POST /api/v1/sourcemaps`, [`http`]) or loaded from a
//! directory at start ([`directory`]) into table `sourcemaps`, and used by the Faro receiver
//! and the OTLP receivers (JavaScript stacks in `exception.stacktrace`, [`stack`]) to
//! symbolicate minified stack frames before the pipeline groups them. Parsed maps are kept
//! in memory within a byte budget ([`cache`]); a miss is loaded from the database and parsed on
//! a blocking thread, one load at a time, so that other requests never wait for it.

mod apps;
mod cache;
pub mod directory;
pub mod http;
pub mod lookup;
mod original;
pub mod parse;
pub mod stack;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::Semaphore;

use crate::config::SourceMapsConfig;
use crate::metrics::SourceMapMetrics;
use crate::store::sourcemaps::{self as table, MapKey, SourceMapRow};
pub use apps::{AppMaps, Wanted};
use cache::{Cached, Key, MapCache};
pub use original::Original;
pub use parse::{InvalidMap, ParsedMap};

/// Distinct frame files of one request looked up, at most; the others are left as sent.
pub const MAX_FILES_PER_REQUEST: usize = 64;
/// How long "no map is stored at all" is believed before it is asked again.
const ANY_TTL: Duration = Duration::from_secs(10);

/// The maps of the bridge; cheap to clone.
#[derive(Clone)]
pub struct SourceMaps {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    cache: Mutex<MapCache>,
    /// One load (query and parse) at a time: a burst of misses holds one parsed map at once.
    loads: Semaphore,
    /// Whether some map is stored, and when that was learnt.
    any: Mutex<Option<(bool, Instant)>>,
    config: SourceMapsConfig,
    metrics: Arc<SourceMapMetrics>,
}

/// The maps one request's frames use, by frame file URL.
#[derive(Default, Clone)]
pub struct Resolved {
    maps: HashMap<String, Arc<ParsedMap>>,
}

impl Resolved {
    /// No maps: every frame stays as sent.
    pub fn none() -> Resolved {
        Resolved::default()
    }

    /// These maps and `map` for the frames of file `url` (the benches' cached maps).
    pub fn with(mut self, url: &str, map: Arc<ParsedMap>) -> Resolved {
        self.maps.insert(url.to_string(), map);
        self
    }

    /// The original of a frame of file `url` at 1-based `line` and `column`, if mapped.
    pub fn original(&self, url: &str, line: u64, column: u64) -> Option<Original> {
        self.maps.get(url)?.original(line, column)
    }

    /// Whether no frame file has a map.
    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }
}

impl SourceMaps {
    /// The maps of `pool`'s database under `config`'s bounds, the cache counted in `metrics`.
    pub fn new(
        pool: PgPool,
        config: &SourceMapsConfig,
        metrics: Arc<SourceMapMetrics>,
    ) -> SourceMaps {
        let inner = Inner {
            pool,
            cache: Mutex::new(MapCache::new(config.cache_bytes)),
            loads: Semaphore::new(1),
            any: Mutex::new(None),
            config: config.clone(),
            metrics,
        };
        SourceMaps {
            inner: Arc::new(inner),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SourceMapsConfig {
        &self.inner.config
    }

    /// Whether any map may be stored (asked at most every ten seconds); false lets receivers
    /// skip looking for frames.
    pub async fn any(&self) -> bool {
        let known = *self.inner.any.lock().expect("maps flag lock");
        if let Some((any, _)) = known.filter(|(_, at)| at.elapsed() < ANY_TTL) {
            return any;
        }
        let any = table::any(&self.inner.pool).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "source maps: cannot tell whether any is stored");
            false
        });
        *self.inner.any.lock().expect("maps flag lock") = Some((any, Instant::now()));
        any
    }

    /// The maps of the frame files `urls` of `app` at `version`: cached ones at once, the
    /// others loaded from the database. A database failure leaves those frames as sent.
    pub async fn resolve(&self, app: &str, version: &str, urls: &[String]) -> Resolved {
        let mut wanted: Vec<(&String, Vec<Key>)> = Vec::new();
        for url in urls.iter().take(MAX_FILES_PER_REQUEST) {
            let keys = lookup::candidates(url).into_iter();
            let keys = keys.map(|file| (app.to_string(), version.to_string(), file));
            wanted.push((url, keys.collect()));
        }
        let (resolved, unknown) = self.cached(&wanted);
        let metrics = &self.inner.metrics;
        metrics.observe_lookups(wanted.len() - unknown, unknown);
        if unknown == 0 || self.load_missing(app, version, &wanted).await.is_err() {
            return resolved;
        }
        self.cached(&wanted).0
    }

    /// What the cache resolves now, and how many files need a name looked up first.
    fn cached(&self, wanted: &[(&String, Vec<Key>)]) -> (Resolved, usize) {
        let mut cache = self.inner.cache.lock().expect("maps cache lock");
        let (mut resolved, mut unknown) = (Resolved::none(), 0);
        for (url, keys) in wanted {
            for key in keys {
                match cache.get(key) {
                    Cached::Map(map) => {
                        resolved.maps.insert((*url).clone(), map);
                        break;
                    }
                    Cached::Missing => continue,
                    // A more specific name not known yet: wait for the load.
                    Cached::Unknown => {
                        unknown += 1;
                        break;
                    }
                }
            }
        }
        (resolved, unknown)
    }

    /// Loads the keys the cache knows nothing of, one load at a time.
    async fn load_missing(
        &self,
        app: &str,
        version: &str,
        wanted: &[(&String, Vec<Key>)],
    ) -> Result<(), ()> {
        let _permit = self.inner.loads.acquire().await.map_err(drop)?;
        let unknown: Vec<String> = {
            let mut cache = self.inner.cache.lock().expect("maps cache lock");
            let keys = wanted.iter().flat_map(|(_, keys)| keys);
            let unknown = keys.filter(|key| matches!(cache.get(key), Cached::Unknown));
            let mut files: Vec<String> = unknown.map(|(_, _, file)| file.clone()).collect();
            files.sort();
            files.dedup();
            files
        };
        if unknown.is_empty() {
            return Ok(());
        }
        let rows = table::load(&self.inner.pool, app, version, &unknown).await;
        let rows = rows.map_err(|error| {
            tracing::warn!(%error, app, version, "source maps: load failed; frames left as sent");
        })?;
        let found: Vec<String> = rows.iter().map(|(file, _)| file.clone()).collect();
        for (file, bytes) in rows {
            let key = (app.to_string(), version.to_string(), file);
            self.parse_into_cache(key, bytes).await;
        }
        let mut cache = self.inner.cache.lock().expect("maps cache lock");
        for file in unknown.into_iter().filter(|file| !found.contains(file)) {
            cache.insert_missing((app.to_string(), version.to_string(), file));
        }
        Ok(())
    }

    /// Parses a stored map on a blocking thread and keeps it (or remembers it as missing).
    async fn parse_into_cache(&self, key: Key, bytes: Vec<u8>) {
        let parsed = tokio::task::spawn_blocking(move || parse::parse(&bytes)).await;
        let mut cache = self.inner.cache.lock().expect("maps cache lock");
        match parsed {
            Ok(Ok(map)) => {
                let evicted = cache.insert(key, Arc::new(map));
                self.inner.metrics.observe_evictions(evicted);
                self.publish_size(&cache);
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, file = key.2, "source maps: a stored map does not parse");
                cache.insert_missing(key);
            }
            Err(error) => {
                tracing::warn!(%error, "source maps: parsing stopped");
                cache.insert_missing(key);
            }
        }
    }

    /// Checks and stores a map of `app`'s `version` for minified file `file` (else the map's
    /// own `file`), replacing the one stored for that file; gives its row.
    pub async fn store(
        &self,
        app: &str,
        version: &str,
        file: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<SourceMapRow, StoreMapError> {
        let (parsed, bytes) = tokio::task::spawn_blocking(move || (parse::parse(&bytes), bytes))
            .await
            .map_err(|_| StoreMapError::Interrupted)?;
        let parsed = parsed.map_err(StoreMapError::Invalid)?;
        let named = file.or(parsed.map.get_file());
        let file = named
            .and_then(lookup::stored_name)
            .ok_or(StoreMapError::NoFile)?;
        let key = MapKey {
            app,
            version,
            file: &file,
        };
        let row = table::upsert(&self.inner.pool, key, &bytes).await?;
        self.forget(app, version, &file);
        *self.inner.any.lock().expect("maps flag lock") = Some((true, Instant::now()));
        Ok(row)
    }

    /// Drops a map from the cache after it changed in the database.
    pub fn forget(&self, app: &str, version: &str, file: &str) {
        let key = (app.to_string(), version.to_string(), file.to_string());
        let mut cache = self.inner.cache.lock().expect("maps cache lock");
        cache.remove(&key);
        self.publish_size(&cache);
    }

    /// Sets the size gauges to what `cache` holds.
    fn publish_size(&self, cache: &MapCache) {
        (self.inner.metrics).set_size(cache.map_count(), cache.bytes());
    }

    /// The database pool, for listing and deleting.
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }
}

/// Why a map was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreMapError {
    #[error(transparent)]
    Invalid(InvalidMap),
    #[error(
        "the minified file is not named: give ?file=/path/of/bundle.js (its URL path or base \
         name) or a `file` in the map"
    )]
    NoFile,
    #[error("the map could not be checked")]
    Interrupted,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}
