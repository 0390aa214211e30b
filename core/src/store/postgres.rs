use crate::metrics::PoolUse;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Migrations a newer version applied are left alone (`ignore_missing`):
/// they are additive, so this version keeps serving beside that one during
/// a rolling upgrade.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("../migrations/postgres")
};

pub struct PostgresStore {
    pool: PgPool,
    /// The connections the rounds below run on.
    rounds: PgPool,
    /// The refresh-token grant's lookups and rotations, run in rounds.
    group_commits: super::rounds::GroupCommits,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let cannot = |e| {
            anyhow::anyhow!(
                "cannot connect to PostgreSQL at {}: {e}",
                super::redact_url(url)
            )
        };
        let options = PgConnectOptions::from_str(url).map_err(cannot)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone())
            .await
            .map_err(cannot)?;
        // The refresh rounds get their own connections, whose statements stay
        // prepared (one round trip each) but are planned for every execution:
        // a plan cached while `refresh_tokens` was small would scan the whole
        // table once it has grown (see rounds.rs).
        let rounds = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(
                options
                    .options([("plan_cache_mode", "force_custom_plan")])
                    .statement_cache_capacity(super::rounds::STATEMENT_CACHE),
            )
            .await
            .map_err(cannot)?;
        // Two rotation rounds in flight: one gathers and runs while the other
        // waits for its commit to be flushed.
        let group_commits = super::sql_accounts::group_commits!(rounds.clone(), rounds.clone(), 2);
        Ok(PostgresStore {
            pool,
            rounds,
            group_commits,
        })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    /// A connection from the main pool, the wait for it measured.
    async fn conn(&self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        super::timed_acquire(&self.pool, "main").await
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        super::timed_begin(&self.pool, "main").await
    }

    fn pool_use(&self) -> Vec<PoolUse> {
        vec![
            super::pool_use("main", &self.pool),
            super::pool_use("rounds", &self.rounds),
        ]
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
impl_sql_apps!(PostgresStore);
impl_sql_flows!(PostgresStore);
impl_sql_legacy!(PostgresStore);
impl_sql_settings!(PostgresStore);
impl_sql_admin_tokens!(PostgresStore);
