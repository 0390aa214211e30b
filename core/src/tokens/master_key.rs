//! The operator's master key: AES-256-GCM over signing keys at rest.

use base64::Engine;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::SystemRandom;
use std::fmt;

pub struct MasterKey {
    aead: LessSafeKey,
    /// For keys derived per purpose (the CSRF key, say).
    derive: ring::hmac::Key,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot decrypt signing key: the master key is not the one the keys were encrypted with")]
pub struct WrongMasterKey;

impl MasterKey {
    /// Accepts 32 bytes as base64 (standard or URL-safe, padded or not) or 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).ok()
        } else {
            let engines = [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::STANDARD_NO_PAD,
                &base64::engine::general_purpose::URL_SAFE,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ];
            engines.iter().find_map(|e| e.decode(text).ok())
        };
        match bytes {
            Some(b) if b.len() == 32 => Ok(Self::from_bytes(&b)),
            _ => Err("master key must be 32 bytes, written as base64 or 64 hex digits".into()),
        }
    }

    fn from_bytes(b: &[u8]) -> Self {
        MasterKey {
            aead: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, b).expect("32-byte AES key")),
            derive: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b),
        }
    }

    /// A key for `purpose`, the same on every replica sharing this master key
    /// and unrelated to the key that seals data at rest.
    pub fn derive(&self, purpose: &str) -> ring::hmac::Key {
        let tag = ring::hmac::sign(&self.derive, purpose.as_bytes());
        ring::hmac::Key::new(ring::hmac::HMAC_SHA256, tag.as_ref())
    }

    /// A new random key and its base64 text form.
    pub fn generate(rng: &SystemRandom) -> (Self, String) {
        let bytes = super::random_bytes::<32>(rng);
        let text = base64::engine::general_purpose::STANDARD.encode(bytes);
        (Self::from_bytes(&bytes), text)
    }

    /// nonce || ciphertext || tag. `context` (the key id) is bound as AAD so a
    /// ciphertext cannot be moved to another row.
    pub fn seal(&self, context: &str, plaintext: &[u8], rng: &SystemRandom) -> Vec<u8> {
        let nonce = super::random_bytes::<NONCE_LEN>(rng);
        let mut buf = plaintext.to_vec();
        self.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .expect("AES-GCM seal");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, WrongMasterKey> {
        if sealed.len() < NONCE_LEN {
            return Err(WrongMasterKey);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| WrongMasterKey)?;
        let mut buf = ct.to_vec();
        let plain = self
            .aead
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| WrongMasterKey)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_same_key_and_context() {
        let rng = SystemRandom::new();
        let (k, text) = MasterKey::generate(&rng);
        let sealed = k.seal("kid1", b"private", &rng);
        assert_eq!(k.open("kid1", &sealed).unwrap(), b"private");
        assert!(k.open("kid2", &sealed).is_err());
        let (other, _) = MasterKey::generate(&rng);
        assert!(other.open("kid1", &sealed).is_err());
        let again = MasterKey::parse(&text).unwrap();
        assert_eq!(again.open("kid1", &sealed).unwrap(), b"private");
    }

    #[test]
    fn parses_hex_and_rejects_short_keys() {
        assert!(MasterKey::parse(&"ab".repeat(32)).is_ok());
        assert!(MasterKey::parse("c2hvcnQ=").is_err());
        assert!(MasterKey::parse("not base64 !!").is_err());
        assert_eq!(
            format!("{:?}", MasterKey::parse(&"ab".repeat(32)).unwrap()),
            "MasterKey(<redacted>)"
        );
    }
}
