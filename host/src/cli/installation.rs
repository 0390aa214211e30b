//! `warden installation …`: apps installed in a tenant, their resources,
//! suspensions, upgrades and push credentials.

use super::{admin, open_store, print, rows};
use crate::apps::{InstallRequest, installation_json};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::installation::{Installation, Suspender};

use clap::Subcommand;
use serde_json::{Value, json};
use std::sync::Arc;

/// Who the audit trail and the app's events name for what the CLI does.
use super::CLI_ACTOR;

#[derive(Subcommand)]
pub enum InstallationCmd {
    /// Install the newest version of an app in a tenant: its required
    /// permissions, the optional ones named, a service account and, for a
    /// push app, client credentials (the secret is printed once).
    Create {
        #[arg(long)]
        tenant: String,
        /// The app's slug.
        #[arg(long)]
        app: String,
        /// "all", or a JSON object of resource type to ids: {"project": ["p1"]}.
        #[arg(long, default_value = "all")]
        resources: String,
        /// An optional permission of the app to grant too (repeatable).
        #[arg(long = "optional-permission", value_name = "NAME")]
        optional_permissions: Vec<String>,
        /// Who installs it, for other admins and the audit trail (default: cli).
        #[arg(long)]
        installed_by: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A tenant's installations.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// One installation.
    Show {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Limit the tokens the installation gets per clock hour (`none` lifts it);
    /// over it, token requests get 429 with Retry-After.
    SetQuota {
        #[arg(long)]
        tenant: String,
        id: String,
        /// Tokens per hour (1 to 1000000000), or `none`.
        #[arg(allow_hyphen_values = true)]
        tokens_per_hour: String,
        #[arg(long)]
        json: bool,
    },
    /// What the installation did, day by day: tokens issued, token requests
    /// denied, AuthZEN evaluations (as flushed by the servers, every
    /// usage_flush_ms).
    Usage {
        #[arg(long)]
        tenant: String,
        id: String,
        /// How many days back, today included (1 to 366).
        #[arg(long, default_value_t = 30)]
        days: i64,
        #[arg(long)]
        json: bool,
    },
    /// Uninstall: its credentials and every live token stop working at once,
    /// and its service account leaves the directory.
    Delete {
        #[arg(long)]
        tenant: String,
        id: String,
    },
    /// Replace the installation's resource selection.
    SetResources {
        #[arg(long)]
        tenant: String,
        id: String,
        /// "all", or a JSON object of resource type to ids: {"project": ["p1"]}.
        #[arg(value_name = "JSON")]
        resources: String,
        #[arg(long)]
        json: bool,
    },
    /// Suspend: no tokens, and live ones stop being active, until resumed.
    Suspend {
        #[arg(long)]
        tenant: String,
        id: String,
        /// Which side suspends; only the same side can resume.
        #[arg(long, default_value = "tenant", value_parser = ["tenant", "platform"])]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// Lift a suspension made by the same side.
    Resume {
        #[arg(long)]
        tenant: String,
        id: String,
        /// The side that suspended it.
        #[arg(long, default_value = "tenant", value_parser = ["tenant", "platform"])]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// Approve the pending version: its required permissions, the optional
    /// ones approved before that it still offers, and any named here.
    ApproveUpgrade {
        #[arg(long)]
        tenant: String,
        id: String,
        /// An optional permission of the new version to grant too (repeatable).
        #[arg(long = "optional-permission", value_name = "NAME")]
        optional_permissions: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Decline the pending version: the installation keeps what it has.
    DeclineUpgrade {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// New push credentials (printed once, also sent to the app's hook); the
    /// previous secret keeps working for the overlap.
    RotateSecret {
        #[arg(long)]
        tenant: String,
        id: String,
        /// Seconds the previous secret keeps working (default: secret_rotation_overlap).
        #[arg(long, allow_negative_numbers = true)]
        overlap: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

/// `all` (bare or as JSON) or a JSON object of resource type to ids.
fn selection(text: &str, what: &str) -> anyhow::Result<Value> {
    if text.trim() == "all" {
        return Ok(Value::String("all".into()));
    }
    serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "{what} is not valid JSON ({e}); give \"all\" or an object like '{{\"project\": [\"p1\"]}}'"
        )
    })
}

fn by(side: &str) -> Suspender {
    Suspender::parse(side).unwrap_or(Suspender::Tenant)
}

fn status(i: &Installation) -> String {
    json!(i.status()).as_str().unwrap_or_default().to_string()
}

fn version(i: &Installation) -> String {
    match i.pending_version {
        Some(p) => format!("version {} (version {p} waits for approval)", i.version),
        None => format!("version {}", i.version),
    }
}

fn resources(i: &Installation) -> String {
    i.resources.to_json().to_string()
}

/// One line per installation for `list`.
fn row(i: &Installation) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        i.id,
        i.app,
        version(i),
        status(i),
        i.service_account_name,
        resources(i)
    )
}

/// What `show` prints, and the other commands after a change.
fn describe(i: &Installation) -> String {
    let mut text = format!(
        "installation {} of {} in tenant {}: {}, {}",
        i.id,
        i.app,
        i.tenant,
        status(i),
        version(i)
    );
    if let Some(s) = i.suspended_by {
        text.push_str(&format!("\nsuspended by the {}", s.as_str()));
    }
    if i.awaiting_hook {
        text.push_str("\nwaiting for the app's install hook to answer installation.created: no tokens until it does");
    }
    text.push_str(&format!(
        "\npermissions: {}\nresources: {} (revision {})\nservice account: {} ({})",
        if i.permissions.is_empty() {
            "none".into()
        } else {
            i.permissions.join(" ")
        },
        resources(i),
        i.revision,
        i.service_account_name,
        i.service_account
    ));
    if let Some(c) = &i.client_id {
        text.push_str(&format!("\nclient_id: {c}"));
    }
    text.push_str(&format!("\ninstalled by: {}", i.installed_by));
    text
}

pub async fn run(cmd: InstallationCmd, config: Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        InstallationCmd::Create {
            tenant,
            app,
            resources,
            optional_permissions,
            installed_by,
            json,
        } => {
            create(
                &config,
                tenant,
                app,
                resources,
                optional_permissions,
                installed_by,
                json,
            )
            .await
        }
        InstallationCmd::List { tenant, json } => list(&config, tenant, json).await,
        InstallationCmd::Show { tenant, id, json } => {
            let i = admin(&config).await?.installation(&tenant, &id).await?;
            print(json, installation_json(&i), describe(&i));
            Ok(())
        }
        InstallationCmd::SetQuota {
            tenant,
            id,
            tokens_per_hour,
            json,
        } => set_quota(&config, tenant, id, tokens_per_hour, json).await,
        InstallationCmd::Usage {
            tenant,
            id,
            days,
            json,
        } => usage(&config, tenant, id, days, json).await,
        InstallationCmd::Delete { tenant, id } => uninstall(&config, tenant, id, now).await,
        InstallationCmd::SetResources {
            tenant,
            id,
            resources,
            json,
        } => set_resources(&config, tenant, id, resources, json).await,
        InstallationCmd::Suspend {
            tenant,
            id,
            by: side,
            json,
        } => suspend(&config, tenant, id, side, json, now).await,
        InstallationCmd::Resume {
            tenant,
            id,
            by: side,
            json,
        } => resume(&config, tenant, id, side, json, now).await,
        InstallationCmd::ApproveUpgrade {
            tenant,
            id,
            optional_permissions,
            json,
        } => approve_upgrade(&config, tenant, id, optional_permissions, json).await,
        InstallationCmd::DeclineUpgrade { tenant, id, json } => {
            decline_upgrade(&config, tenant, id, json).await
        }
        InstallationCmd::RotateSecret {
            tenant,
            id,
            overlap,
            json,
        } => rotate_secret(&config, tenant, id, overlap, json).await,
    }
}

async fn uninstall(config: &Config, tenant: String, id: String, now: i64) -> anyhow::Result<()> {
    let i = admin(config)
        .await?
        .uninstall(&tenant, &id, CLI_ACTOR, now)
        .await?;
    println!(
        "uninstalled {} from tenant {tenant} (installation {id}): its credentials and tokens no longer work, and service account {} is gone",
        i.app, i.service_account_name
    );
    Ok(())
}

async fn suspend(
    config: &Config,
    tenant: String,
    id: String,
    side: String,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let i = admin(config)
        .await?
        .suspend(&tenant, &id, by(&side), CLI_ACTOR, now)
        .await?;
    let text = format!(
        "suspended installation {id} of {} (by the {side}): it gets no tokens and its live tokens stop being active; only the {side} can resume it",
        i.app
    );
    print(json, installation_json(&i), text);
    Ok(())
}

async fn resume(
    config: &Config,
    tenant: String,
    id: String,
    side: String,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let i = admin(config)
        .await?
        .resume(&tenant, &id, by(&side), CLI_ACTOR, now)
        .await?;
    let text = format!("resumed installation {id} of {}: {}", i.app, status(&i));
    print(json, installation_json(&i), text);
    Ok(())
}

async fn create(
    config: &Config,
    tenant: String,
    app: String,
    resources: String,
    optional_permissions: Vec<String>,
    installed_by: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let resources = selection(&resources, "--resources")?;
    let actor = installed_by.unwrap_or_else(|| CLI_ACTOR.into());
    if actor.is_empty() || actor.chars().count() > 200 {
        anyhow::bail!("--installed-by: use 1-200 characters");
    }
    let (installation, credentials) = admin(&config)
        .await?
        .install(
            InstallRequest {
                tenant,
                app,
                resources,
                optional_permissions,
                actor,
            },
            now,
        )
        .await?;
    let mut value = installation_json(&installation);
    let mut text = format!(
        "installed {}\n{}",
        installation.app,
        describe(&installation)
    );
    if let Some((_, secret)) = credentials {
        text.push_str(&format!(
                    "\nclient_secret: {}\n(the secret is shown only now, and sent to the app's hook; store it safely)",
                    secret.0
                ));
        value["client_secret"] = secret.0.into();
    }
    print(json, value, text);
    Ok(())
}

async fn list(config: &Config, tenant: String, json: bool) -> anyhow::Result<()> {
    let (store, tenant) = (&*open_store(config).await?, &tenant);
    let list = super::every(
        |p| async move { crate::apps::list_installations(store, tenant, &p).await },
        |i| (i.created_at, i.id.clone()),
    )
    .await?;
    print(
        json,
        json!(list.iter().map(installation_json).collect::<Vec<_>>()),
        rows(list.iter().map(row).collect(), "no installations"),
    );
    Ok(())
}

async fn set_quota(
    config: &Config,
    tenant: String,
    id: String,
    tokens_per_hour: String,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let quota = match tokens_per_hour.as_str() {
        "none" => None,
        n => Some(n.parse::<i64>().map_err(|_| {
            anyhow::anyhow!("tokens per hour must be a number or `none` (got {n:?})")
        })?),
    };
    let i = admin(&config)
        .await?
        .set_installation_quota(&tenant, &id, quota, CLI_ACTOR, now)
        .await?;
    let text = match quota {
        Some(q) => format!("installation {id} may get {q} tokens per hour"),
        None => format!("installation {id} has no hourly quota"),
    };
    print(json, installation_json(&i), text);
    Ok(())
}

async fn usage(
    config: &Config,
    tenant: String,
    id: String,
    days: i64,
    json: bool,
) -> anyhow::Result<()> {
    if !(1..=crate::usage::MAX_DAYS).contains(&days) {
        anyhow::bail!("--days must be between 1 and {}", crate::usage::MAX_DAYS);
    }
    let admin = admin(&config).await?;
    admin.installation(&tenant, &id).await?;
    let usage = crate::usage::Usage::new(admin.store.clone(), Arc::new(SystemClock));
    let report = serde_json::json!(usage.report(&id, days).await?);
    let mut text: Vec<String> = report["days"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["tokens"] != 0 || d["denied"] != 0 || d["evaluations"] != 0)
        .map(|d| {
            format!(
                "{}\t{} tokens\t{} denied\t{} evaluations",
                d["date"].as_str().unwrap_or_default(),
                d["tokens"],
                d["denied"],
                d["evaluations"]
            )
        })
        .collect();
    let t = &report["totals"];
    text.push(format!(
        "last {days} days: {} tokens, {} denied, {} evaluations",
        t["tokens"], t["denied"], t["evaluations"]
    ));
    print(json, report, text.join("\n"));
    Ok(())
}

async fn set_resources(
    config: &Config,
    tenant: String,
    id: String,
    resources: String,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let resources = selection(&resources, "the selection")?;
    let i = admin(&config)
        .await?
        .set_installation_resources(&tenant, &id, &resources, CLI_ACTOR, now)
        .await?;
    let text = format!(
        "installation {id} now selects {} (revision {})",
        self::resources(&i),
        i.revision
    );
    print(json, installation_json(&i), text);
    Ok(())
}

async fn approve_upgrade(
    config: &Config,
    tenant: String,
    id: String,
    optional_permissions: Vec<String>,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let i = admin(&config)
        .await?
        .approve_upgrade(&tenant, &id, &optional_permissions, CLI_ACTOR, now)
        .await?;
    let text = format!(
        "installation {id} of {} approved version {}: {}, permissions {}",
        i.app,
        i.version,
        status(&i),
        i.permissions.join(" ")
    );
    print(json, installation_json(&i), text);
    Ok(())
}

async fn decline_upgrade(
    config: &Config,
    tenant: String,
    id: String,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let i = admin(&config)
        .await?
        .decline_upgrade(&tenant, &id, CLI_ACTOR, now)
        .await?;
    let text = format!(
        "declined the upgrade of installation {id} of {}: it stays at version {} ({})",
        i.app,
        i.version,
        status(&i)
    );
    print(json, installation_json(&i), text);
    Ok(())
}

async fn rotate_secret(
    config: &Config,
    tenant: String,
    id: String,
    overlap: Option<i64>,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let overlap = overlap.unwrap_or(config.secret_rotation_overlap);
    let (client_id, secret, until) = admin(&config)
        .await?
        .rotate_installation_secret(&tenant, &id, overlap, CLI_ACTOR, now)
        .await?;
    print(
        json,
        json!({"client_id": client_id, "client_secret": secret.0, "previous_secret_expires_at": until}),
        format!(
            "new client_secret for {client_id}: {}\n(shown only now, and sent to the app's hook; the previous secret works for {overlap} more seconds)",
            secret.0
        ),
    );
    Ok(())
}
