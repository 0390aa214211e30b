//! RFC 9068 JWT access tokens. Minting uses a key parsed once (hot path);
//! verification uses `jsonwebtoken` against the tenant's published keys.

use super::b64url;
use super::keys::{Signer, Verifier};
use ring::rand::SystemRandom;
use serde::Serialize;
use serde_json::{Map, Value};

/// The active signing key of a tenant with its JOSE header pre-encoded.
#[derive(Debug)]
pub struct ActiveKey {
    signer: Signer,
    header_b64: String,
    /// The header of OpenID Connect ID tokens (`typ: JWT`).
    id_header_b64: String,
    pub alg: String,
}

impl ActiveKey {
    pub fn new(kid: String, alg: &str, signer: Signer) -> Self {
        let header = serde_json::json!({"alg": alg, "kid": kid, "typ": "at+jwt"});
        let id_header = serde_json::json!({"alg": alg, "kid": kid, "typ": "JWT"});
        ActiveKey {
            header_b64: b64url(header.to_string().as_bytes()),
            id_header_b64: b64url(id_header.to_string().as_bytes()),
            alg: alg.to_string(),
            signer,
        }
    }
}

/// Signs an OpenID Connect ID token with the tenant's active key.
pub fn mint_id_token(key: &ActiveKey, claims: &Value, rng: &SystemRandom) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    let mut token = format!("{}.{}", key.id_header_b64, b64url(&payload));
    let sig = key.signer.sign(token.as_bytes(), rng);
    token.push('.');
    token.push_str(&b64url(&sig));
    token
}

/// OIDC Core §3.1.3.6 `at_hash`: the left half of the hash of the access
/// token, with the hash the signing algorithm uses (SHA-512 for Ed25519).
pub fn at_hash(key: &ActiveKey, access_token: &str) -> String {
    let alg = if key.alg == "EdDSA" {
        &ring::digest::SHA512
    } else {
        &ring::digest::SHA256
    };
    let d = ring::digest::digest(alg, access_token.as_bytes());
    b64url(&d.as_ref()[..d.as_ref().len() / 2])
}

#[derive(Debug, Serialize)]
pub struct AccessClaims<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    /// A single audience is a string, several an array (RFC 7519 §4.1.3).
    #[serde(serialize_with = "one_or_many")]
    pub aud: &'a [String],
    pub exp: i64,
    pub iat: i64,
    pub jti: &'a str,
    pub client_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub scope: &'a str,
    #[serde(flatten)]
    pub extra: &'a Map<String, Value>,
}

fn one_or_many<S: serde::Serializer>(aud: &&[String], s: S) -> Result<S::Ok, S::Error> {
    match aud {
        [one] => s.serialize_str(one),
        many => many.serialize(s),
    }
}

pub fn mint(key: &ActiveKey, claims: &AccessClaims<'_>, rng: &SystemRandom) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    let mut token = String::with_capacity(key.header_b64.len() + payload.len() * 4 / 3 + 100);
    token.push_str(&key.header_b64);
    token.push('.');
    token.push_str(&b64url(&payload));
    let sig = key.signer.sign(token.as_bytes(), rng);
    token.push('.');
    token.push_str(&b64url(&sig));
    token
}

/// Why a token did not verify; callers only ever say "inactive", this is for logs.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    Malformed,
    UnknownKey,
    BadSignature,
    WrongType,
    Expired,
}

/// Checks signature, `typ`, issuer and expiry; returns the claims.
pub fn verify(
    token: &str,
    verifiers: &[Verifier],
    issuer: &str,
    now: i64,
) -> Result<Map<String, Value>, Rejected> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejected::Malformed)?;
    if header.typ.as_deref() != Some("at+jwt") {
        return Err(Rejected::WrongType);
    }
    let kid = header.kid.ok_or(Rejected::UnknownKey)?;
    let v = verifiers
        .iter()
        .find(|v| v.kid == kid)
        .ok_or(Rejected::UnknownKey)?;
    if header.alg != v.alg {
        return Err(Rejected::BadSignature);
    }
    let mut validation = jsonwebtoken::Validation::new(v.alg);
    validation.validate_exp = false; // checked below against the injected clock
    validation.validate_aud = false;
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "jti"]);
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &v.key, &validation).map_err(
        |e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => Rejected::BadSignature,
            _ => Rejected::Malformed,
        },
    )?;
    let exp = data
        .claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(Rejected::Malformed)?;
    if exp <= now {
        return Err(Rejected::Expired);
    }
    Ok(data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SigningAlg;
    use crate::tokens::keys;
    use crate::tokens::master_key::MasterKey;

    #[test]
    fn minted_tokens_verify_until_they_expire_and_only_with_their_issuer() {
        let rng = SystemRandom::new();
        let (master, _) = MasterKey::generate(&rng);
        for alg in [SigningAlg::ES256, SigningAlg::EdDSA, SigningAlg::RS256] {
            let stored = keys::generate("t", alg, 0, &master, &rng);
            let active = ActiveKey::new(
                stored.kid.clone(),
                alg.as_str(),
                keys::load_signer(&stored, &master, &rng).unwrap(),
            );
            let verifiers = vec![keys::load_verifier(&stored).unwrap()];
            let aud = vec!["https://api".to_string()];
            let extra = Map::new();
            let claims = AccessClaims {
                iss: "https://as/t/t",
                sub: "c",
                aud: &aud,
                exp: 100,
                iat: 40,
                jti: "j",
                client_id: "c",
                scope: "a b",
                extra: &extra,
            };
            let token = mint(&active, &claims, &rng);
            let got = verify(&token, &verifiers, "https://as/t/t", 99).unwrap();
            assert_eq!(got["aud"], "https://api");
            assert_eq!(got["scope"], "a b");
            assert_eq!(
                verify(&token, &verifiers, "https://as/t/t", 100),
                Err(Rejected::Expired)
            );
            assert_eq!(
                verify(&token, &verifiers, "https://as/t/other", 50),
                Err(Rejected::Malformed)
            );
            let mut tampered = token.clone();
            tampered.insert(token.find('.').unwrap() + 3, 'A');
            assert!(verify(&tampered, &verifiers, "https://as/t/t", 50).is_err());
            assert_eq!(
                verify("a.b.c", &verifiers, "https://as/t/t", 50),
                Err(Rejected::Malformed)
            );
        }
    }
}
