//! `warden legacy …`: the legacy sunset (policy, marks, exemptions, report).

use super::{admin, print};
use crate::admin::Admin;
use crate::clock::{Clock, SystemClock, rfc3339};
use crate::legacy::{BrownoutRequest, PolicyRequest};
use clap::Subcommand;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Subcommand)]
pub enum LegacyCmd {
    /// Set the platform-wide sunset of legacy credentials. Times are Unix
    /// seconds or RFC 3339 (2027-03-24 or 2027-03-24T00:00:00Z).
    Policy {
        #[arg(long)]
        sunset_at: String,
        /// From then on, tokens carry Deprecation and Sunset headers.
        #[arg(long)]
        warn_from: Option<String>,
        /// What integrators should do, shown in every warning and refusal.
        #[arg(long)]
        message: String,
        #[arg(long)]
        migration_url: Option<String>,
        /// A window (FROM/UNTIL) before the sunset when legacy clients are refused already (repeatable).
        #[arg(long = "brownout")]
        brownouts: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Mark a tenant-created client legacy, optionally naming the app that replaces it.
    Mark {
        client_id: String,
        #[arg(long)]
        replaced_by: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Take the legacy mark off a client.
    Unmark { client_id: String },
    /// Let a tenant keep its legacy credentials until a date.
    Exempt {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        until: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// Lift a tenant's exemption.
    Unexempt {
        #[arg(long)]
        tenant: String,
    },
    /// Every tenant still holding legacy credentials: last use, uses in 30
    /// days, the replacing app and whether it is installed.
    Report {
        #[arg(long)]
        json: bool,
    },
}

fn time(s: &str) -> Value {
    match s.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => json!(s),
    }
}

pub async fn run(cmd: LegacyCmd, config: crate::config::Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let admin = admin(&config).await?;
    match cmd {
        LegacyCmd::Policy {
            sunset_at,
            warn_from,
            message,
            migration_url,
            brownouts,
            json,
        } => {
            let policy = PolicyArgs {
                sunset_at,
                warn_from,
                message,
                migration_url,
                brownouts,
            };
            set_policy(&admin, policy, json, now).await?;
        }
        LegacyCmd::Mark {
            client_id,
            replaced_by,
            json,
        } => {
            let mark = admin.mark_legacy(&client_id, replaced_by, now).await?;
            let text = format!("client {client_id} is legacy");
            print(json, json!(mark), text);
        }
        LegacyCmd::Unmark { client_id } => {
            admin.unmark_legacy(&client_id, now).await?;
            println!("client {client_id} is no longer legacy");
        }
        LegacyCmd::Exempt {
            tenant,
            until,
            reason,
            json,
        } => {
            let e = admin
                .exempt_tenant(&tenant, &time(&until), reason, now)
                .await?;
            let text = format!(
                "tenant {tenant} keeps its legacy credentials until {}",
                rfc3339(e.until)
            );
            print(json, json!(e), text);
        }
        LegacyCmd::Unexempt { tenant } => {
            admin.lift_exemption(&tenant, now).await?;
            println!("tenant {tenant} has no exemption");
        }
        LegacyCmd::Report { json } => report(&admin, json, now).await?,
    }
    Ok(())
}

/// `legacy policy`'s arguments, as given.
struct PolicyArgs {
    sunset_at: String,
    warn_from: Option<String>,
    message: String,
    migration_url: Option<String>,
    brownouts: Vec<String>,
}

async fn set_policy(admin: &Admin, p: PolicyArgs, json: bool, now: i64) -> anyhow::Result<()> {
    let brownouts = p
        .brownouts
        .iter()
        .map(|b| {
            let (from, until) = b.split_once('/').ok_or_else(|| {
                anyhow::anyhow!("--brownout {b:?}: write FROM/UNTIL, e.g. 2027-03-01T09:00:00Z/2027-03-01T10:00:00Z")
            })?;
            Ok(BrownoutRequest { from: time(from), until: time(until) })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let policy = admin
        .set_legacy_policy(
            PolicyRequest {
                sunset_at: time(&p.sunset_at),
                warn_from: p.warn_from.as_deref().map(time),
                message: p.message,
                migration_url: p.migration_url,
                brownouts,
            },
            now,
        )
        .await?;
    let text = format!(
        "legacy credentials stop working at {}{}; {} brownout(s)",
        rfc3339(policy.sunset_at),
        policy
            .warn_from
            .map(|w| format!(", with warnings from {}", rfc3339(w)))
            .unwrap_or_default(),
        policy.brownouts.len()
    );
    print(json, json!(policy), text);
    Ok(())
}

/// Who still uses legacy credentials, from the counts the servers stored
/// (each flushes every usage_flush_ms).
async fn report(admin: &Admin, json: bool, now: i64) -> anyhow::Result<()> {
    let usage = crate::usage::Usage::new(admin.store.clone(), Arc::new(SystemClock));
    let report = serde_json::json!(admin.legacy_report(&usage, now).await?);
    let mut lines = vec![];
    for t in report["tenants"].as_array().into_iter().flatten() {
        for c in t["clients"].as_array().into_iter().flatten() {
            let last = c["last_used_at"]
                .as_i64()
                .map(rfc3339)
                .unwrap_or_else(|| "never".into());
            let replaced = match (
                c["replaced_by"].as_str(),
                c["replacement_installed"].as_bool(),
            ) {
                (Some(app), Some(true)) => format!("replaced by {app} (installed)"),
                (Some(app), _) => format!("replaced by {app} (not installed)"),
                _ => "no replacement named".into(),
            };
            lines.push(format!(
                "{}\t{}\t{} uses in 30 days, last {last}\t{replaced}",
                t["tenant"].as_str().unwrap_or_default(),
                c["client_id"].as_str().unwrap_or_default(),
                c["uses_30d"]
            ));
        }
    }
    let text = if lines.is_empty() {
        "no legacy clients".into()
    } else {
        lines.join("\n")
    };
    print(json, report, text);
    Ok(())
}
