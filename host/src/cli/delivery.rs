//! `warden delivery …`: the credential-delivery outbox.

use super::{admin, open_store, print};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use clap::Subcommand;
use serde_json::json;

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
    /// Queue one of the tenant's dead-lettered deliveries again, with a
    /// fresh attempt count (audited as `delivery.retried`).
    Retry {
        #[arg(long)]
        tenant: String,
        id: String,
    },
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

pub async fn run(cmd: DeliveryCmd, config: Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        DeliveryCmd::List {
            tenant,
            limit,
            json,
        } => {
            let deliveries = open_store(&config)
                .await?
                .deliveries(&tenant, &crate::store::Page::first(limit.clamp(1, 1000)))
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
        DeliveryCmd::Retry { tenant, id } => {
            admin(&config)
                .await?
                .retry_delivery(&tenant, &id, super::CLI_ACTOR, SystemClock.now_ms())
                .await?;
            println!("delivery {id} is queued again");
            Ok(())
        }
        DeliveryCmd::RotateSecret {
            tenant,
            overlap,
            json,
        } => {
            let (secret, until) = admin(&config)
                .await?
                .rotate_delivery_secret(&tenant, overlap, super::CLI_ACTOR, now)
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
    }
}
