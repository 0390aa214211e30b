//! Token material: secrets and their hashes, the master key, signing keys,
//! JWT minting and verification.

pub mod jwe;
pub mod jwt;
pub mod keys;
pub mod master_key;
pub mod password;
pub mod secret;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `n` random bytes from the system CSPRNG.
pub fn random_bytes<const N: usize>(rng: &SystemRandom) -> [u8; N] {
    let mut out = [0u8; N];
    rng.fill(&mut out)
        .expect("system random number generator failed");
    out
}
