//! The OAuth endpoints' logic, free of HTTP: the `http` layer hands in the
//! tenant, the presented client credentials and the parsed form, and renders
//! what comes back.

mod access;
mod assertion;
mod authorization_code;
pub mod authorize;
mod client_auth;
mod client_credentials;
pub mod client_metadata;
pub mod device;
mod discovery;
pub mod dpop;
pub mod error;
mod id_token;
mod introspect;
mod issue;
mod legacy;
pub mod login;
mod par;
pub mod params;
pub mod pat;
mod refresh;
mod request;
mod revoke;
pub mod target;
mod userinfo;

pub use client_auth::PresentedAuth;
pub use error::{ErrorCode, OAuthError};
pub use issue::{Deprecation, TokenResponse};
pub use par::Pushed;
pub use params::Params;

use crate::clock::Clock;
use crate::directory::{Directory, TenantEntry};
use crate::domain::Client;
use crate::plugins::PluginHost;
use crate::store::Store;
use request::TokenRequest;
use ring::rand::SystemRandom;
use std::sync::Arc;
use tracing::Instrument;

/// Access-token lifetimes from the operator's configuration.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    pub default_access_token_ttl: i64,
    pub max_access_token_ttl: i64,
    pub refresh_idle_ttl: i64,
    pub refresh_absolute_ttl: i64,
    pub pat_max_ttl: i64,
}

pub struct OAuth {
    pub directory: Arc<Directory>,
    pub store: Arc<dyn Store>,
    pub lifetimes: Lifetimes,
    pub clock: Arc<dyn Clock>,
    pub plugins: Arc<PluginHost>,
    /// Installations' usage, counted in memory.
    pub usage: Arc<crate::usage::Usage>,
    pub rng: SystemRandom,
    /// RFC 8628 devices' last polls on this replica.
    pub device_polls: device::Polls,
    /// RFC 9449 §8: set when DPoP proofs must carry a server nonce.
    pub dpop_nonces: Option<dpop::Nonces>,
    /// Client ID metadata documents fetched on this replica.
    pub documents: client_metadata::Documents,
}

impl OAuth {
    pub fn new(
        directory: Arc<Directory>,
        store: Arc<dyn Store>,
        plugins: Arc<PluginHost>,
        lifetimes: Lifetimes,
        clock: Arc<dyn Clock>,
        usage: Arc<crate::usage::Usage>,
    ) -> Self {
        OAuth {
            directory,
            store,
            plugins,
            usage,
            lifetimes,
            clock,
            rng: SystemRandom::new(),
            device_polls: Default::default(),
            dpop_nonces: None,
            documents: client_metadata::Documents::default(),
        }
    }

    /// Lets metadata documents come from loopback addresses (tests and
    /// local development only).
    pub fn with_loopback_documents(mut self) -> Self {
        self.documents = client_metadata::Documents::new(true);
        self
    }

    /// Requires a server nonce in DPoP proofs (RFC 9449 §8).
    pub fn with_dpop_nonces(mut self, nonces: dpop::Nonces) -> Self {
        self.dpop_nonces = Some(nonces);
        self
    }

    /// The DPoP nonce to hand out now, when nonces are required.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.dpop_nonces
            .as_ref()
            .map(|n| n.current(self.clock.now()))
    }

    pub async fn tenant(&self, slug: &str) -> Result<Arc<TenantEntry>, OAuthError> {
        self.directory
            .tenant(slug, self.clock.now())
            .await?
            .ok_or_else(OAuthError::unknown_tenant)
    }

    /// RFC 6749 §3.2 token endpoint; `dpop`, the request's RFC 9449 proof.
    pub async fn token(
        &self,
        tenant: &str,
        auth: PresentedAuth,
        params: &Params,
        dpop: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let result = self.grant(tenant, auth, params, dpop).await;
        crate::metrics::token(
            request::grant_label(params),
            result.as_ref().err().map(|e| e.code.as_str()),
        );
        result
    }

    async fn grant(
        &self,
        tenant: &str,
        auth: PresentedAuth,
        params: &Params,
        dpop: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let request = TokenRequest::parse(params)?;
        let tenant = self.tenant(tenant).await?;
        let client = match &request {
            // RFC 6749 §6 asks only confidential clients to authenticate a
            // refresh: a public client may send the token alone.
            TokenRequest::RefreshToken { refresh_token, .. }
                if matches!(auth, PresentedAuth::None)
                    && params.get("client_id").is_none()
                    && params.get("client_secret").is_none() =>
            {
                self.public_client_of_refresh_token(&tenant, refresh_token)
                    .await?
            }
            _ => self.authenticate(&tenant, auth, params).await?,
        };
        let deprecation = self.legacy_gate(&tenant, &client).await?;
        let jkt = match dpop {
            Some(_) => {
                let token_endpoint = format!("{}/token", tenant.issuer);
                self.dpop(dpop, "POST", &token_endpoint, None).await?
            }
            None => None,
        };
        if client.dpop_bound_access_tokens && jkt.is_none() {
            return Err(dpop::invalid(
                "this client's tokens must be DPoP-bound: send a DPoP proof (RFC 9449)",
            ));
        }
        let jkt = jkt.as_deref();
        // The grant itself, after client authentication (which records the
        // client on the request's span). Debug: logs stay at the request's
        // span; traces take spans of any level.
        let span = tracing::debug_span!(
            "grant",
            grant_type = request::grant_label(params),
            error = tracing::field::Empty
        );
        let granted = self
            .dispatch(request, &tenant, &client, jkt)
            .instrument(span.clone())
            .await;
        if let Err(e) = &granted {
            span.record("error", e.code.as_str());
        }
        let mut response = granted?;
        response.deprecation = deprecation;
        Ok(response)
    }

    /// The grant the request names, for an authenticated client.
    async fn dispatch(
        &self,
        request: TokenRequest,
        tenant: &TenantEntry,
        client: &Client,
        jkt: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        match request {
            TokenRequest::ClientCredentials {
                scope,
                resources,
                authorization_details,
            } => {
                let target = target::Target::requested(
                    tenant,
                    client,
                    &resources,
                    authorization_details.as_deref(),
                )?;
                client_credentials::grant(self, tenant, client, scope, target, jkt).await
            }
            TokenRequest::TokenExchange {
                subject_token,
                subject_token_type,
                scope,
            } => {
                pat::exchange(
                    self,
                    tenant,
                    client,
                    &subject_token,
                    &subject_token_type,
                    scope,
                    jkt,
                )
                .await
            }
            TokenRequest::RefreshToken {
                refresh_token,
                scope,
                resources,
            } => refresh::grant(self, tenant, client, &refresh_token, scope, &resources, jkt).await,
            TokenRequest::DeviceCode {
                device_code,
                resources,
            } => device::grant(self, tenant, client, &device_code, &resources, jkt).await,
            TokenRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
                resources,
            } => {
                authorization_code::grant(
                    self,
                    tenant,
                    client,
                    authorization_code::Redeemed {
                        code: &code,
                        redirect_uri: redirect_uri.as_deref(),
                        code_verifier: code_verifier.as_deref(),
                        resources: &resources,
                    },
                    jkt,
                )
                .await
            }
        }
    }

    /// RFC 7662 introspection.
    pub async fn introspect(
        &self,
        tenant: &str,
        auth: PresentedAuth,
        params: &Params,
    ) -> Result<serde_json::Value, OAuthError> {
        let tenant = self.tenant(tenant).await?;
        let client = self.authenticate(&tenant, auth, params).await?;
        // A public client proves nothing, so it may not read other tokens.
        if client.public {
            return Err(OAuthError::invalid_client());
        }
        introspect::introspect(self, &tenant, params).await
    }

    /// RFC 7009 revocation.
    pub async fn revoke(
        &self,
        tenant: &str,
        auth: PresentedAuth,
        params: &Params,
    ) -> Result<(), OAuthError> {
        let tenant = self.tenant(tenant).await?;
        let client = self.authenticate(&tenant, auth, params).await?;
        revoke::revoke(self, &tenant, &client, params).await
    }

    /// RFC 8414 / OpenID Connect Discovery metadata.
    pub async fn metadata(&self, tenant: &str) -> Result<serde_json::Value, OAuthError> {
        let tenant = self.tenant(tenant).await?;
        Ok(discovery::metadata(&tenant))
    }

    /// RFC 9728 metadata of the tenant's resource server `identifier`.
    pub async fn resource_metadata(
        &self,
        tenant: &str,
        identifier: Option<&str>,
    ) -> Result<serde_json::Value, OAuthError> {
        let tenant = self.tenant(tenant).await?;
        let identifier = identifier.ok_or_else(|| {
            OAuthError::invalid_request("resource is required: the resource server's identifier")
        })?;
        let resource = crate::domain::resource_server::find(&tenant.resources, identifier)
            .ok_or_else(|| OAuthError {
                status: 404,
                ..OAuthError::new(
                    ErrorCode::InvalidTarget,
                    "this tenant has no resource server with that identifier",
                )
            })?;
        Ok(discovery::resource_metadata(&tenant, resource))
    }

    /// The tenant's JSON Web Key Set, serialised.
    pub async fn jwks(&self, tenant: &str) -> Result<String, OAuthError> {
        Ok(self.tenant(tenant).await?.jwks.clone())
    }
}
