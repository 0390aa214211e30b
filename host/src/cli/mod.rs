//! The `warden` command line. Every command reads the same configuration as `serve`.

use crate::admin::Admin;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Layer};
use crate::domain::{NewClient, Scope, SigningAlg};
use crate::store::{self, Store};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::path::PathBuf;
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
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCmd),
    /// Signing and master keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// WebAssembly plugins.
    #[command(subcommand)]
    Plugin(PluginCmd),
    /// End users of a tenant.
    #[command(subcommand)]
    User(UserCmd),
    /// The credential-delivery outbox.
    #[command(subcommand)]
    Delivery(DeliveryCmd),
    /// A tenant's audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// Create a user; the password is read from standard input (one line).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// May be granted administrative scopes (never through a personal access token).
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's users.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Set a new password (read from standard input); ends the user's sessions.
    SetPassword {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
    },
    /// Delete a user with their sessions and consents.
    Delete {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
    },
    /// Describe a scope in plain words for the consent page.
    DescribeScope {
        #[arg(long)]
        tenant: String,
        scope: String,
        description: String,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        anyhow::bail!(
            "give the password on standard input, e.g. `printf '%s\\n' \"$PASSWORD\" | warden user create …`"
        );
    }
    Ok(password)
}

#[derive(Subcommand)]
pub enum DeliveryCmd {
    /// A tenant's credential deliveries, newest first (never their contents).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Queue a dead-lettered delivery again, with a fresh attempt count.
    Retry { id: String },
    /// Replace the tenant's delivery signing secret (printed once). The old
    /// one keeps signing alongside it for the overlap, so receivers can switch.
    RotateSecret {
        #[arg(long)]
        tenant: String,
        /// Seconds the previous secret keeps signing (0 to 604800).
        #[arg(long, allow_negative_numbers = true, default_value_t = crate::admin::DEFAULT_SIGNING_SECRET_OVERLAP)]
        overlap: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// A tenant's audit records, newest first.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PluginCmd {
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
    /// Bind a plugin to one of a tenant's hooks (replacing any binding there).
    Bind {
        #[arg(long)]
        tenant: String,
        /// grant-policy, permission-check or credential-delivery.
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
    /// Remove a tenant's binding for a hook.
    Unbind {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        hook: String,
    },
    /// Run a plugin once on a JSON input, without a server, with production limits.
    Test {
        /// The component (.wasm).
        file: PathBuf,
        /// grant-policy, permission-check or credential-delivery.
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
        /// Memory limit in MiB.
        #[arg(long, default_value_t = 16)]
        memory_mib: usize,
        /// Call the plugin this many times (fresh instance each) and report
        /// the per-call time on stderr.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
}

#[derive(Subcommand)]
pub enum TenantCmd {
    /// Create a tenant (its own issuer) with a fresh signing key.
    Create {
        slug: String,
        /// ES256, EdDSA or RS256.
        #[arg(long, default_value = "ES256")]
        alg: String,
        /// Default access-token lifetime in seconds for this tenant.
        #[arg(long)]
        access_token_ttl: Option<i64>,
        /// Maximum access-token lifetime in seconds for this tenant.
        #[arg(long)]
        max_access_token_ttl: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a tenant's refresh-token and personal-access-token lifetimes
    /// (seconds; 0 returns to the configured default).
    Set {
        slug: String,
        #[arg(long)]
        refresh_idle_ttl: Option<i64>,
        #[arg(long)]
        refresh_absolute_ttl: Option<i64>,
        #[arg(long)]
        pat_max_ttl: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ClientCmd {
    /// Register a confidential client; prints its secret once.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// Space- or comma-separated.
        #[arg(long, default_value = "client_credentials")]
        grant_types: String,
        /// Every scope the client may be granted, space-separated.
        #[arg(long, default_value = "")]
        scopes: String,
        /// Scopes granted when a request names none (default: all of --scopes).
        #[arg(long)]
        default_scopes: Option<String>,
        /// An RFC 8707 resource the client may request (repeatable; none = any).
        #[arg(long = "resource")]
        resources: Vec<String>,
        /// Access-token lifetime in seconds for this client.
        #[arg(long)]
        access_token_ttl: Option<i64>,
        /// JSON object of free-form metadata.
        #[arg(long, default_value = "{}")]
        metadata: String,
        /// Where the authorization endpoint may send users back (repeatable).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// Where OIDC RP-initiated logout may send users afterwards (repeatable).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A native app or SPA: no secret, PKCE required.
        #[arg(long)]
        public: bool,
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's clients (never their secrets).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Issue a new secret; the previous one stays valid for the overlap.
    RotateSecret {
        client_id: String,
        /// Seconds the previous secret keeps working (default: secret_rotation_overlap).
        #[arg(long)]
        overlap: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client; its secret stops working at once.
    Delete { client_id: String },
}

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Make a new signing key active; the old one stays in JWKS until its tokens expire.
    Rotate {
        #[arg(long)]
        tenant: String,
        /// Switch algorithm (ES256, EdDSA, RS256); default: keep the tenant's.
        #[arg(long)]
        alg: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print a fresh random master key (base64) for WARDEN_MASTER_KEY.
    NewMasterKey,
}

/// Opens and migrates the configured store.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::open(&config.database_url).await?;
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    Ok(store)
}

pub async fn admin(config: &Config) -> anyhow::Result<Admin> {
    let store = open_store(config).await?;
    let master = Arc::new(config.master_key()?);
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

pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let public = config.public_url_or(config.listen);
    match command {
        Command::Serve { demo } => crate::server::serve(config, demo).await,
        Command::Migrate => {
            open_store(&config).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Tenant(TenantCmd::Create {
            slug,
            alg,
            access_token_ttl,
            max_access_token_ttl,
            json,
        }) => {
            let alg = SigningAlg::parse(&alg).map_err(anyhow::Error::msg)?;
            let (tenant, kid) = admin(&config)
                .await?
                .create_tenant(&slug, alg, access_token_ttl, max_access_token_ttl, now)
                .await?;
            let issuer = format!("{public}/t/{}", tenant.slug);
            print(
                json,
                json!({"slug": tenant.slug, "issuer": issuer, "signing_alg": alg, "kid": kid}),
                format!(
                    "created tenant {}\nissuer: {issuer}\nsigning key: {kid} ({alg})",
                    tenant.slug
                ),
            );
            Ok(())
        }
        Command::Tenant(TenantCmd::Set {
            slug,
            refresh_idle_ttl,
            refresh_absolute_ttl,
            pat_max_ttl,
            json,
        }) => {
            let reset = |v: Option<i64>| v.map(|v| (v != 0).then_some(v));
            let lifetimes = crate::admin::TenantLifetimes {
                refresh_idle_ttl: reset(refresh_idle_ttl),
                refresh_absolute_ttl: reset(refresh_absolute_ttl),
                pat_max_ttl: reset(pat_max_ttl),
            };
            let t = admin(&config)
                .await?
                .set_tenant_lifetimes(&slug, lifetimes)
                .await?;
            print(
                json,
                json!({"slug": t.slug, "refresh_idle_ttl": t.refresh_idle_ttl, "refresh_absolute_ttl": t.refresh_absolute_ttl, "pat_max_ttl": t.pat_max_ttl}),
                format!("tenant {} updated", t.slug),
            );
            Ok(())
        }
        Command::Tenant(TenantCmd::List { json }) => {
            let tenants = open_store(&config).await?.tenants().await?;
            let rows: Vec<_> = tenants
                .iter()
                .map(|t| json!({"slug": t.slug, "issuer": format!("{public}/t/{}", t.slug), "signing_alg": t.signing_alg}))
                .collect();
            let text = tenants
                .iter()
                .map(|t| format!("{}\t{}\t{public}/t/{}", t.slug, t.signing_alg, t.slug))
                .collect::<Vec<_>>()
                .join("\n");
            print(
                json,
                json!(rows),
                if text.is_empty() {
                    "no tenants".into()
                } else {
                    text
                },
            );
            Ok(())
        }
        Command::Client(ClientCmd::Create {
            tenant,
            name,
            grant_types,
            scopes,
            default_scopes,
            resources,
            access_token_ttl,
            metadata,
            redirect_uris,
            post_logout_redirect_uris,
            public: public_client,
            json,
        }) => {
            let metadata: serde_json::Value = serde_json::from_str(&metadata)
                .map_err(|e| anyhow::anyhow!("--metadata is not valid JSON: {e}"))?;
            if !metadata.is_object() {
                anyhow::bail!("--metadata must be a JSON object");
            }
            let new = NewClient {
                tenant,
                name,
                grant_types: words(&grant_types),
                scopes: scope(&scopes, "--scopes")?,
                default_scopes: default_scopes
                    .as_deref()
                    .map(|s| scope(s, "--default-scopes"))
                    .transpose()?,
                resources,
                access_token_ttl,
                metadata,
                redirect_uris,
                post_logout_redirect_uris,
                public: public_client,
            };
            let (client, secret) = admin(&config).await?.create_client(new, now).await?;
            let token_endpoint = format!("{public}/t/{}/token", client.tenant);
            let secret = secret.map(|s| s.0);
            let text = match &secret {
                Some(s) => format!(
                    "created client {} in tenant {}\nclient_id:     {}\nclient_secret: {s}\n(the secret is shown only now; store it safely)",
                    client.name, client.tenant, client.client_id
                ),
                None => format!(
                    "created public client {} in tenant {}\nclient_id: {} (no secret: use PKCE)",
                    client.name, client.tenant, client.client_id
                ),
            };
            print(
                json,
                json!({
                    "client_id": client.client_id, "client_secret": secret, "tenant": client.tenant,
                    "name": client.name, "grant_types": client.grant_types, "scopes": client.scopes.to_string(),
                    "redirect_uris": client.redirect_uris, "public": client.public,
                    "token_endpoint": token_endpoint,
                }),
                text,
            );
            Ok(())
        }
        Command::Client(ClientCmd::List { tenant, json }) => {
            let store = open_store(&config).await?;
            if store.tenant(&tenant).await?.is_none() {
                anyhow::bail!("tenant {tenant:?} not found");
            }
            let clients = store.clients(&tenant).await?;
            let rows: Vec<_> = clients
                .iter()
                .map(|c| json!({"client_id": c.client_id, "name": c.name, "grant_types": c.grant_types, "scopes": c.scopes.to_string()}))
                .collect();
            let text = clients
                .iter()
                .map(|c| format!("{}\t{}\t{}", c.client_id, c.name, c.scopes))
                .collect::<Vec<_>>()
                .join("\n");
            print(
                json,
                json!(rows),
                if text.is_empty() {
                    "no clients".into()
                } else {
                    text
                },
            );
            Ok(())
        }
        Command::Client(ClientCmd::RotateSecret {
            client_id,
            overlap,
            json,
        }) => {
            let overlap = overlap.unwrap_or(config.secret_rotation_overlap);
            let (secret, until) = admin(&config)
                .await?
                .rotate_client_secret(&client_id, overlap, now)
                .await?;
            print(
                json,
                json!({"client_id": client_id, "client_secret": secret.0, "previous_secret_valid_until": until}),
                format!(
                    "new client_secret: {}\nthe previous secret works for {overlap} more seconds",
                    secret.0
                ),
            );
            Ok(())
        }
        Command::Client(ClientCmd::Delete { client_id }) => {
            admin(&config).await?.delete_client(&client_id, now).await?;
            println!("deleted client {client_id}");
            Ok(())
        }
        Command::Keys(KeysCmd::Rotate { tenant, alg, json }) => {
            let alg = alg
                .as_deref()
                .map(SigningAlg::parse)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let (kid, alg, until) = admin(&config)
                .await?
                .rotate_signing_key(&tenant, alg, now)
                .await?;
            print(
                json,
                json!({"tenant": tenant, "kid": kid, "alg": alg, "previous_key_published_until": until}),
                format!(
                    "tenant {tenant} now signs with {kid} ({alg}); the previous key stays in JWKS until {until}"
                ),
            );
            Ok(())
        }
        Command::Plugin(PluginCmd::Add { file, name, json }) => {
            let wasm = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let host = crate::plugins::PluginHost::new(config.plugin_host_options())?;
            let record = admin(&config)
                .await?
                .add_plugin(&host, &name, &wasm, now)
                .await?;
            print(
                json,
                json!(record),
                format!(
                    "added plugin {}@{} ({}), sha256 {}",
                    record.name, record.version, record.hook, record.sha256
                ),
            );
            Ok(())
        }
        Command::Plugin(PluginCmd::List { json }) => {
            let plugins = open_store(&config).await?.plugins().await?;
            let text = plugins
                .iter()
                .map(|p| format!("{}@{}\t{}\t{}", p.name, p.version, p.hook, p.sha256))
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
        Command::Plugin(PluginCmd::Bind {
            tenant,
            hook,
            plugin,
            config: binding_config,
            deadline_ms,
            memory_mib,
            json,
        }) => {
            let request = crate::admin::BindRequest {
                tenant: &tenant,
                hook: &hook,
                plugin: &plugin,
                config: &binding_config,
                deadline_ms,
                memory_mib,
            };
            let (b, signing_secret) = admin(&config).await?.bind_plugin(request, now).await?;
            let mut value = json!(b);
            let mut text = format!(
                "tenant {} now runs {}@{} for {} (on every replica within {:?})",
                b.tenant, b.plugin_name, b.plugin_version, b.hook, config.cache_refresh
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
        Command::Plugin(PluginCmd::Unbind { tenant, hook }) => {
            open_store(&config)
                .await?
                .unbind_plugin(&tenant, &hook)
                .await?;
            println!("removed tenant {tenant}'s {hook} binding");
            Ok(())
        }
        Command::Plugin(PluginCmd::Test {
            file,
            hook,
            input,
            config,
            deadline_ms,
            memory_mib,
            repeat,
        }) => {
            let limits = crate::plugins::Limits {
                deadline: std::time::Duration::from_millis(deadline_ms),
                memory_bytes: memory_mib << 20,
            };
            let decision =
                crate::plugins::run_once(&file, &hook, &input, &config, limits, repeat.max(1))
                    .await?;
            println!("{decision:#}");
            Ok(())
        }
        Command::User(UserCmd::Create {
            tenant,
            username,
            email,
            name,
            admin: is_admin,
            json,
        }) => {
            let password = read_password()?;
            let new = crate::admin::NewUser {
                tenant,
                username,
                password,
                email,
                display_name: name,
                is_admin,
            };
            let user = admin(&config).await?.create_user(new, now).await?;
            print(
                json,
                json!({"id": user.id, "tenant": user.tenant, "username": user.username, "email": user.email, "name": user.display_name, "admin": user.is_admin}),
                format!(
                    "created user {} ({}) in tenant {}",
                    user.username, user.id, user.tenant
                ),
            );
            Ok(())
        }
        Command::User(UserCmd::List { tenant, json }) => {
            let users = open_store(&config).await?.users(&tenant).await?;
            let rows: Vec<_> = users
                .iter()
                .map(|u| json!({"id": u.id, "username": u.username, "email": u.email, "name": u.display_name, "admin": u.is_admin,
                                "service_account": u.is_service_account(), "installation": u.installation}))
                .collect();
            let text = users
                .iter()
                .map(|u| {
                    format!(
                        "{}\t{}\t{}{}",
                        u.id,
                        u.username,
                        u.email.as_deref().unwrap_or(""),
                        if u.is_service_account() {
                            "\tservice account"
                        } else {
                            ""
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(
                json,
                json!(rows),
                if text.is_empty() {
                    "no users".into()
                } else {
                    text
                },
            );
            Ok(())
        }
        Command::User(UserCmd::SetPassword { tenant, username }) => {
            let password = read_password()?;
            admin(&config)
                .await?
                .set_password(&tenant, &username, password)
                .await?;
            println!("password changed for {username}; their sessions have ended");
            Ok(())
        }
        Command::User(UserCmd::Delete { tenant, username }) => {
            open_store(&config)
                .await?
                .delete_user(&tenant, &username, SystemClock.now())
                .await?;
            println!("deleted user {username}");
            Ok(())
        }
        Command::User(UserCmd::DescribeScope {
            tenant,
            scope,
            description,
        }) => {
            crate::domain::Scope::parse(&scope).map_err(|e| anyhow::anyhow!("{e}"))?;
            open_store(&config)
                .await?
                .set_scope_description(&tenant, &scope, &description)
                .await?;
            println!("scope {scope} is shown as: {description}");
            Ok(())
        }
        Command::Delivery(DeliveryCmd::List {
            tenant,
            limit,
            json,
        }) => {
            let deliveries = open_store(&config)
                .await?
                .deliveries(&tenant, limit.clamp(1, 1000))
                .await?;
            let text = deliveries
                .iter()
                .map(|d| {
                    format!(
                        "{}\t{}\t{}\t{} attempt(s)\t{}\t{}",
                        d.id,
                        d.event,
                        d.status,
                        d.attempts,
                        d.url,
                        d.last_error.as_deref().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(
                json,
                json!(deliveries),
                if text.is_empty() {
                    "no deliveries".into()
                } else {
                    text
                },
            );
            Ok(())
        }
        Command::Delivery(DeliveryCmd::Retry { id }) => {
            open_store(&config)
                .await?
                .retry_delivery(&id, SystemClock.now_ms())
                .await?;
            println!("delivery {id} is queued again");
            Ok(())
        }
        Command::Delivery(DeliveryCmd::RotateSecret {
            tenant,
            overlap,
            json,
        }) => {
            let (secret, until) = admin(&config)
                .await?
                .rotate_delivery_secret(&tenant, overlap, now)
                .await?;
            print(
                json,
                json!({"tenant": tenant, "signing_secret": secret.0, "previous_secret_signs_until": until}),
                format!(
                    "new delivery signing secret: {}\n(shown only now; the previous secret also signs deliveries for {overlap} more seconds)",
                    secret.0
                ),
            );
            Ok(())
        }
        Command::Audit(AuditCmd::List {
            tenant,
            limit,
            json,
        }) => {
            let events = open_store(&config)
                .await?
                .audit_events(&tenant, limit.clamp(1, 1000))
                .await?;
            let text = events
                .iter()
                .map(|e| format!("{}\t{}\t{}", e.created_at, e.action, e.detail))
                .collect::<Vec<_>>()
                .join("\n");
            print(
                json,
                json!(events),
                if text.is_empty() {
                    "no audit records".into()
                } else {
                    text
                },
            );
            Ok(())
        }
        Command::Keys(KeysCmd::NewMasterKey) => {
            let (_, text) =
                crate::tokens::master_key::MasterKey::generate(&ring::rand::SystemRandom::new());
            println!("{text}");
            Ok(())
        }
    }
}
