//! Administrative operations shared by the admin API, the console, the CLI and
//! `--demo`, one file per noun: each action's checks and its audit record
//! (written in the transaction of the change) live here once.

mod admin_tokens;
mod clients;
mod deliveries;
mod plugins;
mod registration;
mod resource_servers;
mod settings;
mod tenants;
mod users;

pub use admin_tokens::*;
pub use clients::*;
pub use deliveries::*;
pub use plugins::*;
pub use registration::*;
pub use resource_servers::*;
pub use tenants::*;
pub use users::*;

use crate::plugins::PluginHost;
use crate::store::{Store, StoreError};
use crate::tokens::master_key::MasterKey;
use ring::rand::SystemRandom;
use std::sync::Arc;

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

/// What the app and settings services answer: an `AdminError`, or a field of
/// a manifest or form that cannot be accepted, or the install policy's no.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Manifest(#[from] crate::domain::manifest::ManifestError),
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// A field of the request is out of range (422 naming it).
    #[error("{field}: {message}")]
    Field { field: String, message: String },
    /// The tenant's install policy said no; the reason is its own words.
    #[error("the tenant's install policy refused: {0}")]
    Refused(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Admin(AdminError::Store(e))
    }
}

/// A secret (a client's, a delivery signing secret) in the one moment it is shown.
pub struct IssuedSecret(pub String);

impl std::fmt::Debug for IssuedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuedSecret(<redacted>)")
    }
}

/// `NotFound("tenant")` unless the tenant exists: what every per-tenant list
/// checks first, so an unknown tenant is 404, not an empty list. Lists read
/// the store alone (no master key, no plugins), so they take the store.
pub async fn existing_tenant(store: &dyn Store, tenant: &str) -> Result<()> {
    match store.tenant(tenant).await? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound("tenant").into()),
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
}
