//! `warden resource …`: a tenant's resources (projects, sites, …) that
//! installations are scoped to.

use super::{admin, open_store, print, read_input, rows};
use crate::admin::AdminError;
use crate::apps::AppError;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::store::Resource;
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum ResourceCmd {
    /// Add or rename resources (by type and id) from a JSON array of
    /// {"type", "id", "name"}.
    Put {
        #[arg(long)]
        tenant: String,
        /// The JSON file; `-` reads standard input.
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// A tenant's resources.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a resource; it leaves every installation's selection too.
    Delete {
        #[arg(long)]
        tenant: String,
        /// The resource type (e.g. project).
        #[arg(value_name = "TYPE")]
        kind: String,
        id: String,
    },
}

fn source(file: &Path) -> String {
    if file == Path::new("-") {
        "standard input".into()
    } else {
        file.display().to_string()
    }
}

fn parse(file: &Path, bytes: &[u8]) -> anyhow::Result<Vec<Resource>> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." {
            String::new()
        } else {
            format!("{at}: ")
        };
        anyhow::anyhow!(
            "{}: {at}{} (expected a JSON array of {{\"type\", \"id\", \"name\"}})",
            source(file),
            e.into_inner()
        )
    })
}

fn table(resources: &[Resource]) -> String {
    rows(
        resources
            .iter()
            .map(|r| format!("{}\t{}\t{}", r.kind, r.id, r.name))
            .collect(),
        "no resources",
    )
}

pub async fn run(cmd: ResourceCmd, config: Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        ResourceCmd::Put { tenant, file, json } => {
            let resources = parse(&file, &read_input(&file)?)?;
            let count = resources.len();
            let admin = admin(&config).await?;
            admin
                .put_resources(&tenant, resources)
                .await
                .map_err(|e| match e {
                    // The message names the entry: `[2].type: …`.
                    AppError::Admin(AdminError::Invalid(m)) => {
                        anyhow::anyhow!("{}: {m}", source(&file))
                    }
                    e => e.into(),
                })?;
            let (store, tenant) = (&admin.store, &tenant);
            let all = super::every(
                |p| async move { store.resources(tenant, &p).await },
                |r| (r.kind.clone(), r.id.clone()),
            )
            .await?;
            print(
                json,
                json!(all),
                format!(
                    "put {count} resource(s) in tenant {tenant}; it has {} in all",
                    all.len()
                ),
            );
            Ok(())
        }
        ResourceCmd::List { tenant, json } => {
            let (store, tenant) = (&*open_store(&config).await?, &tenant);
            let resources = super::every(
                |p| async move { crate::apps::list_resources(store, tenant, &p).await },
                |r| (r.kind.clone(), r.id.clone()),
            )
            .await?;
            print(json, json!(resources), table(&resources));
            Ok(())
        }
        ResourceCmd::Delete { tenant, kind, id } => {
            admin(&config)
                .await?
                .delete_resource(&tenant, &kind, &id, now)
                .await?;
            println!(
                "deleted {kind} {id} from tenant {tenant}; no installation selects it any more"
            );
            Ok(())
        }
    }
}
