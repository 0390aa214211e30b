//! OAuth clients and their secrets.

use super::AdminActor;
use super::extract::{Path, Problem, Result, created, json_body, now};
use super::extract::{empty_object, scope};
use super::paging::{PageQuery, PageRequest, Paged};
use crate::domain::NewClient;
use crate::http::State;

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn api() -> OpenApiRouter<Arc<crate::http::AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(delete_client))
        .routes(routes!(rotate_secret))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewClientBody {
    /// Not blank.
    #[schema(pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")]
    name: String,
    /// `client_credentials` unless told. A public client cannot use
    /// `client_credentials`; `authorization_code` needs `redirect_uris`.
    #[serde(default = "default_grant_types")]
    #[schema(value_type = Vec<GrantType>, min_items = 1)]
    grant_types: Vec<String>,
    /// Space-separated RFC 6749 scope tokens.
    #[serde(default)]
    #[schema(pattern = r"^[!#-\[\]-~ ]*$")]
    scopes: String,
    /// A subset of `scopes`.
    #[schema(pattern = r"^[!#-\[\]-~ ]*$")]
    default_scopes: Option<String>,
    /// RFC 8707 resource indicators: absolute URIs without a fragment.
    #[serde(default)]
    resources: Vec<String>,
    /// Seconds, at most 365 days.
    #[schema(minimum = 1, maximum = 31_536_000)]
    access_token_ttl: Option<i64>,
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    metadata: Value,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    public: bool,
    /// Public keys: the client authenticates with private_key_jwt.
    jwks: Option<Value>,
    /// RFC 9126 §6: authorization requests only through the pushed
    /// authorization request endpoint (an `authorization_code` client).
    #[serde(default)]
    require_pushed_authorization_requests: bool,
    /// RFC 9449 §5.2: every access token DPoP-bound; token requests without
    /// a DPoP proof are refused.
    #[serde(default)]
    dpop_bound_access_tokens: bool,
    /// RFC 9396 §10: the `authorization_details` types it may ask for;
    /// each must be taken by one of the tenant's resource servers.
    #[serde(default)]
    authorization_details_types: Vec<String>,
}

/// The grant types a client may be registered with (`token-exchange` and
/// `token_exchange` name RFC 8693's; `device_code` RFC 8628's).
#[derive(ToSchema)]
#[allow(dead_code)] // Describes `NewClientBody::grant_types`.
enum GrantType {
    #[schema(rename = "client_credentials")]
    ClientCredentials,
    #[schema(rename = "authorization_code")]
    AuthorizationCode,
    #[schema(rename = "refresh_token")]
    RefreshToken,
    #[schema(rename = "urn:ietf:params:oauth:grant-type:token-exchange")]
    TokenExchange,
    #[schema(rename = "token-exchange")]
    TokenExchangeShort,
    #[schema(rename = "token_exchange")]
    TokenExchangeUnderscore,
    #[schema(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
    #[schema(rename = "device_code")]
    DeviceCodeShort,
}

fn default_grant_types() -> Vec<String> {
    vec!["client_credentials".into()]
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/clients", tag = "clients",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body = NewClientBody,
    responses((status = 201, description = "The client; `client_secret` is shown only here", body = ClientCreated))
)]
async fn create_client(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<AdminActor>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: NewClientBody = json_body(&headers, body).await?;
    if !b.metadata.is_object() {
        return Err(Problem::bad_request("metadata must be a JSON object"));
    }
    let new = NewClient {
        tenant,
        name: b.name,
        grant_types: b.grant_types,
        scopes: scope(&b.scopes, "scopes")?,
        default_scopes: b
            .default_scopes
            .as_deref()
            .map(|d| scope(d, "default_scopes"))
            .transpose()?,
        resources: b.resources,
        access_token_ttl: b.access_token_ttl,
        metadata: b.metadata,
        redirect_uris: b.redirect_uris,
        post_logout_redirect_uris: b.post_logout_redirect_uris,
        public: b.public,
        jwks: b.jwks,
        require_pushed_authorization_requests: b.require_pushed_authorization_requests,
        dpop_bound_access_tokens: b.dpop_bound_access_tokens,
        authorization_details_types: b.authorization_details_types,
    };
    let (client, secret) = s.admin.create_client(new, &actor.name, now(&s)).await?;
    Ok(created(json!(ClientCreated {
        token_endpoint: format!("{}/token", s.oauth.directory.issuer(&client.tenant)),
        client_id: client.client_id,
        client_secret: secret.map(|s| s.0),
        tenant: client.tenant,
        redirect_uris: client.redirect_uris,
        public: client.public,
        require_pushed_authorization_requests: client.require_pushed_authorization_requests,
        dpop_bound_access_tokens: client.dpop_bound_access_tokens,
        authorization_details_types: client.authorization_details_types,
        name: client.name,
        grant_types: client.grant_types,
        scopes: client.scopes.to_string(),
    })))
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/clients", tag = "clients",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "The tenant's clients (never a secret), oldest first, a page at a time", body = Paged<ClientRow>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_clients(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    let clients = crate::admin::list_clients(&*s.store, &tenant, &p.page()?).await?;
    Ok(p.respond(
        clients,
        |c| (c.created_at, c.client_id.clone()),
        |c| ClientRow {
            scopes: c.scopes.to_string(),
            client_id: c.client_id,
            name: c.name,
            grant_types: c.grant_types,
            metadata: c.metadata,
        },
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RotateSecretBody {
    /// Seconds the previous secret keeps working; the server's
    /// `secret_rotation_overlap` unless told.
    #[schema(minimum = 0, maximum = 2_592_000)]
    pub(super) overlap: Option<i64>,
}

#[utoipa::path(
    post, path = "/clients/{client_id}/rotate-secret", tag = "clients",
    operation_id = "rotate_client_secret",
    params(("client_id" = String, Path, description = "The client's client_id")),
    request_body(content = RotateSecretBody, description = "May be empty"),
    responses((status = 200, description = "The new secret; the previous one works until `previous_secret_valid_until`", body = SecretRotated))
)]
async fn rotate_secret(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<AdminActor>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: RotateSecretBody = json_body(&headers, body).await?;
    let overlap = b.overlap.unwrap_or(s.secret_rotation_overlap);
    let (secret, until) = s
        .admin
        .rotate_client_secret(&client_id, overlap, &actor.name, now(&s))
        .await?;
    Ok(Json(SecretRotated {
        client_id,
        client_secret: secret.0,
        previous_secret_valid_until: until,
    })
    .into_response())
}

#[utoipa::path(
    delete, path = "/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path, description = "The client's client_id")),
    responses((status = 204, description = "Deleted; its tokens stop working"))
)]
async fn delete_client(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<AdminActor>,
    Path(client_id): Path<String>,
) -> Result<Response> {
    s.admin
        .delete_client(&client_id, &actor.name, now(&s))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, ToSchema)]
struct ClientCreated {
    client_id: String,
    /// Shown only here; absent (`null`) for public and `private_key_jwt` clients.
    client_secret: Option<String>,
    tenant: String,
    redirect_uris: Vec<String>,
    public: bool,
    require_pushed_authorization_requests: bool,
    dpop_bound_access_tokens: bool,
    authorization_details_types: Vec<String>,
    name: String,
    grant_types: Vec<String>,
    /// Space-separated, as in RFC 6749.
    scopes: String,
    token_endpoint: String,
}

#[derive(Serialize, ToSchema)]
struct ClientRow {
    client_id: String,
    name: String,
    grant_types: Vec<String>,
    scopes: String,
    metadata: Value,
}

#[derive(Serialize, ToSchema)]
struct SecretRotated {
    client_id: String,
    /// Shown only here.
    client_secret: String,
    previous_secret_valid_until: i64,
}
