//! The tenant's install policy: asked before an admin's install or upgrade
//! approval is saved. It may refuse with a reason or leave optional
//! permissions out; a plugin that fails refuses the change (fail closed).

use super::{AppError, Result};
use crate::admin::Admin;
use crate::domain::installation::Selection;
use crate::domain::manifest::Manifest;
use crate::plugins::install_policy::{InstallKind, InstallReview, InstallVerdict};
use crate::plugins::{CallContext, Hook, Limits};

/// What the admin is about to approve.
pub(super) struct Approval<'a> {
    pub kind: InstallKind,
    pub tenant: &'a str,
    pub manifest: &'a Manifest,
    pub version: i64,
    pub approving: Vec<String>,
    pub resources: &'a Selection,
    pub actor: &'a str,
}

/// The policy's outcome: what to approve, and what it left out.
pub(super) struct Reviewed {
    pub permissions: Vec<String>,
    /// `{"plugin", "dropped"}` for the audit record; none without a policy.
    pub audit: Option<serde_json::Value>,
}

impl Admin {
    pub(super) async fn review_approval(&self, a: Approval<'_>, now: i64) -> Result<Reviewed> {
        let row = crate::store::effective_bindings(&*self.store, a.tenant)
            .await?
            .into_iter()
            .find(|r| r.binding.hook == Hook::InstallPolicy.as_str());
        let Some(row) = row else {
            return Ok(Reviewed {
                permissions: a.approving,
                audit: None,
            });
        };
        let b = &row.binding;
        let context = CallContext {
            plugin: format!("{}@{}", b.plugin_name, b.plugin_version),
            sha256: row.sha256.clone(),
            tenant: a.tenant.into(),
            redact: None,
        };
        let review = InstallReview {
            kind: a.kind,
            tenant: a.tenant.into(),
            app: a.manifest.slug.clone(),
            app_name: a.manifest.name.clone(),
            version: a.version.clamp(0, u32::MAX as i64) as u32,
            publisher: a.manifest.publisher.clone(),
            listed: a.manifest.listed,
            permissions: a.manifest.permissions.clone(),
            approving: a.approving,
            resources: a.resources.clone(),
            actor: a.actor.into(),
            request_time: now,
        };
        let verdict = match self.bound_plugin(&row.sha256).await {
            Ok(plugin) => {
                let limits = Limits::for_binding(&plugin, b.deadline_ms, b.memory_mib);
                self.plugins
                    .review_install(&plugin, context.clone(), limits, &review, &b.config)
                    .await
            }
            Err(e) => Err(e),
        };
        match verdict {
            Ok(InstallVerdict::Allow { dropped }) => Ok(Reviewed {
                permissions: review
                    .approving
                    .into_iter()
                    .filter(|p| !dropped.contains(p))
                    .collect(),
                audit: Some(serde_json::json!({"plugin": context.plugin, "dropped": dropped})),
            }),
            Ok(InstallVerdict::Deny { reason }) => Err(AppError::Refused(reason)),
            Err(e) => {
                let detail = serde_json::json!({"app": review.app, "version": review.version,
                                                "kind": review.kind, "actor": review.actor});
                Err(AppError::Admin(
                    self.plugin_failed(Hook::InstallPolicy, &context, &e, detail, now)
                        .await,
                ))
            }
        }
    }
}
