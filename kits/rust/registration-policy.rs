//! {{name}}: a Warden registration policy.
//!
//! Binding configuration, e.g. `{"redirect_hosts": ["127.0.0.1", "localhost"], "scopes": ["read"]}`:
//! keeps only redirect URIs on `redirect_hosts` (refusing a client left with
//! none) and only the scopes on `scopes`.

wit_bindgen::generate!({ world: "registration-policy", path: "wit" });

use serde_json::Value;
use warden::plugin::types::RegistrationAllow;

struct Policy;

impl Guest for Policy {
    fn evaluate(request: RegistrationRequest, config: String) -> RegistrationDecision {
        let settings: Value = serde_json::from_str(&config).unwrap_or(Value::Null);
        let listed = |key: &str| -> Option<Vec<String>> {
            settings[key].as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        };
        let redirect_uris = listed("redirect_hosts").map(|hosts| {
            request.redirect_uris.iter().filter(|u| hosts.iter().any(|h| host_of(u) == h.as_str())).cloned().collect::<Vec<_>>()
        });
        if let Some(kept) = &redirect_uris
            && kept.is_empty()
            && !request.redirect_uris.is_empty()
        {
            return RegistrationDecision::Deny(format!(
                "none of the redirect URIs is on a host this tenant accepts ({})",
                listed("redirect_hosts").unwrap_or_default().join(", ")
            ));
        }
        RegistrationDecision::Allow(RegistrationAllow { redirect_uris, grant_types: None, scopes: listed("scopes") })
    }
}

/// The host of an absolute URI (`[::1]` with its brackets).
fn host_of(uri: &str) -> &str {
    let rest = uri.split_once("://").map_or("", |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(authority, |(h, _)| &authority[..h.len() + 2]),
        None => authority.split(':').next().unwrap_or(""),
    }
}

export!(Policy);
