//! Credential webhook: Warden's default credential-delivery plugin. Built
//! into the server (`core/builtin/credential_webhook.wasm`) as the
//! platform-wide default for apps' installation events; bind it yourself to
//! deliver clients' credentials too. Binding configuration:
//!
//! ```json
//! {"allowed_origins": ["https://hooks.example.com"],
//!  "default_url": "https://hooks.example.com/warden",
//!  "headers": {"X-Partner": "acme"}}
//! ```
//!
//! **Installation events** (an app's installation was created, suspended,
//! upgraded, …) go to the app's registered hook as the Standard Webhooks
//! body `{"type", "timestamp", "data"}`; the host signs them with the app's
//! secret (`webhook-signature`) and sends them only to the app's hook.
//!
//! ```json
//! {"type": "installation.created", "timestamp": "2026-12-02T10:00:00Z",
//!  "data": {"tenant": {"slug": "acme", "issuer": "https://…/t/acme"},
//!           "installation": {"id": "in_…", "status": "active", "sequence": 1, "installed_by": "ann"},
//!           "app": {"slug": "docs-sync", "version": 1},
//!           "service_account": {"id": "usr_…", "name": "docs-sync-0a1b2c3d"},
//!           "permissions": ["directory:read"], "resources": {"project": ["p1"]},
//!           "credentials": {"client_id": "cl_…", "token_endpoint": "…", "client_secret_jwe": "…"}}}
//! ```
//!
//! **Client credential events**: `allowed_origins` is read by the host, which
//! refuses any delivery to another origin. The plugin POSTs one JSON document
//! per event to the client's `hook_url` (client metadata), or to `default_url`
//! when it has none; with neither, there is nothing to deliver. The host
//! signs each request (`Warden-Signature`), adds an `Idempotency-Key`, and
//! retries with backoff.
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
//! `headers` from the configuration are added to every request.

wit_bindgen::generate!({ world: "credential-delivery", path: "../../wit" });

use serde_json::{Value, json};
use warden::plugin::host::{Level, log};
use warden::plugin::types::{
    CredentialEvent, CredentialEventKind, Header, Installation, InstallationEvent, Resources,
};

#[derive(serde::Deserialize, Default)]
struct Config {
    default_url: Option<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
}

struct CredentialWebhook;

impl Guest for CredentialWebhook {
    fn deliver(event: Event, config: String) -> Result<Vec<Delivery>, String> {
        let config: Config = serde_json::from_str(&config).map_err(|e| format!("bad binding configuration: {e}"))?;
        let mut headers = vec![Header { name: "Content-Type".into(), value: "application/json".into() }];
        headers.extend(config.headers.iter().map(|(name, value)| Header { name: name.clone(), value: value.clone() }));
        match event {
            Event::Installation(e) => {
                let url = e.hook_url.clone();
                Ok(vec![Delivery { url, headers, body: installation_body(e).to_string() }])
            }
            Event::Credential(e) => {
                let Some(url) = e.hook_url.clone().or(config.default_url) else {
                    log(Level::Info, &format!("client {} has no hook_url and the binding no default_url: nothing to deliver", e.client_id));
                    return Ok(vec![]);
                };
                Ok(vec![Delivery { url, headers, body: credential_body(e).to_string() }])
            }
        }
    }
}

fn installation_body(e: InstallationEvent) -> Value {
    let Installation { id, app, version, service_account, service_account_name, permissions, resources } = e.installation;
    let resources = match resources {
        Resources::All => json!("all"),
        Resources::Selected(types) => {
            Value::Object(types.into_iter().map(|t| (t.type_, json!(t.ids))).collect())
        }
    };
    let mut data = json!({
        "tenant": {"slug": e.tenant, "issuer": e.issuer},
        "installation": {"id": id, "status": e.status, "sequence": e.sequence, "installed_by": e.installed_by},
        "app": {"slug": app, "version": version},
        "service_account": {"id": service_account, "name": service_account_name},
        "permissions": permissions,
        "resources": resources,
    });
    if let Ok(Value::Object(detail)) = serde_json::from_str::<Value>(&e.detail) {
        data.as_object_mut().expect("object").extend(detail);
    }
    if let Some(c) = e.credentials {
        let mut creds = json!({"client_id": c.client_id, "token_endpoint": c.token_endpoint});
        if let Some(jwe) = c.client_secret_jwe {
            creds["client_secret_jwe"] = jwe.into();
        }
        if let Some(secret) = c.client_secret {
            creds["client_secret"] = secret.into();
        }
        data["credentials"] = creds;
    }
    json!({"type": e.type_, "timestamp": rfc3339(e.occurred_at), "data": data})
}

fn credential_body(e: CredentialEvent) -> Value {
    let kind = match e.kind {
        CredentialEventKind::Created => "credentials.created",
        CredentialEventKind::Rotated => "credentials.rotated",
        CredentialEventKind::Revoked => "credentials.revoked",
    };
    let metadata: Value = serde_json::from_str(&e.app_metadata).unwrap_or(json!({}));
    let mut body = json!({
        "type": kind,
        "event_id": e.event_id,
        "occurred_at": e.occurred_at,
        "tenant": e.tenant,
        "client": {"client_id": e.client_id, "name": e.client_name},
        "metadata": metadata,
    });
    if let Some(secret) = &e.client_secret {
        body["credentials"] = json!({
            "client_id": e.client_id,
            "client_secret": secret,
            "token_endpoint": e.token_endpoint,
            "grant_type": "client_credentials",
        });
    }
    body
}

/// Seconds since the epoch as RFC 3339 UTC (Standard Webhooks' `timestamp`).
fn rfc3339(t: i64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

export!(CredentialWebhook);
