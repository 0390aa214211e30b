//! The permission-check hook: an OpenID AuthZEN 1.0 access evaluation.

use super::bindings::types as wit;
use super::decisions::{InstallationState, Key, KeyHash, Reusable};
use super::installation::InstallationInfo;
use super::{
    BoundPlugin, CallContext, Hook, Limits, Plugin, PluginError, PluginHost, Pre, compat, failure,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

/// One AuthZEN evaluation (subject × action × resource × context).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Evaluation {
    pub subject: Subject,
    pub action: Action,
    pub resource: Resource,
    #[serde(default)]
    pub context: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Subject {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub properties: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Action {
    pub name: String,
    #[serde(default)]
    pub properties: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub properties: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Decision {
    pub decision: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

const MAX_REASON: usize = 512;

/// The documented rule when no plugin is bound: permit exactly when the
/// action's name is one of the subject's `permissions` (an array) or a word of
/// its `scope` (a space-separated string). Everything else is denied.
pub fn builtin_rule(e: &Evaluation) -> Decision {
    let props = &e.subject.properties;
    let in_permissions = props
        .get("permissions")
        .and_then(Value::as_array)
        .is_some_and(|ps| {
            ps.iter()
                .any(|p| p.as_str() == Some(e.action.name.as_str()))
        });
    let in_scope = props
        .get("scope")
        .and_then(Value::as_str)
        .is_some_and(|s| s.split(' ').any(|w| w == e.action.name));
    if in_permissions || in_scope {
        Decision {
            decision: true,
            reason: Some(format!("subject holds {}", e.action.name)),
        }
    } else {
        Decision {
            decision: false,
            reason: Some(format!("subject does not hold {}", e.action.name)),
        }
    }
}

impl PluginHost {
    /// The bound permission check's decision on `evaluation`: one it let the
    /// host reuse for this same input (then `true`), or a fresh call.
    pub async fn decide_permission(
        &self,
        bound: &BoundPlugin,
        tenant: &str,
        evaluation: &Evaluation,
        installation: Option<(&InstallationInfo, InstallationState)>,
        cap: Option<Duration>,
    ) -> Result<(Decision, bool), PluginError> {
        let (info, state) = (installation.map(|(i, _)| i), installation.map(|(_, s)| s));
        self.reused_or_called(
            bound,
            cap,
            || permission_key(bound.id, tenant, evaluation, info, state),
            || {
                let context = bound.context(tenant);
                self.check_permission(
                    &bound.plugin,
                    context,
                    bound.limits,
                    evaluation,
                    info,
                    &bound.config,
                )
            },
        )
        .await
    }

    /// Runs a permission-check plugin once with a fresh instance; the
    /// decision and how many seconds the plugin lets it be reused.
    pub async fn check_permission(
        &self,
        plugin: &Plugin,
        context: CallContext,
        limits: Limits,
        evaluation: &Evaluation,
        installation: Option<&InstallationInfo>,
        config: &str,
    ) -> Result<(Decision, u32), PluginError> {
        let span = super::call_span(Hook::PermissionCheck, &context);
        super::observed(Hook::PermissionCheck, span, async move {
            if plugin.hook != Hook::PermissionCheck {
                return Err(plugin.wrong_hook(Hook::PermissionCheck));
            }
            let limits = self.clamp(limits);
            let code = plugin.code();
            let mut store = self.store(&code.engine, context, limits);
            let request = wit::Evaluation {
                subject: wit::Subject {
                    type_: evaluation.subject.kind.clone(),
                    id: evaluation.subject.id.clone(),
                    properties: Value::Object(evaluation.subject.properties.clone()).to_string(),
                },
                action: wit::Action {
                    name: evaluation.action.name.clone(),
                    properties: Value::Object(evaluation.action.properties.clone()).to_string(),
                },
                resource: wit::Resource {
                    type_: evaluation.resource.kind.clone(),
                    id: evaluation.resource.id.clone(),
                    properties: Value::Object(evaluation.resource.properties.clone()).to_string(),
                },
                context: Value::Object(evaluation.context.clone()).to_string(),
                installation: installation.map(InstallationInfo::to_wit),
            };
            let d = match &code.pre {
                Pre::Permission(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i.call_check(&mut store, &request, config).await,
                    Err(e) => Err(e),
                },
                Pre::PermissionV2(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i
                        .call_check(&mut store, &request, config)
                        .await
                        .map(compat::permission_answer),
                    Err(e) => Err(e),
                },
                Pre::PermissionV1(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i
                        .call_check(&mut store, &compat::evaluation(&request), config)
                        .await
                        .map(compat::permission_decision),
                    Err(e) => Err(e),
                },
                _ => return Err(plugin.wrong_hook(Hook::PermissionCheck)),
            }
            .map_err(|e| failure(e, limits))?;
            if d.reason.as_ref().is_some_and(|r| r.len() > MAX_REASON) {
                return Err(PluginError::Invalid(format!(
                    "reason longer than {MAX_REASON} bytes"
                )));
            }
            let decision = Decision {
                decision: d.decision,
                reason: d.reason,
            };
            Ok((decision, d.cache_for))
        })
        .await
    }
}

impl Reusable for Decision {
    const HOOK: super::Hook = super::Hook::PermissionCheck;
    fn heap_size(&self) -> usize {
        self.reason.as_ref().map_or(0, String::len)
    }
}

/// The key of an AuthZEN evaluation: every field the plugin sees.
pub fn permission_key(
    binding: u64,
    tenant: &str,
    e: &Evaluation,
    installation: Option<&InstallationInfo>,
    state: Option<InstallationState>,
) -> Key {
    let object = |m: &serde_json::Map<String, serde_json::Value>| {
        serde_json::Value::Object(m.clone()).to_string()
    };
    let mut h = KeyHash::new("permission-check");
    h.str(tenant);
    h.str(&e.subject.kind);
    h.str(&e.subject.id);
    h.str(&object(&e.subject.properties));
    h.str(&e.action.name);
    h.str(&object(&e.action.properties));
    h.str(&e.resource.kind);
    h.str(&e.resource.id);
    h.str(&object(&e.resource.properties));
    h.str(&object(&e.context));
    h.installation(installation, state);
    h.finish(binding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(props: Value, action: &str) -> Evaluation {
        serde_json::from_value(json!({
            "subject": {"type": "user", "id": "u", "properties": props},
            "action": {"name": action},
            "resource": {"type": "project", "id": "1"},
        }))
        .unwrap()
    }

    #[test]
    fn builtin_rule_permits_only_held_permissions() {
        assert!(builtin_rule(&eval(json!({"permissions": ["read"]}), "read")).decision);
        assert!(builtin_rule(&eval(json!({"scope": "read write"}), "write")).decision);
        assert!(!builtin_rule(&eval(json!({"scope": "read"}), "delete")).decision);
        assert!(!builtin_rule(&eval(json!({}), "read")).decision);
    }
}
