//! Install policy: "no app from an unverified publisher gets write access".
//! Binding configuration:
//!
//! ```json
//! {"verified_publishers": ["Acme Integrations"], "write_suffixes": [":write", ":admin"]}
//! ```
//!
//! An app whose publisher `name` is in `verified_publishers` installs as the
//! admin asked. Any other app loses its optional write permissions (names
//! ending in one of `write_suffixes`, default `[":write"]`); if it requires
//! one, the install (or upgrade) is denied with a reason the admin reads.

wit_bindgen::generate!({ world: "install-policy", path: "../../wit" });

use warden::plugin::host::{Level, log};

#[derive(serde::Deserialize)]
struct Config {
    #[serde(default)]
    verified_publishers: Vec<String>,
    #[serde(default = "default_suffixes")]
    write_suffixes: Vec<String>,
}

fn default_suffixes() -> Vec<String> {
    vec![":write".into()]
}

struct PublisherPolicy;

impl Guest for PublisherPolicy {
    fn review(request: InstallRequest, config: String) -> InstallDecision {
        let config: Config = match serde_json::from_str(&config) {
            Ok(c) => c,
            Err(e) => return InstallDecision::Deny(format!("the install policy is misconfigured: {e}")),
        };
        let publisher = &request.publisher.name;
        if config.verified_publishers.iter().any(|p| p == publisher) {
            return InstallDecision::Allow(vec![]);
        }
        let writes = |name: &str| config.write_suffixes.iter().any(|s| name.ends_with(s.as_str()));
        let approving = |name: &str| request.approving.iter().any(|a| a == name);
        if let Some(p) = request.permissions.iter().find(|p| p.required && writes(&p.name) && approving(&p.name)) {
            return InstallDecision::Deny(format!(
                "{} is published by {publisher}, which this tenant has not verified, and requires write access ({}); ask the platform to verify the publisher",
                request.app_name, p.name
            ));
        }
        let dropped: Vec<String> = request
            .approving
            .iter()
            .filter(|name| writes(name))
            .cloned()
            .collect();
        if !dropped.is_empty() {
            log(Level::Info, &format!("{}: unverified publisher {publisher}; leaving out {}", request.app, dropped.join(", ")));
        }
        InstallDecision::Allow(dropped)
    }
}

export!(PublisherPolicy);
