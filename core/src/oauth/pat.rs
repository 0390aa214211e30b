//! Personal access tokens (DataLoop's model): a logged-in user makes a named,
//! scoped, expiring token for a script; it is shown once and stored as a
//! hash. A script trades it for a short-lived access token with RFC 8693
//! token exchange, through the grant policy like every grant. A PAT never
//! carries administrative scopes, even when its owner is an admin.

use super::issue::{Grant, TokenResponse};
use super::{ErrorCode, OAuth, OAuthError};
use crate::directory::TenantEntry;
use crate::domain::{Client, Scope, is_administrative};
use crate::store::{PersonalAccessToken, Session, StoreError};
use crate::tokens::{b64url, random_bytes, secret};

/// The `subject_token_type` for personal access tokens (documented, and
/// advertised in discovery as `warden_pat_token_type`).
pub const PAT_TOKEN_TYPE: &str = "urn:warden:params:oauth:token-type:personal-access-token";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const PREFIX: &str = "wpat_";
/// Scopes that belong to OpenID Connect sign-in, not to a script.
const SIGN_IN_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

#[derive(Debug, thiserror::Error)]
pub enum PatError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OAuth {
    /// Scopes a user may put in a personal access token: the tenant's
    /// described scopes, without sign-in and administrative ones.
    pub async fn pat_scopes(&self, tenant: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .store
            .scope_descriptions(tenant)
            .await?
            .into_iter()
            .filter(|(s, _)| !is_administrative(s) && !SIGN_IN_SCOPES.contains(&s.as_str()))
            .collect())
    }

    /// Creates a token for the session's user; returns it with its secret,
    /// the only time the secret exists outside the user's hands.
    pub async fn create_pat(
        &self,
        session: &Session,
        name: &str,
        scopes: &str,
        days: i64,
    ) -> Result<(PersonalAccessToken, String), PatError> {
        let tenant = self
            .tenant(&session.tenant)
            .await
            .map_err(|_| PatError::Invalid("no such tenant".into()))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(PatError::Invalid(
                "Give the token a name of 1-100 characters.".into(),
            ));
        }
        let scope = Scope::parse(scopes).map_err(|e| PatError::Invalid(e.to_string()))?;
        if scope.is_empty() {
            return Err(PatError::Invalid("Choose at least one scope.".into()));
        }
        if let Some(s) = scope.iter().find(|s| is_administrative(s)) {
            return Err(PatError::Invalid(format!(
                "Personal access tokens never carry administrative scopes ({s})."
            )));
        }
        let offered: Vec<String> = self
            .pat_scopes(&session.tenant)
            .await?
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        if let Some(s) = scope.iter().find(|s| !offered.iter().any(|o| o == s)) {
            return Err(PatError::Invalid(format!(
                "The scope {s} is not available for personal access tokens."
            )));
        }
        let now = self.clock.now();
        let max = tenant
            .tenant
            .pat_max_ttl
            .unwrap_or(self.lifetimes.pat_max_ttl);
        let ttl = days
            .checked_mul(86_400)
            .filter(|t| *t > 0)
            .ok_or_else(|| PatError::Invalid("The expiry must be at least one day.".into()))?;
        if ttl > max {
            return Err(PatError::Invalid(format!(
                "The expiry can be at most {} days.",
                max / 86_400
            )));
        }
        let token = secret::generate(PREFIX, &self.rng);
        let pat = PersonalAccessToken {
            id: format!("pat_{}", b64url(&random_bytes::<12>(&self.rng))),
            tenant: session.tenant.clone(),
            user_id: session.user_id.clone(),
            name: name.to_string(),
            token_hash: secret::hash(&token).to_vec(),
            scopes: scope.to_string(),
            created_at: now,
            expires_at: now + ttl,
            last_used_at: None,
        };
        self.store.create_pat(&pat).await?;
        tracing::info!(tenant = %pat.tenant, user = %pat.user_id, pat = %pat.id, "personal access token created");
        Ok((pat, token))
    }
}

/// RFC 8693 token exchange: a PAT for an access token of its owner.
pub async fn exchange(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    subject_token: &str,
    subject_token_type: &str,
    requested: Option<Scope>,
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
    if !client.allows_grant(GRANT) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use token exchange",
        ));
    }
    if subject_token_type != PAT_TOKEN_TYPE {
        return Err(OAuthError::invalid_request(format!(
            "subject_token_type must be {PAT_TOKEN_TYPE}"
        )));
    }
    let now = oauth.clock.now();
    let invalid = || {
        OAuthError::new(
            ErrorCode::InvalidGrant,
            "the personal access token is invalid, expired or revoked",
        )
    };
    let pat = oauth
        .store
        .use_pat(&secret::hash(subject_token), now)
        .await?
        .ok_or_else(invalid)?;
    if pat.tenant != tenant.tenant.slug || pat.expires_at <= now {
        return Err(invalid());
    }
    let granted = Scope::parse(&pat.scopes).map_err(|_| OAuthError::server_error())?;
    let scope = match requested {
        None => granted,
        Some(s) if s.is_subset_of(&granted) => s,
        Some(_) => {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "the requested scope exceeds the personal access token's",
            ));
        }
    };
    // Defence in depth: whatever was stored, no administrative scope leaves here.
    let scope = Scope::from_valid(
        scope
            .iter()
            .filter(|s| !is_administrative(s))
            .map(str::to_string),
    );
    let user = oauth.store.user(&pat.user_id).await?.ok_or_else(invalid)?;
    let mut response = oauth
        .issue_access_token(Grant {
            tenant,
            client,
            grant_type: GRANT,
            subject: &user.id,
            scope,
            audience: vec![],
            details: vec![],
            claims: Default::default(),
            installation: None,
            jkt,
        })
        .await?;
    response.issued_token_type = Some(ACCESS_TOKEN_TYPE);
    Ok(response)
}
