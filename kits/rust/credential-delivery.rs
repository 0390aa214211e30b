//! {{name}}: a Warden credential delivery.
//!
//! Sends each event as JSON to the app's hook URL. The host signs, retries
//! and sends only to origins on the binding's `allowed_origins`.

wit_bindgen::generate!({ world: "credential-delivery", path: "wit" });

use serde_json::json;
use warden::plugin::types::{CredentialEventKind, Header};

struct Deliver;

impl Guest for Deliver {
    fn deliver(event: Event, _config: String) -> Result<Vec<Delivery>, String> {
        let (url, body) = match event {
            Event::Credential(e) => {
                let Some(url) = e.hook_url else { return Ok(vec![]) };
                let kind = match e.kind {
                    CredentialEventKind::Created => "created",
                    CredentialEventKind::Rotated => "rotated",
                    CredentialEventKind::Revoked => "revoked",
                };
                let body = json!({"type": format!("client.{kind}"), "tenant": e.tenant, "client_id": e.client_id,
                    "client_secret": e.client_secret, "token_endpoint": e.token_endpoint,
                    "event_id": e.event_id, "occurred_at": e.occurred_at});
                (url, body)
            }
            Event::Installation(e) => {
                let mut body = json!({"type": e.type_, "tenant": e.tenant, "installation": e.installation.id,
                    "app": e.installation.app, "status": e.status, "sequence": e.sequence,
                    "event_id": e.event_id, "occurred_at": e.occurred_at});
                if let Some(c) = e.credentials {
                    body["credentials"] = json!({"client_id": c.client_id, "token_endpoint": c.token_endpoint,
                        "client_secret_jwe": c.client_secret_jwe, "client_secret": c.client_secret});
                }
                (e.hook_url, body)
            }
        };
        let headers = vec![Header { name: "content-type".into(), value: "application/json".into() }];
        Ok(vec![Delivery { url, headers, body: body.to_string() }])
    }
}

export!(Deliver);
