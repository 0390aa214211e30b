//! What a plugin instance lives in for one call: an empty, capability-free
//! WASI context (so ordinary `wasm32-wasip2` guests link), a memory limit, a
//! frozen clock, and the log import.

use super::bindings::host::{self, Level};
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

/// Lines a single call may log, and their length.
const MAX_LOG_LINES: u32 = 64;
const MAX_LOG_LINE: usize = 1024;

/// Who is running, for log lines.
#[derive(Clone)]
pub struct CallContext {
    pub plugin: String,
    pub sha256: String,
    pub tenant: String,
    /// A secret the plugin is handed (a new client secret) that must never
    /// reach the log, even if the plugin logs it.
    pub redact: Option<String>,
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("plugin", &self.plugin)
            .field("sha256", &self.sha256)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

pub struct CallState {
    /// Built on the plugin's first WASI call: most calls make none, and a
    /// context costs a dozen allocations and an entropy read.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    pub(super) limits: StoreLimits,
    context: CallContext,
    logged: u32,
}

/// Time stands still inside a plugin: the host passes the request time in.
struct Frozen;

impl HostWallClock for Frozen {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for Frozen {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

impl CallState {
    pub fn new(context: CallContext, memory_limit: usize) -> Self {
        CallState {
            wasi: None,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(memory_limit)
                .instances(32)
                .trap_on_grow_failure(true)
                .build(),
            context,
            logged: 0,
        }
    }
}

/// No args, env, preopened directories, sockets or stdin; stdout and
/// stderr go nowhere; clocks are frozen.
fn empty_wasi() -> WasiCtx {
    WasiCtxBuilder::new()
        .wall_clock(Frozen)
        .monotonic_clock(Frozen)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: self.wasi.get_or_insert_with(empty_wasi),
            table: &mut self.table,
        }
    }
}

impl host::Host for CallState {
    fn log(&mut self, level: Level, message: String) {
        if self.logged >= MAX_LOG_LINES {
            return;
        }
        self.logged += 1;
        let mut message = redact(&message, self.context.redact.as_deref());
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let c = &self.context;
        match level {
            Level::Debug => {
                tracing::debug!(plugin = %c.plugin, sha256 = %c.sha256, tenant = %c.tenant, "plugin: {message}")
            }
            Level::Info => {
                tracing::info!(plugin = %c.plugin, sha256 = %c.sha256, tenant = %c.tenant, "plugin: {message}")
            }
            Level::Warn => {
                tracing::warn!(plugin = %c.plugin, sha256 = %c.sha256, tenant = %c.tenant, "plugin: {message}")
            }
            Level::Error => {
                tracing::error!(plugin = %c.plugin, sha256 = %c.sha256, tenant = %c.tenant, "plugin: {message}")
            }
        }
    }
}

impl super::bindings::types::Host for CallState {}

/// Replaces every occurrence of `secret` in `text` (a plugin's log lines
/// and a delivery's error never show the secret it was given).
pub fn redact(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => text.replace(s, "<redacted>"),
        _ => text.to_string(),
    }
}
