//! Registration policy. Binding configuration:
//!
//! ```json
//! {"redirect_hosts": ["127.0.0.1", "localhost"], "scopes": ["openid", "projects:read"],
//!  "blocked_software": ["scraper-9000"]}
//! ```
//!
//! A client registering itself (RFC 7591, or by a client ID metadata
//! document) keeps only the redirect URIs on `redirect_hosts` — refused
//! when none is left — and only the scopes on `scopes`; a `software_id` on
//! `blocked_software` is refused outright. A setting left out allows
//! everything it would limit.

wit_bindgen::generate!({ world: "registration-policy", path: "../../wit" });

use warden::plugin::host::{Level, log};
use warden::plugin::types::RegistrationAllow;

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    redirect_hosts: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
    #[serde(default)]
    blocked_software: Vec<String>,
}

struct Allowlist;

impl Guest for Allowlist {
    fn evaluate(request: RegistrationRequest, config: String) -> RegistrationDecision {
        match serde_json::from_str::<Config>(&config) {
            Ok(config) => decide(request, config),
            Err(e) => {
                log(Level::Error, &format!("bad binding configuration: {e}"));
                RegistrationDecision::Deny("the tenant's registration policy is misconfigured".into())
            }
        }
    }
}

fn decide(request: RegistrationRequest, config: Config) -> RegistrationDecision {
    let metadata: serde_json::Value = serde_json::from_str(&request.metadata).unwrap_or_default();
    if let Some(software) = metadata["software_id"].as_str()
        && config.blocked_software.iter().any(|b| b == software)
    {
        return RegistrationDecision::Deny(format!("this tenant does not register {software}"));
    }
    let redirect_uris = config.redirect_hosts.as_ref().map(|hosts| {
        request.redirect_uris.iter().filter(|u| hosts.iter().any(|h| host_of(u) == h.as_str())).cloned().collect::<Vec<_>>()
    });
    if let (Some(kept), Some(hosts)) = (&redirect_uris, &config.redirect_hosts)
        && kept.is_empty()
        && !request.redirect_uris.is_empty()
    {
        return RegistrationDecision::Deny(format!(
            "none of the redirect URIs is on a host this tenant accepts ({})",
            hosts.join(", ")
        ));
    }
    RegistrationDecision::Allow(RegistrationAllow { redirect_uris, grant_types: None, scopes: config.scopes })
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

export!(Allowlist);
