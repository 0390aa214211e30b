//! Refresh tokens from the authorization code flow: rotation, reuse that
//! revokes the whole family (and its access tokens) after an exact one-second
//! window, revocation, idle and absolute lifetimes; and RP-initiated logout.

mod common;
use common::authorization_code::*;
use common::*;
use serde_json::Value;
use std::time::Duration;

on_both_backends!(
    refresh_tokens_rotate_and_reuse_revokes_the_family,
    refresh_reuse_window_is_exact_and_ends_the_familys_access_tokens,
    refresh_lifetimes_and_logout,
);

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
