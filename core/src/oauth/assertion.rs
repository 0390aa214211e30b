//! `private_key_jwt` client authentication (RFC 7523 §2.2, OIDC Core §9): the
//! client signs a short JWT with a key it registered (`use: sig` in its JWK
//! Set) and sends it as `client_assertion`. Every refusal is `invalid_client`
//! with a description that says what to fix — never which key material matched.

use super::{ErrorCode, OAuthError};
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Longest an assertion may live (`exp` − now): replay protection keeps its
/// `jti` that long.
pub const MAX_LIFETIME: i64 = 3600;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
const LEEWAY: i64 = 60;

/// The signing algorithms accepted, as advertised in discovery.
pub const ALGORITHMS: &[&str] = &[
    "ES256", "ES384", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
];

fn refused(why: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, why.into())
}

/// The claims of an assertion that passed every check.
#[derive(Debug)]
pub struct Verified {
    pub jti: String,
    pub exp: i64,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<serde_json::Value>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
}

/// Who an assertion says it is (`iss`), read before its signature is
/// checked so the right keys can be found.
pub fn claimed_client(assertion: &str) -> Result<String, OAuthError> {
    let payload = assertion
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|p| serde_json::from_slice::<Claims>(&p).ok())
        .ok_or_else(|| refused("client_assertion is not a JWT"))?;
    payload
        .iss
        .ok_or_else(|| refused("client_assertion has no iss (it must be your client_id)"))
}

fn algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        _ => return None,
    })
}

/// Whether `jwk` is a public signing key that can check `alg`.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    let signing = jwk
        .common
        .public_key_use
        .as_ref()
        .is_none_or(|u| *u == jsonwebtoken::jwk::PublicKeyUse::Signature);
    let kind = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => p.curve == EllipticCurve::P256,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES384) => p.curve == EllipticCurve::P384,
        (AlgorithmParameters::OctetKeyPair(p), Algorithm::EdDSA) => {
            p.curve == EllipticCurve::Ed25519
        }
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        _ => false,
    };
    signing && kind
}

/// Checks `assertion` for `client_id`: signed by one of `jwks`' signing keys
/// with an accepted algorithm, `iss` and `sub` the client, `aud` one of
/// `audiences` (the issuer or its token endpoint), unexpired, at most
/// `MAX_LIFETIME` long, with a `jti`. Replay is the caller's check.
pub fn verify(
    assertion: &str,
    client_id: &str,
    jwks: &serde_json::Value,
    audiences: &[String],
    now: i64,
) -> Result<Verified, OAuthError> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| {
        refused(format!(
            "client_assertion header is malformed or its alg is not one of {} (none and HMAC are refused)",
            ALGORITHMS.join(", ")
        ))
    })?;
    let name = format!("{:?}", header.alg);
    let alg = algorithm(&name).ok_or_else(|| {
        refused(format!(
            "client_assertion alg {name} is refused; use one of {}",
            ALGORITHMS.join(", ")
        ))
    })?;
    let set: JwkSet = serde_json::from_value(jwks.clone())
        .map_err(|_| refused("the client's registered keys cannot be read"))?;
    let candidates: Vec<&Jwk> = set
        .keys
        .iter()
        .filter(|k| fits(k, alg))
        .filter(|k| header.kid.is_none() || k.common.key_id == header.kid)
        .collect();
    if candidates.is_empty() {
        return Err(refused(match &header.kid {
            Some(kid) => format!("no registered signing key has kid {kid:?} for alg {name}"),
            None => format!("no registered signing key fits alg {name}"),
        }));
    }
    let mut validation = Validation::new(alg);
    // Time is checked below against the server's clock; audience too.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = candidates
        .iter()
        .filter_map(|k| DecodingKey::from_jwk(k).ok())
        .find_map(|key| jsonwebtoken::decode::<Claims>(assertion, &key, &validation).ok())
        .ok_or_else(|| {
            refused("client_assertion signature does not verify with the client's registered keys")
        })?
        .claims;
    if claims.iss.as_deref() != Some(client_id) || claims.sub.as_deref() != Some(client_id) {
        return Err(refused(format!(
            "client_assertion iss and sub must both be the client_id {client_id:?}"
        )));
    }
    let aud_ok = match &claims.aud {
        Some(serde_json::Value::String(a)) => audiences.contains(a),
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .any(|a| a.as_str().is_some_and(|a| audiences.iter().any(|x| x == a))),
        _ => false,
    };
    if !aud_ok {
        return Err(refused(format!(
            "client_assertion aud must be the issuer or the token endpoint ({})",
            audiences.join(" or ")
        )));
    }
    let exp = claims
        .exp
        .ok_or_else(|| refused("client_assertion has no exp"))?;
    // Saturating: the numbers are the client's, any i64 at all.
    if exp.saturating_add(LEEWAY) < now {
        return Err(refused("client_assertion has expired; sign a fresh one"));
    }
    if exp.saturating_sub(now) > MAX_LIFETIME {
        return Err(refused(format!(
            "client_assertion lives too long: exp may be at most {MAX_LIFETIME} seconds ahead"
        )));
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf.saturating_sub(LEEWAY) > now)
        || claims
            .iat
            .is_some_and(|iat| iat.saturating_sub(LEEWAY) > now)
    {
        return Err(refused(
            "client_assertion is not valid yet (nbf or iat in the future)",
        ));
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| {
            refused("client_assertion needs a jti (unique per assertion, at most 256 characters)")
        })?;
    Ok(Verified { jti, exp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};
    use serde_json::{Value, json};

    fn b64(bytes: &[u8]) -> String {
        crate::tokens::b64url(bytes)
    }

    fn signed(key: &Ed25519KeyPair, header: Value, claims: Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        format!("{input}.{}", b64(key.sign(input.as_bytes()).as_ref()))
    }

    #[test]
    fn eddsa_keys_verify_and_nothing_else_passes() {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let jwks = |use_: &str| {
            json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64(key.public_key().as_ref()),
                             "use": use_, "kid": "k1"}]})
        };
        let aud = vec!["https://id.example/t/acme/token".to_string()];
        let claims = json!({"iss": "app", "sub": "app", "aud": aud[0], "exp": 1060, "jti": "j1"});
        let jwt = signed(&key, json!({"alg": "EdDSA", "kid": "k1"}), claims.clone());
        let now = 1000;
        assert_eq!(
            verify(&jwt, "app", &jwks("sig"), &aud, now).unwrap().jti,
            "j1"
        );
        let refused = |jwt: &str, client: &str, keys: Value| {
            verify(jwt, client, &keys, &aud, now)
                .unwrap_err()
                .description
                .to_string()
        };
        assert!(refused(&jwt, "app", jwks("enc")).contains("no registered signing key"));
        let other_kid = signed(&key, json!({"alg": "EdDSA", "kid": "k2"}), claims.clone());
        assert!(refused(&other_kid, "app", jwks("sig")).contains("kid"));
        assert!(refused(&jwt, "someone-else", jwks("sig")).contains("iss and sub"));
        // The client's numbers may be anything an i64 holds: no overflow.
        let extreme = signed(
            &key,
            json!({"alg": "EdDSA"}),
            json!({"iss": "app", "sub": "app", "aud": aud[0], "exp": i64::MAX, "nbf": i64::MIN, "jti": "j2"}),
        );
        assert!(refused(&extreme, "app", jwks("sig")).contains("too long"));
        let past = signed(
            &key,
            json!({"alg": "EdDSA"}),
            json!({"iss": "app", "sub": "app", "aud": aud[0], "exp": i64::MIN, "jti": "j3"}),
        );
        assert!(refused(&past, "app", jwks("sig")).contains("expired"));
    }
}
