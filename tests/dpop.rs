//! DPoP (RFC 9449) at the token endpoint: openid-client 6 gets bound tokens
//! for client_credentials, the code flow and refresh; every forged, stale or
//! replayed proof is refused, on either replica.

mod common;
use base64::Engine;
use common::*;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

on_both_backends!(
    openid_client_gets_dpop_bound_tokens,
    openid_client_follows_the_servers_dpop_nonces,
    dpop_proofs_are_checked_and_used_once,
    resource_servers_hold_bound_tokens_to_their_key,
    nonces_are_required_where_configured,
);

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";

async fn openid_client_gets_dpop_bound_tokens(db: Db) {
    openid_client_flows(db, &[]).await;
}

/// With nonces required (RFC 9449 §8), the library's first proof is
/// answered `use_dpop_nonce` with a nonce, and it signs again with it:
/// every flow works as before.
async fn openid_client_follows_the_servers_dpop_nonces(db: Db) {
    openid_client_flows(db, &[("WARDEN_DPOP_NONCE", "true")]).await;
}

async fn openid_client_flows(db: Db, env: &[(&str, &str)]) {
    db.create_tenant("acme", &[]);
    create_user(&db, "acme", "alice", PASSWORD, &[]);
    let (backend_id, backend_secret) = db.create_client("acme", "read", &[]);
    let public = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Pocket App",
        "--public",
        "--grant-types",
        "authorization_code,refresh_token",
        "--scopes",
        "openid read",
        "--redirect-uri",
        REDIRECT,
    ]);
    let server = Server::start_with(&db, env, &[]).await;
    let r = run_js(
        "dpop.mjs",
        &[
            ("ISSUER", server.issuer("acme")),
            ("BACKEND_ID", backend_id),
            ("BACKEND_SECRET", backend_secret),
            (
                "PUBLIC_CLIENT_ID",
                public["client_id"].as_str().unwrap().into(),
            ),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
            ("REDIRECT_URI", REDIRECT.into()),
        ],
    )
    .await;
    assert_eq!(
        r["algs"],
        json!(["ES256", "ES384", "EdDSA", "Ed25519", "RS256", "PS256"]),
        "{r}"
    );
    // openid-client reports token_type in lower case.
    assert_eq!(r["client_credentials"]["token_type"], "dpop", "{r}");
    assert_eq!(r["client_credentials"]["jkt_is_the_keys"], true, "{r}");
    assert_eq!(r["client_credentials"]["introspected_type"], "DPoP", "{r}");
    assert_eq!(r["client_credentials"]["active"], true, "{r}");
    assert_eq!(r["bearer_still"], "bearer", "{r}");
    assert_eq!(r["code"]["token_type"], "dpop", "{r}");
    assert_eq!(r["code"]["jkt_is_the_keys"], true, "{r}");
    assert_eq!(r["userinfo_sub_matches"], true, "{r}");
    assert_eq!(r["stolen_userinfo"]["status"], 401, "{r}");
    assert_eq!(r["stolen_userinfo"]["error"], "invalid_token", "{r}");
    assert_eq!(r["refresh"]["token_type"], "dpop", "{r}");
    assert_eq!(r["refresh"]["jkt_is_the_keys"], true, "{r}");
    assert_eq!(r["other_key_error"], "invalid_grant", "{r}");
    assert_eq!(r["no_key_error"], "invalid_grant", "{r}");
    assert_eq!(r["owner_again"], "dpop", "{r}");
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A client's P-256 DPoP key.
struct Key {
    pair: EcdsaKeyPair,
    rng: ring::rand::SystemRandom,
}

impl Key {
    fn new() -> Key {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
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

    /// A proof for `htm` `htu` carrying `token`'s hash (RFC 9449 §4.2 `ath`).
    fn proof_for(&self, htm: &str, htu: &str, token: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let jti = b64(&ring::rand::generate::<[u8; 12]>(&self.rng)
            .unwrap()
            .expose());
        let ath = b64(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
        self.sign(
            json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()}),
            json!({"jti": jti, "htm": htm, "htu": htu, "iat": now, "ath": ath}),
        )
    }

    /// A proof for POST `htu`, `age` seconds old, with a fresh jti.
    fn proof(&self, htm: &str, htu: &str, age: i64) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let jti = b64(&ring::rand::generate::<[u8; 12]>(&self.rng)
            .unwrap()
            .expose());
        self.sign(
            json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()}),
            json!({"jti": jti, "htm": htm, "htu": htu, "iat": now - age}),
        )
    }
}

/// client_credentials with `proofs` as DPoP headers.
async fn token(server: &Server, id: &str, secret: &str, proofs: &[&str]) -> Reply {
    let mut req = http()
        .post(format!("{}/token", server.issuer("acme")))
        .basic_auth(id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials");
    for p in proofs {
        req = req.header("dpop", *p);
    }
    Reply::from(req.send().await.unwrap()).await
}

async fn dpop_proofs_are_checked_and_used_once(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    let htu = format!("{}/token", server.issuer("acme"));
    let key = Key::new();

    // A good proof: a bound token whose cnf names the key.
    let proof = key.proof("POST", &htu, 0);
    let r = token(&server, &id, &secret, &[&proof]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_type"], "DPoP");
    let access = r.body["access_token"].as_str().unwrap().to_string();
    let intro = post_form(
        &format!("{}/introspect", server.issuer("acme")),
        Some((&id, &secret)),
        &[("token", &access)],
    )
    .await;
    assert_eq!(intro.body["token_type"], "DPoP", "{}", intro.text);
    assert!(
        intro.body["cnf"]["jkt"]
            .as_str()
            .is_some_and(|j| j.len() == 43)
    );

    // The same proof again: replayed.
    let r = token(&server, &id, &secret, &[&proof]).await;
    r.assert_error(400, "invalid_dpop_proof");
    assert!(r.text.contains("used already"), "{}", r.text);
    // For another method or address, too old or from the future, or two at once.
    let refused = [
        (key.proof("GET", &htu, 0), "htm"),
        (
            key.proof("POST", &format!("{}/introspect", server.issuer("acme")), 0),
            "htu",
        ),
        (
            key.proof("POST", "https://evil.example/t/acme/token", 0),
            "htu",
        ),
        (key.proof("POST", &htu, 120), "iat"),
        (key.proof("POST", &htu, -120), "iat"),
    ];
    for (proof, why) in &refused {
        let r = token(&server, &id, &secret, &[proof]).await;
        r.assert_error(400, "invalid_dpop_proof");
        assert!(r.text.contains(why), "{why}: {}", r.text);
    }
    let (a, b) = (key.proof("POST", &htu, 0), key.proof("POST", &htu, 0));
    token(&server, &id, &secret, &[&a, &b])
        .await
        .assert_error(400, "invalid_dpop_proof");
    // Not a proof at all, an HMAC-signed one, or one carrying its private key.
    token(&server, &id, &secret, &["not-a-jwt"])
        .await
        .assert_error(400, "invalid_dpop_proof");
    let hmac = format!(
        "{}.{}.{}",
        b64(json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": key.jwk()})
            .to_string()
            .as_bytes()),
        b64(json!({"jti": "x", "htm": "POST", "htu": htu, "iat": 0})
            .to_string()
            .as_bytes()),
        b64(b"sig")
    );
    token(&server, &id, &secret, &[&hmac])
        .await
        .assert_error(400, "invalid_dpop_proof");
    let mut leaky = key.jwk();
    leaky["d"] = json!("c2VjcmV0");
    let leaked = key.sign(
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": leaky}),
        json!({"jti": "y", "htm": "POST", "htu": htu, "iat": 0}),
    );
    let r = token(&server, &id, &secret, &[&leaked]).await;
    r.assert_error(400, "invalid_dpop_proof");
    assert!(r.text.contains("public key"), "{}", r.text);

    // A client held to DPoP gets no bearer token.
    let (strict, strict_secret) = db.create_client("acme", "read", &["--require-dpop"]);
    let r = token(&server, &strict, &strict_secret, &[]).await;
    r.assert_error(400, "invalid_dpop_proof");
    assert!(r.text.contains("must be DPoP-bound"), "{}", r.text);
    let r = token(
        &server,
        &strict,
        &strict_secret,
        &[&key.proof("POST", &htu, 0)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_type"], "DPoP");

    // On every replica: a proof spent on one is refused by the other (two
    // replicas behind one public URL, as behind a load balancer).
    if db.backend == Backend::Postgres {
        let public = [("WARDEN_PUBLIC_URL", "http://warden.test")];
        let a = Server::start_with(&db, &public, &[]).await;
        let b = Server::start_with(&db, &public, &[]).await;
        let proof = key.proof("POST", "http://warden.test/t/acme/token", 0);
        let r = token(&a, &id, &secret, &[&proof]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = token(&b, &id, &secret, &[&proof]).await;
        r.assert_error(400, "invalid_dpop_proof");
        assert!(r.text.contains("used already"), "{}", r.text);
    }
}

/// An AuthZEN evaluation with `authorization` and an optional DPoP proof.
async fn evaluate(server: &Server, authorization: &str, proof: Option<&str>) -> Reply {
    let mut req = http()
        .post(format!("{}/access/v1/evaluation", server.issuer("acme")))
        .header("content-type", "application/json")
        .header("authorization", authorization)
        .body(
            json!({
                "subject": {"type": "user", "id": "alice"},
                "action": {"name": "read"},
                "resource": {"type": "document", "id": "1"},
            })
            .to_string(),
        );
    if let Some(p) = proof {
        req = req.header("dpop", p);
    }
    Reply::from(req.send().await.unwrap()).await
}

async fn resource_servers_hold_bound_tokens_to_their_key(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    let htu = format!("{}/token", server.issuer("acme"));
    let evaluation = format!("{}/access/v1/evaluation", server.issuer("acme"));
    let key = Key::new();
    let r = token(&server, &id, &secret, &[&key.proof("POST", &htu, 0)]).await;
    let bound = r.body["access_token"].as_str().unwrap().to_string();
    let plain = token(&server, &id, &secret, &[]).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // With its key's proof for this request: accepted.
    let r = evaluate(
        &server,
        &format!("DPoP {bound}"),
        Some(&key.proof_for("POST", &evaluation, &bound)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A leaked bound token used as a bearer token: refused.
    let r = evaluate(&server, &format!("Bearer {bound}"), None).await;
    r.assert_error(401, "invalid_token");
    assert!(r.text.contains("bound to a DPoP key"), "{}", r.text);
    // With the DPoP scheme but no proof, a proof by another key, a proof
    // for another token, or a replayed one: refused with the DPoP challenge.
    let thief = Key::new();
    let replayed = key.proof_for("POST", &evaluation, &bound);
    assert_eq!(
        evaluate(&server, &format!("DPoP {bound}"), Some(&replayed))
            .await
            .status,
        200
    );
    let refusals = [
        (None, "required"),
        (
            Some(thief.proof_for("POST", &evaluation, &bound)),
            "another key",
        ),
        (Some(key.proof_for("POST", &evaluation, &plain)), "ath"),
        (Some(key.proof("POST", &evaluation, 0)), "ath"),
        (Some(replayed), "used already"),
    ];
    for (proof, why) in refusals {
        let r = evaluate(&server, &format!("DPoP {bound}"), proof.as_deref()).await;
        r.assert_error(401, "invalid_dpop_proof");
        assert_eq!(
            r.header("www-authenticate"),
            Some("DPoP error=\"invalid_dpop_proof\"")
        );
        assert!(r.text.contains(why), "{why}: {}", r.text);
    }
    // A bearer token stays a bearer token, and is not a DPoP one.
    assert_eq!(
        evaluate(&server, &format!("Bearer {plain}"), None)
            .await
            .status,
        200
    );
    evaluate(
        &server,
        &format!("DPoP {plain}"),
        Some(&key.proof_for("POST", &evaluation, &plain)),
    )
    .await
    .assert_error(401, "invalid_token");
}

/// The nonce a DPoP answer names.
fn nonce_of(r: &Reply) -> String {
    r.header("dpop-nonce")
        .unwrap_or_else(|| panic!("no DPoP-Nonce header: {}", r.text))
        .to_string()
}

async fn nonces_are_required_where_configured(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start_with(&db, &[("WARDEN_DPOP_NONCE", "true")], &[]).await;
    let htu = format!("{}/token", server.issuer("acme"));
    let key = Key::new();
    let with_nonce = |nonce: &str| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let jti = b64(&ring::rand::generate::<[u8; 12]>(&key.rng).unwrap().expose());
        key.sign(
            json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.jwk()}),
            json!({"jti": jti, "htm": "POST", "htu": htu, "iat": now, "nonce": nonce}),
        )
    };

    // No nonce: refused, with one to use.
    let first = token(&server, &id, &secret, &[&key.proof("POST", &htu, 0)]).await;
    first.assert_error(400, "use_dpop_nonce");
    let nonce = nonce_of(&first);
    // A made-up or altered one: refused the same way.
    for bad in ["made-up", &format!("{}A", &nonce[..nonce.len() - 1])] {
        token(&server, &id, &secret, &[&with_nonce(bad)])
            .await
            .assert_error(400, "use_dpop_nonce");
    }
    // The one given: a bound token, and the nonce to use next.
    let ok = token(&server, &id, &secret, &[&with_nonce(&nonce)]).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["token_type"], "DPoP");
    assert!(!nonce_of(&ok).is_empty());
    // Bearer tokens need no nonce.
    assert_eq!(token(&server, &id, &secret, &[]).await.status, 200);

    // At a resource: 401 with the DPoP challenge naming use_dpop_nonce.
    let bound = ok.body["access_token"].as_str().unwrap().to_string();
    let evaluation = format!("{}/access/v1/evaluation", server.issuer("acme"));
    let r = evaluate(
        &server,
        &format!("DPoP {bound}"),
        Some(&key.proof_for("POST", &evaluation, &bound)),
    )
    .await;
    r.assert_error(401, "use_dpop_nonce");
    assert_eq!(
        r.header("www-authenticate"),
        Some("DPoP error=\"use_dpop_nonce\"")
    );
    assert!(!nonce_of(&r).is_empty());
}
