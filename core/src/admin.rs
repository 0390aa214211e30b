//! Administrative operations on tenants, clients and keys, shared by the CLI
//! and the admin API. They validate, then make one store call.

use crate::delivery;
use crate::domain::user::{User, validate_password, validate_username};
use crate::domain::{self, Client, NewClient, SigningAlg, Tenant};
use crate::plugins::credential_delivery::{CredentialEvent, DeliveryEvent, EventKind};
use crate::plugins::{CallContext, Hook, Limits, Plugin, PluginError, PluginHost};
use crate::store::{AuditEvent, Binding, Delivery, PluginRecord, Store, StoreError};
use crate::tokens::master_key::MasterKey;
use crate::tokens::{b64url, keys, password, random_bytes, secret};
use ring::rand::SystemRandom;
use std::sync::Arc;

/// Prefix of client secrets, so secret scanners can spot leaked ones.
pub const CLIENT_SECRET_PREFIX: &str = "wsec_";

/// Extra time a retired key stays published, covering replicas that kept
/// signing with it until they noticed the rotation (well under a minute).
const ROTATION_MARGIN: i64 = 60;

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
}

/// What an operator asks for when creating a user.
pub struct NewUser {
    pub tenant: String,
    pub username: String,
    pub password: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub is_admin: bool,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("tenant", &self.tenant)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
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
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AddedPlugin {
    #[serde(flatten)]
    pub record: PluginRecord,
    /// WASI interfaces it imports that the sandbox does not grant: a call
    /// that uses one fails closed.
    pub ungranted_imports: Vec<String>,
    /// The memory limit of a binding that sets none.
    pub default_memory_mib: usize,
}

pub struct Admin {
    pub store: Arc<dyn Store>,
    pub master: Arc<MasterKey>,
    pub max_access_token_ttl: i64,
    pub plugins: Arc<PluginHost>,
    /// For the token endpoint named in credential events.
    pub public_url: String,
    pub rng: SystemRandom,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    /// The request is well formed but the thing is not in a state that
    /// allows it (already suspended, nothing waiting, no secret to rotate).
    #[error("{0}")]
    Conflict(String),
    /// The body is not what the operation takes, for a reason no schema
    /// states (not a WebAssembly component).
    #[error("{0}")]
    Unprocessable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tenant's plugin for `hook` failed closed (`kind` says how);
    /// details are in the server log.
    #[error("the tenant's {hook} plugin failed ({kind}); nothing was changed")]
    Plugin {
        hook: &'static str,
        kind: &'static str,
    },
}

type Result<T> = std::result::Result<T, AdminError>;

/// How long a replaced delivery signing secret keeps signing unless told.
pub const DEFAULT_SIGNING_SECRET_OVERLAP: i64 = 86_400;
/// Longest a replaced delivery signing secret keeps signing.
pub const MAX_SIGNING_SECRET_OVERLAP: i64 = 7 * 86_400;

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

/// A client's secret in the one moment it is shown.
pub struct IssuedSecret(pub String);

impl std::fmt::Debug for IssuedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuedSecret(<redacted>)")
    }
}

impl Admin {
    pub fn new(
        store: Arc<dyn Store>,
        master: Arc<MasterKey>,
        max_access_token_ttl: i64,
        plugins: Arc<PluginHost>,
        public_url: String,
    ) -> Self {
        Admin {
            store,
            master,
            max_access_token_ttl,
            plugins,
            public_url,
            rng: SystemRandom::new(),
        }
    }

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

    /// Registers a client. A confidential client gets its secret (shown once);
    /// a public client has none.
    pub async fn create_client(
        &self,
        mut new: NewClient,
        actor: &str,
        now: i64,
    ) -> Result<(Client, Option<IssuedSecret>)> {
        for g in &mut new.grant_types {
            if g == "token-exchange" || g == "token_exchange" {
                *g = "urn:ietf:params:oauth:grant-type:token-exchange".into();
            }
        }
        new.validate().map_err(AdminError::Invalid)?;
        if self.store.tenant(&new.tenant).await?.is_none() {
            return Err(StoreError::NotFound("tenant").into());
        }
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
        self.store.update_tenant_lifetimes(&tenant).await?;
        Ok(tenant)
    }

    /// Creates an end user of a tenant with an Argon2id password hash.
    pub async fn create_user(&self, new: NewUser, now: i64) -> Result<User> {
        validate_username(&new.username).map_err(AdminError::Invalid)?;
        validate_password(&new.password).map_err(AdminError::Invalid)?;
        if self.store.tenant(&new.tenant).await?.is_none() {
            return Err(StoreError::NotFound("tenant").into());
        }
        let password = new.password;
        let password_hash = tokio::task::spawn_blocking(move || password::hash(&password))
            .await
            .map_err(|_| AdminError::Invalid("password hashing failed".into()))?;
        let user = User {
            id: format!("usr_{}", b64url(&random_bytes::<16>(&self.rng))),
            tenant: new.tenant,
            username: new.username,
            password_hash,
            email: new.email,
            display_name: new.display_name,
            is_admin: new.is_admin,
            created_at: now,
            installation: None,
            last_sign_in_at: None,
        };
        self.store.create_user(&user).await?;
        Ok(user)
    }

    pub async fn set_password(
        &self,
        tenant: &str,
        username: &str,
        new_password: String,
    ) -> Result<()> {
        validate_password(&new_password).map_err(AdminError::Invalid)?;
        let hash = tokio::task::spawn_blocking(move || password::hash(&new_password))
            .await
            .map_err(|_| AdminError::Invalid("password hashing failed".into()))?;
        Ok(self.store.set_password(tenant, username, &hash).await?)
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
        if !platform && self.store.tenant(request.tenant).await?.is_none() {
            return Err(StoreError::NotFound("tenant").into());
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
                    "plugin {name}@{} starts with {needs} MiB of memory: a limit of {mib} MiB cannot run it (leave the limit unset for its default of {} MiB)",
                    plugin.version,
                    loaded.default_memory() >> 20
                )));
            }
        }
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
        let mut signing_secret = None;
        // A platform default has no tenant secret to show; each tenant gets
        // one when its first delivery is queued (`delivery rotate-secret`
        // shows a fresh one).
        if hook == Hook::CredentialDelivery
            && !platform
            && self
                .store
                .delivery_secrets(&binding.tenant)
                .await?
                .is_none()
        {
            let fresh = secret::generate(delivery::SIGNING_SECRET_PREFIX, &self.rng);
            let sealed = self.master.seal(
                &delivery::secret_context(&binding.tenant),
                fresh.as_bytes(),
                &self.rng,
            );
            if self
                .store
                .create_delivery_secret(&binding.tenant, &sealed, now)
                .await?
            {
                signing_secret = Some(IssuedSecret(fresh));
            }
        }
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
        if tenant != crate::store::PLATFORM && self.store.tenant(tenant).await?.is_none() {
            return Err(StoreError::NotFound("tenant").into());
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

    /// Sends a dead-lettered delivery of the tenant again, from a fresh
    /// attempt count. The same check and audit record from the admin API,
    /// the console and the CLI.
    pub async fn retry_delivery(
        &self,
        tenant: &str,
        id: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<()> {
        let audit = AuditEvent::new(
            tenant,
            "delivery.retried",
            serde_json::json!({"delivery": id, "actor": actor}),
            now_ms.div_euclid(1000),
        );
        Ok(self
            .store
            .retry_delivery(tenant, id, now_ms, &audit)
            .await?)
    }

    /// A new delivery signing secret for the tenant. The one it replaces
    /// keeps signing deliveries alongside it (a second `v1` in
    /// `Warden-Signature`) for `overlap` seconds, so receivers can switch
    /// without rejecting a delivery. Returns the secret and the overlap's end.
    pub async fn rotate_delivery_secret(
        &self,
        tenant: &str,
        overlap: i64,
        actor: &str,
        now: i64,
    ) -> Result<(IssuedSecret, i64)> {
        if !(0..=MAX_SIGNING_SECRET_OVERLAP).contains(&overlap) {
            return Err(AdminError::Invalid(format!(
                "overlap must be between 0 and {MAX_SIGNING_SECRET_OVERLAP} seconds (7 days)"
            )));
        }
        if self.store.tenant(tenant).await?.is_none() {
            return Err(StoreError::NotFound("tenant").into());
        }
        let fresh = secret::generate(delivery::SIGNING_SECRET_PREFIX, &self.rng);
        let sealed = self.master.seal(
            &delivery::secret_context(tenant),
            fresh.as_bytes(),
            &self.rng,
        );
        let until = now + overlap;
        let audit = AuditEvent::new(
            tenant,
            "delivery.signing_secret_rotated",
            serde_json::json!({ "previous_secret_signs_until": until, "actor": actor }),
            now,
        );
        self.store
            .rotate_delivery_secret(tenant, &sealed, until, now, &audit)
            .await?;
        Ok((IssuedSecret(fresh), until))
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
