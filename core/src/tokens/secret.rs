//! High-entropy secrets (client secrets, later refresh tokens and PATs):
//! 256 bits, shown once, stored as SHA-256, compared in constant time.
//! A slow hash buys nothing for 256-bit random values and costs throughput.

use ring::digest::{SHA256, digest};
use ring::rand::SystemRandom;
use subtle::ConstantTimeEq;

/// A fresh secret: `prefix` + 43 base64url characters (256 bits).
/// The prefix lets secret scanners recognise leaked Warden credentials.
pub fn generate(prefix: &str, rng: &SystemRandom) -> String {
    format!("{prefix}{}", super::b64url(&super::random_bytes::<32>(rng)))
}

pub fn hash(secret: &str) -> [u8; 32] {
    digest(&SHA256, secret.as_bytes())
        .as_ref()
        .try_into()
        .expect("SHA-256 is 32 bytes")
}

/// Constant-time check of a presented secret against a stored hash.
pub fn verify(presented: &str, stored_hash: &[u8; 32]) -> bool {
    hash(presented).ct_eq(stored_hash).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_distinct_and_verify() {
        let rng = SystemRandom::new();
        let a = generate("wsec_", &rng);
        let b = generate("wsec_", &rng);
        assert_ne!(a, b);
        assert_eq!(a.len(), 5 + 43);
        assert!(verify(&a, &hash(&a)));
        assert!(!verify(&b, &hash(&a)));
    }
}
