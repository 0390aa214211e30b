//! The legacy sunset: what operators do to retire tenant-created clients on
//! a platform-wide date (policy, marks, exemptions) and the report of who
//! still uses them. Shared by the admin API and the CLI; the token endpoint's
//! side is `oauth/legacy.rs`.

use crate::admin::{Admin, AdminError};
use crate::apps::AppError;
use crate::domain::legacy::parse_time;
use crate::store::{AuditEvent, Brownout, Exemption, LegacyClient, LegacyPolicy, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, AppError>;

const MAX_BROWNOUTS: usize = 20;
const MAX_MESSAGE: usize = 1000;

fn field<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T> {
    Err(AppError::Field {
        field: field.into(),
        message: message.into(),
    })
}

fn time(name: &str, v: &Value) -> Result<i64> {
    parse_time(v).or_else(|m| field(name, m))
}

fn audit(tenant: &str, action: &str, detail: Value, now: i64) -> AuditEvent {
    AuditEvent::new(tenant, action, detail, now)
}

/// The policy as an operator writes it (times as Unix seconds or RFC 3339).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    pub sunset_at: Value,
    #[serde(default)]
    pub warn_from: Option<Value>,
    pub message: String,
    #[serde(default)]
    pub migration_url: Option<String>,
    /// At most 20.
    #[serde(default)]
    pub brownouts: Vec<BrownoutRequest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrownoutRequest {
    pub from: Value,
    pub until: Value,
}

/// The platform's audit records have no tenant.
const PLATFORM: &str = crate::store::PLATFORM;

impl Admin {
    /// Sets the platform-wide sunset: from `warn_from` legacy clients' tokens
    /// carry `Deprecation`/`Sunset`, during brownouts and from `sunset_at` they
    /// are refused.
    pub async fn set_legacy_policy(&self, r: PolicyRequest, now: i64) -> Result<LegacyPolicy> {
        let sunset_at = time("sunset_at", &r.sunset_at)?;
        if sunset_at <= now {
            return field(
                "sunset_at",
                "is in the past; a sunset must be announced ahead",
            );
        }
        let warn_from = r
            .warn_from
            .as_ref()
            .map(|v| time("warn_from", v))
            .transpose()?;
        if warn_from.is_some_and(|w| w >= sunset_at) {
            return field("warn_from", "must be before sunset_at");
        }
        let message = r.message.trim().to_string();
        if message.is_empty()
            || message.chars().count() > MAX_MESSAGE
            || message.chars().any(char::is_control)
        {
            return field(
                "message",
                format!(
                    "must be 1-{MAX_MESSAGE} characters on one line: what integrators should do"
                ),
            );
        }
        if let Some(url) = &r.migration_url {
            let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
            if !ok || url.chars().any(|c| c.is_control() || c == '"' || c == '>') {
                return field("migration_url", "must be an http(s) URL");
            }
        }
        if r.brownouts.len() > MAX_BROWNOUTS {
            return field("brownouts", format!("at most {MAX_BROWNOUTS}"));
        }
        let mut brownouts = Vec::with_capacity(r.brownouts.len());
        for (i, b) in r.brownouts.iter().enumerate() {
            let from = time(&format!("brownouts[{i}].from"), &b.from)?;
            let until = time(&format!("brownouts[{i}].until"), &b.until)?;
            if until <= from {
                return field(format!("brownouts[{i}].until"), "must be after from");
            }
            if until > sunset_at {
                return field(
                    format!("brownouts[{i}].until"),
                    "must not be after sunset_at",
                );
            }
            brownouts.push(Brownout { from, until });
        }
        let policy = LegacyPolicy {
            sunset_at,
            warn_from,
            message,
            migration_url: r.migration_url,
            brownouts,
            updated_at: now,
        };
        let record = audit(PLATFORM, "legacy.policy_set", json!(policy), now);
        self.store.set_legacy_policy(&policy, &record).await?;
        Ok(policy)
    }

    /// Marks a tenant-created client as legacy, naming the app that replaces
    /// it (if any).
    pub async fn mark_legacy(
        &self,
        client_id: &str,
        replaced_by: Option<String>,
        now: i64,
    ) -> Result<LegacyClient> {
        let client = self
            .store
            .client(client_id)
            .await?
            .ok_or(StoreError::NotFound("client"))?;
        if client.installation.is_some() {
            return Err(AppError::Admin(AdminError::Conflict(
                "an installation's client is not legacy: it belongs to an app".into(),
            )));
        }
        if let Some(app) = &replaced_by
            && self.store.app_version(app, None).await?.is_none()
        {
            return Err(StoreError::NotFound("app").into());
        }
        let mark = LegacyClient {
            client_id: client.client_id.clone(),
            tenant: client.tenant.clone(),
            replaced_by,
            marked_at: now,
        };
        let record = audit(&client.tenant, "legacy.client_marked", json!(mark), now);
        self.store
            .mark_legacy(client_id, Some(&mark), &record)
            .await?;
        Ok(mark)
    }

    pub async fn unmark_legacy(&self, client_id: &str, now: i64) -> Result<()> {
        let client = self
            .store
            .client(client_id)
            .await?
            .ok_or(StoreError::NotFound("client"))?;
        let record = audit(
            &client.tenant,
            "legacy.client_unmarked",
            json!({"client_id": client_id}),
            now,
        );
        self.store.mark_legacy(client_id, None, &record).await?;
        Ok(())
    }

    /// Lets a tenant keep its legacy credentials until `until` (past the sunset).
    pub async fn exempt_tenant(
        &self,
        tenant: &str,
        until: &Value,
        reason: String,
        now: i64,
    ) -> Result<Exemption> {
        crate::admin::existing_tenant(&*self.store, tenant).await?;
        let until = time("until", until)?;
        if until <= now {
            return field("until", "is in the past");
        }
        let exemption = Exemption {
            tenant: tenant.into(),
            until,
            reason,
            created_at: now,
        };
        let record = audit(tenant, "legacy.exempted", json!(exemption), now);
        self.store
            .set_exemption(tenant, Some(&exemption), &record)
            .await?;
        Ok(exemption)
    }

    pub async fn lift_exemption(&self, tenant: &str, now: i64) -> Result<()> {
        crate::admin::existing_tenant(&*self.store, tenant).await?;
        let record = audit(
            tenant,
            "legacy.exemption_lifted",
            json!({"tenant": tenant}),
            now,
        );
        self.store.set_exemption(tenant, None, &record).await?;
        Ok(())
    }

    /// Every tenant with legacy clients: each client's last use and uses in
    /// the last 30 days, the app that replaces it and whether the tenant has
    /// installed that app yet, and the tenant's exemption.
    pub async fn legacy_report(
        &self,
        usage: &crate::usage::Usage,
        now: i64,
    ) -> Result<LegacyReport> {
        let today = now.div_euclid(86_400);
        let uses = usage.legacy_report(today - 29).await?;
        let exemptions: std::collections::HashMap<String, i64> = self
            .store
            .exemptions()
            .await?
            .into_iter()
            .map(|e| (e.tenant, e.until))
            .collect();
        let mut tenants: std::collections::BTreeMap<String, Vec<LegacyClientUse>> =
            Default::default();
        for mark in self.store.legacy_clients().await? {
            let Some(client) = self.store.client(&mark.client_id).await? else {
                continue;
            };
            let installed = match &mark.replaced_by {
                Some(app) => self
                    .store
                    .installations(&mark.tenant, &crate::store::Page::all())
                    .await?
                    .iter()
                    .any(|i| &i.app == app),
                None => false,
            };
            let (count, last) = uses.get(&mark.client_id).copied().unwrap_or_default();
            tenants
                .entry(mark.tenant.clone())
                .or_default()
                .push(LegacyClientUse {
                    client_id: mark.client_id,
                    name: client.name,
                    replaced_by: mark.replaced_by,
                    replacement_installed: installed,
                    uses_30d: count,
                    last_used_at: last,
                    marked_at: mark.marked_at,
                });
        }
        Ok(LegacyReport {
            policy: self.store.legacy_policy().await?,
            tenants: tenants
                .into_iter()
                .map(|(tenant, clients)| LegacyTenant {
                    exempt_until: exemptions.get(&tenant).copied(),
                    still_used: clients.iter().any(|c| c.uses_30d > 0),
                    tenant,
                    clients,
                })
                .collect(),
        })
    }
}

/// Who still uses legacy credentials, by tenant.
#[derive(serde::Serialize)]
pub struct LegacyReport {
    /// `null` until an operator sets one.
    pub policy: Option<LegacyPolicy>,
    pub tenants: Vec<LegacyTenant>,
}

#[derive(serde::Serialize)]
pub struct LegacyTenant {
    pub tenant: String,
    pub exempt_until: Option<i64>,
    /// Some legacy client of the tenant was used in the last 30 days.
    pub still_used: bool,
    pub clients: Vec<LegacyClientUse>,
}

#[derive(serde::Serialize)]
pub struct LegacyClientUse {
    pub client_id: String,
    pub name: String,
    pub replaced_by: Option<String>,
    /// The tenant has installed the app that replaces it.
    pub replacement_installed: bool,
    pub uses_30d: i64,
    pub last_used_at: Option<i64>,
    pub marked_at: i64,
}
