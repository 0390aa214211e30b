//! Dynamic client registration (RFC 7591) and its management (RFC 7592),
//! off unless a tenant turns it on: openid-client 6 registers itself and
//! signs a person in; the tenant's registration-policy plugin narrows and
//! refuses; a flood from one address is slowed; the tenant's admins see
//! self-registered clients on the console and remove them.

mod common;
use common::console::{PASSWORD, sign_in};
use common::*;
use serde_json::{Value, json};

on_both_backends!(
    openid_client_registers_itself_and_signs_in,
    registrations_are_refused_when_off_by_policy_and_in_floods,
    the_console_lists_and_removes_self_registered_clients,
    a_registration_is_updated_with_its_token,
);

const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// Tenant acme with alice (an admin), a described scope, registration on
/// and the allowlist policy bound with `policy`.
fn setup(db: &Db, policy: Option<Value>) {
    db.create_tenant("acme", &[]);
    create_user(
        db,
        "acme",
        "alice",
        PASSWORD,
        &["--name", "Alice Liddell", "--admin"],
    );
    let out = db.cli(&[
        "user",
        "describe-scope",
        "--tenant",
        "acme",
        "projects:read",
        "Read your projects",
    ]);
    assert!(out.status.success());
    db.cli_json(&["tenant", "set", "acme", "--dynamic-registration", "on"]);
    if let Some(config) = policy {
        add_and_bind_plugin(
            db,
            "acme",
            "registration-policy",
            "registration-allowlist",
            "allowlist",
            &config.to_string(),
        );
    }
}

async fn register(server: &Server, body: Value) -> Reply {
    let r = http()
        .post(format!("{}/register", server.issuer("acme")))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    Reply::from(r).await
}

async fn openid_client_registers_itself_and_signs_in(db: Db) {
    setup(&db, Some(json!({"redirect_hosts": ["127.0.0.1"]})));
    let server = Server::start(&db).await;
    let issuer = server.issuer("acme");
    let meta = get_json(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(
        meta.body["registration_endpoint"],
        format!("{issuer}/register")
    );

    let r = run_js(
        "registration.mjs",
        &[
            ("ISSUER", issuer.clone()),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
            ("REDIRECT_URI", REDIRECT.into()),
        ],
    )
    .await;
    let tool = &r["tool"];
    assert_eq!(tool["has_secret"], false, "{r}");
    // The policy kept only the loopback redirect URI.
    assert_eq!(tool["redirect_uris"], json!([REDIRECT]), "{r}");
    assert_eq!(tool["scope"], "openid projects:read", "{r}");
    assert_eq!(tool["has_registration_token"], true, "{r}");
    let id = tool["client_id"].as_str().unwrap();
    assert_eq!(
        tool["registration_client_uri"],
        format!("{issuer}/register/{id}"),
        "{r}"
    );
    assert_eq!(tool["token_scope"], "openid projects:read", "{r}");
    assert_eq!(r["read"]["status"], 200, "{r}");
    assert_eq!(r["read"]["client_name"], "Assistant tools", "{r}");
    assert_eq!(r["read"]["wrong_token_status"], 401, "{r}");
    assert_eq!(r["service"]["has_secret"], true, "{r}");
    assert_eq!(r["service"]["token_type"], "bearer", "{r}");
    assert_eq!(r["deleted"]["status"], 204, "{r}");
    assert_eq!(r["deleted"]["refresh_error"], "invalid_client", "{r}");
    assert_eq!(r["bad_redirect_error"], "invalid_redirect_uri", "{r}");

    // Each registration is in the audit trail as the client's own.
    let own = records(&db, "client.created");
    assert_eq!(own.len(), 2, "{own:?}");
    assert!(
        own.iter()
            .all(|d| d["registration"] == "dynamic" && d["actor"] == "registration"),
        "{own:?}"
    );
}

/// The audit records of `action` in acme, their details.
fn records(db: &Db, action: &str) -> Vec<Value> {
    db.cli_json(&["audit", "list", "--tenant", "acme"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == action)
        .map(|a| serde_json::from_str(a["detail"].as_str().unwrap()).unwrap())
        .collect()
}

async fn registrations_are_refused_when_off_by_policy_and_in_floods(db: Db) {
    db.create_tenant("globex", &[]);
    setup(
        &db,
        Some(json!({"redirect_hosts": ["127.0.0.1"], "blocked_software": ["scraper-9000"]})),
    );
    let server = Server::start(&db).await;
    let tool = |extra: Value| {
        let mut body = json!({"client_name": "Tool", "redirect_uris": [REDIRECT],
                              "token_endpoint_auth_method": "none"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };

    // A tenant that did not turn registration on takes none, and says so.
    let off = http()
        .post(format!("{}/register", server.issuer("globex")))
        .header("content-type", "application/json")
        .body(tool(json!({})).to_string())
        .send()
        .await
        .unwrap();
    Reply::from(off).await.assert_error(403, "access_denied");
    let meta = get_json(&format!(
        "{}/.well-known/openid-configuration",
        server.issuer("globex")
    ))
    .await;
    assert!(meta.body.get("registration_endpoint").is_none());

    // The policy refuses, saying why.
    let r = register(&server, tool(json!({"software_id": "scraper-9000"}))).await;
    r.assert_error(400, "invalid_client_metadata");
    assert!(
        r.text.contains("does not register scraper-9000"),
        "{}",
        r.text
    );
    let r = register(
        &server,
        tool(json!({"redirect_uris": ["https://elsewhere.example/cb"]})),
    )
    .await;
    r.assert_error(400, "invalid_client_metadata");
    assert!(r.text.contains("127.0.0.1"), "{}", r.text);
    // Metadata refused before any policy: RFC 7591's own errors.
    register(&server, tool(json!({"redirect_uris": []})))
        .await
        .assert_error(400, "invalid_redirect_uri");
    register(&server, tool(json!({"scope": "admin"})))
        .await
        .assert_error(400, "invalid_client_metadata");
    register(&server, tool(json!({"grant_types": ["password"]})))
        .await
        .assert_error(400, "invalid_client_metadata");
    let not_json = http()
        .post(format!("{}/register", server.issuer("acme")))
        .header("content-type", "application/json")
        .body("{\"client_name\": ")
        .send()
        .await
        .unwrap();
    Reply::from(not_json)
        .await
        .assert_error(400, "invalid_client_metadata");

    // Ten registrations from one address in 15 minutes (good or bad, but
    // not unreadable ones), then a wait: six were made above.
    for n in 0..4 {
        let r = register(&server, tool(json!({"client_name": format!("Tool {n}")}))).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let flood = register(&server, tool(json!({}))).await;
    flood.assert_error(429, "temporarily_unavailable");
    let wait: u64 = flood.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
}

async fn the_console_lists_and_removes_self_registered_clients(db: Db) {
    setup(&db, None);
    let server = Server::start(&db).await;
    let made = register(
        &server,
        json!({"client_name": "Assistant tools", "redirect_uris": [REDIRECT],
               "token_endpoint_auth_method": "none", "client_uri": "https://tools.example"}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.body["client_id"].as_str().unwrap().to_string();
    let token = made.body["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // An operator's client is not listed among them.
    db.create_client("acme", "projects:read", &[]);

    // As the admin sees it in Chromium at phone and desktop width
    // (screenshots in target/console-screenshots/).
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../target/console-screenshots/{}",
        db.backend_name()
    ));
    let seen = run_js(
        "signed_in_page.mjs",
        &[
            (
                "PAGE_URL",
                format!("{}/console/clients", server.issuer("acme")),
            ),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
            ("CHROMIUM", chromium()),
            ("SHOTS", shots.display().to_string()),
            ("NAME", "registered-clients".into()),
        ],
    )
    .await;
    for width in ["375", "1280"] {
        let page = &seen[width];
        assert_eq!(page["status"], 200, "{seen}");
        assert_eq!(page["heading"], "Registered clients", "{seen}");
        assert!(
            page["text"].as_str().unwrap().contains("Assistant tools"),
            "{seen}"
        );
        assert_eq!(page["violations"], json!([]), "{width}: {seen}");
        assert_eq!(page["overflow"], Value::Null, "{width}: {seen}");
    }

    let alice = sign_in(&server, "acme", "alice").await;
    let (status, page) = alice.get("/clients").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Assistant tools"), "{page}");
    assert!(page.contains("Self-registered"), "{page}");
    assert!(page.contains("https://tools.example"), "{page}");
    assert!(page.contains("Registration is on"), "{page}");
    // With registration on, the section is in the console's navigation.
    let (_, overview) = alice.get("").await;
    assert!(overview.contains(">Registered clients</a>"), "{overview}");
    assert!(
        !page.contains("test-app"),
        "an operator's client is not listed: {page}"
    );

    let (status, page) = alice
        .post(&format!("/clients/{id}/delete"), &[], None)
        .await;
    assert_eq!(status, 303, "{page}");
    let (_, page) = alice.get("/clients?done=client_removed").await;
    assert!(page.contains("The client was removed"), "{page}");
    assert!(!page.contains("Assistant tools"), "{page}");
    // Its registration is gone too.
    let read = http()
        .get(format!("{}/register/{id}", server.issuer("acme")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 401);
    let deleted = records(&db, "client.deleted");
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!(deleted[0]["actor"], "alice", "{deleted:?}");
}

/// RFC 7592 §2.2: the client replaces its metadata with its registration
/// access token; the rules and the policy hold as at registration.
async fn a_registration_is_updated_with_its_token(db: Db) {
    setup(&db, Some(json!({"redirect_hosts": ["127.0.0.1"]})));
    let server = Server::start(&db).await;
    let made = register(
        &server,
        json!({"client_name": "Tool", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.body["client_id"].as_str().unwrap().to_string();
    let token = made.body["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let uri = made.body["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let put = |body: Value, token: String| {
        let uri = uri.clone();
        async move {
            let r = http()
                .put(uri)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            Reply::from(r).await
        }
    };
    let wanted = json!({"client_id": id, "client_name": "Tool 2", "token_endpoint_auth_method": "none",
                        "redirect_uris": ["http://127.0.0.1:7/cb", "https://elsewhere.example/cb"],
                        "scope": "openid projects:read"});
    let r = put(wanted.clone(), token.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["client_name"], "Tool 2");
    // The policy still keeps only loopback redirect URIs.
    assert_eq!(r.body["redirect_uris"], json!(["http://127.0.0.1:7/cb"]));
    assert_eq!(r.body["scope"], "openid projects:read");
    assert!(r.body.get("registration_access_token").is_none());
    let read = http().get(&uri).bearer_auth(&token).send().await.unwrap();
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["client_name"], "Tool 2", "{read}");

    // Refused: another token; another client_id; a changed auth method;
    // fields only the server sets; scopes the tenant does not offer.
    put(wanted.clone(), "wrg_wrong".into())
        .await
        .assert_error(401, "invalid_token");
    let with = |extra: Value| {
        let mut b = wanted.clone();
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    for (extra, says) in [
        (json!({"client_id": "cl_other"}), "own client_id"),
        (
            json!({"token_endpoint_auth_method": "client_secret_basic"}),
            "cannot change",
        ),
        (
            json!({"registration_access_token": token}),
            "cannot be sent",
        ),
        (json!({"scope": "admin"}), "not offered"),
    ] {
        let r = put(with(extra.clone()), token.clone()).await;
        r.assert_error(400, "invalid_client_metadata");
        assert!(r.text.contains(says), "{extra}: {}", r.text);
    }
    let updated = records(&db, "client.updated");
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0]["actor"], "registration");
}
