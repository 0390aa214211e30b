//! RFC 6749 §6 refresh tokens, rotated on every use (RFC 9700 §4.14.2):
//! each use spends the token and issues its successor in the same family;
//! presenting a spent token revokes the family. Scopes can only shrink.
//! Idle and absolute lifetimes come from the tenant (or configuration).

use super::issue::{Grant, TokenResponse};
use super::target::Target;
use super::{ErrorCode, OAuth, OAuthError, id_token};
use crate::directory::TenantEntry;
use crate::domain::{Client, Scope};
use crate::store::RefreshToken;
use crate::tokens::{b64url, random_bytes, secret};

/// Prefix of refresh tokens, for secret scanners.
pub(super) const PREFIX: &str = "wrt_";
/// A second use this soon after the first is a client racing itself (two
/// tabs, a retry): it fails, but does not revoke the family the first use
/// continued. Any later reuse is treated as theft.
const REUSE_GRACE_MS: i64 = 1000;

/// A refresh token for `response`: the first of a new family, or the
/// successor in `family` (id, absolute expiry), issued beside the access
/// token already in `response`. Returns the row to store.
#[allow(clippy::too_many_arguments)]
fn mint(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    user_id: &str,
    scope: &Scope,
    auth_time: i64,
    family: Option<(String, i64)>,
    response: &mut TokenResponse,
) -> RefreshToken {
    let now_ms = oauth.clock.now_ms();
    let now = now_ms.div_euclid(1000);
    let t = &tenant.tenant;
    let idle = t
        .refresh_idle_ttl
        .unwrap_or(oauth.lifetimes.refresh_idle_ttl);
    let (family_id, family_expires_at) = family.unwrap_or_else(|| {
        let absolute = t
            .refresh_absolute_ttl
            .unwrap_or(oauth.lifetimes.refresh_absolute_ttl);
        (
            format!("fam_{}", b64url(&random_bytes::<16>(&oauth.rng))),
            now + absolute,
        )
    });
    let token = secret::generate(PREFIX, &oauth.rng);
    let row = RefreshToken {
        token_hash: secret::hash(&token).to_vec(),
        family_id,
        tenant: t.slug.clone(),
        client_id: client.client_id.clone(),
        user_id: user_id.to_string(),
        scopes: scope.to_string(),
        auth_time,
        created_at: now,
        created_ms: now_ms,
        expires_at: (now + idle).min(family_expires_at),
        family_expires_at,
        access_jti: Some(response.jti.clone()),
        access_expires_at: Some(response.expires_at),
        spent_at_ms: None,
        family_details: None,
        family_resources: None,
    };
    response.refresh_token = Some(token);
    row
}

/// A fresh grant, as its refresh-token family keeps it.
pub struct Granted<'a> {
    pub user_id: &'a str,
    pub scope: &'a Scope,
    pub auth_time: i64,
    /// Resources and details: every refresh carries them.
    pub target: &'a Target,
}

/// Starts a refresh-token family for a fresh grant; returns the family id.
pub async fn issue(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    granted: Granted<'_>,
    jkt: Option<&str>,
    response: &mut TokenResponse,
) -> Result<String, OAuthError> {
    let row = mint(
        oauth,
        tenant,
        client,
        granted.user_id,
        granted.scope,
        granted.auth_time,
        None,
        response,
    );
    oauth.store.create_refresh_token(&row).await?;
    if !granted.target.is_empty() {
        let (details, resources) = granted.target.stored();
        oauth
            .store
            .start_family_target(&row.family_id, details.as_deref(), &resources)
            .await?;
    }
    // RFC 9449 §5: a public client's refresh tokens are bound to its DPoP
    // key (a confidential client's are bound by its authentication).
    if let (true, Some(jkt)) = (client.public, jkt) {
        oauth.store.bind_refresh_family(&row.family_id, jkt).await?;
    }
    Ok(row.family_id)
}

pub async fn grant(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    presented: &str,
    requested: Option<Scope>,
    resources: &[String],
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    if !client.allows_grant("refresh_token") {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the refresh_token grant",
        ));
    }
    let now_ms = oauth.clock.now_ms();
    let hash = secret::hash(presented);
    let current = spendable(oauth, tenant, client, &hash, now_ms).await?;
    check_family_key(oauth, client, &current.family_id, jkt).await?;
    let scope = narrowed(&current.scopes, requested)?;
    let target = Target::from_stored(
        current.family_details.as_deref(),
        current.family_resources.as_deref().unwrap_or_default(),
    );
    // Deleting a user revokes their refresh tokens, so the subject exists.
    let mut response = oauth
        .issue_access_token(Grant {
            tenant,
            client,
            grant_type: "refresh_token",
            subject: &current.user_id,
            scope,
            audience: target.audience(resources)?,
            details: target.details,
            claims: Default::default(),
            installation: None,
            jkt,
        })
        .await?;
    // The successor carries what was actually granted, so a policy that
    // narrowed this response narrows the rest of the family too.
    let granted = Scope::parse(&response.scope).unwrap_or_default();
    let family = Some((current.family_id.clone(), current.family_expires_at));
    let successor = mint(
        oauth,
        tenant,
        client,
        &current.user_id,
        &granted,
        current.auth_time,
        family,
        &mut response,
    );
    // Spend and replace atomically; losing a race means another request won.
    if !oauth.store.rotate_refresh_token(&hash, successor).await? {
        return Err(invalid("the refresh token was already used"));
    }
    if granted.iter().any(|s| s == "openid") {
        let user = oauth
            .store
            .user(&current.user_id)
            .await?
            .ok_or_else(|| invalid("the user no longer exists"))?;
        id_token::add(
            oauth,
            tenant,
            client,
            &user,
            &granted,
            current.auth_time,
            None,
            &mut response,
        );
    }
    Ok(response)
}

/// RFC 6749 §6: a refresh keeps or narrows the family's scope.
fn narrowed(original: &str, requested: Option<Scope>) -> Result<Scope, OAuthError> {
    let original = Scope::parse(original).map_err(|_| OAuthError::server_error())?;
    match requested {
        None => Ok(original),
        Some(s) if s.is_subset_of(&original) => Ok(s),
        Some(_) => Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "a refresh can only keep or narrow the original scope",
        )),
    }
}

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

/// The presented token, if it may be spent now. A token spent before (past a
/// short grace for a client's retry) or presented by another client was
/// stolen: its whole family is revoked.
async fn spendable(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    hash: &[u8],
    now_ms: i64,
) -> Result<RefreshToken, OAuthError> {
    let now = now_ms.div_euclid(1000);
    let current = oauth
        .store
        .refresh_token(&hash)
        .await?
        .ok_or_else(|| invalid("the refresh token is invalid"))?;
    if let Some(spent) = current.spent_at_ms {
        if now_ms - spent <= REUSE_GRACE_MS && current.expires_at > 0 {
            return Err(invalid("the refresh token was already used"));
        }
        oauth
            .store
            .revoke_refresh_family(&current.family_id, now)
            .await?;
        tracing::warn!(client_id = %current.client_id, tenant = %current.tenant, family = %current.family_id, "refresh token reused; family revoked");
        return Err(invalid(
            "the refresh token was already used; its whole grant has been revoked",
        ));
    }
    if current.tenant != tenant.tenant.slug || current.client_id != client.client_id {
        // A stolen token presented elsewhere: end its grant.
        oauth
            .store
            .revoke_refresh_family(&current.family_id, now)
            .await?;
        return Err(invalid("the refresh token was issued to another client"));
    }
    if current.expires_at <= now || current.family_expires_at <= now {
        return Err(invalid("the refresh token has expired"));
    }
    Ok(current)
}

/// RFC 9449 §5: a public client's bound family refreshes only with a proof
/// by its key (a refusal spends nothing: the owner can still refresh).
async fn check_family_key(
    oauth: &OAuth,
    client: &Client,
    family_id: &str,
    jkt: Option<&str>,
) -> Result<(), OAuthError> {
    if client.public
        && let Some(bound) = oauth.store.refresh_family_key(family_id).await?
        && jkt != Some(bound.as_str())
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidGrant,
            "this refresh token is bound to a DPoP key: send a DPoP proof signed with that key",
        ));
    }
    Ok(())
}
