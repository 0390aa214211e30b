//! Lifecycle events to an app's hook. A change to an installation becomes an
//! `installation-event` for the credential-delivery plugin in charge — the
//! tenant's binding, else the platform's, if built against
//! `warden:plugin@0.2.0`; else Warden's built-in one — and what it returns
//! (only to the app's hook) is queued with the change, to be signed per
//! Standard Webhooks by the outbox.

use super::{AppError, Result, invalid};
use crate::admin::Admin;
use crate::domain::installation::Installation;
use crate::domain::manifest::{Manifest, ManifestError};
use crate::plugins::credential_delivery::{DeliveryEvent, InstallationEvent, PushedCredentials};
use crate::plugins::{BUILTIN_DELIVERY_NAME, CallContext, Hook, Limits, Plugin};
use crate::store::{Delivery, PLATFORM};
use serde_json::{Value, json};
use std::sync::Arc;

/// New credentials for the app, in the one event that carries them.
pub(super) struct Credentials<'a> {
    pub client_id: &'a str,
    pub secret: &'a str,
}

/// The plugin that turns a tenant's installation events into deliveries.
struct Chosen {
    plugin: Arc<Plugin>,
    context: CallContext,
    limits: Limits,
    config: String,
}

/// Events an app must hear about even when the tenant's plugin fails:
/// refusing to uninstall or suspend because of a broken plugin would keep
/// access the admin is taking away.
const NEVER_BLOCKED: &[&str] = &["installation.deleted", "installation.suspended"];

impl Admin {
    /// The outbox rows for one lifecycle event to the app's hook. New push
    /// credentials travel as a JWE to the app's `enc` key when it published
    /// one (RSA, X25519 or P-256), else in clear JSON (over TLS).
    pub(super) async fn app_event(
        &self,
        kind: &str,
        i: &Installation,
        app: &Manifest,
        credentials: Option<Credentials<'_>>,
        detail: Value,
        now: i64,
    ) -> Result<Vec<Delivery>> {
        let issuer = format!("{}/t/{}", self.public_url, i.tenant);
        let credentials = match credentials {
            None => None,
            Some(c) => Some(self.pushed_credentials(c, app, &issuer)?),
        };
        let event = self.installation_event(kind, i, app, issuer, credentials, detail, now);
        let event_id = event.event_id.clone();
        let event = DeliveryEvent::Installation(event);
        let chosen = match self.installation_delivery_plugin(&i.tenant, app).await {
            Ok(c) => c,
            Err((context, e)) => return self.delivery_failed(kind, i, &context, &e, now).await,
        };
        let requests = match self
            .plugins
            .compute_deliveries(
                &chosen.plugin,
                CallContext {
                    redact: event.secret(),
                    ..chosen.context.clone()
                },
                chosen.limits,
                &event,
                &chosen.config,
            )
            .await
        {
            Ok(r) => r,
            Err(e) => {
                return self
                    .delivery_failed(kind, i, &chosen.context, &e, now)
                    .await;
            }
        };
        if requests.is_empty() && kind == "installation.created" && app.install_hook_required {
            return invalid(format!(
                "the app requires its install hook to answer, but the credential-delivery plugin {} made no delivery for installation.created",
                chosen.context.plugin
            ));
        }
        let client_id = i.client_id.clone().unwrap_or_default();
        let rows = crate::delivery::EventRows {
            event_id: &event_id,
            event: kind,
            tenant: &i.tenant,
            client_id: &client_id,
            app: Some(&i.app),
            installation_id: Some(&i.id),
            sequence: Some(i.sequence),
        };
        Ok(crate::delivery::queue(
            requests,
            &rows,
            &self.master,
            &self.rng,
            now,
        ))
    }

    /// New push credentials travel as a JWE to the app's `enc` key when it
    /// published one, else in clear JSON (over TLS).
    fn pushed_credentials(
        &self,
        c: Credentials<'_>,
        app: &Manifest,
        issuer: &str,
    ) -> Result<PushedCredentials> {
        let mut pushed = PushedCredentials {
            client_id: c.client_id.into(),
            token_endpoint: format!("{issuer}/token"),
            client_secret_jwe: None,
            client_secret: None,
        };
        match &app.jwks {
            // An app that published an encryption key gets its secret
            // encrypted or not at all: never in clear.
            Some(jwks) if crate::tokens::jwe::wants_encryption(jwks) => {
                let plain = json!({"client_secret": c.secret}).to_string();
                let jwe = crate::tokens::jwe::encrypt(jwks, plain.as_bytes(), &self.rng)
                    .or_else(|e| invalid(e.to_string()))?;
                pushed.client_secret_jwe = Some(jwe);
            }
            _ => pushed.client_secret = Some(c.secret.into()),
        }
        Ok(pushed)
    }

    #[allow(clippy::too_many_arguments)]
    fn installation_event(
        &self,
        kind: &str,
        i: &Installation,
        app: &Manifest,
        issuer: String,
        credentials: Option<PushedCredentials>,
        detail: Value,
        now: i64,
    ) -> InstallationEvent {
        let status = serde_json::to_value(i.status())
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        InstallationEvent {
            kind: kind.into(),
            tenant: i.tenant.clone(),
            issuer,
            installation: i.into(),
            status,
            sequence: i.sequence.max(0) as u64,
            installed_by: i.installed_by.clone(),
            detail: match detail {
                Value::Object(map) => map,
                _ => Default::default(),
            },
            credentials,
            hook_url: app.hook_url.clone(),
            occurred_at: now,
            event_id: crate::delivery::new_event_id(&self.rng),
            extra_origins: app
                .delivery_plugin
                .as_ref()
                .map(|d| d.origins.clone())
                .unwrap_or_default(),
        }
    }

    /// The app's own delivery plugin; else the tenant's credential-delivery
    /// binding, else the platform's, if its plugin sees installation events;
    /// else the built-in one. A plugin that cannot be loaded fails closed
    /// rather than being skipped.
    async fn installation_delivery_plugin(
        &self,
        tenant: &str,
        app: &Manifest,
    ) -> std::result::Result<Chosen, (CallContext, crate::plugins::PluginError)> {
        let context = |plugin: String, sha256: String| CallContext {
            plugin,
            sha256,
            tenant: tenant.to_string(),
            redact: None,
        };
        if let Some(own) = &app.delivery_plugin {
            let ctx = context(format!("app:{}", app.slug), own.sha256.clone());
            let plugin = self
                .app_delivery_plugin(&own.sha256)
                .await
                .map_err(|e| (ctx.clone(), e))?;
            return Ok(Chosen {
                plugin,
                context: ctx,
                limits: Limits::default(),
                config: own.config.to_string(),
            });
        }
        for owner in [tenant, PLATFORM] {
            let rows = self.store.bindings(owner).await.map_err(|e| {
                (
                    context("credential-delivery binding".into(), String::new()),
                    crate::plugins::PluginError::Compile(format!("cannot read bindings: {e}")),
                )
            })?;
            let Some(row) = rows
                .into_iter()
                .find(|r| r.binding.hook == Hook::CredentialDelivery.as_str())
            else {
                continue;
            };
            let b = &row.binding;
            let ctx = context(
                format!("{}@{}", b.plugin_name, b.plugin_version),
                row.sha256.clone(),
            );
            let plugin = self
                .bound_plugin(&row.sha256)
                .await
                .map_err(|e| (ctx.clone(), e))?;
            if plugin.sees_installations() {
                return Ok(Chosen {
                    limits: Limits::for_binding(&plugin, b.deadline_ms, b.memory_mib),
                    plugin,
                    context: ctx,
                    config: b.config.clone(),
                });
            }
        }
        let ctx = context(BUILTIN_DELIVERY_NAME.into(), String::new());
        let plugin = tokio::task::block_in_place(|| self.plugins.builtin_delivery())
            .map_err(|e| (ctx.clone(), e))?;
        Ok(Chosen {
            context: CallContext {
                sha256: plugin.sha256.clone(),
                ..ctx
            },
            plugin,
            limits: Limits::default(),
            config: "{}".into(),
        })
    }

    /// An app's own delivery plugin: a registered credential-delivery
    /// component built against 0.2.0 (it must see installation events).
    pub(super) async fn app_delivery_plugin(
        &self,
        sha256: &str,
    ) -> std::result::Result<Arc<Plugin>, crate::plugins::PluginError> {
        let plugin = self.bound_plugin(sha256).await?;
        if plugin.hook != Hook::CredentialDelivery {
            return Err(crate::plugins::PluginError::WrongHook {
                expected: Hook::CredentialDelivery.as_str(),
                actual: plugin.hook.as_str(),
            });
        }
        if !plugin.sees_installations() {
            return Err(crate::plugins::PluginError::Invalid(
                "built against warden:plugin@0.1.0, which has no installation events".into(),
            ));
        }
        Ok(plugin)
    }

    /// A manifest's own delivery plugin must be one that can build its events.
    pub(super) async fn check_delivery_plugin(&self, manifest: &Manifest) -> Result<()> {
        let Some(own) = &manifest.delivery_plugin else {
            return Ok(());
        };
        self.app_delivery_plugin(&own.sha256).await.map_err(|e| {
            AppError::Manifest(ManifestError {
                field: "delivery_plugin.sha256".into(),
                message: match e {
                    crate::plugins::PluginError::Compile(m) if m.contains("missing") => {
                        "names no plugin added with `plugin add`".into()
                    }
                    e => format!("cannot build this app's events: {e}"),
                },
            })
        })?;
        Ok(())
    }

    /// The plugin failed closed on an installation event: the change is
    /// refused, except for the ones that take access away, which go ahead
    /// without a delivery (audited).
    async fn delivery_failed(
        &self,
        kind: &str,
        i: &Installation,
        context: &CallContext,
        e: &crate::plugins::PluginError,
        now: i64,
    ) -> Result<Vec<Delivery>> {
        let detail = json!({"event": kind, "installation": i.id, "app": i.app,
                            "delivered": NEVER_BLOCKED.contains(&kind).then_some(false)});
        let error = self
            .plugin_failed(Hook::CredentialDelivery, context, e, detail, now)
            .await;
        if NEVER_BLOCKED.contains(&kind) {
            Ok(vec![])
        } else {
            Err(AppError::Admin(error))
        }
    }
}
