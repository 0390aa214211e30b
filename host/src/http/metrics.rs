//! `/metrics` in the Prometheus text format: plugin failures by hook and
//! kind, and credential deliveries by outcome, since this process started.

use super::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::fmt::Write;
use std::sync::atomic::Ordering;

pub async fn metrics(axum::extract::State(s): State) -> Response {
    let mut out = String::new();
    out.push_str(
        "# HELP warden_plugin_failures_total Plugin calls that failed closed, by hook and kind.\n",
    );
    out.push_str("# TYPE warden_plugin_failures_total counter\n");
    for ((hook, kind), n) in s.oauth.plugins.failures() {
        let _ = writeln!(
            out,
            "warden_plugin_failures_total{{hook=\"{hook}\",kind=\"{kind}\"}} {n}"
        );
    }
    let c = &s.deliveries.counters;
    out.push_str("# HELP warden_deliveries_total Credential delivery attempts by outcome.\n");
    out.push_str("# TYPE warden_deliveries_total counter\n");
    for (outcome, n) in [
        ("delivered", &c.delivered),
        ("failed", &c.failed_attempts),
        ("dead_lettered", &c.dead_lettered),
    ] {
        let _ = writeln!(
            out,
            "warden_deliveries_total{{outcome=\"{outcome}\"}} {}",
            n.load(Ordering::Relaxed)
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
