//! OpenID AuthZEN Authorization API 1.0 access evaluations for resource
//! servers: `{issuer}/access/v1/evaluation` and `…/evaluations` (batch),
//! authenticated by a bearer access token of the same tenant. The tenant's
//! permission-check plugin decides, or the documented built-in rule.

use super::dpop::Presented;
use super::{ErrorCode, OAuth, OAuthError};
use crate::directory::{InstallationEntry, TenantEntry};
use crate::plugins::installation::InstallationInfo;
use crate::plugins::permission_check::{self, Decision, Evaluation};
use crate::tokens::jwt;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Most evaluations one batch may carry.
pub const MAX_BATCH: usize = 100;

impl OAuth {
    pub async fn evaluate_access(
        &self,
        tenant: &str,
        presented: Option<&Presented>,
        body: Value,
    ) -> Result<Value, OAuthError> {
        let tenant = self.tenant(tenant).await?;
        self.verify_bearer(&tenant, presented, "POST", "/access/v1/evaluation")
            .await?;
        let evaluation: Evaluation = serde_json::from_value(body).map_err(malformed)?;
        let d = self.decide(&tenant, &evaluation).await?;
        Ok(render(d))
    }

    pub async fn evaluate_access_batch(
        &self,
        tenant: &str,
        presented: Option<&Presented>,
        body: Value,
    ) -> Result<Value, OAuthError> {
        let tenant = self.tenant(tenant).await?;
        self.verify_bearer(&tenant, presented, "POST", "/access/v1/evaluations")
            .await?;
        let Value::Object(mut body) = body else {
            return Err(OAuthError::invalid_request(
                "the request body must be a JSON object",
            ));
        };
        let items = match body.remove("evaluations") {
            Some(Value::Array(items)) => items,
            None => vec![Value::Object(Map::new())],
            Some(_) => return Err(OAuthError::invalid_request("evaluations must be an array")),
        };
        if items.len() > MAX_BATCH {
            return Err(OAuthError::invalid_request(format!(
                "at most {MAX_BATCH} evaluations per request"
            )));
        }
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let Value::Object(item) = item else {
                return Err(OAuthError::invalid_request(
                    "each evaluation must be a JSON object",
                ));
            };
            // Each item's subject/action/resource/context override the request's defaults.
            let mut merged = body.clone();
            merged.extend(item);
            let evaluation: Evaluation =
                serde_json::from_value(Value::Object(merged)).map_err(malformed)?;
            results.push(render(self.decide(&tenant, &evaluation).await?));
        }
        Ok(json!({ "evaluations": results }))
    }

    async fn decide(
        &self,
        tenant: &TenantEntry,
        evaluation: &Evaluation,
    ) -> Result<Decision, OAuthError> {
        let Some(bound) = &tenant.permission_check else {
            return self.builtin_decision(tenant, evaluation).await;
        };
        let installation = self.subject_installation(tenant, evaluation).await?;
        let installation = installation.as_deref().map(|e| {
            (
                InstallationInfo::from(&e.installation),
                (&e.installation).into(),
            )
        });
        let cap = tenant
            .tenant
            .decision_cache_max_seconds
            .map(super::issue::seconds);
        let decided = self
            .plugins
            .decide_permission(
                bound,
                &tenant.tenant.slug,
                evaluation,
                installation.as_ref().map(|(i, s)| (i, *s)),
                cap,
            )
            .await;
        if let (Ok((_, true)), Some((i, _))) = (&decided, &installation) {
            self.usage.decision_reused(&i.id);
        }
        decided.map(|(decision, _)| decision).map_err(|e| {
            self.plugins
                .record_failure(crate::plugins::Hook::PermissionCheck, e.kind());
            tracing::error!(
                plugin = %format!("{}@{}", bound.name, bound.version),
                sha256 = %bound.plugin.sha256,
                tenant = %tenant.tenant.slug,
                kind = e.kind(),
                reason = %e,
                "permission check failed closed"
            );
            OAuthError::new(
                ErrorCode::ServerError,
                "the tenant's permission check could not decide; access is refused",
            )
        })
    }

    /// The built-in rule. An installation's service account holds exactly
    /// what its admin approved, on the resources they selected.
    async fn builtin_decision(
        &self,
        tenant: &TenantEntry,
        evaluation: &Evaluation,
    ) -> Result<Decision, OAuthError> {
        if evaluation.subject.kind != "service_account" {
            return Ok(permission_check::builtin_rule(evaluation));
        }
        let Some(entry) = self.subject_installation(tenant, evaluation).await? else {
            return Ok(Decision {
                decision: false,
                reason: Some("no installation of this tenant has that service account".into()),
            });
        };
        let r = &evaluation.resource;
        let (decision, reason) = crate::domain::installation::permits(
            &entry.manifest,
            &entry.installation,
            &evaluation.action.name,
            Some((r.kind.as_str(), r.id.as_str())),
        );
        Ok(Decision {
            decision,
            reason: Some(reason),
        })
    }

    /// The tenant's installation whose service account the subject names.
    async fn subject_installation(
        &self,
        tenant: &TenantEntry,
        evaluation: &Evaluation,
    ) -> Result<Option<Arc<InstallationEntry>>, OAuthError> {
        if evaluation.subject.kind != "service_account" {
            return Ok(None);
        }
        let entry = self
            .directory
            .installation_of_subject(&evaluation.subject.id)
            .await?
            .filter(|e| e.installation.tenant == tenant.tenant.slug);
        if let Some(e) = &entry {
            self.usage.evaluated(&e.installation.id);
        }
        Ok(entry)
    }

    /// An unexpired, unrevoked access token of this tenant.
    /// The claims of a live access token of this tenant, presented as it
    /// must be (DPoP-bound or bearer) on a `htm` request to `path` under the
    /// issuer.
    pub(super) async fn verify_bearer(
        &self,
        tenant: &TenantEntry,
        presented: Option<&Presented>,
        htm: &str,
        path: &str,
    ) -> Result<Map<String, Value>, OAuthError> {
        let invalid = || {
            OAuthError::new(
                ErrorCode::InvalidToken,
                "a valid bearer access token of this tenant is required",
            )
        };
        let presented = presented.ok_or_else(invalid)?;
        let claims = jwt::verify(
            &presented.token,
            &tenant.verifiers,
            &tenant.issuer,
            self.clock.now(),
        )
        .map_err(|_| invalid())?;
        if !super::introspect::is_live(self, &claims).await? {
            return Err(invalid());
        }
        let htu = format!("{}{path}", tenant.issuer);
        self.check_binding(&claims, presented, htm, &htu).await?;
        Ok(claims)
    }
}

fn malformed(e: serde_json::Error) -> OAuthError {
    OAuthError::invalid_request(format!("not an AuthZEN evaluation: {e}"))
}

fn render(d: Decision) -> Value {
    match d.reason {
        Some(reason) => json!({"decision": d.decision, "context": {"reason": reason}}),
        None => json!({"decision": d.decision}),
    }
}
