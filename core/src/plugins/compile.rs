//! How a component becomes a `Plugin`: the engines (Cranelift, and Winch
//! for a quick first compile), what the sandbox links and stubs, compiling,
//! the disk cache, and telling which world a component implements.

use super::bindings::{
    self, delivery::CredentialDeliveryPre, grant::GrantPolicyPre, install::InstallPolicyPre,
    permission::PermissionCheckPre, v1, v2, v3,
};
use super::sandbox::CallState;
use super::{BASELINE_SLOTS, Code, Hook, HostOptions, Optimise, Plugin, PluginError, Pre};
use std::sync::{Arc, RwLock};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Compiles `bytes` with `engine`'s compiler.
pub(super) fn compile(
    engine: &Engine,
    sha256: &str,
    bytes: &[u8],
    compiler: &str,
) -> Result<Component, PluginError> {
    let started = std::time::Instant::now();
    let component = Component::new(engine, bytes).map_err(|e| {
        let detail = format!("{e:#}");
        // The instance pool's memory slots are `plugin_max_memory_mib` big:
        // wasmtime refuses a component whose memory starts bigger.
        if detail.contains("does not fit in pooling allocator") {
            PluginError::TooBig(detail)
        } else {
            PluginError::Compile(detail)
        }
    })?;
    tracing::info!(
        sha256,
        compiler,
        ms = started.elapsed().as_millis() as u64,
        "plugin compiled"
    );
    Ok(component)
}

/// Cranelift's code from the disk cache, if it is there and usable.
pub(super) fn from_disk(
    engine: &Engine,
    sha256: &str,
    path: &std::path::Path,
) -> Option<Component> {
    if !path.exists() {
        return None;
    }
    // SAFETY: files in the cache directory are written only by this host
    // from components it compiled, named by content hash and engine
    // settings; wasmtime checks the header and settings.
    match unsafe { Component::deserialize_file(engine, path) } {
        Ok(c) => {
            tracing::info!(sha256, "plugin loaded from the compiled-code cache");
            Some(c)
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring unusable compiled-plugin cache entry");
            None
        }
    }
}

/// Keeps Cranelift's code for the next start (best effort).
pub(super) fn to_disk(component: &Component, path: Option<&std::path::Path>) {
    let Some(path) = path else { return };
    match component.serialize() {
        Ok(bytes) => {
            let tmp = path.with_extension("tmp");
            if let Err(e) = std::fs::create_dir_all(path.parent().expect("cache dir"))
                .and_then(|()| std::fs::write(&tmp, bytes))
                .and_then(|()| std::fs::rename(&tmp, path))
            {
                tracing::warn!(path = %path.display(), error = %e, "cannot write compiled-plugin cache");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot serialise compiled plugin"),
    }
}

/// Works out which world the component implements, checking its imports
/// can all be satisfied and its memory fits.
pub(super) fn classify(
    engine: &Engine,
    linker: &Linker<CallState>,
    sha256: String,
    component: &Component,
) -> Result<Plugin, PluginError> {
    let initial_memory = component
        .resources_required()
        .and_then(|r| r.max_initial_memory_size)
        .map_or(0, |pages| (pages as usize).saturating_mul(64 << 10));
    let ungranted = ungranted_imports(engine, component)?;
    let pre = if ungranted.is_empty() {
        linker.instantiate_pre(component)
    } else {
        // Only the ungranted WASI interfaces are missing from the linker:
        // stub them for this component, so that importing them costs
        // nothing and calling them fails the call.
        let mut linker = linker.clone();
        stub_imports(&mut linker, engine, component, &ungranted)
            .and_then(|()| linker.instantiate_pre(component))
    }
    .map_err(|e| PluginError::UnsatisfiedImport(format!("{e:#}")))?;
    let (hook, pre) = if let Ok(p) = GrantPolicyPre::new(pre.clone()) {
        (Hook::GrantPolicy, Pre::Grant(p))
    } else if let Ok(p) = PermissionCheckPre::new(pre.clone()) {
        (Hook::PermissionCheck, Pre::Permission(p))
    } else if let Ok(p) = CredentialDeliveryPre::new(pre.clone()) {
        (Hook::CredentialDelivery, Pre::Delivery(p))
    } else if let Ok(p) = InstallPolicyPre::new(pre.clone()) {
        (Hook::InstallPolicy, Pre::Install(p))
    } else if let Ok(p) = bindings::registration::RegistrationPolicyPre::new(pre.clone()) {
        (Hook::RegistrationPolicy, Pre::Registration(p))
    } else if let Ok(p) = v3::grant::GrantPolicyPre::new(pre.clone()) {
        (Hook::GrantPolicy, Pre::GrantV3(p))
    } else if let Ok(p) = v2::grant::GrantPolicyPre::new(pre.clone()) {
        (Hook::GrantPolicy, Pre::GrantV2(p))
    } else if let Ok(p) = v2::permission::PermissionCheckPre::new(pre.clone()) {
        (Hook::PermissionCheck, Pre::PermissionV2(p))
    } else if let Ok(p) = v2::delivery::CredentialDeliveryPre::new(pre.clone()) {
        (Hook::CredentialDelivery, Pre::DeliveryV2(p))
    } else if let Ok(p) = v2::install::InstallPolicyPre::new(pre.clone()) {
        (Hook::InstallPolicy, Pre::InstallV2(p))
    } else if let Ok(p) = v1::grant::GrantPolicyPre::new(pre.clone()) {
        (Hook::GrantPolicy, Pre::GrantV1(p))
    } else if let Ok(p) = v1::permission::PermissionCheckPre::new(pre.clone()) {
        (Hook::PermissionCheck, Pre::PermissionV1(p))
    } else if let Ok(p) = v1::delivery::CredentialDeliveryPre::new(pre) {
        (Hook::CredentialDelivery, Pre::DeliveryV1(p))
    } else {
        return Err(PluginError::NoKnownWorld);
    };
    // 0.4.0 changed only the grant world: another hook's 0.3.0 component
    // fits 0.4.0's bindings, and says its version in what it imports.
    let imports_v3 = component
        .component_type()
        .imports(engine)
        .any(|(name, _)| name.starts_with("warden:plugin/") && name.ends_with("@0.3.0"));
    let wit = match pre.wit_version() {
        "0.4.0" if imports_v3 => "0.3.0",
        v => v,
    };
    Ok(Plugin {
        sha256,
        hook,
        wit,
        code: RwLock::new(Arc::new(Code {
            engine: engine.clone(),
            pre,
        })),
        ungranted,
        initial_memory,
    })
}

/// Cranelift compiles a component that runs Winch's code, and its calls
/// switch to the new code (a call under way finishes on the old).
pub(super) fn optimise(engine: &Engine, linker: &Linker<CallState>, job: Optimise) {
    let sha256 = &job.plugin.sha256;
    let optimised = compile(engine, sha256, &job.bytes, "cranelift").and_then(|component| {
        to_disk(&component, job.cache.as_deref());
        classify(engine, linker, sha256.clone(), &component)
    });
    match optimised {
        Ok(plugin) => {
            let code = plugin.code();
            *job.plugin.code.write().expect("plugin code") = code;
        }
        Err(e) => {
            tracing::warn!(sha256, error = %e, "Cranelift cannot compile this plugin; it keeps running Winch's code")
        }
    }
}

/// An engine with the host's settings, compiling with `strategy`, with
/// `slots` memory and table slots in its instance pool.
pub(super) fn engine_for(
    options: &HostOptions,
    strategy: wasmtime::Strategy,
    slots: u32,
) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    // Deep recursion traps instead of overflowing the fiber's stack.
    config.max_wasm_stack(512 * 1024);
    config.async_stack_size(1 << 20);
    let mut pool = PoolingAllocationConfig::default();
    // A memory or table slot stays "warm" for the component that last ran
    // in it (its image mapped, its pages resident), and each worker thread
    // allocates from its own shard of the pool. With thousands of tenants
    // each binding their own component, a slot taken over by another
    // component is re-imaged on every call, so: enough slots for every
    // component in use to stay warm in every shard, and new slots are
    // preferred to stealing another component's warm one.
    let pagemap = PoolingAllocationConfig::is_pagemap_scan_available();
    pool.total_component_instances(1000)
        .total_core_instances(4000)
        .total_memories(slots)
        .total_tables(slots)
        .max_unused_warm_slots(slots)
        .max_memories_per_component(8)
        .max_tables_per_component(8)
        .max_core_instances_per_component(32)
        .max_memory_size(options.max.memory_bytes)
        // After a call, reset what stays resident by hand instead of
        // unmapping it, so the next call runs without page faults. With
        // PAGEMAP_SCAN (Linux 6.7+) only the pages the call wrote are
        // reset (and write-protected again, which costs a TLB flush on
        // every core, so the window is not made larger than a small
        // plugin needs); without it the whole window is memset, so keep it
        // to what a small plugin touches (64 KiB stack; see wit/GUIDE.md).
        .pagemap_scan(wasmtime::Enabled::Auto)
        .linear_memory_keep_resident(if pagemap { 4 << 20 } else { 256 << 10 })
        .table_keep_resident(if pagemap { 1 << 20 } else { 64 << 10 });
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config.memory_reservation(options.max.memory_bytes as u64);
    config.memory_guard_size(64 << 10);
    config.memory_reservation_for_growth(0);
    config.strategy(strategy);
    Engine::new(&config).map_err(|e| anyhow::anyhow!("cannot start the WebAssembly engine: {e}"))
}

/// What every plugin instance may import: a capability-free WASI and the log.
pub(super) fn linker_for(engine: &Engine) -> anyhow::Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    bindings::host::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
        .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    v3::host::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
        .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    v2::host::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
        .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    v1::host::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
        .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    Ok(linker)
}

/// The Winch engine (x86-64 and aarch64 only).
pub(super) fn engine_for_baseline(options: &HostOptions) -> anyhow::Result<Engine> {
    engine_for(
        options,
        wasmtime::Strategy::Winch,
        BASELINE_SLOTS.min(options.pool_slots),
    )
}

/// The WASI 0.2 packages the sandbox links (capability-free: no files,
/// sockets, environment or real clock). Other `wasi:` interfaces, such as
/// `wasi:http`, are not granted.
const LINKED_WASI: [&str; 6] = [
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:filesystem/",
    "wasi:io/",
    "wasi:random/",
    "wasi:sockets/",
];

/// The component's imports the sandbox does not grant, or why it cannot be
/// loaded at all: an import that is neither WASI nor `warden:plugin` is a
/// mistake better caught now than at the first call.
fn ungranted_imports(engine: &Engine, component: &Component) -> Result<Vec<String>, PluginError> {
    let mut ungranted = Vec::new();
    for (name, _) in component.component_type().imports(engine) {
        if name.starts_with("warden:plugin/") || LINKED_WASI.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        if !name.starts_with("wasi:") {
            return Err(PluginError::UnsatisfiedImport(format!(
                "`{name}`: a plugin may import warden:plugin/host, warden:plugin/types and WASI 0.2; remove that import from its WIT world"
            )));
        }
        ungranted.push(name.to_string());
    }
    Ok(ungranted)
}

/// Links each of `ungranted` (whole imported interfaces) as functions that
/// fail the call and resources nothing can make. Resources an interface only
/// re-exports (`wasi:http/types` uses `wasi:io/streams.input-stream`) are
/// already linked and must keep their real type.
fn stub_imports(
    linker: &mut Linker<CallState>,
    engine: &Engine,
    component: &Component,
    ungranted: &[String],
) -> wasmtime::Result<()> {
    use wasmtime::component::ResourceType;
    use wasmtime::component::types::ComponentItem;
    /// The type of a stubbed resource: no value of it ever exists.
    struct Ungranted;
    let mut linked: Vec<ResourceType> = Vec::new();
    for (name, item) in component.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        let stub = ungranted.iter().any(|u| u == name);
        let mut target = if stub {
            Some(linker.instance(name)?)
        } else {
            None
        };
        for (export, item) in instance.exports(engine) {
            match item.ty {
                ComponentItem::Resource(r) if !linked.contains(&r) => {
                    if let Some(target) = &mut target {
                        target.resource(
                            export,
                            ResourceType::host::<Ungranted>(),
                            |_, _| Ok(()),
                        )?;
                    }
                    linked.push(r);
                }
                ComponentItem::ComponentFunc(_) => {
                    if let Some(target) = &mut target {
                        let called = format!("{name}#{export}");
                        target.func_new(export, move |_, _, _, _| {
                            wasmtime::bail!("unknown import: `{called}` has not been defined")
                        })?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}
