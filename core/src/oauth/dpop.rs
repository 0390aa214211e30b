//! DPoP (RFC 9449): a client proves, with each request, that it holds the
//! private key a token is bound to, so a leaked token alone is useless. A
//! proof is a JWT the client signs with that key (public key in its header),
//! naming the request's method and URL, fresh, used once on any replica, and
//! at a resource server carrying the token's hash.

use super::{ErrorCode, OAuth, OAuthError};
use base64::Engine;
use ring::signature;
use serde::Deserialize;
use serde_json::Value;

/// The signing algorithms accepted in proofs, as advertised in discovery.
/// (`Ed25519` is RFC 9864's fully specified name for EdDSA over Ed25519,
/// which oauth4webapi and openid-client send.)
pub const ALGORITHMS: &[&str] = &["ES256", "ES384", "EdDSA", "Ed25519", "RS256", "PS256"];
/// How far a proof's `iat` may be from the server's clock (RFC 9449 §11.1).
pub const IAT_WINDOW: i64 = 60;

/// An access token as a resource request presented it: `Authorization:
/// Bearer`, or `Authorization: DPoP` with the request's `DPoP` proof.
#[derive(Debug)]
pub struct Presented {
    pub token: String,
    pub dpop_scheme: bool,
    pub proof: Option<String>,
}

/// A proof that passed every check: the key's RFC 7638 thumbprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub jkt: String,
    jti: String,
    iat: i64,
    /// The server-provided nonce it carries (RFC 9449 §8), if any.
    nonce: Option<String>,
}

/// How long a nonce's window lasts; a nonce is good in its window and the
/// next, so for 5 to 10 minutes.
const NONCE_WINDOW: i64 = 300;

/// RFC 9449 §8 server-provided nonces, with nothing stored: a nonce is a
/// time window and its HMAC under a key every replica derives from the
/// master key, so any replica accepts what another gave out.
pub struct Nonces {
    key: ring::hmac::Key,
}

impl Nonces {
    pub fn new(key: ring::hmac::Key) -> Self {
        Nonces { key }
    }

    fn of_window(&self, window: i64) -> String {
        let bytes = window.to_be_bytes();
        let tag = ring::hmac::sign(&self.key, &bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode([&bytes[..], &tag.as_ref()[..16]].concat())
    }

    /// The nonce to hand out now (`DPoP-Nonce`).
    pub fn current(&self, now: i64) -> String {
        self.of_window(now.div_euclid(NONCE_WINDOW))
    }

    /// Whether `nonce` is one this server gave out in this window or the last.
    pub fn valid(&self, nonce: &str, now: i64) -> bool {
        let Some(raw) = b64(nonce).filter(|r| r.len() == 24) else {
            return false;
        };
        let window = i64::from_be_bytes(raw[..8].try_into().expect("8 bytes"));
        let now_window = now.div_euclid(NONCE_WINDOW);
        (window == now_window || window == now_window - 1)
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                self.of_window(window).as_bytes(),
                nonce.as_bytes(),
            ))
    }
}

#[derive(Deserialize)]
struct Claims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<i64>,
    ath: Option<String>,
    nonce: Option<String>,
}

pub fn invalid(why: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidDpopProof, why.into())
}

fn b64(part: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()
}

fn member<'a>(jwk: &'a Value, name: &str) -> Option<&'a str> {
    jwk.get(name).and_then(Value::as_str)
}

/// The jwk's RFC 7638 thumbprint and the algorithm to check `alg` with, if
/// the key fits it. `Ed25519` is RFC 9864's name for EdDSA over Ed25519.
fn key_for(
    alg: &str,
    jwk: &Value,
) -> Option<(
    String,
    &'static dyn signature::VerificationAlgorithm,
    Vec<u8>,
)> {
    let (kty, crv) = (member(jwk, "kty")?, member(jwk, "crv"));
    let coordinate = |name: &str, len: usize| b64(member(jwk, name)?).filter(|c| c.len() == len);
    let (canonical, verifier, public): (
        String,
        &'static dyn signature::VerificationAlgorithm,
        Vec<u8>,
    ) = match (alg, kty, crv) {
        ("ES256", "EC", Some("P-256")) | ("ES384", "EC", Some("P-384")) => {
            let len = if alg == "ES256" { 32 } else { 48 };
            let (x, y) = (coordinate("x", len)?, coordinate("y", len)?);
            let canonical = format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                crv?,
                member(jwk, "x")?,
                member(jwk, "y")?
            );
            let verifier: &'static dyn signature::VerificationAlgorithm = if alg == "ES256" {
                &signature::ECDSA_P256_SHA256_FIXED
            } else {
                &signature::ECDSA_P384_SHA384_FIXED
            };
            (canonical, verifier, [vec![4], x, y].concat())
        }
        ("EdDSA" | "Ed25519", "OKP", Some("Ed25519")) => {
            let x = coordinate("x", 32)?;
            let canonical = format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                member(jwk, "x")?
            );
            (canonical, &signature::ED25519, x)
        }
        _ => return None,
    };
    let thumbprint = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
    Some((
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(thumbprint.as_ref()),
        verifier,
        public,
    ))
}

/// An RSA key's thumbprint and its (n, e), for RS256 and PS256.
fn rsa_key(jwk: &Value) -> Option<(String, Vec<u8>, Vec<u8>)> {
    if member(jwk, "kty")? != "RSA" {
        return None;
    }
    let (n, e) = (member(jwk, "n")?, member(jwk, "e")?);
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let thumbprint = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
    Some((
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(thumbprint.as_ref()),
        b64(n)?,
        b64(e)?,
    ))
}

/// RFC 9449 §4.3: the URL without query and fragment, compared as the
/// server names itself.
fn same_target(htu: &str, expected: &str) -> bool {
    let strip = |u: &str| {
        url::Url::parse(u).ok().map(|mut u| {
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        })
    };
    strip(htu).is_some_and(|h| Some(h) == strip(expected))
}

/// The proof's signature checked with its own jwk; the key's thumbprint.
fn check_signature(
    alg: &str,
    jwk: &Value,
    signed: &str,
    signature: &[u8],
) -> Result<String, OAuthError> {
    let bad_signature = || invalid("the DPoP proof's signature does not verify with its jwk");
    match alg {
        "RS256" | "PS256" => {
            let (jkt, n, e) =
                rsa_key(jwk).ok_or_else(|| invalid("the DPoP proof's jwk does not fit its alg"))?;
            let params = if alg == "RS256" {
                &signature::RSA_PKCS1_2048_8192_SHA256
            } else {
                &signature::RSA_PSS_2048_8192_SHA256
            };
            signature::RsaPublicKeyComponents { n, e }
                .verify(params, signed.as_bytes(), signature)
                .map_err(|_| bad_signature())?;
            Ok(jkt)
        }
        _ => {
            let (jkt, verifier, public) = key_for(alg, jwk)
                .ok_or_else(|| invalid("the DPoP proof's jwk does not fit its alg"))?;
            signature::UnparsedPublicKey::new(verifier, public)
                .verify(signed.as_bytes(), signature)
                .map_err(|_| bad_signature())?;
            Ok(jkt)
        }
    }
}

/// RFC 9449 §4.3 checks 1–11 but replay (the caller's): `htm` and `htu`
/// are this request's; `access_token`, at a resource, must match `ath`.
pub fn verify(
    proof: &str,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    now: i64,
) -> Result<Proof, OAuthError> {
    let not_jwt = || invalid("the DPoP proof is not a JWT");
    let mut parts = proof.split('.');
    let (Some(h), Some(c), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(not_jwt());
    };
    let header: Value = b64(h)
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or_else(not_jwt)?;
    if member(&header, "typ") != Some("dpop+jwt") {
        return Err(invalid("the DPoP proof's typ must be dpop+jwt"));
    }
    let alg = member(&header, "alg").unwrap_or_default();
    if !ALGORITHMS.contains(&alg) {
        return Err(invalid(format!(
            "the DPoP proof's alg must be one of {} (none and HMAC are refused)",
            ALGORITHMS.join(", ")
        )));
    }
    let jwk = header
        .get("jwk")
        .filter(|k| k.is_object())
        .ok_or_else(|| invalid("the DPoP proof's header has no jwk"))?;
    if ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .any(|m| jwk.get(m).is_some())
    {
        return Err(invalid("the DPoP proof's jwk must be a public key"));
    }
    let signed = &proof[..h.len() + 1 + c.len()];
    let signature = b64(sig).ok_or_else(not_jwt)?;
    let jkt = check_signature(alg, jwk, signed, &signature)?;
    let claims: Claims = b64(c)
        .and_then(|c| serde_json::from_slice(&c).ok())
        .ok_or_else(not_jwt)?;
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| invalid("the DPoP proof needs a jti (at most 256 characters)"))?;
    if claims.htm.as_deref() != Some(htm) {
        return Err(invalid(format!("the DPoP proof's htm must be {htm}")));
    }
    if !claims.htu.as_deref().is_some_and(|u| same_target(u, htu)) {
        return Err(invalid(format!("the DPoP proof's htu must be {htu}")));
    }
    let iat = claims
        .iat
        .ok_or_else(|| invalid("the DPoP proof has no iat"))?;
    if (iat.saturating_sub(now)).abs() > IAT_WINDOW {
        return Err(invalid(format!(
            "the DPoP proof's iat is more than {IAT_WINDOW} seconds from the server's clock: sign a fresh one"
        )));
    }
    if let Some(token) = access_token {
        let hash = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
        let ath = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash.as_ref());
        if claims.ath.as_deref() != Some(ath.as_str()) {
            return Err(invalid(
                "the DPoP proof's ath is not the hash of this access token",
            ));
        }
    }
    Ok(Proof {
        jkt,
        jti,
        iat,
        nonce: claims.nonce,
    })
}

/// RFC 9449 §8: the proof lacks the nonce the server requires, or carries
/// a stale one; the answer carries a fresh one in `DPoP-Nonce`.
pub fn use_nonce() -> OAuthError {
    OAuthError::new(
        ErrorCode::UseDpopNonce,
        "this server requires a nonce in DPoP proofs: sign a new proof with the one in the DPoP-Nonce header",
    )
}

/// RFC 9449 §7.1: at a resource, a DPoP failure is a 401 with its challenge.
fn at_resource(mut e: OAuthError) -> OAuthError {
    e.status = 401;
    e
}

impl OAuth {
    /// RFC 9449 §7: a bound token only with the DPoP scheme and a proof by
    /// its key (for this request, carrying the token's hash); an unbound one
    /// only as a bearer token.
    pub(super) async fn check_binding(
        &self,
        claims: &serde_json::Map<String, Value>,
        presented: &Presented,
        htm: &str,
        htu: &str,
    ) -> Result<(), OAuthError> {
        let bound = claims
            .get("cnf")
            .and_then(|c| c.get("jkt"))
            .and_then(Value::as_str);
        match (bound, presented.dpop_scheme) {
            (Some(jkt), true) => {
                let proven = self
                    .dpop(presented.proof.as_deref(), htm, htu, Some(&presented.token))
                    .await
                    .map_err(at_resource)?
                    .ok_or_else(|| {
                        at_resource(invalid("a DPoP proof is required with a DPoP-bound token"))
                    })?;
                if proven != jkt {
                    return Err(at_resource(invalid(
                        "the DPoP proof is signed by another key than the token is bound to",
                    )));
                }
                Ok(())
            }
            (Some(_), false) => Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "this access token is bound to a DPoP key: present it as Authorization: DPoP with a proof",
            )),
            (None, true) => Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "this access token is not DPoP-bound: present it as Authorization: Bearer",
            )),
            (None, false) => Ok(()),
        }
    }

    /// A request's DPoP proof, checked and spent (its `jti` once per key,
    /// on every replica): the key's thumbprint; `None` without a proof.
    pub(super) async fn dpop(
        &self,
        proof: Option<&str>,
        htm: &str,
        htu: &str,
        access_token: Option<&str>,
    ) -> Result<Option<String>, OAuthError> {
        let Some(proof) = proof else {
            return Ok(None);
        };
        let now = self.clock.now();
        let p = verify(proof, htm, htu, access_token, now)?;
        if let Some(nonces) = &self.dpop_nonces
            && !p.nonce.as_deref().is_some_and(|n| nonces.valid(n, now))
        {
            return Err(use_nonce());
        }
        // '#' is in no client id: these keys never meet an assertion's.
        let key = format!("dpop#{}#{}", p.jkt, p.jti);
        if !self
            .store
            .use_client_assertion(&key, p.iat + 2 * IAT_WINDOW)
            .await?
        {
            return Err(invalid(
                "this DPoP proof was used already: sign one per request",
            ));
        }
        Ok(Some(p.jkt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use serde_json::{Value, json};

    fn b64(bytes: &[u8]) -> String {
        crate::tokens::b64url(bytes)
    }

    struct Key {
        pair: EcdsaKeyPair,
        rng: ring::rand::SystemRandom,
    }

    impl Key {
        fn new() -> Key {
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .unwrap();
            Key { pair, rng }
        }

        fn jwk(&self) -> Value {
            let p = self.pair.public_key().as_ref();
            json!({"kty": "EC", "crv": "P-256", "x": b64(&p[1..33]), "y": b64(&p[33..65])})
        }

        fn sign(&self, header: Value, claims: Value) -> String {
            let input = format!(
                "{}.{}",
                b64(header.to_string().as_bytes()),
                b64(claims.to_string().as_bytes())
            );
            let sig = self.pair.sign(&self.rng, input.as_bytes()).unwrap();
            format!("{input}.{}", b64(sig.as_ref()))
        }

        fn proof(&self, claims: Value) -> String {
            self.sign(
                json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()}),
                claims,
            )
        }
    }

    const HTU: &str = "https://warden.test/t/acme/token";

    fn claims(now: i64) -> Value {
        json!({"jti": "j-1", "htm": "POST", "htu": HTU, "iat": now})
    }

    #[test]
    fn a_good_proof_names_its_key() {
        let key = Key::new();
        let p = verify(&key.proof(claims(1000)), "POST", HTU, None, 1000).unwrap();
        let again = verify(&key.proof(claims(1010)), "POST", HTU, None, 1000).unwrap();
        assert_eq!(p.jkt, again.jkt, "one key, one thumbprint");
        assert_eq!(p.jkt.len(), 43);
        // The query and fragment are not part of htu.
        let mut c = claims(1000);
        c["htu"] = json!(format!("{HTU}?x=1#f"));
        assert!(verify(&key.proof(c), "POST", HTU, None, 1000).is_ok());
    }

    #[test]
    fn wrong_method_url_time_type_or_key_are_refused() {
        let key = Key::new();
        let refused = |proof: String, htm: &str, token: Option<&str>| {
            verify(&proof, htm, HTU, token, 1000)
                .unwrap_err()
                .description
                .into_owned()
        };
        assert!(refused(key.proof(claims(1000)), "GET", None).contains("htm"));
        let mut c = claims(1000);
        c["htu"] = json!("https://warden.test/t/other/token");
        assert!(refused(key.proof(c), "POST", None).contains("htu"));
        assert!(refused(key.proof(claims(1000 - 61)), "POST", None).contains("iat"));
        assert!(refused(key.proof(claims(1000 + 61)), "POST", None).contains("iat"));
        let untyped = key.sign(json!({"alg": "ES256", "jwk": key.jwk()}), claims(1000));
        assert!(refused(untyped, "POST", None).contains("typ"));
        let keyless = key.sign(json!({"typ": "dpop+jwt", "alg": "ES256"}), claims(1000));
        assert!(refused(keyless, "POST", None).contains("jwk"));
        let other = Key::new();
        let mismatched = key.sign(
            json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": other.jwk()}),
            claims(1000),
        );
        assert!(refused(mismatched, "POST", None).contains("signature"));
        let mut private = key.jwk();
        private["d"] = json!("c2VjcmV0");
        let leaky = key.sign(
            json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}),
            claims(1000),
        );
        assert!(refused(leaky, "POST", None).contains("public key"));
        let mut no_jti = claims(1000);
        no_jti.as_object_mut().unwrap().remove("jti");
        assert!(refused(key.proof(no_jti), "POST", None).contains("jti"));
        // At a resource: the hash of exactly this token.
        let mut c = claims(1000);
        c["ath"] = json!(b64(
            ring::digest::digest(&ring::digest::SHA256, b"token-a").as_ref()
        ));
        assert!(verify(&key.proof(c.clone()), "POST", HTU, Some("token-a"), 1000).is_ok());
        assert!(refused(key.proof(c), "POST", Some("token-b")).contains("ath"));
    }
}
