//! What a tenant's own admins change about their tenant in the console (and
//! the operator through the admin API): its settings (branding, who may
//! install apps) and its people. Every change is audited with its actor.

use crate::admin::{Admin, AdminError, NewUser};
use crate::apps::AppError;
use crate::apps::audit as record;
use crate::domain::settings::TenantSettings;
use crate::domain::user::User;
use crate::store::{AuditEvent, StoreError};
use serde_json::json;

type Result<T> = std::result::Result<T, AppError>;

impl Admin {
    pub async fn tenant_settings(&self, tenant: &str) -> Result<TenantSettings> {
        if self.store.tenant(tenant).await?.is_none() {
            return Err(StoreError::NotFound("tenant").into());
        }
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
        };
        let audit = record(
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

    /// A tenant admin creates a person (never a service account).
    pub async fn create_user_as(&self, new: NewUser, actor: &str, now: i64) -> Result<User> {
        let user = self.create_user(new, now).await?;
        self.audit_best_effort(record(
            &user.tenant,
            "user.created",
            json!({"actor": actor, "user": user.username, "admin": user.is_admin}),
            now,
        ))
        .await;
        Ok(user)
    }

    /// Grants or removes the admin role. An admin cannot remove their own,
    /// so a tenant always keeps the admin who is acting.
    pub async fn set_user_admin(
        &self,
        tenant: &str,
        username: &str,
        is_admin: bool,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        if username == actor && !is_admin {
            return Err(AdminError::Invalid(
                "you cannot remove your own administrator role; ask another administrator".into(),
            )
            .into());
        }
        self.store
            .set_user_admin(tenant, username, is_admin)
            .await?;
        let action = if is_admin {
            "user.admin_granted"
        } else {
            "user.admin_removed"
        };
        self.audit_best_effort(record(
            tenant,
            action,
            json!({"actor": actor, "user": username}),
            now,
        ))
        .await;
        Ok(())
    }

    /// Deletes a person; their tokens stop working. Not oneself, and never a
    /// service account (it goes with its installation).
    pub async fn delete_user_as(
        &self,
        tenant: &str,
        username: &str,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        if username == actor {
            return Err(AdminError::Invalid("you cannot delete your own account".into()).into());
        }
        self.store.delete_user(tenant, username, now).await?;
        self.audit_best_effort(record(
            tenant,
            "user.deleted",
            json!({"actor": actor, "user": username}),
            now,
        ))
        .await;
        Ok(())
    }

    async fn audit_best_effort(&self, event: AuditEvent) {
        if let Err(e) = self.store.audit(&event).await {
            tracing::warn!(error = %e, action = %event.action, "cannot write audit record");
        }
    }
}
