//! The admin API for the legacy sunset. Thin: parse, one call to
//! `legacy.rs`, render; errors become problem documents (`AppError`).

use super::extract::Path;
use super::extract::{Result, json_body, now};
use crate::http::State;
use crate::legacy::PolicyRequest;
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<Arc<crate::http::AppState>> {
    OpenApiRouter::new()
        .routes(routes!(set_policy, get_policy))
        .routes(routes!(report))
        .routes(routes!(exempt))
        .routes(routes!(lift_exemption))
        .routes(routes!(mark, unmark))
}

#[utoipa::path(
    put, path = "/legacy/policy", tag = "legacy",
    request_body = super::schemas::PolicyRequest,
    responses((status = 200, description = "The platform-wide sunset now in force", body = super::schemas::LegacyPolicy))
)]
async fn set_policy(
    axum::extract::State(s): State,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let request: PolicyRequest = json_body(&headers, body).await?;
    let policy = s.admin.set_legacy_policy(request, now(&s)).await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(policy).into_response())
}

#[utoipa::path(
    get, path = "/legacy/policy", tag = "legacy",
    responses((status = 200, description = "The sunset, `null` when none is set", body = PolicyView))
)]
async fn get_policy(axum::extract::State(s): State) -> Result<Response> {
    Ok(Json(PolicyView {
        policy: s.store.legacy_policy().await?,
    })
    .into_response())
}

#[utoipa::path(
    get, path = "/legacy/report", tag = "legacy",
    responses((status = 200, description = "Who still uses legacy clients, by tenant", body = super::schemas::LegacyReport))
)]
async fn report(axum::extract::State(s): State) -> Result<Response> {
    Ok(Json(s.admin.legacy_report(&s.oauth.usage, now(&s)).await?).into_response())
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct Mark {
    /// The slug of the app that replaces it.
    #[schema(pattern = r"^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$")]
    replaced_by: Option<String>,
}

#[utoipa::path(
    put, path = "/clients/{client_id}/legacy", tag = "legacy",
    params(("client_id" = String, Path, description = "The client's client_id")),
    request_body(content = Mark, description = "May be empty"),
    responses((status = 200, description = "The client is legacy: the sunset applies to it", body = super::schemas::LegacyClient))
)]
async fn mark(
    axum::extract::State(s): State,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let m: Mark = json_body(&headers, body).await?;
    let mark = s
        .admin
        .mark_legacy(&client_id, m.replaced_by, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(mark).into_response())
}

#[utoipa::path(
    delete, path = "/clients/{client_id}/legacy", tag = "legacy",
    params(("client_id" = String, Path, description = "The client's client_id")),
    responses((status = 204, description = "The sunset no longer applies to the client"))
)]
async fn unmark(axum::extract::State(s): State, Path(client_id): Path<String>) -> Result<Response> {
    s.admin.unmark_legacy(&client_id, now(&s)).await?;
    crate::http::directory_changed(&s).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Exempt {
    /// The tenant's slug.
    #[schema(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    tenant: String,
    #[schema(value_type = super::schemas::Instant)]
    until: Value,
    #[serde(default)]
    reason: String,
}

#[utoipa::path(
    post, path = "/legacy/exemptions", tag = "legacy",
    request_body = Exempt,
    responses((status = 200, description = "The tenant keeps its legacy clients until `until`", body = super::schemas::Exemption))
)]
async fn exempt(
    axum::extract::State(s): State,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let e: Exempt = json_body(&headers, body).await?;
    let exemption = s
        .admin
        .exempt_tenant(&e.tenant, &e.until, e.reason, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(exemption).into_response())
}

#[utoipa::path(
    delete, path = "/legacy/exemptions/{tenant}", tag = "legacy",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    responses((status = 204, description = "The sunset applies to the tenant again"))
)]
async fn lift_exemption(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
) -> Result<Response> {
    s.admin.lift_exemption(&tenant, now(&s)).await?;
    crate::http::directory_changed(&s).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, ToSchema)]
struct PolicyView {
    #[schema(value_type = Option<super::schemas::LegacyPolicy>)]
    policy: Option<crate::store::LegacyPolicy>,
}
