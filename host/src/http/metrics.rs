//! `/metrics` in the Prometheus text format (what `crate::metrics` lists).
//! Gauges of shared state (the outbox, pools, the cache's age) are read now,
//! at scrape time; counters and histograms accumulate as things happen.

use super::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

pub async fn metrics(axum::extract::State(s): State) -> Response {
    let Some(handle) = &s.metrics else {
        return super::health::not_found().await.into_response();
    };
    crate::metrics::pools(&s.store.pools());
    crate::metrics::directory_refresh_age(s.oauth.directory.refresh_age());
    let held = s.admin.plugins.decision_cache_use();
    crate::metrics::plugin_decision_cache(held.entries, held.bytes);
    match s.store.outbox_depth().await {
        Ok((pending, oldest)) => {
            let now = s.oauth.clock.now();
            let age = oldest.map_or(0, |queued| (now - queued).max(0));
            crate::metrics::outbox(pending, Duration::from_secs(age as u64));
        }
        // The last values stay; the failure shows in the logs.
        Err(e) => tracing::warn!(error = %e, "cannot read the outbox depth for /metrics"),
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}
