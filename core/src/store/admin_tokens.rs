//! Storage of the admin API's named tokens (hashes only).

use super::{AuditEvent, StoreResult};
use async_trait::async_trait;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AdminTokenRecord {
    pub name: String,
    /// Space-separated scopes.
    pub scopes: String,
    pub created_at: i64,
    pub rotated_at: Option<i64>,
    /// Until when the hash before the last rotation is still accepted.
    pub previous_until: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[async_trait]
pub trait AdminTokens: Send + Sync {
    async fn create_admin_token(
        &self,
        token: &AdminTokenRecord,
        hash: &[u8; 32],
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// The live token whose current hash, or previous hash within its
    /// overlap, is `hash`.
    async fn admin_token_by_hash(
        &self,
        hash: &[u8; 32],
        now: i64,
    ) -> StoreResult<Option<AdminTokenRecord>>;
    async fn admin_tokens(&self) -> StoreResult<Vec<AdminTokenRecord>>;
    /// Whether any token was ever created (the API is off without one).
    async fn any_admin_token(&self) -> StoreResult<bool>;
    /// A new hash for `name`; the old one works until `previous_until`.
    async fn rotate_admin_token(
        &self,
        name: &str,
        hash: &[u8; 32],
        previous_until: i64,
        audit: &AuditEvent,
        now: i64,
    ) -> StoreResult<()>;
    async fn revoke_admin_token(&self, name: &str, audit: &AuditEvent, now: i64)
    -> StoreResult<()>;
}
