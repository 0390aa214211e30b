//! The authorization code flow through the real binary, as a browser would
//! drive it over HTTP: login page, consent page, code, token exchange with
//! PKCE, ID token and userinfo — and the attacks it must refuse.

mod common;
use common::*;
use serde_json::Value;
use std::time::Duration;

on_both_backends!(
    code_flow_with_pkce_login_consent_and_oidc,
    authorization_attacks_are_refused,
    failed_logins_are_throttled,
    refresh_tokens_rotate_and_reuse_revokes_the_family,
    refresh_reuse_window_is_exact_and_ends_the_familys_access_tokens,
    refresh_lifetimes_and_logout,
    cors_only_for_public_client_origins,
);

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";

fn setup(db: &Db) -> (String, String) {
    db.create_tenant("acme", &[]);
    create_user(
        db,
        "acme",
        "alice",
        PASSWORD,
        &["--email", "alice@acme.test", "--name", "Alice Liddell"],
    );
    let out = db.cli(&[
        "user",
        "describe-scope",
        "--tenant",
        "acme",
        "read",
        "Read your documents",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Reporting App",
        "--grant-types",
        "authorization_code",
        "--scopes",
        "openid profile email read write",
        "--redirect-uri",
        REDIRECT,
    ]);
    (
        v["client_id"].as_str().unwrap().into(),
        v["client_secret"].as_str().unwrap().into(),
    )
}

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

async fn authorization_attacks_are_refused(db: Db) {
    let (client_id, secret) = setup(&db);
    db.create_tenant("globex", &[]);
    let other = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Other App",
        "--grant-types",
        "authorization_code",
        "--scopes",
        "read",
        "--redirect-uri",
        "https://other.example/cb",
    ]);
    let spa = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "SPA",
        "--grant-types",
        "authorization_code",
        "--public",
        "--scopes",
        "openid read",
        "--redirect-uri",
        "http://127.0.0.1/spa",
    ]);
    assert!(
        spa["client_secret"].is_null(),
        "public clients have no secret"
    );
    let server = Server::start(&db).await;
    let flow = Flow {
        issuer: server.issuer("acme"),
        client_id: client_id.clone(),
        browser: browser(),
    };
    let (verifier, challenge) = pkce();
    let good = |redirect: &'static str| {
        vec![
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("scope", "read"),
        ]
    };

    // Open redirects: unregistered, look-alike, fragment, other scheme — an
    // error page, never a redirect.
    for bad in [
        "https://evil.example/cb",
        "http://127.0.0.1:9/callback/../evil",
        "http://127.0.0.1:9/callback.evil.example",
        "http://127.0.0.1:9/callback#frag",
        "http://localhost:9/callback",
        "https://127.0.0.1:9/callback",
    ] {
        let (status, page, location) = flow.get(&flow.authorize_url(&good(bad))).await;
        assert_eq!(status, 400, "{bad}: {page}");
        assert!(location.is_none(), "{bad} redirected");
        assert!(page.contains("has not registered"), "{bad}: {page}");
    }
    // Unknown client: a page too.
    let unknown = Flow {
        client_id: "cl_nope".into(),
        issuer: flow.issuer.clone(),
        browser: browser(),
    };
    let (status, _, location) = unknown.get(&unknown.authorize_url(&good(REDIRECT))).await;
    assert_eq!((status, location), (400, None));
    // RFC 8252: a loopback redirect may use any port.
    let spa_flow = Flow {
        client_id: spa["client_id"].as_str().unwrap().into(),
        issuer: flow.issuer.clone(),
        browser: browser(),
    };
    let (status, _, _) = spa_flow
        .get(&spa_flow.authorize_url(&[
            ("response_type", "code"),
            ("redirect_uri", "http://127.0.0.1:53123/spa"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]))
        .await;
    assert_eq!(status, 200, "loopback port accepted");

    // After the redirect URI is trusted, errors go back to it with state.
    let expect_redirect_error = |flow: &Flow,
                                 extra: Vec<(&'static str, String)>,
                                 error: &'static str| {
        let url = {
            let owned: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
            flow.authorize_url(&owned)
        };
        let browser = flow.browser.clone();
        async move {
            let r = browser.get(&url).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 303, "{url}");
            let q = query_of(r.headers()["location"].to_str().unwrap());
            assert_eq!(
                q.get("error").map(String::as_str),
                Some(error),
                "{url}: {q:?}"
            );
            assert_eq!(q.get("state").map(String::as_str), Some("s1"));
        }
    };
    let base = |rt: &str| {
        vec![
            ("response_type", rt.to_string()),
            ("redirect_uri", REDIRECT.to_string()),
            ("state", "s1".to_string()),
        ]
    };
    expect_redirect_error(&flow, base("token"), "unsupported_response_type").await;
    expect_redirect_error(
        &flow,
        [base("code"), vec![("scope", "admin".into())]].concat(),
        "invalid_scope",
    )
    .await;
    expect_redirect_error(
        &flow,
        [
            base("code"),
            vec![
                ("code_challenge", challenge.clone()),
                ("code_challenge_method", "plain".into()),
            ],
        ]
        .concat(),
        "invalid_request",
    )
    .await;
    let spa_base = vec![
        ("response_type", "code".to_string()),
        ("redirect_uri", "http://127.0.0.1/spa".to_string()),
        ("state", "s1".to_string()),
    ];
    expect_redirect_error(&spa_flow, spa_base, "invalid_request").await; // public client without PKCE

    // Get a real code for the confidential client.
    let mut params = good(REDIRECT);
    params.extend([
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let (_, login_page, _) = flow.get(&flow.authorize_url(&params)).await;
    // CSRF: missing or wrong token is refused.
    let cont = hidden_field(&login_page, "continue");
    let (status, _, _) = flow
        .post(
            "/t/acme/login",
            &[
                ("continue", &cont),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = flow
        .post(
            "/t/acme/login",
            &[
                ("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                ("continue", &cont),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 403);
    let (_, _, location) = flow.login("acme", &login_page, "alice", PASSWORD).await;
    let (_, consent_page, _) = flow
        .get(&format!("{}{}", server.base, location.unwrap()))
        .await;
    let (status, _, _) = flow
        .post(
            "/t/acme/consent",
            &[
                ("continue", &hidden_field(&consent_page, "continue")),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(status, 403, "consent without CSRF token");
    let (_, _, location) = flow.decide("acme", &consent_page, "approve").await;
    let code = query_of(&location.unwrap())["code"].clone();

    let token_url = format!("{}/token", flow.issuer);
    let redeem = |id: String,
                  secret: String,
                  verifier: Option<String>,
                  url: String,
                  code: String| async move {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ];
        if let Some(v) = verifier.as_deref() {
            form.push(("code_verifier", v));
        }
        post_form(&url, Some((&id, &secret)), &form).await
    };
    // Another client of the same tenant cannot redeem it…
    let r = redeem(
        other["client_id"].as_str().unwrap().into(),
        other["client_secret"].as_str().unwrap().into(),
        Some(verifier.clone()),
        token_url.clone(),
        code.clone(),
    )
    .await;
    r.assert_error(400, "invalid_grant");
    // (that attempt used the code up: codes are single-use whoever presents them)
    let r = redeem(
        client_id.clone(),
        secret.clone(),
        Some(verifier.clone()),
        token_url.clone(),
        code.clone(),
    )
    .await;
    r.assert_error(400, "invalid_grant");

    // Fresh codes: wrong verifier, missing verifier, another tenant.
    for case in ["wrong verifier", "no verifier", "other tenant"] {
        let (_, _, location) = flow.get(&flow.authorize_url(&params)).await;
        let code = query_of(&location.expect("consent remembered"))["code"].clone();
        let r = match case {
            "wrong verifier" => {
                redeem(
                    client_id.clone(),
                    secret.clone(),
                    Some(pkce().0),
                    token_url.clone(),
                    code,
                )
                .await
            }
            "no verifier" => {
                redeem(
                    client_id.clone(),
                    secret.clone(),
                    None,
                    token_url.clone(),
                    code,
                )
                .await
            }
            _ => {
                let g = db.cli_json(&[
                    "client",
                    "create",
                    "--tenant",
                    "globex",
                    "--name",
                    "Globex App",
                    "--grant-types",
                    "authorization_code",
                    "--scopes",
                    "read",
                    "--redirect-uri",
                    REDIRECT,
                ]);
                let (g_id, g_secret) = (
                    g["client_id"].as_str().unwrap().to_string(),
                    g["client_secret"].as_str().unwrap().to_string(),
                );
                redeem(
                    g_id,
                    g_secret,
                    Some(verifier.clone()),
                    format!("{}/token", server.issuer("globex")),
                    code,
                )
                .await
            }
        };
        assert_eq!(r.body["error"], "invalid_grant", "{case}: {}", r.text);
    }
    // Wrong client secret at the token endpoint: invalid_client, as ever.
    let r = redeem(
        client_id.clone(),
        "wsec_wrong".into(),
        Some(verifier.clone()),
        token_url.clone(),
        "x".into(),
    )
    .await;
    r.assert_error(401, "invalid_client");
    // A public client cannot authenticate with a secret it does not have, and
    // a confidential one cannot skip its secret.
    let r = post_form(
        &token_url,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", "x"),
        ],
    )
    .await;
    r.assert_error(401, "invalid_client");
}

async fn failed_logins_are_throttled(db: Db) {
    let (client_id, _) = setup(&db);
    let server = Server::start(&db).await;
    let flow = Flow {
        issuer: server.issuer("acme"),
        client_id,
        browser: browser(),
    };
    let (_, challenge) = pkce();
    let params = [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (_, page, _) = flow.get(&flow.authorize_url(&params)).await;
    for _ in 0..5 {
        let (status, _, _) = flow.login("acme", &page, "alice", "wrong password!").await;
        assert_eq!(status, 401);
    }
    // Now even the right password must wait, and the page says so.
    let (status, body, _) = flow.login("acme", &page, "alice", PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body.contains("Too many failed sign-in attempts. Try again in"),
        "{body}"
    );
    // The same for a username that does not exist: nothing is revealed.
    for _ in 0..5 {
        flow.login("acme", &page, "nobody", "wrong password!").await;
    }
    let (status, _, _) = flow.login("acme", &page, "nobody", "wrong password!").await;
    assert_eq!(status, 429);
}

/// Runs the whole flow for alice and returns the token response.
async fn tokens_via_code_flow(
    server: &Server,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> (Value, reqwest::Client) {
    let flow = Flow {
        issuer: server.issuer("acme"),
        client_id: client_id.into(),
        browser: browser(),
    };
    let body = flow
        .tokens("acme", "alice", PASSWORD, REDIRECT, scope, secret)
        .await;
    (body, flow.browser)
}

fn refresh_client(db: &Db) -> (String, String) {
    let v = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Sync App",
        "--grant-types",
        "authorization_code,refresh_token",
        "--scopes",
        "openid read write",
        "--redirect-uri",
        REDIRECT,
        "--post-logout-redirect-uri",
        "https://sync.example/bye",
    ]);
    (
        v["client_id"].as_str().unwrap().into(),
        v["client_secret"].as_str().unwrap().into(),
    )
}

async fn refresh(
    server: &Server,
    id: &str,
    secret: &str,
    token: &str,
    scope: Option<&str>,
) -> Reply {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((id, secret)),
        &form,
    )
    .await
}

async fn refresh_tokens_rotate_and_reuse_revokes_the_family(db: Db) {
    setup(&db);
    let (id, secret) = refresh_client(&db);
    let server = Server::start(&db).await;
    let (first, _) = tokens_via_code_flow(&server, &id, &secret, "openid read write").await;
    let rt1 = first["refresh_token"]
        .as_str()
        .expect("a refresh token for a client allowed to refresh")
        .to_string();
    assert!(rt1.starts_with("wrt_"));

    // Rotation: a new refresh token each time; scopes may shrink, never grow.
    let r = refresh(&server, &id, &secret, &rt1, Some("openid read")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scope"], "openid read");
    assert!(r.body["id_token"].is_string());
    let rt2 = r.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2);
    refresh(&server, &id, &secret, &rt2, Some("openid read write"))
        .await
        .assert_error(400, "invalid_scope");
    // (the failed attempt spent rt2: refresh tokens are single-use whatever happens)
    let (again, _) = tokens_via_code_flow(&server, &id, &secret, "openid read write").await;
    let rt3 = again["refresh_token"].as_str().unwrap().to_string();
    let r = refresh(&server, &id, &secret, &rt3, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rt4 = r.body["refresh_token"].as_str().unwrap().to_string();

    // Reusing a spent token (after the 1 s race grace) fails and revokes the whole family.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    refresh(&server, &id, &secret, &rt3, None)
        .await
        .assert_error(400, "invalid_grant");
    refresh(&server, &id, &secret, &rt4, None)
        .await
        .assert_error(400, "invalid_grant");

    // Another client cannot use it (and that spends it).
    let (fresh, _) = tokens_via_code_flow(&server, &id, &secret, "openid read").await;
    let rt = fresh["refresh_token"].as_str().unwrap().to_string();
    let (other_id, other_secret) = refresh_client(&db);
    refresh(&server, &other_id, &other_secret, &rt, None)
        .await
        .assert_error(400, "invalid_grant");
    refresh(&server, &id, &secret, &rt, None)
        .await
        .assert_error(400, "invalid_grant");

    // Concurrent use of one token: exactly one request wins, and the
    // winner's successor keeps working (a race within the reuse grace is not
    // treated as theft). Several tokens race at once, so racers for one
    // token share the server's rotation rounds with racers for the others.
    let mut tokens = Vec::new();
    for _ in 0..4 {
        let (fresh, _) = tokens_via_code_flow(&server, &id, &secret, "openid read").await;
        tokens.push(fresh["refresh_token"].as_str().unwrap().to_string());
    }
    let mut racers = Vec::new();
    for rt in &tokens {
        for _ in 0..8 {
            let (url, id, secret, rt) = (
                format!("{}/token", server.issuer("acme")),
                id.clone(),
                secret.clone(),
                rt.clone(),
            );
            racers.push(tokio::spawn(async move {
                let r = post_form(
                    &url,
                    Some((&id, &secret)),
                    &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
                )
                .await;
                let successor = r.body["refresh_token"].as_str().map(String::from);
                (rt, r.status, successor)
            }));
        }
    }
    let mut outcomes = Vec::new();
    for r in racers {
        outcomes.push(r.await.unwrap());
    }
    for rt in &tokens {
        let statuses: Vec<u16> = outcomes
            .iter()
            .filter(|(raced, ..)| raced == rt)
            .map(|(_, status, _)| *status)
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 400),
            "{statuses:?}"
        );
    }
    for (_, _, successor) in outcomes.iter().filter(|(_, status, _)| *status == 200) {
        let successor = successor.as_deref().expect("the winner gets a successor");
        let r = refresh(&server, &id, &secret, successor, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

/// Whether `access` still introspects active, and what userinfo answers for it.
async fn access_alive(server: &Server, id: &str, secret: &str, access: &str) -> (bool, u16) {
    let intro = post_form(
        &format!("{}/introspect", server.issuer("acme")),
        Some((id, secret)),
        &[("token", access)],
    )
    .await;
    assert_eq!(intro.status, 200, "{}", intro.text);
    let info = http()
        .get(format!("{}/userinfo", server.issuer("acme")))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (intro.body["active"] == true, info)
}

async fn refresh_reuse_window_is_exact_and_ends_the_familys_access_tokens(db: Db) {
    setup(&db);
    let (id, secret) = refresh_client(&db);
    let server = Server::start(&db).await;
    let (first, _) = tokens_via_code_flow(&server, &id, &secret, "openid read").await;
    let at1 = first["access_token"].as_str().unwrap().to_string();
    let rt1 = first["refresh_token"].as_str().unwrap().to_string();

    // Within the grace second: refused, but the family lives on.
    let r = refresh(&server, &id, &secret, &rt1, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rt2 = r.body["refresh_token"].as_str().unwrap().to_string();
    refresh(&server, &id, &secret, &rt1, None)
        .await
        .assert_error(400, "invalid_grant");
    let r = refresh(&server, &id, &secret, &rt2, None).await;
    assert_eq!(
        r.status, 200,
        "a race within the grace keeps the family: {}",
        r.text
    );
    let rt3 = r.body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(access_alive(&server, &id, &secret, &at1).await, (true, 200));

    // Spend early in a second and reuse 1.5 s later: whole-second spend times
    // would still see "one second ago" here; the window is 1 s exactly.
    let mut at = None;
    let mut rt = rt3;
    let mut spent = rt.clone();
    for _ in 0..5 {
        let sub_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_millis();
        tokio::time::sleep(Duration::from_millis(
            u64::from((1000 - sub_ms) % 1000) + 50,
        ))
        .await;
        let r = refresh(&server, &id, &secret, &rt, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        spent = rt;
        rt = r.body["refresh_token"].as_str().unwrap().to_string();
        at = Some(r.body["access_token"].as_str().unwrap().to_string());
        let took = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_millis();
        if took < 400 {
            break;
        }
    }
    let newest_access = at.unwrap();
    assert_eq!(
        access_alive(&server, &id, &secret, &newest_access).await,
        (true, 200)
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = refresh(&server, &id, &secret, &spent, None).await;
    r.assert_error(400, "invalid_grant");
    assert!(
        r.text.contains("whole grant has been revoked"),
        "a reuse 1.5 s after the spend is theft: {}",
        r.text
    );
    // The newest refresh token died with the family, and so did every live
    // access token the family issued (the first one and the newest).
    refresh(&server, &id, &secret, &rt, None)
        .await
        .assert_error(400, "invalid_grant");
    assert_eq!(
        access_alive(&server, &id, &secret, &newest_access).await,
        (false, 401)
    );
    assert_eq!(
        access_alive(&server, &id, &secret, &at1).await,
        (false, 401)
    );

    // RFC 7009 revocation of a refresh token ends its grant the same way.
    let (fresh, _) = tokens_via_code_flow(&server, &id, &secret, "openid read").await;
    let (at, rt) = (
        fresh["access_token"].as_str().unwrap(),
        fresh["refresh_token"].as_str().unwrap(),
    );
    let (other_id, other_secret) = refresh_client(&db);
    let revoke = |who: (String, String)| {
        let url = format!("{}/revoke", server.issuer("acme"));
        let rt = rt.to_string();
        async move { post_form(&url, Some((&who.0, &who.1)), &[("token", &rt)]).await }
    };
    revoke((other_id, other_secret))
        .await
        .assert_error(400, "unauthorized_client");
    assert_eq!(access_alive(&server, &id, &secret, at).await, (true, 200));
    let r = revoke((id.clone(), secret.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    refresh(&server, &id, &secret, rt, None)
        .await
        .assert_error(400, "invalid_grant");
    assert_eq!(access_alive(&server, &id, &secret, at).await, (false, 401));
}

async fn refresh_lifetimes_and_logout(db: Db) {
    setup(&db);
    let (id, secret) = refresh_client(&db);
    // Lifetimes are whole seconds: margins below allow for that.
    let out = db.cli(&[
        "tenant",
        "set",
        "acme",
        "--refresh-idle-ttl",
        "4",
        "--refresh-absolute-ttl",
        "7",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start(&db).await;

    // Idle: unused for longer than 4 s, the token is dead.
    let (t, _) = tokens_via_code_flow(&server, &id, &secret, "read").await;
    tokio::time::sleep(Duration::from_millis(5100)).await;
    refresh(
        &server,
        &id,
        &secret,
        t["refresh_token"].as_str().unwrap(),
        None,
    )
    .await
    .assert_error(400, "invalid_grant");

    // Absolute: kept alive by use, it still ends 7 s after login.
    let (t, browser) = tokens_via_code_flow(&server, &id, &secret, "read").await;
    let mut rt = t["refresh_token"].as_str().unwrap().to_string();
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(2200)).await;
        let r = refresh(&server, &id, &secret, &rt, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        rt = r.body["refresh_token"].as_str().unwrap().to_string();
    }
    tokio::time::sleep(Duration::from_millis(3200)).await;
    refresh(&server, &id, &secret, &rt, None)
        .await
        .assert_error(400, "invalid_grant");

    // RP-initiated logout: a confirmation page, then back to the registered URI.
    let flow = Flow {
        issuer: server.issuer("acme"),
        client_id: id.clone(),
        browser,
    };
    let (status, page, _) = flow.get(&format!("{}/logout?client_id={id}&post_logout_redirect_uri=https%3A%2F%2Fsync.example%2Fbye&state=s9", flow.issuer)).await;
    assert_eq!(status, 200);
    // It names the account and the app that sent the user, and offers to stay.
    assert!(page.contains("Sign out of Alice Liddell?"), "{page}");
    assert!(
        page.contains("<strong>alice</strong> (alice@acme.test)"),
        "{page}"
    );
    assert!(
        page.contains("<strong>Sync App</strong> asked to sign you out."),
        "{page}"
    );
    assert!(
        page.contains("href=\"/t/acme/account\">Stay signed in</a>"),
        "{page}"
    );
    let csrf = hidden_field(&page, "csrf");
    let (status, _, location) = flow
        .post(
            "/t/acme/logout",
            &[
                ("csrf", &csrf),
                ("client_id", &id),
                ("post_logout_redirect_uri", "https://sync.example/bye"),
                ("state", "s9"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("https://sync.example/bye?state=s9")
    );
    // The session is gone: prompt=none now needs a login.
    let (_, challenge) = pkce();
    let (_, _, location) = flow
        .get(&flow.authorize_url(&[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("prompt", "none"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]))
        .await;
    assert_eq!(query_of(&location.unwrap())["error"], "login_required");
    // An unregistered post-logout URI is never followed.
    let (_, page, _) = flow.get(&format!("{}/logout", flow.issuer)).await;
    assert!(
        page.contains("You are not signed in here.") && !page.contains("Stay signed in"),
        "{page}"
    );
    let (status, body, location) = flow
        .post(
            "/t/acme/logout",
            &[
                ("csrf", &hidden_field(&page, "csrf")),
                ("client_id", &id),
                ("post_logout_redirect_uri", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!((status, location), (200, None));
    assert!(body.contains("You are signed out"));
    assert!(
        body.contains("href=\"/t/acme/account\"") && body.contains("Sign in again"),
        "a way back in: {body}"
    );
}

async fn cors_only_for_public_client_origins(db: Db) {
    setup(&db);
    db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "SPA",
        "--public",
        "--grant-types",
        "authorization_code",
        "--scopes",
        "read",
        "--redirect-uri",
        "https://spa.example/callback",
    ]);
    let server = Server::start(&db).await;
    let token_url = format!("{}/token", server.issuer("acme"));
    let preflight = |origin: &'static str| {
        let url = token_url.clone();
        async move {
            http()
                .request(reqwest::Method::OPTIONS, &url)
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .send()
                .await
                .unwrap()
        }
    };
    let ok = preflight("https://spa.example").await;
    assert_eq!(ok.status(), 204);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://spa.example"
    );
    assert_eq!(ok.headers()["access-control-allow-methods"], "POST");
    let evil = preflight("https://evil.example").await;
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    // The confidential client's redirect origin is not a browser origin for the token endpoint.
    let confidential = preflight("http://127.0.0.1:9").await;
    assert!(
        confidential
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // Actual requests: the header only for the registered origin.
    for (origin, allowed) in [
        ("https://spa.example", true),
        ("https://evil.example", false),
    ] {
        let r = http()
            .post(&token_url)
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=authorization_code&code=x&client_id=nobody")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers().get("access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
}
