//! What the authorization code flow must refuse: open redirects, unknown
//! clients, bad requests sent back to the redirect URI, missing CSRF tokens,
//! codes redeemed by another client, without the verifier or at another
//! tenant; repeated failed logins; and CORS for any origin but a public
//! client's.

mod common;
use common::authorization_code::*;
use common::*;

on_both_backends!(
    authorization_attacks_are_refused,
    failed_logins_are_throttled,
    cors_only_for_public_client_origins,
);

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
    // A browser app may send its DPoP proofs (RFC 9449 §4.1).
    assert_eq!(
        ok.headers()["access-control-allow-headers"],
        "content-type, dpop"
    );
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
