//! The legacy sunset at the token endpoint: a client marked legacy is
//! counted on every use, warned (`Deprecation`, `Sunset` headers and an
//! audit record a day) from the warning date, refused during brownouts and,
//! from the sunset date, for good — each refusal naming the way to migrate.

use super::issue::Deprecation;
use super::{ErrorCode, OAuth, OAuthError};
use crate::clock::rfc3339;
use crate::directory::TenantEntry;
use crate::domain::Client;
use crate::domain::legacy::{Phase, phase};

impl OAuth {
    pub(super) async fn legacy_gate(
        &self,
        tenant: &TenantEntry,
        client: &Client,
    ) -> Result<Option<Deprecation>, OAuthError> {
        let state = self.directory.legacy().await?;
        let Some(mark) = state.clients.get(&client.client_id) else {
            return Ok(None);
        };
        self.usage.legacy_used(&client.client_id);
        let Some(policy) = &state.policy else {
            return Ok(None);
        };
        let now = self.clock.now();
        let exempt = state.exemptions.get(&tenant.tenant.slug).copied();
        let mut migrate = policy.message.clone();
        if let Some(app) = &mark.replaced_by {
            migrate.push_str(&format!(" Install the app {app} in its place."));
        }
        if let Some(url) = &policy.migration_url {
            migrate.push_str(&format!(" See {url}"));
        }
        match phase(Some(policy), exempt, now) {
            Phase::Allowed => Ok(None),
            Phase::Warning => {
                if self.usage.first_warning_today(&client.client_id) {
                    let audit = crate::store::AuditEvent {
                        tenant: tenant.tenant.slug.clone(),
                        action: "legacy.warning".into(),
                        detail: serde_json::json!({"client_id": client.client_id,
                            "sunset_at": policy.sunset_at, "exempt_until": exempt,
                            "replaced_by": mark.replaced_by})
                        .to_string(),
                        created_at: now,
                    };
                    if let Err(e) = self.store.audit(&audit).await {
                        tracing::warn!(error = %e, "cannot write audit record");
                    }
                }
                Ok(Some(Deprecation {
                    since: policy.warn_from.unwrap_or(policy.updated_at),
                    sunset_at: exempt
                        .filter(|&u| u > policy.sunset_at)
                        .unwrap_or(policy.sunset_at),
                    link: policy.migration_url.clone(),
                }))
            }
            Phase::Brownout { until } => Err(OAuthError::new(
                ErrorCode::InvalidClient,
                format!(
                    "legacy credentials are switched off for a brownout until {}, and for good from {}: {migrate}",
                    rfc3339(until),
                    rfc3339(policy.sunset_at)
                ),
            )),
            Phase::Retired => Err(OAuthError::new(
                ErrorCode::InvalidClient,
                format!(
                    "these legacy credentials were retired on {}: {migrate}",
                    rfc3339(policy.sunset_at)
                ),
            )),
        }
    }
}
