//! HTTP: routes, extraction and rendering. Thin: parse → one call → render.

mod account;
pub mod admin;
mod brand;
pub mod client_addr;
mod console;
mod device;
mod form;
mod grant_lists;
mod headers;
mod health;
pub mod listener;
mod metrics;
mod oauth;
mod pages;
mod password_link;
mod registration;
mod trace;

use crate::oauth::OAuth;
use crate::store::Store;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

pub struct AppState {
    pub oauth: OAuth,
    pub store: Arc<dyn Store>,
    pub admin: crate::admin::Admin,
    pub admin_token: Option<admin::AdminToken>,
    pub secret_rotation_overlap: i64,
    /// Renders what the process-wide recorder holds, for `/metrics`
    /// (`None`: metrics are off and `/metrics` is not found).
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Cookies get `Secure` and the `__Host-` prefix when the public URL is https.
    pub secure_cookies: bool,
    /// Signs form CSRF tokens to the browser's session (derived from the master key).
    pub csrf_key: ring::hmac::Key,
    /// `serve --demo`: the demo app's hook (`/demo/app-hook`) is served.
    pub demo: bool,
}

pub type State = axum::extract::State<Arc<AppState>>;

/// Which routes a listener serves: all of them (one port, the default), or
/// with `management_listen` the public ones on one and the operator's
/// (admin API, metrics, health checks) on the other.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    All,
    Public,
    Management,
}

/// An installation changed: this replica's directory drops its view now
/// (others notice the generation within `cache_refresh_ms`), so the next
/// token and introspection here already see the change.
pub(crate) async fn directory_changed(s: &AppState) {
    if let Err(e) = s.oauth.directory.refresh().await {
        tracing::warn!(error = %e, "cannot refresh the directory after an installation change");
    }
}

/// Where `serve --demo` answers the sample app's lifecycle events itself.
pub const DEMO_HOOK: &str = "/demo/app-hook";

pub fn router(state: Arc<AppState>, listener: Listener) -> Router {
    let https = state.secure_cookies;
    let mut routes = Router::new();
    if listener != Listener::Public {
        routes = routes.merge(management_routes(state.clone()));
    }
    if listener != Listener::Management {
        let public = public_routes(&state).layer(axum::middleware::from_fn_with_state(
            state.clone(),
            oauth::dpop_nonce,
        ));
        routes = routes.merge(public);
    }
    routes
        .fallback(health::not_found)
        .layer(axum::middleware::from_fn(trace::trace))
        .layer(axum::middleware::map_response_with_state(
            https,
            headers::security_headers,
        ))
        .with_state(state)
}

/// What only the operator reaches.
fn management_routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .nest(admin::BASE, admin::routes(state))
}

/// RFC 7591 registration and RFC 7592 management.
fn registration_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/t/{tenant}/register", post(registration::register))
        .route(
            "/t/{tenant}/register/{client_id}",
            get(registration::read)
                .put(registration::update)
                .delete(registration::delete),
        )
}

/// What users, apps and browsers reach.
fn public_routes(state: &AppState) -> Router<Arc<AppState>> {
    let mut routes = Router::new();
    if state.demo {
        // The demo app's hook: takes each delivery, so a demo install completes.
        routes = routes.route(
            DEMO_HOOK,
            axum::routing::post(|| async { axum::http::StatusCode::NO_CONTENT }),
        );
    }
    routes
        .merge(registration_routes())
        .route(
            "/t/{tenant}/.well-known/openid-configuration",
            get(oauth::metadata),
        )
        .route(
            "/.well-known/oauth-authorization-server/t/{tenant}",
            get(oauth::metadata),
        )
        .route("/t/{tenant}/jwks.json", get(oauth::jwks))
        .route(
            "/t/{tenant}/resource-metadata",
            get(oauth::resource_metadata),
        )
        .route("/.well-known/webhook-keys", get(oauth::webhook_keys))
        .route(
            "/t/{tenant}/token",
            post(oauth::token).options(oauth::token_preflight),
        )
        .route("/t/{tenant}/authorize", get(pages::authorize))
        .route("/t/{tenant}/par", post(oauth::par))
        .route(
            "/t/{tenant}/device_authorization",
            post(oauth::device_authorization),
        )
        .route("/t/{tenant}/device", get(device::page))
        .route("/t/{tenant}/device/decide", post(device::decide))
        .route("/t/{tenant}/login", post(pages::login))
        .route("/t/{tenant}/consent", post(pages::consent))
        .route(
            "/t/{tenant}/logout",
            get(pages::logout_page).post(pages::logout),
        )
        .route(
            "/t/{tenant}/password/{token}",
            get(password_link::show).post(password_link::set),
        )
        .route("/t/{tenant}/account", get(account::account))
        .route("/t/{tenant}/account/tokens", post(account::create_token))
        .route(
            "/t/{tenant}/account/tokens/{id}/revoke",
            post(account::revoke_token),
        )
        .route(
            "/t/{tenant}/account/apps/{client_id}/revoke",
            post(account::revoke_app),
        )
        .route(
            "/t/{tenant}/userinfo",
            get(pages::userinfo).post(pages::userinfo),
        )
        .route("/t/{tenant}/introspect", post(oauth::introspect))
        .route("/t/{tenant}/revoke", post(oauth::revoke))
        .route("/t/{tenant}/access/v1/evaluation", post(oauth::evaluation))
        .route(
            "/t/{tenant}/access/v1/evaluations",
            post(oauth::evaluations),
        )
        .nest("/t/{tenant}/console", console::routes())
        .route("/t/{tenant}/console/", get(console::to_overview))
        .route(
            "/t/{tenant}/console/{*rest}",
            get(console::not_found).post(console::not_found),
        )
}
