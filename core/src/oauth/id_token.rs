//! OpenID Connect ID tokens (OIDC Core §2): minted beside the access token
//! when the granted scope includes `openid`.

use super::OAuth;
use super::issue::TokenResponse;
use crate::directory::TenantEntry;
use crate::domain::user::User;
use crate::domain::{Client, Scope};
use crate::tokens::jwt;
use serde_json::json;

#[allow(clippy::too_many_arguments)]
pub fn add(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    user: &User,
    granted: &Scope,
    auth_time: i64,
    nonce: Option<&str>,
    response: &mut TokenResponse,
) {
    if !granted.iter().any(|s| s == "openid") {
        return;
    }
    let mut claims = json!({
        "iss": tenant.issuer,
        "sub": user.id,
        "aud": client.client_id,
        "exp": response.expires_at,
        "iat": oauth.clock.now(),
        "auth_time": auth_time,
        "at_hash": jwt::at_hash(&tenant.active, &response.access_token),
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    super::userinfo::add_profile_claims(&mut claims, user, granted);
    response.id_token = Some(jwt::mint_id_token(&tenant.active, &claims, &oauth.rng));
}
