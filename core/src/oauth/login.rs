//! Password login for a tenant's users, with throttling of failures per
//! account and per client address. Answers never reveal whether a username
//! exists: unknown names cost the same Argon2 work and count the same.

use super::OAuth;
use crate::store::Session;
use crate::tokens::{b64url, password, random_bytes, secret};

/// Failures count within this window.
const WINDOW: i64 = 15 * 60;
/// Failures allowed per account, and per client address, before waiting.
const ACCOUNT_FREE: i64 = 5;
const ADDRESS_FREE: i64 = 20;
/// RFC 7591 registrations one address may make in the window.
const REGISTRATIONS_FREE: i64 = 10;
/// The first wait, doubled with each further failure, at most `MAX_WAIT`.
const FIRST_WAIT: i64 = 30;
const MAX_WAIT: i64 = 15 * 60;
/// How long a browser session lasts.
pub const SESSION_TTL: i64 = 12 * 3600;

#[derive(Debug)]
pub enum LoginError {
    /// Wrong username or password (which one is not said).
    Invalid,
    /// Too many failures: try again after this many seconds.
    Throttled(i64),
    Unavailable,
}

impl From<crate::store::StoreError> for LoginError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "login storage failure");
        LoginError::Unavailable
    }
}

impl OAuth {
    /// Checks the password and opens a session; returns the session cookie's
    /// value (the browser's only copy; the store keeps its hash).
    pub async fn login(
        &self,
        tenant: &str,
        username: &str,
        pass: &str,
        address: &str,
    ) -> Result<String, LoginError> {
        let now = self.clock.now();
        let account_key = format!("acct:{tenant}:{}", username.to_lowercase());
        let address_key = format!("addr:{address}");
        let keys = [account_key.clone(), address_key.clone()];
        if let Some(wait) = self.throttled(&keys, now).await? {
            return Err(LoginError::Throttled(wait));
        }
        // A service account never signs in: it reads as an unknown user.
        let user = self
            .store
            .user_by_name(tenant, username)
            .await?
            .filter(|u| !u.is_service_account());
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let pass = pass.to_string();
        let ok = tokio::task::spawn_blocking(move || match stored {
            Some(h) => password::verify(&pass, &h),
            None => {
                password::verify(&pass, password::decoy());
                false
            }
        })
        .await
        .unwrap_or(false);
        let Some(user) = user.filter(|_| ok) else {
            for (key, free) in [(&account_key, ACCOUNT_FREE), (&address_key, ADDRESS_FREE)] {
                self.count_failure(key, free, now).await?;
            }
            tracing::info!(tenant, "failed login");
            return Err(LoginError::Invalid);
        };
        self.store.clear_login_failures(&account_key).await?;
        let cookie = b64url(&random_bytes::<32>(&self.rng));
        let session = Session {
            id_hash: secret::hash(&cookie).to_vec(),
            tenant: tenant.to_string(),
            user_id: user.id.clone(),
            auth_time: now,
            expires_at: now + SESSION_TTL,
        };
        self.store.create_session(&session).await?;
        tracing::info!(tenant, user = %user.id, "user logged in");
        Ok(cookie)
    }

    /// Seconds to wait before any of `keys` may try again, if any.
    pub(super) async fn throttled(
        &self,
        keys: &[String],
        now: i64,
    ) -> Result<Option<i64>, crate::store::StoreError> {
        let until = self.store.login_locked_until(keys).await?;
        Ok(until.filter(|&t| t > now).map(|t| t - now))
    }

    /// RFC 7591 registrations from one address: a few in the window, then
    /// a wait that doubles (every attempt counts, good or bad). `Some`:
    /// seconds to wait.
    pub async fn registration_admitted(
        &self,
        address: &str,
    ) -> Result<Option<i64>, crate::store::StoreError> {
        let now = self.clock.now();
        let key = format!("register:{address}");
        if let Some(wait) = self.throttled(std::slice::from_ref(&key), now).await? {
            return Ok(Some(wait));
        }
        self.count_failure(&key, REGISTRATIONS_FREE, now).await?;
        Ok(None)
    }

    /// Counts a failure for `key` in the window; past `free` of them, a
    /// wait of `FIRST_WAIT`, doubling with each further one, to `MAX_WAIT`.
    pub(super) async fn count_failure(
        &self,
        key: &str,
        free: i64,
        now: i64,
    ) -> Result<(), crate::store::StoreError> {
        let n = self
            .store
            .record_login_failure(key, now, now - WINDOW)
            .await?;
        if n >= free {
            let wait = (FIRST_WAIT << (n - free).min(10)).min(MAX_WAIT);
            self.store.lock_login(key, now + wait).await?;
        }
        Ok(())
    }

    /// The live session a cookie names, if it belongs to `tenant`.
    pub async fn session(&self, tenant: &str, cookie: Option<&str>) -> Option<Session> {
        let cookie = cookie?;
        let s = self
            .store
            .session(&secret::hash(cookie), self.clock.now())
            .await
            .ok()??;
        (s.tenant == tenant).then_some(s)
    }

    pub async fn logout(&self, cookie: &str) {
        if let Err(e) = self.store.delete_session(&secret::hash(cookie)).await {
            tracing::warn!(error = %e, "cannot delete session");
        }
    }

    /// Where RP-initiated logout may send the browser afterwards: the
    /// client's registered post-logout URI, exactly, with `state`.
    /// Who the sign-out page names: the signed-in user (if any) and the app
    /// that sent them (if it is one of this tenant's).
    pub async fn logout_details(
        &self,
        tenant: &str,
        session: Option<&Session>,
        client_id: Option<&str>,
    ) -> (Option<crate::domain::user::User>, Option<String>) {
        let user = match session {
            Some(s) => self.store.user(&s.user_id).await.ok().flatten(),
            None => None,
        };
        let app = match client_id {
            Some(id) => self
                .directory
                .client(id)
                .await
                .ok()
                .flatten()
                .filter(|c| c.tenant == tenant)
                .map(|c| c.name.clone()),
            None => None,
        };
        (user, app)
    }

    pub async fn post_logout_redirect(
        &self,
        tenant: &str,
        client_id: Option<&str>,
        uri: Option<&str>,
        state: Option<&str>,
    ) -> Option<String> {
        let client = self.directory.client(client_id?).await.ok()??;
        let uri = uri?;
        if client.tenant != tenant || !client.post_logout_redirect_uris.iter().any(|u| u == uri) {
            return None;
        }
        let mut url = url::Url::parse(uri).ok()?;
        if let Some(state) = state {
            url.query_pairs_mut().append_pair("state", state);
        }
        Some(url.to_string())
    }
}
