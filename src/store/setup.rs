//! Opening the database: `serve` and `migrate` create it when missing, apply the embedded
//! migrations and map exception groups of older fingerprint versions onto the current one
//! ([`migrate`]); every other command opens an existing one ([`open`]) and fails naming it, so
//! that a command run without serve's configuration does not quietly make a new empty
//! database. Every error names the database URL without its password.

use std::time::Duration;

use anyhow::Context as _;
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use super::{regroup, substring_index};
use crate::config::Config;
use crate::pipeline::grouping::Rules;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// What preparing the database did.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Whether the database was created.
    pub created: bool,
    /// The migrations applied by this run, as `version description`.
    pub applied: Vec<String>,
    /// Migrations the database has in all.
    pub total: usize,
    /// What following `storage.substring_index` did, if anything.
    pub substring_index: Option<substring_index::Change>,
}

/// Creates the database if missing, applies the embedded migrations and maps exception groups
/// of older fingerprint versions onto the current one ([`regroup`]).
pub async fn migrate(config: &Config) -> anyhow::Result<PgPool> {
    let (pool, _) = migrate_schema(config).await?;
    regroup_old_versions(&pool, config).await?;
    Ok(pool)
}

/// [`migrate`], then the optional indexes made to follow the configuration (only `serve` and
/// `migrate` do that: another command run without serve's configuration must not drop them),
/// answering what it did.
pub async fn migrate_reporting(config: &Config) -> anyhow::Result<(PgPool, Prepared)> {
    let (pool, mut prepared) = migrate_schema(config).await?;
    regroup_old_versions(&pool, config).await?;
    let wanted = config.storage.substring_index;
    prepared.substring_index = substring_index::follow(&pool, wanted)
        .await
        .context("following storage.substring_index (the trigram index needs pg_trgm)")?;
    Ok((pool, prepared))
}

/// Maps exception groups of older fingerprint versions onto the current one.
async fn regroup_old_versions(pool: &PgPool, config: &Config) -> anyhow::Result<()> {
    let rules = Rules::from_config(&config.grouping).map_err(anyhow::Error::msg)?;
    let regrouped = regroup::regroup(pool, &rules).await?;
    if regrouped.old_groups > 0 {
        tracing::info!(
            old_groups = regrouped.old_groups,
            new_groups = regrouped.new_groups,
            "exception groups mapped onto the current fingerprint version"
        );
    }
    Ok(())
}

/// Creates the database if missing and applies the embedded migrations, answering what it did.
async fn migrate_schema(config: &Config) -> anyhow::Result<(PgPool, Prepared)> {
    let target = config.database.url.url_without_password();
    let url = config.database.url.expose();
    let exists = Postgres::database_exists(url)
        .await
        .with_context(|| format!("cannot reach the database {target}"))?;
    let mut prepared = Prepared::default();
    if !exists {
        tracing::info!(database = %target, "creating the database");
        if let Err(error) = Postgres::create_database(url).await {
            // Another process may have created it meanwhile.
            if !Postgres::database_exists(url).await? {
                return Err(error).with_context(|| format!("cannot create the database {target}"));
            }
        }
        prepared.created = true;
    }
    let pool = connect(config).await?;
    let before = applied_versions(&pool).await?;
    MIGRATOR
        .run(&pool)
        .await
        .with_context(|| format!("migrating the database {target}"))?;
    let after = applied_versions(&pool).await?;
    prepared.applied = MIGRATOR
        .iter()
        .filter(|m| after.contains(&m.version) && !before.contains(&m.version))
        .map(|m| format!("{} {}", m.version, m.description))
        .collect();
    prepared.total = after.len();
    Ok((pool, prepared))
}

/// Opens an existing database and brings its schema up to date ([`migrate`]); a missing
/// database is an error that names it and says which commands create one.
pub async fn open(config: &Config) -> anyhow::Result<PgPool> {
    ensure_exists(config).await?;
    migrate(config).await
}

/// [`open`] without mapping older exception groups: for `exceptions regroup`, which does that
/// itself and reports it.
pub async fn open_schema(config: &Config) -> anyhow::Result<PgPool> {
    ensure_exists(config).await?;
    Ok(migrate_schema(config).await?.0)
}

/// Fails, naming the database and the commands that create one, when it does not exist.
async fn ensure_exists(config: &Config) -> anyhow::Result<()> {
    let target = config.database.url.url_without_password();
    let exists = Postgres::database_exists(config.database.url.expose())
        .await
        .with_context(|| format!("cannot reach the database {target}"))?;
    if !exists {
        anyhow::bail!(
            "the database {target} does not exist; only `logbridge serve` and `logbridge migrate` create one: give this command the --config or DATABASE_URL that serve uses"
        );
    }
    Ok(())
}

async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    let target = config.database.url.url_without_password();
    let options: PgConnectOptions = config
        .database
        .url
        .expose()
        .parse()
        .with_context(|| format!("invalid database URL {target}"))?;
    PgPoolOptions::new()
        .max_connections(config.database.max_connections)
        .acquire_timeout(Duration::from_secs(config.database.connect_timeout_seconds))
        .connect_with(options.application_name("logbridge"))
        .await
        .with_context(|| format!("cannot connect to the database {target}"))
}

/// The versions recorded as applied; none before the first migration.
async fn applied_versions(pool: &PgPool) -> anyhow::Result<Vec<i64>> {
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(pool)
        .await?;
    if table.is_none() {
        return Ok(Vec::new());
    }
    let versions = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await?;
    Ok(versions)
}
