//! client_credentials end to end: what an app developer sees.

mod common;
use common::*;
use serde_json::Value;

on_both_backends!(
    issues_jwt_verifiable_with_jwks,
    scopes_are_checked_and_defaulted,
    resource_sets_audience,
    lifetimes_follow_client_tenant_and_maximum,
    every_signing_algorithm_works,
    client_secret_post_works_and_clients_are_tenant_bound,
);

async fn issues_jwt_verifiable_with_jwks(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read write", &[]);
    let server = Server::start(&db).await;

    let r = post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "read")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["scope"], "read");
    assert_eq!(r.body["expires_in"], 3600);

    let at = r.body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(at).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let claims = verify_with_jwks(&server, "acme", at).await;
    assert_eq!(claims["iss"], server.issuer("acme"));
    assert_eq!(claims["sub"], id.as_str());
    assert_eq!(claims["client_id"], id.as_str());
    assert_eq!(claims["aud"], server.issuer("acme"));
    assert_eq!(claims["scope"], "read");
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 3600);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));

    // Two tokens never share a jti.
    let again = token(&server, "acme", &id, &secret, &[]).await;
    let claims2 = verify_with_jwks(&server, "acme", again["access_token"].as_str().unwrap()).await;
    assert_ne!(claims["jti"], claims2["jti"]);
}

async fn scopes_are_checked_and_defaulted(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read write admin", &["--default-scopes", "read"]);
    let server = Server::start(&db).await;
    let url = format!("{}/token", server.issuer("acme"));

    assert_eq!(
        token(&server, "acme", &id, &secret, &[]).await["scope"],
        "read"
    );
    assert_eq!(
        token(&server, "acme", &id, &secret, &[("scope", "write read")]).await["scope"],
        "read write"
    );
    let r = post_form(
        &url,
        Some((&id, &secret)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "read delete"),
        ],
    )
    .await;
    r.assert_error(400, "invalid_scope");
    let r = post_form(
        &url,
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "caf\u{e9}")],
    )
    .await;
    r.assert_error(400, "invalid_scope");
}

async fn resource_sets_audience(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let (limited, limited_secret) =
        db.create_client("acme", "read", &["--resource", "https://api.acme.test/"]);
    let server = Server::start(&db).await;
    let url = format!("{}/token", server.issuer("acme"));

    let one = token(
        &server,
        "acme",
        &id,
        &secret,
        &[("resource", "https://api.acme.test/")],
    )
    .await;
    let claims = verify_with_jwks(&server, "acme", one["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], "https://api.acme.test/");

    // RFC 8707 allows several resources; the audience is then an array.
    let two = token(
        &server,
        "acme",
        &id,
        &secret,
        &[
            ("resource", "https://a.test/"),
            ("resource", "https://b.test/"),
        ],
    )
    .await;
    let claims = verify_with_jwks(&server, "acme", two["access_token"].as_str().unwrap()).await;
    assert_eq!(
        claims["aud"],
        serde_json::json!(["https://a.test/", "https://b.test/"])
    );

    post_form(
        &url,
        Some((&id, &secret)),
        &[
            ("grant_type", "client_credentials"),
            ("resource", "not-absolute"),
        ],
    )
    .await
    .assert_error(400, "invalid_target");
    post_form(
        &url,
        Some((&id, &secret)),
        &[
            ("grant_type", "client_credentials"),
            ("resource", "https://a.test/#frag"),
        ],
    )
    .await
    .assert_error(400, "invalid_target");
    post_form(
        &url,
        Some((&limited, &limited_secret)),
        &[
            ("grant_type", "client_credentials"),
            ("resource", "https://other.test/"),
        ],
    )
    .await
    .assert_error(400, "invalid_target");
    token(
        &server,
        "acme",
        &limited,
        &limited_secret,
        &[("resource", "https://api.acme.test/")],
    )
    .await;
}

async fn lifetimes_follow_client_tenant_and_maximum(db: Db) {
    db.create_tenant(
        "short",
        &["--access-token-ttl", "600", "--max-access-token-ttl", "900"],
    );
    let (plain, plain_secret) = db.create_client("short", "read", &[]);
    let (long, long_secret) = db.create_client("short", "read", &["--access-token-ttl", "7200"]);
    let (brief, brief_secret) = db.create_client("short", "read", &["--access-token-ttl", "60"]);
    let server = Server::start_with(&db, &[("WARDEN_ACCESS_TOKEN_TTL", "1200")], &[]).await;

    let ttl = |v: Value| v["expires_in"].as_i64().unwrap();
    assert_eq!(
        ttl(token(&server, "short", &plain, &plain_secret, &[]).await),
        600
    );
    assert_eq!(
        ttl(token(&server, "short", &long, &long_secret, &[]).await),
        900,
        "capped at the tenant maximum"
    );
    let t = token(&server, "short", &brief, &brief_secret, &[]).await;
    assert_eq!(ttl(t.clone()), 60);
    let claims = verify_with_jwks(&server, "short", t["access_token"].as_str().unwrap()).await;
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        60
    );
}

async fn every_signing_algorithm_works(db: Db) {
    for (tenant, alg) in [("ec", "ES256"), ("ed", "EdDSA"), ("rsa", "RS256")] {
        let created = db.create_tenant(tenant, &["--alg", alg]);
        assert_eq!(created["signing_alg"], alg);
    }
    let server = Server::start(&db).await;
    for (tenant, alg) in [("ec", "ES256"), ("ed", "EdDSA"), ("rsa", "RS256")] {
        let (id, secret) = db.create_client(tenant, "read", &[]);
        let t = token(&server, tenant, &id, &secret, &[]).await;
        let at = t["access_token"].as_str().unwrap();
        assert_eq!(
            format!("{:?}", jsonwebtoken::decode_header(at).unwrap().alg),
            alg
        );
        verify_with_jwks(&server, tenant, at).await;
        let meta = get_json(&format!(
            "{}/.well-known/openid-configuration",
            server.issuer(tenant)
        ))
        .await;
        assert_eq!(
            meta.body["access_token_signing_alg_values_supported"],
            serde_json::json!([alg])
        );
    }
}

async fn client_secret_post_works_and_clients_are_tenant_bound(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;

    let r = post_form(
        &format!("{}/token", server.issuer("acme")),
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The same credentials at another tenant's token endpoint are unknown there.
    let r = post_form(
        &format!("{}/token", server.issuer("globex")),
        Some((&id, &secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    r.assert_error(401, "invalid_client");
    assert!(
        r.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Basic"))
    );
}
