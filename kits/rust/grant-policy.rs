//! {{name}}: a Warden grant policy.
//!
//! Binding configuration, e.g. `{"allowed_scopes": ["read", "write"], "claims": {"org": "acme"}}`:
//! grants only requested scopes on `allowed_scopes` (invalid_scope when none
//! is left) and adds `claims` to the token. Tokens for an app's installation
//! keep what the tenant's admin approved. `"cache_for_seconds": 300` lets the
//! host reuse a decision for the same request that long without calling the
//! plugin (the decision depends on nothing else).

wit_bindgen::generate!({ world: "grant-policy", path: "wit" });

use serde_json::Value;
use warden::plugin::host::{Level, log};
use warden::plugin::types::{Allow, Deny, DenyCode, GrantDecision, JsonField};

struct Policy;

impl Guest for Policy {
    fn evaluate(request: GrantRequest, config: String) -> GrantAnswer {
        match serde_json::from_str::<Value>(&config) {
            Ok(settings) => {
                let cache_for = settings["cache_for_seconds"].as_u64().unwrap_or(0).min(u32::MAX.into()) as u32;
                GrantAnswer { decision: decide(request, &settings), cache_for }
            }
            Err(e) => {
                log(Level::Error, &format!("bad binding configuration: {e}"));
                let decision = GrantDecision::Deny(Deny {
                    code: DenyCode::AccessDenied,
                    description: "the tenant's grant policy is misconfigured".into(),
                });
                GrantAnswer { decision, cache_for: 0 }
            }
        }
    }
}

fn decide(request: GrantRequest, settings: &Value) -> GrantDecision {
    let claims = settings["claims"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| JsonField { name: name.clone(), value: value.to_string() })
        .collect();
    if request.installation.is_some() {
        return GrantDecision::Allow(Allow { scopes: request.requested_scopes, claims, lifetime_seconds: None });
    }
    let allowed: Vec<&str> = settings["allowed_scopes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let scopes: Vec<String> = request.requested_scopes.iter().filter(|s| allowed.contains(&s.as_str())).cloned().collect();
    if scopes.is_empty() && !request.requested_scopes.is_empty() {
        return GrantDecision::Deny(Deny {
            code: DenyCode::InvalidScope,
            description: format!("none of the requested scopes is allowed by this tenant (allowed: {})", allowed.join(" ")),
        });
    }
    let lifetime_seconds = settings["max_lifetime_seconds"].as_u64().map(|s| s as u32);
    GrantDecision::Allow(Allow { scopes, claims, lifetime_seconds })
}

export!(Policy);
