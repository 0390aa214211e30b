//! JWE (RFC 7516) compact encryption to an app's public key, so a pushed
//! client secret is readable only by the app, with `enc: A256GCM` and, by the
//! key's type: `alg: RSA-OAEP-256` to an RSA key (RFC 7518 §4.3), or
//! `ECDH-ES` (direct key agreement, §4.6) to an X25519 (RFC 8037) or P-256
//! key. Stock JOSE libraries decrypt it.

use super::b64url;
use crate::domain::manifest::{EncryptionKey, encryption_key};
use ring::rand::SystemRandom;
use ring::{aead, agreement, digest};
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum JweError {
    #[error(
        "the app's JWK Set has no usable encryption key (RSA, X25519 or P-256 with use \"enc\")"
    )]
    NoKey,
    #[error("the app's encryption key is malformed")]
    BadKey,
}

/// The first key of `jwks` to encrypt to: `use: enc` (or no `use`) and of a
/// kind Warden encrypts to, with the key's `kid`.
fn pick(jwks: &Value) -> Result<(EncryptionKey, Option<String>), JweError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JweError::NoKey)?;
    keys.iter()
        .filter(|k| {
            k.get("use")
                .and_then(Value::as_str)
                .is_none_or(|u| u == "enc")
        })
        .find_map(|k| {
            let kid = k.get("kid").and_then(Value::as_str).map(str::to_string);
            encryption_key(k).ok().flatten().map(|key| (key, kid))
        })
        .ok_or(JweError::NoKey)
}

/// Whether `jwks` asks for secrets to be encrypted: it holds a key marked
/// `use: enc`, or an unmarked one Warden can encrypt to. Such an app never
/// gets a secret in clear.
pub fn wants_encryption(jwks: &Value) -> bool {
    pick(jwks).is_ok()
        || jwks
            .get("keys")
            .and_then(Value::as_array)
            .is_some_and(|keys| {
                keys.iter()
                    .any(|k| k.get("use").and_then(Value::as_str) == Some("enc"))
            })
}

/// RFC 7518 §4.6.2 Concat KDF: `bits` (at most 256) of key from Z.
fn concat_kdf(z: &[u8], enc: &str, apu: &[u8], apv: &[u8], bits: u32) -> Vec<u8> {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&1u32.to_be_bytes());
    ctx.update(z);
    for part in [enc.as_bytes(), apu, apv] {
        ctx.update(&(part.len() as u32).to_be_bytes());
        ctx.update(part);
    }
    ctx.update(&bits.to_be_bytes());
    ctx.finish().as_ref()[..(bits / 8) as usize].to_vec()
}

/// Encrypts `plaintext` to the app's key: a JWE in compact serialisation.
pub fn encrypt(jwks: &Value, plaintext: &[u8], rng: &SystemRandom) -> Result<String, JweError> {
    let (key, kid) = pick(jwks)?;
    let (mut header, cek, encrypted_key) = match key {
        EncryptionKey::Rsa { n, e } => {
            let cek = super::random_bytes::<32>(rng).to_vec();
            let public = rsa::PublicKey::new_with_size_limits(
                rsa::BoxedUint::from_be_slice_vartime(&n),
                rsa::BoxedUint::from_be_slice_vartime(&e),
                2048..=8192,
            )
            .map_err(|_| JweError::BadKey)?;
            let wrapped = public
                .encrypt(
                    &mut rand::rng(),
                    rsa::Oaep::<rsa::sha2::Sha256>::new(),
                    &cek,
                )
                .map_err(|_| JweError::BadKey)?;
            (json!({"alg": "RSA-OAEP-256"}), cek, b64url(&wrapped))
        }
        EncryptionKey::X25519(peer) => {
            let (epk, cek) = agree(&agreement::X25519, &peer, rng)?;
            (json!({"alg": "ECDH-ES", "epk": epk}), cek, String::new())
        }
        EncryptionKey::P256(peer) => {
            let (epk, cek) = agree(&agreement::ECDH_P256, &peer, rng)?;
            (json!({"alg": "ECDH-ES", "epk": epk}), cek, String::new())
        }
    };
    header["enc"] = "A256GCM".into();
    header["cty"] = "json".into();
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    let protected = b64url(header.to_string().as_bytes());
    let iv = super::random_bytes::<12>(rng);
    let aead_key = aead::LessSafeKey::new(
        aead::UnboundKey::new(&aead::AES_256_GCM, &cek).map_err(|_| JweError::BadKey)?,
    );
    let mut buf = plaintext.to_vec();
    let tag = aead_key
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(iv),
            aead::Aad::from(protected.as_bytes()),
            &mut buf,
        )
        .map_err(|_| JweError::BadKey)?;
    Ok(format!(
        "{protected}.{encrypted_key}.{}.{}.{}",
        b64url(&iv),
        b64url(&buf),
        b64url(tag.as_ref())
    ))
}

/// ECDH-ES key agreement with an ephemeral key: the `epk` header and the CEK.
fn agree(
    alg: &'static agreement::Algorithm,
    peer: &[u8],
    rng: &SystemRandom,
) -> Result<(Value, Vec<u8>), JweError> {
    let ephemeral =
        agreement::EphemeralPrivateKey::generate(alg, rng).map_err(|_| JweError::BadKey)?;
    let public = ephemeral
        .compute_public_key()
        .map_err(|_| JweError::BadKey)?;
    let epk = if alg == &agreement::X25519 {
        json!({"kty": "OKP", "crv": "X25519", "x": b64url(public.as_ref())})
    } else {
        let p = public.as_ref();
        json!({"kty": "EC", "crv": "P-256", "x": b64url(&p[1..33]), "y": b64url(&p[33..65])})
    };
    let cek = agreement::agree_ephemeral(
        ephemeral,
        &agreement::UnparsedPublicKey::new(alg, peer),
        |z| concat_kdf(z, "A256GCM", b"", b"", 256),
    )
    .map_err(|_| JweError::BadKey)?;
    Ok((epk, cek))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn kdf_matches_rfc7518_appendix_c() {
        let z: [u8; 32] = [
            158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49,
            110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
        ];
        let key = concat_kdf(&z, "A128GCM", b"Alice", b"Bob", 128);
        assert_eq!(b64url(&key), "VqqN6vgjbSBcIijNcacQGg");
    }

    #[test]
    fn encrypts_to_x25519_and_p256_and_refuses_bad_sets() {
        let rng = SystemRandom::new();
        let x = b64url(&[9u8; 32]);
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "use": "sig"},
                                   {"kty": "OKP", "crv": "X25519", "x": x, "kid": "enc-1"}]});
        let jwe = encrypt(&jwks, b"{\"a\":1}", &rng).unwrap();
        let parts: Vec<&str> = jwe.split('.').collect();
        assert_eq!(parts.len(), 5);
        assert!(parts[1].is_empty(), "direct agreement: no encrypted key");
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "ECDH-ES");
        assert_eq!(header["kid"], "enc-1");
        assert_eq!(header["epk"]["crv"], "X25519");
        assert_eq!(
            encrypt(&json!({"keys": []}), b"x", &rng),
            Err(JweError::NoKey)
        );
        // A malformed RSA key is no key to encrypt to; marked `enc`, it still
        // means the app wants nothing in clear.
        let bad_rsa = json!({"keys": [{"kty": "RSA", "n": "x", "e": "AQAB", "use": "enc"}]});
        assert_eq!(encrypt(&bad_rsa, b"x", &rng), Err(JweError::NoKey));
        assert!(wants_encryption(&bad_rsa));
        assert!(!wants_encryption(
            &json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "use": "sig"}]})
        ));
    }

    #[test]
    fn encrypts_to_rsa_with_oaep_sha256() {
        use rsa::traits::PublicKeyParts;
        let rng = SystemRandom::new();
        let private = rsa::PrivateKey::new(&mut rand::rng(), 2048).unwrap();
        let jwks = json!({"keys": [{"kty": "RSA", "use": "enc", "alg": "RSA-OAEP-256",
            "n": b64url(&private.n_bytes()), "e": b64url(&private.e_bytes()), "kid": "r1"}]});
        let jwe = encrypt(&jwks, b"{\"client_secret\":\"s\"}", &rng).unwrap();
        let parts: Vec<&str> = jwe.split('.').collect();
        assert_eq!(parts.len(), 5);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RSA-OAEP-256");
        assert_eq!(header["enc"], "A256GCM");
        assert_eq!(header["kid"], "r1");
        let cek = private
            .decrypt(
                rsa::Oaep::<rsa::sha2::Sha256>::new(),
                &URL_SAFE_NO_PAD.decode(parts[1]).unwrap(),
            )
            .unwrap();
        assert_eq!(cek.len(), 32);
    }
}
