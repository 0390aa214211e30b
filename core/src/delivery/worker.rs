//! The outbox worker: claims due deliveries (leased, so replicas and restarts
//! never lose or double-claim one), sends each signed, and records the
//! outcome — delivered, retry later with exponential backoff, or dead-lettered
//! with an audit record once out of attempts.

use super::{SIGNATURE_HEADER, open, secret_context, sign, standard_webhooks};
use crate::clock::Clock;
use crate::store::{AuditEvent, Delivery, DeliveryOutcome, Store};
use crate::tokens::master_key::MasterKey;
use std::sync::Arc;
use std::time::Duration;

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Deliveries claimed per round.
const BATCH: i64 = 16;

#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: i64,
    /// Wait after the first failure; doubled after each further one.
    pub backoff: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How often the outbox is polled.
    pub poll: Duration,
}

impl WorkerOptions {
    /// How long a claimed delivery stays leased: the request's timeout plus a
    /// margin. A process killed mid-send frees its rows when this passes.
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(5)
    }

    fn backoff_after(&self, attempts: i64) -> Duration {
        let doublings = attempts.clamp(1, 30) as u32 - 1;
        self.backoff
            .saturating_mul(1u32 << doublings.min(20))
            .min(MAX_BACKOFF)
    }
}

/// The outbox poller of a running server.
pub struct Running {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops polling once the deliveries under way are sent and recorded, or
    /// after `within` (an unfinished one is leased and sent again later).
    /// Returns whether it stopped in time.
    pub async fn stop(self, within: Duration) -> bool {
        let _ = self.stop.send(true);
        tokio::time::timeout(within, self.task).await.is_ok()
    }
}

pub struct Worker {
    store: Arc<dyn Store>,
    master: Arc<MasterKey>,
    clock: Arc<dyn Clock>,
    options: WorkerOptions,
    http: reqwest::Client,
    /// Warden's Ed25519 webhook key, loaded on first use.
    webhook_key: tokio::sync::OnceCell<Option<ring::signature::Ed25519KeyPair>>,
}

impl Worker {
    pub fn new(
        store: Arc<dyn Store>,
        master: Arc<MasterKey>,
        clock: Arc<dyn Clock>,
        options: WorkerOptions,
    ) -> anyhow::Result<Arc<Self>> {
        let http = crate::outbound::client_builder()
            .timeout(options.timeout)
            // A redirect could lead outside the allowed origins.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("warden/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the delivery HTTP client: {e}"))?;
        Ok(Arc::new(Worker {
            store,
            master,
            clock,
            options,
            http,
            webhook_key: tokio::sync::OnceCell::new(),
        }))
    }

    /// Polls the outbox until the returned handle is stopped.
    pub fn spawn(self: &Arc<Self>) -> Running {
        let me = self.clone();
        let (stop, mut stopping) = tokio::sync::watch::channel(false);
        let task =
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(me.options.poll);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = stopping.changed() => return,
                    }
                    // Keep going while full batches come back; a batch under way
                    // is finished (and its outcomes recorded) before a stop.
                    while let Ok(n) = me.run_once().await.inspect_err(
                        |e| tracing::warn!(error = %e, "cannot read the delivery outbox"),
                    ) {
                        if n < BATCH as usize || *stopping.borrow() {
                            break;
                        }
                    }
                }
            });
        Running { stop, task }
    }

    /// Claims and attempts one batch. Returns how many were attempted.
    pub async fn run_once(&self) -> Result<usize, crate::store::StoreError> {
        let now_ms = self.clock.now_ms();
        let lease = self.options.lease().as_millis() as i64;
        let claimed = self.store.claim_deliveries(now_ms, lease, BATCH).await?;
        let n = claimed.len();
        let attempts = claimed.into_iter().map(|d| async move {
            let outcome = self.attempt(&d).await;
            if let Err(e) = self.store.finish_delivery(&d.id, &outcome).await {
                // The lease runs out and the delivery is tried again.
                tracing::warn!(delivery = %d.id, error = %e, "cannot record delivery outcome");
            }
        });
        futures_util::future::join_all(attempts).await;
        Ok(n)
    }

    async fn attempt(&self, d: &Delivery) -> DeliveryOutcome {
        let result = self.send(d).await;
        let now = self.clock.now();
        match result {
            Ok(status) => {
                crate::metrics::delivery("delivered");
                tracing::info!(delivery = %d.id, tenant = %d.tenant, event = %d.event, url = %d.url, status, attempt = d.attempts, "credential delivery delivered");
                DeliveryOutcome::Delivered { at: now }
            }
            Err(error) if d.attempts >= self.options.max_attempts => {
                crate::metrics::delivery("dead_lettered");
                tracing::error!(delivery = %d.id, tenant = %d.tenant, event = %d.event, url = %d.url, attempt = d.attempts, %error, "credential delivery dead-lettered");
                let detail = serde_json::json!({
                    "delivery": d.id, "event": d.event, "event_id": d.event_id, "client_id": d.client_id,
                    "url": d.url, "attempts": d.attempts, "last_error": error,
                });
                let audit = AuditEvent {
                    tenant: d.tenant.clone(),
                    action: "delivery.dead_lettered".into(),
                    detail: detail.to_string(),
                    created_at: now,
                };
                DeliveryOutcome::Dead {
                    at: now,
                    error,
                    audit,
                }
            }
            Err(error) => {
                crate::metrics::delivery("failed");
                let wait = self.options.backoff_after(d.attempts);
                tracing::warn!(delivery = %d.id, tenant = %d.tenant, url = %d.url, attempt = d.attempts, retry_in_ms = wait.as_millis() as u64, %error, "credential delivery failed; will retry");
                DeliveryOutcome::Retry {
                    next_attempt_ms: self.clock.now_ms() + wait.as_millis() as i64,
                    error,
                }
            }
        }
    }

    /// One signed POST. The error text names what went wrong, never the
    /// request's headers or body.
    async fn send(&self, d: &Delivery) -> Result<u16, String> {
        let request = open(d, &self.master).map_err(str::to_string)?;
        let (sealed, context) = match &d.app {
            Some(app) => (
                self.store.app_webhook_secrets(app).await,
                super::app_secret_context(app),
            ),
            None => (
                self.store.delivery_secrets(&d.tenant).await,
                secret_context(&d.tenant),
            ),
        };
        let sealed = sealed
            .map_err(|_| "cannot read the signing secret".to_string())?
            .ok_or("no delivery signing secret")?;
        let timestamp = self.clock.now();
        let secrets = sealed
            .signing(timestamp)
            .into_iter()
            .map(|s| self.master.open(&context, s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| "the delivery signing secret cannot be opened")?;
        let secrets: Vec<&[u8]> = secrets.iter().map(|s| s.as_slice()).collect();
        let mut builder = self.http.post(&request.url);
        builder = match &d.app {
            // An app's hook: Standard Webhooks, the same webhook-id on every retry.
            Some(_) => {
                let mut signature =
                    standard_webhooks::sign(&secrets, &d.id, timestamp, &request.body)
                        .ok_or("the app's webhook secret is malformed")?;
                // And Warden's own Ed25519 signature, which no secret holder can forge.
                let key = self
                    .webhook_key
                    .get_or_try_init(|| super::webhook_keys::signer(&*self.store, &self.master))
                    .await?;
                if let Some(key) = key {
                    signature.push(' ');
                    signature.push_str(&super::webhook_keys::sign(
                        key,
                        &d.id,
                        timestamp,
                        &request.body,
                    ));
                }
                builder
                    .header(standard_webhooks::ID_HEADER, &d.id)
                    .header(standard_webhooks::TIMESTAMP_HEADER, timestamp.to_string())
                    .header(standard_webhooks::SIGNATURE_HEADER, signature)
            }
            None => builder.header(SIGNATURE_HEADER, sign(&secrets, timestamp, &request.body)),
        };
        let mut has_content_type = false;
        for (name, value) in &request.headers {
            has_content_type |= name == "content-type";
            builder = builder.header(name, value);
        }
        if !has_content_type {
            builder = builder.header("content-type", "application/json");
        }
        let response = builder
            .header("idempotency-key", &d.id)
            .header("warden-event", &d.event)
            .header("warden-event-id", &d.event_id)
            .header("warden-delivery-attempt", d.attempts.to_string())
            .body(request.body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status();
        if status.is_success() {
            Ok(status.as_u16())
        } else {
            Err(format!("receiver answered HTTP {}", status.as_u16()))
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "redirected (not followed)"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut cause = String::new();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        what.into()
    } else {
        format!("{what}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let o = WorkerOptions {
            max_attempts: 10,
            backoff: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
        };
        assert_eq!(o.backoff_after(1), Duration::from_secs(5));
        assert_eq!(o.backoff_after(2), Duration::from_secs(10));
        assert_eq!(o.backoff_after(4), Duration::from_secs(40));
        assert_eq!(o.backoff_after(30), MAX_BACKOFF);
    }
}
