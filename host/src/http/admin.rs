//! The admin API (`/admin/v1/…`): what the CLI does, over HTTP, for
//! operators' automation. Authenticated by the operator credential
//! (`admin_token`, sent as `Authorization: Bearer …`); off when none is set.
//! Errors are RFC 9457 problem documents.

use super::State;
use crate::admin::{AdminError, BindRequest};
use crate::domain::admin_scope::{self, AdminScope};
use crate::domain::{NewClient, Scope, SigningAlg};
use crate::store::StoreError;
use super::paging::{PageQuery, PageRequest, Paged};
use axum::body::Body;
use axum::extract::{
    FromRequestParts,
    rejection::{PathRejection, QueryRejection},
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the admin API is mounted.
pub const BASE: &str = "/admin/v1";
const MAX_JSON: usize = 64 * 1024;
/// Plugins are uploaded as raw component bytes.
const MAX_WASM: usize = 32 << 20;
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The operator credential, kept only as its SHA-256.
#[derive(Clone)]
pub struct AdminToken([u8; 32]);

impl AdminToken {
    pub fn new(token: &str) -> anyhow::Result<Self> {
        if token.trim().len() < 32 {
            anyhow::bail!(
                "admin_token / WARDEN_ADMIN_TOKEN must be at least 32 characters (e.g. from `openssl rand -base64 32`)"
            );
        }
        Ok(AdminToken(crate::tokens::secret::hash(token.trim())))
    }

    fn verify(&self, presented: &str) -> bool {
        crate::tokens::secret::hash(presented).ct_eq(&self.0).into()
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// The admin routes with their contract; `routes()` is what the server mounts.
pub fn api() -> OpenApiRouter<Arc<super::AppState>> {
    OpenApiRouter::new()
        .routes(routes!(super::openapi::openapi))
        .routes(routes!(list_tenants, create_tenant))
        .routes(routes!(list_clients, create_client))
        .routes(routes!(rotate_key))
        .routes(routes!(list_bindings))
        .routes(routes!(bind, unbind))
        // Platform-wide defaults, for every tenant without its own binding.
        .routes(routes!(list_platform_bindings))
        .routes(routes!(bind_platform, unbind_platform))
        .routes(routes!(list_deliveries))
        .routes(routes!(rotate_delivery_secret))
        .routes(routes!(list_audit))
        .routes(routes!(list_users, create_user))
        .routes(routes!(delete_user))
        .routes(routes!(delete_client))
        .routes(routes!(rotate_secret))
        .routes(routes!(retry_delivery))
        .routes(routes!(list_plugins, add_plugin))
        .merge(super::admin_apps::api())
        .merge(super::admin_legacy::api())
        .merge(super::admin_settings::api())
}

pub fn routes(state: Arc<super::AppState>) -> Router<Arc<super::AppState>> {
    let (router, _contract) = api().split_for_parts();
    router
        .route_layer(axum::middleware::from_fn_with_state(state, authenticate))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "no such admin endpoint") })
        // Answers may carry a client or signing secret: no cache keeps them.
        .layer(axum::middleware::map_response(no_store))
}

async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// An RFC 9457 problem document; `field` names the bad input, if one is.
pub struct Problem {
    status: StatusCode,
    detail: String,
    field: Option<String>,
}

impl Problem {
    pub(super) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            status,
            detail: detail.into(),
            field: None,
        }
    }

    /// 422: the body parsed but a field's value cannot be accepted.
    pub(super) fn unprocessable(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Problem {
            field: Some(field.into()),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
        }
    }
    pub(super) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        let mut r = (self.status, body.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"warden-admin\""),
            );
        }
        r
    }
}

impl From<AdminError> for Problem {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid(m) => Problem::bad_request(m),
            AdminError::Conflict(m) => Problem::new(StatusCode::CONFLICT, m),
            AdminError::Unprocessable(m) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            AdminError::Plugin { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            AdminError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, e.to_string()),
            StoreError::Conflict(_) | StoreError::Concurrent(_) | StoreError::Managed(_) => {
                Problem::new(StatusCode::CONFLICT, e.to_string())
            }
            StoreError::Corrupt(_)
            | StoreError::Backend(_)
            | StoreError::Shared(_)
            | StoreError::Stopped
            | StoreError::TimedOut => {
                tracing::error!(error = %e, "admin API storage failure");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database could not complete the request; try again",
                )
            }
        }
    }
}

pub(super) type Result<T> = std::result::Result<T, Problem>;

/// Who is calling the admin API: the configured `admin_token` (every scope,
/// audited as `operator`) or a named token (audited as `operator:{name}`).
#[derive(Clone, Debug)]
pub struct AdminActor {
    pub name: String,
    scopes: Vec<AdminScope>,
}

/// The route layer every admin route runs behind: the bearer token is
/// checked, and the scope the route needs (one rule: `admin_scope::required`).
async fn authenticate(
    axum::extract::State(s): State,
    matched: Option<axum::extract::MatchedPath>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = matched
        .as_ref()
        .map(|m| m.as_str().trim_start_matches("/admin/v1").to_string())
        .unwrap_or_default();
    // The contract is public: clients are generated from it.
    if path == "/openapi.json" {
        return next.run(req).await;
    }
    let actor = match actor(&s, req.headers()).await {
        Ok(actor) => actor,
        Err(problem) => return problem.into_response(),
    };
    let needed = admin_scope::required(req.method().as_str(), &path);
    if !actor.scopes.contains(&needed) {
        return Problem::new(
            StatusCode::FORBIDDEN,
            format!(
                "the admin token {:?} lacks the scope {:?} ({})",
                actor.name,
                needed.as_str(),
                needed.describe()
            ),
        )
        .into_response();
    }
    req.extensions_mut().insert(actor);
    next.run(req).await
}

async fn actor(s: &super::AppState, headers: &HeaderMap) -> Result<AdminActor> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    if let (Some(t), Some(token)) = (presented, &s.admin_token)
        && token.verify(t)
    {
        return Ok(AdminActor {
            name: "operator".into(),
            scopes: AdminScope::ALL.to_vec(),
        });
    }
    if let Some(t) = presented
        && let Some(record) = s
            .store
            .admin_token_by_hash(&crate::tokens::secret::hash(t), now(s))
            .await?
    {
        return Ok(AdminActor {
            name: format!("operator:{}", record.name),
            scopes: AdminScope::split(&record.scopes),
        });
    }
    if s.admin_token.is_none() && !s.store.any_admin_token().await? {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "the admin API is disabled: set admin_token (WARDEN_ADMIN_TOKEN) or create a token with `warden admin-token create` to enable it",
        ));
    }
    Err(match presented {
        Some(_) => Problem::new(StatusCode::UNAUTHORIZED, "the admin token is not valid"),
        None => Problem::new(
            StatusCode::UNAUTHORIZED,
            "send the operator credential as Authorization: Bearer <admin token>",
        ),
    })
}

async fn body_bytes(body: Body, limit: usize) -> Result<axum::body::Bytes> {
    let limited = http_body_util::Limited::new(body, limit);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Ok(Ok(c)) => Ok(c.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body exceeds {limit} bytes"),
        )),
        Ok(Err(_)) => Err(Problem::bad_request("could not read the request body")),
        Err(_) => Err(Problem::bad_request(
            "request body was not received in time",
        )),
    }
}

/// axum's `Path`, refusing a bad path segment (not UTF-8, not a number
/// where one is wanted) with a problem document rather than plain text.
pub(super) struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    axum::extract::Path<T>: FromRequestParts<S, Rejection = PathRejection>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        no_nul(parts.uri.path())?;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => Err(Problem::bad_request(e.body_text())),
        }
    }
}

/// axum's `Query`, refusing a bad query string (a repeated or out-of-range
/// parameter) with a problem document rather than plain text.
pub(super) struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    axum::extract::Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        no_nul(parts.uri.query().unwrap_or(""))?;
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(e) => Err(Problem::bad_request(e.body_text())),
        }
    }
}

/// No text the API takes may hold U+0000: PostgreSQL cannot store it, and
/// no slug, name or id means it.
fn no_nul(percent_encoded: &str) -> Result<()> {
    if percent_encoded.contains("%00") {
        return Err(Problem::bad_request("the URL holds a NUL character (%00)"));
    }
    Ok(())
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// A JSON body of type `T`; an empty body reads as `{}`. An array is
/// refused: serde would read one as a struct's fields in order.
pub(super) async fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> Result<T> {
    let bytes = json_bytes(headers, body).await?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(Problem::bad_request(
            "the body must be a JSON object, not an array",
        ));
    }
    parse_json(&bytes)
}

/// A JSON body that is a list of `T`.
pub(super) async fn json_list<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<T>> {
    parse_json(&json_bytes(headers, body).await?)
}

/// JSON Schema counts `5.0` and `5e0` as the integer 5 and the contract
/// says so; serde's `i64` does not. Whole numbers written that way are
/// rewritten as integers before the body is read.
fn whole_numbers(bytes: Vec<u8>) -> Vec<u8> {
    fn rewrite(v: &mut Value) -> bool {
        match v {
            Value::Number(n) if n.is_f64() => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                    *v = Value::from(f as i64);
                    true
                }
                _ => false,
            },
            Value::Array(items) => items.iter_mut().fold(false, |any, x| rewrite(x) | any),
            Value::Object(map) => map.values_mut().fold(false, |any, x| rewrite(x) | any),
            _ => false,
        }
    }
    if !bytes.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return bytes;
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut v) => {
            if rewrite(&mut v) {
                serde_json::to_vec(&v).unwrap_or(bytes)
            } else {
                bytes
            }
        }
        Err(_) => bytes,
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::bad_request(format!("invalid JSON body: {e}")))
}

/// The bytes of a JSON body (at most 64 KiB; an empty body reads as `{}`).
pub(super) async fn json_bytes(headers: &HeaderMap, body: Body) -> Result<Vec<u8>> {
    let bytes = body_bytes(body, MAX_JSON).await?;
    let bytes: Vec<u8> = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".to_vec()
    } else {
        bytes.to_vec()
    };
    // Only an escape can put a NUL in a JSON string; look closer only then.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
        && serde_json::from_slice::<Value>(&bytes).is_ok_and(|v| holds_nul(&v))
    {
        return Err(Problem::bad_request(
            "the body holds a NUL character (\\u0000)",
        ));
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
    if !is_json {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as application/json",
        ));
    }
    Ok(whole_numbers(bytes))
}

pub(super) fn now(s: &super::AppState) -> i64 {
    s.oauth.clock.now()
}

pub(super) fn created(value: Value) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

fn scope(text: &str, what: &str) -> Result<Scope> {
    Scope::parse(text).map_err(|e| Problem::bad_request(format!("{what}: {e}")))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTenantBody {
    /// 1-63 lowercase letters, digits and inner hyphens: it is part of URLs.
    #[schema(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    slug: String,
    /// ES256 unless told.
    #[serde(default)]
    #[schema(value_type = Option<SigningAlg>)]
    signing_alg: Option<String>,
    /// Seconds, at most 365 days.
    #[schema(minimum = 1, maximum = 31_536_000)]
    access_token_ttl: Option<i64>,
    /// Seconds, at most 365 days: no client or app may ask for longer.
    #[schema(minimum = 1, maximum = 31_536_000)]
    max_access_token_ttl: Option<i64>,
}

#[utoipa::path(
    post, path = "/tenants", tag = "tenants",
    request_body = NewTenantBody,
    responses((status = 201, description = "The tenant, its issuer and first signing key", body = TenantCreated))
)]
async fn create_tenant(
    axum::extract::State(s): State,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: NewTenantBody = json_body(&headers, body).await?;
    let alg = SigningAlg::parse(b.signing_alg.as_deref().unwrap_or("ES256"))
        .map_err(Problem::bad_request)?;
    let (tenant, kid) = s
        .admin
        .create_tenant(
            &b.slug,
            alg,
            b.access_token_ttl,
            b.max_access_token_ttl,
            now(&s),
        )
        .await?;
    let issuer = s.oauth.directory.issuer(&tenant.slug);
    Ok(created(json!(TenantCreated {
        slug: tenant.slug,
        issuer,
        signing_alg: alg,
        kid,
    })))
}

#[utoipa::path(
    get, path = "/tenants", tag = "tenants",
    params(PageQuery),
    responses((status = 200, description = "The tenants by slug, a page at a time", body = Paged<TenantRow>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_tenants(axum::extract::State(s): State, p: PageRequest) -> Result<Response> {
    let tenants = s.store.tenants(&p.page()?).await?;
    Ok(p.respond(
        tenants,
        |t| t.slug.clone(),
        |t| TenantRow {
            issuer: s.oauth.directory.issuer(&t.slug),
            slug: t.slug,
            signing_alg: t.signing_alg,
        },
    ))
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
}

/// The grant types a client may be registered with (`token-exchange` and
/// `token_exchange` name RFC 8693's).
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
}

fn default_grant_types() -> Vec<String> {
    vec!["client_credentials".into()]
}

fn empty_object() -> Value {
    json!({})
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/clients", tag = "clients",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body = NewClientBody,
    responses((status = 201, description = "The client; `client_secret` is shown only here", body = ClientCreated))
)]
async fn create_client(
    axum::extract::State(s): State,
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
    };
    let (client, secret) = s.admin.create_client(new, now(&s)).await?;
    Ok(created(json!(ClientCreated {
        token_endpoint: format!("{}/token", s.oauth.directory.issuer(&client.tenant)),
        client_id: client.client_id,
        client_secret: secret.map(|s| s.0),
        tenant: client.tenant,
        redirect_uris: client.redirect_uris,
        public: client.public,
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
    if s.store.tenant(&tenant).await?.is_none() {
        return Err(StoreError::NotFound("tenant").into());
    }
    let clients = s.store.clients(&tenant, &p.page()?).await?;
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
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: RotateSecretBody = json_body(&headers, body).await?;
    let overlap = b.overlap.unwrap_or(s.secret_rotation_overlap);
    let (secret, until) = s
        .admin
        .rotate_client_secret(&client_id, overlap, now(&s))
        .await?;
    Ok(Json(SecretRotated {
        client_id,
        client_secret: secret.0,
        previous_secret_valid_until: until,
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RotateDeliverySecretBody {
    /// Seconds the previous secret keeps signing beside the new one; a day
    /// unless told.
    #[schema(minimum = 0, maximum = 604_800)]
    overlap: Option<i64>,
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/delivery-signing-secret/rotate", tag = "deliveries",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body(content = RotateDeliverySecretBody, description = "May be empty"),
    responses((status = 200, description = "The new signing secret; deliveries carry both signatures until `previous_secret_signs_until`", body = DeliverySecretRotated))
)]
async fn rotate_delivery_secret(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: RotateDeliverySecretBody = json_body(&headers, body).await?;
    let (secret, until) = s
        .admin
        .rotate_delivery_secret(
            &tenant,
            b.overlap
                .unwrap_or(crate::admin::DEFAULT_SIGNING_SECRET_OVERLAP),
            now(&s),
        )
        .await?;
    Ok(Json(DeliverySecretRotated {
        tenant,
        signing_secret: secret.0,
        previous_secret_signs_until: until,
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
    Path(client_id): Path<String>,
) -> Result<Response> {
    s.admin.delete_client(&client_id, now(&s)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RotateKeyBody {
    #[schema(value_type = Option<SigningAlg>)]
    signing_alg: Option<String>,
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/keys/rotate", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body(content = RotateKeyBody, description = "May be empty: keeps the algorithm"),
    responses((status = 200, description = "The new signing key; the previous one stays in the JWKS until `previous_key_published_until`", body = KeyRotated))
)]
async fn rotate_key(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: RotateKeyBody = json_body(&headers, body).await?;
    let alg = b
        .signing_alg
        .as_deref()
        .map(SigningAlg::parse)
        .transpose()
        .map_err(Problem::bad_request)?;
    let (kid, alg, until) = s.admin.rotate_signing_key(&tenant, alg, now(&s)).await?;
    Ok(Json(KeyRotated {
        tenant,
        kid,
        alg,
        previous_key_published_until: until,
    })
    .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AddPluginQuery {
    /// The plugin's name; adding under an existing name makes its next version.
    #[param(required = true, pattern = r"^[a-z0-9_-]{1,64}$")]
    name: Option<String>,
}

#[utoipa::path(
    post, path = "/plugins", tag = "plugins",
    params(AddPluginQuery),
    request_body(description = "The WebAssembly component (at most 32 MiB)", content((WasmComponent = "application/wasm"), (WasmComponent = "application/octet-stream"))),
    responses((status = 201, description = "Validated, compiled and stored as the name's next version; 422 when it is not a component Warden can run", body = crate::admin::AddedPlugin))
)]
async fn add_plugin(
    axum::extract::State(s): State,
    Query(q): Query<AddPluginQuery>,
    body: Body,
) -> Result<Response> {
    let name = q.name.ok_or_else(|| {
        Problem::bad_request(
            "name the plugin: POST /admin/v1/plugins?name=NAME with the .wasm as the body",
        )
    })?;
    let wasm = body_bytes(body, MAX_WASM).await?;
    let record = s
        .admin
        .add_plugin(&s.oauth.plugins, &name, &wasm, now(&s))
        .await?;
    Ok(created(json!(record)))
}

#[utoipa::path(
    get, path = "/plugins", tag = "plugins",
    params(PageQuery),
    responses((status = 200, description = "The plugin versions by name, then version, a page at a time", body = Paged<crate::store::PluginRecord>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_plugins(axum::extract::State(s): State, p: PageRequest) -> Result<Response> {
    let plugins = s.store.plugins(&p.page()?).await?;
    Ok(p.respond(plugins, |r| (r.name.clone(), r.version), |r| r))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BindBody {
    /// `name` (its newest version) or `name@version`.
    #[schema(pattern = r"^[^@]*(@[+-]?[0-9]{1,18})?$")]
    plugin: String,
    /// The plugin's configuration, any JSON.
    #[serde(default = "empty_object")]
    config: Value,
    #[schema(minimum = 1)]
    deadline_ms: Option<i64>,
    /// Not below the memory the component starts with.
    #[schema(minimum = 1)]
    memory_mib: Option<i64>,
}

#[utoipa::path(
    put, path = "/bindings/{hook}", tag = "plugins",
    params(("hook" = crate::plugins::Hook, Path, description = "The hook")),
    request_body = BindBody,
    responses((status = 200, description = "The platform-wide default binding for the hook", body = BindingView))
)]
async fn bind_platform(
    state: State,
    actor: axum::Extension<AdminActor>,
    Path(hook): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    bind(
        state,
        actor,
        Path((crate::store::PLATFORM.into(), hook)),
        headers,
        body,
    )
    .await
}

#[utoipa::path(
    delete, path = "/bindings/{hook}", tag = "plugins",
    params(("hook" = crate::plugins::Hook, Path, description = "The hook")),
    responses((status = 204, description = "The hook has no platform default any more"))
)]
async fn unbind_platform(
    state: State,
    actor: axum::Extension<AdminActor>,
    Path(hook): Path<String>,
) -> Result<Response> {
    unbind(state, actor, Path((crate::store::PLATFORM.into(), hook))).await
}

#[utoipa::path(
    get, path = "/bindings", tag = "plugins",
    params(PageQuery),
    responses((status = 200, description = "The platform-wide default bindings by hook, a page at a time", body = Paged<BindingRow>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_platform_bindings(state: State, p: PageRequest) -> Result<Response> {
    list_bindings(state, Path(crate::store::PLATFORM.into()), p).await
}

#[utoipa::path(
    put, path = "/tenants/{tenant}/bindings/{hook}", tag = "plugins",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("hook" = crate::plugins::Hook, Path, description = "The hook")),
    request_body = BindBody,
    responses((status = 200, description = "The binding; `signing_secret` when a credential-delivery binding created the tenant's", body = BindingView))
)]
async fn bind(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<AdminActor>,
    Path((tenant, hook)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: BindBody = json_body(&headers, body).await?;
    let config = b.config.to_string();
    let request = BindRequest {
        tenant: &tenant,
        hook: &hook,
        plugin: &b.plugin,
        config: &config,
        deadline_ms: b.deadline_ms,
        memory_mib: b.memory_mib,
        actor: &actor.name,
    };
    let (binding, signing_secret) = s.admin.bind_plugin(request, now(&s)).await?;
    Ok(Json(BindingView {
        binding,
        signing_secret: signing_secret.map(|s| s.0),
    })
    .into_response())
}

#[utoipa::path(
    delete, path = "/tenants/{tenant}/bindings/{hook}", tag = "plugins",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("hook" = crate::plugins::Hook, Path, description = "The hook")),
    responses((status = 204, description = "Unbound: the platform default, if any, applies again"))
)]
async fn unbind(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<AdminActor>,
    Path((tenant, hook)): Path<(String, String)>,
) -> Result<Response> {
    s.admin
        .unbind_plugin(&tenant, &hook, &actor.name, now(&s))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/bindings", tag = "plugins",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "The tenant's bindings by hook, a page at a time", body = Paged<BindingRow>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_bindings(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    let rows = s.store.bindings(&tenant).await?;
    Ok(p.respond_all(
        rows,
        |r| r.binding.hook.clone(),
        |r| BindingRow {
            binding: r.binding,
            sha256: r.sha256,
        },
    )?)
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/deliveries", tag = "deliveries",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "The newest deliveries first (never a request body), a page at a time", body = Paged<crate::store::Delivery>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_deliveries(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    let rows = s.store.deliveries(&tenant, &p.page()?).await?;
    Ok(p.respond(rows, |d| (d.created_at, d.id.clone()), |d| d))
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/deliveries/{id}/retry", tag = "deliveries",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The delivery's id")),
    responses((status = 204, description = "Queued to be sent again now; audited as `delivery.retried`"))
)]
async fn retry_delivery(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response> {
    s.admin
        .retry_delivery(&tenant, &id, &actor.name, s.oauth.clock.now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/audit", tag = "deliveries",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "The newest audit events first, a page at a time", body = Paged<crate::store::AuditEvent>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_audit(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    let rows = s.store.audit_events(&tenant, &p.page()?).await?;
    Ok(p.respond(rows, |r| r.id, |r| r.event))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    #[schema(pattern = r"^[A-Za-z0-9._@+-]{1,64}$")]
    username: String,
    #[schema(min_length = 10, max_length = 256)]
    password: String,
    email: Option<String>,
    name: Option<String>,
    #[serde(default)]
    admin: bool,
}

/// A user as the admin API shows it (never a password hash).
#[derive(Serialize, ToSchema)]
struct UserView {
    id: String,
    tenant: String,
    username: String,
    email: Option<String>,
    name: Option<String>,
    admin: bool,
    /// An installed app's account: it cannot sign in or be deleted by hand.
    service_account: bool,
    /// The installation a service account belongs to.
    installation: Option<String>,
}

fn user_json(u: &crate::domain::user::User) -> UserView {
    UserView {
        id: u.id.clone(),
        tenant: u.tenant.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        name: u.display_name.clone(),
        admin: u.is_admin,
        service_account: u.is_service_account(),
        installation: u.installation.clone(),
    }
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/users", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body = NewUserBody,
    responses((status = 201, description = "The user", body = UserView))
)]
async fn create_user(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: NewUserBody = json_body(&headers, body).await?;
    let new = crate::admin::NewUser {
        tenant,
        username: b.username,
        password: b.password,
        email: b.email,
        display_name: b.name,
        is_admin: b.admin,
    };
    let user = s.admin.create_user(new, now(&s)).await?;
    Ok(created(json!(user_json(&user))))
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/users", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "The tenant's users, service accounts included, by username, a page at a time", body = Paged<UserView>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_users(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    if s.store.tenant(&tenant).await?.is_none() {
        return Err(StoreError::NotFound("tenant").into());
    }
    let users = s.store.users(&tenant, &p.page()?).await?;
    Ok(p.respond(users, |u| u.username.clone(), |u| user_json(&u)))
}

#[utoipa::path(
    delete, path = "/tenants/{tenant}/users/{username}", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("username" = String, Path, description = "The user's username")),
    responses((status = 204, description = "Deleted, with its sessions, consents and tokens"))
)]
async fn delete_user(
    axum::extract::State(s): State,
    Path((tenant, username)): Path<(String, String)>,
) -> Result<Response> {
    s.store.delete_user(&tenant, &username, now(&s)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// What the admin API answers with: each body is a type here, so the
// OpenAPI contract describes exactly what is sent.

/// A WebAssembly component's bytes.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the raw body `add_plugin` reads.
#[schema(value_type = String, format = Binary)]
struct WasmComponent(Vec<u8>);

#[derive(Serialize, ToSchema)]
struct TenantCreated {
    slug: String,
    /// `{public_url}/t/{slug}`: the `iss` of its tokens.
    issuer: String,
    signing_alg: SigningAlg,
    /// The first signing key's `kid`.
    kid: String,
}

#[derive(Serialize, ToSchema)]
struct TenantRow {
    slug: String,
    issuer: String,
    signing_alg: SigningAlg,
}

#[derive(Serialize, ToSchema)]
struct ClientCreated {
    client_id: String,
    /// Shown only here; absent (`null`) for public and `private_key_jwt` clients.
    client_secret: Option<String>,
    tenant: String,
    redirect_uris: Vec<String>,
    public: bool,
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

#[derive(Serialize, ToSchema)]
struct DeliverySecretRotated {
    tenant: String,
    /// Shown only here: verify `Warden-Signature` with it.
    signing_secret: String,
    previous_secret_signs_until: i64,
}

#[derive(Serialize, ToSchema)]
struct KeyRotated {
    tenant: String,
    kid: String,
    alg: SigningAlg,
    previous_key_published_until: i64,
}

#[derive(Serialize, ToSchema)]
struct BindingView {
    #[serde(flatten)]
    binding: crate::store::Binding,
    /// Set once, when this credential-delivery binding created the tenant's
    /// delivery signing secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    signing_secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct BindingRow {
    #[serde(flatten)]
    binding: crate::store::Binding,
    /// The bound component's content hash.
    sha256: String,
}
