//! OIDC Core §5.3 UserInfo: claims about the user an access token was
//! issued for, by the scopes it carries.

use super::{ErrorCode, OAuth, OAuthError};
use crate::domain::Scope;
use crate::domain::user::User;
use serde_json::{Value, json};

/// Adds the standard claims `scope` releases (`profile`, `email`).
pub fn add_profile_claims(claims: &mut Value, user: &User, scope: &Scope) {
    if scope.iter().any(|s| s == "profile") {
        claims["preferred_username"] = json!(user.username);
        if let Some(name) = &user.display_name {
            claims["name"] = json!(name);
        }
    }
    if scope.iter().any(|s| s == "email")
        && let Some(email) = &user.email
    {
        claims["email"] = json!(email);
        claims["email_verified"] = json!(false);
    }
}

impl OAuth {
    /// `htm`: the request's method (GET or POST).
    pub async fn userinfo(
        &self,
        tenant: &str,
        presented: Option<&super::dpop::Presented>,
        htm: &str,
    ) -> Result<Value, OAuthError> {
        let tenant = self.tenant(tenant).await?;
        let claims = self
            .verify_bearer(&tenant, presented, htm, "/userinfo")
            .await?;
        let scope = Scope::parse(
            claims
                .get("scope")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        )
        .unwrap_or_default();
        let insufficient = || {
            OAuthError::new(
                ErrorCode::InvalidToken,
                "the access token is not for a user's openid scope",
            )
        };
        if !scope.iter().any(|s| s == "openid") {
            return Err(insufficient());
        }
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(insufficient)?;
        let user = self
            .store
            .user(sub)
            .await?
            .filter(|u| u.tenant == tenant.tenant.slug)
            .ok_or_else(insufficient)?;
        let mut out = json!({ "sub": user.id });
        add_profile_claims(&mut out, &user, &scope);
        Ok(out)
    }
}
