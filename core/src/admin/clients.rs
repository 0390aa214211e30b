//! OAuth clients an operator registers: creating, rotating a secret, deleting;
//! each change reaches the integrator through the tenant's delivery plugin.

use super::{Admin, AdminError, IssuedSecret, Result};
use crate::delivery;
use crate::domain::{Client, NewClient};
use crate::plugins::credential_delivery::{CredentialEvent, DeliveryEvent, EventKind};
use crate::plugins::{CallContext, Hook, Limits};
use crate::store::{AuditEvent, Delivery, StoreError};
use crate::tokens::{b64url, random_bytes, secret};

/// Prefix of client secrets, so secret scanners can spot leaked ones.
pub const CLIENT_SECRET_PREFIX: &str = "wsec_";

/// An installation's client changes only through its installation (which
/// tells the app): rotate or uninstall there.
fn managed_by_installation(client: &Client) -> Result<()> {
    match &client.installation {
        Some(id) => Err(StoreError::Managed(format!(
            "client {} (installation {id}); rotate its secret or uninstall through the installation",
            client.client_id
        ))
        .into()),
        None => Ok(()),
    }
}

/// The longest a rotated client secret keeps working beside its successor.
pub const MAX_SECRET_OVERLAP: i64 = 30 * 86_400;

/// Refuses an overlap outside 0..=MAX_SECRET_OVERLAP (it is added to now).
pub fn check_secret_overlap(overlap: i64) -> std::result::Result<(), String> {
    if (0..=MAX_SECRET_OVERLAP).contains(&overlap) {
        Ok(())
    } else {
        Err(format!(
            "overlap must be between 0 and {MAX_SECRET_OVERLAP} seconds (30 days)"
        ))
    }
}

/// A page of the tenant's clients, oldest first.
pub async fn list_clients(
    store: &dyn crate::store::Store,
    tenant: &str,
    page: &crate::store::Page<(i64, String)>,
) -> Result<Vec<Client>> {
    super::existing_tenant(store, tenant).await?;
    Ok(store.clients(tenant, page).await?)
}

impl Admin {
    /// Registers a client. A confidential client gets its secret (shown once);
    /// a public client has none.
    pub async fn create_client(
        &self,
        new: NewClient,
        actor: &str,
        now: i64,
    ) -> Result<(Client, Option<IssuedSecret>)> {
        self.create_client_as(new, None, actor, now).await
    }

    /// `registration`: how a self-registered client came (`dynamic`) and the
    /// hash of its registration access token (RFC 7592).
    pub(super) async fn create_client_as(
        &self,
        mut new: NewClient,
        registration: Option<(&str, [u8; 32])>,
        actor: &str,
        now: i64,
    ) -> Result<(Client, Option<IssuedSecret>)> {
        for g in &mut new.grant_types {
            if g == "token-exchange" || g == "token_exchange" {
                *g = "urn:ietf:params:oauth:grant-type:token-exchange".into();
            }
            if g == "device_code" {
                *g = crate::oauth::device::DEVICE_CODE_GRANT.into();
            }
        }
        new.validate().map_err(AdminError::Invalid)?;
        super::existing_tenant(&*self.store, &new.tenant).await?;
        self.check_detail_types(&new.tenant, &new.authorization_details_types)
            .await?;
        let secret = secret::generate(CLIENT_SECRET_PREFIX, &self.rng);
        let client = Client {
            client_id: format!("cl_{}", b64url(&random_bytes::<16>(&self.rng))),
            default_scopes: new.default_scopes.unwrap_or_else(|| new.scopes.clone()),
            tenant: new.tenant,
            name: new.name,
            grant_types: new.grant_types,
            scopes: new.scopes,
            resources: new.resources,
            access_token_ttl: new.access_token_ttl,
            secret_hash: secret::hash(&secret),
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            metadata: new.metadata,
            created_at: now,
            redirect_uris: new.redirect_uris,
            public: new.public,
            post_logout_redirect_uris: new.post_logout_redirect_uris,
            installation: None,
            jwks: new.jwks,
            require_pushed_authorization_requests: new.require_pushed_authorization_requests,
            dpop_bound_access_tokens: new.dpop_bound_access_tokens,
            authorization_details_types: new.authorization_details_types,
            registration: registration.map(|(kind, _)| kind.to_string()),
            registration_token_hash: registration.map(|(_, hash)| hash),
        };
        // A public client's, or one with keys, stored hash is of a secret
        // nobody ever sees.
        let secret = (!client.public && client.jwks.is_none()).then_some(IssuedSecret(secret));
        let deliveries = self
            .credential_deliveries(EventKind::Created, &client, secret.as_ref(), now)
            .await?;
        let audit = AuditEvent::new(
            &client.tenant,
            "client.created",
            serde_json::json!({
                "client_id": client.client_id, "name": client.name,
                "grant_types": client.grant_types, "public": client.public, "actor": actor,
                "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
                "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
                "authorization_details_types": client.authorization_details_types,
                "registration": client.registration,
            }),
            now,
        );
        self.store
            .create_client(&client, &deliveries, &audit)
            .await?;
        Ok((client, secret))
    }

    /// New secret; the old one keeps working for `overlap` seconds.
    pub async fn rotate_client_secret(
        &self,
        client_id: &str,
        overlap: i64,
        actor: &str,
        now: i64,
    ) -> Result<(IssuedSecret, i64)> {
        check_secret_overlap(overlap).map_err(AdminError::Invalid)?;
        let client = self
            .store
            .client(client_id)
            .await?
            .ok_or(StoreError::NotFound("client"))?;
        managed_by_installation(&client)?;
        if client.public {
            return Err(AdminError::Conflict(
                "a public client has no secret to rotate".into(),
            ));
        }
        let secret = IssuedSecret(secret::generate(CLIENT_SECRET_PREFIX, &self.rng));
        let until = now + overlap;
        let deliveries = self
            .credential_deliveries(EventKind::Rotated, &client, Some(&secret), now)
            .await?;
        let audit = AuditEvent::new(
            &client.tenant,
            "client.secret_rotated",
            serde_json::json!({"client_id": client_id, "previous_valid_until": until, "actor": actor}),
            now,
        );
        self.store
            .rotate_client_secret(
                client_id,
                &secret::hash(&secret.0),
                until,
                &deliveries,
                &audit,
            )
            .await?;
        Ok((secret, until))
    }

    /// Deletes a client; its secret stops working at once. A failing delivery
    /// plugin does not hold a revocation back: the failure is logged, counted
    /// and audited, and the client is deleted without deliveries.
    pub async fn delete_client(&self, client_id: &str, actor: &str, now: i64) -> Result<()> {
        let client = self
            .store
            .client(client_id)
            .await?
            .ok_or(StoreError::NotFound("client"))?;
        managed_by_installation(&client)?;
        let deliveries = match self
            .credential_deliveries(EventKind::Revoked, &client, None, now)
            .await
        {
            Ok(d) => d,
            Err(AdminError::Plugin { .. }) => vec![],
            Err(e) => return Err(e),
        };
        let audit = AuditEvent::new(
            &client.tenant,
            "client.deleted",
            serde_json::json!({"client_id": client_id, "name": client.name, "actor": actor}),
            now,
        );
        self.store
            .delete_client(client_id, &deliveries, &audit)
            .await?;
        Ok(())
    }

    /// Runs the tenant's credential-delivery plugin, if one is bound, and
    /// returns the outbox rows to write with the credential change.
    async fn credential_deliveries(
        &self,
        kind: EventKind,
        client: &Client,
        secret: Option<&IssuedSecret>,
        now: i64,
    ) -> Result<Vec<Delivery>> {
        let Some(row) = crate::store::effective_bindings(&*self.store, &client.tenant)
            .await?
            .into_iter()
            .find(|r| r.binding.hook == Hook::CredentialDelivery.as_str())
        else {
            return Ok(vec![]);
        };
        if row.binding.tenant == crate::store::PLATFORM
            && self.store.delivery_secrets(&client.tenant).await?.is_none()
        {
            let fresh = secret::generate(delivery::SIGNING_SECRET_PREFIX, &self.rng);
            let sealed = self.master.seal(
                &delivery::secret_context(&client.tenant),
                fresh.as_bytes(),
                &self.rng,
            );
            self.store
                .create_delivery_secret(&client.tenant, &sealed, now)
                .await?;
        }
        let b = &row.binding;
        let context = CallContext {
            plugin: format!("{}@{}", b.plugin_name, b.plugin_version),
            sha256: row.sha256.clone(),
            tenant: client.tenant.clone(),
            redact: secret.map(|s| s.0.clone()),
        };
        let event = CredentialEvent {
            kind,
            tenant: client.tenant.clone(),
            client_id: client.client_id.clone(),
            client_name: client.name.clone(),
            client_secret: secret.map(|s| s.0.clone()),
            token_endpoint: format!("{}/t/{}/token", self.public_url, client.tenant),
            hook_url: client
                .metadata
                .get("hook_url")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            app_metadata: client.metadata.clone(),
            occurred_at: now,
            event_id: delivery::new_event_id(&self.rng),
        };
        let result = match self.bound_plugin(&row.sha256).await {
            Ok(plugin) => {
                let limits = Limits::for_binding(&plugin, b.deadline_ms, b.memory_mib);
                let event = DeliveryEvent::Credential(event.clone());
                self.plugins
                    .compute_deliveries(&plugin, context.clone(), limits, &event, &b.config)
                    .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(requests) => Ok(delivery::queue(
                requests,
                &delivery::EventRows::of_credential(&event),
                &self.master,
                &self.rng,
                now,
            )),
            Err(e) => {
                let detail = serde_json::json!({
                    "event": kind.event_name(), "event_id": event.event_id, "client_id": client.client_id,
                });
                Err(self
                    .plugin_failed(Hook::CredentialDelivery, &context, &e, detail, now)
                    .await)
            }
        }
    }
}
