//! The in-memory view of tenants, clients and signing keys that the hot path
//! reads. Every change to those bumps a generation counter in the database
//! and logs what it touched (`cache_changes`); each replica polls the log
//! (`cache_refresh_ms`) and drops just those entries, so changes made through
//! another replica or the CLI apply within one interval and a change to one
//! tenant leaves the other tenants' entries warm.

use crate::domain::installation::Installation;
use crate::domain::manifest::{CredentialMode, Manifest};
use crate::domain::{Client, Tenant};
use crate::plugins::{BoundPlugin, Hook, Limits, PluginHost};
use crate::store::{AppVersion, LegacyClient, LegacyPolicy};
use crate::store::{BoundPluginRow, Change, Store, StoreError};
use crate::tokens::jwt::ActiveKey;
use crate::tokens::keys::{self, KeyError, Verifier};
use crate::tokens::master_key::MasterKey;
use ring::rand::SystemRandom;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Caps memory spent remembering lookups of names that do not exist.
const MAX_ENTRIES: usize = 50_000;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("tenant {0} has no active signing key")]
    NoActiveKey(String),
    #[error("plugin {name} bound to tenant {tenant} cannot be loaded: {why}")]
    Plugin {
        tenant: String,
        name: String,
        why: String,
    },
}

/// A tenant with its keys ready to use.
pub struct TenantEntry {
    pub tenant: Tenant,
    pub issuer: String,
    pub active: ActiveKey,
    pub verifiers: Vec<Verifier>,
    /// The JWKS document, pre-serialised.
    pub jwks: String,
    /// The tenant's grant-policy plugin, if one is bound.
    pub grant_policy: Option<BoundPlugin>,
    /// The tenant's permission-check plugin, if one is bound.
    pub permission_check: Option<BoundPlugin>,
    /// The tenant's registration-policy plugin, if one is bound.
    pub registration_policy: Option<BoundPlugin>,
    /// Its protected resources (RFC 8707, RFC 9396 types, RFC 9728).
    pub resources: Vec<crate::domain::resource_server::ResourceServer>,
    /// When a retired key drops out of the JWKS and this entry must be rebuilt.
    valid_until: i64,
}

/// An installation with the manifest version its admin approved.
pub struct InstallationEntry {
    pub installation: Installation,
    pub manifest: Manifest,
    /// The token claims of its full approved scope, built once per load:
    /// `installation` and RFC 9396 `authorization_details` (if any).
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// For a pull app: the client its tokens are issued to (the app, acting
    /// for this installation).
    pub pull_client: Option<Arc<Client>>,
}

#[derive(Default)]
struct View {
    generation: i64,
    tenants: HashMap<String, Option<Arc<TenantEntry>>>,
    clients: HashMap<String, Option<Arc<Client>>>,
    /// By installation id.
    installations: HashMap<String, Option<Arc<InstallationEntry>>>,
    /// By service account (token `sub`), for AuthZEN.
    service_accounts: HashMap<String, Option<Arc<InstallationEntry>>>,
    /// Apps' newest versions, by slug (their keys authenticate pull tokens).
    apps: HashMap<String, Option<Arc<AppVersion>>>,
    /// The legacy sunset, once read.
    legacy: Option<Arc<LegacyState>>,
}

impl View {
    fn len(&self) -> usize {
        self.tenants.len()
            + self.clients.len()
            + self.installations.len()
            + self.service_accounts.len()
            + self.apps.len()
            + usize::from(self.legacy.is_some())
    }

    /// Drops what `change` touched; returns how many entries went.
    fn forget(&mut self, change: &Change) -> usize {
        let before = self.len();
        match change {
            Change::Tenant(slug) => {
                self.tenants.remove(slug);
            }
            Change::Client(id) => {
                self.clients.remove(id);
            }
            Change::Installation(id) => {
                self.installations.remove(id);
                // Keyed by service account: few, and cheap to reload.
                self.service_accounts.clear();
            }
            Change::App(slug) => {
                self.apps.remove(slug);
                let of_app = |e: &Option<Arc<InstallationEntry>>| {
                    e.as_ref().is_some_and(|e| e.installation.app == *slug)
                };
                self.installations.retain(|_, e| !of_app(e));
                self.service_accounts.retain(|_, e| !of_app(e));
            }
            Change::Legacy => self.legacy = None,
            Change::All => *self = View::default(),
        }
        before - self.len()
    }
}

/// The legacy sunset as the token endpoint needs it.
#[derive(Debug, Default)]
pub struct LegacyState {
    pub policy: Option<LegacyPolicy>,
    /// Marked clients, by client_id.
    pub clients: HashMap<String, LegacyClient>,
    /// Tenants' exemptions: until when.
    pub exemptions: HashMap<String, i64>,
}

pub struct Directory {
    store: Arc<dyn Store>,
    plugins: Arc<PluginHost>,
    master: Arc<MasterKey>,
    rng: SystemRandom,
    public_url: String,
    view: RwLock<View>,
    /// When the view last caught up with the change log, for `/metrics`.
    caught_up: std::sync::Mutex<Instant>,
}

impl Directory {
    pub async fn new(
        store: Arc<dyn Store>,
        plugins: Arc<PluginHost>,
        master: Arc<MasterKey>,
        public_url: String,
    ) -> Result<Self, StoreError> {
        let generation = store.generation().await?;
        Ok(Directory {
            store,
            plugins,
            master,
            rng: SystemRandom::new(),
            public_url,
            view: RwLock::new(View {
                generation,
                ..View::default()
            }),
            caught_up: std::sync::Mutex::new(Instant::now()),
        })
    }

    pub fn issuer(&self, slug: &str) -> String {
        format!("{}/t/{}", self.public_url, slug)
    }

    pub async fn tenant(
        &self,
        slug: &str,
        now: i64,
    ) -> Result<Option<Arc<TenantEntry>>, DirectoryError> {
        let generation = {
            let view = self.view.read().expect("directory lock");
            match view.tenants.get(slug) {
                Some(Some(e)) if now < e.valid_until => return Ok(Some(e.clone())),
                Some(None) => return Ok(None),
                _ => view.generation,
            }
        };
        let entry = self.load_tenant(slug, now).await?.map(Arc::new);
        self.remember(generation, |v| &mut v.tenants, slug, entry.clone());
        Ok(entry)
    }

    pub async fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, DirectoryError> {
        let generation = {
            let view = self.view.read().expect("directory lock");
            if let Some(c) = view.clients.get(client_id) {
                return Ok(c.clone());
            }
            view.generation
        };
        let client = self.store.client(client_id).await?.map(Arc::new);
        self.remember(generation, |v| &mut v.clients, client_id, client.clone());
        Ok(client)
    }

    /// An installation (live or uninstalled) and its approved manifest.
    pub async fn installation(
        &self,
        id: &str,
    ) -> Result<Option<Arc<InstallationEntry>>, DirectoryError> {
        let generation = {
            let view = self.view.read().expect("directory lock");
            if let Some(e) = view.installations.get(id) {
                return Ok(e.clone());
            }
            view.generation
        };
        let entry = self.load_installation(id).await?;
        self.remember(generation, |v| &mut v.installations, id, entry.clone());
        Ok(entry)
    }

    /// The legacy sunset: policy, marked clients, exemptions.
    pub async fn legacy(&self) -> Result<Arc<LegacyState>, DirectoryError> {
        let generation = {
            let view = self.view.read().expect("directory lock");
            if let Some(l) = &view.legacy {
                return Ok(l.clone());
            }
            view.generation
        };
        let state = Arc::new(LegacyState {
            policy: self.store.legacy_policy().await?,
            clients: self
                .store
                .legacy_clients()
                .await?
                .into_iter()
                .map(|c| (c.client_id.clone(), c))
                .collect(),
            exemptions: self
                .store
                .exemptions()
                .await?
                .into_iter()
                .map(|e| (e.tenant, e.until))
                .collect(),
        });
        let mut view = self.view.write().expect("directory lock");
        if view.generation == generation {
            view.legacy = Some(state.clone());
        }
        Ok(state)
    }

    /// An app's newest version.
    pub async fn app(&self, slug: &str) -> Result<Option<Arc<AppVersion>>, DirectoryError> {
        let generation = {
            let view = self.view.read().expect("directory lock");
            if let Some(a) = view.apps.get(slug) {
                return Ok(a.clone());
            }
            view.generation
        };
        let app = self.store.app_version(slug, None).await?.map(Arc::new);
        self.remember(generation, |v| &mut v.apps, slug, app.clone());
        Ok(app)
    }

    /// The installation whose service account is `subject`, if any.
    pub async fn installation_of_subject(
        &self,
        subject: &str,
    ) -> Result<Option<Arc<InstallationEntry>>, DirectoryError> {
        let generation = {
            let view = self.view.read().expect("directory lock");
            if let Some(e) = view.service_accounts.get(subject) {
                return Ok(e.clone());
            }
            view.generation
        };
        let entry = match self.store.user(subject).await?.and_then(|u| u.installation) {
            Some(id) => self.load_installation(&id).await?,
            None => None,
        };
        self.remember(
            generation,
            |v| &mut v.service_accounts,
            subject,
            entry.clone(),
        );
        Ok(entry)
    }

    async fn load_installation(
        &self,
        id: &str,
    ) -> Result<Option<Arc<InstallationEntry>>, DirectoryError> {
        let Some(installation) = self.store.installation(id).await? else {
            return Ok(None);
        };
        let manifest = self
            .store
            .app_version(&installation.app, Some(installation.version))
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("installation {id} names a missing app version"))
            })?
            .manifest;
        let claims = crate::domain::installation::token_claims(&manifest, &installation, None);
        let pull_client = (manifest.credentials == CredentialMode::Pull).then(|| {
            Arc::new(crate::domain::installation::pull_client(
                &manifest,
                &installation,
            ))
        });
        Ok(Some(Arc::new(InstallationEntry {
            installation,
            manifest,
            claims,
            pull_client,
        })))
    }

    /// Stores a lookup unless the view was dropped while it was loading
    /// (then the loaded value may predate the change).
    fn remember<T>(
        &self,
        loaded_at: i64,
        map: impl FnOnce(&mut View) -> &mut HashMap<String, Option<Arc<T>>>,
        key: &str,
        value: Option<Arc<T>>,
    ) {
        let mut view = self.view.write().expect("directory lock");
        if view.generation != loaded_at {
            return;
        }
        let map = map(&mut view);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key.to_string(), value);
    }

    async fn load_tenant(
        &self,
        slug: &str,
        now: i64,
    ) -> Result<Option<TenantEntry>, DirectoryError> {
        crate::metrics::directory_tenant_load();
        let Some(tenant) = self.store.tenant(slug).await? else {
            return Ok(None);
        };
        let stored = self.store.signing_keys(slug, now).await?;
        let active = stored
            .iter()
            .find(|k| k.retired_at.is_none())
            .ok_or_else(|| DirectoryError::NoActiveKey(slug.to_string()))?;
        let signer = keys::load_signer(active, &self.master, &self.rng)?;
        let verifiers = stored
            .iter()
            .map(keys::load_verifier)
            .collect::<Result<Vec<_>, _>>()?;
        let jwks_keys: Vec<serde_json::Value> = stored
            .iter()
            .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
            .collect();
        let valid_until = stored
            .iter()
            .filter_map(|k| k.publish_until)
            .min()
            .unwrap_or(i64::MAX);
        let (mut grant_policy, mut permission_check, mut registration_policy) = (None, None, None);
        for row in crate::store::effective_bindings(&*self.store, slug).await? {
            let bound = self.load_binding(row).await?;
            match bound.plugin.hook {
                Hook::GrantPolicy => grant_policy = Some(bound),
                Hook::PermissionCheck => permission_check = Some(bound),
                Hook::RegistrationPolicy => registration_policy = Some(bound),
                Hook::CredentialDelivery | Hook::InstallPolicy => {}
            }
        }
        let resources = self.store.resource_servers(slug).await?;
        Ok(Some(TenantEntry {
            grant_policy,
            permission_check,
            registration_policy,
            resources,
            issuer: self.issuer(slug),
            active: ActiveKey::new(active.kid.clone(), &active.alg, signer),
            verifiers,
            jwks: serde_json::json!({ "keys": jwks_keys }).to_string(),
            valid_until,
            tenant,
        }))
    }

    async fn load_binding(&self, row: BoundPluginRow) -> Result<BoundPlugin, DirectoryError> {
        let b = row.binding;
        let failed = |why: String| DirectoryError::Plugin {
            tenant: b.tenant.clone(),
            name: b.plugin_name.clone(),
            why,
        };
        let plugin = match self.plugins.cached(&row.sha256) {
            Some(p) => p,
            None => {
                let wasm = self
                    .store
                    .plugin_wasm(&row.sha256)
                    .await?
                    .ok_or_else(|| failed("wasm missing from the registry".into()))?;
                self.plugins
                    .load(&wasm)
                    .map_err(|e| failed(e.to_string()))?
            }
        };
        Ok(BoundPlugin {
            id: crate::plugins::decisions::next_binding_id(),
            reuses: Default::default(),
            limits: self
                .plugins
                .clamp(Limits::for_binding(&plugin, b.deadline_ms, b.memory_mib)),
            name: b.plugin_name.clone(),
            version: b.plugin_version,
            config: b.config.clone(),
            plugin,
        })
    }

    /// Reads the changes committed since the view's generation and drops
    /// the entries they touched (the whole view if the log does not reach
    /// back far enough or a change is one every tenant sees). Returns whether
    /// anything changed.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let started = Instant::now();
        let result = self.catch_up().await;
        crate::metrics::directory_refreshed(started.elapsed(), result.is_ok());
        if result.is_ok() {
            *self.caught_up.lock().expect("directory clock") = started;
        }
        result
    }

    /// How long since the view last caught up: changes committed on other
    /// replicas within that time may not be seen yet.
    pub fn refresh_age(&self) -> Duration {
        self.caught_up.lock().expect("directory clock").elapsed()
    }

    async fn catch_up(&self) -> Result<bool, StoreError> {
        let since = self.view.read().expect("directory lock").generation;
        let changes = self.store.changes_since(since).await?;
        let Some(&(newest, _)) = changes.last() else {
            return Ok(false);
        };
        // Generations are consecutive unless the log was trimmed past us.
        let contiguous = changes
            .iter()
            .enumerate()
            .all(|(i, (g, _))| *g == since + 1 + i as i64);
        let complete = contiguous && (changes.len() as i64) < crate::store::MAX_CHANGES_READ;
        let mut view = self.view.write().expect("directory lock");
        if view.generation != since {
            return Ok(false); // another refresh got here first
        }
        let mut dropped = 0;
        let everything = !complete
            || changes
                .iter()
                .any(|(_, c)| matches!(c, None | Some(Change::All)));
        if everything {
            dropped = view.len();
            *view = View::default();
        } else {
            for (_, change) in &changes {
                dropped += view.forget(change.as_ref().expect("known change"));
            }
        }
        view.generation = newest;
        crate::metrics::directory_changes(changes.len() as u64, dropped as u64, everything);
        Ok(true)
    }

    /// Polls the generation every `interval` for as long as the process runs.
    pub fn spawn_refresher(self: &Arc<Self>, interval: Duration) {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(dir) = me.upgrade() else { return };
                match dir.refresh().await {
                    Ok(true) => tracing::debug!("configuration changed; cache dropped"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot poll configuration generation"),
                }
            }
        });
    }
}
