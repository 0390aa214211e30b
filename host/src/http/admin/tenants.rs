//! Tenants and their signing keys.

use super::AdminActor;
use super::extract::{Path, Problem, Result, created, json_body, now};
use super::paging::{PageQuery, PageRequest, Paged};
use crate::domain::SigningAlg;
use crate::http::State;
use axum::Json;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn api() -> OpenApiRouter<Arc<crate::http::AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_tenants, create_tenant))
        .routes(routes!(rotate_key))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTenantBody {
    /// 1-63 lowercase letters, digits and inner hyphens: it is part of URLs.
    #[schema(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    slug: String,
    /// ES256 unless told.
    #[serde(default)]
    #[schema(value_type = Option<super::schemas::SigningAlg>)]
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
    axum::Extension(actor): axum::Extension<AdminActor>,
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
            &actor.name,
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
struct RotateKeyBody {
    #[schema(value_type = Option<super::schemas::SigningAlg>)]
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
    axum::Extension(actor): axum::Extension<AdminActor>,
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
    let (kid, alg, until) = s
        .admin
        .rotate_signing_key(&tenant, alg, &actor.name, now(&s))
        .await?;
    Ok(Json(KeyRotated {
        tenant,
        kid,
        alg,
        previous_key_published_until: until,
    })
    .into_response())
}

#[derive(Serialize, ToSchema)]
struct TenantCreated {
    slug: String,
    /// `{public_url}/t/{slug}`: the `iss` of its tokens.
    issuer: String,
    #[schema(value_type = super::schemas::SigningAlg)]
    signing_alg: SigningAlg,
    /// The first signing key's `kid`.
    kid: String,
}

#[derive(Serialize, ToSchema)]
struct TenantRow {
    slug: String,
    issuer: String,
    #[schema(value_type = super::schemas::SigningAlg)]
    signing_alg: SigningAlg,
}

#[derive(Serialize, ToSchema)]
struct KeyRotated {
    tenant: String,
    kid: String,
    #[schema(value_type = super::schemas::SigningAlg)]
    alg: SigningAlg,
    previous_key_published_until: i64,
}
