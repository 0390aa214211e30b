//! Administrative operations on tenants, clients and keys, shared by the CLI
//! (and the admin API to come). They validate, then make one store call.

use crate::domain::{self, Client, NewClient, SigningAlg, Tenant};
use crate::plugins::{Hook, PluginHost};
use crate::store::{Binding, PluginRecord, Store, StoreError};
use crate::tokens::master_key::MasterKey;
use crate::tokens::{b64url, keys, random_bytes, secret};
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
}

fn validate_plugin_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(AdminError::Invalid(format!("invalid plugin name {name:?}: use 1-64 lowercase letters, digits, - and _"))) }
}

pub struct Admin {
    pub store: Arc<dyn Store>,
    pub master: Arc<MasterKey>,
    pub max_access_token_ttl: i64,
    rng: SystemRandom,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, AdminError>;

/// A client's secret in the one moment it is shown.
pub struct IssuedSecret(pub String);

impl std::fmt::Debug for IssuedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuedSecret(<redacted>)")
    }
}

impl Admin {
    pub fn new(store: Arc<dyn Store>, master: Arc<MasterKey>, max_access_token_ttl: i64) -> Self {
        Admin { store, master, max_access_token_ttl, rng: SystemRandom::new() }
    }

    pub async fn create_tenant(
        &self,
        slug: &str,
        alg: SigningAlg,
        access_token_ttl: Option<i64>,
        max_access_token_ttl: Option<i64>,
        now: i64,
    ) -> Result<(Tenant, String)> {
        domain::validate_slug(slug).map_err(AdminError::Invalid)?;
        for ttl in [access_token_ttl, max_access_token_ttl].into_iter().flatten() {
            if ttl <= 0 {
                return Err(AdminError::Invalid("token lifetimes must be positive".into()));
            }
        }
        let tenant = Tenant { slug: slug.into(), signing_alg: alg, access_token_ttl, max_access_token_ttl, created_at: now };
        let key = keys::generate(slug, alg, now, &self.master, &self.rng);
        self.store.create_tenant(&tenant, &key).await?;
        Ok((tenant, key.kid))
    }

    pub async fn create_client(&self, new: NewClient, now: i64) -> Result<(Client, IssuedSecret)> {
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
        };
        self.store.create_client(&client).await?;
        Ok((client, IssuedSecret(secret)))
    }

    /// New secret; the old one keeps working for `overlap` seconds.
    pub async fn rotate_client_secret(&self, client_id: &str, overlap: i64, now: i64) -> Result<(IssuedSecret, i64)> {
        if overlap < 0 {
            return Err(AdminError::Invalid("overlap must not be negative".into()));
        }
        let secret = secret::generate(CLIENT_SECRET_PREFIX, &self.rng);
        let until = now + overlap;
        self.store.rotate_client_secret(client_id, &secret::hash(&secret), until).await?;
        Ok((IssuedSecret(secret), until))
    }

    /// Validates a component against the worlds and stores it as the next
    /// version of `name`.
    pub async fn add_plugin(&self, host: &PluginHost, name: &str, wasm: &[u8], now: i64) -> Result<PluginRecord> {
        validate_plugin_name(name)?;
        let plugin = host.load(wasm).map_err(|e| AdminError::Invalid(e.to_string()))?;
        Ok(self.store.add_plugin(name, &plugin.sha256, plugin.hook.as_str(), wasm, now).await?)
    }

    /// Binds `name[@version]` to a tenant's hook; takes effect on every replica
    /// within the cache refresh interval.
    pub async fn bind_plugin(&self, request: BindRequest<'_>, now: i64) -> Result<Binding> {
        let hook = Hook::parse(request.hook).map_err(AdminError::Invalid)?;
        if self.store.tenant(request.tenant).await?.is_none() {
            return Err(StoreError::NotFound("tenant").into());
        }
        let (name, version) = match request.plugin.split_once('@') {
            Some((n, v)) => (n, Some(v.parse::<i64>().map_err(|_| AdminError::Invalid(format!("plugin version {v:?} is not a number")))?)),
            None => (request.plugin, None),
        };
        let plugin = self.store.plugin(name, version).await?.ok_or(StoreError::NotFound("plugin"))?;
        if plugin.hook != hook.as_str() {
            return Err(AdminError::Invalid(format!("plugin {name}@{} implements {}, not {}", plugin.version, plugin.hook, hook.as_str())));
        }
        let config: serde_json::Value = serde_json::from_str(request.config)
            .map_err(|e| AdminError::Invalid(format!("binding config is not valid JSON: {e}")))?;
        for (what, v) in [("deadline", request.deadline_ms), ("memory limit", request.memory_mib)] {
            if v.is_some_and(|v| v <= 0) {
                return Err(AdminError::Invalid(format!("{what} must be positive")));
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
        self.store.bind_plugin(&binding).await?;
        Ok(binding)
    }

    /// A new active key; the old one stays published until every token it
    /// signed has expired.
    pub async fn rotate_signing_key(&self, slug: &str, alg: Option<SigningAlg>, now: i64) -> Result<(String, SigningAlg, i64)> {
        let tenant = self.store.tenant(slug).await?.ok_or(StoreError::NotFound("tenant"))?;
        let alg = alg.unwrap_or(tenant.signing_alg);
        let key = keys::generate(slug, alg, now, &self.master, &self.rng);
        let publish_until =
            now + domain::max_access_token_ttl(self.max_access_token_ttl, &tenant) + ROTATION_MARGIN;
        self.store.rotate_signing_key(&key, now, publish_until).await?;
        Ok((key.kid, alg, publish_until))
    }
}
