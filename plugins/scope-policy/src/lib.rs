//! Scope policy. Binding configuration:
//!
//! ```json
//! {"allowed_scopes": ["read", "write"], "claims": {"org": "acme"}, "max_lifetime_seconds": 600}
//! ```
//!
//! Grants only requested scopes that are on `allowed_scopes` (denying with
//! `invalid_scope` when none is left), adds every entry of `claims` to the
//! token, and caps its lifetime at `max_lifetime_seconds`.

wit_bindgen::generate!({ world: "grant-policy", path: "../../wit" });

use warden::plugin::host::{Level, log};
use warden::plugin::types::{Allow, Deny, DenyCode, JsonField};

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    allowed_scopes: Vec<String>,
    #[serde(default)]
    claims: serde_json::Map<String, serde_json::Value>,
    max_lifetime_seconds: Option<u32>,
}

struct ScopePolicy;

impl Guest for ScopePolicy {
    fn evaluate(request: GrantRequest, config: String) -> GrantDecision {
        let config: Config = match serde_json::from_str(&config) {
            Ok(c) => c,
            Err(e) => {
                log(Level::Error, &format!("bad binding configuration: {e}"));
                return GrantDecision::Deny(Deny {
                    code: DenyCode::AccessDenied,
                    description: "the tenant's scope policy is misconfigured".into(),
                });
            }
        };
        let scopes: Vec<String> = request
            .requested_scopes
            .iter()
            .filter(|s| config.allowed_scopes.contains(s))
            .cloned()
            .collect();
        if scopes.is_empty() && !request.requested_scopes.is_empty() {
            return GrantDecision::Deny(Deny {
                code: DenyCode::InvalidScope,
                description: format!(
                    "none of the requested scopes is allowed by this tenant's policy (allowed: {})",
                    config.allowed_scopes.join(" ")
                ),
            });
        }
        let claims = config
            .claims
            .iter()
            .map(|(name, value)| JsonField { name: name.clone(), value: value.to_string() })
            .collect();
        GrantDecision::Allow(Allow { scopes, claims, lifetime_seconds: config.max_lifetime_seconds })
    }
}

export!(ScopePolicy);
