//! Tenants: creating one, its token lifetimes, rotating its signing key.

use super::{Admin, AdminError, Result};
use crate::domain::{self, SigningAlg, Tenant};
use crate::store::{AuditEvent, StoreError};
use crate::tokens::keys;

/// Extra time a retired key stays published, covering replicas that kept
/// signing with it until they noticed the rotation (well under a minute).
const ROTATION_MARGIN: i64 = 60;

/// A day: a decision that holds longer is a configuration, not a decision.
pub const MAX_DECISION_CACHE_SECONDS: i64 = 86_400;

/// Changes to a tenant's lifetimes; `None` leaves one as it is.
#[derive(Default)]
pub struct TenantLifetimes {
    pub refresh_idle_ttl: Option<Option<i64>>,
    pub refresh_absolute_ttl: Option<Option<i64>>,
    pub pat_max_ttl: Option<Option<i64>>,
    /// How long plugin decisions may be reused (0: never).
    pub decision_cache_max_seconds: Option<Option<i64>>,
    /// Whether clients may register themselves (RFC 7591).
    pub dynamic_registration: Option<bool>,
    /// Whether an https client_id names a client ID metadata document.
    pub client_id_metadata_documents: Option<bool>,
}

/// Describes a scope in plain words for the consent page (at most 200
/// characters); describing it again replaces the words and keeps its place.
pub async fn describe_scope(
    store: &dyn crate::store::Store,
    tenant: &str,
    scope: &str,
    description: &str,
    actor: &str,
    now: i64,
) -> Result<()> {
    crate::domain::Scope::parse(scope).map_err(|e| AdminError::Invalid(e.to_string()))?;
    let description = description.trim();
    if description.is_empty()
        || description.chars().count() > 200
        || description.chars().any(char::is_control)
    {
        return Err(AdminError::Invalid(
            "a scope's description is 1-200 characters, without control characters".into(),
        ));
    }
    super::existing_tenant(store, tenant).await?;
    let audit = AuditEvent::new(
        tenant,
        "scope.described",
        serde_json::json!({"actor": actor, "scope": scope, "description": description}),
        now,
    );
    Ok(store
        .set_scope_description(tenant, scope, description, &audit)
        .await?)
}

impl Admin {
    pub async fn create_tenant(
        &self,
        slug: &str,
        alg: SigningAlg,
        access_token_ttl: Option<i64>,
        max_access_token_ttl: Option<i64>,
        actor: &str,
        now: i64,
    ) -> Result<(Tenant, String)> {
        domain::validate_slug(slug).map_err(AdminError::Invalid)?;
        for ttl in [access_token_ttl, max_access_token_ttl]
            .into_iter()
            .flatten()
        {
            if !(1..=domain::MAX_TOKEN_TTL).contains(&ttl) {
                return Err(AdminError::Invalid(format!(
                    "token lifetimes must be between 1 and {} seconds (365 days)",
                    domain::MAX_TOKEN_TTL
                )));
            }
        }
        let tenant = Tenant {
            slug: slug.into(),
            signing_alg: alg,
            access_token_ttl,
            max_access_token_ttl,
            created_at: now,
            refresh_idle_ttl: None,
            refresh_absolute_ttl: None,
            pat_max_ttl: None,
            decision_cache_max_seconds: None,
            dynamic_registration: false,
            client_id_metadata_documents: false,
        };
        let key = keys::generate(slug, alg, now, &self.master, &self.rng);
        let audit = AuditEvent::new(
            slug,
            "tenant.created",
            serde_json::json!({"signing_alg": alg.as_str(), "kid": key.kid, "actor": actor}),
            now,
        );
        self.store.create_tenant(&tenant, &key, &audit).await?;
        Ok((tenant, key.kid))
    }

    /// Sets a tenant's refresh-token and personal-access-token lifetimes
    /// (`Some(None)` returns one to the configured default).
    pub async fn set_tenant_lifetimes(&self, slug: &str, l: TenantLifetimes) -> Result<Tenant> {
        let mut tenant = self
            .store
            .tenant(slug)
            .await?
            .ok_or(StoreError::NotFound("tenant"))?;
        for (field, v) in [
            (&mut tenant.refresh_idle_ttl, l.refresh_idle_ttl),
            (&mut tenant.refresh_absolute_ttl, l.refresh_absolute_ttl),
            (&mut tenant.pat_max_ttl, l.pat_max_ttl),
        ] {
            if let Some(v) = v {
                if v.is_some_and(|v| v <= 0) {
                    return Err(AdminError::Invalid(
                        "lifetimes must be positive numbers of seconds".into(),
                    ));
                }
                *field = v;
            }
        }
        if let Some(v) = l.decision_cache_max_seconds {
            if v.is_some_and(|v| !(0..=MAX_DECISION_CACHE_SECONDS).contains(&v)) {
                return Err(AdminError::Invalid(format!(
                    "decision_cache_max_seconds must be 0 (never reuse) to {MAX_DECISION_CACHE_SECONDS} seconds"
                )));
            }
            tenant.decision_cache_max_seconds = v;
        }
        if let Some(on) = l.dynamic_registration {
            tenant.dynamic_registration = on;
        }
        if let Some(on) = l.client_id_metadata_documents {
            tenant.client_id_metadata_documents = on;
        }
        self.store.update_tenant_lifetimes(&tenant).await?;
        Ok(tenant)
    }

    /// A new active key; the old one stays published until every token it
    /// signed has expired.
    pub async fn rotate_signing_key(
        &self,
        slug: &str,
        alg: Option<SigningAlg>,
        actor: &str,
        now: i64,
    ) -> Result<(String, SigningAlg, i64)> {
        let tenant = self
            .store
            .tenant(slug)
            .await?
            .ok_or(StoreError::NotFound("tenant"))?;
        let alg = alg.unwrap_or(tenant.signing_alg);
        let key = keys::generate(slug, alg, now, &self.master, &self.rng);
        let publish_until = now
            + domain::max_access_token_ttl(self.max_access_token_ttl, &tenant)
            + ROTATION_MARGIN;
        let audit = AuditEvent::new(
            slug,
            "tenant.key_rotated",
            serde_json::json!({
                "kid": key.kid, "signing_alg": alg.as_str(),
                "previous_published_until": publish_until, "actor": actor,
            }),
            now,
        );
        self.store
            .rotate_signing_key(&key, now, publish_until, &audit)
            .await?;
        Ok((key.kid, alg, publish_until))
    }
}
