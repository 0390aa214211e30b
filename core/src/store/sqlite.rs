use crate::metrics::PoolUse;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Migrations a newer version applied are left alone (`ignore_missing`):
/// they are additive, so this version keeps serving beside that one during
/// a rolling upgrade.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("../migrations/sqlite")
};

pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for the hot write paths: SQLite has one writer at a
    /// time, and queueing here is far cheaper than its busy-wait sleeps.
    writer: SqlitePool,
    /// The refresh-token grant's lookups and rotations, run in rounds.
    group_commits: super::rounds::GroupCommits,
}

/// A connection goes back to its pool only outside a transaction. After a
/// failed COMMIT (a full disk, an I/O error) or a failed ROLLBACK, SQLite can
/// keep the transaction open and, with it, the write lock; every later
/// "transaction" on that connection would nest inside it as a savepoint, be
/// acknowledged, and never reach the disk. Such a connection is closed (which
/// rolls back) and the pool opens a fresh one.
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new().after_release(|conn, _| {
        Box::pin(async move {
            // The handle is taken after the worker has run what was queued
            // before, the rollback of a dropped transaction included.
            let mut handle = conn.lock_handle().await?;
            // SAFETY: the locked handle is a live connection the worker
            // thread does not touch until the lock is released.
            let autocommit = unsafe {
                libsqlite3_sys::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) != 0
            };
            if !autocommit {
                tracing::warn!("closing a SQLite connection left inside a failed transaction");
            }
            Ok(autocommit)
        })
    })
}

impl SqliteStore {
    /// Opens (creating if missing) a SQLite database in WAL mode.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| anyhow::anyhow!("invalid SQLite URL {url:?}: {e}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Room for each round size's statement next to the others.
            .statement_cache_capacity(super::rounds::STATEMENT_CACHE);
        let pool = pool_options()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.clone())
            .await
            .map_err(|e| anyhow::anyhow!("cannot open SQLite database {url:?}: {e}"))?;
        // The writer never checkpoints the WAL itself (that would stall every
        // queued write behind an fsync); `checkpoint` does it in the background.
        let writer = pool_options()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.pragma("wal_autocheckpoint", "0"))
            .await
            .map_err(|e| anyhow::anyhow!("cannot open SQLite database {url:?}: {e}"))?;
        // One writer connection: a second rotation round would only queue for it.
        let group_commits = super::sql_accounts::group_commits!(pool.clone(), writer.clone(), 1);
        Ok(SqliteStore {
            pool,
            writer,
            group_commits,
        })
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// A connection from the main pool, the wait for it measured.
    async fn conn(&self) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        super::timed_acquire(&self.pool, "main").await
    }

    async fn begin(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        super::timed_begin(&self.pool, "main").await
    }

    fn pool_use(&self) -> Vec<PoolUse> {
        vec![
            super::pool_use("main", &self.pool),
            super::pool_use("writer", &self.writer),
        ]
    }

    /// Copies the WAL back into the database without blocking writers.
    async fn checkpoint_wal(&self) -> Result<(), sqlx::Error> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }
}

impl_sql_store!(SqliteStore, claim_lock = "");
impl_sql_accounts!(SqliteStore);
impl_sql_apps!(SqliteStore);
impl_sql_flows!(SqliteStore);
impl_sql_legacy!(SqliteStore);
impl_sql_settings!(SqliteStore);
impl_sql_admin_tokens!(SqliteStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_left_inside_a_transaction_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let opts =
            SqliteConnectOptions::from_str(&format!("sqlite://{}/t.db", dir.path().display()))
                .unwrap()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal);
        let pool = pool_options()
            .max_connections(1)
            .connect_with(opts.clone())
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        {
            // As a COMMIT that failed and a ROLLBACK that failed would leave it.
            let mut conn = pool.acquire().await.unwrap();
            sqlx::raw_sql("BEGIN; INSERT INTO t VALUES (1)")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // What was acknowledged is on disk for everyone; the stray one is not.
        let other = SqlitePoolOptions::new().connect_with(opts).await.unwrap();
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT x FROM t")
            .fetch_all(&other)
            .await
            .unwrap();
        assert_eq!(rows, vec![(2,)]);
    }
}
