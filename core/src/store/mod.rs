//! Persistence behind one trait, with a SQLite and a PostgreSQL implementation
//! chosen from the database URL at start. This is the only code that writes SQL.

#[macro_use]
mod sql;
#[macro_use]
mod sql_accounts;
#[macro_use]
mod sql_apps;
#[macro_use]
mod sql_flows;
#[macro_use]
mod sql_legacy;
#[macro_use]
mod sql_settings;
#[macro_use]
mod sql_admin_tokens;
mod accounts;
mod admin_tokens;
mod apps;
mod flows;
pub mod health;
mod legacy;
mod postgres;
mod rounds;
mod rows;
mod settings;
mod sqlite;

pub use accounts::{
    Accounts, AuthorizationCode, ConsentRecord, PasswordReset, PersonalAccessToken, Redemption,
    RefreshToken, Session,
};
pub use admin_tokens::{AdminTokenRecord, AdminTokens};
pub use apps::{
    AppVersion, Apps, HourlyRow, InstallationChange, NewInstallation, Resource, UsageRow,
    WebhookKey,
};
pub use flows::{DeviceCode, Flows, PushedRequest};
pub use legacy::{Brownout, Exemption, Legacy, LegacyClient, LegacyPolicy, LegacyUse};
pub use settings::{Decision, InstallRequestRecord, Settings};

use crate::domain::{Client, Tenant};
use async_trait::async_trait;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// Another change to the same thing was saved first; read it again.
    #[error("the {0} was changed by another request at the same time; read it again and retry")]
    Concurrent(&'static str),
    /// A service account or client belongs to its installation.
    #[error("{0} is managed by an app installation and cannot be changed by hand")]
    Managed(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Backend(sqlx::Error),
    /// One failed write answered for several requests (a rotation round).
    #[error("database error: {0}")]
    Shared(Arc<sqlx::Error>),
    #[error("the store is shutting down")]
    Stopped,
    #[error("the database did not answer in time")]
    TimedOut,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        health::note(&e);
        StoreError::Backend(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Backend(sqlx::Error::Migrate(Box::new(e)))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A signing key as stored: the private half encrypted under the master key.
#[derive(Clone, sqlx::FromRow)]
pub struct StoredKey {
    pub kid: String,
    pub tenant: String,
    pub alg: String,
    pub private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub publish_until: Option<i64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("tenant", &self.tenant)
            .field("alg", &self.alg)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// A registered plugin version. The wasm itself is stored once per sha256.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct PluginRecord {
    pub name: String,
    pub version: i64,
    pub sha256: String,
    pub hook: String,
    pub created_at: i64,
    /// The `warden:plugin@…` package it was built against.
    pub wit: String,
}

/// The tenant name of platform-wide default bindings: they apply to every
/// tenant without a binding of its own for the hook.
pub const PLATFORM: &str = "*";

/// A plugin bound to one of a tenant's hooks (or, for `PLATFORM`, the default).
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct Binding {
    pub tenant: String,
    pub hook: String,
    pub plugin_name: String,
    pub plugin_version: i64,
    /// JSON passed to every call.
    pub config: String,
    pub deadline_ms: Option<i64>,
    pub memory_mib: Option<i64>,
    pub created_at: i64,
}

/// One HTTP delivery in the outbox. `request` (headers and body, which may
/// carry a client secret) is sealed under the master key and dropped once the
/// delivery is finished.
#[derive(Clone, sqlx::FromRow, serde::Serialize)]
pub struct Delivery {
    /// Also the `Idempotency-Key` the receiver sees.
    pub id: String,
    pub event_id: String,
    /// `credentials.created`, `credentials.rotated` or `credentials.revoked`.
    pub event: String,
    pub tenant: String,
    pub client_id: String,
    pub url: String,
    #[serde(skip)]
    pub request: Option<Vec<u8>>,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// Set for an app's lifecycle event: signed with the app's Standard
    /// Webhooks secret instead of the tenant's `Warden-Signature` secret.
    pub app: Option<String>,
    /// An installation's events go out in `sequence` order.
    pub installation_id: Option<String>,
    pub sequence: Option<i64>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("id", &self.id)
            .field("event", &self.event)
            .field("tenant", &self.tenant)
            .field("url", &self.url)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// A tenant's delivery signing secrets, sealed under the master key: the
/// current one and, during a rotation's overlap, the one it replaced.
#[derive(Clone, sqlx::FromRow)]
pub struct DeliverySecrets {
    #[sqlx(rename = "secret")]
    pub current: Vec<u8>,
    #[sqlx(rename = "previous_secret")]
    pub previous: Option<Vec<u8>>,
    pub previous_expires_at: Option<i64>,
}

impl DeliverySecrets {
    /// The sealed secrets that sign a delivery sent at `now`, current first.
    pub fn signing(&self, now: i64) -> Vec<&[u8]> {
        let mut secrets = vec![self.current.as_slice()];
        if let (Some(previous), Some(until)) = (&self.previous, self.previous_expires_at)
            && now < until
        {
            secrets.push(previous);
        }
        secrets
    }
}

impl std::fmt::Debug for DeliverySecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverySecrets")
            .field("previous_expires_at", &self.previous_expires_at)
            .finish_non_exhaustive()
    }
}

/// How a delivery attempt ended.
#[derive(Debug)]
pub enum DeliveryOutcome {
    Delivered {
        at: i64,
    },
    /// Try again at `next_attempt_ms`.
    Retry {
        next_attempt_ms: i64,
        error: String,
    },
    /// Out of attempts: kept for inspection and manual retry, with an audit record.
    Dead {
        at: i64,
        error: String,
        audit: AuditEvent,
    },
}

/// Where a list starts and how many rows it reads, in the list's stable
/// order: `after` is the sort key of the row before (keyset paging, so a
/// page stays right while rows are added).
#[derive(Clone, Debug)]
pub struct Page<K> {
    pub after: Option<K>,
    pub limit: i64,
}

impl<K> Page<K> {
    /// The whole list.
    pub const fn all() -> Self {
        Page {
            after: None,
            limit: i64::MAX,
        }
    }

    pub const fn first(limit: i64) -> Self {
        Page { after: None, limit }
    }
}

impl Page<String> {
    /// The key to read after: before every stored one when none is given.
    pub fn after_key(&self) -> &str {
        self.after.as_deref().unwrap_or("")
    }
}

impl Page<(i64, String)> {
    /// The (time, id) key to read after (ascending) or before (descending):
    /// `start` when none is given.
    pub fn pair(&self, start: i64) -> (i64, &str) {
        match &self.after {
            Some((at, id)) => (*at, id.as_str()),
            None => (start, ""),
        }
    }
}

/// An audit event with its place in the trail (newest is highest).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    #[sqlx(flatten)]
    pub event: AuditEvent,
}

/// Something an operator or tenant admin may need to look back on.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct AuditEvent {
    pub tenant: String,
    /// e.g. `delivery.dead_lettered`, `delivery.plugin_failed`.
    pub action: String,
    /// A JSON object, never holding a secret.
    pub detail: String,
    pub created_at: i64,
}

impl AuditEvent {
    /// A record of `tenant`'s trail (`PLATFORM` for the platform's).
    pub fn new(tenant: &str, action: &str, detail: serde_json::Value, now: i64) -> AuditEvent {
        AuditEvent {
            tenant: tenant.into(),
            action: action.into(),
            detail: detail.to_string(),
            created_at: now,
        }
    }
}

/// A binding joined with the plugin's content hash.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BoundPluginRow {
    #[sqlx(flatten)]
    pub binding: Binding,
    pub sha256: String,
}

/// How many changes the log keeps; a replica further behind drops its whole view.
pub const KEPT_CHANGES: i64 = 10_000;
/// How many changes one refresh reads; more at once drops the whole view.
pub const MAX_CHANGES_READ: i64 = 1_000;

/// What a committed change touched, logged with its generation so each
/// replica drops only the cached entries it affects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The tenant, its signing keys or its own bindings.
    Tenant(String),
    Client(String),
    Installation(String),
    /// An app's registration or its newest version.
    App(String),
    /// The legacy sunset: policy, marked clients, exemptions.
    Legacy,
    /// Something every tenant sees (a platform-wide binding).
    All,
}

impl Change {
    pub fn tenant(slug: &str) -> Change {
        Change::Tenant(slug.to_string())
    }
    pub fn client(id: &str) -> Change {
        Change::Client(id.to_string())
    }
    pub fn installation(id: &str) -> Change {
        Change::Installation(id.to_string())
    }
    pub fn app(slug: &str) -> Change {
        Change::App(slug.to_string())
    }
    /// A change to `tenant`'s bindings: every tenant's for the platform's.
    pub fn bindings_of(tenant: &str) -> Change {
        if tenant == PLATFORM {
            Change::All
        } else {
            Change::tenant(tenant)
        }
    }

    pub fn scope(&self) -> &'static str {
        match self {
            Change::Tenant(_) => "tenant",
            Change::Client(_) => "client",
            Change::Installation(_) => "installation",
            Change::App(_) => "app",
            Change::Legacy => "legacy",
            Change::All => "all",
        }
    }

    pub fn key(&self) -> &str {
        match self {
            Change::Tenant(k) | Change::Client(k) | Change::Installation(k) | Change::App(k) => k,
            Change::Legacy | Change::All => "",
        }
    }

    pub fn parse(scope: &str, key: String) -> Option<Change> {
        Some(match scope {
            "tenant" => Change::Tenant(key),
            "client" => Change::Client(key),
            "installation" => Change::Installation(key),
            "app" => Change::App(key),
            "legacy" => Change::Legacy,
            "all" => Change::All,
            _ => return None,
        })
    }
}

/// Where the database stands against this version's migrations.
#[derive(Debug, Default)]
pub struct Migrations {
    /// `(version, description)`, oldest first.
    pub pending: Vec<(i64, String)>,
    pub newer: Vec<i64>,
}

#[async_trait]
pub trait Store:
    Accounts + AdminTokens + Apps + Flows + Legacy + Settings + Send + Sync + 'static
{
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// This version's migrations not applied yet, and applied ones it does
    /// not know (a newer version's).
    async fn migrations(&self) -> StoreResult<Migrations>;
    /// Whether a write is kept now: reads still answer on a full disk or a
    /// read-only database, so readiness asks for a (no-op) write.
    async fn writable(&self) -> StoreResult<()>;
    /// A counter bumped by every change to what the directory caches.
    async fn generation(&self) -> StoreResult<i64>;
    /// The changes after `generation`, oldest first (at most
    /// `MAX_CHANGES_READ`); `None` for a change this build does not know.
    async fn changes_since(&self, generation: i64) -> StoreResult<Vec<(i64, Option<Change>)>>;

    /// Creates a tenant together with its first signing key and its audit record.
    async fn create_tenant(
        &self,
        tenant: &Tenant,
        first_key: &StoredKey,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    async fn tenant(&self, slug: &str) -> StoreResult<Option<Tenant>>;
    /// Tenants by slug.
    async fn tenants(&self, page: &Page<String>) -> StoreResult<Vec<Tenant>>;
    /// Stores the tenant's refresh and PAT lifetimes.
    async fn update_tenant_lifetimes(&self, tenant: &Tenant) -> StoreResult<()>;

    /// Creates the client, queues its credential deliveries and writes its
    /// audit record, atomically.
    async fn create_client(
        &self,
        client: &Client,
        deliveries: &[Delivery],
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>>;
    /// The tenant's clients, oldest first (by creation time, then id).
    async fn clients(&self, tenant: &str, page: &Page<(i64, String)>) -> StoreResult<Vec<Client>>;
    /// Replaces the secret (the old one stays valid until
    /// `previous_expires_at`) and queues the deliveries, atomically.
    async fn rotate_client_secret(
        &self,
        client_id: &str,
        new_hash: &[u8; 32],
        previous_expires_at: i64,
        deliveries: &[Delivery],
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Deletes the client, queues the deliveries and writes the audit
    /// record, atomically.
    /// RFC 7592 §2.2: a self-registered client's metadata replaced (name,
    /// grant types, scopes, redirect URIs, kept metadata).
    async fn update_client_metadata(&self, client: &Client, audit: &AuditEvent) -> StoreResult<()>;
    async fn delete_client(
        &self,
        client_id: &str,
        deliveries: &[Delivery],
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    /// Active and still-published keys of a tenant, newest first.
    async fn signing_keys(&self, tenant: &str, now: i64) -> StoreResult<Vec<StoredKey>>;
    /// Retires the active key (published until `publish_until`) and makes `key`
    /// active; the tenant's algorithm becomes the new key's.
    async fn rotate_signing_key(
        &self,
        key: &StoredKey,
        now: i64,
        publish_until: i64,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    /// Remembers a revoked JWT until it would have expired anyway.
    async fn revoke_token(&self, jti: &str, tenant: &str, expires_at: i64) -> StoreResult<()>;
    async fn is_token_revoked(&self, jti: &str) -> StoreResult<bool>;
    /// Forgets revoked tokens, spent client assertions, pushed authorization
    /// requests and device codes past their expiry.
    async fn purge_expired_revocations(&self, now: i64) -> StoreResult<u64>;
    /// Records a client assertion (`key`: its client and `jti`) as spent
    /// until `expires_at`; false if it was spent already, on any replica.
    async fn use_client_assertion(&self, key: &str, expires_at: i64) -> StoreResult<bool>;
    /// Background upkeep the backend needs (SQLite: a WAL checkpoint).
    async fn maintain(&self) -> StoreResult<()>;
    /// Each connection pool's use, for `/metrics`.
    fn pools(&self) -> Vec<crate::metrics::PoolUse>;
    /// Deliveries not yet delivered or dead-lettered, and when the oldest
    /// of them was queued (Unix seconds).
    async fn outbox_depth(&self) -> StoreResult<(i64, Option<i64>)>;

    /// Stores the wasm (once per sha256) and registers it as the next version of `name`.
    async fn add_plugin(
        &self,
        name: &str,
        sha256: &str,
        hook: &str,
        wit: &str,
        wasm: &[u8],
        now: i64,
    ) -> StoreResult<PluginRecord>;
    /// Plugin versions by name, then version.
    async fn plugins(&self, page: &Page<(String, i64)>) -> StoreResult<Vec<PluginRecord>>;
    /// A version of a plugin, or its newest when `version` is `None`.
    async fn plugin(&self, name: &str, version: Option<i64>) -> StoreResult<Option<PluginRecord>>;
    async fn plugin_wasm(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Creates or replaces the tenant's (or `PLATFORM`'s) binding for the
    /// hook, with its audit record.
    async fn bind_plugin(&self, binding: &Binding, audit: &AuditEvent) -> StoreResult<()>;
    /// Removes the binding, with its audit record; `NotFound` if none.
    async fn unbind_plugin(&self, tenant: &str, hook: &str, audit: &AuditEvent) -> StoreResult<()>;
    async fn bindings(&self, tenant: &str) -> StoreResult<Vec<BoundPluginRow>>;

    /// Stores the tenant's delivery signing secret (sealed) unless it has
    /// one. Returns whether it was stored.
    async fn create_delivery_secret(
        &self,
        tenant: &str,
        sealed: &[u8],
        now: i64,
    ) -> StoreResult<bool>;
    /// The tenant's delivery signing secrets (sealed), if it has any.
    async fn delivery_secrets(&self, tenant: &str) -> StoreResult<Option<DeliverySecrets>>;
    /// Replaces the tenant's signing secret, with its audit record; the
    /// replaced one keeps signing alongside until `previous_expires_at`.
    /// `NotFound` if it has none.
    async fn rotate_delivery_secret(
        &self,
        tenant: &str,
        sealed: &[u8],
        previous_expires_at: i64,
        now: i64,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Leases up to `limit` due pending deliveries until `now_ms + lease_ms`
    /// and counts the attempt. Replicas never claim the same row at once; a
    /// process killed mid-send leaves its lease to expire, then another try
    /// goes out with the same idempotency key.
    async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>>;
    async fn finish_delivery(&self, id: &str, outcome: &DeliveryOutcome) -> StoreResult<()>;
    /// A tenant's deliveries, newest first (by creation time, then id).
    async fn deliveries(
        &self,
        tenant: &str,
        page: &Page<(i64, String)>,
    ) -> StoreResult<Vec<Delivery>>;
    /// Puts the tenant's dead delivery back in the queue with a fresh
    /// attempt count, with its audit record; `NotFound` unless it is one.
    async fn retry_delivery(
        &self,
        tenant: &str,
        id: &str,
        now_ms: i64,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    async fn audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// A tenant's audit trail, newest first; `after` is the id before.
    async fn audit_events(&self, tenant: &str, page: &Page<i64>) -> StoreResult<Vec<AuditRecord>>;
}

/// Refuses a database URL neither backend takes, before anything else runs.
pub fn check_url(url: &str) -> anyhow::Result<()> {
    let known = ["sqlite:", "postgres:", "postgresql:"];
    if known.iter().any(|k| url.starts_with(k)) {
        Ok(())
    } else {
        anyhow::bail!(
            "database URL must start with sqlite:// or postgres:// (got {:?})",
            redact_url(url)
        )
    }
}

/// The bindings in force for a tenant: its own, and the platform's default
/// for every hook it binds nothing to.
pub async fn effective_bindings(
    store: &dyn Store,
    tenant: &str,
) -> StoreResult<Vec<BoundPluginRow>> {
    let mut rows = store.bindings(tenant).await?;
    for default in store.bindings(PLATFORM).await? {
        if !rows.iter().any(|r| r.binding.hook == default.binding.hook) {
            rows.push(default);
        }
    }
    Ok(rows)
}

/// Opens the store named by `url` (`sqlite://…` or `postgres://…`).
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    check_url(url)?;
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PostgresStore::connect(url).await?))
    } else {
        anyhow::bail!(
            "database URL must start with sqlite:// or postgres:// (got {:?})",
            redact_url(url)
        )
    }
}

/// A database URL with any password removed, fit for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparseable URL>".into(),
    }
}

/// A pooled connection, its wait recorded in `/metrics` under `pool`.
async fn timed_acquire<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    name: &'static str,
) -> Result<sqlx::pool::PoolConnection<DB>, sqlx::Error> {
    let started = std::time::Instant::now();
    let conn = pool.acquire().await;
    crate::metrics::db_acquire(name, started.elapsed());
    conn
}

/// A transaction; the wait recorded is for the connection and its `BEGIN`.
async fn timed_begin<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    name: &'static str,
) -> Result<sqlx::Transaction<'static, DB>, sqlx::Error> {
    let started = std::time::Instant::now();
    let tx = pool.begin().await;
    crate::metrics::db_acquire(name, started.elapsed());
    tx
}

fn pool_use<DB: sqlx::Database>(
    name: &'static str,
    pool: &sqlx::Pool<DB>,
) -> crate::metrics::PoolUse {
    crate::metrics::PoolUse {
        pool: name,
        size: pool.size(),
        idle: pool.num_idle(),
        max: pool.options().get_max_connections(),
    }
}
