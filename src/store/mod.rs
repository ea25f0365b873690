//! SQLite storage: one [`Store`] owns the connection, configures it once and runs
//! the numbered migrations in `migrations/` on open.
//!
//! rusqlite is blocking, so every call runs on Tokio's blocking pool and never stalls
//! the async runtime. WAL lets the desktop app and the CLI use one file at once;
//! `synchronous = FULL` because an acknowledgement must survive a power cut, and
//! the write rate (a few rows a minute) makes the fsync cost irrelevant.

mod attention;
mod checks;
mod deliveries;
mod incidents;
mod metrics;
mod time;

pub use attention::Snooze;
pub use deliveries::{Attempt, ChannelRecord, NewDelivery, PendingDelivery};
pub use incidents::{IncidentQuery, NewIncident, VolumeChange};
pub use metrics::{Cursor, StoredBucket};

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Migrations in order; a database at `user_version = n` has the first n applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_volume.sql"),
    include_str!("migrations/0003_impact.sql"),
    include_str!("migrations/0004_implied.sql"),
    include_str!("migrations/0005_deliveries.sql"),
    include_str!("migrations/0006_notification_state.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {} was written by a newer Flatline (schema {found}, this one knows {known})", path.display())]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("no incident with id {0}")]
    NoSuchIncident(i64),
    #[error("the storage worker stopped unexpectedly")]
    WorkerGone,
}

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Open (creating if needed) the database file and bring its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let path = path.to_owned();
        let conn = tokio::task::spawn_blocking(move || open_blocking(&path))
            .await
            .map_err(|_| StoreError::WorkerGone)??;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Run `f` with the connection on the blocking pool.
    async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite half-written (every
            // write is a transaction), so a poisoned lock is safe to keep using.
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|_| StoreError::WorkerGone)?
    }

    /// Changes whenever *another* connection (the CLI, the other app) commits, so a
    /// long-running process can notice an acknowledgement made elsewhere.
    pub async fn data_version(&self) -> Result<i64, StoreError> {
        self.call(|c| Ok(c.query_row("PRAGMA data_version", [], |r| r.get(0))?))
            .await
    }
}

fn open_blocking(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    let wrap = |source| StoreError::Open {
        path: path.to_owned(),
        source,
    };
    let mut conn = Connection::open(path).map_err(wrap)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(wrap)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(wrap)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(wrap)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(wrap)?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    // IMMEDIATE takes the write lock before reading the version, so two processes
    // opening a new file at once cannot both apply the same migration.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: version,
            known: MIGRATIONS.len(),
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tracing::info!(migration = i + 1, "applying database migration");
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_sets_up_wal_and_schema_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/flatline.db");
        let store = Store::open(&path).await.unwrap();
        let (mode, fk, version): (String, i64, usize) = store
            .call(|c| {
                Ok((
                    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                    c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
                    c.query_row("PRAGMA user_version", [], |r| r.get(0))?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(fk, 1);
        assert_eq!(version, MIGRATIONS.len());
        drop(store);
        // Re-opening applies nothing twice.
        Store::open(&path).await.unwrap();
    }

    #[tokio::test]
    async fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flatline.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = Store::open(&path).await.err().expect("must refuse");
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    }

    #[tokio::test]
    async fn another_connection_changes_data_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flatline.db");
        let a = Store::open(&path).await.unwrap();
        let b = Store::open(&path).await.unwrap();
        let before = a.data_version().await.unwrap();
        b.call(|c| Ok(c.execute("INSERT INTO checks (monitor_id, checked_at, health, latency_ms) VALUES ('x', '2026-01-01T00:00:00.000Z', 'operational', 1)", [])?))
            .await
            .unwrap();
        assert_ne!(a.data_version().await.unwrap(), before);
    }
}
