//! `warden app …`: the app registry (manifests, versions, webhook secrets).

use super::{admin, open_store, print, read_input, rows};
use crate::apps::{AppError, app_json};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::store::{AppVersion, StoreError};
use clap::Subcommand;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum AppCmd {
    /// Register an app from its manifest (version 1); prints its webhook
    /// signing secret once.
    Register {
        /// The manifest (JSON; `-` reads standard input).
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The newest version of every registered app.
    List {
        #[arg(long)]
        json: bool,
    },
    /// The catalog a tenant's admin sees: listed apps (and installed ones),
    /// what each asks for, and whether and how it is installed there.
    Catalog {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// An app's newest manifest and its versions.
    Show {
        slug: String,
        #[arg(long)]
        json: bool,
    },
    /// Publish a changed manifest as the app's next version. Installations
    /// follow at once unless it asks for more; then they wait for approval.
    Publish {
        slug: String,
        /// The manifest (JSON; `-` reads standard input).
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Replace the app's webhook signing secret (printed once); the old one
    /// co-signs deliveries for the overlap.
    RotateWebhookSecret {
        slug: String,
        /// Seconds the previous secret keeps signing (0 to 604800).
        #[arg(long, allow_negative_numbers = true, default_value_t = crate::admin::DEFAULT_SIGNING_SECRET_OVERLAP)]
        overlap: i64,
        #[arg(long)]
        json: bool,
    },
}

/// A manifest error names the file, the field and what is wrong with it.
fn manifest_error(file: &Path, e: AppError) -> anyhow::Error {
    match e {
        AppError::Manifest(m) => {
            let file = if file == Path::new("-") {
                "standard input".to_string()
            } else {
                file.display().to_string()
            };
            anyhow::anyhow!("invalid manifest in {file}: {}: {}", m.field, m.message)
        }
        e => e.into(),
    }
}

fn summary(v: &AppVersion) -> String {
    let m = &v.manifest;
    format!(
        "{}\tversion {}\t{}\t{}\t{} permission(s)",
        v.app,
        v.version,
        m.name,
        m.publisher.name,
        m.permissions.len()
    )
}

pub async fn run(cmd: AppCmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        AppCmd::Register { file, json } => register(&config, file, json).await,
        AppCmd::List { json } => {
            let store = &open_store(&config).await?;
            let apps =
                super::every(|p| async move { store.apps(&p).await }, |a| a.app.clone()).await?;
            print(
                json,
                json!(apps.iter().map(app_json).collect::<Vec<_>>()),
                rows(apps.iter().map(summary).collect(), "no apps"),
            );
            Ok(())
        }
        AppCmd::Catalog { tenant, json } => catalog(&config, tenant, json).await,
        AppCmd::Show { slug, json } => show(&config, slug, json).await,
        AppCmd::Publish { slug, file, json } => publish(&config, slug, file, json).await,
        AppCmd::RotateWebhookSecret {
            slug,
            overlap,
            json,
        } => rotate_webhook_secret(&config, slug, overlap, json).await,
    }
}

async fn register(config: &Config, file: PathBuf, json: bool) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let manifest = read_input(&file)?;
    let (version, secret) = admin(&config)
        .await?
        .register_app(&manifest, now)
        .await
        .map_err(|e| manifest_error(&file, e))?;
    let mut value = app_json(&version);
    value["webhook_secret"] = secret.0.clone().into();
    let warnings = crate::apps::registration_warnings(&version.manifest);
    value["warnings"] = json!(warnings);
    let mut text = format!(
        "registered app {} ({}), version 1\nwebhook signing secret: {}\n(shown only now; the app verifies the Standard Webhooks signatures of its events with it)",
        version.app, version.manifest.name, secret.0
    );
    for w in &warnings {
        text.push_str(&format!("\nwarning: {w}"));
    }
    print(json, value, text);
    Ok(())
}

async fn catalog(config: &Config, tenant: String, json: bool) -> anyhow::Result<()> {
    let entries: Vec<Value> = (admin(&config).await?.catalog(&tenant).await?)
        .iter()
        .map(|e| json!(e))
        .collect();
    let text = entries
        .iter()
        .map(|e| {
            let status = match &e["installation"] {
                Value::Null => "not installed".to_string(),
                i => format!(
                    "installed ({}, version {})",
                    i["status"].as_str().unwrap_or_default(),
                    i["version"]
                ),
            };
            format!(
                "{}\t{} by {}, version {}\t{status}",
                e["slug"].as_str().unwrap_or_default(),
                e["name"].as_str().unwrap_or_default(),
                e["publisher"]["name"].as_str().unwrap_or_default(),
                e["version"]
            )
        })
        .collect();
    print(json, json!(entries), rows(text, "no apps in the catalog"));
    Ok(())
}

async fn show(config: &Config, slug: String, json: bool) -> anyhow::Result<()> {
    let versions = open_store(&config).await?.app_versions(&slug).await?;
    let Some(latest) = versions.last() else {
        return Err(StoreError::NotFound("app").into());
    };
    let mut value = app_json(latest);
    value["versions"] = versions
        .iter()
        .map(|v| json!({"version": v.version, "created_at": v.created_at}))
        .collect();
    let m = &latest.manifest;
    let mut text = format!(
        "{} ({}) by {}, version {} of {}\nhook: {}\ncredentials: {}",
        latest.app,
        m.name,
        m.publisher.name,
        latest.version,
        versions.len(),
        m.hook_url,
        json!(m.credentials).as_str().unwrap_or_default(),
    );
    for t in &m.resource_types {
        text.push_str(&format!("\nresource type {}: {}", t.kind, t.name));
    }
    for p in &m.permissions {
        let level = match &p.resource_type {
            Some(t) => format!("on {t}"),
            None => "tenant".into(),
        };
        let optional = if p.required { "" } else { ", optional" };
        text.push_str(&format!(
            "\npermission {} ({level}{optional}): {}",
            p.name, p.description
        ));
    }
    print(json, value, text);
    Ok(())
}

async fn publish(config: &Config, slug: String, file: PathBuf, json: bool) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let manifest = read_input(&file)?;
    let admin = admin(&config).await?;
    let (version, new) = admin
        .publish_app_version(&slug, &manifest, now)
        .await
        .map_err(|e| manifest_error(&file, e))?;
    let text = if new {
        let installations = admin.store.app_installations(&slug).await?;
        let waiting = installations
            .iter()
            .filter(|i| i.pending_version == Some(version.version))
            .count();
        let moved = installations
            .iter()
            .filter(|i| i.version == version.version)
            .count();
        format!(
            "published {slug} version {}: {moved} installation(s) moved to it, {waiting} wait for their admin's approval (upgrade_pending)",
            version.version
        )
    } else {
        format!(
            "{slug} is unchanged: version {} already has this manifest; nothing published",
            version.version
        )
    };
    print(json, app_json(&version), text);
    Ok(())
}

async fn rotate_webhook_secret(
    config: &Config,
    slug: String,
    overlap: i64,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let (secret, until) = admin(&config)
        .await?
        .rotate_app_webhook_secret(&slug, overlap, now)
        .await?;
    print(
        json,
        json!({"webhook_secret": secret.0, "previous_secret_signs_until": until}),
        format!(
            "new webhook signing secret for {slug}: {}\n(shown only now; the previous secret also signs events for {overlap} more seconds)",
            secret.0
        ),
    );
    Ok(())
}
