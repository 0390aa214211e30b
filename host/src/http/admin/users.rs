//! A tenant's users (service accounts included).

use super::extract::{Path, Result, created, json_body, now};
use super::paging::{PageQuery, PageRequest, Paged};
use crate::admin::Actor;
use crate::http::State;

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
        .routes(routes!(list_users, create_user))
        .routes(routes!(delete_user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    #[schema(pattern = r"^[A-Za-z0-9._@+-]{1,64}$")]
    username: String,
    #[schema(min_length = 10, max_length = 256)]
    password: String,
    email: Option<String>,
    name: Option<String>,
    #[serde(default)]
    admin: bool,
}

/// A user as the admin API shows it (never a password hash).
#[derive(Serialize, ToSchema)]
struct UserView {
    id: String,
    tenant: String,
    username: String,
    email: Option<String>,
    name: Option<String>,
    admin: bool,
    /// An installed app's account: it cannot sign in or be deleted by hand.
    service_account: bool,
    /// The installation a service account belongs to.
    installation: Option<String>,
}

fn user_json(u: &crate::domain::user::User) -> UserView {
    UserView {
        id: u.id.clone(),
        tenant: u.tenant.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        name: u.display_name.clone(),
        admin: u.is_admin,
        service_account: u.is_service_account(),
        installation: u.installation.clone(),
    }
}

#[utoipa::path(
    post, path = "/tenants/{tenant}/users", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme")),
    request_body = NewUserBody,
    responses((status = 201, description = "The user", body = UserView))
)]
async fn create_user(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let b: NewUserBody = json_body(&headers, body).await?;
    let new = crate::admin::NewUser {
        tenant,
        username: b.username,
        password: b.password,
        email: b.email,
        display_name: b.name,
        is_admin: b.admin,
    };
    let user = s
        .admin
        .create_user(new, Actor::Operator(&actor.name), now(&s))
        .await?;
    Ok(created(json!(user_json(&user))))
}

#[utoipa::path(
    get, path = "/tenants/{tenant}/users", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), PageQuery),
    responses((status = 200, description = "The tenant's users, service accounts included, by username, a page at a time", body = Paged<UserView>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))))
)]
async fn list_users(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    p: PageRequest,
) -> Result<Response> {
    let users = crate::admin::list_users(&*s.store, &tenant, &p.page()?).await?;
    Ok(p.respond(users, |u| u.username.clone(), |u| user_json(&u)))
}

#[utoipa::path(
    delete, path = "/tenants/{tenant}/users/{username}", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's slug", example = "acme"), ("username" = String, Path, description = "The user's username")),
    responses((status = 204, description = "Deleted, with its sessions, consents and tokens"))
)]
async fn delete_user(
    axum::extract::State(s): State,
    Path((tenant, username)): Path<(String, String)>,
    axum::Extension(actor): axum::Extension<super::AdminActor>,
) -> Result<Response> {
    s.admin
        .delete_user(&tenant, &username, Actor::Operator(&actor.name), now(&s))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
