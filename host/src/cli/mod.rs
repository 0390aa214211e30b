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
    /// Apply database migrations and exit.
    Migrate,
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
    /// Apps installed in a tenant.
    #[command(subcommand)]
    Installation(installation::InstallationCmd),
    /// The legacy sunset: retire tenant-created clients on a platform-wide date.
    #[command(subcommand)]
    Legacy(legacy::LegacyCmd),
}

/// Opens and migrates the configured store.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::open(&config.database_url).await?;
    migrate(&*store).await?;
    Ok(store)
}

pub async fn migrate(store: &dyn Store) -> anyhow::Result<()> {
    store
        .migrate()
        .await
        .context("cannot apply database migrations")
}

pub async fn admin(config: &Config) -> anyhow::Result<Admin> {
    // A missing master key is reported before any migration runs.
    let store = store::open(&config.database_url).await?;
    let master = Arc::new(config.master_key()?);
    migrate(&*store).await?;
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
        Command::Migrate => {
            open_store(&config).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Openapi => {
            print!("{}", crate::http::openapi::json());
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
        Command::Installation(cmd) => installation::run(cmd, config).await,
        Command::Legacy(cmd) => legacy::run(cmd, config).await,
    }
}
