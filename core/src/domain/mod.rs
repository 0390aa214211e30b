//! Tenants, clients and the rules about them: plain types, no I/O.

pub mod admin_scope;
pub mod authorization_details;
pub mod client_metadata;
pub mod hook;
pub mod installation;
pub mod legacy;
pub mod manifest;
pub mod markdown;
mod redirect;
pub mod resource_server;
mod scope;
pub mod settings;
pub mod user;
pub use redirect::{RedirectUri, validate_redirect_uri};
pub use scope::{Scope, describe as describe_scopes, grantable_to, is_administrative};

use serde::Serialize;
use std::fmt;

/// JWS algorithm a tenant signs access tokens with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SigningAlg {
    ES256,
    EdDSA,
    RS256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
            SigningAlg::RS256 => "RS256",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "ES256" => Ok(SigningAlg::ES256),
            "EdDSA" => Ok(SigningAlg::EdDSA),
            "RS256" => Ok(SigningAlg::RS256),
            other => Err(format!(
                "unknown signing algorithm {other:?} (expected ES256, EdDSA or RS256)"
            )),
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tenant is its own issuer: `{public_url}/t/{slug}`.
#[derive(Clone, Debug, Serialize)]
pub struct Tenant {
    pub slug: String,
    pub signing_alg: SigningAlg,
    /// Overrides the configured default access-token lifetime, in seconds.
    pub access_token_ttl: Option<i64>,
    /// Overrides the configured maximum access-token lifetime, in seconds.
    pub max_access_token_ttl: Option<i64>,
    pub created_at: i64,
    /// Refresh tokens die after this long unused, and this long after login
    /// whatever happens (seconds); `None` takes the configured defaults.
    pub refresh_idle_ttl: Option<i64>,
    pub refresh_absolute_ttl: Option<i64>,
    /// The longest a personal access token may live.
    pub pat_max_ttl: Option<i64>,
    /// The longest the host reuses a plugin's decision (`cache-for`), in
    /// seconds; `None` takes the operator's default, 0 reuses nothing.
    pub decision_cache_max_seconds: Option<i64>,
    /// RFC 7591: clients may register themselves at `{issuer}/register`.
    pub dynamic_registration: bool,
    /// An https `client_id` names the client's metadata document.
    pub client_id_metadata_documents: bool,
}

/// Tenant slugs appear in URLs and issuers: keep them boring.
pub fn validate_slug(slug: &str) -> Result<(), String> {
    let ok_len = (1..=63).contains(&slug.len());
    let ok_chars = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_edges = !slug.starts_with('-') && !slug.ends_with('-');
    if ok_len && ok_chars && ok_edges {
        Ok(())
    } else {
        Err(format!(
            "invalid tenant slug {slug:?}: use 1-63 lowercase letters, digits and inner hyphens"
        ))
    }
}

/// Grant types a client may be allowed. Only what the server implements.
/// The longest access token lifetime anything may set: 365 days.
pub const MAX_TOKEN_TTL: i64 = 365 * 86_400;

pub const SUPPORTED_GRANT_TYPES: &[&str] = &[
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:grant-type:device_code",
];

/// A registered OAuth client. Secrets are held only as SHA-256 hashes.
#[derive(Clone)]
pub struct Client {
    pub client_id: String,
    pub tenant: String,
    pub name: String,
    pub grant_types: Vec<String>,
    /// Every scope the client may be granted.
    pub scopes: Scope,
    /// Granted when a request names no scope.
    pub default_scopes: Scope,
    /// RFC 8707 resource indicators the client may ask for; empty means any.
    pub resources: Vec<String>,
    pub access_token_ttl: Option<i64>,
    pub secret_hash: [u8; 32],
    /// The secret replaced by the last rotation, valid until `previous_secret_expires_at`.
    pub previous_secret_hash: Option<[u8; 32]>,
    pub previous_secret_expires_at: Option<i64>,
    pub metadata: serde_json::Value,
    pub created_at: i64,
    /// Where the authorization endpoint may send the user back (exact match,
    /// except RFC 8252 loopback ports).
    pub redirect_uris: Vec<String>,
    /// A native app or SPA: no secret, PKCE mandatory.
    pub public: bool,
    pub post_logout_redirect_uris: Vec<String>,
    /// The installation whose push credentials this client is, if any.
    pub installation: Option<String>,
    /// Registered public keys (a JWK Set): the client authenticates with
    /// `private_key_jwt` and has no secret.
    pub jwks: Option<serde_json::Value>,
    /// RFC 9126 §6: authorization requests only by `request_uri` from `/par`.
    pub require_pushed_authorization_requests: bool,
    /// RFC 9449 §5.2: every access token DPoP-bound (a proof at each request).
    pub dpop_bound_access_tokens: bool,
    /// RFC 9396 §10: the `authorization_details` types it may ask for.
    pub authorization_details_types: Vec<String>,
    /// `dynamic` when it registered itself (RFC 7591); none when an
    /// operator or an app's install made it.
    pub registration: Option<String>,
    /// The SHA-256 of its RFC 7592 registration access token.
    pub registration_token_hash: Option<[u8; 32]>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("tenant", &self.tenant)
            .field("name", &self.name)
            .field("grant_types", &self.grant_types)
            .field("scopes", &self.scopes)
            .field("secret_hash", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }
}

/// What an operator asks for when registering a client.
#[derive(Clone, Debug)]
pub struct NewClient {
    pub tenant: String,
    pub name: String,
    pub grant_types: Vec<String>,
    pub scopes: Scope,
    pub default_scopes: Option<Scope>,
    pub resources: Vec<String>,
    pub access_token_ttl: Option<i64>,
    pub metadata: serde_json::Value,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    /// Public keys for `private_key_jwt` instead of a secret.
    pub jwks: Option<serde_json::Value>,
    pub require_pushed_authorization_requests: bool,
    pub dpop_bound_access_tokens: bool,
    pub authorization_details_types: Vec<String>,
}

impl NewClient {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("client name must not be empty".into());
        }
        for uri in self
            .redirect_uris
            .iter()
            .chain(&self.post_logout_redirect_uris)
        {
            validate_redirect_uri(uri)?;
        }
        if self.grant_types.iter().any(|g| g == "authorization_code")
            && self.redirect_uris.is_empty()
        {
            return Err(
                "a client using authorization_code needs at least one --redirect-uri".into(),
            );
        }
        if let Some(jwks) = &self.jwks {
            if self.public {
                return Err("a public client proves nothing: it cannot register keys".into());
            }
            manifest::validate_jwks(jwks).map_err(|e| e.to_string())?;
            if !manifest::has_signing_key(jwks) {
                return Err(
                    "jwks needs a public signing key (\"use\": \"sig\") for private_key_jwt".into(),
                );
            }
        }
        if self.require_pushed_authorization_requests
            && !self.grant_types.iter().any(|g| g == "authorization_code")
        {
            return Err(
                "require_pushed_authorization_requests is for clients of the authorization_code grant"
                    .into(),
            );
        }
        if self.public && self.grant_types.iter().any(|g| g == "client_credentials") {
            return Err(
                "a public client has no secret, so it cannot use client_credentials".into(),
            );
        }
        if self.grant_types.is_empty() {
            return Err("a client needs at least one grant type".into());
        }
        for g in &self.grant_types {
            if !SUPPORTED_GRANT_TYPES.contains(&g.as_str()) {
                return Err(format!(
                    "unsupported grant type {g:?} (supported: {})",
                    SUPPORTED_GRANT_TYPES.join(", ")
                ));
            }
        }
        if let Some(d) = &self.default_scopes
            && !d.is_subset_of(&self.scopes)
        {
            return Err("default scopes must be a subset of the client's scopes".into());
        }
        for r in &self.resources {
            validate_resource(r)?;
        }
        if let Some(ttl) = self.access_token_ttl
            && !(1..=MAX_TOKEN_TTL).contains(&ttl)
        {
            return Err(format!(
                "access token lifetime must be between 1 and {MAX_TOKEN_TTL} seconds (365 days)"
            ));
        }
        Ok(())
    }
}

/// RFC 8707 §2: an absolute URI without a fragment.
pub fn validate_resource(r: &str) -> Result<(), String> {
    match url::Url::parse(r) {
        Ok(u) if u.fragment().is_none() && !u.cannot_be_a_base() => Ok(()),
        _ => Err(format!(
            "resource {r:?} must be an absolute URI without a fragment"
        )),
    }
}

/// The lifetime a token gets: the most specific setting, never above the maximum.
pub fn access_token_ttl(
    configured_default: i64,
    configured_max: i64,
    tenant: &Tenant,
    client: &Client,
) -> i64 {
    let max = tenant.max_access_token_ttl.unwrap_or(configured_max);
    let wanted = client
        .access_token_ttl
        .or(tenant.access_token_ttl)
        .unwrap_or(configured_default);
    wanted.min(max).max(1)
}

/// The longest an access token of this tenant can live: how long a retired
/// signing key must stay published.
pub fn max_access_token_ttl(configured_max: i64, tenant: &Tenant) -> i64 {
    tenant.max_access_token_ttl.unwrap_or(configured_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(ttl: Option<i64>, max: Option<i64>) -> Tenant {
        Tenant {
            slug: "t".into(),
            signing_alg: SigningAlg::ES256,
            access_token_ttl: ttl,
            max_access_token_ttl: max,
            created_at: 0,
            refresh_idle_ttl: None,
            refresh_absolute_ttl: None,
            pat_max_ttl: None,
            decision_cache_max_seconds: None,
            dynamic_registration: false,
            client_id_metadata_documents: false,
        }
    }

    fn client(ttl: Option<i64>) -> Client {
        Client {
            client_id: "c".into(),
            tenant: "t".into(),
            name: "n".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: Scope::parse("a").unwrap(),
            default_scopes: Scope::parse("a").unwrap(),
            resources: vec![],
            access_token_ttl: ttl,
            secret_hash: [7; 32],
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            metadata: serde_json::json!({}),
            created_at: 0,
            redirect_uris: vec![],
            public: false,
            post_logout_redirect_uris: vec![],
            installation: None,
            jwks: None,
            require_pushed_authorization_requests: false,
            dpop_bound_access_tokens: false,
            authorization_details_types: vec![],
            registration: None,
            registration_token_hash: None,
        }
    }

    #[test]
    fn lifetime_prefers_client_then_tenant_then_config_and_caps_at_max() {
        assert_eq!(
            access_token_ttl(3600, 86400, &tenant(None, None), &client(None)),
            3600
        );
        assert_eq!(
            access_token_ttl(3600, 86400, &tenant(Some(600), None), &client(None)),
            600
        );
        assert_eq!(
            access_token_ttl(3600, 86400, &tenant(Some(600), None), &client(Some(60))),
            60
        );
        assert_eq!(
            access_token_ttl(3600, 86400, &tenant(None, Some(120)), &client(Some(600))),
            120
        );
        assert_eq!(
            access_token_ttl(3600, 1800, &tenant(None, None), &client(None)),
            1800
        );
    }

    #[test]
    fn debug_never_prints_the_secret_hash() {
        let printed = format!("{:?}", client(None));
        assert!(printed.contains("<redacted>"));
        assert!(!printed.contains("[7, 7"));
    }

    #[test]
    fn slugs() {
        assert!(validate_slug("acme-1").is_ok());
        for bad in ["", "-a", "a-", "A", "a/b", "a b", &"x".repeat(64)] {
            assert!(validate_slug(bad).is_err(), "{bad:?}");
        }
    }
}
