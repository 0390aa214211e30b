//! The `warden` command line. Every command reads the same configuration as
//! `serve`; each noun (`warden tenant …`, `warden app …`) is its own module.

mod admin_token;
mod app;
mod audit;
mod client;
mod delivery;
mod installation;
mod keys;
mod legacy;
pub mod plugin;
mod plugin_kit;
mod resource;
mod resource_server;
mod tenant;
mod user;

use crate::admin::Admin;
use crate::config::{Config, Layer};
use crate::domain::Scope;
use crate::store::{self, Store};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "warden",
    version,
    about = "OAuth 2.0 / OpenID Connect authorization server"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct GlobalArgs {
    /// Config file (default: $WARDEN_CONFIG, else ./warden.toml if present).
    #[arg(long = "config-file", global = true)]
    pub config_file: Option<PathBuf>,
    /// Address to listen on, IP:PORT [env: WARDEN_LISTEN].
    #[arg(long, global = true)]
    pub listen: Option<String>,
    /// Public base URL; issuers are {public_url}/t/{tenant} [env: WARDEN_PUBLIC_URL].
    #[arg(long, global = true)]
    pub public_url: Option<String>,
    /// sqlite://FILE or postgres://… [env: WARDEN_DATABASE_URL].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// pretty or json [env: WARDEN_LOG_FORMAT].
    #[arg(long, global = true)]
    pub log_format: Option<String>,
}

impl GlobalArgs {
    pub fn config(&self) -> anyhow::Result<Config> {
        let flags = Layer {
            listen: self.listen.clone(),
            public_url: self.public_url.clone(),
            database_url: self.database_url.clone(),
            log_format: self.log_format.clone(),
            ..Layer::default()
        };
        Config::load(self.config_file.as_deref(), flags)
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Create tenant `demo` and a client, and print how to get a token.
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database migrations this version brings, and exit (with
    /// `migrate = "check"`, the one step that changes the schema).
    Migrate {
        /// List the pending migrations; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the admin API's OpenAPI 3.1 document (also served at /admin/v1/openapi.json).
    Openapi,
    /// Named, scoped tokens for the admin API.
    #[command(subcommand, name = "admin-token")]
    AdminToken(admin_token::AdminTokenCmd),
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(tenant::TenantCmd),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(client::ClientCmd),
    /// Signing and master keys.
    #[command(subcommand)]
    Keys(keys::KeysCmd),
    /// WebAssembly plugins.
    #[command(subcommand)]
    Plugin(plugin::PluginCmd),
    /// End users of a tenant.
    #[command(subcommand)]
    User(user::UserCmd),
    /// The credential-delivery outbox.
    #[command(subcommand)]
    Delivery(delivery::DeliveryCmd),
    /// A tenant's audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// The app registry: manifests, versions, webhook secrets.
    #[command(subcommand)]
    App(app::AppCmd),
    /// A tenant's resources that installations can be scoped to.
    #[command(subcommand)]
    Resource(resource::ResourceCmd),
    /// A tenant's protected resources (APIs): audiences, scopes and the
    /// authorization_details types they take.
    #[command(subcommand)]
    ResourceServer(resource_server::ResourceServerCmd),
    /// Apps installed in a tenant.
    #[command(subcommand)]
    Installation(installation::InstallationCmd),
    /// The legacy sunset: retire tenant-created clients on a platform-wide date.
    #[command(subcommand)]
    Legacy(legacy::LegacyCmd),
}

/// Opens the configured store, migrated (or checked, `migrate = "check"`).
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::open(&config.database_url).await?;
    crate::server::migrate(&*store, config).await?;
    Ok(store)
}

/// `warden migrate [--dry-run]`.
async fn migrate_command(config: &Config, dry_run: bool) -> anyhow::Result<()> {
    let store = store::open(&config.database_url).await?;
    let state = store
        .migrations()
        .await
        .context("cannot read the database's migrations")?;
    for (v, d) in &state.pending {
        println!(
            "{} {v:04} {d}",
            if dry_run { "pending" } else { "applying" }
        );
    }
    if !state.newer.is_empty() {
        println!(
            "the database also has {} migration{} of a newer version; this one leaves them alone",
            state.newer.len(),
            if state.newer.len() == 1 { "" } else { "s" }
        );
    }
    if dry_run {
        if state.pending.is_empty() {
            println!("nothing to apply: the database is up to date");
        }
        return Ok(());
    }
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    println!("database is up to date");
    Ok(())
}

pub async fn admin(config: &Config) -> anyhow::Result<Admin> {
    // A missing master key is reported before any migration runs.
    let store = store::open(&config.database_url).await?;
    let master = Arc::new(config.master_key()?);
    crate::server::migrate(&*store, config).await?;
    let plugins = crate::plugins::PluginHost::new(config.plugin_host_options())?;
    let public = config.public_url_or(config.listen);
    Ok(Admin::new(
        store,
        master,
        config.max_access_token_ttl,
        plugins,
        public,
    ))
}

/// Who a CLI command's audit records name.
pub(crate) const CLI_ACTOR: &str = "cli";

/// Reads a whole list a page at a time, so each query stays bounded
/// however long the list is.
async fn every<K, T, E, F, Fut>(mut read: F, key: impl Fn(&T) -> K) -> anyhow::Result<Vec<T>>
where
    F: FnMut(crate::store::Page<K>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    const PAGE: i64 = 500;
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let rows = read(crate::store::Page { after, limit: PAGE }).await?;
        let full = rows.len() as i64 == PAGE;
        after = rows.last().map(&key);
        all.extend(rows);
        if !full {
            return Ok(all);
        }
    }
}

fn print(json_wanted: bool, value: serde_json::Value, text: String) {
    if json_wanted {
        println!("{value:#}");
    } else {
        println!("{text}");
    }
}

fn words(s: &str) -> Vec<String> {
    s.split([' ', ','])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn scope(s: &str, what: &str) -> anyhow::Result<Scope> {
    Scope::parse(s).map_err(|e| anyhow::anyhow!("{what}: {e}"))
}
/// Rows of a listing, or `empty` when there are none.
fn rows(lines: Vec<String>, empty: &str) -> String {
    if lines.is_empty() {
        empty.into()
    } else {
        lines.join("\n")
    }
}

/// The bytes of `path`, or of standard input when it is `-`.
fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
    }
}

pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo } => crate::server::serve(config, demo).await,
        Command::Migrate { dry_run } => migrate_command(&config, dry_run).await,
        Command::Openapi => {
            print!("{}", crate::http::admin::openapi::json());
            Ok(())
        }
        Command::AdminToken(cmd) => admin_token::run(cmd, config).await,
        Command::Tenant(cmd) => tenant::run(cmd, config).await,
        Command::Client(cmd) => client::run(cmd, config).await,
        Command::Keys(cmd) => keys::run(cmd, config).await,
        Command::Plugin(cmd) => plugin::run(cmd, config).await,
        Command::User(cmd) => user::run(cmd, config).await,
        Command::Delivery(cmd) => delivery::run(cmd, config).await,
        Command::Audit(cmd) => audit::run(cmd, config).await,
        Command::App(cmd) => app::run(cmd, config).await,
        Command::Resource(cmd) => resource::run(cmd, config).await,
        Command::ResourceServer(cmd) => resource_server::run(cmd, config).await,
        Command::Installation(cmd) => installation::run(cmd, config).await,
        Command::Legacy(cmd) => legacy::run(cmd, config).await,
    }
}
