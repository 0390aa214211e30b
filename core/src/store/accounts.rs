//! Storage of end users and what hangs off them: sessions, consents,
//! authorization codes. A supertrait of `Store`, so one handle reaches both.

use super::{AuditEvent, StoreResult};
use crate::domain::user::User;
use async_trait::async_trait;

/// A logged-in browser. The cookie holds the id; only its SHA-256 is stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Session {
    pub id_hash: Vec<u8>,
    pub tenant: String,
    pub user_id: String,
    /// When the user last entered their password (OIDC `auth_time`).
    pub auth_time: i64,
    pub expires_at: i64,
}

/// An issued authorization code, bound to everything it must be redeemed with.
#[derive(Clone, sqlx::FromRow)]
pub struct AuthorizationCode {
    pub code_hash: Vec<u8>,
    pub tenant: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
    pub access_jti: Option<String>,
    pub access_expires_at: Option<i64>,
    pub family_id: Option<String>,
    /// RFC 9396 details asked for (a JSON array), if any.
    pub authorization_details: Option<String>,
    /// RFC 8707 resources asked for, space-separated.
    pub resources: String,
}

impl std::fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// What redeeming a code found.
#[derive(Debug)]
pub enum Redemption {
    /// First use: the caller may issue tokens.
    Fresh(AuthorizationCode),
    /// Already redeemed once: an attack or a bug; revoke what it issued.
    Reused(AuthorizationCode),
    Unknown,
}

/// A refresh token as stored (by hash). Every rotation adds one to the family.
#[derive(Clone, sqlx::FromRow)]
pub struct RefreshToken {
    pub token_hash: Vec<u8>,
    pub family_id: String,
    pub tenant: String,
    pub client_id: String,
    pub user_id: String,
    pub scopes: String,
    pub auth_time: i64,
    pub created_at: i64,
    /// The same instant in milliseconds: the spend time of its parent.
    pub created_ms: i64,
    /// Idle expiry: moves forward with each rotation, never past the family's.
    pub expires_at: i64,
    pub family_expires_at: i64,
    /// The access token issued beside it, revoked with the family.
    pub access_jti: Option<String>,
    pub access_expires_at: Option<i64>,
    /// When it was spent (its successor's creation, in ms) or revoked (0).
    pub spent_at_ms: Option<i64>,
    /// The family's RFC 9396 details (a JSON array), read with the token;
    /// written once for the family by `start_family_target`.
    #[sqlx(default)]
    pub family_details: Option<String>,
    /// The family's RFC 8707 resources, space-separated.
    #[sqlx(default)]
    pub family_resources: Option<String>,
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshToken")
            .field("family_id", &self.family_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// An app a user has granted access to, for the "connected apps" page.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ConsentRecord {
    pub client_id: String,
    pub scopes: String,
    pub granted_at: i64,
}

/// A personal access token as stored (by hash).
#[derive(Clone, sqlx::FromRow, serde::Serialize)]
pub struct PersonalAccessToken {
    pub id: String,
    pub tenant: String,
    pub user_id: String,
    pub name: String,
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

impl std::fmt::Debug for PersonalAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalAccessToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A one-time link for a person to set their password.
#[derive(Clone, sqlx::FromRow)]
pub struct PasswordReset {
    pub token_hash: Vec<u8>,
    pub tenant: String,
    pub user_id: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[async_trait]
pub trait Accounts: Send + Sync {
    async fn create_user(&self, user: &User, audit: &AuditEvent) -> StoreResult<()>;
    async fn user(&self, id: &str) -> StoreResult<Option<User>>;
    async fn user_by_name(&self, tenant: &str, username: &str) -> StoreResult<Option<User>>;
    /// The tenant's users by username.
    async fn users(&self, tenant: &str, page: &super::Page<String>) -> StoreResult<Vec<User>>;
    /// Deletes a user; their refresh tokens and the access tokens issued
    /// with them (still live at `now`) are revoked.
    async fn delete_user(
        &self,
        tenant: &str,
        username: &str,
        now: i64,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Grants or removes the admin role; `Managed` for a service account.
    async fn set_user_admin(
        &self,
        tenant: &str,
        username: &str,
        is_admin: bool,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// A new password; every session of the user ends.
    async fn set_password(
        &self,
        tenant: &str,
        username: &str,
        password_hash: &str,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    async fn set_scope_description(
        &self,
        tenant: &str,
        scope: &str,
        description: &str,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// The tenant's scope descriptions, in the order it first described them.
    async fn scope_descriptions(&self, tenant: &str) -> StoreResult<Vec<(String, String)>>;

    /// Creates the session and notes the person's last sign-in.
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// A person's name and e-mail (`Managed` for a service account).
    async fn update_user_profile(
        &self,
        tenant: &str,
        username: &str,
        display_name: Option<&str>,
        email: Option<&str>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Saves a one-time password link; earlier unused ones of the person
    /// stop working.
    async fn create_password_reset(
        &self,
        reset: &PasswordReset,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// The link's person, while it is unused and unexpired at `now`.
    async fn password_reset(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> StoreResult<Option<PasswordReset>>;
    /// Uses the link once: sets the password and ends the person's sessions.
    /// `false` (and nothing changed) if it was used or expired meanwhile.
    async fn use_password_reset(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        now: i64,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    async fn session(&self, id_hash: &[u8], now: i64) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, id_hash: &[u8]) -> StoreResult<()>;

    /// Counts a failed login for `key` within a window starting no earlier
    /// than `window_start`; returns the failures in the window.
    async fn record_login_failure(
        &self,
        key: &str,
        now: i64,
        window_start: i64,
    ) -> StoreResult<i64>;
    async fn lock_login(&self, key: &str, until: i64) -> StoreResult<()>;
    /// The latest `locked_until` among `keys`.
    async fn login_locked_until(&self, keys: &[String]) -> StoreResult<Option<i64>>;
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;

    /// The scopes a user has approved for a client, space-separated.
    async fn consent(&self, user_id: &str, client_id: &str) -> StoreResult<Option<String>>;
    async fn grant_consent(
        &self,
        tenant: &str,
        user_id: &str,
        client_id: &str,
        scopes: &str,
        now: i64,
    ) -> StoreResult<()>;

    async fn create_code(&self, code: &AuthorizationCode) -> StoreResult<()>;
    /// Marks the code used, atomically: exactly one redemption is `Fresh`.
    async fn redeem_code(&self, code_hash: &[u8], now: i64) -> StoreResult<Redemption>;
    /// Remembers the access token a code produced, to revoke it on reuse.
    async fn record_code_tokens(
        &self,
        code_hash: &[u8],
        access_jti: &str,
        access_expires_at: i64,
        family_id: Option<&str>,
    ) -> StoreResult<()>;

    /// Starts a refresh-token family.
    async fn create_refresh_token(&self, token: &RefreshToken) -> StoreResult<()>;
    async fn refresh_token(&self, token_hash: &[u8]) -> StoreResult<Option<RefreshToken>>;
    /// Spends `spent_hash` by storing its successor, atomically. `false` (and
    /// nothing stored) if it was spent or its family revoked meanwhile: of
    /// concurrent uses, exactly one succeeds.
    async fn rotate_refresh_token(
        &self,
        spent_hash: &[u8],
        successor: RefreshToken,
    ) -> StoreResult<bool>;
    /// Revokes a family's refresh tokens and the access tokens issued with
    /// them that are still live at `now`.
    async fn revoke_refresh_family(&self, family_id: &str, now: i64) -> StoreResult<()>;

    /// The apps a user has approved.
    async fn consents(&self, user_id: &str) -> StoreResult<Vec<ConsentRecord>>;
    /// Forgets a user's consent for an app and ends its refresh tokens and
    /// the access tokens issued with them.
    async fn revoke_grant(&self, user_id: &str, client_id: &str, now: i64) -> StoreResult<()>;

    async fn create_pat(&self, pat: &PersonalAccessToken) -> StoreResult<()>;
    async fn pats(&self, user_id: &str) -> StoreResult<Vec<PersonalAccessToken>>;
    /// The token with this hash, marking it used.
    async fn use_pat(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> StoreResult<Option<PersonalAccessToken>>;
    async fn revoke_pat(&self, user_id: &str, id: &str) -> StoreResult<()>;
}
