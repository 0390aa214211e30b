//! RFC 7009: a client revokes one of its tokens. A JWT cannot be recalled, so
//! its `jti` is remembered until it would have expired; introspection then
//! reports it inactive. A refresh token ends its whole grant (§2.1): the
//! family and the live access tokens issued with it.

use super::{ErrorCode, OAuth, OAuthError, Params};
use crate::directory::TenantEntry;
use crate::domain::Client;
use crate::tokens::{jwt, secret};
use serde_json::Value;

pub async fn revoke(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    params: &Params,
) -> Result<(), OAuthError> {
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let now = oauth.clock.now();
    if token.starts_with(super::refresh::PREFIX) {
        return revoke_refresh(oauth, tenant, client, token, now).await;
    }
    // §2.2: an invalid, expired or foreign token is answered with 200 all the same.
    let Ok(claims) = jwt::verify(token, &tenant.verifiers, &tenant.issuer, now) else {
        return Ok(());
    };
    if claims.get("client_id").and_then(Value::as_str) != Some(client.client_id.as_str()) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this token was issued to another client",
        ));
    }
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
    oauth
        .store
        .revoke_token(jti, &tenant.tenant.slug, exp)
        .await?;
    Ok(())
}

async fn revoke_refresh(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    token: &str,
    now: i64,
) -> Result<(), OAuthError> {
    let Some(row) = oauth.store.refresh_token(&secret::hash(token)).await? else {
        return Ok(());
    };
    if row.tenant != tenant.tenant.slug {
        return Ok(());
    }
    if row.client_id != client.client_id {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this token was issued to another client",
        ));
    }
    oauth
        .store
        .revoke_refresh_family(&row.family_id, now)
        .await?;
    Ok(())
}
