//! The install-policy hook: may a tenant admin install this app (or approve
//! its upgrade), and with which optional permissions. The host enforces here
//! that a policy only ever takes optional permissions away.

use super::bindings::types as wit;
use super::installation::resources;
use super::{CallContext, Hook, Limits, Plugin, PluginError, PluginHost, Pre, failure};
use crate::domain::installation::Selection;
use crate::domain::manifest::{Level, Permission, Publisher};
use serde::{Deserialize, Serialize};

const MAX_REASON: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallKind {
    Install,
    Upgrade,
}

/// What the policy is asked (mirrors `install-request` in the WIT).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InstallReview {
    pub kind: InstallKind,
    pub tenant: String,
    pub app: String,
    pub app_name: String,
    pub version: u32,
    pub publisher: Publisher,
    #[serde(default)]
    pub listed: bool,
    pub permissions: Vec<Permission>,
    /// The required permissions and the optional ones the admin chose.
    pub approving: Vec<String>,
    pub resources: Selection,
    pub actor: String,
    pub request_time: i64,
}

/// The policy's answer after the host's checks.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum InstallVerdict {
    /// Install with `approving` minus `dropped` (only optional ones).
    Allow {
        dropped: Vec<String>,
    },
    Deny {
        reason: String,
    },
}

impl PluginHost {
    /// Runs an install-policy plugin once with a fresh instance.
    pub async fn review_install(
        &self,
        plugin: &Plugin,
        context: CallContext,
        limits: Limits,
        review: &InstallReview,
        config: &str,
    ) -> Result<InstallVerdict, PluginError> {
        let span = super::call_span(Hook::InstallPolicy, &context);
        super::observed(Hook::InstallPolicy, span, async move {
            let code = plugin.code();
            let limits = self.clamp(limits);
            let mut store = self.store(&code.engine, context, limits);
            let request = wit::InstallRequest {
                kind: match review.kind {
                    InstallKind::Install => wit::InstallKind::Install,
                    InstallKind::Upgrade => wit::InstallKind::Upgrade,
                },
                tenant: review.tenant.clone(),
                app: review.app.clone(),
                app_name: review.app_name.clone(),
                version: review.version,
                publisher: wit::Publisher {
                    name: review.publisher.name.clone(),
                    url: review.publisher.url.clone(),
                    email: review.publisher.email.clone(),
                },
                listed: review.listed,
                permissions: review
                    .permissions
                    .iter()
                    .map(|p| wit::Permission {
                        name: p.name.clone(),
                        level: match p.level {
                            Level::Tenant => wit::PermissionLevel::Tenant,
                            Level::Resource => wit::PermissionLevel::Resource,
                        },
                        resource_type: p.resource_type.clone(),
                        description: p.description.clone(),
                        required: p.required,
                    })
                    .collect(),
                approving: review.approving.clone(),
                resources: resources(&review.resources),
                actor: review.actor.clone(),
                request_time: review.request_time,
            };
            let decision = match &code.pre {
                Pre::Install(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i.call_review(&mut store, &request, config).await,
                    Err(e) => Err(e),
                },
                Pre::InstallV2(pre) => match pre.instantiate_async(&mut store).await {
                    Ok(i) => i.call_review(&mut store, &request, config).await,
                    Err(e) => Err(e),
                },
                _ => return Err(plugin.wrong_hook(Hook::InstallPolicy)),
            }
            .map_err(|e| failure(e, limits))?;
            enforce(review, decision)
        })
        .await
    }
}

/// Applies the host's rules to what the plugin said.
fn enforce(
    review: &InstallReview,
    decision: wit::InstallDecision,
) -> Result<InstallVerdict, PluginError> {
    match decision {
        wit::InstallDecision::Deny(reason) => {
            let printable = reason.bytes().all(|b| (0x20..0x7f).contains(&b));
            if reason.is_empty() || reason.len() > MAX_REASON || !printable {
                return Err(PluginError::Invalid(format!(
                    "deny reason must be 1-{MAX_REASON} printable ASCII characters"
                )));
            }
            Ok(InstallVerdict::Deny { reason })
        }
        wit::InstallDecision::Allow(drop) => {
            let mut dropped = Vec::new();
            for name in &review.approving {
                if !drop.contains(name) {
                    continue;
                }
                let required = review
                    .permissions
                    .iter()
                    .any(|p| &p.name == name && p.required);
                if required {
                    return Err(PluginError::Invalid(format!(
                        "{name} is a required permission; a policy may drop only optional ones (or deny)"
                    )));
                }
                dropped.push(name.clone());
            }
            Ok(InstallVerdict::Allow { dropped })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review() -> InstallReview {
        serde_json::from_value(serde_json::json!({
            "kind": "install", "tenant": "t", "app": "a", "app_name": "A", "version": 1,
            "publisher": {"name": "P"},
            "permissions": [
                {"name": "read", "level": "tenant", "description": "r"},
                {"name": "write", "level": "tenant", "description": "w", "required": false},
                {"name": "admin", "level": "tenant", "description": "x", "required": false}
            ],
            "approving": ["read", "write"], "resources": "all", "actor": "ann", "request_time": 0
        }))
        .unwrap()
    }

    #[test]
    fn a_policy_drops_only_optional_permissions_being_approved() {
        let allow = |d: &[&str]| {
            enforce(
                &review(),
                wit::InstallDecision::Allow(d.iter().map(|s| s.to_string()).collect()),
            )
        };
        assert_eq!(
            allow(&["write", "admin", "unknown"]).unwrap(),
            InstallVerdict::Allow {
                dropped: vec!["write".into()]
            }
        );
        assert!(matches!(allow(&["read"]), Err(PluginError::Invalid(_))));
        assert!(enforce(&review(), wit::InstallDecision::Deny("".into())).is_err());
        assert!(enforce(&review(), wit::InstallDecision::Deny("a\nb".into())).is_err());
        assert_eq!(
            enforce(&review(), wit::InstallDecision::Deny("unverified".into())).unwrap(),
            InstallVerdict::Deny {
                reason: "unverified".into()
            }
        );
    }
}
