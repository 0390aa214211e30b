//! The delivery outbox as operators see it: retrying a dead delivery,
//! rotating the secret deliveries are signed with.

use super::{Admin, AdminError, IssuedSecret, Result};
use crate::delivery;
use crate::store::AuditEvent;
use crate::tokens::secret;

/// How long a replaced delivery signing secret keeps signing unless told.
pub const DEFAULT_SIGNING_SECRET_OVERLAP: i64 = 86_400;
/// Longest a replaced delivery signing secret keeps signing.
pub const MAX_SIGNING_SECRET_OVERLAP: i64 = 7 * 86_400;

impl Admin {
    /// Sends a dead-lettered delivery of the tenant again, from a fresh
    /// attempt count. The same check and audit record from the admin API,
    /// the console and the CLI.
    pub async fn retry_delivery(
        &self,
        tenant: &str,
        id: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<()> {
        let audit = AuditEvent::new(
            tenant,
            "delivery.retried",
            serde_json::json!({"delivery": id, "actor": actor}),
            now_ms.div_euclid(1000),
        );
        Ok(self
            .store
            .retry_delivery(tenant, id, now_ms, &audit)
            .await?)
    }

    /// A new delivery signing secret for the tenant. The one it replaces
    /// keeps signing deliveries alongside it (a second `v1` in
    /// `Warden-Signature`) for `overlap` seconds, so receivers can switch
    /// without rejecting a delivery. Returns the secret and the overlap's end.
    pub async fn rotate_delivery_secret(
        &self,
        tenant: &str,
        overlap: i64,
        actor: &str,
        now: i64,
    ) -> Result<(IssuedSecret, i64)> {
        if !(0..=MAX_SIGNING_SECRET_OVERLAP).contains(&overlap) {
            return Err(AdminError::Invalid(format!(
                "overlap must be between 0 and {MAX_SIGNING_SECRET_OVERLAP} seconds (7 days)"
            )));
        }
        super::existing_tenant(&*self.store, tenant).await?;
        let fresh = secret::generate(delivery::SIGNING_SECRET_PREFIX, &self.rng);
        let sealed = self.master.seal(
            &delivery::secret_context(tenant),
            fresh.as_bytes(),
            &self.rng,
        );
        let until = now + overlap;
        let audit = AuditEvent::new(
            tenant,
            "delivery.signing_secret_rotated",
            serde_json::json!({ "previous_secret_signs_until": until, "actor": actor }),
            now,
        );
        self.store
            .rotate_delivery_secret(tenant, &sealed, until, now, &audit)
            .await?;
        Ok((IssuedSecret(fresh), until))
    }
}
