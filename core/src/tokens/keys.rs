//! Per-tenant signing keys: generation, encryption at rest, JWK export and the
//! parsed in-memory forms used to sign and verify.

use super::b64url;
use super::master_key::{MasterKey, WrongMasterKey};
use crate::domain::SigningAlg;
use crate::store::StoredKey;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::{Value, json};
use std::fmt;

/// A private key ready to sign; parsed once, then reused for every token.
pub enum Signer {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(RsaKeyPair),
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(<private key>)")
    }
}

impl Signer {
    pub fn sign(&self, msg: &[u8], rng: &SystemRandom) -> Vec<u8> {
        match self {
            Signer::Es256(k) => k.sign(rng, msg).expect("ECDSA sign").as_ref().to_vec(),
            Signer::EdDsa(k) => k.sign(msg).as_ref().to_vec(),
            Signer::Rs256(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, rng, msg, &mut sig)
                    .expect("RSA sign");
                sig
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    WrongMasterKey(#[from] WrongMasterKey),
    #[error("stored signing key {kid} is unusable: {why}")]
    Unusable { kid: String, why: String },
}

/// Generates a key for `alg`, returning the stored form (private half sealed).
pub fn generate(
    tenant: &str,
    alg: SigningAlg,
    now: i64,
    master: &MasterKey,
    rng: &SystemRandom,
) -> StoredKey {
    let (pkcs8, jwk) = match alg {
        SigningAlg::ES256 => {
            let doc =
                EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, rng)
                    .expect("P-256 key generation");
            let pair = EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                doc.as_ref(),
                rng,
            )
            .expect("freshly generated P-256 key parses");
            let point = pair.public_key().as_ref(); // 0x04 || x || y
            let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64url(&point[1..33]), "y": b64url(&point[33..65])});
            (doc.as_ref().to_vec(), jwk)
        }
        SigningAlg::EdDSA => {
            let doc = Ed25519KeyPair::generate_pkcs8(rng).expect("Ed25519 key generation");
            let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).expect("fresh Ed25519 key parses");
            let jwk =
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64url(pair.public_key().as_ref())});
            (doc.as_ref().to_vec(), jwk)
        }
        SigningAlg::RS256 => {
            use rsa::pkcs8::EncodePrivateKey;
            use rsa::traits::PublicKeyParts;
            let key = rsa::PrivateKey::new(&mut rand::rng(), 2048).expect("RSA key generation");
            let der = key.to_pkcs8_der().expect("RSA key encodes as PKCS#8");
            let jwk =
                json!({"kty": "RSA", "n": b64url(&key.n_bytes()), "e": b64url(&key.e_bytes())});
            (der.as_bytes().to_vec(), jwk)
        }
    };
    let kid = thumbprint(&jwk);
    let mut public = jwk;
    public["kid"] = json!(kid);
    public["alg"] = json!(alg.as_str());
    public["use"] = json!("sig");
    StoredKey {
        private_key: master.seal(&kid, &pkcs8, rng),
        kid,
        tenant: tenant.to_string(),
        alg: alg.as_str().to_string(),
        public_jwk: public.to_string(),
        created_at: now,
        retired_at: None,
        publish_until: None,
    }
}

/// RFC 7638 JWK thumbprint: SHA-256 over the required members in lexical order.
fn thumbprint(jwk: &Value) -> String {
    let canonical = match jwk["kty"].as_str() {
        Some("EC") => format!(
            r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
            jwk["crv"], jwk["x"], jwk["y"]
        ),
        Some("OKP") => format!(r#"{{"crv":{},"kty":"OKP","x":{}}}"#, jwk["crv"], jwk["x"]),
        _ => format!(r#"{{"e":{},"kty":"RSA","n":{}}}"#, jwk["e"], jwk["n"]),
    };
    b64url(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref())
}

/// Decrypts and parses a stored private key.
pub fn load_signer(
    key: &StoredKey,
    master: &MasterKey,
    rng: &SystemRandom,
) -> Result<Signer, KeyError> {
    let der = master.open(&key.kid, &key.private_key)?;
    let unusable = |why: String| KeyError::Unusable {
        kid: key.kid.clone(),
        why,
    };
    match SigningAlg::parse(&key.alg).map_err(unusable)? {
        SigningAlg::ES256 => {
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, rng)
                .map(Signer::Es256)
                .map_err(|e| unusable(e.to_string()))
        }
        SigningAlg::EdDSA => Ed25519KeyPair::from_pkcs8(&der)
            .map(Signer::EdDsa)
            .map_err(|e| unusable(e.to_string())),
        SigningAlg::RS256 => RsaKeyPair::from_pkcs8(&der)
            .map(Signer::Rs256)
            .map_err(|e| unusable(e.to_string())),
    }
}

/// A public key for verifying tokens this server signed.
pub struct Verifier {
    pub kid: String,
    pub alg: jsonwebtoken::Algorithm,
    pub key: jsonwebtoken::DecodingKey,
}

pub fn load_verifier(key: &StoredKey) -> Result<Verifier, KeyError> {
    let unusable = |why: String| KeyError::Unusable {
        kid: key.kid.clone(),
        why,
    };
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_str(&key.public_jwk).map_err(|e| unusable(e.to_string()))?;
    let alg = match SigningAlg::parse(&key.alg).map_err(unusable)? {
        SigningAlg::ES256 => jsonwebtoken::Algorithm::ES256,
        SigningAlg::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        SigningAlg::RS256 => jsonwebtoken::Algorithm::RS256,
    };
    Ok(Verifier {
        kid: key.kid.clone(),
        alg,
        key: jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| unusable(e.to_string()))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_generates_loads_and_has_a_thumbprint_kid() {
        let rng = SystemRandom::new();
        let (master, _) = MasterKey::generate(&rng);
        for alg in [SigningAlg::ES256, SigningAlg::EdDSA, SigningAlg::RS256] {
            let k = generate("t", alg, 0, &master, &rng);
            assert_eq!(k.kid.len(), 43);
            let signer = load_signer(&k, &master, &rng).unwrap();
            assert!(!signer.sign(b"x", &rng).is_empty());
            load_verifier(&k).unwrap();
            assert!(
                !k.public_jwk.contains("\"d\""),
                "public JWK must not hold private parts"
            );
        }
    }

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = json!({"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        assert_eq!(
            thumbprint(&jwk),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
