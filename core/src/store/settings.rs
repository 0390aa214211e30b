//! Storage of what a tenant's admins set in the console: the tenant's
//! settings (branding, who may install apps) and users' install requests.

use super::{AuditEvent, StoreResult};
use crate::domain::resource_server::ResourceServer;
use crate::domain::settings::TenantSettings;
use async_trait::async_trait;

/// A user's request that an admin install an app, as the user chose it.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct InstallRequestRecord {
    pub id: String,
    pub tenant: String,
    pub app: String,
    /// The version the user saw (an admin installs the newest).
    pub version: i64,
    /// The requesting user's username.
    pub requested_by: String,
    /// JSON list of optional permission names.
    pub optional_permissions: String,
    /// The selection as JSON (`"all"` or `{"type": [ids]}`).
    pub resources: String,
    /// Why the user wants it, in their words.
    pub note: String,
    /// `pending`, `approving` (an admin is installing it), `approved` or `declined`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub installation_id: Option<String>,
    pub created_at: i64,
}

/// How an admin's decision on a request ends.
pub enum Decision<'a> {
    /// Claimed for installing: `pending` → `approving`.
    Claim,
    /// Installed as `installation`.
    Approved {
        installation: &'a str,
    },
    /// The install failed: back to `pending`.
    Release,
    Declined,
}

#[async_trait]
pub trait Settings: Send + Sync {
    /// The tenant's settings; the defaults when it never set any.
    async fn tenant_settings(&self, tenant: &str) -> StoreResult<TenantSettings>;
    async fn put_tenant_settings(
        &self,
        tenant: &str,
        settings: &TenantSettings,
        audit: &AuditEvent,
        now: i64,
    ) -> StoreResult<()>;

    async fn create_install_request(
        &self,
        request: &InstallRequestRecord,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    async fn install_request(&self, id: &str) -> StoreResult<Option<InstallRequestRecord>>;
    /// A tenant's requests, newest first.
    async fn install_requests(&self, tenant: &str) -> StoreResult<Vec<InstallRequestRecord>>;
    /// Moves a request on, only from the state the decision expects
    /// (`pending` for `Claim` and `Declined`, `approving` for the others);
    /// false when another admin got there first.
    async fn decide_install_request(
        &self,
        id: &str,
        decision: Decision<'_>,
        by: &str,
        now: i64,
        audit: Option<&AuditEvent>,
    ) -> StoreResult<bool>;

    /// The tenant's protected resources (RFC 8707, RFC 9728), by identifier.
    async fn resource_servers(&self, tenant: &str) -> StoreResult<Vec<ResourceServer>>;
    /// `Conflict` when the tenant has one with this identifier.
    async fn create_resource_server(
        &self,
        resource: &ResourceServer,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// False when the tenant has no such resource.
    async fn delete_resource_server(
        &self,
        tenant: &str,
        id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}
