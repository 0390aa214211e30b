//! `warden keys …`: signing keys and the master key.

use super::{admin, print};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::SigningAlg;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Make a new signing key active; the old one stays in JWKS until its tokens expire.
    Rotate {
        #[arg(long)]
        tenant: String,
        /// Switch algorithm (ES256, EdDSA, RS256); default: keep the tenant's.
        #[arg(long)]
        alg: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print a fresh random master key (base64) for WARDEN_MASTER_KEY.
    NewMasterKey,
}

pub async fn run(cmd: KeysCmd, config: Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        KeysCmd::Rotate { tenant, alg, json } => {
            let alg = alg
                .as_deref()
                .map(SigningAlg::parse)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let (kid, alg, until) = admin(&config)
                .await?
                .rotate_signing_key(&tenant, alg, super::CLI_ACTOR, now)
                .await?;
            print(
                json,
                json!({"tenant": tenant, "kid": kid, "alg": alg, "previous_key_published_until": until}),
                format!(
                    "tenant {tenant} now signs with {kid} ({alg}); the previous key stays in JWKS until {until}"
                ),
            );
            Ok(())
        }
        KeysCmd::NewMasterKey => {
            let (_, text) =
                crate::tokens::master_key::MasterKey::generate(&ring::rand::SystemRandom::new());
            println!("{text}");
            Ok(())
        }
    }
}
