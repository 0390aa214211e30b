//! The admin API for a tenant's own settings (what its admins set on the
//! console's settings page): branding and who may install apps.

use super::State;
use super::admin::{Problem, Result, authorize, json_body, now};
use crate::domain::settings::{Branding, TenantSettings, UserInstalls};
use axum::body::Body;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;

pub fn routes() -> Router<Arc<super::AppState>> {
    Router::new().route(
        "/tenants/{tenant}/settings",
        get(get_settings).put(put_settings),
    )
}

/// The whole document: a field left out is cleared (`user_installs`: admins).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsDocument {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    logo_url: Option<String>,
    #[serde(default)]
    accent_color: Option<String>,
    #[serde(default)]
    support_url: Option<String>,
    #[serde(default)]
    user_installs: UserInstalls,
}

async fn get_settings(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let settings = s
        .admin
        .tenant_settings(&tenant)
        .await
        .map_err(Problem::from)?;
    Ok(Json(settings).into_response())
}

async fn put_settings(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let d: SettingsDocument = json_body(&headers, body).await?;
    let wanted = TenantSettings {
        branding: Branding {
            display_name: d.display_name,
            logo_url: d.logo_url,
            accent_color: d.accent_color,
            support_url: d.support_url,
        },
        user_installs: d.user_installs,
    };
    let saved = s
        .admin
        .set_tenant_settings(&tenant, wanted, "operator", now(&s))
        .await
        .map_err(Problem::from)?;
    Ok(Json(saved).into_response())
}
