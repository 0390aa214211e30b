//! The admin API for the legacy sunset. Thin: parse, one call to
//! `legacy.rs`, render; errors become problem documents (`AppError`).

use super::State;
use super::admin::{Result, authorize, json_body, now};
use super::admin_apps::changed;
use crate::legacy::PolicyRequest;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes() -> Router<Arc<super::AppState>> {
    Router::new()
        .route("/legacy/policy", put(set_policy).get(get_policy))
        .route("/legacy/report", get(report))
        .route("/legacy/exemptions", post(exempt))
        .route(
            "/legacy/exemptions/{tenant}",
            axum::routing::delete(lift_exemption),
        )
        .route("/clients/{client_id}/legacy", put(mark).delete(unmark))
}

async fn set_policy(
    axum::extract::State(s): State,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let request: PolicyRequest = json_body(&headers, body).await?;
    let policy = s.admin.set_legacy_policy(request, now(&s)).await?;
    changed(&s).await;
    Ok(Json(policy).into_response())
}

async fn get_policy(axum::extract::State(s): State, headers: HeaderMap) -> Result<Response> {
    authorize(&s, &headers)?;
    Ok(Json(json!({ "policy": s.store.legacy_policy().await? })).into_response())
}

async fn report(axum::extract::State(s): State, headers: HeaderMap) -> Result<Response> {
    authorize(&s, &headers)?;
    Ok(Json(s.admin.legacy_report(&s.oauth.usage, now(&s)).await?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Mark {
    replaced_by: Option<String>,
}

async fn mark(
    axum::extract::State(s): State,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let m: Mark = json_body(&headers, body).await?;
    let mark = s
        .admin
        .mark_legacy(&client_id, m.replaced_by, now(&s))
        .await?;
    changed(&s).await;
    Ok(Json(mark).into_response())
}

async fn unmark(
    axum::extract::State(s): State,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    s.admin.unmark_legacy(&client_id, now(&s)).await?;
    changed(&s).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Exempt {
    tenant: String,
    until: Value,
    #[serde(default)]
    reason: String,
}

async fn exempt(
    axum::extract::State(s): State,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let e: Exempt = json_body(&headers, body).await?;
    let exemption = s
        .admin
        .exempt_tenant(&e.tenant, &e.until, e.reason, now(&s))
        .await?;
    changed(&s).await;
    Ok(Json(exemption).into_response())
}

async fn lift_exemption(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    s.admin.lift_exemption(&tenant, now(&s)).await?;
    changed(&s).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
