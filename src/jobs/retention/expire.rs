//! Expiry of `logs` partitions, one at a time: detach (so that rows written meanwhile go to a
//! new partition, never into one about to go), archive and verify when an archive is
//! configured, drop. An archive that fails puts the partition back and drops nothing.

use super::catalog::{self, Leaf};
use super::run::Run;
use super::{Archived, Dropped, ddl};
use crate::config::RetentionConfig;
use crate::config::retention::LEGACY_CLASS;

/// The days a leaf's rows are kept under `config`: its class's, or the longest class's for a
/// partition of no configured class.
pub(super) fn days_of(config: &RetentionConfig, leaf: &Leaf) -> u32 {
    let class = config.classes.iter().find(|c| c.name == leaf.class);
    match class {
        Some(class) if leaf.class != LEGACY_CLASS => class.days,
        _ => config.longest_class_days(),
    }
}

impl Run<'_> {
    /// The days a leaf's rows are kept: its class's, or the longest class's for a partition
    /// of no configured class (made before retention classes, or of a class since removed).
    fn days_of(&self, leaf: &Leaf) -> u32 {
        days_of(&self.retention.config, leaf)
    }

    pub(super) async fn expire_partitions(&mut self) -> Result<(), sqlx::Error> {
        let catalog = catalog::list(&mut self.connection).await?;
        let mut archive_failing = false;
        for leaf in catalog.leaves {
            if !self.expired(leaf.day, self.days_of(&leaf)) || self.stopping() {
                continue;
            }
            if archive_failing {
                let reason = "not tried: the archive failed earlier in this run".to_string();
                self.report.fail(&leaf.name, "skipped", reason);
                continue;
            }
            archive_failing = !self.expire_leaf(&leaf).await?;
        }
        Ok(())
    }

    /// Detaches, archives and drops one leaf; returns false when its archive failed.
    async fn expire_leaf(&mut self, leaf: &Leaf) -> Result<bool, sqlx::Error> {
        let detached = ddl::detach_leaf(&mut self.connection, leaf, self.report.id).await;
        let Some(detached) = self.settle(&leaf.name, "detach", detached)? else {
            return Ok(true);
        };
        self.archive_and_drop(leaf, &detached).await
    }

    /// Archives (when configured) and drops a detached leaf; returns false when its archive
    /// failed, in which case the leaf is attached again.
    async fn archive_and_drop(&mut self, leaf: &Leaf, detached: &str) -> Result<bool, sqlx::Error> {
        let archived = self.archive(leaf, detached).await?;
        if archived == Some(false) {
            self.restore(leaf, detached).await?;
            return Ok(false);
        }
        let dropped = ddl::drop_table(&mut self.connection, detached).await;
        if self.settle(&leaf.name, "drop", dropped)?.is_some() {
            self.report.dropped.push(Dropped {
                partition: leaf.name.clone(),
                day: leaf.day,
                class: leaf.class.clone(),
                archived: archived == Some(true),
            });
        }
        Ok(true)
    }

    /// Archives a detached leaf and checks that the archive holds every row it has: `None`
    /// when no archive is configured, else whether it succeeded.
    async fn archive(&mut self, leaf: &Leaf, detached: &str) -> Result<Option<bool>, sqlx::Error> {
        let retention = self.retention;
        let Some(archive) = &retention.archive else {
            return Ok(None);
        };
        let pool = &retention.pool;
        let manifest = match archive
            .archive_table(pool, detached, leaf.day, &leaf.class)
            .await
        {
            Ok(manifest) => manifest,
            Err(error) => {
                tracing::warn!(partition = %leaf.name, %error, "retention: archive failed");
                self.report.fail(&leaf.name, "archive", error.to_string());
                return Ok(Some(false));
            }
        };
        let counted = ddl::count_rows(&mut self.connection, detached).await;
        let Some(rows) = self.settle(&leaf.name, "verify", counted)? else {
            return Ok(Some(false));
        };
        if u64::try_from(rows).ok() != Some(manifest.rows) {
            let error = format!(
                "the archive holds {} rows, the partition {rows}",
                manifest.rows
            );
            self.report.fail(&leaf.name, "verify", error);
            return Ok(Some(false));
        }
        self.report.archived.push(Archived {
            partition: leaf.name.clone(),
            day: leaf.day,
            class: leaf.class.clone(),
            rows: manifest.rows,
            file: manifest.file,
        });
        Ok(Some(true))
    }

    /// Attaches a leaf whose archive failed again; when its place is taken, it stays detached
    /// (and marked) for the next run, which says so.
    async fn restore(&mut self, leaf: &Leaf, detached: &str) -> Result<(), sqlx::Error> {
        let attached = ddl::reattach_leaf(&mut self.connection, leaf, detached).await;
        if self.settle(&leaf.name, "reattach", attached)? == Some(false) {
            let reason =
                format!("kept detached as {detached}: its place is taken; the next run retries");
            self.report.fail(&leaf.name, "reattach", reason);
        }
        Ok(())
    }

    pub(super) async fn drop_empty_days(&mut self) -> Result<(), sqlx::Error> {
        let catalog = catalog::list(&mut self.connection).await?;
        let config = &self.retention.config;
        let shortest = config.classes.iter().map(|c| c.days).min().unwrap_or(1);
        for day in catalog.empty_days {
            if !self.expired(day, shortest) || self.stopping() {
                continue;
            }
            let dropped = ddl::drop_empty_day(&mut self.connection, day).await;
            self.settle(&catalog::day_name(day), "drop", dropped)?;
        }
        Ok(())
    }

    /// Finishes interrupted detaches, then archives and drops (or puts back) what an
    /// interrupted run left detached.
    pub(super) async fn recover(&mut self) -> Result<(), sqlx::Error> {
        let catalog = catalog::list(&mut self.connection).await?;
        for pending in catalog.pending {
            let finalized = ddl::finalize_detach(&mut self.connection, &pending).await;
            self.settle(&pending, "finalize", finalized)?;
        }
        for leftover in catalog::leftovers(&mut self.connection).await? {
            let Some(leaf) = leftover.leaf else { continue };
            if self.stopping() {
                return Ok(());
            }
            if leftover.partitioned {
                let dropped =
                    ddl::drop_detached_day(&mut self.connection, &leftover.name, leaf.day).await;
                self.settle(&leftover.name, "drop", dropped)?;
            } else {
                self.archive_and_drop(&leaf, &leftover.name).await?;
            }
        }
        Ok(())
    }
}
