//! How an installation's credentials reach the app: pushed to its hook,
//! signed (Standard Webhooks, a rotated secret co-signing) and encrypted to
//! its key (JWE that stock libraries decrypt), delivered once even when the
//! server dies mid-delivery; or pulled with the app's own key
//! (`private_key_jwt`) for each installation.

mod common;
use common::apps::*;
use common::*;
use serde_json::{Value, json};

on_both_backends!(
    provet_credentials_are_pushed_signed_and_encrypted,
    pushed_secrets_decrypt_with_stock_libraries_for_every_key_type,
    killed_mid_delivery_the_install_event_arrives_once,
    a_rotated_webhook_secret_co_signs_during_its_overlap,
    a_pull_app_gets_tokens_with_its_key_for_each_installation,
);

/// Provet Cloud's flow: a clinic enables the integration; the integrator's
/// hook receives the clinic's own credentials, verifies the Standard Webhooks
/// signature with the stock package, decrypts the secret and gets a 10-hour
/// token. Every later change arrives in order, numbered.
async fn provet_credentials_are_pushed_signed_and_encrypted(db: Db) {
    let receiver = PyReceiver::start().await;
    db.create_tenant("clinic-1", &[]);
    let server = Server::start_with(
        &db,
        &[
            ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
            ("WARDEN_DELIVERY_BACKOFF_MS", "200"),
            ("WARDEN_DELIVERY_POLL_MS", "100"),
        ],
        &[],
    )
    .await;
    let api = AdminApi::of(&server);
    let manifest = json!({
        "slug": "vet-sync",
        "name": "Vet Sync",
        "publisher": {"name": "Integrator Oy"},
        "hook_url": format!("http://127.0.0.1:{}/hook", receiver.port),
        "access_token_ttl": 36000,
        "jwks": {"keys": [receiver.public_jwk]},
        "permissions": [{"name": "patients:read", "level": "tenant", "description": "Read patient records"}]
    });
    let r = api.post("/apps", manifest).await;
    assert_eq!(r.status, 201, "{}", r.text);
    std::fs::write(
        receiver.dir.path().join("secret"),
        r.body["webhook_secret"].as_str().unwrap(),
    )
    .unwrap();

    let r = api
        .post(
            "/tenants/clinic-1/installations",
            json!({"app": "vet-sync"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let inst = r.body;
    let id = inst["id"].as_str().unwrap();
    let events = receiver.wait_for(1).await;
    let created = &events[0];
    assert_eq!(created["verified"], true, "{created}");
    assert_eq!(created["type"], "installation.created");
    assert_eq!(created["sequence"], 1);
    assert_eq!(created["tenant"], "clinic-1");
    assert_eq!(created["installation"], id);
    assert_eq!(created["service_account"], inst["service_account"]["name"]);
    assert_eq!(created["permissions"], json!(["patients:read"]));
    assert_eq!(
        created["clear_secret_sent"], false,
        "an enc key was published: JWE only"
    );
    assert_eq!(created["token_status"], 200, "{created}");
    assert_eq!(created["expires_in"], 36000);
    let claims = verify_with_jwks(
        &server,
        "clinic-1",
        created["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(claims["sub"], inst["service_account"]["id"]);
    assert!(created["webhook_id"].as_str().unwrap().starts_with("evt_"));
    // The secret is in no delivery row and no log.
    assert!(
        !server
            .logs()
            .contains(inst["client_secret"].as_str().unwrap())
    );

    // Suspend, resume, rotate, uninstall: in order, numbered, each verified.
    let path = format!("/tenants/clinic-1/installations/{id}");
    assert_eq!(
        api.post(&format!("{path}/suspend"), json!({})).await.status,
        200
    );
    assert_eq!(
        api.post(&format!("{path}/resume"), json!({})).await.status,
        200
    );
    assert_eq!(
        api.post(&format!("{path}/rotate-secret"), json!({"overlap": 0}))
            .await
            .status,
        200
    );
    // (The integrator uses the rotated secret before the clinic uninstalls.)
    receiver.wait_for(4).await;
    assert_eq!(api.delete(&path).await.status, 204);
    let events = receiver.wait_for(5).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "installation.created",
            "installation.suspended",
            "installation.resumed",
            "installation.credentials_rotated",
            "installation.deleted"
        ]
    );
    let sequences: Vec<i64> = events
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(sequences, [1, 2, 3, 4, 5]);
    assert!(events.iter().all(|e| e["verified"] == true), "{events:?}");
    // The rotated secret worked for the integrator while installed.
    assert_eq!(events[3]["token_status"], 200, "{}", events[3]);
}

/// Integrators publish the encryption key their JOSE library makes by default:
/// RSA (RSA-OAEP-256) for most, X25519 or P-256 for others. Each gets its
/// secret only as a JWE, which joserfc (in the hook) and `jose` on npm decrypt.
async fn pushed_secrets_decrypt_with_stock_libraries_for_every_key_type(db: Db) {
    db.create_tenant("clinic-1", &[]);
    let server = Server::start_with(
        &db,
        &[
            ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
            ("WARDEN_DELIVERY_BACKOFF_MS", "200"),
            ("WARDEN_DELIVERY_POLL_MS", "100"),
        ],
        &[],
    )
    .await;
    let api = AdminApi::of(&server);
    for (kind, alg) in [
        ("RSA", "RSA-OAEP-256"),
        ("P-256", "ECDH-ES"),
        ("X25519", "ECDH-ES"),
    ] {
        let receiver = PyReceiver::start_with_key(kind).await;
        let slug = format!("sync-{}", kind.to_lowercase());
        let manifest = json!({
            "slug": slug,
            "name": format!("Sync {kind}"),
            "publisher": {"name": "Integrator Oy"},
            "hook_url": format!("http://127.0.0.1:{}/hook", receiver.port),
            "jwks": {"keys": [receiver.public_jwk]},
            "permissions": [{"name": "patients:read", "level": "tenant", "description": "Read patient records"}]
        });
        let r = api.post("/apps", manifest).await;
        assert_eq!(r.status, 201, "{kind}: {}", r.text);
        std::fs::write(
            receiver.dir.path().join("secret"),
            r.body["webhook_secret"].as_str().unwrap(),
        )
        .unwrap();
        let r = api
            .post("/tenants/clinic-1/installations", json!({"app": slug}))
            .await;
        assert_eq!(r.status, 201, "{kind}: {}", r.text);
        let secret = r.body["client_secret"].as_str().unwrap().to_string();
        let created = receiver.wait_for(1).await.remove(0);
        assert_eq!(created["verified"], true, "{kind}: {created}");
        assert_eq!(created["clear_secret_sent"], false, "{kind}: JWE only");
        // joserfc decrypted it in the hook, and the secret got a token.
        assert_eq!(created["token_status"], 200, "{kind}: {created}");
        let private = std::fs::read_to_string(receiver.dir.path().join("private.jwk")).unwrap();
        let jose = run_js(
            "decrypt_jwe.mjs",
            &[
                (
                    "JWE",
                    created["client_secret_jwe"].as_str().unwrap().to_string(),
                ),
                ("PRIVATE_JWK", private),
                ("ALG", alg.to_string()),
            ],
        )
        .await;
        assert_eq!(jose["header"]["alg"], alg, "{kind}: {jose}");
        assert_eq!(jose["header"]["enc"], "A256GCM");
        assert_eq!(
            jose["plaintext"]["client_secret"],
            secret.as_str(),
            "{kind}"
        );
    }
}

/// Standard Webhooks verification by hand: HMAC-SHA256 under the base64 key
/// of the `whsec_` secret over "{webhook-id}.{webhook-timestamp}.{body}".
async fn killed_mid_delivery_the_install_event_arrives_once(db: Db) {
    let receiver = common::Receiver::start(Answer::Hang).await;
    db.create_tenant("acme", &[]);
    // A 1 s request timeout makes the lease 6 s.
    let env = [
        ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
        ("WARDEN_DELIVERY_BACKOFF_MS", "200"),
        ("WARDEN_DELIVERY_POLL_MS", "100"),
        ("WARDEN_DELIVERY_TIMEOUT_MS", "1000"),
    ];
    let server = Server::start_with(&db, &env, &[]).await;
    let api = AdminApi::of(&server);
    let mut m = manifest();
    m["hook_url"] = json!(format!("{}/hook", receiver.origin));
    let r = api.post("/apps", m).await;
    let secret = r.body["webhook_secret"].as_str().unwrap().to_string();
    let inst = install(&api, json!("all")).await;

    // kill -9 while the receiver holds the install event.
    let first = receiver
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    server.kill().await;
    receiver.answer(Answer::Ok);
    let server = Server::start_with(&db, &env, &[]).await;
    let got = receiver
        .wait_for(2, std::time::Duration::from_secs(20))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let all = receiver.all();
    assert_eq!(all.len(), got.len(), "nothing more once it was delivered");
    // From the receiver's side: one message id, one event, verifiable.
    let ids: std::collections::HashSet<&str> = all.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(all.iter().all(|r| r.body == first[0].body));
    assert!(all.iter().all(|r| r.standard_signature_valid(&secret)));
    // And Warden's Ed25519 signature (v1a) with a key it publishes: valid for
    // this message only.
    let keys = get_json(&format!("{}/.well-known/webhook-keys", server.base)).await;
    let public = keys.body["keys"][0]["public_key"].as_str().unwrap();
    assert!(public.starts_with("whpk_"), "{}", keys.text);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let public = ring::signature::UnparsedPublicKey::new(
        &ring::signature::ED25519,
        b64.decode(public.strip_prefix("whpk_").unwrap()).unwrap(),
    );
    let r = &all[0];
    let v1a = r
        .header("webhook-signature")
        .split(' ')
        .find_map(|s| s.strip_prefix("v1a,"))
        .expect("a v1a signature");
    let sig = b64.decode(v1a).unwrap();
    let signed = format!(
        "{}.{}.{}",
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.body
    );
    assert!(public.verify(signed.as_bytes(), &sig).is_ok());
    assert!(
        public
            .verify(format!("{signed} ").as_bytes(), &sig)
            .is_err()
    );
    let event = all[0].json();
    assert_eq!(event["type"], "installation.created");
    assert_eq!(event["data"]["installation"]["id"], inst["id"]);
    // No enc key published: the secret travels in clear JSON (over TLS in production).
    assert_eq!(
        event["data"]["credentials"]["client_secret"],
        inst["client_secret"]
    );
    server.kill().await;
}

async fn a_rotated_webhook_secret_co_signs_during_its_overlap(db: Db) {
    let receiver = common::Receiver::start(Answer::Ok).await;
    db.create_tenant("acme", &[]);
    let env = [
        ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
        ("WARDEN_DELIVERY_POLL_MS", "100"),
    ];
    let server = Server::start_with(&db, &env, &[]).await;
    let api = AdminApi::of(&server);
    let mut m = manifest();
    m["hook_url"] = json!(format!("{}/hook", receiver.origin));
    let old = api.post("/apps", m).await.body["webhook_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api
        .post(
            "/apps/docs-sync/webhook-secret/rotate",
            json!({"overlap": 3600}),
        )
        .await;
    let new = r.body["webhook_secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    install(&api, json!("all")).await;
    let got = receiver
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    // One v1 per secret (the new one first) and Warden's v1a: both secrets verify.
    let versions: Vec<&str> = got[0]
        .header("webhook-signature")
        .split(' ')
        .map(|s| s.split(',').next().unwrap())
        .collect();
    assert_eq!(versions, ["v1", "v1", "v1a"]);
    assert!(got[0].standard_signature_valid(&new) && got[0].standard_signature_valid(&old));
    // Without an overlap only the newest signs.
    let r = api
        .post(
            "/apps/docs-sync/webhook-secret/rotate",
            json!({"overlap": 0}),
        )
        .await;
    let newest = r.body["webhook_secret"].as_str().unwrap().to_string();
    let id = api.list("/tenants/acme/installations").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.post(
        &format!("/tenants/acme/installations/{id}/suspend"),
        json!({}),
    )
    .await;
    let got = receiver
        .wait_for(2, std::time::Duration::from_secs(10))
        .await;
    assert!(got[1].standard_signature_valid(&newest));
    assert!(!got[1].standard_signature_valid(&new));
    assert_eq!(
        api.post(
            "/apps/docs-sync/webhook-secret/rotate",
            json!({"overlap": -1})
        )
        .await
        .status,
        400
    );
    assert_eq!(
        api.post("/apps/nope/webhook-secret/rotate", json!({}))
            .await
            .status,
        404
    );
}

/// Pull credentials: an integrator that never receives a secret gets tokens
/// for its installations in two tenants with one signing key, through
/// Authlib's `private_key_jwt`; bad assertions are `invalid_client` with a
/// description, another app's installation `invalid_grant`.
async fn a_pull_app_gets_tokens_with_its_key_for_each_installation(db: Db) {
    let keys = run_py("pull_app.py", &[("KEYGEN", "1".into())]).await;
    let (server, api) = setup(&db).await;
    db.create_tenant("globex", &[]);
    let mut m = manifest();
    m["slug"] = json!("docs-pull");
    m["credentials"] = json!("pull");
    let r = api.post("/apps", m.clone()).await;
    assert_eq!(r.status, 422, "a pull app needs a signing key: {}", r.text);
    assert_eq!(r.body["field"], "jwks");
    m["jwks"] = json!({"keys": [keys["public"]]});
    assert_eq!(api.post("/apps", m).await.status, 201);
    let mut ids = vec![];
    for tenant in ["acme", "globex"] {
        let r = api
            .post(
                &format!("/tenants/{tenant}/installations"),
                json!({"app": "docs-pull", "resources": "all"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            r.body["client_id"],
            Value::Null,
            "nothing is pushed: {}",
            r.text
        );
        assert!(r.body.get("client_secret").is_none_or(Value::is_null));
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let other = install(&api, json!("all")).await;
    let r = api
        .post(
            "/tenants/acme/clients",
            json!({"name": "Reports (keys)", "scopes": "read", "jwks": {"keys": [keys["public"]]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["client_secret"],
        Value::Null,
        "a client with keys gets no secret"
    );
    let keyed = r.body["client_id"].as_str().unwrap().to_string();
    let r = api
        .post(
            "/tenants/acme/clients",
            json!({"name": "Leaky", "jwks": {"keys": [keys["private"]]}}),
        )
        .await;
    assert_eq!(r.status, 400, "a private key is refused: {}", r.text);
    let env = [
        (
            "ORDINARY_CLIENT",
            format!("{} {keyed}", server.issuer("acme")),
        ),
        ("APP_ID", "docs-pull".to_string()),
        ("APP_KEY", keys["private"].to_string()),
        ("TENANT_A", format!("{} {}", server.issuer("acme"), ids[0])),
        (
            "TENANT_B",
            format!("{} {}", server.issuer("globex"), ids[1]),
        ),
        (
            "OTHER_INSTALLATION",
            other["id"].as_str().unwrap().to_string(),
        ),
    ];
    let report = run_py("pull_app.py", &env).await;
    for (name, tenant, id) in [
        ("TENANT_A", "acme", &ids[0]),
        ("TENANT_B", "globex", &ids[1]),
    ] {
        let t = &report[name];
        assert_eq!(t["expires_in"], 36000, "{t}");
        assert_eq!(t["scope"], "directory:read documents:write");
        let claims = verify_with_jwks(&server, tenant, t["access_token"].as_str().unwrap()).await;
        assert_eq!(claims["installation"]["id"], json!(id));
        assert_eq!(claims["client_id"], "docs-pull");
        assert!(claims["sub"].as_str().unwrap().starts_with("usr_"));
        assert_eq!(
            claims["authorization_details"][0]["identifiers"],
            json!(["*"])
        );
    }
    assert_eq!(report["first_use"]["status"], 200, "{report}");
    let ordinary = &report["ordinary"];
    assert_eq!(ordinary["scope"], "read", "{ordinary}");
    let claims =
        verify_with_jwks(&server, "acme", ordinary["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["client_id"], json!(keyed));
    let discovery = get_json(&format!(
        "{}/.well-known/openid-configuration",
        server.issuer("acme")
    ))
    .await;
    assert!(
        discovery.body["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("private_key_jwt")),
        "{}",
        discovery.text
    );
    for (case, needle) in [
        ("replayed", "already used"),
        ("expired", "expired"),
        ("too_long", "too long"),
        ("wrong_audience", "aud"),
        ("unknown_key", "signature"),
        ("alg_none", "none and HMAC are refused"),
        ("hs256_with_public_key", "refused"),
        ("garbage", "not a JWT"),
    ] {
        let r = &report[case];
        assert_eq!(r["status"], 401, "{case}: {r}");
        assert_eq!(r["error"], "invalid_client", "{case}: {r}");
        assert!(
            r["description"].as_str().unwrap().contains(needle),
            "{case}: {r}"
        );
    }
    assert_eq!(report["no_installation"]["status"], 400, "{report}");
    let r = &report["someone_elses_installation"];
    assert_eq!(r["error"], "invalid_grant", "{r}");

    // A suspended installation: invalid_grant saying so.
    let r = api
        .post(
            &format!("/tenants/acme/installations/{}/suspend", ids[0]),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    let mut one = env.to_vec();
    one.push(("ONE_REQUEST", "1".into()));
    let r = run_py("pull_app.py", &one).await;
    assert_eq!(r["error"], "invalid_grant", "{r}");
    assert!(
        r["description"].as_str().unwrap().contains("suspended"),
        "{r}"
    );
}
