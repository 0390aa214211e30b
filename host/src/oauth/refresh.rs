//! RFC 6749 §6 refresh tokens, rotated on every use (RFC 9700 §4.14.2):
//! each use spends the token and issues its successor in the same family;
//! presenting a spent token revokes the family. Scopes can only shrink.
//! Idle and absolute lifetimes come from the tenant (or configuration).

use super::issue::{Grant, TokenResponse};
use super::{ErrorCode, OAuth, OAuthError, id_token};
use crate::directory::TenantEntry;
use crate::domain::{Client, Scope};
use crate::store::{RefreshToken, Rotation};
use crate::tokens::{b64url, random_bytes, secret};

/// Prefix of refresh tokens, for secret scanners.
const PREFIX: &str = "wrt_";
/// A second use this soon after the first is a client racing itself (two
/// tabs, a retry): it fails, but does not revoke the family the first use
/// continued. Any later reuse is treated as theft.
const REUSE_GRACE: i64 = 1;

/// Issues a refresh token into `response`: a new family, or the next token
/// of `family` (id, absolute expiry). Returns the family id.
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    user_id: &str,
    scope: &Scope,
    auth_time: i64,
    family: Option<(String, i64)>,
    response: &mut TokenResponse,
) -> Result<String, OAuthError> {
    let now = oauth.clock.now();
    let t = &tenant.tenant;
    let idle = t.refresh_idle_ttl.unwrap_or(oauth.lifetimes.refresh_idle_ttl);
    let (family_id, family_expires_at) = family.unwrap_or_else(|| {
        let absolute = t.refresh_absolute_ttl.unwrap_or(oauth.lifetimes.refresh_absolute_ttl);
        (format!("fam_{}", b64url(&random_bytes::<16>(&oauth.rng))), now + absolute)
    });
    let token = secret::generate(PREFIX, &oauth.rng);
    let row = RefreshToken {
        token_hash: secret::hash(&token).to_vec(),
        family_id: family_id.clone(),
        tenant: t.slug.clone(),
        client_id: client.client_id.clone(),
        user_id: user_id.to_string(),
        scopes: scope.to_string(),
        auth_time,
        created_at: now,
        expires_at: (now + idle).min(family_expires_at),
        family_expires_at,
        used_at: None,
    };
    if !oauth.store.create_refresh_token(&row).await? {
        return Err(OAuthError::new(ErrorCode::InvalidGrant, "the refresh token's grant was revoked"));
    }
    response.refresh_token = Some(token);
    Ok(family_id)
}

pub async fn grant(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    presented: &str,
    requested: Option<Scope>,
) -> Result<TokenResponse, OAuthError> {
    let invalid = |d: &'static str| OAuthError::new(ErrorCode::InvalidGrant, d);
    if !client.allows_grant("refresh_token") {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "this client may not use the refresh_token grant"));
    }
    let now = oauth.clock.now();
    let spent = match oauth.store.rotate_refresh_token(&secret::hash(presented), now).await? {
        Rotation::Fresh(t) => t,
        Rotation::Reused(t) if t.used_at.is_some_and(|u| now - u <= REUSE_GRACE) && t.expires_at > 0 => {
            return Err(invalid("the refresh token was already used"));
        }
        Rotation::Reused(t) => {
            oauth.store.revoke_refresh_family(&t.family_id).await?;
            tracing::warn!(client_id = %t.client_id, tenant = %t.tenant, family = %t.family_id, "refresh token reused; family revoked");
            return Err(invalid("the refresh token was already used; its whole grant has been revoked"));
        }
        Rotation::Unknown => return Err(invalid("the refresh token is invalid")),
    };
    if spent.tenant != tenant.tenant.slug || spent.client_id != client.client_id {
        // Spent now, as a stolen token should be.
        oauth.store.revoke_refresh_family(&spent.family_id).await?;
        return Err(invalid("the refresh token was issued to another client"));
    }
    if spent.expires_at <= now || spent.family_expires_at <= now {
        return Err(invalid("the refresh token has expired"));
    }
    let original = Scope::parse(&spent.scopes).map_err(|_| OAuthError::server_error())?;
    let scope = match requested {
        None => original,
        Some(s) if s.is_subset_of(&original) => s,
        Some(_) => return Err(OAuthError::new(ErrorCode::InvalidScope, "a refresh can only keep or narrow the original scope")),
    };
    let user = oauth.store.user(&spent.user_id).await?.ok_or_else(|| invalid("the user no longer exists"))?;
    let mut response = oauth
        .issue_access_token(Grant { tenant, client, grant_type: "refresh_token", subject: &user.id, scope, audience: vec![] })
        .await?;
    // The successor carries what was actually granted, so a policy that
    // narrowed this response narrows the rest of the family too.
    let granted = Scope::parse(&response.scope).unwrap_or_default();
    issue(oauth, tenant, client, &user.id, &granted, spent.auth_time, Some((spent.family_id, spent.family_expires_at)), &mut response).await?;
    id_token::add(oauth, tenant, client, &user, &granted, spent.auth_time, None, &mut response);
    Ok(response)
}
