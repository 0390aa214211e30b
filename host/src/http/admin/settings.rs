//! The admin API for a tenant's own settings (what its admins set on the
//! console's settings page): branding and who may install apps.

use super::extract::Path;
use super::extract::{Problem, Result, json_body, now};
use crate::domain::settings::{Branding, TenantSettings, UserInstalls};
use crate::http::State;
use axum::Json;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<Arc<crate::http::AppState>> {
    OpenApiRouter::new().routes(routes!(get_settings, put_settings))
}

/// The whole document: a field left out is cleared (`user_installs`: admins).
#[derive(Deserialize, utoipa::ToSchema)]
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
    #[schema(value_type = super::schemas::UserInstalls)]
    user_installs: UserInstalls,
    /// An IANA time zone for the console's times; unset is UTC.
    #[serde(default)]
    #[schema(example = "Europe/Helsinki")]
    time_zone: Option<String>,
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/settings", tag = "settings",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    responses((status = 200, description = "The tenant's branding and install policy", body = super::schemas::TenantSettings))
)]
async fn get_settings(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
) -> Result<Response> {
    let settings = s
        .admin
        .tenant_settings(&tenant)
        .await
        .map_err(Problem::from)?;
    Ok(Json(settings).into_response())
}

#[utoipa::path(
    put, path = "/tenants/{tenant}/settings", tag = "settings",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body(content = SettingsDocument, description = "May be empty: clears every field"),
    responses((status = 200, description = "The settings as saved (blank fields unset)", body = super::schemas::TenantSettings))
)]
async fn put_settings(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let d: SettingsDocument = json_body(&headers, body).await?;
    let wanted = TenantSettings {
        branding: Branding {
            display_name: d.display_name,
            logo_url: d.logo_url,
            accent_color: d.accent_color,
            support_url: d.support_url,
        },
        user_installs: d.user_installs,
        time_zone: d.time_zone,
    };
    let saved = s
        .admin
        .set_tenant_settings(&tenant, wanted, &actor.name, now(&s))
        .await
        .map_err(Problem::from)?;
    Ok(Json(saved).into_response())
}
