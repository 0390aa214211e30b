//! The admin API for apps, tenants' resources and installations. Thin: parse,
//! one call to `apps.rs`, render; errors become problem documents here.

use super::State;
use super::admin::{Problem, Result, authorize, created, json_body, json_bytes, now};
use crate::apps::{AppError, InstallRequest, app_json, installation_json};
use crate::domain::app::Suspender;
use crate::store::Resource;
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
        .route("/apps", get(list_apps).post(register_app))
        .route("/apps/{slug}", get(get_app))
        .route("/apps/{slug}/versions", post(publish_version))
        .route(
            "/apps/{slug}/webhook-secret/rotate",
            post(rotate_webhook_secret),
        )
        .route(
            "/tenants/{tenant}/resources",
            put(put_resources).get(list_resources),
        )
        .route(
            "/tenants/{tenant}/resources/{kind}/{id}",
            axum::routing::delete(delete_resource),
        )
        .route(
            "/tenants/{tenant}/installations",
            get(list_installations).post(install),
        )
        .route("/tenants/{tenant}/catalog", get(catalog))
        .route("/tenants/{tenant}/installations/{id}/usage", get(usage))
        .route("/tenants/{tenant}/installations/{id}/quota", put(set_quota))
        .route(
            "/tenants/{tenant}/installations/{id}",
            get(get_installation).delete(uninstall),
        )
        .route(
            "/tenants/{tenant}/installations/{id}/resources",
            put(set_resources),
        )
        .route(
            "/tenants/{tenant}/installations/{id}/suspend",
            post(suspend),
        )
        .route("/tenants/{tenant}/installations/{id}/resume", post(resume))
        .route(
            "/tenants/{tenant}/installations/{id}/upgrade/approve",
            post(approve_upgrade),
        )
        .route(
            "/tenants/{tenant}/installations/{id}/upgrade/decline",
            post(decline_upgrade),
        )
        .route(
            "/tenants/{tenant}/installations/{id}/rotate-secret",
            post(rotate_secret),
        )
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Manifest(m) => Problem::unprocessable(m.field.clone(), m.to_string()),
            AppError::Admin(e) => e.into(),
            AppError::Refused(_) => Problem::new(StatusCode::FORBIDDEN, e.to_string()),
            AppError::Field { field, message } => Problem::unprocessable(field, message),
        }
    }
}

/// An installation changed: this replica's directory drops its view now
/// (others notice the generation within `cache_refresh_ms`), so the next
/// token and introspection here already see the change.
pub(super) async fn changed(s: &super::AppState) {
    if let Err(e) = s.oauth.directory.refresh().await {
        tracing::warn!(error = %e, "cannot refresh the directory after an installation change");
    }
}

/// The operator acts through the admin API; tenant admins will act through
/// the console, which names them.
const OPERATOR: &str = "operator";

async fn register_app(
    axum::extract::State(s): State,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let manifest = json_bytes(&headers, body).await?;
    let (version, secret) = s.admin.register_app(&manifest, now(&s)).await?;
    let mut out = app_json(&version);
    out["webhook_secret"] = secret.0.into();
    Ok(created(out))
}

async fn list_apps(axum::extract::State(s): State, headers: HeaderMap) -> Result<Response> {
    authorize(&s, &headers)?;
    let apps: Vec<Value> = s.store.apps().await?.iter().map(app_json).collect();
    Ok(Json(apps).into_response())
}

async fn get_app(
    axum::extract::State(s): State,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let versions = s.store.app_versions(&slug).await?;
    let Some(latest) = versions.last() else {
        return Err(Problem::new(StatusCode::NOT_FOUND, "app not found"));
    };
    let mut out = app_json(latest);
    out["versions"] = versions
        .iter()
        .map(|v| json!({"version": v.version, "created_at": v.created_at}))
        .collect();
    Ok(Json(out).into_response())
}

async fn publish_version(
    axum::extract::State(s): State,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let manifest = json_bytes(&headers, body).await?;
    let (version, new) = s
        .admin
        .publish_app_version(&slug, &manifest, now(&s))
        .await?;
    changed(&s).await;
    let out = app_json(&version);
    Ok(if new {
        created(out)
    } else {
        Json(out).into_response()
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Overlap {
    overlap: Option<i64>,
}

async fn rotate_webhook_secret(
    axum::extract::State(s): State,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let req: Overlap = json_body(&headers, body).await?;
    let overlap = req
        .overlap
        .unwrap_or(crate::admin::DEFAULT_SIGNING_SECRET_OVERLAP);
    let (secret, until) = s
        .admin
        .rotate_app_webhook_secret(&slug, overlap, now(&s))
        .await?;
    Ok(
        Json(json!({"webhook_secret": secret.0, "previous_secret_signs_until": until}))
            .into_response(),
    )
}

async fn put_resources(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let resources: Vec<Resource> = json_body(&headers, body).await?;
    s.admin.put_resources(&tenant, resources).await?;
    Ok(Json(s.store.resources(&tenant).await?).into_response())
}

async fn list_resources(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    if s.store.tenant(&tenant).await?.is_none() {
        return Err(Problem::new(StatusCode::NOT_FOUND, "tenant not found"));
    }
    Ok(Json(s.store.resources(&tenant).await?).into_response())
}

async fn delete_resource(
    axum::extract::State(s): State,
    Path((tenant, kind, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    s.admin
        .delete_resource(&tenant, &kind, &id, now(&s))
        .await?;
    changed(&s).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Install {
    app: String,
    #[serde(default = "all")]
    resources: Value,
    #[serde(default)]
    optional_permissions: Vec<String>,
    installed_by: Option<String>,
}

fn all() -> Value {
    Value::String("all".into())
}

async fn install(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let req: Install = json_body(&headers, body).await?;
    let actor = req.installed_by.unwrap_or_else(|| OPERATOR.into());
    if actor.is_empty() || actor.chars().count() > 200 {
        return Err(Problem::unprocessable(
            "installed_by",
            "use 1-200 characters",
        ));
    }
    let (installation, credentials) = s
        .admin
        .install(
            InstallRequest {
                tenant,
                app: req.app,
                resources: req.resources,
                optional_permissions: req.optional_permissions,
                actor,
            },
            now(&s),
        )
        .await?;
    let mut out = installation_json(&installation);
    if let Some((_, secret)) = credentials {
        // Shown once here; the app's hook receives it too.
        out["client_secret"] = secret.0.into();
    }
    Ok(created(out))
}

async fn catalog(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    Ok(Json(s.admin.catalog(&tenant).await?).into_response())
}

async fn list_installations(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    if s.store.tenant(&tenant).await?.is_none() {
        return Err(Problem::new(StatusCode::NOT_FOUND, "tenant not found"));
    }
    let list: Vec<Value> = s
        .store
        .installations(&tenant)
        .await?
        .iter()
        .map(installation_json)
        .collect();
    Ok(Json(list).into_response())
}

async fn get_installation(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let i = s.admin.installation(&tenant, &id).await?;
    Ok(Json(installation_json(&i)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Quota {
    /// `null` lifts the quota.
    tokens_per_hour: Option<i64>,
}

async fn set_quota(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let q: Quota = json_body(&headers, body).await?;
    let i = s
        .admin
        .set_installation_quota(&tenant, &id, q.tokens_per_hour, OPERATOR, now(&s))
        .await?;
    changed(&s).await;
    Ok(Json(installation_json(&i)).into_response())
}

#[derive(Deserialize)]
struct UsageQuery {
    days: Option<i64>,
}

async fn usage(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<UsageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let days = q.days.unwrap_or(30);
    if !(1..=crate::usage::MAX_DAYS).contains(&days) {
        return Err(Problem::bad_request(format!(
            "days must be between 1 and {}",
            crate::usage::MAX_DAYS
        )));
    }
    s.admin.installation(&tenant, &id).await?;
    Ok(Json(s.oauth.usage.report(&id, days).await?).into_response())
}

async fn uninstall(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&s, &headers)?;
    s.admin.uninstall(&tenant, &id, OPERATOR, now(&s)).await?;
    changed(&s).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn set_resources(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let selection: Value = json_body(&headers, body).await?;
    let i = s
        .admin
        .set_installation_resources(&tenant, &id, &selection, OPERATOR, now(&s))
        .await?;
    changed(&s).await;
    Ok(Json(installation_json(&i)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Side {
    /// `tenant` (the default) or `platform`.
    by: Option<String>,
}

fn side(req: Side) -> Result<Suspender> {
    match req.by.as_deref() {
        None => Ok(Suspender::Tenant),
        Some(s) => Suspender::parse(s)
            .ok_or_else(|| Problem::unprocessable("by", "must be \"tenant\" or \"platform\"")),
    }
}

async fn suspend(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let by = side(json_body(&headers, body).await?)?;
    let i = s.admin.suspend(&tenant, &id, by, OPERATOR, now(&s)).await?;
    changed(&s).await;
    Ok(Json(installation_json(&i)).into_response())
}

async fn resume(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let by = side(json_body(&headers, body).await?)?;
    let i = s.admin.resume(&tenant, &id, by, OPERATOR, now(&s)).await?;
    changed(&s).await;
    Ok(Json(installation_json(&i)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Approval {
    #[serde(default)]
    optional_permissions: Vec<String>,
}

async fn approve_upgrade(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let req: Approval = json_body(&headers, body).await?;
    let i = s
        .admin
        .approve_upgrade(&tenant, &id, &req.optional_permissions, OPERATOR, now(&s))
        .await?;
    changed(&s).await;
    Ok(Json(installation_json(&i)).into_response())
}

async fn decline_upgrade(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let _: Approval = json_body(&headers, body).await?;
    let i = s
        .admin
        .decline_upgrade(&tenant, &id, OPERATOR, now(&s))
        .await?;
    changed(&s).await;
    Ok(Json(installation_json(&i)).into_response())
}

async fn rotate_secret(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    authorize(&s, &headers)?;
    let req: Overlap = json_body(&headers, body).await?;
    let overlap = req.overlap.unwrap_or(s.secret_rotation_overlap);
    let (client_id, secret, until) = s
        .admin
        .rotate_installation_secret(&tenant, &id, overlap, OPERATOR, now(&s))
        .await?;
    changed(&s).await;
    Ok(Json(json!({
        "client_id": client_id,
        "client_secret": secret.0,
        "previous_secret_expires_at": until,
    }))
    .into_response())
}
