//! `warden serve`: wire store, directory and OAuth together and listen.

use crate::admin::Admin;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::directory::Directory;
use crate::domain::{NewClient, Scope, SigningAlg};
use crate::http::{self, AppState};
use crate::oauth::{Lifetimes, OAuth};
use crate::store::{Store, StoreError};
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;

pub async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    // Off, nothing is recorded: every `metrics` call is a no-op.
    let metrics = if config.metrics {
        let handle = crate::metrics::install()?;
        crate::metrics::spawn_upkeep(handle.clone());
        Some(handle)
    } else {
        None
    };
    // A missing master key is reported before any migration runs.
    let store = crate::store::open(&config.database_url).await?;
    let master = Arc::new(config.master_key()?);
    migrate(&*store, &config).await?;
    let (listener, management) = bind(&config).await?;
    let bound = listener.local_addr()?;
    let public_url = config.public_url_or(bound);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    let plugins = crate::plugins::PluginHost::new(config.plugin_host_options())?;
    let admin = Admin::new(
        store.clone(),
        master.clone(),
        config.max_access_token_ttl,
        plugins.clone(),
        public_url.clone(),
    );
    if demo {
        print_demo(&admin, &public_url, clock.now()).await?;
    }

    let directory = Arc::new(
        Directory::new(
            store.clone(),
            plugins.clone(),
            master.clone(),
            public_url.clone(),
        )
        .await?,
    );
    directory.spawn_refresher(config.cache_refresh);
    spawn_revocation_purger(store.clone(), clock.clone());
    spawn_store_upkeep(store.clone());
    crate::delivery::webhook_keys::ensure(&*store, &master, &admin.rng, clock.now()).await?;
    let deliveries = crate::delivery::Worker::new(
        store.clone(),
        master.clone(),
        clock.clone(),
        config.delivery.clone(),
    )?;
    let deliveries = deliveries.spawn();

    let usage = crate::usage::Usage::new(store.clone(), clock.clone());
    usage.spawn(config.usage_flush);
    let state = Arc::new(AppState {
        oauth: configured(
            OAuth::new(
                directory,
                store.clone(),
                plugins,
                lifetimes(&config),
                clock,
                usage.clone(),
            ),
            &config,
            &master,
        ),
        store,
        admin,
        admin_token: config.admin_token.clone(),
        secret_rotation_overlap: config.secret_rotation_overlap,
        metrics,
        secure_cookies: public_url.starts_with("https://"),
        csrf_key: master.derive("warden form csrf v1"),
        demo,
    });
    tracing::info!(%bound, %public_url, "warden listening");
    // A line on stdout that scripts and tests can wait for.
    println!("listening on http://{bound}");
    let drained = listen(state, listener, management, &config).await?;
    shut_down(
        drained,
        deliveries,
        usage,
        config.connections.shutdown_timeout,
    )
    .await;
    tracing::info!("shut down");
    Ok(())
}

/// The OAuth endpoints as the operator's settings shape them.
fn configured(
    oauth: OAuth,
    config: &Config,
    master: &crate::tokens::master_key::MasterKey,
) -> OAuth {
    let oauth = match config.dpop_nonce {
        true => oauth.with_dpop_nonces(crate::oauth::dpop::Nonces::new(
            master.derive("warden dpop nonce v1"),
        )),
        false => oauth,
    };
    match config.metadata_document_allow_loopback {
        true => oauth.with_loopback_documents(),
        false => oauth,
    }
}

fn lifetimes(config: &Config) -> Lifetimes {
    Lifetimes {
        default_access_token_ttl: config.access_token_ttl,
        max_access_token_ttl: config.max_access_token_ttl,
        refresh_idle_ttl: config.refresh_token_idle_ttl,
        refresh_absolute_ttl: config.refresh_token_absolute_ttl,
        pat_max_ttl: config.pat_max_ttl,
    }
}

/// After the listeners drained (or gave up): finish deliveries under way and
/// store what usage was counted.
async fn shut_down(
    drained: bool,
    deliveries: crate::delivery::Running,
    usage: Arc<crate::usage::Usage>,
    timeout: Duration,
) {
    if !drained {
        tracing::warn!(
            timeout_ms = timeout.as_millis() as u64,
            "shutting down with requests still open after shutdown_timeout_ms"
        );
    }
    // The deliveries under way are sent and recorded (or left leased for the next start).
    if !deliveries.stop(timeout).await {
        tracing::warn!(
            "shutting down with credential deliveries under way; they are sent again after their lease"
        );
    }
    // Nothing counted is lost on a clean shutdown.
    if let Err(e) = usage.flush().await {
        tracing::error!(error = %e, "cannot store installation usage at shutdown");
    }
}

/// The public listener and, when configured, the management one.
async fn bind(
    config: &Config,
) -> anyhow::Result<(tokio::net::TcpListener, Option<tokio::net::TcpListener>)> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let management = match config.management_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (management_listen)"))?,
        ),
        None => None,
    };
    Ok((listener, management))
}

/// Serves until a shutdown signal; whether every open request finished
/// within `shutdown_timeout_ms`.
async fn listen(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    management: Option<tokio::net::TcpListener>,
    config: &Config,
) -> anyhow::Result<bool> {
    let limits = config.connections;
    // One signal stops both listeners.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    Ok(match management {
        None => {
            http::listener::serve(
                listener,
                http::router(state, http::Listener::All),
                limits,
                config.trusted_proxies.clone(),
                stopped(stopping),
            )
            .await
        }
        Some(management) => {
            let at = management.local_addr()?;
            tracing::info!(%at, "management listening (admin API, metrics, health checks)");
            println!("management listening on http://{at}");
            let (public, operator) = tokio::join!(
                http::listener::serve(
                    listener,
                    http::router(state.clone(), http::Listener::Public),
                    limits,
                    config.trusted_proxies.clone(),
                    stopped(stopping.clone()),
                ),
                http::listener::serve(
                    management,
                    http::router(state, http::Listener::Management),
                    limits,
                    config.trusted_proxies.clone(),
                    stopped(stopping),
                ),
            );
            public && operator
        }
    })
}

/// Revoked `jti`s are needed only until the token would have expired.
fn spawn_revocation_purger(store: Arc<dyn Store>, clock: Arc<dyn Clock>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = store.purge_expired_revocations(clock.now()).await {
                tracing::warn!(error = %e, "cannot purge expired revocations");
            }
        }
    });
}

/// Storage upkeep off the request path (SQLite's WAL checkpoints).
fn spawn_store_upkeep(store: Arc<dyn Store>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = store.maintain().await {
                tracing::warn!(error = %e, "storage upkeep failed");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

const DEMO_TENANT: &str = "demo";
const DEMO_CLIENT: &str = "demo-app";
const DEMO_USER: &str = "demo";
const DEMO_APP: &str = "site-photos";
/// Where the demo app's hook points: this server, which accepts it.
pub use crate::http::DEMO_HOOK;
/// Who the audit records of `serve --demo`'s setup name.
const DEMO_ACTOR: &str = "demo setup";

/// Ensures tenant `demo` and client `demo-app` exist and prints working
/// credentials. The secret is only ever stored hashed, so an existing demo
/// client gets a fresh one.
async fn print_demo(admin: &Admin, public_url: &str, now: i64) -> anyhow::Result<()> {
    match admin
        .create_tenant(DEMO_TENANT, SigningAlg::ES256, None, None, DEMO_ACTOR, now)
        .await
    {
        Ok(_) | Err(crate::admin::AdminError::Store(StoreError::Conflict(_))) => {}
        Err(e) => return Err(e.into()),
    }
    let existing = admin
        .store
        .clients(DEMO_TENANT, &crate::store::Page::all())
        .await?
        .into_iter()
        .find(|c| c.name == DEMO_CLIENT);
    let (client_id, secret) = match existing {
        Some(c) => (
            c.client_id.clone(),
            admin
                .rotate_client_secret(&c.client_id, 0, DEMO_ACTOR, now)
                .await?
                .0,
        ),
        None => {
            let new = NewClient {
                tenant: DEMO_TENANT.into(),
                name: DEMO_CLIENT.into(),
                grant_types: vec!["client_credentials".into()],
                scopes: Scope::parse("read write").expect("valid scope"),
                default_scopes: Some(Scope::parse("read").expect("valid scope")),
                resources: vec![],
                access_token_ttl: None,
                metadata: serde_json::json!({}),
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
                public: false,
                jwks: None,
                require_pushed_authorization_requests: false,
                dpop_bound_access_tokens: false,
                authorization_details_types: vec![],
            };
            let (c, s) = admin.create_client(new, DEMO_ACTOR, now).await?;
            (c.client_id, s.expect("a confidential client has a secret"))
        }
    };
    // A person to sign in as, with a fresh password each start (only hashes are kept).
    let password = crate::tokens::b64url(&crate::tokens::random_bytes::<12>(
        &ring::rand::SystemRandom::new(),
    ));
    // The tenant's admin: the console is the product's centre.
    let user = crate::admin::NewUser {
        tenant: DEMO_TENANT.into(),
        username: DEMO_USER.into(),
        password: password.clone(),
        email: None,
        display_name: Some("Demo User".into()),
        is_admin: true,
    };
    let actor = crate::admin::Actor::Operator(DEMO_ACTOR);
    match admin.create_user(user, actor, now).await {
        Ok(_) => {}
        Err(crate::admin::AdminError::Store(StoreError::Conflict(_))) => {
            admin
                .set_password(DEMO_TENANT, DEMO_USER, password.clone(), actor, now)
                .await?;
            admin
                .set_user_admin(DEMO_TENANT, DEMO_USER, true, actor, now)
                .await?;
        }
        Err(e) => return Err(e.into()),
    }
    demo_app(admin, public_url, now).await?;
    let issuer = format!("{public_url}/t/{DEMO_TENANT}");
    println!("\nWarden demo is ready. Open the console and install an app:\n");
    println!("Sign in as {DEMO_USER} / {password} at {issuer}/console");
    println!(
        "\nFor an app of your own:\n  issuer:        {issuer}\n  discovery:     {issuer}/.well-known/openid-configuration\n  client_id:     {client_id}\n  client_secret: {}\n\nGet an access token:\n  curl -s -u '{client_id}:{}' -d grant_type=client_credentials -d scope='read write' {issuer}/token\n",
        secret.0, secret.0
    );
    Ok(())
}

/// The sample app of the demo's catalog and the projects it can be
/// installed on; its hook is this server's `/demo/app-hook`, which takes
/// every delivery, so an install completes end to end.
async fn demo_app(admin: &Admin, public_url: &str, now: i64) -> anyhow::Result<()> {
    if admin.store.app_version(DEMO_APP, None).await?.is_none() {
        let manifest = serde_json::json!({
            "slug": DEMO_APP,
            "name": "Site Photos",
            "listed": true,
            "description": "Photos from your building sites, sorted by project and day.",
            "publisher": {"name": "Example Apps", "url": "https://apps.example"},
            "setup_instructions": "1. Install **Site Photos** on the projects it should see.\n2. Open the app and sign in with your organisation.",
            "hook_url": format!("{public_url}{DEMO_HOOK}"),
            "resource_types": [{"type": "project", "name": "Projects"}],
            "permissions": [
                {"name": "directory:read", "level": "tenant", "description": "See who works in your organisation"},
                {"name": "photos:read", "level": "resource", "resource_type": "project", "description": "View site photos"},
                {"name": "photos:write", "level": "resource", "resource_type": "project", "description": "Upload site photos", "required": false}
            ]
        });
        admin
            .register_app(manifest.to_string().as_bytes(), now)
            .await
            .map_err(|e| anyhow::anyhow!("the demo app: {e}"))?;
    }
    let projects = [
        ("p1", "Harbour Tower"),
        ("p2", "North Bridge"),
        ("p3", "Riverside School"),
        ("p4", "Station Square"),
        ("p5", "Hillside Clinic"),
        ("p6", "Old Mill Lofts"),
    ];
    let resources = projects
        .iter()
        .map(|(id, name)| crate::store::Resource {
            kind: "project".into(),
            id: (*id).into(),
            name: (*name).into(),
        })
        .collect();
    admin
        .put_resources(DEMO_TENANT, resources)
        .await
        .map_err(|e| anyhow::anyhow!("the demo projects: {e}"))?;
    Ok(())
}

/// Applies this version's migrations, or with `migrate = "check"` refuses
/// to go on while any is pending (a newer version's are no obstacle).
pub async fn migrate(store: &dyn Store, config: &Config) -> anyhow::Result<()> {
    match config.migrate {
        crate::config::MigrateMode::Auto => store
            .migrate()
            .await
            .context("cannot apply database migrations"),
        crate::config::MigrateMode::Check => {
            let state = store
                .migrations()
                .await
                .context("cannot read the database's migrations")?;
            if state.pending.is_empty() {
                return Ok(());
            }
            let names: Vec<String> = state
                .pending
                .iter()
                .map(|(v, d)| format!("{v:04} {d}"))
                .collect();
            anyhow::bail!(
                "the database lacks {} migration{} of this version ({}); with migrate = \"check\" nothing migrates by itself: run `warden migrate` with the same configuration, then start again",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            )
        }
    }
}
