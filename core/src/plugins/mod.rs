//! The WebAssembly plugin host: one engine, components compiled once and
//! cached (in memory and on disk, keyed by sha256 and engine settings), and a
//! fresh `Store` + instance per call with a memory limit and an epoch deadline.
//! A plugin that fails in any way fails closed: the caller gets `PluginError`.

mod bindings;
mod compat;
mod compile;
pub mod credential_delivery;
pub mod decisions;
pub mod grant_policy;
pub mod install_policy;
pub mod installation;
pub mod permission_check;
pub mod registration_policy;
mod sandbox;

pub use sandbox::CallContext;

use bindings::{
    delivery::CredentialDeliveryPre, grant::GrantPolicyPre, install::InstallPolicyPre,
    permission::PermissionCheckPre, v1, v2, v3,
};
use compile::{
    classify, compile, engine_for, engine_for_baseline, from_disk, linker_for, optimise, to_disk,
};
use ring::digest::{SHA256, digest};
use sandbox::CallState;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use wasmtime::component::Linker;
use wasmtime::{Engine, Store};

pub use crate::domain::hook::Hook;

/// Warden's default credential-delivery plugin (`plugins/credential-webhook`,
/// compiled and checked in as `core/builtin/`): the platform-wide default for
/// apps' installation events when neither the tenant nor the platform bound
/// a credential-delivery plugin that sees them.
const BUILTIN_DELIVERY: &[u8] = include_bytes!("../../builtin/credential_webhook.wasm");
/// How logs and audit records name it.
pub const BUILTIN_DELIVERY_NAME: &str = "builtin:credential-webhook";

/// Per-call limits; per-binding values are clamped to the operator's maximums.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub deadline: Duration,
    pub memory_bytes: usize,
}

impl Limits {
    /// A binding's limits: its own settings, or the defaults for `plugin`.
    pub fn for_binding(
        plugin: &Plugin,
        deadline_ms: Option<i64>,
        memory_mib: Option<i64>,
    ) -> Limits {
        let d = Limits::default();
        Limits {
            deadline: deadline_ms.map_or(d.deadline, |ms| Duration::from_millis(ms.max(1) as u64)),
            memory_bytes: memory_mib.map_or(plugin.default_memory(), |m| (m.max(1) as usize) << 20),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_millis(20),
            memory_bytes: 16 << 20,
        }
    }
}

/// The operator's ceiling for any binding.
#[derive(Clone, Debug)]
pub struct HostOptions {
    pub max: Limits,
    /// Where compiled components are kept across restarts; `None` keeps them in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Memory and table slots in the instance pool: bounds the distinct
    /// components that stay warm (about slots / cores) and reserves
    /// `max.memory_bytes` of address space (not memory) per slot.
    pub pool_slots: u32,
    /// Run a new component on Winch's code while Cranelift compiles it.
    pub baseline_compile: bool,
    /// Bounds of the decisions plugins let the host reuse.
    pub decisions: decisions::CacheOptions,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            baseline_compile: true,
            max: Limits {
                deadline: Duration::from_millis(1000),
                memory_bytes: 64 << 20,
            },
            cache_dir: None,
            pool_slots: DEFAULT_POOL_SLOTS,
            decisions: decisions::CacheOptions::default(),
        }
    }
}

/// Enough for 1,000 distinct components warm on each of 4 cores.
pub const DEFAULT_POOL_SLOTS: u32 = 4096;

/// Why a plugin did not produce a usable answer. Never shown to OAuth clients.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(
        "not a WebAssembly component (core modules and other files are refused; build with `cargo build --target wasm32-wasip2`)"
    )]
    NotAComponent,
    #[error("cannot compile component: {0}")]
    Compile(String),
    #[error(
        "component imports something Warden does not provide (only warden:plugin/host and an empty WASI): {0}"
    )]
    UnsatisfiedImport(String),
    #[error(
        "component needs more memory to start than this server allows any plugin (plugin_max_memory_mib; for plugin test, --memory-mib): {0}"
    )]
    TooBig(String),
    #[error(
        "component exports none of the worlds grant-policy, permission-check, credential-delivery, install-policy, registration-policy (warden:plugin@0.4.0, 0.3.0, 0.2.0 or 0.1.0)"
    )]
    NoKnownWorld,
    #[error("plugin exports {actual}, not {expected}")]
    WrongHook {
        expected: &'static str,
        actual: &'static str,
    },
    #[error("plugin ran past its deadline of {0:?}")]
    Timeout(Duration),
    #[error("plugin exceeded its memory limit of {0} bytes")]
    OutOfMemory(usize),
    #[error("plugin trapped: {0}")]
    Trap(String),
    #[error("plugin returned an invalid answer: {0}")]
    Invalid(String),
}

impl PluginError {
    /// A short label for metrics and audit records.
    /// Every value `kind` returns.
    pub fn kind(&self) -> &'static str {
        match self {
            PluginError::NotAComponent
            | PluginError::Compile(_)
            | PluginError::UnsatisfiedImport(_)
            | PluginError::TooBig(_)
            | PluginError::NoKnownWorld
            | PluginError::WrongHook { .. } => "load",
            PluginError::Timeout(_) => "timeout",
            PluginError::OutOfMemory(_) => "memory",
            PluginError::Trap(_) => "trap",
            PluginError::Invalid(_) => "invalid",
        }
    }
}

/// A component ready to instantiate, by world and package version.
enum Pre {
    Grant(GrantPolicyPre<CallState>),
    GrantV3(v3::grant::GrantPolicyPre<CallState>),
    GrantV2(v2::grant::GrantPolicyPre<CallState>),
    GrantV1(v1::grant::GrantPolicyPre<CallState>),
    Permission(PermissionCheckPre<CallState>),
    PermissionV2(v2::permission::PermissionCheckPre<CallState>),
    PermissionV1(v1::permission::PermissionCheckPre<CallState>),
    Delivery(CredentialDeliveryPre<CallState>),
    DeliveryV2(v2::delivery::CredentialDeliveryPre<CallState>),
    DeliveryV1(v1::delivery::CredentialDeliveryPre<CallState>),
    Install(InstallPolicyPre<CallState>),
    Registration(bindings::registration::RegistrationPolicyPre<CallState>),
    InstallV2(v2::install::InstallPolicyPre<CallState>),
}

impl Pre {
    fn wit_version(&self) -> &'static str {
        match self {
            Pre::GrantV1(_) | Pre::PermissionV1(_) | Pre::DeliveryV1(_) => "0.1.0",
            Pre::GrantV2(_) | Pre::PermissionV2(_) | Pre::DeliveryV2(_) | Pre::InstallV2(_) => {
                "0.2.0"
            }
            Pre::GrantV3(_) => "0.3.0",
            _ => "0.4.0",
        }
    }
}

/// A plugin's machine code and the engine it runs on.
struct Code {
    engine: Engine,
    pre: Pre,
}

/// A validated, compiled plugin, ready to instantiate.
pub struct Plugin {
    pub sha256: String,
    pub hook: Hook,
    wit: &'static str,
    /// Winch's quickly compiled code until Cranelift's optimised code is
    /// ready (see `PluginHost::load`), then that.
    code: RwLock<Arc<Code>>,
    /// WASI interfaces it imports that the sandbox does not grant: linked as
    /// stubs that fail the call if the plugin uses them.
    pub ungranted: Vec<String>,
    /// The memory its instances start with (the largest initial linear
    /// memory it declares): a Python or JavaScript runtime's snapshot.
    pub initial_memory: usize,
}

impl Plugin {
    /// The `warden:plugin` version the component was built against.
    pub fn wit_version(&self) -> &'static str {
        self.wit
    }

    fn code(&self) -> Arc<Code> {
        self.code.read().expect("plugin code").clone()
    }

    /// The memory limit a binding gets when it sets none: 16 MiB, or for a
    /// component that starts bigger (a language runtime's snapshot), what it
    /// starts with plus 16 MiB to work in.
    pub fn default_memory(&self) -> usize {
        const WORKING: usize = 16 << 20;
        if self.initial_memory <= WORKING / 2 {
            return WORKING;
        }
        (self.initial_memory.div_ceil(1 << 20) << 20).saturating_add(WORKING)
    }

    /// Whether it sees apps' installations (0.2.0 and later).
    pub fn sees_installations(&self) -> bool {
        self.wit_version() != "0.1.0"
    }

    fn wrong_hook(&self, expected: Hook) -> PluginError {
        PluginError::WrongHook {
            expected: expected.as_str(),
            actual: self.hook.as_str(),
        }
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("sha256", &self.sha256)
            .field("hook", &self.hook)
            .field("wit", &self.wit_version())
            .field("ungranted", &self.ungranted)
            .field("initial_memory", &self.initial_memory)
            .finish()
    }
}

/// A plugin bound to a tenant's hook, ready to call.
#[derive(Debug)]
pub struct BoundPlugin {
    /// Unique to this load of the binding: decisions reused for it die with it.
    pub id: u64,
    /// Whether the plugin has answered with a `cache-for`: until it does,
    /// calls skip computing the input's key and looking it up.
    pub reuses: std::sync::atomic::AtomicBool,
    pub name: String,
    pub version: i64,
    pub plugin: Arc<Plugin>,
    pub config: String,
    pub limits: Limits,
}

impl BoundPlugin {
    pub fn context(&self, tenant: &str) -> CallContext {
        CallContext {
            plugin: format!("{}@{}", self.name, self.version),
            sha256: self.plugin.sha256.clone(),
            tenant: tenant.to_string(),
            redact: None,
        }
    }
}

pub struct PluginHost {
    /// Cranelift: the optimised code plugins run on.
    engine: Engine,
    linker: Linker<CallState>,
    /// Winch, a baseline compiler many times faster than Cranelift: a newly
    /// seen component runs its code until Cranelift's is ready, so adding a
    /// large (Python, JavaScript) component or its first call does not wait
    /// seconds. `None` where Winch does not compile (or for `plugin test`).
    baseline: Option<(Engine, Linker<CallState>)>,
    /// Components waiting for Cranelift, compiled one at a time in the background.
    optimiser: std::sync::Mutex<std::sync::mpsc::Sender<Optimise>>,
    options: HostOptions,
    compiled: RwLock<HashMap<String, Arc<Plugin>>>,
    builtin_delivery: std::sync::OnceLock<Arc<Plugin>>,
    /// Decisions plugins let the host reuse (`cache-for`).
    decisions: decisions::DecisionCache,
}

/// A component running Winch's code, to be compiled by Cranelift.
struct Optimise {
    bytes: Vec<u8>,
    plugin: Arc<Plugin>,
    cache: Option<PathBuf>,
}

/// Instance slots of the Winch engine: only components seen in the last
/// seconds run on it.
const BASELINE_SLOTS: u32 = 64;

/// Epoch ticks per second: deadlines are counted in milliseconds.
const TICK: Duration = Duration::from_millis(1);

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest(&SHA256, bytes))
}

impl PluginHost {
    pub fn new(options: HostOptions) -> anyhow::Result<Arc<Self>> {
        let engine = engine_for(&options, wasmtime::Strategy::Cranelift, options.pool_slots)?;
        let linker = linker_for(&engine)?;
        let baseline = if options.baseline_compile {
            match engine_for_baseline(&options) {
                Ok(e) => Some((e.clone(), linker_for(&e)?)),
                Err(e) => {
                    tracing::info!(error = %e, "no baseline compiler here: new plugins wait for Cranelift");
                    None
                }
            }
        } else {
            None
        };

        let (optimiser, jobs) = std::sync::mpsc::channel::<Optimise>();
        let (cranelift, cranelift_linker) = (engine.clone(), linker.clone());
        std::thread::Builder::new()
            .name("plugin-optimiser".into())
            .spawn(move || {
                for job in jobs {
                    optimise(&cranelift, &cranelift_linker, job);
                }
            })?;

        let tickers = std::iter::once(&engine)
            .chain(baseline.as_ref().map(|(e, _)| e))
            .map(Engine::weak)
            .collect::<Vec<_>>();
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                loop {
                    let mut alive = false;
                    for ticker in &tickers {
                        if let Some(engine) = ticker.upgrade() {
                            engine.increment_epoch();
                            alive = true;
                        }
                    }
                    if !alive {
                        break;
                    }
                    std::thread::sleep(TICK);
                }
            })?;
        Ok(Arc::new(PluginHost {
            engine,
            linker,
            baseline,
            optimiser: std::sync::Mutex::new(optimiser),
            compiled: RwLock::new(HashMap::new()),
            builtin_delivery: std::sync::OnceLock::new(),
            decisions: decisions::DecisionCache::new(options.decisions),
            options,
        }))
    }

    /// Clamps requested limits to the operator's maximums.
    pub fn clamp(&self, wanted: Limits) -> Limits {
        Limits {
            deadline: wanted.deadline.min(self.options.max.deadline),
            memory_bytes: wanted.memory_bytes.min(self.options.max.memory_bytes),
        }
    }

    /// Entries and bytes of reused decisions held, for `/metrics`.
    pub fn decision_cache_use(&self) -> decisions::CacheUse {
        self.decisions.usage()
    }

    /// The built-in credential-delivery plugin, compiled on first use.
    pub fn builtin_delivery(&self) -> Result<Arc<Plugin>, PluginError> {
        if let Some(p) = self.builtin_delivery.get() {
            return Ok(p.clone());
        }
        let plugin = self.load(BUILTIN_DELIVERY)?;
        Ok(self.builtin_delivery.get_or_init(|| plugin).clone())
    }

    /// A plugin compiled earlier in this process.
    pub fn cached(&self, sha256: &str) -> Option<Arc<Plugin>> {
        self.compiled
            .read()
            .expect("plugin cache")
            .get(sha256)
            .cloned()
    }

    /// Counts a failed call by hook and kind; failures are also logged by the caller.
    pub fn record_failure(&self, hook: Hook, kind: &'static str) {
        crate::metrics::plugin_failure(hook.as_str(), kind);
    }

    /// Validates and compiles `bytes` (or takes them from a cache). A
    /// component compiled before (this process, or the disk cache) comes
    /// back with Cranelift's code; a new one, with Winch's code while
    /// Cranelift compiles it in the background.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<Plugin>, PluginError> {
        let sha256 = sha256_hex(bytes);
        if let Some(p) = self.compiled.read().expect("plugin cache").get(&sha256) {
            return Ok(p.clone());
        }
        // Component binaries carry layer 1 in the version field; core modules 0.
        if bytes.len() < 8 || &bytes[..4] != b"\0asm" || bytes[6..8] != [1, 0] {
            return Err(PluginError::NotAComponent);
        }
        let cache = self.cache_path(&sha256);
        let winch = || {
            let (engine, linker) = self.baseline.as_ref()?;
            // A component Winch cannot compile (a feature it lacks) goes to Cranelift now.
            let component = compile(engine, &sha256, bytes, "winch").ok()?;
            Some((engine, linker, component))
        };
        let (engine, linker, component, baseline) = match cache
            .as_deref()
            .and_then(|path| from_disk(&self.engine, &sha256, path))
        {
            Some(component) => (&self.engine, &self.linker, component, false),
            None => match winch() {
                Some((engine, linker, component)) => (engine, linker, component, true),
                None => {
                    let component = compile(&self.engine, &sha256, bytes, "cranelift")?;
                    to_disk(&component, cache.as_deref());
                    (&self.engine, &self.linker, component, false)
                }
            },
        };
        let plugin = Arc::new(classify(engine, linker, sha256.clone(), &component)?);
        if baseline {
            let job = Optimise {
                bytes: bytes.to_vec(),
                plugin: plugin.clone(),
                cache,
            };
            // The optimiser lives as long as the host.
            let _ = self.optimiser.lock().expect("optimiser queue").send(job);
        }
        Ok(self.remember(sha256, plugin))
    }

    fn remember(&self, sha256: String, plugin: Arc<Plugin>) -> Arc<Plugin> {
        self.compiled
            .write()
            .expect("plugin cache")
            .entry(sha256)
            .or_insert(plugin)
            .clone()
    }

    /// Where Cranelift's code for `sha256` is kept across restarts.
    fn cache_path(&self, sha256: &str) -> Option<PathBuf> {
        self.options.cache_dir.as_ref().map(|dir| {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            self.engine.precompile_compatibility_hash().hash(&mut h);
            let settings = format!("{:016x}", h.finish());
            dir.join(format!("{sha256}-{settings}.cwasm"))
        })
    }

    /// A fresh store for one call.
    fn store(&self, engine: &Engine, context: CallContext, limits: Limits) -> Store<CallState> {
        let limits = self.clamp(limits);
        let mut store = Store::new(engine, CallState::new(context, limits.memory_bytes));
        store.limiter(|s| &mut s.limits);
        // The deadline counts ticks that land while the plugin runs (about
        // its CPU time), not time spent waiting for a busy scheduler: at every
        // tick it yields to other requests, and past the deadline it is
        // interrupted.
        let allowed_ticks = limits.deadline.as_millis().max(1) as u64;
        let mut ran_ticks = 0u64;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            ran_ticks += 1;
            Ok(if ran_ticks >= allowed_ticks {
                wasmtime::UpdateDeadline::Interrupt
            } else {
                wasmtime::UpdateDeadline::Yield(1)
            })
        });
        store
    }
}

/// Maps a wasmtime failure to why the plugin failed.
fn failure(e: wasmtime::Error, limits: Limits) -> PluginError {
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>()
        && *trap == wasmtime::Trap::Interrupt
    {
        return PluginError::Timeout(limits.deadline);
    }
    let text = format!("{e:#}");
    if text.contains("forcing trap when growing memory")
        || text.contains("memory allocation failed")
    {
        return PluginError::OutOfMemory(limits.memory_bytes);
    }
    let reason = match e.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => {
            let cause = e.root_cause().to_string();
            // The stub of an ungranted import (see `ungranted_imports`).
            match cause
                .strip_prefix("unknown import: `")
                .and_then(|rest| rest.split_once('`'))
            {
                Some((import, _)) => format!(
                    "it called {import}, which the sandbox does not grant (plugins get no network, files or other I/O)"
                ),
                None => cause,
            }
        }
    };
    PluginError::Trap(reason.chars().take(300).collect())
}

/// Runs `call` `repeat` times (at least once) and returns the last answer,
/// printing per-call times when it ran more than once.
async fn repeated<T, F, Fut>(repeat: u32, mut call: F) -> Result<T, PluginError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, PluginError>>,
{
    let mut times = Vec::with_capacity(repeat as usize);
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let started = std::time::Instant::now();
        last = Some(call().await?);
        times.push(started.elapsed());
    }
    report_times(&mut times);
    Ok(last.expect("ran at least once"))
}

/// Prints per-call times when a plugin was run more than once.
fn report_times(times: &mut [Duration]) {
    if times.len() < 2 {
        return;
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    eprintln!(
        "{} calls, fresh instance each: median {:.1} µs, p99 {:.1} µs",
        times.len(),
        at(0.5),
        at(0.99)
    );
}

/// The span of one hook call: which hook, which plugin, and how it failed.
/// Debug, so without trace export it costs nothing on the call path.
fn call_span(hook: Hook, context: &CallContext) -> tracing::Span {
    tracing::debug_span!(
        "plugin",
        hook = hook.as_str(),
        plugin = context.plugin.as_str(),
        failure = tracing::field::Empty,
    )
}

/// One hook call: a span, and its latency in `/metrics` by hook and outcome.
async fn observed<T>(
    hook: Hook,
    span: tracing::Span,
    call: impl std::future::Future<Output = Result<T, PluginError>>,
) -> Result<T, PluginError> {
    use tracing::Instrument;
    let started = std::time::Instant::now();
    let result = call.instrument(span.clone()).await;
    if let Err(e) = &result {
        span.record("failure", e.kind());
    }
    crate::metrics::plugin_call(
        hook.as_str(),
        result.as_ref().err().map(PluginError::kind),
        started.elapsed(),
    );
    result
}

/// A decision as `plugin test` prints it: with the seconds the plugin lets
/// the host reuse it, when it said any.
fn with_cache_for(mut decision: serde_json::Value, cache_for: u32) -> serde_json::Value {
    if cache_for > 0
        && let Some(d) = decision.as_object_mut()
    {
        d.insert("cache_for".into(), cache_for.into());
    }
    decision
}

/// A host for `plugin test`, with the component loaded and its hook checked.
fn load_for_test(
    file: &std::path::Path,
    bytes: &[u8],
    hook: Hook,
    deadline: Duration,
    memory_bytes: Option<usize>,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<(Arc<PluginHost>, Arc<Plugin>)> {
    let host = PluginHost::new(HostOptions {
        max: Limits {
            deadline,
            memory_bytes: memory_bytes.unwrap_or(HostOptions::default().max.memory_bytes),
        },
        // Compiling a big component takes seconds: an author testing it
        // again, or adding it, reuses the compiled code.
        cache_dir,
        // Timings are of Cranelift's code, what bindings run.
        baseline_compile: false,
        // One component, one call at a time.
        pool_slots: 16,
        decisions: decisions::CacheOptions::default(),
    })?;
    let plugin = host
        .load(bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    if plugin.hook != hook {
        anyhow::bail!(
            "{}: {}",
            file.display(),
            PluginError::WrongHook {
                expected: hook.as_str(),
                actual: plugin.hook.as_str()
            }
        );
    }
    Ok((host, plugin))
}

/// Shown to the plugin author, who supplied the input: printed as is.
fn deliveries_as_json(deliveries: Vec<credential_delivery::DeliveryRequest>) -> serde_json::Value {
    let deliveries: Vec<_> = deliveries
        .into_iter()
        .map(|d| {
            let headers: serde_json::Map<_, _> =
                d.headers.into_iter().map(|(n, v)| (n, v.into())).collect();
            serde_json::json!({"url": d.url, "headers": headers, "body": d.body})
        })
        .collect();
    serde_json::json!({ "deliveries": deliveries })
}

/// `plugin test`'s input for a permission check: an AuthZEN evaluation,
/// plus the installation a plugin would see.
#[derive(serde::Deserialize)]
struct PermissionInput {
    #[serde(flatten)]
    evaluation: permission_check::Evaluation,
    #[serde(default)]
    installation: Option<installation::InstallationInfo>,
}

/// `warden plugin test`: loads `file`, checks it implements `hook`, runs it
/// once on the JSON in `input` and returns the decision as JSON.
pub async fn run_once(
    file: &std::path::Path,
    hook: &str,
    input: &std::path::Path,
    config: &str,
    deadline: Duration,
    memory_bytes: Option<usize>,
    repeat: u32,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<serde_json::Value> {
    let hook = Hook::parse(hook).map_err(anyhow::Error::msg)?;
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let input_text = std::fs::read_to_string(input)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", input.display()))?;
    if serde_json::from_str::<serde_json::Value>(config).is_err() {
        anyhow::bail!("--config is not valid JSON");
    }
    let (host, plugin) = load_for_test(file, &bytes, hook, deadline, memory_bytes, cache_dir)?;
    let limits = Limits {
        deadline,
        memory_bytes: memory_bytes.unwrap_or(plugin.default_memory()),
    };
    let context = CallContext {
        plugin: file.display().to_string(),
        sha256: plugin.sha256.clone(),
        tenant: "plugin-test".into(),
        redact: None,
    };
    let failed = |e: PluginError| anyhow::anyhow!("plugin failed closed ({}): {e}", e.kind());
    let not_a = |what: &str, e: serde_json::Error| {
        anyhow::anyhow!("{} is not {what}: {e}", input.display())
    };
    match hook {
        Hook::GrantPolicy => {
            let request: grant_policy::GrantRequest = serde_json::from_str(&input_text)
                .map_err(|e| not_a("a grant-policy request", e))?;
            let (decision, cache_for) = repeated(repeat, || {
                host.evaluate_grant(&plugin, context.clone(), limits, &request, config)
            })
            .await
            .map_err(failed)?;
            Ok(with_cache_for(serde_json::to_value(decision)?, cache_for))
        }
        Hook::PermissionCheck => {
            let input: PermissionInput =
                serde_json::from_str(&input_text).map_err(|e| not_a("an AuthZEN evaluation", e))?;
            let (decision, cache_for) = repeated(repeat, || {
                host.check_permission(
                    &plugin,
                    context.clone(),
                    limits,
                    &input.evaluation,
                    input.installation.as_ref(),
                    config,
                )
            })
            .await
            .map_err(failed)?;
            Ok(with_cache_for(serde_json::to_value(decision)?, cache_for))
        }
        Hook::InstallPolicy => {
            let review: install_policy::InstallReview = serde_json::from_str(&input_text)
                .map_err(|e| not_a("an install-policy request", e))?;
            let decision = repeated(repeat, || {
                host.review_install(&plugin, context.clone(), limits, &review, config)
            })
            .await
            .map_err(failed)?;
            Ok(serde_json::to_value(decision)?)
        }
        Hook::RegistrationPolicy => {
            let review: registration_policy::RegistrationReview = serde_json::from_str(&input_text)
                .map_err(|e| not_a("a registration-policy request", e))?;
            let decision = repeated(repeat, || {
                host.review_registration(&plugin, context.clone(), limits, &review, config)
            })
            .await
            .map_err(failed)?;
            Ok(serde_json::to_value(decision)?)
        }
        Hook::CredentialDelivery => {
            let event = credential_delivery::DeliveryEvent::from_json(&input_text)
                .map_err(|e| not_a("a credential or installation event", e))?;
            let context = CallContext {
                redact: event.secret(),
                ..context
            };
            let deliveries = repeated(repeat, || {
                host.compute_deliveries(&plugin, context.clone(), limits, &event, config)
            })
            .await
            .map_err(failed)?;
            Ok(deliveries_as_json(deliveries))
        }
    }
}
