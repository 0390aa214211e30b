//! Storage of what the newer flows keep between requests: pushed
//! authorization requests (RFC 9126), device authorizations (RFC 8628) and
//! the DPoP keys public clients' refresh tokens are bound to (RFC 9449).

use super::StoreResult;
use async_trait::async_trait;

/// An RFC 9126 pushed authorization request, by the hash of its request_uri.
#[derive(Clone, sqlx::FromRow)]
pub struct PushedRequest {
    pub uri_hash: Vec<u8>,
    pub tenant: String,
    pub client_id: String,
    /// The request's parameters, form-encoded.
    pub params: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl std::fmt::Debug for PushedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushedRequest")
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An RFC 8628 device authorization, by the hash of its device_code.
#[derive(Clone, sqlx::FromRow)]
pub struct DeviceCode {
    pub device_hash: Vec<u8>,
    /// Eight letters, without the dash shown to people.
    pub user_code: String,
    pub tenant: String,
    pub client_id: String,
    /// Requested; on approval, what the person could grant.
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// The polling interval now asked of the device (grows with `slow_down`).
    pub interval_s: i64,
    /// `pending`, `approved`, `denied` or `used`.
    pub status: String,
    pub user_id: Option<String>,
    pub auth_time: Option<i64>,
    /// RFC 9396 details asked for (a JSON array), if any.
    pub authorization_details: Option<String>,
    /// RFC 8707 resources asked for, space-separated.
    pub resources: String,
}

impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCode")
            .field("client_id", &self.client_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait Flows {
    async fn create_pushed_request(&self, request: &PushedRequest) -> StoreResult<()>;
    async fn pushed_request(&self, uri_hash: &[u8]) -> StoreResult<Option<PushedRequest>>;
    /// Marks a pushed request used, atomically: `true` for exactly one
    /// caller, and only before it expires.
    async fn spend_pushed_request(&self, uri_hash: &[u8], now: i64) -> StoreResult<bool>;

    /// `Conflict` when the user code is taken in the tenant (draw another).
    async fn create_device_code(&self, code: &DeviceCode) -> StoreResult<()>;
    async fn device_code(&self, device_hash: &[u8]) -> StoreResult<Option<DeviceCode>>;
    async fn device_code_by_user_code(
        &self,
        tenant: &str,
        user_code: &str,
    ) -> StoreResult<Option<DeviceCode>>;
    /// A person's answer, once, while the code is pending and live: with
    /// `Some((user, scopes, auth_time))` approved, with `None` denied.
    async fn decide_device_code(
        &self,
        tenant: &str,
        user_code: &str,
        approval: Option<(&str, &str, i64)>,
        now: i64,
    ) -> StoreResult<bool>;
    /// A poll came too soon: 5 s more on the interval (RFC 8628 §3.5).
    async fn slow_down_device_code(&self, device_hash: &[u8]) -> StoreResult<()>;
    /// Marks an approved code used, atomically: `true` for exactly one poll.
    async fn spend_device_code(&self, device_hash: &[u8]) -> StoreResult<bool>;

    /// RFC 9449: binds a public client's refresh-token family to a DPoP key.
    async fn bind_refresh_family(&self, family_id: &str, jkt: &str) -> StoreResult<()>;
    async fn refresh_family_key(&self, family_id: &str) -> StoreResult<Option<String>>;
    /// What a refresh-token family is for beyond its scope (RFC 9396
    /// details, RFC 8707 resources), once, as the family starts.
    async fn start_family_target(
        &self,
        family_id: &str,
        authorization_details: Option<&str>,
        resources: &str,
    ) -> StoreResult<()>;
}
