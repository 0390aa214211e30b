//! RFC 7662: tells a resource server whether a token is active and what it carries.

use super::{OAuth, OAuthError, Params};
use crate::directory::TenantEntry;
use crate::tokens::jwt;
use serde_json::{Value, json};

pub async fn introspect(
    oauth: &OAuth,
    tenant: &TenantEntry,
    params: &Params,
) -> Result<Value, OAuthError> {
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let now = oauth.clock.now();
    let mut claims = match jwt::verify(token, &tenant.verifiers, &tenant.issuer, now) {
        Ok(c) => c,
        Err(why) => {
            tracing::debug!(?why, "introspected token is not active");
            return Ok(json!({"active": false}));
        }
    };
    if !is_live(oauth, &claims).await? {
        return Ok(json!({"active": false}));
    }
    claims.insert("active".into(), Value::Bool(true));
    // RFC 9449 §6.2: a bound token says so, with its `cnf`.
    let token_type = if claims.contains_key("cnf") {
        "DPoP"
    } else {
        "Bearer"
    };
    claims.insert("token_type".into(), Value::String(token_type.into()));
    Ok(Value::Object(claims))
}

/// A verified token is still live unless it was revoked, or its installation
/// was suspended or uninstalled since it was issued.
pub(super) async fn is_live(
    oauth: &OAuth,
    claims: &serde_json::Map<String, Value>,
) -> Result<bool, OAuthError> {
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if oauth.store.is_token_revoked(jti).await? {
        return Ok(false);
    }
    if let Some(id) = claims
        .get("installation")
        .and_then(|i| i.get("id"))
        .and_then(Value::as_str)
    {
        let usable = oauth
            .directory
            .installation(id)
            .await?
            .is_some_and(|e| e.installation.is_usable());
        return Ok(usable);
    }
    Ok(true)
}
