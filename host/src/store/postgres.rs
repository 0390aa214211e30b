use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

pub struct PostgresStore {
    pool: PgPool,
    /// The refresh-token grant's lookups and rotations, run in rounds.
    refresh_rounds: super::rounds::RefreshRounds,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot connect to PostgreSQL at {}: {e}",
                    super::redact_url(url)
                )
            })?;
        // Two rotation rounds in flight: one gathers and runs while the other
        // waits for its commit to be flushed.
        // Two rotation rounds in flight: one gathers and runs while the other
        // waits for its commit to be flushed.
        let refresh_rounds = super::sql_accounts::refresh_rounds!(pool.clone(), pool.clone(), 2);
        Ok(PostgresStore {
            pool,
            refresh_rounds,
        })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn checkpoint_wal(&self) -> Result<(), sqlx::Error> {
        Ok(())
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }
}

impl_sql_store!(PostgresStore, claim_lock = "FOR UPDATE SKIP LOCKED");
impl_sql_accounts!(PostgresStore);
