//! A token request parsed once into a closed set of grants.

use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use crate::domain::{Scope, validate_resource};

pub enum TokenRequest {
    /// RFC 6749 §4.4.
    ClientCredentials {
        scope: Option<Scope>,
        resources: Vec<String>,
        /// RFC 9396 §6, as sent.
        authorization_details: Option<String>,
    },
    /// RFC 6749 §4.1.3 with RFC 7636 PKCE; RFC 8707 `resource` narrows the
    /// audience to some of what was granted.
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
        resources: Vec<String>,
    },
    /// RFC 6749 §6.
    RefreshToken {
        refresh_token: String,
        scope: Option<Scope>,
        resources: Vec<String>,
    },
    /// RFC 8628 §3.4: a device polling.
    DeviceCode {
        device_code: String,
        resources: Vec<String>,
    },
    /// RFC 8693, for personal access tokens.
    TokenExchange {
        subject_token: String,
        subject_token_type: String,
        scope: Option<Scope>,
    },
}

/// The grant type for `/metrics`: one of those offered, else `unsupported`
/// (or `none`), so a client cannot mint series.
pub fn grant_label(params: &Params) -> &'static str {
    match params.get("grant_type") {
        None => "none",
        Some("client_credentials") => "client_credentials",
        Some("authorization_code") => "authorization_code",
        Some("refresh_token") => "refresh_token",
        Some("urn:ietf:params:oauth:grant-type:token-exchange") => "token_exchange",
        Some(super::device::DEVICE_CODE_GRANT) => "device_code",
        Some(_) => "unsupported",
    }
}

impl TokenRequest {
    pub fn parse(params: &Params) -> Result<Self, OAuthError> {
        let grant_type = params
            .get("grant_type")
            .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
        match grant_type {
            "client_credentials" => Ok(TokenRequest::ClientCredentials {
                scope: parse_scope(params)?,
                resources: parse_resources(params)?,
                authorization_details: params.get("authorization_details").map(str::to_string),
            }),
            "authorization_code" => Ok(TokenRequest::AuthorizationCode {
                code: params
                    .get("code")
                    .ok_or_else(|| OAuthError::invalid_request("code is required"))?
                    .to_string(),
                redirect_uri: params.get("redirect_uri").map(str::to_string),
                code_verifier: params.get("code_verifier").map(str::to_string),
                resources: parse_resources(params)?,
            }),
            "refresh_token" => Ok(TokenRequest::RefreshToken {
                refresh_token: params
                    .get("refresh_token")
                    .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?
                    .to_string(),
                scope: parse_scope(params)?,
                resources: parse_resources(params)?,
            }),
            "urn:ietf:params:oauth:grant-type:token-exchange" => {
                let required = |name: &'static str| {
                    params
                        .get(name)
                        .map(str::to_string)
                        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
                };
                if params.get("actor_token").is_some() {
                    return Err(OAuthError::invalid_request(
                        "delegation (actor_token) is not supported",
                    ));
                }
                Ok(TokenRequest::TokenExchange {
                    subject_token: required("subject_token")?,
                    subject_token_type: required("subject_token_type")?,
                    scope: parse_scope(params)?,
                })
            }
            super::device::DEVICE_CODE_GRANT => Ok(TokenRequest::DeviceCode {
                device_code: params
                    .get("device_code")
                    .ok_or_else(|| OAuthError::invalid_request("device_code is required"))?
                    .to_string(),
                resources: parse_resources(params)?,
            }),
            // RFC 9700 §2.4: the password grant must not be used.
            "password" => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "the password grant is not offered (RFC 9700); use client_credentials",
            )),
            _ => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "this grant type is not supported; see grant_types_supported in the server metadata",
            )),
        }
    }
}

fn parse_scope(params: &Params) -> Result<Option<Scope>, OAuthError> {
    match params.get("scope") {
        None => Ok(None),
        Some(s) => {
            let scope = Scope::parse(s)
                .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
            Ok((!scope.is_empty()).then_some(scope))
        }
    }
}

fn parse_resources(params: &Params) -> Result<Vec<String>, OAuthError> {
    params
        .all("resource")
        .map(|r| {
            validate_resource(r)
                .map(|()| r.to_string())
                .map_err(|e| OAuthError::new(ErrorCode::InvalidTarget, e))
        })
        .collect()
}
