//! Warden's Ed25519 keys for Standard Webhooks' asymmetric signatures
//! (`v1a,<base64 signature>` over the same "{id}.{timestamp}.{body}" as
//! `v1`). An app's shared secret lets its holder verify and forge; these let
//! anyone verify and only Warden sign. Public keys are published at
//! `{public_url}/.well-known/webhook-keys` (as `whpk_…` and as JWKs).

use crate::store::{Store, StoreError, WebhookKey};
use crate::tokens::master_key::MasterKey;
use crate::tokens::{b64url, random_bytes};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{Value, json};

fn context(kid: &str) -> String {
    format!("webhook-signing-key:{kid}")
}

/// Creates the first key unless one exists (at start; replicas starting at
/// once may each add one: every key is published, the newest signs).
pub async fn ensure(
    store: &dyn Store,
    master: &MasterKey,
    rng: &SystemRandom,
    now: i64,
) -> Result<(), StoreError> {
    if !store.webhook_signing_keys().await?.is_empty() {
        return Ok(());
    }
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(rng)
        .map_err(|_| StoreError::Corrupt("cannot generate an Ed25519 key".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| StoreError::Corrupt("bad Ed25519 key".into()))?;
    let kid = format!("whk_{}", b64url(&random_bytes::<9>(rng)));
    let key = WebhookKey {
        private_key: master.seal(&context(&kid), pkcs8.as_ref(), rng),
        public_key: pair.public_key().as_ref().to_vec(),
        created_at: now,
        kid,
    };
    store.create_webhook_signing_key(&key).await
}

/// The newest key, ready to sign.
pub async fn signer(
    store: &dyn Store,
    master: &MasterKey,
) -> Result<Option<Ed25519KeyPair>, String> {
    let keys = store
        .webhook_signing_keys()
        .await
        .map_err(|e| e.to_string())?;
    let Some(k) = keys.first() else {
        return Ok(None);
    };
    let pkcs8 = master
        .open(&context(&k.kid), &k.private_key)
        .map_err(|_| "the webhook signing key cannot be opened with this master key".to_string())?;
    Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map(Some)
        .map_err(|_| "the webhook signing key is corrupt".to_string())
}

/// The `v1a` signature of one message.
pub fn sign(key: &Ed25519KeyPair, id: &str, timestamp: i64, body: &str) -> String {
    let sig = key.sign(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1a,{}", STANDARD.encode(sig.as_ref()))
}

/// The published document: every key, as `whpk_…` and as an OKP JWK.
pub fn published(keys: &[WebhookKey]) -> Value {
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "kid": k.kid,
                "public_key": format!("whpk_{}", STANDARD.encode(&k.public_key)),
                "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url(&k.public_key), "kid": k.kid,
                        "use": "sig", "alg": "EdDSA"},
                "created_at": k.created_at,
            })
        })
        .collect();
    json!({ "keys": keys })
}
