//! The authorization code flow through the real binary, as a browser would
//! drive it over HTTP: login page, consent page, code, token exchange with
//! PKCE, ID token and userinfo. The attacks it must refuse are in
//! authorization_code_attacks.rs, refresh tokens and logout in
//! authorization_code_refresh.rs.

mod common;
use common::authorization_code::*;
use common::*;
use serde_json::Value;
use std::time::Duration;

on_both_backends!(code_flow_with_pkce_login_consent_and_oidc);

async fn code_flow_with_pkce_login_consent_and_oidc(db: Db) {
    let (client_id, secret) = setup(&db);
    let server = Server::start(&db).await;
    let flow = Flow {
        issuer: server.issuer("acme"),
        client_id: client_id.clone(),
        browser: browser(),
    };
    let (verifier, challenge) = pkce();
    let params = [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email read"),
        ("state", "xyz-state"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];

    // Discovery advertises the flow.
    let meta = get_json(&format!("{}/.well-known/openid-configuration", flow.issuer))
        .await
        .body;
    assert_eq!(
        meta["authorization_endpoint"],
        format!("{}/authorize", flow.issuer)
    );
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        meta["response_types_supported"],
        serde_json::json!(["code"])
    );

    // Not logged in: the login page, with the app's name.
    let (status, login_page, _) = flow.get(&flow.authorize_url(&params)).await;
    assert_eq!(status, 200);
    assert!(
        login_page.contains("Reporting App") && login_page.contains("<label for=\"password\">"),
        "{login_page}"
    );

    // Wrong password and unknown user read the same.
    let (s1, wrong_pw, _) = flow
        .login("acme", &login_page, "alice", "not the password")
        .await;
    let (s2, no_user, _) = flow
        .login("acme", &login_page, "mallory", "not the password")
        .await;
    assert_eq!((s1, s2), (401, 401));
    assert!(
        wrong_pw.contains("Incorrect username or password.")
            && no_user.contains("Incorrect username or password.")
    );

    // Log in: back to the authorization request, now at the consent page.
    let (status, _, location) = flow.login("acme", &login_page, "alice", PASSWORD).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.starts_with("/t/acme/authorize?"), "{location}");
    let (status, consent_page, _) = flow.get(&format!("{}{location}", server.base)).await;
    assert_eq!(status, 200, "{consent_page}");
    assert!(
        consent_page.contains("Allow Reporting App to access your account?"),
        "{consent_page}"
    );
    assert!(
        consent_page.contains("Read your documents")
            && consent_page.contains("See your email address"),
        "{consent_page}"
    );
    assert!(consent_page.contains("Alice Liddell"));

    // Approve: the code comes back to the registered redirect URI with state and iss.
    let (status, _, location) = flow.decide("acme", &consent_page, "approve").await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let q = query_of(&location);
    assert_eq!(q["state"], "xyz-state");
    assert_eq!(q["iss"], flow.issuer);
    let code = q["code"].clone();

    // Exchange it with the verifier.
    let token_url = format!("{}/token", flow.issuer);
    let exchange = |code: String, verifier: String| {
        let (token_url, client_id, secret) = (token_url.clone(), client_id.clone(), secret.clone());
        async move {
            post_form(
                &token_url,
                Some((&client_id, &secret)),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", &verifier),
                ],
            )
            .await
        }
    };
    let r = exchange(code.clone(), verifier.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.body["scope"], "email openid profile read");
    let access = r.body["access_token"].as_str().unwrap().to_string();
    let claims = verify_with_jwks(&server, "acme", &access).await;
    let alice = claims["sub"].as_str().unwrap().to_string();
    assert!(alice.starts_with("usr_"));
    assert_eq!(claims["client_id"], client_id.as_str());

    // The ID token: verified with the JWKS key, audience the client, nonce and at_hash.
    let id_token = r.body["id_token"]
        .as_str()
        .expect("id_token for the openid scope");
    let id_claims = verify_id_token(&server, "acme", id_token, &client_id).await;
    assert_eq!(id_claims["sub"], alice.as_str());
    assert_eq!(id_claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id_claims["email"], "alice@acme.test");
    assert_eq!(id_claims["preferred_username"], "alice");
    assert!(id_claims["auth_time"].as_i64().is_some());
    let digest = ring::digest::digest(&ring::digest::SHA256, access.as_bytes());
    let expected_at_hash = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        &digest.as_ref()[..16],
    );
    assert_eq!(id_claims["at_hash"], expected_at_hash.as_str());

    // Userinfo with the access token.
    let info = Reply::from(
        http()
            .get(format!("{}/userinfo", flow.issuer))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(info.status, 200, "{}", info.text);
    assert_eq!(info.body["sub"], alice.as_str());
    assert_eq!(info.body["name"], "Alice Liddell");

    // A code works once; reusing it fails and revokes the token it produced.
    let again = exchange(code.clone(), verifier.clone()).await;
    again.assert_error(400, "invalid_grant");
    let intro = post_form(
        &format!("{}/introspect", flow.issuer),
        Some((&client_id, &secret)),
        &[("token", &access)],
    )
    .await;
    assert_eq!(
        intro.body["active"], false,
        "the first token was revoked: {}",
        intro.text
    );

    // Consent is remembered: the next request goes straight back with a code.
    let (status, _, location) = flow.get(&flow.authorize_url(&params)).await;
    assert_eq!(status, 303);
    assert!(query_of(&location.unwrap()).contains_key("code"));
    // …unless the app asks for consent again.
    let mut with_prompt = params.to_vec();
    with_prompt.push(("prompt", "consent"));
    let (status, page, _) = flow.get(&flow.authorize_url(&with_prompt)).await;
    assert_eq!(status, 200);
    assert!(page.contains("Allow Reporting App"));
    // Deny: access_denied with state.
    let (_, _, location) = flow.decide("acme", &page, "deny").await;
    let q = query_of(&location.unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "xyz-state");

    // prompt=login asks for the password again even with a session; the
    // new login satisfies it and the (remembered) consent lets the code through.
    let mut relogin = params.to_vec();
    relogin.extend([("prompt", "login"), ("login_hint", "alice")]);
    let (status, page, _) = flow.get(&flow.authorize_url(&relogin)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<h1>Sign in</h1>") && page.contains("value=\"alice\""),
        "login page, username hinted: {page}"
    );
    let (_, _, location) = flow.login("acme", &page, "alice", PASSWORD).await;
    let (status, _, location) = flow
        .get(&format!("{}{}", server.base, location.unwrap()))
        .await;
    assert_eq!(status, 303);
    assert!(
        query_of(&location.unwrap()).contains_key("code"),
        "prompt=login satisfied by the fresh login"
    );
    // max_age: a login older than allowed means logging in again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut fresh = params.to_vec();
    fresh.push(("max_age", "1"));
    let (status, page, _) = flow.get(&flow.authorize_url(&fresh)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Sign in</h1>"), "{page}");
    let mut recent_enough = params.to_vec();
    recent_enough.push(("max_age", "3600"));
    let (status, _, _) = flow.get(&flow.authorize_url(&recent_enough)).await;
    assert_eq!(status, 303);

    // prompt=none without a session: login_required, not a page.
    let stranger = Flow {
        issuer: flow.issuer.clone(),
        client_id: client_id.clone(),
        browser: browser(),
    };
    let mut silent = params.to_vec();
    silent.push(("prompt", "none"));
    let (status, _, location) = stranger.get(&stranger.authorize_url(&silent)).await;
    assert_eq!(status, 303);
    assert_eq!(query_of(&location.unwrap())["error"], "login_required");

    assert!(
        !server.logs().contains(PASSWORD),
        "passwords never reach the log"
    );
}

async fn verify_id_token(server: &Server, tenant: &str, token: &str, client_id: &str) -> Value {
    let meta = get_json(&format!(
        "{}/.well-known/openid-configuration",
        server.issuer(tenant)
    ))
    .await;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(get_json(meta.body["jwks_uri"].as_str().unwrap()).await.body)
            .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let key =
        jsonwebtoken::DecodingKey::from_jwk(jwks.find(&header.kid.unwrap()).unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.set_audience(&[client_id]);
    v.set_issuer(&[server.issuer(tenant)]);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .expect("ID token verifies")
        .claims
}
