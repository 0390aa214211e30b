//! What a tenant's own admins change about their tenant in the console (and
//! the operator through the admin API): its settings (branding, who may
//! install apps) and its people. Every change is audited with its actor.

use crate::admin::{Admin, AdminError, NewUser};
use crate::apps::AppError;
use crate::apps::audit as record;
use crate::domain::settings::TenantSettings;
use crate::domain::user::{User, validate_password};
use crate::store::{AuditEvent, PasswordReset, StoreError};
use serde_json::json;

type Result<T> = std::result::Result<T, AppError>;

/// How long a password link works: a day, time for the person to see it.
pub const PASSWORD_RESET_SECONDS: i64 = 86_400;

fn reset_token_hash(token: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

fn invalid(message: &str) -> AppError {
    AdminError::Invalid(message.into()).into()
}

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
            time_zone: crate::domain::settings::time_zone(settings.time_zone.as_deref())?,
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
            json!({"actor": actor, "user": user.username, "name": user.display_name, "admin": user.is_admin}),
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
        let name = self
            .store
            .user_by_name(tenant, username)
            .await?
            .and_then(|u| u.display_name);
        self.store.delete_user(tenant, username, now).await?;
        self.audit_best_effort(record(
            tenant,
            "user.deleted",
            json!({"actor": actor, "user": username, "name": name}),
            now,
        ))
        .await;
        Ok(())
    }

    /// A tenant admin changes a person's name and e-mail (blank clears
    /// them); usernames stay, since tokens and the audit trail name them.
    pub async fn update_user_as(
        &self,
        tenant: &str,
        username: &str,
        display_name: Option<String>,
        email: Option<String>,
        actor: &str,
        now: i64,
    ) -> Result<User> {
        let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let (display_name, email) = (clean(display_name), clean(email));
        if display_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 200 || n.chars().any(char::is_control))
        {
            return Err(invalid(
                "a name is at most 200 characters, without control characters",
            ));
        }
        if email.as_ref().is_some_and(|e| {
            e.len() > 200
                || !e.contains('@')
                || e.chars().any(|c| c.is_whitespace() || c.is_control())
        }) {
            return Err(invalid("that is not an e-mail address"));
        }
        let audit = record(
            tenant,
            "user.updated",
            json!({"actor": actor, "user": username, "name": display_name, "email": email}),
            now,
        );
        self.store
            .update_user_profile(
                tenant,
                username,
                display_name.as_deref(),
                email.as_deref(),
                &audit,
            )
            .await?;
        match self.store.user_by_name(tenant, username).await? {
            Some(u) => Ok(u),
            None => Err(StoreError::NotFound("user").into()),
        }
    }

    /// A one-time link for a person to set a new password, valid for
    /// `PASSWORD_RESET_SECONDS`; earlier links stop working. Returns the
    /// link's token (shown once to the admin; only its hash is kept).
    pub async fn password_reset_link(
        &self,
        tenant: &str,
        username: &str,
        actor: &str,
        now: i64,
    ) -> Result<(String, i64)> {
        let user = match self.store.user_by_name(tenant, username).await? {
            Some(u) if !u.is_service_account() => u,
            Some(_) => {
                return Err(
                    StoreError::Managed(format!("user {username} (a service account)")).into(),
                );
            }
            None => return Err(StoreError::NotFound("user").into()),
        };
        let token = crate::tokens::b64url(&crate::tokens::random_bytes::<32>(&self.rng));
        let expires_at = now + PASSWORD_RESET_SECONDS;
        let reset = PasswordReset {
            token_hash: reset_token_hash(&token),
            tenant: tenant.into(),
            user_id: user.id.clone(),
            created_by: actor.into(),
            created_at: now,
            expires_at,
        };
        let audit = record(
            tenant,
            "user.password_reset",
            json!({"actor": actor, "user": username, "expires_at": expires_at}),
            now,
        );
        self.store.create_password_reset(&reset, &audit).await?;
        Ok((token, expires_at))
    }

    /// The person a reset link is for, while it can still be used.
    pub async fn password_reset_user(
        &self,
        tenant: &str,
        token: &str,
        now: i64,
    ) -> Result<Option<User>> {
        let Some(reset) = self
            .store
            .password_reset(&reset_token_hash(token), now)
            .await?
        else {
            return Ok(None);
        };
        if reset.tenant != tenant {
            return Ok(None);
        }
        Ok(self.store.user(&reset.user_id).await?)
    }

    /// The person sets their password through the link, once; every
    /// session of theirs ends. `Ok(false)`: the link is used or expired.
    pub async fn reset_password(
        &self,
        tenant: &str,
        token: &str,
        new_password: String,
        now: i64,
    ) -> Result<bool> {
        let Some(user) = self.password_reset_user(tenant, token, now).await? else {
            return Ok(false);
        };
        validate_password(&new_password).map_err(AdminError::Invalid)?;
        let hash =
            tokio::task::spawn_blocking(move || crate::tokens::password::hash(&new_password))
                .await
                .map_err(|_| AdminError::Invalid("password hashing failed".into()))?;
        let audit = record(
            tenant,
            "user.password_set",
            json!({"actor": user.username, "user": user.username}),
            now,
        );
        Ok(self
            .store
            .use_password_reset(&reset_token_hash(token), &hash, now, &audit)
            .await?)
    }

    async fn audit_best_effort(&self, event: AuditEvent) {
        if let Err(e) = self.store.audit(&event).await {
            tracing::warn!(error = %e, action = %event.action, "cannot write audit record");
        }
    }
}
