//! Storage of the legacy sunset: the platform's policy, the clients marked
//! legacy, tenants' exemptions and how legacy credentials are still used.

use super::{AuditEvent, StoreResult};
use async_trait::async_trait;

pub use crate::domain::legacy::{Brownout, LegacyPolicy};

/// A client marked legacy.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct LegacyClient {
    pub client_id: String,
    pub tenant: String,
    /// The app that replaces it, if any.
    pub replaced_by: Option<String>,
    pub marked_at: i64,
}

/// A tenant allowed to keep its legacy credentials until `until`.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Exemption {
    pub tenant: String,
    pub until: i64,
    pub reason: String,
    pub created_at: i64,
}

/// Uses of one legacy client on one day.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct LegacyUse {
    pub client_id: String,
    pub day: i64,
    pub uses: i64,
    pub last_used_at: Option<i64>,
}

#[async_trait]
pub trait Legacy {
    async fn legacy_policy(&self) -> StoreResult<Option<LegacyPolicy>>;
    async fn set_legacy_policy(&self, policy: &LegacyPolicy, audit: &AuditEvent)
    -> StoreResult<()>;
    async fn legacy_clients(&self) -> StoreResult<Vec<LegacyClient>>;
    /// Marks (or, with `None`, unmarks) a client as legacy.
    async fn mark_legacy(
        &self,
        client_id: &str,
        mark: Option<&LegacyClient>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    async fn exemptions(&self) -> StoreResult<Vec<Exemption>>;
    /// Sets (or, with `None`, lifts) a tenant's exemption.
    async fn set_exemption(
        &self,
        tenant: &str,
        exemption: Option<&Exemption>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    async fn add_legacy_use(&self, uses: &[LegacyUse]) -> StoreResult<()>;
    /// Every legacy client's uses from `since_day` on.
    async fn legacy_uses(&self, since_day: i64) -> StoreResult<Vec<LegacyUse>>;
}
