//! The grant-policy hook: may this token be issued, and with what.
//! The host enforces the limits of a decision here, whatever the plugin says.

use super::bindings::types as wit;
use super::decisions::{InstallationState, Key, KeyHash, Reusable};
use super::installation::InstallationInfo;
use super::{
    BoundPlugin, CallContext, Hook, Limits, Plugin, PluginError, PluginHost, Pre, compat, failure,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

/// Claims a plugin may never set: they carry the token's meaning.
pub const RESERVED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "client_id",
    "scope",
    // An installation's grant, set by the host from what its admin approved.
    "installation",
    "authorization_details",
];
const MAX_CLAIMS: usize = 64;
const MAX_CLAIMS_BYTES: usize = 8 * 1024;
const MAX_DESCRIPTION: usize = 512;

/// What the plugin is asked (mirrors `grant-request` in the WIT).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GrantRequest {
    pub tenant: String,
    pub client: ClientInfo,
    pub grant_type: String,
    pub subject: String,
    pub requested_scopes: Vec<String>,
    pub allowed_scopes: Vec<String>,
    pub audience: Vec<String>,
    pub lifetime_seconds: u32,
    pub request_time: i64,
    /// The installation, when the client is an installation's.
    #[serde(default)]
    pub installation: Option<InstallationInfo>,
    /// RFC 9396 details the client asked for (each a JSON object).
    #[serde(default)]
    pub authorization_details: Vec<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClientInfo {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub metadata: Value,
}

/// The OAuth errors a policy may deny with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyCode {
    InvalidScope,
    AccessDenied,
    UnauthorizedClient,
    InvalidGrant,
}

/// A decision after the host's checks.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GrantDecision {
    Allow {
        /// Only scopes that were requested: a plugin narrows, never widens.
        scopes: Vec<String>,
        claims: Map<String, Value>,
        /// Never longer than what the host would have given.
        lifetime_seconds: u32,
    },
    Deny {
        error: DenyCode,
        error_description: String,
    },
}

impl PluginHost {
    /// The bound grant policy's decision on `request`: one it let the host
    /// reuse for this same input (then `true`), or a fresh call.
    pub async fn decide_grant(
        &self,
        bound: &BoundPlugin,
        request: &GrantRequest,
        installation: Option<InstallationState>,
        cap: Option<Duration>,
    ) -> Result<(GrantDecision, bool), PluginError> {
        self.reused_or_called(
            bound,
            cap,
            || grant_key(bound.id, request, installation),
            || {
                let context = bound.context(&request.tenant);
                self.evaluate_grant(&bound.plugin, context, bound.limits, request, &bound.config)
            },
        )
        .await
    }

    /// Runs a grant-policy plugin once with a fresh instance; the decision
    /// and how many seconds the plugin lets it be reused.
    pub async fn evaluate_grant(
        &self,
        plugin: &Plugin,
        context: CallContext,
        limits: Limits,
        request: &GrantRequest,
        config: &str,
    ) -> Result<(GrantDecision, u32), PluginError> {
        let span = super::call_span(Hook::GrantPolicy, &context);
        super::observed(Hook::GrantPolicy, span, async move {
            if plugin.hook != Hook::GrantPolicy {
                return Err(plugin.wrong_hook(Hook::GrantPolicy));
            }
            let limits = self.clamp(limits);
            let code = plugin.code();
            let mut store = self.store(&code.engine, context, limits);
            let wit_request = wit::GrantRequest {
                tenant: request.tenant.clone(),
                client: wit::Client {
                    id: request.client.id.clone(),
                    name: request.client.name.clone(),
                    metadata: request.client.metadata.to_string(),
                },
                grant_type: request.grant_type.clone(),
                subject: request.subject.clone(),
                requested_scopes: request.requested_scopes.clone(),
                allowed_scopes: request.allowed_scopes.clone(),
                audience: request.audience.clone(),
                lifetime_seconds: request.lifetime_seconds,
                request_time: request.request_time,
                installation: request.installation.as_ref().map(InstallationInfo::to_wit),
                authorization_details: request
                    .authorization_details
                    .iter()
                    .map(Value::to_string)
                    .collect(),
            };
            let answer = match &code.pre {
                Pre::Grant(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i.call_evaluate(&mut store, &wit_request, config).await,
                    Err(e) => Err(e),
                },
                Pre::GrantV3(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i
                        .call_evaluate(&mut store, &compat::grant_request_v3(&wit_request), config)
                        .await
                        .map(compat::grant_answer_v3),
                    Err(e) => Err(e),
                },
                Pre::GrantV2(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i
                        .call_evaluate(&mut store, &compat::grant_request_v3(&wit_request), config)
                        .await
                        .map(|d| compat::grant_answer(compat::grant_decision_v3(d))),
                    Err(e) => Err(e),
                },
                Pre::GrantV1(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i
                        .call_evaluate(&mut store, &compat::grant_request(&wit_request), config)
                        .await
                        .map(compat::grant_decision),
                    Err(e) => Err(e),
                },
                _ => return Err(plugin.wrong_hook(Hook::GrantPolicy)),
            }
            .map_err(|e| failure(e, limits))?;
            Ok((enforce(request, answer.decision)?, answer.cache_for))
        })
        .await
    }
}

/// Applies the host's rules to what the plugin said.
fn enforce(
    request: &GrantRequest,
    decision: wit::GrantDecision,
) -> Result<GrantDecision, PluginError> {
    match decision {
        wit::GrantDecision::Deny(d) => {
            let printable = d.description.bytes().all(|b| (0x20..0x7f).contains(&b));
            if d.description.is_empty() || d.description.len() > MAX_DESCRIPTION || !printable {
                return Err(PluginError::Invalid(format!(
                    "deny description must be 1-{MAX_DESCRIPTION} printable ASCII characters"
                )));
            }
            let error = match d.code {
                wit::DenyCode::InvalidScope => DenyCode::InvalidScope,
                wit::DenyCode::AccessDenied => DenyCode::AccessDenied,
                wit::DenyCode::UnauthorizedClient => DenyCode::UnauthorizedClient,
                wit::DenyCode::InvalidGrant => DenyCode::InvalidGrant,
            };
            Ok(GrantDecision::Deny {
                error,
                error_description: d.description,
            })
        }
        wit::GrantDecision::Allow(a) => {
            if a.claims.len() > MAX_CLAIMS {
                return Err(PluginError::Invalid(format!(
                    "more than {MAX_CLAIMS} claims"
                )));
            }
            let mut claims = Map::new();
            let mut size = 0;
            for c in a.claims {
                if RESERVED_CLAIMS.contains(&c.name.as_str()) {
                    return Err(PluginError::Invalid(format!(
                        "claim {:?} is reserved and cannot be set by a plugin",
                        c.name
                    )));
                }
                if c.name.is_empty() {
                    return Err(PluginError::Invalid("claim with an empty name".into()));
                }
                size += c.name.len() + c.value.len();
                if size > MAX_CLAIMS_BYTES {
                    return Err(PluginError::Invalid(format!(
                        "claims exceed {MAX_CLAIMS_BYTES} bytes"
                    )));
                }
                let value: Value = serde_json::from_str(&c.value).map_err(|_| {
                    PluginError::Invalid(format!("claim {:?} is not valid JSON", c.name))
                })?;
                claims.insert(c.name, value);
            }
            // Narrow only: keep what was requested, in the request's order.
            let scopes = request
                .requested_scopes
                .iter()
                .filter(|s| a.scopes.contains(s))
                .cloned()
                .collect();
            let lifetime_seconds = a.lifetime_seconds.map_or(request.lifetime_seconds, |l| {
                l.min(request.lifetime_seconds)
            });
            Ok(GrantDecision::Allow {
                scopes,
                claims,
                lifetime_seconds,
            })
        }
    }
}

impl Reusable for GrantDecision {
    const HOOK: super::Hook = super::Hook::GrantPolicy;
    fn heap_size(&self) -> usize {
        let strings = |v: &[String]| v.iter().map(|s| s.len() + 24).sum::<usize>();
        match self {
            GrantDecision::Allow { scopes, claims, .. } => {
                strings(scopes)
                    + claims
                        .iter()
                        .map(|(k, v)| k.len() + 2 * v.to_string().len() + 96)
                        .sum::<usize>()
            }
            GrantDecision::Deny {
                error_description, ..
            } => error_description.len(),
        }
    }
}

/// The key of a grant request: everything but `request_time`.
pub fn grant_key(binding: u64, r: &GrantRequest, state: Option<InstallationState>) -> Key {
    let mut h = KeyHash::new("grant-policy");
    h.str(&r.tenant);
    h.str(&r.client.id);
    h.str(&r.client.name);
    h.str(&r.client.metadata.to_string());
    h.str(&r.grant_type);
    h.str(&r.subject);
    h.list(&r.requested_scopes);
    h.list(&r.allowed_scopes);
    h.list(&r.audience);
    h.num(i64::from(r.lifetime_seconds));
    h.installation(r.installation.as_ref(), state);
    let details: Vec<String> = r
        .authorization_details
        .iter()
        .map(Value::to_string)
        .collect();
    h.list(&details);
    h.finish(binding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> GrantRequest {
        GrantRequest {
            tenant: "t".into(),
            client: ClientInfo {
                id: "c".into(),
                name: "n".into(),
                metadata: Value::Null,
            },
            grant_type: "client_credentials".into(),
            subject: "c".into(),
            requested_scopes: vec!["read".into(), "write".into()],
            allowed_scopes: vec!["read".into(), "write".into(), "admin".into()],
            audience: vec![],
            lifetime_seconds: 3600,
            request_time: 0,
            installation: None,
            authorization_details: vec![],
        }
    }

    fn allow(
        scopes: &[&str],
        claims: &[(&str, &str)],
        lifetime: Option<u32>,
    ) -> wit::GrantDecision {
        wit::GrantDecision::Allow(wit::Allow {
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            claims: claims
                .iter()
                .map(|(n, v)| wit::JsonField {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            lifetime_seconds: lifetime,
        })
    }

    #[test]
    fn plugins_narrow_scopes_and_lifetimes_but_never_widen() {
        let d = enforce(&request(), allow(&["read", "admin"], &[], Some(7200))).unwrap();
        assert_eq!(
            d,
            GrantDecision::Allow {
                scopes: vec!["read".into()],
                claims: Map::new(),
                lifetime_seconds: 3600
            }
        );
        let GrantDecision::Allow {
            lifetime_seconds, ..
        } = enforce(&request(), allow(&["read"], &[], Some(60))).unwrap()
        else {
            panic!()
        };
        assert_eq!(lifetime_seconds, 60);
    }

    #[test]
    fn reserved_and_malformed_claims_are_refused() {
        for name in RESERVED_CLAIMS {
            assert!(matches!(
                enforce(&request(), allow(&[], &[(name, "1")], None)),
                Err(PluginError::Invalid(_))
            ));
        }
        assert!(enforce(&request(), allow(&[], &[("org", "not json")], None)).is_err());
        let GrantDecision::Allow { claims, .. } =
            enforce(&request(), allow(&[], &[("org", "\"acme\"")], None)).unwrap()
        else {
            panic!()
        };
        assert_eq!(claims["org"], "acme");
    }

    #[test]
    fn deny_descriptions_are_checked() {
        let deny = |d: &str| {
            wit::GrantDecision::Deny(wit::Deny {
                code: wit::DenyCode::AccessDenied,
                description: d.into(),
            })
        };
        assert!(enforce(&request(), deny("")).is_err());
        assert!(enforce(&request(), deny("bad\nline")).is_err());
        assert!(enforce(&request(), deny(&"x".repeat(600))).is_err());
        assert!(enforce(&request(), deny("migrate to OAuth apps")).is_ok());
    }
}
