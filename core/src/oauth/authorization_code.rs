//! RFC 6749 §4.1.3: redeem an authorization code, once, with the redirect URI
//! and PKCE verifier it was issued for. A second redemption is treated as a
//! stolen code: it fails and the access token the first one got is revoked.

use super::authorize::is_pkce_verifier;
use super::issue::{Grant, TokenResponse};
use super::target::Target;
use super::{ErrorCode, OAuth, OAuthError};
use super::{id_token, refresh};
use crate::directory::TenantEntry;
use crate::domain::{Client, Scope, is_administrative};
use crate::store::{AuthorizationCode, Redemption};
use crate::tokens::{b64url, secret};

/// What the client sends to redeem a code.
pub struct Redeemed<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    /// RFC 8707: fewer of the granted resources, for this access token.
    pub resources: &'a [String],
}

pub async fn grant(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    redeemed: Redeemed<'_>,
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    if !client.allows_grant("authorization_code") {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization_code grant",
        ));
    }
    let now = oauth.clock.now();
    let hash = secret::hash(redeemed.code);
    let issued = redeem_once(oauth, &hash, now).await?;
    if issued.tenant != tenant.tenant.slug || issued.client_id != client.client_id {
        return Err(invalid(
            "the authorization code was issued to another client",
        ));
    }
    if issued.expires_at <= now {
        return Err(invalid("the authorization code has expired"));
    }
    check_redirect_uri(client, &issued, redeemed.redirect_uri)?;
    check_pkce(issued.code_challenge.as_deref(), redeemed.code_verifier)?;
    let user = oauth
        .store
        .user(&issued.user_id)
        .await?
        .ok_or_else(|| invalid("the user no longer exists"))?;
    let scope = Scope::parse(&issued.scopes).map_err(|_| OAuthError::server_error())?;
    let target = Target::from_stored(issued.authorization_details.as_deref(), &issued.resources);
    let mut response = oauth
        .issue_access_token(Grant {
            tenant,
            client,
            grant_type: "authorization_code",
            subject: &user.id,
            scope: within_role(scope, user.is_admin),
            audience: target.audience(redeemed.resources)?,
            details: target.details.clone(),
            claims: Default::default(),
            installation: None,
            jkt,
        })
        .await?;
    let granted = Scope::parse(&response.scope).unwrap_or_default();
    let granted_now = refresh::Granted {
        user_id: &user.id,
        scope: &granted,
        auth_time: issued.auth_time,
        target: &target,
    };
    let family = match client.allows_grant("refresh_token") {
        true => Some(refresh::issue(oauth, tenant, client, granted_now, jkt, &mut response).await?),
        false => None,
    };
    oauth
        .store
        .record_code_tokens(&hash, &response.jti, response.expires_at, family.as_deref())
        .await?;
    id_token::add(
        oauth,
        tenant,
        client,
        &user,
        &granted,
        issued.auth_time,
        issued.nonce.as_deref(),
        &mut response,
    );
    Ok(response)
}

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

/// A code redeemed twice was stolen: revoke what its first redemption issued.
async fn redeem_once(
    oauth: &OAuth,
    hash: &[u8],
    now: i64,
) -> Result<AuthorizationCode, OAuthError> {
    match oauth.store.redeem_code(hash, now).await? {
        Redemption::Fresh(c) => Ok(c),
        Redemption::Reused(c) => {
            if let (Some(jti), Some(exp)) = (&c.access_jti, c.access_expires_at) {
                oauth.store.revoke_token(jti, &c.tenant, exp).await?;
            }
            if let Some(family) = &c.family_id {
                oauth.store.revoke_refresh_family(family, now).await?;
            }
            tracing::warn!(client_id = %c.client_id, tenant = %c.tenant, "authorization code reused; revoked what it issued");
            Err(invalid("the authorization code was already used"))
        }
        Redemption::Unknown => Err(invalid("the authorization code is invalid")),
    }
}

/// RFC 6749 §4.1.3: required when it was in the authorization request; we
/// require it always unless the client has exactly one registered URI.
fn check_redirect_uri(
    client: &Client,
    issued: &AuthorizationCode,
    redirect_uri: Option<&str>,
) -> Result<(), OAuthError> {
    let expected_uri = redirect_uri.or(match client.redirect_uris.as_slice() {
        [only] => Some(only.as_str()),
        _ => None,
    });
    if expected_uri != Some(issued.redirect_uri.as_str()) {
        return Err(invalid(
            "redirect_uri does not match the authorization request",
        ));
    }
    Ok(())
}

/// RFC 7636 §4.6, compared in constant time.
fn check_pkce(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (Some(challenge), Some(verifier)) => {
            let computed =
                b64url(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
            if !is_pkce_verifier(verifier)
                || !bool::from(subtle::ConstantTimeEq::ct_eq(
                    computed.as_bytes(),
                    challenge.as_bytes(),
                ))
            {
                return Err(invalid("code_verifier does not match the code_challenge"));
            }
            Ok(())
        }
        (Some(_), None) => Err(invalid(
            "code_verifier is required: the authorization request used PKCE",
        )),
        (None, Some(_)) => Err(invalid(
            "code_verifier given but the authorization request had no code_challenge",
        )),
        (None, None) => Ok(()),
    }
}

/// Administrative scopes only ever reach administrators (refreshes inherit this).
fn within_role(scope: Scope, is_admin: bool) -> Scope {
    if is_admin {
        return scope;
    }
    Scope::from_valid(
        scope
            .iter()
            .filter(|s| !is_administrative(s))
            .map(str::to_string),
    )
}
