//! The admin API (`/admin/v1/…`): what the CLI does, over HTTP, for
//! operators' automation. Authenticated by the operator credential
//! (`admin_token`, sent as `Authorization: Bearer …`); off when none is set.
//! Errors are RFC 9457 problem documents.

//!
//! One file per noun (tenants, clients, users, plugins, deliveries, apps and
//! installations, the legacy sunset, settings); the shared extractors and the
//! problem document in `extract`; paging in `paging`; the contract in
//! `openapi`. Authorisation is this module's route layer, not a call in each
//! handler.

mod apps;
mod clients;
mod deliveries;
mod extract;
mod legacy;
pub mod openapi;
mod paging;
mod plugins;
mod resource_servers;
pub mod schemas;
mod settings;
mod tenants;
mod users;

use super::State;
use crate::domain::admin_scope::{self, AdminScope};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
pub(crate) use extract::Problem;
use extract::{Result, now};
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the admin API is mounted.
pub const BASE: &str = "/admin/v1";

pub use crate::admin::AdminToken;

/// The admin routes with their contract; `routes()` is what the server mounts.
pub fn api() -> OpenApiRouter<Arc<super::AppState>> {
    OpenApiRouter::new()
        .routes(routes!(openapi::openapi))
        .merge(tenants::api())
        .merge(clients::api())
        .merge(users::api())
        .merge(plugins::api())
        .merge(deliveries::api())
        .merge(apps::api())
        .merge(legacy::api())
        .merge(settings::api())
        .merge(resource_servers::api())
}

pub fn routes(state: Arc<super::AppState>) -> Router<Arc<super::AppState>> {
    let (router, _contract) = api().split_for_parts();
    router
        .route_layer(axum::middleware::from_fn_with_state(state, authenticate))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "no such admin endpoint") })
        // Answers may carry a client or signing secret: no cache keeps them.
        .layer(axum::middleware::map_response(no_store))
}

async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Who is calling the admin API: the configured `admin_token` (every scope,
/// audited as `operator`) or a named token (audited as `operator:{name}`).
#[derive(Clone, Debug)]
pub struct AdminActor {
    pub name: String,
    scopes: Vec<AdminScope>,
}

/// The route layer every admin route runs behind: the bearer token is
/// checked, and the scope the route needs (one rule: `admin_scope::required`).
async fn authenticate(
    axum::extract::State(s): State,
    matched: Option<axum::extract::MatchedPath>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = matched
        .as_ref()
        .map(|m| m.as_str().trim_start_matches("/admin/v1").to_string())
        .unwrap_or_default();
    // The contract is public: clients are generated from it.
    if path == "/openapi.json" {
        return next.run(req).await;
    }
    let actor = match actor(&s, req.headers()).await {
        Ok(actor) => actor,
        Err(problem) => return problem.into_response(),
    };
    let needed = admin_scope::required(req.method().as_str(), &path);
    if !actor.scopes.contains(&needed) {
        return Problem::new(
            StatusCode::FORBIDDEN,
            format!(
                "the admin token {:?} lacks the scope {:?} ({})",
                actor.name,
                needed.as_str(),
                needed.describe()
            ),
        )
        .into_response();
    }
    req.extensions_mut().insert(actor);
    next.run(req).await
}

async fn actor(s: &super::AppState, headers: &HeaderMap) -> Result<AdminActor> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    if let (Some(t), Some(token)) = (presented, &s.admin_token)
        && token.verify(t)
    {
        return Ok(AdminActor {
            name: "operator".into(),
            scopes: AdminScope::ALL.to_vec(),
        });
    }
    if let Some(t) = presented
        && let Some(record) = s
            .store
            .admin_token_by_hash(&crate::tokens::secret::hash(t), now(s))
            .await?
    {
        return Ok(AdminActor {
            name: format!("operator:{}", record.name),
            scopes: AdminScope::split(&record.scopes),
        });
    }
    if s.admin_token.is_none() && !s.store.any_admin_token().await? {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "the admin API is disabled: set admin_token (WARDEN_ADMIN_TOKEN) or create a token with `warden admin-token create` to enable it",
        ));
    }
    Err(match presented {
        Some(_) => Problem::new(StatusCode::UNAUTHORIZED, "the admin token is not valid"),
        None => Problem::new(
            StatusCode::UNAUTHORIZED,
            "send the operator credential as Authorization: Bearer <admin token>",
        ),
    })
}
