//! An installation's hourly token quota, set by the tenant's admin or the
//! operator; the token endpoint enforces it (`usage.rs`).

use super::{AppError, Result, audit};
use crate::admin::Admin;
use crate::domain::installation::Installation;
use serde_json::json;

/// The largest hourly token quota.
pub const MAX_QUOTA: i64 = 1_000_000_000;

impl Admin {
    /// Sets (or with `None` lifts) the installation's quota of tokens per
    /// clock hour; audited, in effect on every replica within
    /// `cache_refresh_ms`.
    pub async fn set_installation_quota(
        &self,
        tenant: &str,
        id: &str,
        quota: Option<i64>,
        actor: &str,
        now: i64,
    ) -> Result<Installation> {
        if quota.is_some_and(|q| !(1..=MAX_QUOTA).contains(&q)) {
            return Err(AppError::Field {
                field: "tokens_per_hour".into(),
                message: format!("must be between 1 and {MAX_QUOTA} (or null for no quota)"),
            });
        }
        let mut i = self.installation(tenant, id).await?;
        let record = audit(
            tenant,
            "installation.quota_set",
            json!({"installation": id, "app": i.app, "actor": actor,
                   "before": i.quota_per_hour, "after": quota}),
            now,
        );
        self.store
            .set_installation_quota(id, quota, &record)
            .await?;
        i.quota_per_hour = quota;
        Ok(i)
    }
}
