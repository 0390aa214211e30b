//! `warden resource-server …`: a tenant's protected resources (APIs): RFC
//! 8707 audiences, their scopes, the RFC 9396 types they take and their RFC
//! 9728 metadata.

use super::{admin, print, read_input, rows, scope};
use crate::admin::NewResourceServer;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::resource_server::{DetailType, ResourceServer};
use clap::Subcommand;
use serde_json::json;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ResourceServerCmd {
    /// Register an API: tokens for it carry its identifier as `aud`.
    Add {
        #[arg(long)]
        tenant: String,
        /// The resource indicator: an https URI (http only for localhost).
        #[arg(long)]
        identifier: String,
        /// What people and RFC 9728 metadata call it.
        #[arg(long)]
        name: String,
        /// The scopes meaningful there, space-separated (none: any).
        #[arg(long, default_value = "")]
        scopes: String,
        /// A JSON file (`-`: standard input) of the RFC 9396 types it takes:
        /// [{"type", "description" (the consent page's words), "actions"}].
        #[arg(long = "authorization-details-types")]
        types: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// A tenant's resource servers.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a resource server (by its `rs_…` id); requests naming it are
    /// refused from then on.
    Remove {
        #[arg(long)]
        tenant: String,
        id: String,
    },
}

pub async fn run(cmd: ResourceServerCmd, config: Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let admin = admin(&config).await?;
    match cmd {
        ResourceServerCmd::Add {
            tenant,
            identifier,
            name,
            scopes,
            types,
            json,
        } => {
            let authorization_details_types: Vec<DetailType> = match types {
                None => vec![],
                Some(file) => serde_json::from_slice(&read_input(&file)?).map_err(|e| {
                    anyhow::anyhow!(
                        "--authorization-details-types {}: not a JSON array of {{\"type\", \"description\", \"actions\"}}: {e}",
                        file.display()
                    )
                })?,
            };
            let new = NewResourceServer {
                identifier,
                name,
                scopes: scope(&scopes, "--scopes")?,
                authorization_details_types,
            };
            let r = admin
                .register_resource_server(&tenant, new, super::CLI_ACTOR, now)
                .await?;
            print(
                json,
                shown(&r),
                format!(
                    "registered resource server {} ({}) as {}",
                    r.name, r.identifier, r.id
                ),
            );
        }
        ResourceServerCmd::List { tenant, json } => {
            list(&admin.resource_servers(&tenant).await?, json);
        }
        ResourceServerCmd::Remove { tenant, id } => {
            admin
                .remove_resource_server(&tenant, &id, super::CLI_ACTOR, now)
                .await?;
            println!("removed resource server {id}");
        }
    }
    Ok(())
}

fn list(all: &[ResourceServer], json: bool) {
    let lines = all
        .iter()
        .map(|r| {
            let types: Vec<&str> = r
                .authorization_details_types
                .iter()
                .map(|t| t.kind.as_str())
                .collect();
            let scopes = match r.scopes.is_empty() {
                true => "any".to_string(),
                false => r.scopes.to_string(),
            };
            let types = match types.is_empty() {
                true => "none".to_string(),
                false => types.join(", "),
            };
            format!(
                "{}  {}  {}  scopes: {scopes}  types: {types}",
                r.id, r.identifier, r.name
            )
        })
        .collect();
    print(
        json,
        json!(all.iter().map(shown).collect::<Vec<_>>()),
        rows(lines, "no resource servers"),
    );
}

/// As the admin API shows it.
pub fn shown(r: &ResourceServer) -> serde_json::Value {
    json!({
        "id": r.id, "tenant": r.tenant, "identifier": r.identifier, "name": r.name,
        "scopes": r.scopes.to_string(),
        "authorization_details_types": r.authorization_details_types,
        "created_at": r.created_at,
    })
}
