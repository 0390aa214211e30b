//! The admin API for apps, tenants' resources and installations. Thin: parse,
//! one call to `apps.rs`, render; errors become problem documents here.

use super::extract::Path;
use super::extract::{Problem, Result, created, json_body, json_bytes, json_list, now};
use super::paging::{PageQuery, PageRequest, Paged};
use crate::apps::{AppError, AppVersionView, InstallRequest, InstallationView};
use crate::domain::installation::Suspender;
use crate::http::State;
use crate::store::Resource;
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<Arc<crate::http::AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_apps, register_app))
        .routes(routes!(get_app))
        .routes(routes!(publish_version))
        .routes(routes!(rotate_webhook_secret))
        .routes(routes!(put_resources, list_resources))
        .routes(routes!(delete_resource))
        .routes(routes!(list_installations, install))
        .routes(routes!(catalog))
        .routes(routes!(usage))
        .routes(routes!(set_quota))
        .routes(routes!(get_installation, uninstall))
        .routes(routes!(set_resources))
        .routes(routes!(suspend))
        .routes(routes!(resume))
        .routes(routes!(approve_upgrade))
        .routes(routes!(decline_upgrade))
        .routes(routes!(rotate_secret))
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

/// The operator acts through the admin API; tenant admins will act through
/// the console, which names them.

#[utoipa::path(
    post, path = "/apps", tag = "apps",
    request_body(content = super::schemas::Manifest, description = "The app's manifest (JSON Schema: schemas/app-manifest.schema.json)"),
    responses((status = 201, description = "Registered as version 1; `webhook_secret` (Standard Webhooks) is shown only here", body = AppRegistered))
)]
async fn register_app(
    axum::extract::State(s): State,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let manifest = json_bytes(&headers, body).await?;
    let (version, secret) = s.admin.register_app(&manifest, now(&s)).await?;
    let warnings = crate::apps::registration_warnings(&version.manifest);
    Ok(created(serde_json::json!(AppRegistered {
        app: AppVersionView::from(&version),
        webhook_secret: secret.0,
        warnings,
    })))
}

#[utoipa::path(
    get, path = "/apps", tag = "apps",
    params(PageQuery),
    responses((status = 200, description = "Every app's newest version by slug, a page at a time", body = Paged<super::schemas::AppVersionView>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_apps(axum::extract::State(s): State, p: PageRequest) -> Result<Response> {
    let apps = s.store.apps(&p.page()?).await?;
    Ok(p.respond(apps, |a| a.app.clone(), |a| AppVersionView::from(&a)))
}

#[utoipa::path(
    get, path = "/apps/{slug}", tag = "apps",
    params(("slug" = String, Path, description = "The app's slug")),
    responses((status = 200, description = "The newest version and the list of all", body = AppView))
)]
async fn get_app(axum::extract::State(s): State, Path(slug): Path<String>) -> Result<Response> {
    let versions = s.store.app_versions(&slug).await?;
    let Some(latest) = versions.last() else {
        return Err(Problem::new(StatusCode::NOT_FOUND, "app not found"));
    };
    Ok(Json(AppView {
        app: AppVersionView::from(latest),
        versions: versions
            .iter()
            .map(|v| VersionRow {
                version: v.version,
                created_at: v.created_at,
            })
            .collect(),
    })
    .into_response())
}

#[utoipa::path(
    post, path = "/apps/{slug}/versions", tag = "apps",
    params(("slug" = String, Path, description = "The app's slug")),
    request_body(content = super::schemas::Manifest, description = "The app's manifest (JSON Schema: schemas/app-manifest.schema.json)"),
    responses(
        (status = 201, description = "Published as the next version; installations that need more permissions wait for approval", body = super::schemas::AppVersionView),
        (status = 200, description = "The manifest is unchanged: nothing published", body = super::schemas::AppVersionView),
    )
)]
async fn publish_version(
    axum::extract::State(s): State,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let manifest = json_bytes(&headers, body).await?;
    let (version, new) = s
        .admin
        .publish_app_version(&slug, &manifest, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    let out = AppVersionView::from(&version);
    Ok(if new {
        (StatusCode::CREATED, Json(out)).into_response()
    } else {
        Json(out).into_response()
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Overlap {
    /// Seconds the previous secret keeps working (or signing) beside the new one.
    #[schema(minimum = 0, maximum = 604_800)]
    overlap: Option<i64>,
}

#[utoipa::path(
    post, path = "/apps/{slug}/webhook-secret/rotate", tag = "apps",
    params(("slug" = String, Path, description = "The app's slug")),
    request_body(content = Overlap, description = "May be empty"),
    responses((status = 200, description = "The new secret; events are signed with both until `previous_secret_signs_until`", body = WebhookSecretRotated))
)]
async fn rotate_webhook_secret(
    axum::extract::State(s): State,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let req: Overlap = json_body(&headers, body).await?;
    let overlap = req
        .overlap
        .unwrap_or(crate::admin::DEFAULT_SIGNING_SECRET_OVERLAP);
    let (secret, until) = s
        .admin
        .rotate_app_webhook_secret(&slug, overlap, now(&s))
        .await?;
    Ok(Json(WebhookSecretRotated {
        webhook_secret: secret.0,
        previous_secret_signs_until: until,
    })
    .into_response())
}

/// Describes `put_resources`' body: at most 1,000 resources (it is read as
/// `Vec<Resource>`; utoipa has no `max_items` for a bare list).
struct ResourceList;

impl utoipa::PartialSchema for ResourceList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name("Resource"))
            .max_items(Some(crate::apps::MAX_RESOURCES_PER_REQUEST))
            .description(Some(
                "Resources to add or rename: at most 1,000 in one request.",
            ))
            .into()
    }
}

impl ToSchema for ResourceList {
    fn schemas(
        out: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        out.push((
            "Resource".into(),
            <super::schemas::Resource as utoipa::PartialSchema>::schema(),
        ));
    }
}

#[utoipa::path(
    put, path = "/tenants/{tenant}/resources", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body(content = ResourceList, description = "Resources to add or rename (at most 1,000)"),
    responses((status = 200, description = "All the tenant's resources", body = Vec<super::schemas::Resource>))
)]
async fn put_resources(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let resources: Vec<Resource> = json_list(&headers, body).await?;
    s.admin.put_resources(&tenant, resources).await?;
    let all = s
        .store
        .resources(&tenant, &crate::store::Page::all())
        .await?;
    Ok(Json(all).into_response())
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/resources", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "The resources installations can be scoped to, by type and id, a page at a time", body = Paged<super::schemas::Resource>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_resources(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    let resources = crate::apps::list_resources(&*s.store, &tenant, &p.page()?).await?;
    Ok(p.respond(resources, |r| (r.kind.clone(), r.id.clone()), |r| r))
}

#[utoipa::path(
    delete, path = "/tenants/{tenant}/resources/{kind}/{id}", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("kind" = String, Path, description = "The resource type"), ("id" = String, Path, description = "The resource's id")),
    responses((status = 204, description = "Removed from the tenant and from every selection"))
)]
async fn delete_resource(
    axum::extract::State(s): State,
    Path((tenant, kind, id)): Path<(String, String, String)>,
) -> Result<Response> {
    s.admin
        .delete_resource(&tenant, &kind, &id, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Install {
    app: String,
    #[serde(default = "all")]
    #[schema(value_type = super::schemas::Selection)]
    resources: Value,
    #[serde(default)]
    optional_permissions: Vec<String>,
    /// Who installed it, as the audit trail names them; the admin token's
    /// name unless told.
    #[schema(min_length = 1, max_length = 200)]
    installed_by: Option<String>,
}

fn all() -> Value {
    Value::String("all".into())
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/installations", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body = Install,
    responses((status = 201, description = "Installed; `client_secret` (push apps) is shown only here and sent to the app's hook", body = InstallationCreated))
)]
async fn install(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let req: Install = json_body(&headers, body).await?;
    let actor = req.installed_by.unwrap_or_else(|| actor.name.clone());
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
    Ok(created(serde_json::json!(InstallationCreated {
        installation: InstallationView::from(&installation),
        // Shown once here; the app's hook receives it too.
        client_secret: credentials.map(|(_, secret)| secret.0),
    })))
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/catalog", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "What the tenant can install, in the words its admins read, by slug, a page at a time", body = Paged<super::schemas::CatalogEntry>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn catalog(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    let entries = s.admin.catalog(&tenant).await?;
    Ok(p.respond_all(entries, |e| e.slug.clone(), |e| e)?)
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/installations", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "The tenant's installations, oldest first, a page at a time", body = Paged<super::schemas::InstallationView>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_installations(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    let list = crate::apps::list_installations(&*s.store, &tenant, &p.page()?).await?;
    Ok(p.respond(
        list,
        |i| (i.created_at, i.id.clone()),
        |i| InstallationView::from(&i),
    ))
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/installations/{id}", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id")),
    responses((status = 200, description = "The installation", body = super::schemas::InstallationView))
)]
async fn get_installation(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response> {
    let i = s.admin.installation(&tenant, &id).await?;
    Ok(Json(InstallationView::from(&i)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Quota {
    /// `null` lifts the quota.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    tokens_per_hour: Option<i64>,
}

#[utoipa::path(
    put, path = "/tenants/{tenant}/installations/{id}/quota", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id")),
    request_body = Quota,
    responses((status = 200, description = "The installation with its new quota", body = super::schemas::InstallationView))
)]
async fn set_quota(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let q: Quota = json_body(&headers, body).await?;
    let i = s
        .admin
        .set_installation_quota(&tenant, &id, q.tokens_per_hour, &actor.name, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(InstallationView::from(&i)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UsageQuery {
    /// How many days back, today included: 1-366, 30 by default.
    #[param(minimum = 1, maximum = 366)]
    days: Option<i64>,
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/installations/{id}/usage", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id"), UsageQuery),
    responses((status = 200, description = "Tokens issued and refused and AuthZEN evaluations, by day", body = super::schemas::UsageReport))
)]
async fn usage(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    super::extract::Query(q): super::extract::Query<UsageQuery>,
) -> Result<Response> {
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

#[utoipa::path(
    delete, path = "/tenants/{tenant}/installations/{id}", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id")),
    responses((status = 204, description = "Uninstalled: its credentials and tokens stop working, the app is told"))
)]
async fn uninstall(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response> {
    s.admin
        .uninstall(&tenant, &id, &actor.name, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    put, path = "/tenants/{tenant}/installations/{id}/resources", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id")),
    request_body(content = super::schemas::Selection, description = "`\"all\"` or the ids per resource type"),
    responses((status = 200, description = "The installation with its new selection", body = super::schemas::InstallationView))
)]
async fn set_resources(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let selection: Value = json_body(&headers, body).await?;
    let i = s
        .admin
        .set_installation_resources(&tenant, &id, &selection, &actor.name, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(InstallationView::from(&i)).into_response())
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct Side {
    /// `tenant` (the default) or `platform`.
    #[schema(value_type = Option<super::schemas::Suspender>)]
    by: Option<String>,
}

fn side(req: Side) -> Result<Suspender> {
    match req.by.as_deref() {
        None => Ok(Suspender::Tenant),
        Some(s) => Suspender::parse(s)
            .ok_or_else(|| Problem::unprocessable("by", "must be \"tenant\" or \"platform\"")),
    }
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/installations/{id}/suspend", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id")),
    request_body(content = Side, description = "May be empty: the tenant suspends"),
    responses((status = 200, description = "Suspended: no tokens until whoever suspended it resumes it", body = super::schemas::InstallationView))
)]
async fn suspend(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let by = side(json_body(&headers, body).await?)?;
    let i = s
        .admin
        .suspend(&tenant, &id, by, &actor.name, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(InstallationView::from(&i)).into_response())
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/installations/{id}/resume", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id")),
    request_body(content = Side, description = "May be empty: the tenant resumes"),
    responses((status = 200, description = "Resumed", body = super::schemas::InstallationView))
)]
async fn resume(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let by = side(json_body(&headers, body).await?)?;
    let i = s
        .admin
        .resume(&tenant, &id, by, &actor.name, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(InstallationView::from(&i)).into_response())
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct Approval {
    #[serde(default)]
    optional_permissions: Vec<String>,
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/installations/{id}/upgrade/approve", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id")),
    request_body(content = Approval, description = "May be empty"),
    responses((status = 200, description = "Upgraded to the pending version", body = super::schemas::InstallationView))
)]
async fn approve_upgrade(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let req: Approval = json_body(&headers, body).await?;
    let i = s
        .admin
        .approve_upgrade(
            &tenant,
            &id,
            &req.optional_permissions,
            &actor.name,
            now(&s),
        )
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(InstallationView::from(&i)).into_response())
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/installations/{id}/upgrade/decline", tag = "installations",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id")),
    request_body(content = Approval, description = "May be empty"),
    responses((status = 200, description = "Stays on its approved version", body = super::schemas::InstallationView))
)]
async fn decline_upgrade(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let _: Approval = json_body(&headers, body).await?;
    let i = s
        .admin
        .decline_upgrade(&tenant, &id, &actor.name, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(InstallationView::from(&i)).into_response())
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/installations/{id}/rotate-secret", tag = "installations",
    operation_id = "rotate_installation_secret",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("id" = String, Path, description = "The installation's id")),
    request_body(content = super::clients::RotateSecretBody, description = "May be empty"),
    responses((status = 200, description = "The push client's new secret, also sent to the app's hook", body = InstallationSecretRotated))
)]
async fn rotate_secret(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let req: super::clients::RotateSecretBody = json_body(&headers, body).await?;
    let overlap = req.overlap.unwrap_or(s.secret_rotation_overlap);
    let (client_id, secret, until) = s
        .admin
        .rotate_installation_secret(&tenant, &id, overlap, &actor.name, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(Json(InstallationSecretRotated {
        client_id,
        client_secret: secret.0,
        previous_secret_expires_at: until,
    })
    .into_response())
}

// What these routes answer with, for the OpenAPI contract.

#[derive(Serialize, ToSchema)]
struct AppRegistered {
    #[serde(flatten)]
    #[schema(value_type = super::schemas::AppVersionView)]
    app: AppVersionView,
    /// `whsec_…`: verifies the app's lifecycle events. Shown only here.
    webhook_secret: String,
    /// What the operator may not expect, such as an app left out of every
    /// tenant's catalog because its manifest does not say `"listed": true`.
    warnings: Vec<String>,
}

#[derive(Serialize, ToSchema)]
struct AppView {
    #[serde(flatten)]
    #[schema(value_type = super::schemas::AppVersionView)]
    app: AppVersionView,
    /// Every version, oldest first.
    versions: Vec<VersionRow>,
}

#[derive(Serialize, ToSchema)]
struct VersionRow {
    version: i64,
    created_at: i64,
}

#[derive(Serialize, ToSchema)]
struct WebhookSecretRotated {
    webhook_secret: String,
    previous_secret_signs_until: i64,
}

#[derive(Serialize, ToSchema)]
struct InstallationCreated {
    #[serde(flatten)]
    #[schema(value_type = super::schemas::InstallationView)]
    installation: InstallationView,
    /// The push client's secret, for apps with push credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct InstallationSecretRotated {
    client_id: String,
    client_secret: String,
    previous_secret_expires_at: i64,
}
