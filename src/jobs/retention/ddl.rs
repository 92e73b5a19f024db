//! The statements that take partitions out of `logs`, put them back and drop them. Table names
//! are ones the bridge generated (`[a-z0-9_]`), quoted all the same; they are never user input.
//!
//! Locks: a class partition is detached (plain `DETACH`, with its rename, in one transaction)
//! under an `ACCESS EXCLUSIVE` lock of its old day's partition only, which ingest of other days
//! never takes. Partitions of `logs` itself (empty days, days made before retention classes)
//! are detached `CONCURRENTLY`, which never blocks a `COPY` into `logs`. Every wait is bounded
//! by the connection's `lock_timeout`.

use chrono::NaiveDate;
use sqlx::{Acquire as _, PgConnection, Row};

use super::catalog::{self, Leaf, MARK};

/// `"name"`, for a name the bridge generated.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'`.
pub(super) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Runs DDL the bridge built from names it made (quoted with [`quoted`]) and [`literal`]s.
pub(super) async fn execute(connection: &mut PgConnection, sql: String) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(connection)
        .await?;
    Ok(())
}

/// Marks the leaf, detaches it from its day (or from `logs`) and renames it to its expired name,
/// so that a late record for its day and class gets a new partition. Returns the new name.
pub(super) async fn detach_leaf(
    connection: &mut PgConnection,
    leaf: &Leaf,
    run: i64,
) -> Result<String, sqlx::Error> {
    let (table, expired) = (quoted(&leaf.name), leaf.expired_name(run));
    let mark = format!(
        "COMMENT ON TABLE {table} IS {}",
        literal(&catalog::mark(leaf))
    );
    let rename = format!("ALTER TABLE {table} RENAME TO {}", quoted(&expired));
    if leaf.is_legacy() {
        execute(connection, mark).await?;
        let detach = format!("ALTER TABLE logs DETACH PARTITION {table} CONCURRENTLY");
        execute(connection, detach).await?;
        execute(connection, rename).await?;
        return Ok(expired);
    }
    let mut transaction = connection.begin().await?;
    execute(&mut transaction, mark).await?;
    let day = quoted(&leaf.day_name());
    execute(
        &mut transaction,
        format!("ALTER TABLE {day} DETACH PARTITION {table}"),
    )
    .await?;
    execute(&mut transaction, rename).await?;
    transaction.commit().await?;
    Ok(expired)
}

/// Puts a detached leaf back where it was, under its old name; `Ok(false)` when its place is
/// taken (a late record made a new partition for its day and class) or its day is gone, and
/// it stays detached for the next run.
pub(super) async fn reattach_leaf(
    connection: &mut PgConnection,
    leaf: &Leaf,
    detached: &str,
) -> Result<bool, sqlx::Error> {
    let free = sqlx::query(
        "SELECT to_regclass(quote_ident($1)) IS NULL AS free, \
         (SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(quote_ident($2))) AS day_ok",
    )
    .bind(&leaf.name)
    .bind(leaf.day_name())
    .fetch_one(&mut *connection)
    .await?;
    let day_ok = leaf.is_legacy() || free.get::<Option<bool>, _>("day_ok") == Some(true);
    if !free.get::<bool, _>("free") || !day_ok {
        return Ok(false);
    }
    let table = quoted(&leaf.name);
    let attach = if leaf.is_legacy() {
        let (from, to) = bounds(leaf.day);
        format!("ALTER TABLE logs ATTACH PARTITION {table} FOR VALUES FROM ({from}) TO ({to})")
    } else {
        let day = quoted(&leaf.day_name());
        let class = literal(&leaf.class);
        format!("ALTER TABLE {day} ATTACH PARTITION {table} FOR VALUES IN ({class})")
    };
    let mut transaction = connection.begin().await?;
    let rename = format!("ALTER TABLE {} RENAME TO {table}", quoted(detached));
    execute(&mut transaction, rename).await?;
    execute(
        &mut transaction,
        format!("COMMENT ON TABLE {table} IS NULL"),
    )
    .await?;
    execute(&mut transaction, attach).await?;
    transaction.commit().await?;
    Ok(true)
}

/// The range bounds of a day partition, as SQL literals.
pub(super) fn bounds(day: NaiveDate) -> (String, String) {
    let next = day.succ_opt().unwrap_or(day);
    (
        literal(&format!("{day} 00:00:00+00")),
        literal(&format!("{next} 00:00:00+00")),
    )
}

/// Rows in a detached table.
pub(super) async fn count_rows(
    connection: &mut PgConnection,
    table: &str,
) -> Result<i64, sqlx::Error> {
    let sql = format!("SELECT count(*) FROM {}", quoted(table));
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(connection)
        .await
}

/// Drops a detached table.
pub(super) async fn drop_table(
    connection: &mut PgConnection,
    table: &str,
) -> Result<(), sqlx::Error> {
    execute(connection, format!("DROP TABLE {}", quoted(table))).await
}

/// Detaches an empty day partition from `logs` (`CONCURRENTLY`) and drops it. Should a late
/// record have given it a class partition meanwhile, it is attached again instead; returns
/// whether it was dropped.
pub(super) async fn drop_empty_day(
    connection: &mut PgConnection,
    day: NaiveDate,
) -> Result<bool, sqlx::Error> {
    let name = catalog::day_name(day);
    let table = quoted(&name);
    let mark = literal(&format!("{MARK} {day} day"));
    execute(connection, format!("COMMENT ON TABLE {table} IS {mark}")).await?;
    let detach = format!("ALTER TABLE logs DETACH PARTITION {table} CONCURRENTLY");
    execute(connection, detach).await?;
    drop_detached_day(connection, &name, day).await
}

/// Drops a detached day partition unless it has partitions, in which case it goes back into
/// `logs` (if its place is free); returns whether it was dropped.
pub(super) async fn drop_detached_day(
    connection: &mut PgConnection,
    name: &str,
    day: NaiveDate,
) -> Result<bool, sqlx::Error> {
    let table = quoted(name);
    let mut transaction = connection.begin().await?;
    // Once locked, no class partition can be added to it.
    let lock = format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE");
    execute(&mut transaction, lock).await?;
    let children: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass(quote_ident($1))",
    )
    .bind(name)
    .fetch_one(&mut *transaction)
    .await?;
    if children == 0 {
        execute(&mut transaction, format!("DROP TABLE {table}")).await?;
        transaction.commit().await?;
        return Ok(true);
    }
    attach_day(&mut transaction, "logs", &table, day).await?;
    transaction.commit().await?;
    Ok(false)
}

/// Clears the retention mark of a detached day table (`table`, quoted) and attaches it again to
/// `parent` (`logs` or `spans`) for its day.
pub(super) async fn attach_day(
    connection: &mut PgConnection,
    parent: &'static str,
    table: &str,
    day: NaiveDate,
) -> Result<(), sqlx::Error> {
    let (from, to) = bounds(day);
    execute(connection, format!("COMMENT ON TABLE {table} IS NULL")).await?;
    let attach =
        format!("ALTER TABLE {parent} ATTACH PARTITION {table} FOR VALUES FROM ({from}) TO ({to})");
    execute(connection, attach).await
}

/// Completes the interrupted `DETACH ... CONCURRENTLY` of a partition of `logs`.
pub(super) async fn finalize_detach(
    connection: &mut PgConnection,
    table: &str,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "ALTER TABLE logs DETACH PARTITION {} FINALIZE",
        quoted(table)
    );
    execute(connection, sql).await
}
