//! Credential deliveries, their signing secret, and the audit trail.

use super::AdminActor;
use super::extract::{Path, Result, json_body, now};
use super::paging::{PageQuery, PageRequest, Paged};
use crate::http::State;
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn api() -> OpenApiRouter<Arc<crate::http::AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_deliveries))
        .routes(routes!(rotate_delivery_secret))
        .routes(routes!(retry_delivery))
        .routes(routes!(list_audit))
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
    axum::Extension(actor): axum::Extension<super::AdminActor>,
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
            &actor.name,
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
    get, path = "/tenants/{tenant}/deliveries", tag = "deliveries",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "The newest deliveries first (never a request body), a page at a time", body = Paged<super::schemas::Delivery>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
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
    responses((status = 200, description = "The newest audit events first, a page at a time", body = Paged<super::schemas::AuditEvent>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_audit(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    let rows = s.store.audit_events(&tenant, &p.page()?).await?;
    Ok(p.respond(rows, |r| r.id, |r| r.event))
}

#[derive(Serialize, ToSchema)]
struct DeliverySecretRotated {
    tenant: String,
    /// Shown only here: verify `Warden-Signature` with it.
    signing_secret: String,
    previous_secret_signs_until: i64,
}
