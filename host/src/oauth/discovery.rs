//! Server metadata (RFC 8414, OpenID Connect Discovery 1.0): every endpoint,
//! and only what is really supported.

use crate::directory::TenantEntry;
use crate::domain::SUPPORTED_GRANT_TYPES;
use serde_json::{Value, json};

pub fn metadata(tenant: &TenantEntry) -> Value {
    let issuer = &tenant.issuer;
    let auth_methods = ["client_secret_basic", "client_secret_post"];
    json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks.json"),
        "introspection_endpoint": format!("{issuer}/introspect"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "grant_types_supported": SUPPORTED_GRANT_TYPES,
        // No authorization endpoint yet, so no response type is supported.
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "access_token_signing_alg_values_supported": [tenant.tenant.signing_alg.as_str()],
    })
}
