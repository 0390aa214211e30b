//! WebAssembly components and the hooks they are bound to, per tenant and
//! platform-wide.

use super::AdminActor;
use super::extract::{Path, Problem, Result, created, json_body, now};
use super::extract::{Query, body_bytes, empty_object};
use super::paging::{PageQuery, PageRequest, Paged};
use crate::admin::BindRequest;
use crate::http::State;
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn api() -> OpenApiRouter<Arc<crate::http::AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_plugins, add_plugin))
        .routes(routes!(list_bindings))
        .routes(routes!(bind, unbind))
        // Platform-wide defaults, for every tenant without its own binding.
        .routes(routes!(list_platform_bindings))
        .routes(routes!(bind_platform, unbind_platform))
}

/// Plugins are uploaded as raw component bytes.
const MAX_WASM: usize = 32 << 20;

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
    responses((status = 201, description = "Validated, compiled and stored as the name's next version; 422 when it is not a component Warden can run", body = super::schemas::AddedPlugin))
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
    responses((status = 200, description = "The plugin versions by name, then version, a page at a time", body = Paged<super::schemas::PluginRecord>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
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
    params(("hook" = super::schemas::Hook, Path, description = "The hook")),
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
    params(("hook" = super::schemas::Hook, Path, description = "The hook")),
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
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("hook" = super::schemas::Hook, Path, description = "The hook")),
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
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("hook" = super::schemas::Hook, Path, description = "The hook")),
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

/// A WebAssembly component's bytes.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the raw body `add_plugin` reads.
#[schema(value_type = String, format = Binary)]
struct WasmComponent(Vec<u8>);

#[derive(Serialize, ToSchema)]
struct BindingView {
    #[serde(flatten)]
    #[schema(value_type = super::schemas::Binding)]
    binding: crate::store::Binding,
    /// Set once, when this credential-delivery binding created the tenant's
    /// delivery signing secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    signing_secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct BindingRow {
    #[serde(flatten)]
    #[schema(value_type = super::schemas::Binding)]
    binding: crate::store::Binding,
    /// The bound component's content hash.
    sha256: String,
}
