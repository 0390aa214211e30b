//! Credential delivery: the outbox rows a credential change queues, and the
//! worker that sends them signed, retried with backoff and dead-lettered.

mod signature;
pub mod standard_webhooks;
pub mod webhook_keys;
mod worker;

pub use signature::{SIGNATURE_HEADER, sign};
pub use worker::{Running, Worker, WorkerOptions};

use crate::plugins::credential_delivery::{CredentialEvent, DeliveryRequest};
use crate::store::Delivery;
use crate::tokens::master_key::MasterKey;
use crate::tokens::{b64url, random_bytes};
use ring::rand::SystemRandom;

/// Prefix of delivery signing secrets.
pub const SIGNING_SECRET_PREFIX: &str = "whsec_";

/// The AAD an app's webhook signing secret is sealed under.
pub fn app_secret_context(app: &str) -> String {
    format!("app-webhook-secret:{app}")
}

/// The AAD a tenant's signing secret is sealed under.
pub fn secret_context(tenant: &str) -> String {
    format!("delivery-secret:{tenant}")
}

/// What every outbox row of one event shares.
pub struct EventRows<'a> {
    pub event_id: &'a str,
    /// `credentials.created`, `installation.created`, …
    pub event: &'a str,
    pub tenant: &'a str,
    pub client_id: &'a str,
    /// Set for an app's lifecycle event (signed with the app's secret).
    pub app: Option<&'a str>,
    pub installation_id: Option<&'a str>,
    pub sequence: Option<i64>,
}

impl<'a> EventRows<'a> {
    /// A client's credential event, for the tenant's own hook.
    pub fn of_credential(event: &'a CredentialEvent) -> Self {
        EventRows {
            event_id: &event.event_id,
            event: event.kind.event_name(),
            tenant: &event.tenant,
            client_id: &event.client_id,
            app: None,
            installation_id: None,
            sequence: None,
        }
    }
}

/// Outbox rows for the plugin's deliveries, requests sealed under the master
/// key (they may carry the new client secret). The row id doubles as the
/// idempotency key (and an app's `webhook-id`): stable across every retry,
/// unique per delivery.
pub fn queue(
    requests: Vec<DeliveryRequest>,
    of: &EventRows<'_>,
    master: &MasterKey,
    rng: &SystemRandom,
    now: i64,
) -> Vec<Delivery> {
    requests
        .into_iter()
        .enumerate()
        .map(|(i, request)| {
            let id = format!("{}.{i}", of.event_id);
            let plain = serde_json::to_vec(&request).expect("delivery request serialises");
            Delivery {
                request: Some(master.seal(&id, &plain, rng)),
                event_id: of.event_id.into(),
                event: of.event.into(),
                tenant: of.tenant.into(),
                client_id: of.client_id.into(),
                url: request.url,
                status: "pending".into(),
                attempts: 0,
                next_attempt_ms: now * 1000,
                last_error: None,
                created_at: now,
                finished_at: None,
                app: of.app.map(str::to_string),
                installation_id: of.installation_id.map(str::to_string),
                sequence: of.sequence,
                id,
            }
        })
        .collect()
}

/// A fresh event id: `evt_` and 128 random bits.
pub fn new_event_id(rng: &SystemRandom) -> String {
    format!("evt_{}", b64url(&random_bytes::<16>(rng)))
}

/// The request a queued delivery will send, or why it cannot be read.
pub fn open(delivery: &Delivery, master: &MasterKey) -> Result<DeliveryRequest, &'static str> {
    let sealed = delivery
        .request
        .as_deref()
        .ok_or("the request was already discarded")?;
    let plain = master
        .open(&delivery.id, sealed)
        .map_err(|_| "the request cannot be decrypted with this master key")?;
    serde_json::from_slice(&plain).map_err(|_| "the stored request is corrupt")
}
