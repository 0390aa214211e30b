//! One span per request (method, route, status, latency, tenant, client_id),
//! logged at `debug` (`warn` for a 5xx, `info` when slow), and its latency in `warden_http_request_duration_seconds` by route
//! template, method and status. Never headers or bodies: they carry secrets
//! (`traceparent` is read, to continue a caller's trace).

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::{Instrument, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// A request slower than this is logged at `info` even when requests are not.
const SLOW: std::time::Duration = std::time::Duration::from_secs(1);

pub async fn trace(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "<unmatched>".into());
    let method = req.method().clone();
    let client = req
        .extensions()
        .get::<super::client_addr::ClientAddr>()
        .map(|c| c.0);
    let span = tracing::info_span!(
        "request",
        method = %method,
        route,
        client = client.map(tracing::field::display),
        tenant = Empty,
        client_id = Empty,
        status = Empty,
        latency_us = Empty,
    );
    // A caller's W3C trace context: this request's span continues its trace.
    let caller = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(req.headers()))
    });
    if opentelemetry::trace::TraceContextExt::has_active_span(&caller) {
        let _ = span.set_parent(caller);
    }
    let started = Instant::now();
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let took = started.elapsed();
    let latency = took.as_micros() as u64;
    span.record("status", status).record("latency_us", latency);
    // One line per request only when asked (`log = "debug"`): at `info` a
    // busy server's log holds what needs a look, failures and slow answers.
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, latency_us = latency, "handled");
        } else if took >= SLOW {
            tracing::info!(status, latency_us = latency, slow = true, "handled");
        } else {
            tracing::debug!(status, latency_us = latency, "handled");
        }
    });
    crate::metrics::http_request(route, method.as_str(), status, took);
    response
}
