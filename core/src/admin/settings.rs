//! A tenant's settings (branding, time zone, who may install apps), changed by
//! its own admins in the console or by an operator through the admin API.

use super::Admin;
use super::AppError;
use crate::domain::settings::TenantSettings;
use serde_json::json;

type Result<T> = std::result::Result<T, AppError>;

impl Admin {
    pub async fn tenant_settings(&self, tenant: &str) -> Result<TenantSettings> {
        super::existing_tenant(&*self.store, tenant).await?;
        Ok(self.store.tenant_settings(tenant).await?)
    }

    /// Replaces the tenant's settings (blank branding fields are cleared).
    pub async fn set_tenant_settings(
        &self,
        tenant: &str,
        settings: TenantSettings,
        actor: &str,
        now: i64,
    ) -> Result<TenantSettings> {
        let before = self.tenant_settings(tenant).await?;
        let after = TenantSettings {
            branding: settings.branding.normalize()?,
            user_installs: settings.user_installs,
            time_zone: crate::domain::settings::time_zone(settings.time_zone.as_deref())?,
        };
        let audit = crate::store::AuditEvent::new(
            tenant,
            "tenant.settings_changed",
            json!({"actor": actor, "before": before, "after": after}),
            now,
        );
        self.store
            .put_tenant_settings(tenant, &after, &audit, now)
            .await?;
        Ok(after)
    }
}
