//! Credential webhook. Binding configuration:
//!
//! ```json
//! {"allowed_origins": ["https://hooks.example.com"],
//!  "default_url": "https://hooks.example.com/warden",
//!  "headers": {"X-Partner": "acme"}}
//! ```
//!
//! `allowed_origins` is read by the host, which refuses any delivery to
//! another origin. The plugin POSTs one JSON document per event to the app's
//! registered `hook_url` (client metadata), or to `default_url` when the app
//! has none; with neither, there is nothing to deliver. `headers` are added to
//! every request. The host signs each request (`Warden-Signature`), adds an
//! `Idempotency-Key`, and retries with backoff.
//!
//! The document the integrator receives:
//!
//! ```json
//! {"type": "credentials.created", "event_id": "evt_…", "occurred_at": 1767225600,
//!  "tenant": "acme",
//!  "client": {"client_id": "cl_…", "name": "Reporting app"},
//!  "credentials": {"client_id": "cl_…", "client_secret": "wsec_…",
//!                  "token_endpoint": "https://…/t/acme/token",
//!                  "grant_type": "client_credentials"},
//!  "metadata": {…}}
//! ```
//!
//! `credentials.revoked` carries no `credentials`: the client is gone.

wit_bindgen::generate!({ world: "credential-delivery", path: "../../wit" });

use serde_json::json;
use warden::plugin::host::{Level, log};
use warden::plugin::types::{CredentialEventKind, Header};

#[derive(serde::Deserialize, Default)]
struct Config {
    default_url: Option<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
}

struct CredentialWebhook;

impl Guest for CredentialWebhook {
    fn deliver(event: CredentialEvent, config: String) -> Result<Vec<Delivery>, String> {
        let config: Config = serde_json::from_str(&config).map_err(|e| format!("bad binding configuration: {e}"))?;
        let Some(url) = event.hook_url.clone().or(config.default_url) else {
            log(Level::Info, &format!("client {} has no hook_url and the binding no default_url: nothing to deliver", event.client_id));
            return Ok(vec![]);
        };
        let kind = match event.kind {
            CredentialEventKind::Created => "credentials.created",
            CredentialEventKind::Rotated => "credentials.rotated",
            CredentialEventKind::Revoked => "credentials.revoked",
        };
        let metadata: serde_json::Value = serde_json::from_str(&event.app_metadata).unwrap_or(json!({}));
        let mut body = json!({
            "type": kind,
            "event_id": event.event_id,
            "occurred_at": event.occurred_at,
            "tenant": event.tenant,
            "client": {"client_id": event.client_id, "name": event.client_name},
            "metadata": metadata,
        });
        if let Some(secret) = &event.client_secret {
            body["credentials"] = json!({
                "client_id": event.client_id,
                "client_secret": secret,
                "token_endpoint": event.token_endpoint,
                "grant_type": "client_credentials",
            });
        }
        let mut headers = vec![Header { name: "Content-Type".into(), value: "application/json".into() }];
        headers.extend(config.headers.into_iter().map(|(name, value)| Header { name, value }));
        Ok(vec![Delivery { url, headers, body: body.to_string() }])
    }
}

export!(CredentialWebhook);
