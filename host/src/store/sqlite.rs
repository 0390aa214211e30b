use crate::metrics::PoolUse;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for the hot write paths: SQLite has one writer at a
    /// time, and queueing here is far cheaper than its busy-wait sleeps.
    writer: SqlitePool,
    /// The refresh-token grant's lookups and rotations, run in rounds.
    group_commits: super::rounds::GroupCommits,
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
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.clone())
            .await
            .map_err(|e| anyhow::anyhow!("cannot open SQLite database {url:?}: {e}"))?;
        // The writer never checkpoints the WAL itself (that would stall every
        // queued write behind an fsync); `checkpoint` does it in the background.
        let writer = SqlitePoolOptions::new()
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
impl_sql_legacy!(SqliteStore);
impl_sql_settings!(SqliteStore);
