use super::State;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// The process is up.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// The process can serve: the database answers and keeps writes.
pub async fn readyz(axum::extract::State(s): State) -> Response {
    if crate::store::health::faulty() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "database not keeping writes"})),
        )
            .into_response();
    }
    match tokio::time::timeout(Duration::from_secs(2), s.store.writable()).await {
        Ok(Ok(())) => Json(json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database unavailable"})),
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "database timed out"})),
        )
            .into_response(),
    }
}

pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not_found", "error_description": "no such endpoint"})),
    )
        .into_response()
}
