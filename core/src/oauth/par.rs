//! Pushed authorization requests (RFC 9126): a client sends its authorization
//! request straight to the server, authenticated, and gets a `request_uri`
//! to send the browser with, so nothing in the request travels through the
//! browser where it could be read or altered.
//!
//! The pushed parameters are kept in the store (every replica sees them)
//! for a minute. A `request_uri` yields one authorization code: it can be
//! shown again while the user signs in and consents, but once a code was
//! issued for it, it is spent.

use super::authorize::{AuthorizeError, PUSHED_GONE};
use super::{OAuth, OAuthError, Params, PresentedAuth};
use crate::domain::Client;
use crate::store::PushedRequest;
use crate::tokens::{b64url, random_bytes, secret};
use serde::Serialize;

/// RFC 9126 §2.2: the `request_uri` is a URN of this form.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request waits for the browser (RFC 9126 §2.2 suggests
/// a short lifetime; 5 to 600 seconds).
pub const PUSHED_REQUEST_TTL: i64 = 60;

/// Client authentication travels with the push; it is not part of the request.
const CLIENT_AUTH: &[&str] = &["client_secret", "client_assertion", "client_assertion_type"];

/// RFC 9126 §2.2 response (sent with 201 Created).
#[derive(Debug, Serialize)]
pub struct Pushed {
    pub request_uri: String,
    pub expires_in: i64,
}

impl OAuth {
    /// RFC 9126 §2: authenticates the client, checks the request exactly as
    /// the authorization endpoint would, and keeps it.
    pub async fn push_authorization_request(
        &self,
        tenant: &str,
        auth: PresentedAuth,
        params: &Params,
    ) -> Result<Pushed, OAuthError> {
        let entry = self.tenant(tenant).await?;
        let client = self.authenticate(&entry, auth, params).await?;
        if params.get("request_uri").is_some() {
            return Err(OAuthError::invalid_request(
                "request_uri cannot be pushed (RFC 9126 §2.1)",
            ));
        }
        let request = pushed_params(params, &client);
        self.checked_request(tenant, &request, true)
            .await
            .map_err(|e| match e {
                AuthorizeError::Page(m) => OAuthError::invalid_request(m),
                AuthorizeError::Redirect {
                    error, description, ..
                } => OAuthError::new(error, description),
            })?;
        let token = b64url(&random_bytes::<32>(&self.rng));
        let now = self.clock.now();
        let row = PushedRequest {
            uri_hash: secret::hash(&token).to_vec(),
            tenant: entry.tenant.slug.clone(),
            client_id: client.client_id.clone(),
            params: request.to_form(),
            expires_at: now + PUSHED_REQUEST_TTL,
            used_at: None,
        };
        self.store.create_pushed_request(&row).await?;
        Ok(Pushed {
            request_uri: format!("{REQUEST_URI_PREFIX}{token}"),
            expires_in: PUSHED_REQUEST_TTL,
        })
    }

    /// The pushed request a `request_uri` names, if it is this client's and
    /// still usable. Errors are for the user's page: the redirect URI is in
    /// the request that could not be found.
    pub(super) async fn pushed_request(
        &self,
        tenant: &str,
        client: &Client,
        request_uri: &str,
    ) -> Result<(Params, Vec<u8>), String> {
        let expired = PUSHED_GONE;
        let token = request_uri
            .strip_prefix(REQUEST_URI_PREFIX)
            .ok_or_else(|| expired.to_string())?;
        let hash = secret::hash(token).to_vec();
        let row = self
            .store
            .pushed_request(&hash)
            .await
            .map_err(|_| {
                "The server cannot check this sign-in link right now. Try again later.".to_string()
            })?
            .filter(|r| r.tenant == tenant && r.client_id == client.client_id)
            .ok_or_else(|| expired.to_string())?;
        if row.used_at.is_some() || row.expires_at <= self.clock.now() {
            return Err(expired.into());
        }
        let params = Params::from_form(&row.params).map_err(|_| expired.to_string())?;
        Ok((params, hash))
    }
}

/// The request as pushed, without client authentication and with the
/// authenticated client's id (RFC 9126 §2.1).
fn pushed_params(params: &Params, client: &Client) -> Params {
    let mut pairs: Vec<(String, String)> = params
        .pairs()
        .filter(|(n, _)| !CLIENT_AUTH.contains(&n.as_str()) && n != "client_id")
        .cloned()
        .collect();
    pairs.push(("client_id".into(), client.client_id.clone()));
    Params::from_pairs(pairs).unwrap_or_default()
}
