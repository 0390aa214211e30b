//! A tenant's people, one function per action for the admin API, the console
//! and the CLI: the same checks, and one audit record with its actor written
//! in the transaction of the change. Service accounts are not people: they
//! come and go with their installations.

use super::{Admin, AdminError, Result};
use crate::domain::user::{User, validate_password, validate_username};
use crate::store::{AuditEvent, PasswordReset, StoreError};
use crate::tokens::{b64url, password, random_bytes};
use serde_json::json;

/// How long a password link works: a day, time for the person to see it.
pub const PASSWORD_RESET_SECONDS: i64 = 86_400;

/// Who changes a person, as the audit record names them.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    /// An operator: the admin API (`operator`, `operator:<token>`), the CLI
    /// (`cli`), the demo's setup.
    Operator(&'a str),
    /// One of the tenant's admins, signed in to the console, by username:
    /// they may not delete themselves or take away their own admin role, so
    /// a tenant always keeps the admin who is acting.
    Person(&'a str),
}

impl<'a> Actor<'a> {
    pub fn name(self) -> &'a str {
        match self {
            Actor::Operator(n) | Actor::Person(n) => n,
        }
    }

    fn is(self, username: &str) -> bool {
        matches!(self, Actor::Person(u) if u == username)
    }
}

/// What an operator or a tenant admin asks for when creating a user.
pub struct NewUser {
    pub tenant: String,
    pub username: String,
    pub password: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub is_admin: bool,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("tenant", &self.tenant)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

fn reset_token_hash(token: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

/// Argon2id off the async workers (it is slow on purpose); the caller has
/// checked the password.
async fn hash_password(new_password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || password::hash(&new_password))
        .await
        .map_err(|_| AdminError::Invalid("password hashing failed".into()))
}

/// A page of the tenant's users (service accounts too), by username.
pub async fn list_users(
    store: &dyn crate::store::Store,
    tenant: &str,
    page: &crate::store::Page<String>,
) -> Result<Vec<User>> {
    super::existing_tenant(store, tenant).await?;
    Ok(store.users(tenant, page).await?)
}

impl Admin {
    /// Creates a person of the tenant with an Argon2id password hash.
    pub async fn create_user(&self, new: NewUser, actor: Actor<'_>, now: i64) -> Result<User> {
        validate_username(&new.username).map_err(AdminError::Invalid)?;
        validate_password(&new.password).map_err(AdminError::Invalid)?;
        super::existing_tenant(&*self.store, &new.tenant).await?;
        let password_hash = hash_password(new.password).await?;
        let user = User {
            id: format!("usr_{}", b64url(&random_bytes::<16>(&self.rng))),
            tenant: new.tenant,
            username: new.username,
            password_hash,
            email: new.email,
            display_name: new.display_name,
            is_admin: new.is_admin,
            created_at: now,
            installation: None,
            last_sign_in_at: None,
        };
        let audit = AuditEvent::new(
            &user.tenant,
            "user.created",
            json!({"actor": actor.name(), "user": user.username, "name": user.display_name, "admin": user.is_admin}),
            now,
        );
        self.store.create_user(&user, &audit).await?;
        Ok(user)
    }

    /// Sets a person's password; every session of theirs ends.
    pub async fn set_password(
        &self,
        tenant: &str,
        username: &str,
        new_password: String,
        actor: Actor<'_>,
        now: i64,
    ) -> Result<()> {
        validate_password(&new_password).map_err(AdminError::Invalid)?;
        let hash = hash_password(new_password).await?;
        let audit = AuditEvent::new(
            tenant,
            "user.password_set",
            json!({"actor": actor.name(), "user": username}),
            now,
        );
        Ok(self
            .store
            .set_password(tenant, username, &hash, &audit)
            .await?)
    }

    /// Grants or removes the admin role.
    pub async fn set_user_admin(
        &self,
        tenant: &str,
        username: &str,
        is_admin: bool,
        actor: Actor<'_>,
        now: i64,
    ) -> Result<()> {
        if actor.is(username) && !is_admin {
            return Err(AdminError::Invalid(
                "you cannot remove your own administrator role; ask another administrator".into(),
            ));
        }
        let action = if is_admin {
            "user.admin_granted"
        } else {
            "user.admin_removed"
        };
        let audit = AuditEvent::new(
            tenant,
            action,
            json!({"actor": actor.name(), "user": username}),
            now,
        );
        Ok(self
            .store
            .set_user_admin(tenant, username, is_admin, &audit)
            .await?)
    }

    /// Deletes a person, with their sessions, consents and tokens (the access
    /// tokens issued to them stop working at once).
    pub async fn delete_user(
        &self,
        tenant: &str,
        username: &str,
        actor: Actor<'_>,
        now: i64,
    ) -> Result<()> {
        if actor.is(username) {
            return Err(AdminError::Invalid(
                "you cannot delete your own account".into(),
            ));
        }
        let name = self
            .store
            .user_by_name(tenant, username)
            .await?
            .and_then(|u| u.display_name);
        let audit = AuditEvent::new(
            tenant,
            "user.deleted",
            json!({"actor": actor.name(), "user": username, "name": name}),
            now,
        );
        Ok(self
            .store
            .delete_user(tenant, username, now, &audit)
            .await?)
    }

    /// Changes a person's name and e-mail (blank clears them); usernames
    /// stay, since tokens and the audit trail name them.
    pub async fn update_user(
        &self,
        tenant: &str,
        username: &str,
        display_name: Option<String>,
        email: Option<String>,
        actor: Actor<'_>,
        now: i64,
    ) -> Result<User> {
        let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let (display_name, email) = (clean(display_name), clean(email));
        if display_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 200 || n.chars().any(char::is_control))
        {
            return Err(AdminError::Invalid(
                "a name is at most 200 characters, without control characters".into(),
            ));
        }
        if email.as_ref().is_some_and(|e| {
            e.len() > 200
                || !e.contains('@')
                || e.chars().any(|c| c.is_whitespace() || c.is_control())
        }) {
            return Err(AdminError::Invalid("that is not an e-mail address".into()));
        }
        let audit = AuditEvent::new(
            tenant,
            "user.updated",
            json!({"actor": actor.name(), "user": username, "name": display_name, "email": email}),
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
        actor: Actor<'_>,
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
        let token = b64url(&random_bytes::<32>(&self.rng));
        let expires_at = now + PASSWORD_RESET_SECONDS;
        let reset = PasswordReset {
            token_hash: reset_token_hash(&token),
            tenant: tenant.into(),
            user_id: user.id.clone(),
            created_by: actor.name().into(),
            created_at: now,
            expires_at,
        };
        let audit = AuditEvent::new(
            tenant,
            "user.password_reset",
            json!({"actor": actor.name(), "user": username, "expires_at": expires_at}),
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
        let hash = hash_password(new_password).await?;
        let audit = AuditEvent::new(
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
}
