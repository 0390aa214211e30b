//! The one place every grant type mints an access token. (The grant-policy
//! plugin hook belongs here, so no grant can bypass it.)

use super::{OAuth, OAuthError};
use crate::directory::TenantEntry;
use crate::domain::{self, Client, Scope};
use crate::tokens::{b64url, jwt};
use serde::Serialize;

/// What a grant handler decided to issue, before limits and minting.
pub struct Grant<'a> {
    pub tenant: &'a TenantEntry,
    pub client: &'a Client,
    #[allow(dead_code)] // for the grant-policy hook
    pub grant_type: &'static str,
    pub subject: &'a str,
    pub scope: Scope,
    /// RFC 8707 resources; empty means the tenant's issuer is the audience.
    pub audience: Vec<String>,
}

/// RFC 6749 §5.1 successful response.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

impl OAuth {
    pub(super) fn issue_access_token(&self, grant: Grant<'_>) -> Result<TokenResponse, OAuthError> {
        let now = self.clock.now();
        let ttl = domain::access_token_ttl(
            self.lifetimes.default_access_token_ttl,
            self.lifetimes.max_access_token_ttl,
            &grant.tenant.tenant,
            grant.client,
        );
        let audience = if grant.audience.is_empty() {
            vec![grant.tenant.issuer.clone()]
        } else {
            grant.audience
        };
        // A user-space CSPRNG (ChaCha, OS-seeded): no syscall per token.
        let jti = b64url(&rand::random::<[u8; 16]>());
        let scope = grant.scope.to_string();
        let extra = serde_json::Map::new();
        let claims = jwt::AccessClaims {
            iss: &grant.tenant.issuer,
            sub: grant.subject,
            aud: &audience,
            exp: now + ttl,
            iat: now,
            jti: &jti,
            client_id: &grant.client.client_id,
            scope: &scope,
            extra: &extra,
        };
        Ok(TokenResponse {
            access_token: jwt::mint(&grant.tenant.active, &claims, &self.rng),
            token_type: "Bearer",
            expires_in: ttl,
            scope,
        })
    }
}
