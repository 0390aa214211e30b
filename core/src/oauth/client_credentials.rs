//! RFC 6749 §4.4: a client acting for itself — or, for an installation's
//! client, the app acting as the installation's service account with what
//! the tenant's admin approved.

use super::issue::{Grant, TokenResponse};
use super::target::Target;
use super::{ErrorCode, OAuth, OAuthError};
use crate::directory::TenantEntry;
use crate::domain::installation::token_claims;
use crate::domain::{Client, Scope};

pub async fn grant(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    requested: Option<Scope>,
    target: Target,
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    if !client.allows_grant("client_credentials") {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client is not allowed to use the client_credentials grant",
        ));
    }
    if let Some(id) = &client.installation {
        let result =
            installation_grant(oauth, tenant, client, id, requested, target.resources, jkt).await;
        match &result {
            Ok(_) => oauth.usage.token_issued(id),
            Err(_) => oauth.usage.token_denied(id),
        }
        return result;
    }
    let explicit = requested.is_some();
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
    let scope = target.scope(tenant, scope, explicit)?;
    oauth
        .issue_access_token(Grant {
            tenant,
            client,
            grant_type: "client_credentials",
            subject: &client.client_id,
            scope,
            audience: target.resources,
            details: target.details,
            claims: Default::default(),
            installation: None,
            jkt,
        })
        .await
}

/// An installation's token: `sub` is its service account, `scope` its
/// approved permissions (or fewer), and its resources go in RFC 9396
/// `authorization_details`. Read from the directory's cache: no database
/// round trip, and no write, per token.
async fn installation_grant(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    installation_id: &str,
    requested: Option<Scope>,
    resources: Vec<String>,
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let refused = |why: &str| OAuthError::new(ErrorCode::InvalidClient, why.to_string());
    let entry = oauth
        .directory
        .installation(installation_id)
        .await?
        .ok_or_else(|| refused("the app is not installed in this tenant"))?;
    let i = &entry.installation;
    if let Some(why) = i.unusable_because() {
        return Err(refused(why));
    }
    let approved = Scope::from_valid(i.permissions.iter().cloned());
    let scope = match requested {
        None => approved,
        Some(s) if s.is_subset_of(&approved) => s,
        Some(_) => {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "the requested scope exceeds the permissions the tenant approved for this app",
            ));
        }
    };
    if let Some(quota) = i.quota_per_hour {
        oauth.usage.admit(&i.id, quota).await.map_err(|e| {
            OAuthError::too_many(
                format!(
                    "this installation's quota of {quota} tokens per hour is used up; retry in {} seconds",
                    e.retry_after
                ),
                e.retry_after,
            )
        })?;
    }
    // The full approved scope (the usual request) takes the claims built
    // when the installation was loaded; a narrower one builds its own.
    let claims = if scope.iter().count() == i.permissions.len() {
        entry.claims.clone()
    } else {
        token_claims(&entry.manifest, i, Some(&scope))
    };
    let issued = oauth
        .issue_access_token(Grant {
            tenant,
            client,
            grant_type: "client_credentials",
            subject: &i.service_account,
            scope,
            audience: resources,
            details: vec![],
            claims,
            installation: Some(i),
            jkt,
        })
        .await;
    if issued.is_err() && i.quota_per_hour.is_some() {
        oauth.usage.release(&i.id);
    }
    issued
}
