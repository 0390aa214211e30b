//! Client authentication (RFC 6749 §2.3.1): `client_secret_basic` or
//! `client_secret_post`, never both; public clients (§2.1) identify
//! themselves with `client_id` alone (`none`, or Basic with an empty
//! password, as requests-oauthlib sends) and prove nothing; a public client's
//! refresh may name no client at all (§6). A pull app authenticates with
//! `private_key_jwt` (RFC 7523) and names the installation it acts for.

use super::assertion;
use super::{ErrorCode, OAuth, OAuthError, Params};
use crate::directory::TenantEntry;
use crate::domain::Client;
use crate::domain::manifest::CredentialMode;
use crate::tokens::secret;
use std::sync::Arc;

/// Credentials from the `Authorization` header, decoded by the HTTP layer.
pub enum PresentedAuth {
    None,
    Basic { client_id: String, secret: String },
}

impl std::fmt::Debug for PresentedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PresentedAuth::None => f.write_str("None"),
            PresentedAuth::Basic { client_id, .. } => write!(f, "Basic({client_id}, <secret>)"),
        }
    }
}

impl OAuth {
    pub(super) async fn authenticate(
        &self,
        tenant: &TenantEntry,
        auth: PresentedAuth,
        params: &Params,
    ) -> Result<Arc<Client>, OAuthError> {
        if params.get("client_assertion").is_some() || params.get("client_assertion_type").is_some()
        {
            return self.authenticate_assertion(tenant, auth, params).await;
        }
        let (client_id, presented) = match auth {
            PresentedAuth::Basic { client_id, secret } => {
                if params.get("client_secret").is_some() {
                    return Err(OAuthError::invalid_request(
                        "use one client authentication method: Authorization header or client_secret, not both",
                    ));
                }
                if params.get("client_id").is_some_and(|id| id != client_id) {
                    return Err(OAuthError::invalid_request(
                        "client_id does not match the Authorization header",
                    ));
                }
                // `client_id:` with no password is how requests-oauthlib names
                // a public client by default: it proves no more than `none`,
                // and is accepted only for public clients.
                if secret.is_empty() {
                    return self.public_client(tenant, &client_id).await;
                }
                (client_id, secret)
            }
            PresentedAuth::None => match (params.get("client_id"), params.get("client_secret")) {
                (Some(id), Some(secret)) => (id.to_string(), secret.to_string()),
                (Some(id), None) => return self.public_client(tenant, id).await,
                _ => return Err(OAuthError::invalid_client()),
            },
        };
        let client = self
            .directory
            .client(&client_id)
            .await?
            .filter(|c| c.tenant == tenant.tenant.slug && !c.public)
            .ok_or_else(OAuthError::invalid_client)?;
        let now = self.clock.now();
        let current = secret::verify(&presented, &client.secret_hash);
        let previous = match (
            client.previous_secret_hash,
            client.previous_secret_expires_at,
        ) {
            (Some(hash), Some(until)) if now < until => secret::verify(&presented, &hash),
            _ => false,
        };
        if !(current | previous) {
            return Err(OAuthError::invalid_client());
        }
        tracing::Span::current().record("client_id", client.client_id.as_str());
        Ok(client)
    }

    /// `private_key_jwt`: a pull app's signed assertion, for the installation
    /// named by `installation_id`.
    async fn authenticate_assertion(
        &self,
        tenant: &TenantEntry,
        auth: PresentedAuth,
        params: &Params,
    ) -> Result<Arc<Client>, OAuthError> {
        if !matches!(auth, PresentedAuth::None) || params.get("client_secret").is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method: client_assertion, not also a secret",
            ));
        }
        match params.get("client_assertion_type") {
            Some(assertion::JWT_BEARER) => {}
            Some(_) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidClient,
                    format!("client_assertion_type must be {}", assertion::JWT_BEARER),
                ));
            }
            None => {
                return Err(OAuthError::invalid_request(
                    "client_assertion_type is required",
                ));
            }
        }
        let jwt = params
            .get("client_assertion")
            .ok_or_else(|| OAuthError::invalid_request("client_assertion is required"))?;
        let client_id = assertion::claimed_client(jwt)?;
        if params.get("client_id").is_some_and(|id| id != client_id) {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                "client_id does not match the client_assertion's iss",
            ));
        }
        let unknown = || {
            OAuthError::new(
                ErrorCode::InvalidClient,
                "no app or client with registered keys has this client_id",
            )
        };
        // A client of this tenant with registered keys.
        if let Some(client) = self
            .directory
            .client(&client_id)
            .await?
            .filter(|c| c.tenant == tenant.tenant.slug)
        {
            let jwks = client.jwks.as_ref().ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::InvalidClient,
                    "this client registered no keys: authenticate with its client_secret",
                )
            })?;
            self.check_assertion(tenant, jwt, &client_id, jwks).await?;
            return Ok(client);
        }
        // Else a pull app, acting for one of its installations.
        let app = self.directory.app(&client_id).await?.ok_or_else(unknown)?;
        let manifest = &app.manifest;
        if manifest.credentials != CredentialMode::Pull {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                "this app receives pushed credentials: authenticate with its installation's client_id and client_secret",
            ));
        }
        let jwks = manifest.jwks.as_ref().ok_or_else(unknown)?;
        self.check_assertion(tenant, jwt, &client_id, jwks).await?;
        self.installation_client(tenant, &client_id, params).await
    }

    /// The client of the pull app's installation named by `installation_id`.
    async fn installation_client(
        &self,
        tenant: &TenantEntry,
        client_id: &str,
        params: &Params,
    ) -> Result<Arc<Client>, OAuthError> {
        let id = params.get("installation_id").ok_or_else(|| {
            OAuthError::invalid_request(
                "installation_id is required: name the installation of your app to act for",
            )
        })?;
        let not_ours = || {
            OAuthError::new(
                ErrorCode::InvalidGrant,
                format!("{id} is not an installation of {client_id} in this tenant"),
            )
        };
        let entry = self
            .directory
            .installation(id)
            .await?
            .filter(|e| {
                e.installation.app == client_id && e.installation.tenant == tenant.tenant.slug
            })
            .ok_or_else(not_ours)?;
        if let Some(why) = entry.installation.unusable_because() {
            return Err(OAuthError::new(ErrorCode::InvalidGrant, why));
        }
        entry.pull_client.clone().ok_or_else(|| {
            OAuthError::new(
                ErrorCode::InvalidGrant,
                "this installation was approved for pushed credentials; use its client_id and client_secret",
            )
        })
    }

    /// Verifies a client assertion against `jwks` and spends its `jti`.
    async fn check_assertion(
        &self,
        tenant: &TenantEntry,
        jwt: &str,
        client_id: &str,
        jwks: &serde_json::Value,
    ) -> Result<(), OAuthError> {
        let audiences = [tenant.issuer.clone(), format!("{}/token", tenant.issuer)];
        let now = self.clock.now();
        let verified = assertion::verify(jwt, client_id, jwks, &audiences, now)?;
        let key = crate::tokens::b64url(&secret::hash(&format!("{client_id}\0{}", verified.jti)));
        if !self
            .store
            .use_client_assertion(&key, verified.exp.max(now).saturating_add(60))
            .await?
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                "this client_assertion was already used (its jti must be unique); sign a fresh one",
            ));
        }
        tracing::Span::current().record("client_id", client_id);
        Ok(())
    }

    /// The public client a refresh token sent with no client identification
    /// was issued to; a confidential client's token must come authenticated.
    pub(super) async fn public_client_of_refresh_token(
        &self,
        tenant: &TenantEntry,
        refresh_token: &str,
    ) -> Result<Arc<Client>, OAuthError> {
        let issued_to = self
            .store
            .refresh_token(&secret::hash(refresh_token))
            .await?
            .map(|t| t.client_id)
            .ok_or_else(|| {
                OAuthError::new(ErrorCode::InvalidGrant, "the refresh token is invalid")
            })?;
        self.public_client(tenant, &issued_to).await
    }

    /// A public client names itself; only public clients may.
    async fn public_client(
        &self,
        tenant: &TenantEntry,
        client_id: &str,
    ) -> Result<Arc<Client>, OAuthError> {
        let client = self
            .client_of(tenant, client_id)
            .await?
            .filter(|c| c.public)
            .ok_or_else(OAuthError::invalid_client)?;
        tracing::Span::current().record("client_id", client.client_id.as_str());
        Ok(client)
    }
}
