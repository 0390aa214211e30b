//! Server metadata (RFC 8414, OpenID Connect Discovery 1.0): every endpoint,
//! and only what is really supported.

use crate::directory::TenantEntry;
use crate::domain::SUPPORTED_GRANT_TYPES;
use serde_json::{Value, json};

pub fn metadata(tenant: &TenantEntry) -> Value {
    let issuer = &tenant.issuer;
    let auth_methods = ["client_secret_basic", "client_secret_post"];
    let alg = tenant.tenant.signing_alg.as_str();
    let mut metadata = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "jwks_uri": format!("{issuer}/jwks.json"),
        "introspection_endpoint": format!("{issuer}/introspect"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        // RFC 9126: offered to every client, required of none (yet).
        "pushed_authorization_request_endpoint": format!("{issuer}/par"),
        // RFC 8628: the person enters the code at `{issuer}/device`.
        "device_authorization_endpoint": format!("{issuer}/device_authorization"),
        "require_pushed_authorization_requests": false,
        "grant_types_supported": SUPPORTED_GRANT_TYPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [alg],
        "scopes_supported": ["openid", "profile", "email"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "preferred_username", "name", "email", "email_verified"],
        "request_parameter_supported": false,
        // RFC 8693 exchange of personal access tokens: the subject_token_type to send.
        "warden_pat_token_type": super::pat::PAT_TOKEN_TYPE,
        "request_uri_parameter_supported": false,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": super::assertion::ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "access_token_signing_alg_values_supported": [alg],
        // RFC 9449: DPoP proofs at the token endpoint.
        "dpop_signing_alg_values_supported": super::dpop::ALGORITHMS,
    });
    // RFC 9396 §10: the types the tenant's resource servers take, when any.
    let types: Vec<&str> = tenant
        .resources
        .iter()
        .flat_map(|r| {
            r.authorization_details_types
                .iter()
                .map(|t| t.kind.as_str())
        })
        .collect();
    if !types.is_empty() {
        metadata["authorization_details_types_supported"] = json!(types);
    }
    // RFC 7591: only where the tenant takes registrations.
    if tenant.tenant.dynamic_registration {
        metadata["registration_endpoint"] = json!(format!("{issuer}/register"));
    }
    if tenant.tenant.client_id_metadata_documents {
        metadata["client_id_metadata_document_supported"] = json!(true);
    }
    metadata
}

/// RFC 9728 §2 metadata of one of the tenant's resource servers, for it to
/// publish at its `/.well-known/oauth-protected-resource` (or to proxy).
pub fn resource_metadata(
    tenant: &TenantEntry,
    resource: &crate::domain::resource_server::ResourceServer,
) -> Value {
    let mut metadata = json!({
        "resource": resource.identifier,
        "resource_name": resource.name,
        "authorization_servers": [tenant.issuer],
        "bearer_methods_supported": ["header"],
        "dpop_signing_alg_values_supported": super::dpop::ALGORITHMS,
    });
    if !resource.scopes.is_empty() {
        metadata["scopes_supported"] = json!(resource.scopes.iter().collect::<Vec<_>>());
    }
    if !resource.authorization_details_types.is_empty() {
        metadata["authorization_details_types_supported"] = json!(
            resource
                .authorization_details_types
                .iter()
                .map(|t| t.kind.as_str())
                .collect::<Vec<_>>()
        );
    }
    metadata
}
