//! The one error type of the OAuth endpoints: RFC 6749 §5.2's error code, a
//! description written for the client developer, and the HTTP status.
//! Rendering to a response happens in exactly one place (`http::oauth`).

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    AccessDenied,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    /// RFC 8707 §2: a `resource` the client may not ask for or that is malformed.
    InvalidTarget,
    /// RFC 6750 §3.1: a bearer token that is missing, expired, revoked or foreign.
    InvalidToken,
    ServerError,
    TemporarilyUnavailable,
    /// RFC 6749 §4.1.2.1 and OIDC Core §3.1.2.6, for authorization responses.
    UnsupportedResponseType,
    RequestNotSupported,
    LoginRequired,
    ConsentRequired,
    /// RFC 8628 §3.5: the device polls before the person has answered,
    /// too often, or after its code expired.
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    /// RFC 9449 §5: a DPoP proof that is missing, malformed, stale or replayed.
    InvalidDpopProof,
    /// RFC 9449 §8: the server requires a nonce in DPoP proofs.
    UseDpopNonce,
    /// RFC 9396 §5: `authorization_details` malformed, of an unknown type, or
    /// of one the client may not ask for.
    InvalidAuthorizationDetails,
    /// RFC 7591 §3.2.2: a registration's redirect URIs or other metadata.
    InvalidRedirectUri,
    InvalidClientMetadata,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ExpiredToken => "expired_token",
            ErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            ErrorCode::UseDpopNonce => "use_dpop_nonce",
            ErrorCode::InvalidAuthorizationDetails => "invalid_authorization_details",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
    pub status: u16,
    /// Seconds to wait before trying again (`Retry-After`), for 429s.
    pub retry_after: Option<u64>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        let status = match code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        };
        OAuthError {
            code,
            description: description.into(),
            status,
            retry_after: None,
        }
    }

    /// A limit was reached: 429 with `Retry-After`.
    pub fn too_many(description: impl Into<Cow<'static, str>>, retry_after: u64) -> Self {
        OAuthError {
            status: 429,
            retry_after: Some(retry_after),
            ..Self::new(ErrorCode::TemporarilyUnavailable, description)
        }
    }

    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }

    /// One description for every authentication failure, so responses do not
    /// reveal whether a client exists or which part was wrong.
    pub fn invalid_client() -> Self {
        Self::new(ErrorCode::InvalidClient, "client authentication failed")
    }

    pub fn unknown_tenant() -> Self {
        OAuthError {
            status: 404,
            ..Self::invalid_request("no such tenant")
        }
    }

    /// Internal failures: logged in full by the caller, generic to the client.
    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::TemporarilyUnavailable,
            "the server cannot handle the request right now; retry later",
        )
    }

    pub fn server_error() -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server failed to handle the request",
        )
    }
}

impl From<crate::directory::DirectoryError> for OAuthError {
    fn from(e: crate::directory::DirectoryError) -> Self {
        use crate::directory::DirectoryError;
        tracing::error!(error = %e, "directory lookup failed");
        match e {
            DirectoryError::Store(_) => OAuthError::unavailable(),
            DirectoryError::Key(_)
            | DirectoryError::NoActiveKey(_)
            | DirectoryError::Plugin { .. } => OAuthError::server_error(),
        }
    }
}

impl From<crate::store::StoreError> for OAuthError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "store operation failed");
        OAuthError::unavailable()
    }
}
