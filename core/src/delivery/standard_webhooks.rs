//! Standard Webhooks signatures (standardwebhooks.com), for deliveries to an
//! app's hook: `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{webhook-id}.{webhook-timestamp}.{body}">`, keyed by the base64-decoded
//! part of the `whsec_` secret after its prefix, so a receiver verifies with
//! the `standardwebhooks` package unchanged. During a rotation's overlap one
//! signature per secret is sent, space-separated (the current one first).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// The secret's key bytes, or `None` if it is not a `whsec_` base64 secret.
fn key(secret: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(secret).ok()?;
    STANDARD.decode(text.strip_prefix("whsec_")?).ok()
}

/// The `webhook-signature` header value for one message.
pub fn sign(secrets: &[&[u8]], id: &str, timestamp: i64, body: &str) -> Option<String> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &key(secret)?);
        let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
        signatures.push(format!("v1,{}", STANDARD.encode(tag.as_ref())));
    }
    Some(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_specifications_example() {
        // The example in the Standard Webhooks specification's README.
        let secret = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(sign(&[b"not-a-secret"], "m", 1, "{}").is_none());
    }
}
