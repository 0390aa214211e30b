//! A tenant's resource servers (APIs): RFC 8707 audiences, their scopes, the
//! RFC 9396 types they take (with the consent page's words), RFC 9728.

use super::AdminActor;
use super::extract::{Path, Result, created, json_body, now, scope};
use crate::admin::NewResourceServer;
use crate::domain::resource_server::{DetailType, ResourceServer};
use crate::http::State;
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn api() -> OpenApiRouter<Arc<crate::http::AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_resource_servers, register_resource_server))
        .routes(routes!(remove_resource_server))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewResourceServerBody {
    /// The resource indicator and the tokens' `aud`: an https URI without
    /// a fragment (http only for localhost).
    #[schema(example = "https://api.acme.test/")]
    identifier: String,
    /// What people and RFC 9728 metadata call it: 1-100 characters, no
    /// control characters.
    #[schema(
        example = "Projects API",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$"
    )]
    name: String,
    /// Space-separated: the scopes meaningful there (empty: any).
    #[serde(default)]
    #[schema(pattern = r"^[!#-\[\]-~ ]*$")]
    scopes: String,
    /// The RFC 9396 types it takes; a type belongs to one resource server
    /// of the tenant.
    #[serde(default)]
    #[schema(max_items = 16)]
    authorization_details_types: Vec<DetailTypeBody>,
}

/// An RFC 9396 type and the consent page's words for it.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DetailTypeBody {
    /// 1-64 letters, digits or `. _ - : /`.
    #[serde(rename = "type")]
    #[schema(example = "project_access", pattern = r"^[A-Za-z0-9._:/-]{1,64}$")]
    kind: String,
    /// Shown on the consent page: 1-200 characters, no control characters.
    #[schema(
        example = "Work on your projects",
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$"
    )]
    description: String,
    /// The `actions` a request may name (empty: any).
    #[serde(default)]
    #[schema(max_items = 32)]
    actions: Vec<String>,
}

/// A registered resource server.
#[derive(Serialize, ToSchema)]
struct ResourceServerView {
    /// `rs_…`: the path of its removal.
    id: String,
    tenant: String,
    identifier: String,
    name: String,
    scopes: String,
    authorization_details_types: Vec<DetailTypeBody>,
    /// Where its RFC 9728 metadata is, for it to publish.
    metadata_url: String,
    created_at: i64,
}

fn view(s: &crate::http::AppState, r: ResourceServer) -> ResourceServerView {
    let metadata_url = format!(
        "{}/resource-metadata?{}",
        s.oauth.directory.issuer(&r.tenant),
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("resource", &r.identifier)
            .finish()
    );
    ResourceServerView {
        id: r.id,
        tenant: r.tenant,
        identifier: r.identifier,
        name: r.name,
        scopes: r.scopes.to_string(),
        authorization_details_types: r
            .authorization_details_types
            .into_iter()
            .map(|t| DetailTypeBody {
                kind: t.kind,
                description: t.description,
                actions: t.actions,
            })
            .collect(),
        metadata_url,
        created_at: r.created_at,
    }
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/resource-servers", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body = NewResourceServerBody,
    responses((status = 201, description = "The resource server", body = ResourceServerView))
)]
async fn register_resource_server(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<AdminActor>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: NewResourceServerBody = json_body(&headers, body).await?;
    let new = NewResourceServer {
        identifier: b.identifier,
        name: b.name,
        scopes: scope(&b.scopes, "scopes")?,
        authorization_details_types: b
            .authorization_details_types
            .into_iter()
            .map(|t| DetailType {
                kind: t.kind,
                description: t.description,
                actions: t.actions,
            })
            .collect(),
    };
    let r = s
        .admin
        .register_resource_server(&tenant, new, &actor.name, now(&s))
        .await?;
    // This replica asks for it at once (others within the cache refresh).
    crate::http::directory_changed(&s).await;
    Ok(created(json!(view(&s, r))))
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/resource-servers", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    responses((status = 200, description = "The tenant's resource servers by identifier", body = Vec<ResourceServerView>))
)]
async fn list_resource_servers(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
) -> Result<Response> {
    let all = s.admin.resource_servers(&tenant).await?;
    let views: Vec<ResourceServerView> = all.into_iter().map(|r| view(&s, r)).collect();
    Ok(Json(views).into_response())
}

#[utoipa::path(
    delete, path = "/tenants/{tenant}/resource-servers/{id}", tag = "tenants",
    params(
        ("tenant" = String, Path, description = "The tenant's slug", example = "acme"),
        ("id" = String, Path, description = "The resource server's `rs_…` id"),
    ),
    responses((status = 204, description = "Removed; requests naming it are refused from now on"))
)]
async fn remove_resource_server(
    axum::extract::State(s): State,
    axum::Extension(actor): axum::Extension<AdminActor>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response> {
    s.admin
        .remove_resource_server(&tenant, &id, &actor.name, now(&s))
        .await?;
    crate::http::directory_changed(&s).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
