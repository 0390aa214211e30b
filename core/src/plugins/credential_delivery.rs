//! The credential-delivery hook: a plugin turns a credential event into HTTP
//! requests; the host checks them here (shape, size, allowed origins) before
//! anything is queued. The plugin never sends anything itself.

use super::bindings::types as wit;
use super::installation::InstallationInfo;
use super::{CallContext, Hook, Limits, Plugin, PluginError, PluginHost, Pre, compat, failure};
use serde::{Deserialize, Serialize};

const MAX_DELIVERIES: usize = 8;
const MAX_HEADERS: usize = 32;
const MAX_BODY: usize = 64 * 1024;
const MAX_URL: usize = 2048;

/// Headers the host sets itself; a plugin may not.
pub const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "te",
    "upgrade",
    "trailer",
    "keep-alive",
    "proxy-connection",
    "idempotency-key",
    "user-agent",
];
/// Every `warden-*` header is the host's too (signature, event, attempt).
const RESERVED_PREFIX: &str = "warden-";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Rotated,
    Revoked,
}

impl EventKind {
    /// The event name receivers see in `Warden-Event`.
    pub fn event_name(self) -> &'static str {
        match self {
            EventKind::Created => "credentials.created",
            EventKind::Rotated => "credentials.rotated",
            EventKind::Revoked => "credentials.revoked",
        }
    }
}

/// What happened to a client's credentials (mirrors `credential-event`).
#[derive(Clone, Serialize, Deserialize)]
pub struct CredentialEvent {
    pub kind: EventKind,
    pub tenant: String,
    pub client_id: String,
    pub client_name: String,
    pub client_secret: Option<String>,
    pub token_endpoint: String,
    pub hook_url: Option<String>,
    #[serde(default)]
    pub app_metadata: serde_json::Value,
    pub occurred_at: i64,
    pub event_id: String,
}

impl std::fmt::Debug for CredentialEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialEvent")
            .field("kind", &self.kind)
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// New push credentials of an installation (mirrors `pushed-credentials`).
#[derive(Clone, Serialize, Deserialize)]
pub struct PushedCredentials {
    pub client_id: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub client_secret_jwe: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
}

/// A lifecycle change of an app's installation (mirrors `installation-event`).
#[derive(Clone, Serialize, Deserialize)]
pub struct InstallationEvent {
    /// `installation.created`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub tenant: String,
    pub issuer: String,
    pub installation: InstallationInfo,
    pub status: String,
    pub sequence: u64,
    pub installed_by: String,
    /// What the change adds, a JSON object.
    #[serde(default)]
    pub detail: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub credentials: Option<PushedCredentials>,
    pub hook_url: String,
    pub occurred_at: i64,
    pub event_id: String,
    /// Further origins deliveries may go to (the app's own delivery
    /// plugin's `origins`); the host's rule, not shown to the plugin.
    #[serde(default)]
    pub extra_origins: Vec<String>,
}

impl std::fmt::Debug for InstallationEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstallationEvent")
            .field("type", &self.kind)
            .field("tenant", &self.tenant)
            .field("installation", &self.installation.id)
            .field("sequence", &self.sequence)
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// What a credential-delivery plugin is called with.
#[derive(Clone, Debug)]
pub enum DeliveryEvent {
    Credential(CredentialEvent),
    Installation(InstallationEvent),
}

impl DeliveryEvent {
    /// The clear secret the event carries, kept out of logs.
    pub fn secret(&self) -> Option<String> {
        match self {
            DeliveryEvent::Credential(e) => e.client_secret.clone(),
            DeliveryEvent::Installation(e) => {
                e.credentials.as_ref().and_then(|c| c.client_secret.clone())
            }
        }
    }

    /// Reads `plugin test` input: an installation event has `installation`.
    pub fn from_json(text: &str) -> Result<DeliveryEvent, serde_json::Error> {
        let v: serde_json::Value = serde_json::from_str(text)?;
        if v.get("installation").is_some() {
            serde_json::from_value(v).map(DeliveryEvent::Installation)
        } else {
            serde_json::from_value(v).map(DeliveryEvent::Credential)
        }
    }

    fn to_wit(&self) -> wit::Event {
        match self {
            DeliveryEvent::Credential(event) => wit::Event::Credential(wit::CredentialEvent {
                kind: match event.kind {
                    EventKind::Created => wit::CredentialEventKind::Created,
                    EventKind::Rotated => wit::CredentialEventKind::Rotated,
                    EventKind::Revoked => wit::CredentialEventKind::Revoked,
                },
                tenant: event.tenant.clone(),
                client_id: event.client_id.clone(),
                client_name: event.client_name.clone(),
                client_secret: event.client_secret.clone(),
                token_endpoint: event.token_endpoint.clone(),
                hook_url: event.hook_url.clone(),
                app_metadata: event.app_metadata.to_string(),
                occurred_at: event.occurred_at,
                event_id: event.event_id.clone(),
            }),
            DeliveryEvent::Installation(e) => wit::Event::Installation(wit::InstallationEvent {
                type_: e.kind.clone(),
                tenant: e.tenant.clone(),
                issuer: e.issuer.clone(),
                installation: e.installation.to_wit(),
                status: e.status.clone(),
                sequence: e.sequence,
                installed_by: e.installed_by.clone(),
                detail: serde_json::Value::Object(e.detail.clone()).to_string(),
                credentials: e.credentials.as_ref().map(|c| wit::PushedCredentials {
                    client_id: c.client_id.clone(),
                    token_endpoint: c.token_endpoint.clone(),
                    client_secret_jwe: c.client_secret_jwe.clone(),
                    client_secret: c.client_secret.clone(),
                }),
                hook_url: e.hook_url.clone(),
                occurred_at: e.occurred_at,
                event_id: e.event_id.clone(),
            }),
        }
    }

    /// Where deliveries for this event may go: the binding's
    /// `allowed_origins` for a client's credentials, only the app's
    /// registered hook for an installation's events.
    fn allowed(&self, config: &str) -> Allowed {
        match self {
            DeliveryEvent::Credential(_) => Allowed {
                origins: binding_origins(config),
                rule: "the binding's allowed_origins",
            },
            DeliveryEvent::Installation(e) => Allowed {
                origins: std::iter::once(&e.hook_url)
                    .chain(&e.extra_origins)
                    .filter_map(|o| url::Url::parse(o).ok())
                    .map(|u| origin(&u))
                    .collect(),
                rule: "the app's registered origins",
            },
        }
    }
}

/// The origins deliveries may go to, and the rule's name for messages.
struct Allowed {
    origins: Vec<String>,
    rule: &'static str,
}

/// The origins a binding's configuration allows.
fn binding_origins(config: &str) -> Vec<String> {
    let host: HostConfig = serde_json::from_str(config).unwrap_or_default();
    host.allowed_origins
        .iter()
        .filter_map(|o| url::Url::parse(o).ok())
        .map(|u| origin(&u))
        .collect()
}

/// One checked HTTP POST for the outbox.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct DeliveryRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl std::fmt::Debug for DeliveryRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers and body may carry the client secret.
        f.debug_struct("DeliveryRequest")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The part of a binding's configuration the host itself reads.
#[derive(Deserialize, Default)]
struct HostConfig {
    #[serde(default)]
    allowed_origins: Vec<String>,
}

impl PluginHost {
    /// Runs a credential-delivery plugin once with a fresh instance and checks
    /// what it asks the host to send.
    pub async fn compute_deliveries(
        &self,
        plugin: &Plugin,
        context: CallContext,
        limits: Limits,
        event: &DeliveryEvent,
        config: &str,
    ) -> Result<Vec<DeliveryRequest>, PluginError> {
        let span = super::call_span(Hook::CredentialDelivery, &context);
        super::observed(Hook::CredentialDelivery, span, async move {
            if plugin.hook != Hook::CredentialDelivery {
                return Err(plugin.wrong_hook(Hook::CredentialDelivery));
            }
            let secret = event.secret();
            let limits = self.clamp(limits);
            let code = plugin.code();
            let mut store = self.store(&code.engine, context, limits);
            let wit_event = event.to_wit();
            let result = match (&code.pre, &wit_event) {
                (Pre::Delivery(pre), _) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i.call_deliver(&mut store, &wit_event, config).await,
                    Err(e) => Err(e),
                },
                (Pre::DeliveryV2(pre), _) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i.call_deliver(&mut store, &wit_event, config).await,
                    Err(e) => Err(e),
                },
                (Pre::DeliveryV1(pre), wit::Event::Credential(c)) => {
                    match pre.instantiate_async(&mut store).await {
                        Ok(i) => i
                            .call_deliver(&mut store, &compat::credential_event(c), config)
                            .await
                            .map(|r| r.map(compat::deliveries)),
                        Err(e) => Err(e),
                    }
                }
                (Pre::DeliveryV1(_), wit::Event::Installation(_)) => {
                    return Err(PluginError::Invalid(
                        "built against warden:plugin@0.1.0, which has no installation events"
                            .into(),
                    ));
                }
                _ => return Err(plugin.wrong_hook(Hook::CredentialDelivery)),
            }
            .map_err(|e| failure(e, limits))?;
            match result {
                Ok(deliveries) => check(deliveries, &event.allowed(config)),
                Err(reason) => {
                    let reason = redact(&reason, secret.as_deref());
                    Err(PluginError::Invalid(format!(
                        "plugin refused the event: {}",
                        reason.chars().take(300).collect::<String>()
                    )))
                }
            }
        })
        .await
    }
}

use super::sandbox::redact;

/// `scheme://host[:port]` of a URL, with default ports left out.
pub fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// The host's rules for what a plugin may ask to send. Messages name the
/// offending URL or header name, never a header value or the body.
fn check(
    deliveries: Vec<wit::Delivery>,
    allowed: &Allowed,
) -> Result<Vec<DeliveryRequest>, PluginError> {
    let invalid = |m: String| Err(PluginError::Invalid(m));
    if deliveries.len() > MAX_DELIVERIES {
        return invalid(format!("more than {MAX_DELIVERIES} deliveries"));
    }
    let mut out = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        if d.url.len() > MAX_URL {
            return invalid(format!("delivery URL longer than {MAX_URL} characters"));
        }
        let Ok(url) = url::Url::parse(&d.url) else {
            return invalid(format!("delivery URL {:?} is not a valid URL", d.url));
        };
        if !matches!(url.scheme(), "https" | "http")
            || url.username() != ""
            || url.password().is_some()
            || url.fragment().is_some()
        {
            return invalid(format!(
                "delivery URL {:?} must be http(s) without credentials or fragment",
                url.as_str()
            ));
        }
        if !allowed.origins.contains(&origin(&url)) {
            return invalid(format!(
                "delivery URL origin {} is not in {}",
                origin(&url),
                allowed.rule
            ));
        }
        if d.headers.len() > MAX_HEADERS {
            return invalid(format!("more than {MAX_HEADERS} headers"));
        }
        let mut headers = Vec::with_capacity(d.headers.len());
        for h in d.headers {
            let name = h.name.to_ascii_lowercase();
            if http_name(&name).is_none() {
                return invalid(format!(
                    "header name {:?} is not a valid HTTP header name",
                    h.name
                ));
            }
            if RESERVED_HEADERS.contains(&name.as_str()) || name.starts_with(RESERVED_PREFIX) {
                return invalid(format!(
                    "header {:?} is set by the host and cannot be set by a plugin",
                    h.name
                ));
            }
            if !h
                .value
                .bytes()
                .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
                || h.value.len() > 4096
            {
                return invalid(format!(
                    "header {:?} has a value that is not printable ASCII (at most 4 KiB)",
                    h.name
                ));
            }
            headers.push((name, h.value));
        }
        if d.body.len() > MAX_BODY {
            return invalid(format!("delivery body larger than {MAX_BODY} bytes"));
        }
        out.push(DeliveryRequest {
            url: url.to_string(),
            headers,
            body: d.body,
        });
    }
    Ok(out)
}

fn http_name(name: &str) -> Option<()> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    (!name.is_empty() && name.len() <= 256 && name.bytes().all(token)).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(url: &str, headers: &[(&str, &str)]) -> wit::Delivery {
        wit::Delivery {
            url: url.into(),
            headers: headers
                .iter()
                .map(|(n, v)| wit::Header {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            body: "{}".into(),
        }
    }

    fn binding(config: &str) -> Allowed {
        Allowed {
            origins: binding_origins(config),
            rule: "the binding's allowed_origins",
        }
    }

    const CONFIG: &str = r#"{"allowed_origins": ["https://hooks.example.com", "http://127.0.0.1:9000/ignored-path"]}"#;

    #[test]
    fn only_allowed_origins_pass() {
        assert!(
            check(
                vec![delivery("https://hooks.example.com/warden?x=1", &[])],
                &binding(CONFIG)
            )
            .is_ok()
        );
        assert!(
            check(
                vec![delivery("https://hooks.example.com:443/a", &[])],
                &binding(CONFIG)
            )
            .is_ok()
        );
        assert!(
            check(
                vec![delivery("http://127.0.0.1:9000/hook", &[])],
                &binding(CONFIG)
            )
            .is_ok()
        );
        for bad in [
            "https://hooks.example.com.evil.test/",
            "http://hooks.example.com/",
            "https://hooks.example.com:8443/",
            "http://127.0.0.1:9001/hook",
            "https://user:pw@hooks.example.com/",
            "ftp://hooks.example.com/",
            "not a url",
        ] {
            assert!(
                check(vec![delivery(bad, &[])], &binding(CONFIG)).is_err(),
                "{bad} passed"
            );
        }
        assert!(
            check(
                vec![delivery("https://hooks.example.com/", &[])],
                &binding("{}")
            )
            .is_err(),
            "no allowlist, no delivery"
        );
    }

    #[test]
    fn host_headers_and_bad_values_are_refused() {
        let url = "https://hooks.example.com/";
        assert!(
            check(
                vec![delivery(
                    url,
                    &[("Content-Type", "application/json"), ("X-App", "1")]
                )],
                &binding(CONFIG)
            )
            .is_ok()
        );
        for (n, v) in [
            ("Host", "x"),
            ("Warden-Signature", "x"),
            ("idempotency-key", "x"),
            ("bad name", "x"),
            ("X-A", "a\r\nb"),
        ] {
            let e = check(vec![delivery(url, &[(n, v)])], &binding(CONFIG))
                .unwrap_err()
                .to_string();
            assert!(
                !e.contains("a\r\nb"),
                "values never appear in messages: {e}"
            );
        }
    }

    #[test]
    fn secrets_are_redacted_from_plugin_messages() {
        assert_eq!(
            redact("failed for wsec_abc", Some("wsec_abc")),
            "failed for <redacted>"
        );
        assert_eq!(redact("fine", None), "fine");
    }
}
