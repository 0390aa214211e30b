//! JWE (RFC 7516) compact encryption to an app's public key, so a pushed
//! client secret is readable only by the app: `alg: ECDH-ES` (direct key
//! agreement, RFC 7518 §4.6) with `enc: A256GCM`, to an X25519 (RFC 8037) or
//! P-256 key from the app's JWK Set. Stock JOSE libraries decrypt it.

use super::b64url;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::{aead, agreement, digest};
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum JweError {
    #[error("the app's JWK Set has no usable encryption key (X25519 or P-256 with use \"enc\")")]
    NoKey,
    #[error("the app's encryption key is malformed")]
    BadKey,
}

/// The first key of `jwks` to encrypt to: `use: enc` (or no `use`), X25519
/// or P-256. Returns the curve, the public key bytes and the key's `kid`.
fn pick(
    jwks: &Value,
) -> Result<(&'static agreement::Algorithm, Vec<u8>, Option<String>), JweError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JweError::NoKey)?;
    for k in keys {
        if k.get("use")
            .and_then(Value::as_str)
            .is_some_and(|u| u != "enc")
        {
            continue;
        }
        let field = |name: &str| {
            k.get(name)
                .and_then(Value::as_str)
                .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
        };
        let kid = k.get("kid").and_then(Value::as_str).map(str::to_string);
        match (
            k.get("kty").and_then(Value::as_str),
            k.get("crv").and_then(Value::as_str),
        ) {
            (Some("OKP"), Some("X25519")) => {
                let x = field("x")
                    .filter(|x| x.len() == 32)
                    .ok_or(JweError::BadKey)?;
                return Ok((&agreement::X25519, x, kid));
            }
            (Some("EC"), Some("P-256")) => {
                let (x, y) = (field("x"), field("y"));
                let (Some(x), Some(y)) = (x, y) else {
                    return Err(JweError::BadKey);
                };
                if x.len() != 32 || y.len() != 32 {
                    return Err(JweError::BadKey);
                }
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                return Ok((&agreement::ECDH_P256, point, kid));
            }
            _ => continue,
        }
    }
    Err(JweError::NoKey)
}

/// Whether `jwks` holds a key `encrypt` can use.
pub fn has_encryption_key(jwks: &Value) -> bool {
    pick(jwks).is_ok()
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
    let (alg, peer, kid) = pick(jwks)?;
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
        &agreement::UnparsedPublicKey::new(alg, &peer),
        |z| concat_kdf(z, "A256GCM", b"", b"", 256),
    )
    .map_err(|_| JweError::BadKey)?;
    let mut header = json!({"alg": "ECDH-ES", "enc": "A256GCM", "epk": epk, "cty": "json"});
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    let protected = b64url(header.to_string().as_bytes());
    let iv = super::random_bytes::<12>(rng);
    let key = aead::LessSafeKey::new(
        aead::UnboundKey::new(&aead::AES_256_GCM, &cek).map_err(|_| JweError::BadKey)?,
    );
    let mut buf = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(iv),
            aead::Aad::from(protected.as_bytes()),
            &mut buf,
        )
        .map_err(|_| JweError::BadKey)?;
    Ok(format!(
        "{protected}..{}.{}.{}",
        b64url(&iv),
        b64url(&buf),
        b64url(tag.as_ref())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(!has_encryption_key(
            &json!({"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]})
        ));
    }
}
