//! The registration-policy hook: may this client register with the tenant
//! (RFC 7591, or a client ID metadata document), and with what. The host
//! enforces here that a policy only ever narrows what was asked.

use super::bindings::types as wit;
use super::{CallContext, Hook, Limits, Plugin, PluginError, PluginHost, Pre, failure};
use serde::{Deserialize, Serialize};

const MAX_REASON: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationKind {
    Dynamic,
    MetadataDocument,
}

/// What the policy is asked (mirrors `registration-request` in the WIT).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegistrationReview {
    pub kind: RegistrationKind,
    pub tenant: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub token_endpoint_auth_method: String,
    /// Every field as sent.
    #[serde(default)]
    pub metadata: serde_json::Value,
    pub source: String,
    pub request_time: i64,
}

/// The policy's answer after the host's checks.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum RegistrationVerdict {
    /// Register with these (each a subset of what was asked).
    Allow {
        redirect_uris: Vec<String>,
        grant_types: Vec<String>,
        scopes: Vec<String>,
    },
    Deny {
        reason: String,
    },
}

impl PluginHost {
    /// Runs a registration-policy plugin once with a fresh instance.
    pub async fn review_registration(
        &self,
        plugin: &Plugin,
        context: CallContext,
        limits: Limits,
        review: &RegistrationReview,
        config: &str,
    ) -> Result<RegistrationVerdict, PluginError> {
        let span = super::call_span(Hook::RegistrationPolicy, &context);
        super::observed(Hook::RegistrationPolicy, span, async move {
            let code = plugin.code();
            let limits = self.clamp(limits);
            let mut store = self.store(&code.engine, context, limits);
            let request = wit::RegistrationRequest {
                kind: match review.kind {
                    RegistrationKind::Dynamic => wit::RegistrationKind::Dynamic,
                    RegistrationKind::MetadataDocument => wit::RegistrationKind::MetadataDocument,
                },
                tenant: review.tenant.clone(),
                client_id: review.client_id.clone(),
                client_name: review.client_name.clone(),
                redirect_uris: review.redirect_uris.clone(),
                grant_types: review.grant_types.clone(),
                scopes: review.scopes.clone(),
                token_endpoint_auth_method: review.token_endpoint_auth_method.clone(),
                metadata: review.metadata.to_string(),
                source: review.source.clone(),
                request_time: review.request_time,
            };
            let decision = match &code.pre {
                Pre::Registration(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i.call_evaluate(&mut store, &request, config).await,
                    Err(e) => Err(e),
                },
                _ => return Err(plugin.wrong_hook(Hook::RegistrationPolicy)),
            }
            .map_err(|e| failure(e, limits))?;
            enforce(review, decision)
        })
        .await
    }
}

/// Applies the host's rules to what the plugin said: a list it gives keeps
/// only what was asked for (in the request's order).
fn enforce(
    review: &RegistrationReview,
    decision: wit::RegistrationDecision,
) -> Result<RegistrationVerdict, PluginError> {
    match decision {
        wit::RegistrationDecision::Deny(reason) => {
            let printable = reason.bytes().all(|b| (0x20..0x7f).contains(&b));
            if reason.is_empty() || reason.len() > MAX_REASON || !printable {
                return Err(PluginError::Invalid(format!(
                    "deny reason must be 1-{MAX_REASON} printable ASCII characters"
                )));
            }
            Ok(RegistrationVerdict::Deny { reason })
        }
        wit::RegistrationDecision::Allow(a) => {
            let narrowed = |asked: &[String], kept: Option<Vec<String>>| match kept {
                None => asked.to_vec(),
                Some(kept) => asked.iter().filter(|x| kept.contains(x)).cloned().collect(),
            };
            Ok(RegistrationVerdict::Allow {
                redirect_uris: narrowed(&review.redirect_uris, a.redirect_uris),
                grant_types: narrowed(&review.grant_types, a.grant_types),
                scopes: narrowed(&review.scopes, a.scopes),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review() -> RegistrationReview {
        RegistrationReview {
            kind: RegistrationKind::Dynamic,
            tenant: "t".into(),
            client_id: None,
            client_name: Some("Tool".into()),
            redirect_uris: vec!["http://127.0.0.1/cb".into(), "https://a.test/cb".into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            scopes: vec!["read".into(), "write".into()],
            token_endpoint_auth_method: "none".into(),
            metadata: serde_json::json!({}),
            source: "127.0.0.1".into(),
            request_time: 0,
        }
    }

    #[test]
    fn a_policy_narrows_and_never_widens() {
        let allow = enforce(
            &review(),
            wit::RegistrationDecision::Allow(wit::RegistrationAllow {
                redirect_uris: Some(vec![
                    "https://a.test/cb".into(),
                    "https://evil.test/cb".into(),
                ]),
                grant_types: None,
                scopes: Some(vec!["read".into(), "admin".into()]),
            }),
        )
        .unwrap();
        assert_eq!(
            allow,
            RegistrationVerdict::Allow {
                redirect_uris: vec!["https://a.test/cb".into()],
                grant_types: vec!["authorization_code".into(), "refresh_token".into()],
                scopes: vec!["read".into()],
            }
        );
        assert!(enforce(&review(), wit::RegistrationDecision::Deny(String::new())).is_err());
        assert!(
            enforce(
                &review(),
                wit::RegistrationDecision::Deny("no\ttabs".into())
            )
            .is_err()
        );
    }
}
