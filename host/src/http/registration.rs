//! RFC 7591 dynamic client registration at `{issuer}/register` and RFC
//! 7592 reading, updating and deleting a registration with its access token. What
//! may register is decided in `admin::register_client`; here: the body,
//! the rate limit per address and the answers.

use super::State;
use super::client_addr::ClientAddr;
use super::oauth::{IntoOAuthResponse, no_store};
use crate::admin::{REGISTRATION_ACTOR, RegistrationError, client_information};
use crate::oauth::{ErrorCode, OAuthError};
use axum::Json;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A registration is a few hundred bytes; this is plenty.
const MAX_BODY: usize = 16 * 1024;

/// POST `{issuer}/register`.
pub async fn register(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    axum::Extension(ClientAddr(address)): axum::Extension<ClientAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let metadata = json_body(&headers, body).await?;
        let entry = s.oauth.tenant(&tenant).await?;
        if let Some(wait) = s
            .oauth
            .registration_admitted(&address.to_string())
            .await
            .map_err(|_| OAuthError::unavailable())?
        {
            return Err(OAuthError::too_many(
                format!("too many registrations from this address; retry in {wait} seconds"),
                wait.max(1) as u64,
            ));
        }
        let now = s.oauth.clock.now();
        let registered = s
            .admin
            .register_client(&tenant, metadata, &address.to_string(), now)
            .await
            .map_err(refused)?;
        Ok(client_information(
            &registered.client,
            &entry.issuer,
            registered.secret.as_ref(),
            Some(&registered.registration_access_token),
        ))
    };
    match result.await {
        Ok(v) => (StatusCode::CREATED, no_store(), Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// GET `{issuer}/register/{client_id}` (RFC 7592 §2.1).
pub async fn read(
    axum::extract::State(s): State,
    Path((tenant, client_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let entry = s.oauth.tenant(&tenant).await?;
        let client = registered(&s, &tenant, &client_id, &headers).await?;
        Ok::<_, OAuthError>(client_information(&client, &entry.issuer, None, None))
    };
    match result.await {
        Ok(v) => (no_store(), Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// PUT `{issuer}/register/{client_id}` (RFC 7592 §2.2): the client's
/// metadata replaced, checked and policed as a registration is.
pub async fn update(
    axum::extract::State(s): State,
    Path((tenant, client_id)): Path<(String, String)>,
    axum::Extension(ClientAddr(address)): axum::Extension<ClientAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let entry = s.oauth.tenant(&tenant).await?;
        let client = registered(&s, &tenant, &client_id, &headers).await?;
        let metadata = json_body(&headers, body).await?;
        let now = s.oauth.clock.now();
        let updated = s
            .admin
            .update_registration(&client, metadata, &address.to_string(), now)
            .await
            .map_err(refused)?;
        super::directory_changed(&s).await;
        Ok::<_, OAuthError>(client_information(&updated, &entry.issuer, None, None))
    };
    match result.await {
        Ok(v) => (no_store(), Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The client metadata a registration or update sends (RFC 7591 §3.1).
async fn json_body(headers: &HeaderMap, body: Body) -> Result<serde_json::Value, OAuthError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().unwrap_or("").trim() == "application/json");
    if !json {
        return Err(OAuthError::invalid_request(
            "send the client metadata as application/json (RFC 7591 §3.1)",
        ));
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        OAuthError::invalid_request(format!("the registration is larger than {MAX_BODY} bytes"))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            format!("the registration is not JSON: {e}"),
        )
    })
}

/// DELETE `{issuer}/register/{client_id}` (RFC 7592 §2.3): the client and
/// its tokens stop working.
pub async fn delete(
    axum::extract::State(s): State,
    Path((tenant, client_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        s.oauth.tenant(&tenant).await?;
        registered(&s, &tenant, &client_id, &headers).await?;
        let now = s.oauth.clock.now();
        s.admin
            .delete_client(&client_id, REGISTRATION_ACTOR, now)
            .await
            .map_err(|_| OAuthError::unavailable())?;
        super::directory_changed(&s).await;
        Ok::<_, OAuthError>(())
    };
    match result.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// The client the bearer registration access token is for; any other
/// token, or none, is `invalid_token` (RFC 7592 §2, RFC 6750 §3.1).
async fn registered(
    s: &super::AppState,
    tenant: &str,
    client_id: &str,
    headers: &HeaderMap,
) -> Result<crate::domain::Client, OAuthError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let invalid = || {
        OAuthError::new(
            ErrorCode::InvalidToken,
            "send this client's registration access token as a Bearer token",
        )
    };
    let token = token.ok_or_else(invalid)?;
    s.admin
        .registered_client(tenant, client_id, token)
        .await
        .map_err(|_| OAuthError::unavailable())?
        .ok_or_else(invalid)
}

fn refused(e: RegistrationError) -> OAuthError {
    match e {
        RegistrationError::Off => OAuthError {
            status: 403,
            ..OAuthError::new(
                ErrorCode::AccessDenied,
                "this tenant does not take dynamic client registrations",
            )
        },
        RegistrationError::InvalidRedirectUri(m) => {
            OAuthError::new(ErrorCode::InvalidRedirectUri, m)
        }
        RegistrationError::InvalidMetadata(m) => {
            OAuthError::new(ErrorCode::InvalidClientMetadata, m)
        }
        RegistrationError::Denied(reason) => OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            format!("this tenant's registration policy refused the client: {reason}"),
        ),
        RegistrationError::Admin(crate::admin::AdminError::Plugin { .. }) => OAuthError::new(
            ErrorCode::ServerError,
            "the tenant's registration policy could not decide; the registration was refused",
        ),
        RegistrationError::Admin(e) => {
            tracing::error!(error = %e, "cannot register a client");
            OAuthError::unavailable()
        }
    }
}
