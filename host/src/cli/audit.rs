//! `warden audit …`: a tenant's audit trail.

use super::{open_store, print};
use crate::config::Config;
use clap::Subcommand;
use serde_json::json;

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

pub async fn run(cmd: AuditCmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        AuditCmd::List {
            tenant,
            limit,
            json,
        } => {
            let events = open_store(&config)
                .await?
                .audit_events(&tenant, &crate::store::Page::first(limit.clamp(1, 1000)))
                .await?;
            let events: Vec<_> = events.into_iter().map(|r| r.event).collect();
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
    }
}
