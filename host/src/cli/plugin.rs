//! `warden plugin …`: WebAssembly plugins and tenants' bindings.

use super::{admin, open_store, print};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use clap::Subcommand;
use serde_json::json;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum PluginCmd {
    /// Write a starter plugin for one hook, in Rust, Python or JavaScript,
    /// with the WIT it builds against and its build commands.
    New {
        /// The plugin's name (lowercase letters, digits, -).
        name: String,
        #[arg(long, value_enum)]
        lang: super::plugin_kit::Lang,
        /// grant-policy, permission-check, credential-delivery, install-policy or
        /// registration-policy.
        #[arg(long)]
        hook: String,
        /// Where to write it (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Validate a component and store it as the next version of NAME.
    Add {
        file: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List registered plugins and their versions.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Bind a plugin to one of a tenant's hooks (replacing any binding there),
    /// or with --platform as the default for every tenant without its own.
    Bind {
        #[arg(long, required_unless_present = "platform")]
        tenant: Option<String>,
        /// The platform-wide default instead of one tenant's binding.
        #[arg(long, conflicts_with = "tenant")]
        platform: bool,
        /// grant-policy, permission-check, credential-delivery, install-policy or
        /// registration-policy.
        #[arg(long)]
        hook: String,
        /// NAME (newest version) or NAME@VERSION.
        #[arg(long)]
        plugin: String,
        /// JSON handed to the plugin on every call.
        #[arg(long, default_value = "{}")]
        config: String,
        /// Per-call deadline in ms (default 20, at most plugin_max_deadline_ms).
        #[arg(long)]
        deadline_ms: Option<i64>,
        /// Memory limit in MiB (default 16, at most plugin_max_memory_mib).
        #[arg(long)]
        memory_mib: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a tenant's (or with --platform the default) binding for a hook.
    Unbind {
        #[arg(long, required_unless_present = "platform")]
        tenant: Option<String>,
        #[arg(long, conflicts_with = "tenant")]
        platform: bool,
        #[arg(long)]
        hook: String,
    },
    /// Run a plugin once on a JSON input, without a server, with production limits.
    Test {
        /// The component (.wasm).
        file: PathBuf,
        /// grant-policy, permission-check, credential-delivery, install-policy or
        /// registration-policy.
        #[arg(long)]
        hook: String,
        /// JSON file with the request the hook receives.
        #[arg(long)]
        input: PathBuf,
        /// The binding configuration (JSON) passed to the plugin.
        #[arg(long, default_value = "{}")]
        config: String,
        /// Per-call deadline in milliseconds.
        #[arg(long, default_value_t = 20)]
        deadline_ms: u64,
        /// Memory limit in MiB (default: what a binding would get, 16 or
        /// more for a component that starts bigger).
        #[arg(long)]
        memory_mib: Option<usize>,
        /// Call the plugin this many times (fresh instance each) and report
        /// the per-call time on stderr.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
}

pub async fn run(cmd: PluginCmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        PluginCmd::New {
            name,
            lang,
            hook,
            dir,
        } => new(name, lang, hook, dir).await,
        PluginCmd::Add { file, name, json } => add(&config, file, name, json).await,
        PluginCmd::List { json } => list(&config, json).await,
        PluginCmd::Bind {
            tenant,
            platform,
            hook,
            plugin,
            config: binding_config,
            deadline_ms,
            memory_mib,
            json,
        } => {
            bind(
                &config,
                tenant,
                platform,
                hook,
                plugin,
                binding_config,
                deadline_ms,
                memory_mib,
                json,
            )
            .await
        }
        PluginCmd::Unbind {
            tenant,
            platform,
            hook,
        } => {
            let tenant = target(tenant, platform);
            admin(&config)
                .await?
                .unbind_plugin(&tenant, &hook, super::CLI_ACTOR, SystemClock.now())
                .await?;
            println!("removed the {hook} binding of {}", who(&tenant));
            Ok(())
        }
        PluginCmd::Test {
            file,
            hook,
            input,
            config: plugin_config,
            deadline_ms,
            memory_mib,
            repeat,
        } => {
            test(
                &config,
                file,
                hook,
                input,
                plugin_config,
                deadline_ms,
                memory_mib,
                repeat,
            )
            .await
        }
    }
}

async fn new(
    name: String,
    lang: super::plugin_kit::Lang,
    hook: String,
    dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    let hook = crate::plugins::Hook::parse(&hook).map_err(anyhow::Error::msg)?;
    let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
    let kit = super::plugin_kit::write(&dir, &name, lang, hook)?;
    println!(
        "wrote a {} plugin for {} in {}\nbuild it there with:\n  {}\nthen: warden plugin add {} --name {name}",
        format!("{lang:?}").to_lowercase(),
        hook.as_str(),
        dir.display(),
        kit.build.join("\n  "),
        dir.join(&kit.output).display(),
    );
    Ok(())
}

async fn add(config: &Config, file: PathBuf, name: String, json: bool) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let wasm =
        std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let host = crate::plugins::PluginHost::new(config.plugin_host_options())?;
    let added = admin(&config)
        .await?
        .add_plugin(&host, &name, &wasm, now)
        .await?;
    let record = &added.record;
    let mut text = format!(
        "added plugin {}@{} ({}, {}), sha256 {}\nbindings get {} MiB of memory unless they set --memory-mib",
        record.name,
        record.version,
        record.hook,
        record.wit,
        record.sha256,
        added.default_memory_mib
    );
    if !added.ungranted_imports.is_empty() {
        text.push_str(&format!(
                    "\nnote: it imports {}, which the sandbox does not grant: a call that uses them fails closed",
                    added.ungranted_imports.join(", ")
                ));
    }
    print(json, json!(added), text);
    Ok(())
}

async fn list(config: &Config, json: bool) -> anyhow::Result<()> {
    let store = &open_store(&config).await?;
    let plugins = super::every(
        |p| async move { store.plugins(&p).await },
        |r| (r.name.clone(), r.version),
    )
    .await?;
    let text = plugins
        .iter()
        .map(|p| {
            format!(
                "{}@{}\t{}\t{}\t{}",
                p.name, p.version, p.hook, p.wit, p.sha256
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    print(
        json,
        json!(plugins),
        if text.is_empty() {
            "no plugins".into()
        } else {
            text
        },
    );
    Ok(())
}

async fn bind(
    config: &Config,
    tenant: Option<String>,
    platform: bool,
    hook: String,
    plugin: String,
    binding_config: String,
    deadline_ms: Option<i64>,
    memory_mib: Option<i64>,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let tenant = target(tenant, platform);
    let request = crate::admin::BindRequest {
        tenant: &tenant,
        hook: &hook,
        plugin: &plugin,
        config: &binding_config,
        deadline_ms,
        memory_mib,
        actor: super::CLI_ACTOR,
    };
    let (b, signing_secret) = admin(&config).await?.bind_plugin(request, now).await?;
    let mut value = json!(b);
    let mut text = format!(
        "{} now runs {}@{} for {} (on every replica within {:?})",
        who(&b.tenant),
        b.plugin_name,
        b.plugin_version,
        b.hook,
        config.cache_refresh
    );
    if let Some(secret) = signing_secret {
        value["signing_secret"] = json!(secret.0);
        text.push_str(&format!(
                    "\ndelivery signing secret: {}\n(shown only now; receivers verify the Warden-Signature header with it)",
                    secret.0
                ));
    }
    print(json, value, text);
    Ok(())
}

async fn test(
    config: &Config,
    file: PathBuf,
    hook: String,
    input: PathBuf,
    plugin_config: String,
    deadline_ms: u64,
    memory_mib: Option<usize>,
    repeat: u32,
) -> anyhow::Result<()> {
    let cache_dir = config.plugin_host_options().cache_dir;
    let decision = crate::plugins::run_once(
        &file,
        &hook,
        &input,
        &plugin_config,
        std::time::Duration::from_millis(deadline_ms),
        memory_mib.map(|m| m << 20),
        repeat.max(1),
        cache_dir,
    )
    .await?;
    println!("{decision:#}");
    Ok(())
}

/// The binding's owner: a tenant, or the platform's default (`--platform`).
fn target(tenant: Option<String>, platform: bool) -> String {
    match (tenant, platform) {
        (Some(t), false) => t,
        _ => crate::store::PLATFORM.into(),
    }
}

fn who(tenant: &str) -> String {
    if tenant == crate::store::PLATFORM {
        "every tenant without its own binding".into()
    } else {
        format!("tenant {tenant}")
    }
}
