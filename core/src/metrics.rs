//! Prometheus metrics through the `metrics` facade. Code anywhere records
//! with the helpers below (like `tracing` events, no handle to pass around);
//! `serve` installs the Prometheus recorder and `/metrics` renders it. Without
//! a recorder (CLI commands, unit tests) recording does nothing.
//!
//! No label names a tenant, client or user: 10,000 tenants would be
//! 10,000 series per metric. Per-tenant numbers are in the usage API.

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::time::Duration;

pub const HTTP_REQUEST_DURATION: &str = "warden_http_request_duration_seconds";
pub const TOKENS_ISSUED: &str = "warden_tokens_issued_total";
pub const TOKENS_REFUSED: &str = "warden_tokens_refused_total";
pub const PLUGIN_CALL_DURATION: &str = "warden_plugin_call_duration_seconds";
pub const PLUGIN_FAILURES: &str = "warden_plugin_failures_total";
pub const PLUGIN_DECISIONS_REUSED: &str = "warden_plugin_decisions_reused_total";
pub const PLUGIN_DECISION_CACHE_ENTRIES: &str = "warden_plugin_decision_cache_entries";
pub const PLUGIN_DECISION_CACHE_BYTES: &str = "warden_plugin_decision_cache_bytes";
pub const DELIVERIES: &str = "warden_deliveries_total";
pub const OUTBOX_PENDING: &str = "warden_delivery_outbox_pending";
pub const OUTBOX_OLDEST_AGE: &str = "warden_delivery_outbox_oldest_pending_age_seconds";
pub const DB_CONNECTIONS: &str = "warden_db_connections";
pub const DB_CONNECTIONS_MAX: &str = "warden_db_connections_max";
pub const DB_ACQUIRE_DURATION: &str = "warden_db_acquire_duration_seconds";
pub const DIRECTORY_REFRESH_DURATION: &str = "warden_directory_refresh_duration_seconds";
pub const DIRECTORY_REFRESH_AGE: &str = "warden_directory_refresh_age_seconds";
pub const DIRECTORY_REFRESH_FAILURES: &str = "warden_directory_refresh_failures_total";
pub const DIRECTORY_CHANGES: &str = "warden_directory_changes_total";
pub const DIRECTORY_DROPPED_ENTRIES: &str = "warden_directory_dropped_entries_total";
pub const DIRECTORY_FULL_DROPS: &str = "warden_directory_full_drops_total";
pub const DIRECTORY_TENANT_LOADS: &str = "warden_directory_tenant_loads_total";

/// Request latency: sub-millisecond token grants up to slow admin calls.
const HTTP_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// A plugin call is tens of microseconds; its deadline is at most seconds.
const PLUGIN_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];
/// An idle pooled connection comes back in microseconds; a starved pool waits.
const DB_BUCKETS: &[f64] = &[
    0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0,
    5.0, 10.0,
];

/// Installs the process-wide Prometheus recorder and describes every metric.
/// Counters that have labels known up front start at zero, so dashboards
/// show 0 rather than "no data".
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_REQUEST_DURATION.into()), HTTP_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(PLUGIN_CALL_DURATION.into()), PLUGIN_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(DB_ACQUIRE_DURATION.into()), DB_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(DIRECTORY_REFRESH_DURATION.into()), DB_BUCKETS)?
        .install_recorder()
        .map_err(|e| anyhow::anyhow!("cannot install the metrics recorder: {e}"))?;
    describe();
    for outcome in ["delivered", "failed", "dead_lettered"] {
        counter!(DELIVERIES, "outcome" => outcome).absolute(0);
    }
    for hook in [
        crate::domain::hook::Hook::GrantPolicy,
        crate::domain::hook::Hook::PermissionCheck,
    ] {
        counter!(PLUGIN_DECISIONS_REUSED, "hook" => hook.as_str()).absolute(0);
    }
    for hook in crate::domain::hook::Hook::ALL {
        for kind in crate::domain::hook::FAILURE_KINDS {
            counter!(PLUGIN_FAILURES, "hook" => hook.as_str(), "kind" => kind).absolute(0);
        }
    }
    for name in [
        DIRECTORY_CHANGES,
        DIRECTORY_DROPPED_ENTRIES,
        DIRECTORY_FULL_DROPS,
        DIRECTORY_TENANT_LOADS,
        DIRECTORY_REFRESH_FAILURES,
    ] {
        counter!(name).absolute(0);
    }
    Ok(handle)
}

fn describe() {
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        metrics::Unit::Seconds,
        "HTTP requests by route template, method and status, and how long they took."
    );
    describe_counter!(
        TOKENS_ISSUED,
        "Tokens issued at the token endpoint, by grant type."
    );
    describe_counter!(
        TOKENS_REFUSED,
        "Token requests refused, by grant type and RFC 6749 error code."
    );
    describe_histogram!(
        PLUGIN_CALL_DURATION,
        metrics::Unit::Seconds,
        "Plugin calls by hook and outcome (ok, or the failure kind), fresh instance included."
    );
    describe_counter!(
        PLUGIN_FAILURES,
        "Plugin calls that failed closed, by hook and kind."
    );
    describe_counter!(
        PLUGIN_DECISIONS_REUSED,
        "Grant and permission decisions answered without a plugin call, because the plugin let the host reuse them (cache-for)."
    );
    describe_gauge!(
        PLUGIN_DECISION_CACHE_ENTRIES,
        "Plugin decisions held for reuse."
    );
    describe_gauge!(
        PLUGIN_DECISION_CACHE_BYTES,
        metrics::Unit::Bytes,
        "About the memory the plugin decisions held for reuse take."
    );
    describe_counter!(DELIVERIES, "Credential delivery attempts by outcome.");
    describe_gauge!(
        OUTBOX_PENDING,
        "Deliveries in the outbox not yet delivered or dead-lettered."
    );
    describe_gauge!(
        OUTBOX_OLDEST_AGE,
        metrics::Unit::Seconds,
        "Age of the oldest pending delivery (0 when none is pending)."
    );
    describe_gauge!(
        DB_CONNECTIONS,
        "Database connections by pool and state (in_use, idle)."
    );
    describe_gauge!(DB_CONNECTIONS_MAX, "Most connections each pool opens.");
    describe_histogram!(
        DB_ACQUIRE_DURATION,
        metrics::Unit::Seconds,
        "Time to get a connection from a pool (and begin a transaction, where one is begun)."
    );
    describe_histogram!(
        DIRECTORY_REFRESH_DURATION,
        metrics::Unit::Seconds,
        "Time each poll of the configuration change log took."
    );
    describe_gauge!(
        DIRECTORY_REFRESH_AGE,
        metrics::Unit::Seconds,
        "Time since this replica's cache last caught up with the change log: how stale it may be."
    );
    describe_counter!(
        DIRECTORY_REFRESH_FAILURES,
        "Polls of the change log that failed (the cache keeps its entries meanwhile)."
    );
    describe_counter!(
        DIRECTORY_CHANGES,
        "Configuration changes this replica read from the change log."
    );
    describe_counter!(
        DIRECTORY_DROPPED_ENTRIES,
        "Cached entries dropped because a change touched them."
    );
    describe_counter!(
        DIRECTORY_FULL_DROPS,
        "Times the whole cache was dropped (a platform-wide change, or the log no longer reached back)."
    );
    describe_counter!(
        DIRECTORY_TENANT_LOADS,
        "Tenant entries built from the database (keys decrypted, bindings loaded)."
    );
}

/// Keeps histograms from growing between scrapes.
pub fn spawn_upkeep(handle: PrometheusHandle) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    });
}

pub fn http_request(route: String, method: &str, status: u16, took: Duration) {
    // Any token is a method: a client must not mint series.
    let method = match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    histogram!(
        HTTP_REQUEST_DURATION,
        "route" => route,
        "method" => method,
        "status" => status.to_string(),
    )
    .record(took);
}

/// A token request's end: issued when `refused` is `None`, else its error code.
pub fn token(grant_type: &'static str, refused: Option<&'static str>) {
    match refused {
        None => counter!(TOKENS_ISSUED, "grant_type" => grant_type).increment(1),
        Some(error) => {
            counter!(TOKENS_REFUSED, "grant_type" => grant_type, "error" => error).increment(1)
        }
    }
}

/// A plugin call's latency; `failure` is the kind when it failed closed.
pub fn plugin_call(hook: &'static str, failure: Option<&'static str>, took: Duration) {
    histogram!(PLUGIN_CALL_DURATION, "hook" => hook, "outcome" => failure.unwrap_or("ok"))
        .record(took);
}

/// A decision answered from what the plugin let the host reuse, without a call.
pub fn plugin_decision_reused(hook: &'static str) {
    counter!(PLUGIN_DECISIONS_REUSED, "hook" => hook).increment(1);
}

/// The reused decisions held, read at scrape time.
pub fn plugin_decision_cache(entries: u64, bytes: u64) {
    gauge!(PLUGIN_DECISION_CACHE_ENTRIES).set(entries as f64);
    gauge!(PLUGIN_DECISION_CACHE_BYTES).set(bytes as f64);
}

pub fn plugin_failure(hook: &'static str, kind: &'static str) {
    counter!(PLUGIN_FAILURES, "hook" => hook, "kind" => kind).increment(1);
}

pub fn delivery(outcome: &'static str) {
    counter!(DELIVERIES, "outcome" => outcome).increment(1);
}

pub fn db_acquire(pool: &'static str, took: Duration) {
    histogram!(DB_ACQUIRE_DURATION, "pool" => pool).record(took);
}

/// One pool's connections, read at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct PoolUse {
    pub pool: &'static str,
    /// Open connections, idle or not.
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

pub fn pools(pools: &[PoolUse]) {
    for p in pools {
        let in_use = p.size.saturating_sub(p.idle as u32);
        gauge!(DB_CONNECTIONS, "pool" => p.pool, "state" => "in_use").set(in_use);
        gauge!(DB_CONNECTIONS, "pool" => p.pool, "state" => "idle").set(p.idle as f64);
        gauge!(DB_CONNECTIONS_MAX, "pool" => p.pool).set(p.max);
    }
}

pub fn outbox(pending: i64, oldest_age: Duration) {
    gauge!(OUTBOX_PENDING).set(pending as f64);
    gauge!(OUTBOX_OLDEST_AGE).set(oldest_age);
}

pub fn directory_refreshed(took: Duration, ok: bool) {
    histogram!(DIRECTORY_REFRESH_DURATION).record(took);
    if !ok {
        counter!(DIRECTORY_REFRESH_FAILURES).increment(1);
    }
}

pub fn directory_refresh_age(age: Duration) {
    gauge!(DIRECTORY_REFRESH_AGE).set(age);
}

pub fn directory_changes(changes: u64, dropped_entries: u64, full_drop: bool) {
    counter!(DIRECTORY_CHANGES).increment(changes);
    counter!(DIRECTORY_DROPPED_ENTRIES).increment(dropped_entries);
    if full_drop {
        counter!(DIRECTORY_FULL_DROPS).increment(1);
    }
}

pub fn directory_tenant_load() {
    counter!(DIRECTORY_TENANT_LOADS).increment(1);
}
