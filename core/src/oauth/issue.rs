//! The one place every grant type mints an access token, after the tenant's
//! grant-policy plugin (if any) has decided — so no grant can bypass it.

use super::{ErrorCode, OAuth, OAuthError};
use crate::directory::TenantEntry;
use crate::domain::installation::Installation;
use crate::domain::{self, Client, Scope};
use crate::plugins::BoundPlugin;
use crate::plugins::grant_policy::{ClientInfo, DenyCode, GrantDecision, GrantRequest};
use crate::tokens::{b64url, jwt};
use serde::Serialize;

/// What a grant handler decided to issue, before limits and minting.
pub struct Grant<'a> {
    pub tenant: &'a TenantEntry,
    pub client: &'a Client,
    pub grant_type: &'static str,
    pub subject: &'a str,
    pub scope: Scope,
    /// RFC 8707 resources; empty means the tenant's issuer is the audience.
    pub audience: Vec<String>,
    /// RFC 9396 details the client asked for and was granted.
    pub details: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Claims the host sets (an installation's grant); a policy cannot touch them.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// The installation the token is for; the policy sees it.
    pub installation: Option<&'a Installation>,
    /// RFC 9449: the thumbprint of the DPoP key the token is bound to.
    pub jkt: Option<&'a str>,
}

/// A legacy client's notice that its credentials go away.
#[derive(Debug, Clone)]
pub struct Deprecation {
    /// Since when they are deprecated (the warning date).
    pub since: i64,
    /// When they stop working.
    pub sunset_at: i64,
    /// Where to read how to migrate.
    pub link: Option<String>,
}

/// RFC 6749 §5.1 successful response.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// RFC 8693 §2.2.1, for token exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// RFC 9396 §7: what the token carries, when it carries details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<serde_json::Value>,
    /// For a legacy client in the warning phase: the `Deprecation` and
    /// `Sunset` headers to send (RFC 9745, RFC 8594).
    #[serde(skip)]
    pub deprecation: Option<Deprecation>,
    /// The access token's `jti` and `exp`, for revoking it later.
    #[serde(skip)]
    pub jti: String,
    #[serde(skip)]
    pub expires_at: i64,
}

/// A tenant's setting in seconds (never negative) as a duration.
pub(super) fn seconds(s: i64) -> std::time::Duration {
    std::time::Duration::from_secs(s.max(0) as u64)
}

impl OAuth {
    pub(super) async fn issue_access_token(
        &self,
        grant: Grant<'_>,
    ) -> Result<TokenResponse, OAuthError> {
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
            grant.audience.clone()
        };
        let (scope, mut extra, ttl) = match &grant.tenant.grant_policy {
            Some(policy) => {
                self.grant_policy(&grant, policy, &audience, ttl, now)
                    .await?
            }
            None => (grant.scope.clone(), serde_json::Map::new(), ttl),
        };
        extra.extend(grant.claims);
        if !grant.details.is_empty() {
            extra.insert(
                "authorization_details".into(),
                serde_json::Value::from(grant.details.clone()),
            );
        }
        if let Some(jkt) = grant.jkt {
            extra.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
        }
        let jti = b64url(&rand::random::<[u8; 16]>());
        let scope = scope.to_string();
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
            token_type: if grant.jkt.is_some() {
                "DPoP"
            } else {
                "Bearer"
            },
            expires_in: ttl,
            scope,
            issued_token_type: None,
            refresh_token: None,
            id_token: None,
            authorization_details: extra.get("authorization_details").cloned(),
            expires_at: now + ttl,
            deprecation: None,
            jti,
        })
    }

    /// The tenant's grant policy decides the scope, extra claims and lifetime;
    /// when it cannot decide, the grant fails closed.
    async fn grant_policy(
        &self,
        grant: &Grant<'_>,
        policy: &BoundPlugin,
        audience: &[String],
        ttl: i64,
        now: i64,
    ) -> Result<(Scope, serde_json::Map<String, serde_json::Value>, i64), OAuthError> {
        let request = GrantRequest {
            tenant: grant.tenant.tenant.slug.clone(),
            client: ClientInfo {
                id: grant.client.client_id.clone(),
                name: grant.client.name.clone(),
                metadata: grant.client.metadata.clone(),
            },
            grant_type: grant.grant_type.to_string(),
            subject: grant.subject.to_string(),
            requested_scopes: grant.scope.iter().map(str::to_string).collect(),
            allowed_scopes: grant.client.scopes.iter().map(str::to_string).collect(),
            audience: audience.to_vec(),
            lifetime_seconds: ttl.clamp(0, u32::MAX as i64) as u32,
            request_time: now,
            installation: grant.installation.map(Into::into),
            authorization_details: grant
                .details
                .iter()
                .cloned()
                .map(serde_json::Value::Object)
                .collect(),
        };
        let state = grant.installation.map(Into::into);
        let cap = grant.tenant.tenant.decision_cache_max_seconds.map(seconds);
        let decided = self
            .plugins
            .decide_grant(policy, &request, state, cap)
            .await;
        if let (Ok((_, true)), Some(i)) = (&decided, grant.installation) {
            self.usage.decision_reused(&i.id);
        }
        match decided.map(|(decision, _)| decision) {
            Ok(GrantDecision::Allow {
                scopes,
                claims,
                lifetime_seconds,
            }) => Ok((
                Scope::from_valid(scopes),
                claims,
                i64::from(lifetime_seconds).max(1),
            )),
            Ok(GrantDecision::Deny {
                error,
                error_description,
            }) => {
                let code = match error {
                    DenyCode::InvalidScope => ErrorCode::InvalidScope,
                    DenyCode::AccessDenied => ErrorCode::AccessDenied,
                    DenyCode::UnauthorizedClient => ErrorCode::UnauthorizedClient,
                    DenyCode::InvalidGrant => ErrorCode::InvalidGrant,
                };
                Err(OAuthError::new(code, error_description))
            }
            Err(e) => {
                self.plugins
                    .record_failure(crate::plugins::Hook::GrantPolicy, e.kind());
                tracing::error!(
                    plugin = %format!("{}@{}", policy.name, policy.version),
                    sha256 = %policy.plugin.sha256,
                    tenant = %grant.tenant.tenant.slug,
                    kind = e.kind(),
                    reason = %e,
                    "grant policy failed closed"
                );
                Err(OAuthError::new(
                    ErrorCode::ServerError,
                    "the tenant's grant policy could not decide; the request was refused",
                ))
            }
        }
    }
}
