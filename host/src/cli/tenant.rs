//! `warden tenant …`: tenants, each its own issuer.

use super::{admin, open_store, print};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::SigningAlg;
use clap::Subcommand;
use serde_json::json;

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
    /// (seconds; 0 returns to the configured default) and how long its
    /// plugins' decisions may be reused.
    Set {
        slug: String,
        #[arg(long)]
        refresh_idle_ttl: Option<i64>,
        #[arg(long)]
        refresh_absolute_ttl: Option<i64>,
        #[arg(long)]
        pat_max_ttl: Option<i64>,
        /// The longest a grant policy's or permission check's decision is
        /// reused when the plugin allows it (cache-for): seconds, 0 to call
        /// the plugin every time, or `default` for the server's setting.
        #[arg(long, value_parser = decision_cache_seconds)]
        decision_cache_max_seconds: Option<Reuse>,
        /// Whether clients may register themselves at `{issuer}/register`
        /// (RFC 7591; off unless turned on).
        #[arg(long, value_parser = on_off)]
        dynamic_registration: Option<bool>,
        /// Whether an https client_id names the client's metadata document,
        /// fetched when used (off unless turned on).
        #[arg(long, value_parser = on_off)]
        client_id_metadata_documents: Option<bool>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: TenantCmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        TenantCmd::Create {
            slug,
            alg,
            access_token_ttl,
            max_access_token_ttl,
            json,
        } => {
            create(
                &config,
                slug,
                alg,
                access_token_ttl,
                max_access_token_ttl,
                json,
            )
            .await
        }
        TenantCmd::Set {
            slug,
            refresh_idle_ttl,
            refresh_absolute_ttl,
            pat_max_ttl,
            decision_cache_max_seconds,
            dynamic_registration,
            client_id_metadata_documents,
            json,
        } => {
            let reset = |v: Option<i64>| v.map(|v| (v != 0).then_some(v));
            let changes = crate::admin::TenantLifetimes {
                refresh_idle_ttl: reset(refresh_idle_ttl),
                refresh_absolute_ttl: reset(refresh_absolute_ttl),
                pat_max_ttl: reset(pat_max_ttl),
                decision_cache_max_seconds: decision_cache_max_seconds.map(|r| r.0),
                dynamic_registration,
                client_id_metadata_documents,
            };
            set(&config, slug, changes, json).await
        }
        TenantCmd::List { json } => list(&config, json).await,
    }
}

async fn create(
    config: &Config,
    slug: String,
    alg: String,
    access_token_ttl: Option<i64>,
    max_access_token_ttl: Option<i64>,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let public = config.public_url_or(config.listen);
    let alg = SigningAlg::parse(&alg).map_err(anyhow::Error::msg)?;
    let (tenant, kid) = admin(&config)
        .await?
        .create_tenant(
            &slug,
            alg,
            access_token_ttl,
            max_access_token_ttl,
            super::CLI_ACTOR,
            now,
        )
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

async fn set(
    config: &Config,
    slug: String,
    changes: crate::admin::TenantLifetimes,
    json: bool,
) -> anyhow::Result<()> {
    let t = admin(config)
        .await?
        .set_tenant_lifetimes(&slug, changes)
        .await?;
    print(
        json,
        json!({"slug": t.slug, "refresh_idle_ttl": t.refresh_idle_ttl, "refresh_absolute_ttl": t.refresh_absolute_ttl, "pat_max_ttl": t.pat_max_ttl, "decision_cache_max_seconds": t.decision_cache_max_seconds, "dynamic_registration": t.dynamic_registration, "client_id_metadata_documents": t.client_id_metadata_documents}),
        format!("tenant {} updated", t.slug),
    );
    Ok(())
}

async fn list(config: &Config, json: bool) -> anyhow::Result<()> {
    let public = config.public_url_or(config.listen);
    let store = &open_store(&config).await?;
    let tenants = super::every(
        |p| async move { store.tenants(&p).await },
        |t| t.slug.clone(),
    )
    .await?;
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

/// `--decision-cache-max-seconds`: seconds, or `default` (`None`).
#[derive(Clone, Copy, Debug)]
pub struct Reuse(Option<i64>);

fn decision_cache_seconds(s: &str) -> Result<Reuse, String> {
    if s == "default" {
        return Ok(Reuse(None));
    }
    s.parse::<i64>()
        .map(|n| Reuse(Some(n)))
        .map_err(|_| format!("{s:?} is neither a number of seconds nor `default`"))
}

/// `on` or `off`.
fn on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("{other:?}: say on or off")),
    }
}
