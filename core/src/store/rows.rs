//! Row shapes shared by both backends and their conversion into domain types.

use super::StoreError;
use crate::domain::{Client, Scope, SigningAlg, Tenant};

#[derive(sqlx::FromRow)]
pub struct TenantRow {
    pub slug: String,
    pub signing_alg: String,
    pub access_token_ttl: Option<i64>,
    pub max_access_token_ttl: Option<i64>,
    pub created_at: i64,
    pub refresh_idle_ttl: Option<i64>,
    pub refresh_absolute_ttl: Option<i64>,
    pub pat_max_ttl: Option<i64>,
    pub decision_cache_max_seconds: Option<i64>,
    pub dynamic_registration: bool,
    pub client_id_metadata_documents: bool,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(r: TenantRow) -> Result<Self, StoreError> {
        Ok(Tenant {
            signing_alg: SigningAlg::parse(&r.signing_alg).map_err(StoreError::Corrupt)?,
            slug: r.slug,
            access_token_ttl: r.access_token_ttl,
            max_access_token_ttl: r.max_access_token_ttl,
            created_at: r.created_at,
            refresh_idle_ttl: r.refresh_idle_ttl,
            refresh_absolute_ttl: r.refresh_absolute_ttl,
            pat_max_ttl: r.pat_max_ttl,
            decision_cache_max_seconds: r.decision_cache_max_seconds,
            dynamic_registration: r.dynamic_registration,
            client_id_metadata_documents: r.client_id_metadata_documents,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ClientRow {
    pub client_id: String,
    pub tenant: String,
    pub name: String,
    pub grant_types: String,
    pub scopes: String,
    pub default_scopes: String,
    pub resources: String,
    pub access_token_ttl: Option<i64>,
    pub secret_hash: Vec<u8>,
    pub previous_secret_hash: Option<Vec<u8>>,
    pub previous_secret_expires_at: Option<i64>,
    pub metadata: String,
    pub created_at: i64,
    pub redirect_uris: String,
    pub public_client: bool,
    pub post_logout_redirect_uris: String,
    pub installation_id: Option<String>,
    pub jwks: Option<String>,
    pub require_pushed_authorization_requests: bool,
    pub dpop_bound_access_tokens: bool,
    pub authorization_details_types: String,
    pub registration: Option<String>,
    pub registration_token_hash: Option<Vec<u8>>,
}

fn hash32(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("secret hash is not 32 bytes".into()))
}

fn words(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;
    fn try_from(r: ClientRow) -> Result<Self, StoreError> {
        let scope = |s: &str| Scope::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()));
        Ok(Client {
            scopes: scope(&r.scopes)?,
            default_scopes: scope(&r.default_scopes)?,
            grant_types: words(&r.grant_types),
            resources: words(&r.resources),
            secret_hash: hash32(r.secret_hash)?,
            previous_secret_hash: r.previous_secret_hash.map(hash32).transpose()?,
            metadata: serde_json::from_str(&r.metadata)
                .map_err(|e| StoreError::Corrupt(format!("client metadata: {e}")))?,
            client_id: r.client_id,
            tenant: r.tenant,
            name: r.name,
            access_token_ttl: r.access_token_ttl,
            previous_secret_expires_at: r.previous_secret_expires_at,
            created_at: r.created_at,
            redirect_uris: words(&r.redirect_uris),
            public: r.public_client,
            require_pushed_authorization_requests: r.require_pushed_authorization_requests,
            dpop_bound_access_tokens: r.dpop_bound_access_tokens,
            authorization_details_types: words(&r.authorization_details_types),
            registration: r.registration,
            registration_token_hash: r.registration_token_hash.map(hash32).transpose()?,
            post_logout_redirect_uris: words(&r.post_logout_redirect_uris),
            installation: r.installation_id,
            jwks: r
                .jwks
                .map(|j| serde_json::from_str(&j))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("client jwks: {e}")))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub tenant: String,
    pub username: String,
    pub password_hash: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub is_admin: bool,
    pub created_at: i64,
    pub installation_id: Option<String>,
    pub last_sign_in_at: Option<i64>,
}

impl From<UserRow> for crate::domain::user::User {
    fn from(r: UserRow) -> Self {
        crate::domain::user::User {
            id: r.id,
            tenant: r.tenant,
            username: r.username,
            password_hash: r.password_hash,
            email: r.email,
            display_name: r.display_name,
            is_admin: r.is_admin,
            created_at: r.created_at,
            installation: r.installation_id,
            last_sign_in_at: r.last_sign_in_at,
        }
    }
}
