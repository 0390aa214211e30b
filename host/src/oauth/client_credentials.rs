//! RFC 6749 §4.4: a client acting for itself.

use super::issue::{Grant, TokenResponse};
use super::{ErrorCode, OAuth, OAuthError};
use crate::directory::TenantEntry;
use crate::domain::{Client, Scope};

pub async fn grant(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    requested: Option<Scope>,
    resources: Vec<String>,
) -> Result<TokenResponse, OAuthError> {
    if !client.allows_grant("client_credentials") {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client is not allowed to use the client_credentials grant",
        ));
    }
    let scope = match requested {
        None => client.default_scopes.clone(),
        Some(s) if s.is_subset_of(&client.scopes) => s,
        Some(_) => {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "the requested scope exceeds what this client may be granted",
            ));
        }
    };
    if let Some(r) = resources
        .iter()
        .find(|r| !client.resources.is_empty() && !client.resources.contains(r))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            format!("this client may not request tokens for resource {r}"),
        ));
    }
    oauth
        .issue_access_token(Grant {
            tenant,
            client,
            grant_type: "client_credentials",
            subject: &client.client_id,
            scope,
            audience: resources,
        })
        .await
}
