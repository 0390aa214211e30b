//! Plugins and their bindings to a tenant's (or the platform's) hooks.

use super::{Admin, AdminError, IssuedSecret, Result};
use crate::delivery;
use crate::plugins::{CallContext, Hook, Plugin, PluginError, PluginHost};
use crate::store::{AuditEvent, Binding, PluginRecord, StoreError};
use crate::tokens::secret;
use std::sync::Arc;

/// What an operator asks for when binding a plugin.
pub struct BindRequest<'a> {
    pub tenant: &'a str,
    pub hook: &'a str,
    /// `name` (newest version) or `name@version`.
    pub plugin: &'a str,
    pub config: &'a str,
    pub deadline_ms: Option<i64>,
    pub memory_mib: Option<i64>,
    /// Who binds, as the audit record names them.
    pub actor: &'a str,
}

/// A credential-delivery binding must say where deliveries may go:
/// `{"allowed_origins": ["https://hooks.example.com", …]}`.
fn check_allowed_origins(config: &serde_json::Value) -> Result<()> {
    let bad = |m: String| Err(AdminError::Invalid(m));
    let Some(list) = config.get("allowed_origins").and_then(|v| v.as_array()) else {
        return bad("a credential-delivery binding needs \"allowed_origins\": a list of origins (e.g. \"https://hooks.example.com\") deliveries may go to".into());
    };
    for o in list {
        let Some(text) = o.as_str() else {
            return bad("allowed_origins must hold strings".into());
        };
        match url::Url::parse(text) {
            Ok(u)
                if matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.username().is_empty()
                    && u.password().is_none() => {}
            _ => {
                return bad(format!(
                    "allowed origin {text:?} is not an http(s) origin like https://hooks.example.com"
                ));
            }
        }
    }
    Ok(())
}

fn validate_plugin_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AdminError::Invalid(format!(
            "invalid plugin name {name:?}: use 1-64 lowercase letters, digits, - and _"
        )))
    }
}

/// A plugin just added, with what its author should know about it.
#[derive(Debug, serde::Serialize)]
pub struct AddedPlugin {
    #[serde(flatten)]
    pub record: PluginRecord,
    /// WASI interfaces it imports that the sandbox does not grant: a call
    /// that uses one fails closed.
    pub ungranted_imports: Vec<String>,
    /// The memory limit of a binding that sets none.
    pub default_memory_mib: usize,
}

impl Admin {
    /// The compiled plugin with this sha256: from the cache, else compiled
    /// from the registry.
    pub async fn bound_plugin(
        &self,
        sha256: &str,
    ) -> std::result::Result<Arc<Plugin>, PluginError> {
        if let Some(p) = self.plugins.cached(sha256) {
            return Ok(p);
        }
        match self.store.plugin_wasm(sha256).await {
            Ok(Some(wasm)) => tokio::task::block_in_place(|| self.plugins.load(&wasm)),
            Ok(None) => Err(PluginError::Compile(
                "wasm missing from the registry".into(),
            )),
            Err(e) => Err(PluginError::Compile(format!(
                "cannot read the component from the registry: {e}"
            ))),
        }
    }

    /// A plugin failed closed while deciding an admin's change: counted,
    /// logged and audited (`{hook}.plugin_failed` with `detail`); the change
    /// is refused with the error returned.
    pub async fn plugin_failed(
        &self,
        hook: Hook,
        context: &CallContext,
        e: &PluginError,
        mut detail: serde_json::Value,
        now: i64,
    ) -> AdminError {
        self.plugins.record_failure(hook, e.kind());
        tracing::error!(
            plugin = %context.plugin, sha256 = %context.sha256, tenant = %context.tenant,
            hook = hook.as_str(), reason = %e, "plugin failed closed"
        );
        detail["plugin"] = context.plugin.clone().into();
        detail["sha256"] = context.sha256.clone().into();
        detail["reason"] = e.kind().into();
        let action = match hook {
            Hook::CredentialDelivery => "delivery.plugin_failed",
            Hook::InstallPolicy => "install_policy.plugin_failed",
            Hook::GrantPolicy => "grant_policy.plugin_failed",
            Hook::PermissionCheck => "permission_check.plugin_failed",
            Hook::RegistrationPolicy => "registration_policy.plugin_failed",
        };
        let audit = AuditEvent::new(&context.tenant, action, detail, now);
        if let Err(e) = self.store.audit(&audit).await {
            tracing::warn!(error = %e, "cannot write audit record");
        }
        AdminError::Plugin {
            hook: hook.as_str(),
            kind: e.kind(),
        }
    }

    /// Validates a component against the worlds and stores it as the next
    /// version of `name`.
    pub async fn add_plugin(
        &self,
        host: &PluginHost,
        name: &str,
        wasm: &[u8],
        now: i64,
    ) -> Result<AddedPlugin> {
        validate_plugin_name(name)?;
        // Compiling takes a while: let the runtime move other tasks off this thread.
        let plugin = tokio::task::block_in_place(|| host.load(wasm))
            .map_err(|e| AdminError::Unprocessable(e.to_string()))?;
        let record = self
            .store
            .add_plugin(
                name,
                &plugin.sha256,
                plugin.hook.as_str(),
                &format!("warden:plugin@{}", plugin.wit_version()),
                wasm,
                now,
            )
            .await?;
        Ok(AddedPlugin {
            record,
            ungranted_imports: plugin.ungranted.clone(),
            default_memory_mib: plugin.default_memory() >> 20,
        })
    }

    /// Binds `name[@version]` to a tenant's hook; takes effect on every replica
    /// within the cache refresh interval. Binding credential delivery the
    /// first time creates the tenant's delivery signing secret, returned the
    /// one time it is shown.
    pub async fn bind_plugin(
        &self,
        request: BindRequest<'_>,
        now: i64,
    ) -> Result<(Binding, Option<IssuedSecret>)> {
        let hook = Hook::parse(request.hook).map_err(AdminError::Invalid)?;
        let platform = request.tenant == crate::store::PLATFORM;
        if !platform {
            super::existing_tenant(&*self.store, request.tenant).await?;
        }
        let (name, version) = match request.plugin.split_once('@') {
            Some((n, v)) => (
                n,
                Some(v.parse::<i64>().map_err(|_| {
                    AdminError::Invalid(format!("plugin version {v:?} is not a number"))
                })?),
            ),
            None => (request.plugin, None),
        };
        let plugin = self
            .store
            .plugin(name, version)
            .await?
            .ok_or(StoreError::NotFound("plugin"))?;
        if plugin.hook != hook.as_str() {
            return Err(AdminError::Invalid(format!(
                "plugin {name}@{} implements {}, not {}",
                plugin.version,
                plugin.hook,
                hook.as_str()
            )));
        }
        let config: serde_json::Value = serde_json::from_str(request.config)
            .map_err(|e| AdminError::Invalid(format!("binding config is not valid JSON: {e}")))?;
        if hook == Hook::CredentialDelivery {
            check_allowed_origins(&config)?;
        }
        self.check_binding_limits(&plugin, &request).await?;
        let binding = Binding {
            tenant: request.tenant.into(),
            hook: hook.as_str().into(),
            plugin_name: plugin.name,
            plugin_version: plugin.version,
            config: config.to_string(),
            deadline_ms: request.deadline_ms,
            memory_mib: request.memory_mib,
            created_at: now,
        };
        let signing_secret = match hook == Hook::CredentialDelivery && !platform {
            true => self.first_delivery_secret(&binding.tenant, now).await?,
            false => None,
        };
        let audit = AuditEvent::new(
            &binding.tenant,
            "plugin.bound",
            serde_json::json!({
                "hook": binding.hook, "plugin": binding.plugin_name,
                "version": binding.plugin_version, "actor": request.actor,
            }),
            now,
        );
        self.store.bind_plugin(&binding, &audit).await?;
        Ok((binding, signing_secret))
    }

    /// A deadline and memory limit must be positive, and the memory enough
    /// for the component to start.
    async fn check_binding_limits(
        &self,
        plugin: &PluginRecord,
        request: &BindRequest<'_>,
    ) -> Result<()> {
        for (what, v) in [
            ("deadline", request.deadline_ms),
            ("memory limit", request.memory_mib),
        ] {
            if v.is_some_and(|v| v <= 0) {
                return Err(AdminError::Invalid(format!("{what} must be positive")));
            }
        }
        if let Some(mib) = request.memory_mib {
            let loaded = self
                .bound_plugin(&plugin.sha256)
                .await
                .map_err(|e| AdminError::Invalid(e.to_string()))?;
            let needs = loaded.initial_memory.div_ceil(1 << 20);
            if (mib as usize) < needs {
                return Err(AdminError::Invalid(format!(
                    "plugin {}@{} starts with {needs} MiB of memory: a limit of {mib} MiB cannot run it (leave the limit unset for its default of {} MiB)",
                    plugin.name,
                    plugin.version,
                    loaded.default_memory() >> 20
                )));
            }
        }
        Ok(())
    }

    /// A platform default has no tenant secret to show; each tenant gets
    /// one when its first delivery is queued (`delivery rotate-secret`
    /// shows a fresh one).
    async fn first_delivery_secret(&self, tenant: &str, now: i64) -> Result<Option<IssuedSecret>> {
        if self.store.delivery_secrets(tenant).await?.is_some() {
            return Ok(None);
        }
        let fresh = secret::generate(delivery::SIGNING_SECRET_PREFIX, &self.rng);
        let sealed = self.master.seal(
            &delivery::secret_context(tenant),
            fresh.as_bytes(),
            &self.rng,
        );
        let created = self
            .store
            .create_delivery_secret(tenant, &sealed, now)
            .await?;
        Ok(created.then(|| IssuedSecret(fresh)))
    }

    /// Removes a tenant's (or the platform's) binding for a hook: the
    /// platform default, if any, applies again.
    pub async fn unbind_plugin(
        &self,
        tenant: &str,
        hook: &str,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        let hook = Hook::parse(hook).map_err(AdminError::Invalid)?;
        if tenant != crate::store::PLATFORM {
            super::existing_tenant(&*self.store, tenant).await?;
        }
        let audit = AuditEvent::new(
            tenant,
            "plugin.unbound",
            serde_json::json!({"hook": hook.as_str(), "actor": actor}),
            now,
        );
        Ok(self
            .store
            .unbind_plugin(tenant, hook.as_str(), &audit)
            .await?)
    }
}
