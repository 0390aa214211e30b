//! Storage of apps, their manifest versions, tenants' resources and
//! installations. Every change to an installation is one atomic store call
//! that also writes its audit record (and, later, its outbox rows), checked
//! against the sequence the caller read so concurrent changes cannot both win.

use super::{AuditEvent, Delivery, DeliverySecrets, StoreError, StoreResult};
use crate::domain::Client;
use crate::domain::installation::{Installation, Selection, Suspender};
use crate::domain::manifest::Manifest;
use crate::domain::user::User;
use async_trait::async_trait;

/// One published version of an app.
#[derive(Clone, Debug)]
pub struct AppVersion {
    pub app: String,
    pub version: i64,
    pub manifest: Manifest,
    pub created_at: i64,
}

/// A tenant's resource installations can be scoped to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub kind: String,
    /// The id the platform knows it by: 1-200 printable characters.
    pub id: String,
    /// What admins see: 1-200 characters, not all blank.
    pub name: String,
}

/// A new installation with what comes into being with it.
pub struct NewInstallation<'a> {
    pub installation: &'a Installation,
    pub service_account: &'a User,
    /// Push credentials: the installation's own client.
    pub client: Option<&'a Client>,
    pub audit: &'a AuditEvent,
    /// Its `installation.created` event for the app's hook.
    pub deliveries: &'a [Delivery],
}

/// One change to an installation, saved with its audit record and events.
pub struct InstallationChange {
    /// The installation as changed: `sequence` one past the stored one.
    pub installation: Installation,
    pub audit: AuditEvent,
    pub deliveries: Vec<Delivery>,
    /// A new client secret's hash, and until when the old one still works.
    pub new_secret: Option<([u8; 32], i64)>,
}

/// One of Warden's Ed25519 webhook signing keys.
#[derive(Clone, sqlx::FromRow)]
pub struct WebhookKey {
    pub kid: String,
    /// PKCS#8, sealed under the master key.
    pub private_key: Vec<u8>,
    /// The raw 32-byte public key.
    pub public_key: Vec<u8>,
    pub created_at: i64,
}

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// What one installation did on one day (days since the Unix epoch, UTC).
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct UsageRow {
    pub installation_id: String,
    pub day: i64,
    /// Access tokens issued.
    pub tokens: i64,
    /// Token requests refused (suspended, too much scope, a policy said no, …).
    pub denied: i64,
    /// AuthZEN evaluations about its service account.
    pub evaluations: i64,
    /// Decisions about it a plugin let the host reuse (no plugin call).
    pub decisions_reused: i64,
    pub last_token_at: Option<i64>,
}

/// Tokens an installation got in one clock hour (hours since the Unix epoch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HourlyRow {
    pub installation_id: String,
    pub hour: i64,
    pub tokens: i64,
}

#[async_trait]
pub trait Apps {
    /// Adds counted usage to the stored totals (per installation and day,
    /// and tokens per hour), in one transaction.
    async fn add_usage(&self, days: &[UsageRow], hours: &[HourlyRow]) -> StoreResult<()>;
    /// Tokens an installation got in `hour`, from every replica's flushes.
    async fn hourly_tokens(&self, installation: &str, hour: i64) -> StoreResult<i64>;
    /// Sets or clears an installation's hourly token quota, with its audit record.
    async fn set_installation_quota(
        &self,
        id: &str,
        quota: Option<i64>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// An installation's usage from `since_day` on, oldest day first.
    async fn usage(&self, installation: &str, since_day: i64) -> StoreResult<Vec<UsageRow>>;
    /// Warden's webhook signing keys, newest first.
    async fn webhook_signing_keys(&self) -> StoreResult<Vec<WebhookKey>>;
    async fn create_webhook_signing_key(&self, key: &WebhookKey) -> StoreResult<()>;

    /// Registers an app with its first version; `Conflict` if the slug is taken.
    async fn create_app(
        &self,
        manifest: &Manifest,
        sealed_webhook_secret: &[u8],
        now: i64,
    ) -> StoreResult<()>;
    /// Publishes `manifest` as `version` (one past the newest) together with
    /// the installations it moves or asks for approval; `Concurrent("app")`
    /// if another version was published first.
    async fn publish_app_version(
        &self,
        manifest: &Manifest,
        version: i64,
        now: i64,
        changes: &[InstallationChange],
    ) -> StoreResult<()>;
    /// The newest version of every app, by slug.
    async fn apps(&self, page: &super::Page<String>) -> StoreResult<Vec<AppVersion>>;
    /// A version of an app, or its newest when `version` is `None`.
    async fn app_version(
        &self,
        slug: &str,
        version: Option<i64>,
    ) -> StoreResult<Option<AppVersion>>;
    async fn app_versions(&self, slug: &str) -> StoreResult<Vec<AppVersion>>;
    /// The app's webhook signing secrets (sealed), for signing its deliveries.
    async fn app_webhook_secrets(&self, slug: &str) -> StoreResult<Option<DeliverySecrets>>;
    /// Replaces the app's webhook secret; the old one co-signs until `previous_expires_at`.
    async fn rotate_app_webhook_secret(
        &self,
        slug: &str,
        sealed: &[u8],
        previous_expires_at: i64,
    ) -> StoreResult<()>;

    /// Upserts a tenant's resources (by type and id).
    async fn put_resources(&self, tenant: &str, resources: &[Resource]) -> StoreResult<()>;
    /// The tenant's resources by type, then id.
    async fn resources(
        &self,
        tenant: &str,
        page: &super::Page<(String, String)>,
    ) -> StoreResult<Vec<Resource>>;
    /// Removes a resource and, atomically, saves the installations whose
    /// selection named it (each checked against the sequence it was read at).
    async fn delete_resource(
        &self,
        tenant: &str,
        kind: &str,
        id: &str,
        changes: &[InstallationChange],
    ) -> StoreResult<()>;

    /// Creates an installation with its service account and client;
    /// `Conflict("installation")` if the app is installed in the tenant already.
    async fn create_installation(&self, new: NewInstallation<'_>) -> StoreResult<()>;
    /// A live or uninstalled installation.
    async fn installation(&self, id: &str) -> StoreResult<Option<Installation>>;
    /// Every live installation of an app, in any tenant.
    async fn app_installations(&self, app: &str) -> StoreResult<Vec<Installation>>;
    /// The tenant's live installations, oldest first (by creation time, then id).
    async fn installations(
        &self,
        tenant: &str,
        page: &super::Page<(i64, String)>,
    ) -> StoreResult<Vec<Installation>>;
    /// Saves a change whose `sequence` is one past the stored one;
    /// `Concurrent("installation")` if another change came first.
    async fn save_installation(&self, change: &InstallationChange) -> StoreResult<()>;
    /// Uninstalls: the tombstone stays, the service account goes, the client
    /// stops authenticating. Checked against the sequence like a save.
    async fn uninstall(&self, change: &InstallationChange) -> StoreResult<()>;
}

#[derive(sqlx::FromRow)]
pub struct InstallationRow {
    pub id: String,
    pub tenant: String,
    pub app: String,
    pub version: i64,
    pub permissions: String,
    pub resources: String,
    pub revision: i64,
    pub suspended_by: Option<String>,
    pub pending_version: Option<i64>,
    pub service_account: String,
    pub service_account_name: String,
    pub client_id: Option<String>,
    pub installed_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub sequence: i64,
    pub uninstalled_at: Option<i64>,
    pub awaiting_hook: bool,
    pub token_quota_per_hour: Option<i64>,
}

impl TryFrom<InstallationRow> for Installation {
    type Error = StoreError;
    fn try_from(r: InstallationRow) -> Result<Self, StoreError> {
        let resources: serde_json::Value = serde_json::from_str(&r.resources)
            .map_err(|e| StoreError::Corrupt(format!("installation resources: {e}")))?;
        Ok(Installation {
            resources: Selection::from_json(&resources).map_err(StoreError::Corrupt)?,
            permissions: r
                .permissions
                .split(' ')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            suspended_by: match r.suspended_by.as_deref() {
                None => None,
                Some(s) => Some(
                    Suspender::parse(s)
                        .ok_or_else(|| StoreError::Corrupt(format!("suspended_by {s:?}")))?,
                ),
            },
            id: r.id,
            tenant: r.tenant,
            app: r.app,
            version: r.version,
            revision: r.revision,
            pending_version: r.pending_version,
            service_account: r.service_account,
            service_account_name: r.service_account_name,
            client_id: r.client_id,
            installed_by: r.installed_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            sequence: r.sequence,
            uninstalled_at: r.uninstalled_at,
            awaiting_hook: r.awaiting_hook,
            quota_per_hour: r.token_quota_per_hour,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AppVersionRow {
    pub app: String,
    pub version: i64,
    pub manifest: String,
    pub created_at: i64,
}

impl TryFrom<AppVersionRow> for AppVersion {
    type Error = StoreError;
    fn try_from(r: AppVersionRow) -> Result<Self, StoreError> {
        Ok(AppVersion {
            manifest: serde_json::from_str(&r.manifest).map_err(|e| {
                StoreError::Corrupt(format!("manifest of {}@{}: {e}", r.app, r.version))
            })?,
            app: r.app,
            version: r.version,
            created_at: r.created_at,
        })
    }
}
