//! RFC 7662 introspection, RFC 7009 revocation, secret rotation, client
//! deletion and signing-key rotation as a resource server and an app see them.

mod common;
use common::*;
use std::time::Duration;

on_both_backends!(
    introspection_reports_active_and_inactive_tokens,
    revocation_is_remembered_and_limited_to_the_owner,
    secret_rotation_keeps_the_old_secret_for_the_overlap,
    deleted_client_stops_working,
    key_rotation_keeps_old_tokens_verifiable,
);

async fn introspect(server: &Server, tenant: &str, auth: (&str, &str), token: &str) -> Reply {
    post_form(
        &format!("{}/introspect", server.issuer(tenant)),
        Some(auth),
        &[("token", token)],
    )
    .await
}

async fn introspection_reports_active_and_inactive_tokens(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    db.create_tenant("brief", &["--access-token-ttl", "2"]);
    let (id, secret) = db.create_client("acme", "read write", &[]);
    let (rs, rs_secret) = db.create_client("acme", "", &[]); // a resource server's own client
    let (g, g_secret) = db.create_client("globex", "read", &[]);
    let (b, b_secret) = db.create_client("brief", "read", &[]);
    let server = Server::start(&db).await;

    let at = token(&server, "acme", &id, &secret, &[("scope", "read")]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = introspect(&server, "acme", (&rs, &rs_secret), &at).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body["client_id"], id.as_str());
    assert_eq!(r.body["scope"], "read");
    assert_eq!(r.body["iss"], server.issuer("acme"));
    assert_eq!(r.body["token_type"], "Bearer");
    assert!(r.body["exp"].is_i64());

    // Malformed, tampered and foreign tokens are simply inactive.
    let mut tampered = at.clone();
    tampered.replace_range(at.len() - 5.., "AAAAA");
    let foreign = token(&server, "globex", &g, &g_secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    for bad in ["garbage", "a.b.c", tampered.as_str(), foreign.as_str()] {
        let r = introspect(&server, "acme", (&rs, &rs_secret), bad).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, serde_json::json!({"active": false}), "{bad}");
    }
    // A client of another tenant may not introspect here.
    introspect(&server, "acme", (&g, &g_secret), &at)
        .await
        .assert_error(401, "invalid_client");
    // A public client proves nothing (its id alone, or Basic `id:`), so it
    // may not introspect.
    let public = db.cli_json(&[
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
        "http://127.0.0.1/cb",
    ]);
    let public = public["client_id"].as_str().unwrap();
    post_form(
        &format!("{}/introspect", server.issuer("acme")),
        None,
        &[("token", &at), ("client_id", public)],
    )
    .await
    .assert_error(401, "invalid_client");
    introspect(&server, "acme", (public, ""), &at)
        .await
        .assert_error(401, "invalid_client");
    // Unauthenticated introspection is refused.
    post_form(
        &format!("{}/introspect", server.issuer("acme")),
        None,
        &[("token", &at)],
    )
    .await
    .assert_error(401, "invalid_client");

    // Expiry: a two-second token goes inactive. (Whole seconds: a one-second
    // token issued late in a second is already expired a moment later.)
    let short = token(&server, "brief", &b, &b_secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        introspect(&server, "brief", (&b, &b_secret), &short)
            .await
            .body["active"],
        true
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        introspect(&server, "brief", (&b, &b_secret), &short)
            .await
            .body["active"],
        false
    );
}

async fn revocation_is_remembered_and_limited_to_the_owner(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let (other, other_secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    let revoke = |auth: (String, String), t: String| {
        let url = format!("{}/revoke", server.issuer("acme"));
        async move {
            post_form(
                &url,
                Some((&auth.0, &auth.1)),
                &[("token", &t), ("token_type_hint", "access_token")],
            )
            .await
        }
    };

    let at = token(&server, "acme", &id, &secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let keep = token(&server, "acme", &id, &secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // Another client may not revoke it.
    let r = revoke((other.clone(), other_secret.clone()), at.clone()).await;
    r.assert_error(400, "unauthorized_client");
    assert_eq!(
        introspect(&server, "acme", (&id, &secret), &at).await.body["active"],
        true
    );

    let r = revoke((id.clone(), secret.clone()), at.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        introspect(&server, "acme", (&id, &secret), &at).await.body["active"],
        false
    );
    assert_eq!(
        introspect(&server, "acme", (&id, &secret), &keep)
            .await
            .body["active"],
        true,
        "only that token is revoked"
    );
    // Revoking twice, or revoking garbage, is fine (RFC 7009 §2.2).
    assert_eq!(
        revoke((id.clone(), secret.clone()), at.clone())
            .await
            .status,
        200
    );
    assert_eq!(
        revoke((id.clone(), secret.clone()), "not-a-token".into())
            .await
            .status,
        200
    );
    // Revocation needs client authentication.
    post_form(
        &format!("{}/revoke", server.issuer("acme")),
        None,
        &[("token", &keep)],
    )
    .await
    .assert_error(401, "invalid_client");

    // Survives a restart: it is in the database.
    server.kill().await;
    let server = Server::start(&db).await;
    assert_eq!(
        introspect(&server, "acme", (&id, &secret), &at).await.body["active"],
        false
    );
}

async fn secret_rotation_keeps_the_old_secret_for_the_overlap(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, old) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    token(&server, "acme", &id, &old, &[]).await;

    let rotated = db.cli_json(&["client", "rotate-secret", &id, "--overlap", "3600"]);
    let new = rotated["client_secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    // Both work during the overlap (new one as soon as the cache notices).
    let url = format!("{}/token", server.issuer("acme"));
    let cc = [("grant_type", "client_credentials")];
    assert!(
        eventually(Duration::from_secs(3), || async {
            post_form(&url, Some((&id, &new)), &cc).await.status == 200
        })
        .await
    );
    token(&server, "acme", &id, &old, &[]).await;

    // With no overlap the previous secret stops at once (within the refresh bound).
    let newer = db.cli_json(&["client", "rotate-secret", &id, "--overlap", "0"])["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        eventually(Duration::from_secs(3), || async {
            post_form(&url, Some((&id, &newer)), &cc).await.status == 200
        })
        .await
    );
    post_form(&url, Some((&id, &new)), &cc)
        .await
        .assert_error(401, "invalid_client");
    post_form(&url, Some((&id, &old)), &cc)
        .await
        .assert_error(401, "invalid_client");
}

async fn deleted_client_stops_working(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    token(&server, "acme", &id, &secret, &[]).await;
    let out = db.cli(&["client", "delete", &id]);
    assert!(out.status.success());
    let url = format!("{}/token", server.issuer("acme"));
    assert!(
        eventually(Duration::from_secs(3), || async {
            post_form(
                &url,
                Some((&id, &secret)),
                &[("grant_type", "client_credentials")],
            )
            .await
            .status
                == 401
        })
        .await,
        "a deleted client kept getting tokens"
    );
    let again = db.cli(&["client", "delete", &id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("client not found"));
}

async fn key_rotation_keeps_old_tokens_verifiable(db: Db) {
    let created = db.create_tenant("acme", &[]);
    let old_kid = created["kid"].as_str().unwrap().to_string();
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    let old_token = token(&server, "acme", &id, &secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let rotated = db.cli_json(&["keys", "rotate", "--tenant", "acme"]);
    let new_kid = rotated["kid"].as_str().unwrap().to_string();
    assert_ne!(new_kid, old_kid);

    let jwks_url = format!("{}/jwks.json", server.issuer("acme"));
    assert!(
        eventually(Duration::from_secs(3), || async {
            let jwks = get_json(&jwks_url).await.body;
            let kids: Vec<_> = jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kid"].as_str().unwrap().to_string())
                .collect();
            kids.contains(&new_kid) && kids.contains(&old_kid)
        })
        .await,
        "JWKS must publish the new key and keep the old one"
    );
    let new_token = token(&server, "acme", &id, &secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .unwrap(),
        new_kid
    );
    verify_with_jwks(&server, "acme", &old_token).await;
    verify_with_jwks(&server, "acme", &new_token).await;
    assert_eq!(
        introspect(&server, "acme", (&id, &secret), &old_token)
            .await
            .body["active"],
        true
    );

    // Switching algorithm on rotation.
    let rsa = db.cli_json(&["keys", "rotate", "--tenant", "acme", "--alg", "EdDSA"]);
    assert_eq!(rsa["alg"], "EdDSA");
    assert!(
        eventually(Duration::from_secs(3), || async {
            let t = token(&server, "acme", &id, &secret, &[]).await["access_token"]
                .as_str()
                .unwrap()
                .to_string();
            jsonwebtoken::decode_header(&t).unwrap().alg == jsonwebtoken::Algorithm::EdDSA
        })
        .await
    );
    verify_with_jwks(&server, "acme", &old_token).await;
}
