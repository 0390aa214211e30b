//! `/metrics` in the Prometheus text format: plugin failures by hook and
//! kind, credential deliveries by outcome and what the directory cache did,
//! since this process started.

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
    let d = s.oauth.directory.stats();
    for (name, help, n) in [
        (
            "warden_directory_changes_total",
            "Configuration changes this replica read from the change log.",
            &d.changes,
        ),
        (
            "warden_directory_dropped_entries_total",
            "Cached entries dropped because a change touched them.",
            &d.dropped_entries,
        ),
        (
            "warden_directory_full_drops_total",
            "Times the whole cache was dropped (a platform-wide change, or the log no longer reached back).",
            &d.full_drops,
        ),
        (
            "warden_directory_tenant_loads_total",
            "Tenant entries built from the database (keys decrypted, bindings loaded).",
            &d.tenant_loads,
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        let _ = writeln!(out, "{name} {}", n.load(Ordering::Relaxed));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
