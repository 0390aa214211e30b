//! Scope policy. Binding configuration:
//!
//! ```json
//! {"allowed_scopes": ["read", "write"], "claims": {"org": "acme"}, "max_lifetime_seconds": 600}
//! ```
//!
//! Grants only requested scopes that are on `allowed_scopes` (denying with
//! `invalid_scope` when none is left), adds every entry of `claims` to the
//! token, and caps its lifetime at `max_lifetime_seconds`.
//!
//! Tokens for an app's installation keep the permissions the tenant's admin
//! approved (they are not on `allowed_scopes`); two more settings apply to
//! them only:
//!
//! ```json
//! {"app_max_lifetime_seconds": 3600, "blocked_apps": ["old-sync"]}
//! ```
//!
//! `app_max_lifetime_seconds` caps their lifetime, and an app on
//! `blocked_apps` gets `access_denied` naming the installation.
//!
//! RFC 9396 authorization details a client asks for (0.4.0) can be held to
//! the actions the tenant allows each type:
//!
//! ```json
//! {"detail_actions": {"project_access": ["read"]}}
//! ```
//!
//! A detail of a type listed there naming another action (or none) gets
//! `access_denied` saying which; types not listed pass as the host checked.
//!
//! The decision depends only on the request and this configuration, so the
//! host may reuse it: `{"cache_for_seconds": 300}` lets it answer the same
//! request again without calling the plugin for up to that long (0, the
//! default, calls it every time).

wit_bindgen::generate!({ world: "grant-policy", path: "../../wit" });

use warden::plugin::host::{Level, log};
use warden::plugin::types::{Allow, Deny, DenyCode, GrantDecision, JsonField};

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    allowed_scopes: Vec<String>,
    #[serde(default)]
    claims: serde_json::Map<String, serde_json::Value>,
    max_lifetime_seconds: Option<u32>,
    app_max_lifetime_seconds: Option<u32>,
    #[serde(default)]
    blocked_apps: Vec<String>,
    #[serde(default)]
    detail_actions: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    cache_for_seconds: u32,
}

struct ScopePolicy;

impl Guest for ScopePolicy {
    fn evaluate(request: GrantRequest, config: String) -> GrantAnswer {
        match serde_json::from_str::<Config>(&config) {
            Ok(config) => GrantAnswer { cache_for: config.cache_for_seconds, decision: decide(request, config) },
            Err(e) => {
                log(Level::Error, &format!("bad binding configuration: {e}"));
                let decision = GrantDecision::Deny(Deny {
                    code: DenyCode::AccessDenied,
                    description: "the tenant's scope policy is misconfigured".into(),
                });
                GrantAnswer { decision, cache_for: 0 }
            }
        }
    }
}

fn decide(request: GrantRequest, config: Config) -> GrantDecision {
    let claims: Vec<JsonField> = config
        .claims
        .iter()
        .map(|(name, value)| JsonField { name: name.clone(), value: value.to_string() })
        .collect();
    if let Some(installation) = &request.installation {
        if config.blocked_apps.contains(&installation.app) {
            return GrantDecision::Deny(Deny {
                code: DenyCode::AccessDenied,
                description: format!(
                    "this tenant blocks tokens for the app {} (installation {})",
                    installation.app, installation.id
                ),
            });
        }
        let lifetime = [config.max_lifetime_seconds, config.app_max_lifetime_seconds].into_iter().flatten().min();
        return GrantDecision::Allow(Allow { scopes: request.requested_scopes, claims, lifetime_seconds: lifetime });
    }
    if let Some(why) = refused_detail(&request.authorization_details, &config) {
        return GrantDecision::Deny(Deny { code: DenyCode::AccessDenied, description: why });
    }
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
    GrantDecision::Allow(Allow { scopes, claims, lifetime_seconds: config.max_lifetime_seconds })
}

/// Why a requested detail goes beyond `detail_actions`, if one does.
fn refused_detail(details: &[String], config: &Config) -> Option<String> {
    for text in details {
        let detail: serde_json::Value = serde_json::from_str(text).ok()?;
        let kind = detail["type"].as_str().unwrap_or_default();
        let Some(allowed) = config.detail_actions.get(kind) else { continue };
        let actions: Vec<&str> =
            detail["actions"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
        if actions.is_empty() {
            return Some(format!("this tenant's policy needs {kind} requests to name their actions ({})", allowed.join(", ")));
        }
        if let Some(a) = actions.iter().find(|a| !allowed.iter().any(|x| x == *a)) {
            return Some(format!("this tenant's policy does not allow the action {a} on {kind} (allowed: {})", allowed.join(", ")));
        }
    }
    None
}

export!(ScopePolicy);
