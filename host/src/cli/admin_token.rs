//! `warden admin-token …`: named, scoped tokens for the admin API.

use super::{admin, print, rows, words};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::admin_scope::AdminScope;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub enum AdminTokenCmd {
    /// Create a token; it is printed once. Every token may read.
    Create {
        name: String,
        /// Write scopes, comma-separated: tenants, apps, plugins, keys (none: read-only).
        #[arg(long, default_value = "")]
        scopes: String,
        #[arg(long)]
        json: bool,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Replace a token; the old one keeps working for --overlap seconds.
    Rotate {
        name: String,
        #[arg(long, default_value_t = 3600)]
        overlap: i64,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token on every replica at once.
    Revoke { name: String },
}

pub async fn run(cmd: AdminTokenCmd, config: Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let admin = admin(&config).await?;
    match cmd {
        AdminTokenCmd::Create { name, scopes, json } => {
            let scopes = words(&scopes)
                .iter()
                .map(|s| AdminScope::parse(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)?;
            let (record, token) = admin.create_admin_token(&name, &scopes, now).await?;
            print(
                json,
                json!({"name": record.name, "scopes": record.scopes, "token": token}),
                format!(
                    "admin token {name} ({}):\n{token}\nIt is shown this once; send it as Authorization: Bearer <token>.",
                    record.scopes
                ),
            );
        }
        AdminTokenCmd::List { json } => {
            let tokens = admin.admin_tokens().await?;
            let value = json!(
                tokens
                    .iter()
                    .map(|t| json!({
                        "name": t.name, "scopes": t.scopes, "created_at": t.created_at,
                        "rotated_at": t.rotated_at, "previous_until": t.previous_until,
                        "revoked_at": t.revoked_at,
                    }))
                    .collect::<Vec<_>>()
            );
            let lines = tokens
                .iter()
                .map(|t| {
                    let state = if t.revoked_at.is_some() {
                        " (revoked)"
                    } else {
                        ""
                    };
                    format!("{}  {}{state}", t.name, t.scopes)
                })
                .collect();
            print(json, value, rows(lines, "no admin tokens"));
        }
        AdminTokenCmd::Rotate {
            name,
            overlap,
            json,
        } => {
            let token = admin.rotate_admin_token(&name, overlap, now).await?;
            print(
                json,
                json!({"name": name, "token": token, "previous_until": now + overlap}),
                format!(
                    "admin token {name} rotated:\n{token}\nThe previous one works for {overlap} s more."
                ),
            );
        }
        AdminTokenCmd::Revoke { name } => {
            admin.revoke_admin_token(&name, now).await?;
            println!("admin token {name} revoked");
        }
    }
    Ok(())
}
