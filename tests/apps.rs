//! Apps that tenants install, through the real binary's admin API: the
//! registry (manifests, versions, errors that name the field), tenants'
//! resources, installations with service accounts, upgrades, the install
//! hook, the catalog, installation tokens (scope, `installation`, RFC 9396
//! `authorization_details`) and the built-in AuthZEN rule. Credentials
//! pushed to apps are in app_credentials.rs, usage and quotas in app_usage.rs.

mod common;
use common::apps::*;
use common::*;
use serde_json::{Value, json};

on_both_backends!(
    procore_install_tokens_and_authzen,
    bad_manifests_name_the_field,
    installation_lifecycle_and_service_account,
    upgrades_wait_for_approval_and_drops_apply_at_once,
    concurrent_approve_and_uninstall_end_consistently,
    a_required_install_hook_gates_the_installation,
    the_catalog_shows_listed_apps_and_how_they_are_installed,
);

async fn procore_install_tokens_and_authzen(db: Db) {
    let (server, api) = setup(&db).await;
    // An admin installs it with two of the three projects.
    let inst = install(&api, json!({"project": ["p2", "p1"]})).await;
    assert_eq!(inst["status"], "active");
    assert_eq!(inst["version"], 1);
    assert_eq!(inst["installed_by"], "ada@acme.example");
    assert_eq!(
        inst["permissions"],
        json!(["directory:read", "documents:write"])
    );
    assert_eq!(inst["resources"], json!({"project": ["p1", "p2"]}));
    let account = inst["service_account"]["name"].as_str().unwrap();
    let (prefix, hex) = account.rsplit_once('-').unwrap();
    assert_eq!(prefix, "docs-sync");
    assert!(
        hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{account}"
    );
    assert!(inst["client_secret"].as_str().unwrap().starts_with("wsec_"));

    // Its token: sub = the service account, scope = what was approved, the
    // installation and the selected projects.
    let r = installation_token(&server, &inst, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["expires_in"], 36000, "the manifest's 10 hours");
    let access = r.body["access_token"].as_str().unwrap().to_string();
    let claims = verify_with_jwks(&server, "acme", &access).await;
    assert_eq!(claims["sub"], inst["service_account"]["id"]);
    assert_eq!(claims["scope"], "directory:read documents:write");
    assert_eq!(
        claims["installation"],
        json!({"id": inst["id"], "app": "docs-sync", "version": 1})
    );
    assert_eq!(
        claims["authorization_details"],
        json!([{"type": "project", "actions": ["documents:write"], "identifiers": ["p1", "p2"]}])
    );
    // Less is fine; more than approved is not.
    let r = installation_token(&server, &inst, Some("directory:read")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let claims = verify_with_jwks(&server, "acme", r.body["access_token"].as_str().unwrap()).await;
    assert!(claims.get("authorization_details").is_none(), "{claims}");
    installation_token(&server, &inst, Some("budget:read"))
        .await
        .assert_error(400, "invalid_scope");

    // AuthZEN answers from the same grant: project 1 yes, project 3 no.
    let sa = inst["service_account"]["id"].as_str().unwrap();
    assert!(evaluate(&server, &access, sa, "documents:write", "p1").await);
    assert!(!evaluate(&server, &access, sa, "documents:write", "p3").await);
    assert!(!evaluate(&server, &access, sa, "budget:read", "p1").await);
    assert!(evaluate(&server, &access, sa, "directory:read", "p9").await);
    assert!(!evaluate(&server, &access, "usr_nobody", "directory:read", "p1").await);

    // A second install of the same app in the tenant is a conflict.
    let r = api
        .post("/tenants/acme/installations", json!({"app": "docs-sync"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));

    // The admin changes the selection: the next token says so.
    let id = inst["id"].as_str().unwrap();
    let r = api
        .put(
            &format!("/tenants/acme/installations/{id}/resources"),
            json!({"project": ["p3"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["revision"], 2);
    let r = installation_token(&server, &inst, None).await;
    let claims = verify_with_jwks(&server, "acme", r.body["access_token"].as_str().unwrap()).await;
    assert_eq!(
        claims["authorization_details"][0]["identifiers"],
        json!(["p3"])
    );
    // Removing a resource removes it from every selection.
    let r = api.delete("/tenants/acme/resources/project/p3").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = api.get(&format!("/tenants/acme/installations/{id}")).await;
    assert_eq!(r.body["resources"], json!({"project": []}));
    assert_eq!(r.body["revision"], 3);
    let r = api.delete("/tenants/acme/resources/project/p3").await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Selecting what the tenant does not have, or a type the app never declared.
    for bad in [
        json!({"project": ["p404"]}),
        json!({"site": ["p1"]}),
        json!(7),
    ] {
        let r = api
            .put(
                &format!("/tenants/acme/installations/{id}/resources"),
                bad.clone(),
            )
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }

    // "all" selects every project, now and later, as "*".
    let r = api
        .put(
            &format!("/tenants/acme/installations/{id}/resources"),
            json!("all"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = installation_token(&server, &inst, None).await;
    let claims = verify_with_jwks(&server, "acme", r.body["access_token"].as_str().unwrap()).await;
    assert_eq!(
        claims["authorization_details"][0]["identifiers"],
        json!(["*"])
    );
}

async fn bad_manifests_name_the_field(db: Db) {
    let (_server, api) = setup(&db).await;
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "permissions[0].level",
            Box::new(|m| m["permissions"][0]["level"] = json!("galaxy")),
        ),
        (
            "permissions[2].name",
            Box::new(|m| m["permissions"][2]["name"] = json!("directory:read")),
        ),
        (
            "permissions[1].resource_type",
            Box::new(|m| m["permissions"][1]["resource_type"] = json!("site")),
        ),
        (
            "hook_url",
            Box::new(|m| m["hook_url"] = json!("http://hooks.acme.example/warden")),
        ),
        (
            "description",
            Box::new(|m| m["description"] = json!("x".repeat(5000))),
        ),
        ("colour", Box::new(|m| m["colour"] = json!("blue"))),
        ("slug", Box::new(|m| m["slug"] = json!("Docs Sync!"))),
        ("permissions", Box::new(|m| m["permissions"] = json!([]))),
        (
            "jwks.keys[0]",
            Box::new(|m| m["jwks"] = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})),
        ),
        // Encryption keys Warden cannot encrypt to: refused, never a secret in clear.
        (
            "jwks.keys[1]",
            Box::new(|m| {
                m["jwks"] = json!({"keys": [
                    {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "use": "sig"},
                    {"kty": "EC", "crv": "P-384", "use": "enc",
                     "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                     "y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]})
            }),
        ),
        (
            "jwks.keys[0]",
            Box::new(|m| {
                // 1024 bits: too weak.
                m["jwks"] = json!({"keys": [{"kty": "RSA", "use": "enc", "e": "AQAB",
                    "n": format!("{}Q", "w".repeat(170))}]})
            }),
        ),
        (
            "jwks.keys[0]",
            Box::new(|m| {
                m["jwks"] = json!({"keys": [{"kty": "RSA", "use": "enc", "alg": "RSA1_5", "e": "AQAB",
                    "n": format!("{}Q", "w".repeat(341))}]})
            }),
        ),
    ];
    for (field, edit) in cases {
        let mut m = manifest();
        m["slug"] = json!("other-app");
        edit(&mut m);
        let r = api.post("/apps", m).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.body["field"], field, "{}", r.text);
    }
    // Nothing half-written: the registry holds only the one good app.
    let r = api.get("/apps").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);

    // Registering a slug twice is a conflict; a changed manifest is a new
    // version; the same manifest again publishes nothing.
    assert_eq!(api.post("/apps", manifest()).await.status, 409);
    let mut v2 = manifest();
    v2["description"] = json!("Now with budgets.");
    let r = api.post("/apps/docs-sync/versions", v2.clone()).await;
    assert_eq!(
        (r.status, r.body["version"].clone()),
        (201, json!(2)),
        "{}",
        r.text
    );
    let r = api.post("/apps/docs-sync/versions", v2).await;
    assert_eq!(
        (r.status, r.body["version"].clone()),
        (200, json!(2)),
        "{}",
        r.text
    );
    let mut renamed = manifest();
    renamed["slug"] = json!("docs-sync-2");
    let r = api.post("/apps/docs-sync/versions", renamed).await;
    assert_eq!(
        (r.status, r.body["field"].clone()),
        (422, json!("slug")),
        "{}",
        r.text
    );
    let r = api.get("/apps/docs-sync").await;
    assert_eq!(
        r.body["versions"].as_array().unwrap().len(),
        2,
        "{}",
        r.text
    );
    assert_eq!(api.get("/apps/nope").await.status, 404);
    assert_eq!(
        api.post("/apps/nope/versions", manifest()).await.status,
        422
    );

    // Rotating the webhook secret shows the new one once.
    let r = api
        .post(
            "/apps/docs-sync/webhook-secret/rotate",
            json!({"overlap": 60}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.body["webhook_secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );

    // Installs that cannot be: unknown app, tenant, optional permission, body field.
    let r = api
        .post("/tenants/acme/installations", json!({"app": "nope"}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = api
        .post("/tenants/nope/installations", json!({"app": "docs-sync"}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "optional_permissions": ["nuke:all"]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "colour": 1}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = api
        .put(
            "/tenants/acme/resources",
            json!([{"type": "Project!", "id": "x", "name": "x"}]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(api.list("/tenants/acme/installations").await, json!([]));
}

async fn installation_lifecycle_and_service_account(db: Db) {
    let (server, api) = setup(&db).await;
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "resources": {"project": ["p1"]}, "optional_permissions": ["budget:read"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let inst = r.body;
    assert_eq!(inst["installed_by"], "operator");
    assert_eq!(
        inst["permissions"],
        json!(["directory:read", "documents:write", "budget:read"])
    );
    let id = inst["id"].as_str().unwrap().to_string();
    let path = format!("/tenants/acme/installations/{id}");

    // The service account is in the directory, marked, and managed.
    let users = api.list("/tenants/acme/users").await;
    let sa = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == inst["service_account"]["id"])
        .expect("listed with the users")
        .clone();
    assert_eq!(sa["service_account"], true);
    assert_eq!(sa["installation"], id.as_str());
    let name = sa["username"].as_str().unwrap();
    let r = api.delete(&format!("/tenants/acme/users/{name}")).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("service account")
    );
    let out = db.cli(&["user", "delete", "--tenant", "acme", "--username", name]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("service account"));
    let out = cli_stdin(
        &db,
        &[
            "user",
            "set-password",
            "--tenant",
            "acme",
            "--username",
            name,
        ],
        "a long new password\n",
    );
    assert!(!out.status.success());
    // Its client, too, changes only through the installation.
    let client = inst["client_id"].as_str().unwrap();
    for r in [
        api.delete(&format!("/clients/{client}")).await,
        api.post(&format!("/clients/{client}/rotate-secret"), json!({}))
            .await,
    ] {
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(
            r.body["detail"].as_str().unwrap().contains("installation"),
            "{}",
            r.text
        );
    }
    // It cannot sign in, whatever password is tried.
    let b = browser();
    let page = b
        .get(format!("{}/account", server.issuer("acme")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = b
        .post(format!("{}/login", server.issuer("acme")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode_form(&[
            ("csrf", &hidden_field(&page, "csrf")),
            ("continue", ""),
            ("return", "account"),
            ("username", name),
            ("password", "!service-account"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Incorrect username or password.")
    );

    // A resource server of the tenant, with its own client and token.
    let rs = db.create_client("acme", "", &[]);
    let rs_token = token(&server, "acme", &rs.0, &rs.1, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let sa_id = inst["service_account"]["id"].as_str().unwrap();
    assert!(evaluate(&server, &rs_token, sa_id, "directory:read", "p1").await);
    let first = installation_token(&server, &inst, None).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let first = first.body["access_token"].as_str().unwrap().to_string();
    assert!(introspect_active(&server, &inst, &first).await);

    // Two suspensions at once: exactly one wins.
    let suspend = format!("{path}/suspend");
    let (a, b2) = tokio::join!(api.post(&suspend, json!({})), api.post(&suspend, json!({})));
    let mut statuses = [a.status, b2.status];
    statuses.sort();
    assert!(
        statuses == [200, 409],
        "{statuses:?}: {} / {}",
        a.text,
        b2.text
    );
    let r = api.get(&path).await;
    assert_eq!(
        (r.body["status"].clone(), r.body["suspended_by"].clone()),
        (json!("suspended"), json!("tenant"))
    );
    let r = installation_token(&server, &inst, None).await;
    r.assert_error(401, "invalid_client");
    assert!(r.text.contains("suspended"), "{}", r.text);
    // Tokens issued before stop being active at once.
    assert!(!introspected_by(&server, &rs, &first).await);
    assert!(!evaluate(&server, &rs_token, sa_id, "directory:read", "p1").await);
    // Only the side that suspended lifts it.
    let r = api
        .post(&format!("{path}/resume"), json!({"by": "platform"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.body["detail"].as_str().unwrap().contains("tenant"));
    let r = api
        .post(&format!("{path}/resume"), json!({"by": "tenant"}))
        .await;
    assert_eq!(
        (r.status, r.body["status"].clone()),
        (200, json!("active")),
        "{}",
        r.text
    );
    assert!(introspect_active(&server, &inst, &first).await);

    // Rotating the secret: the new one works, the old one for the overlap.
    let r = api
        .post(&format!("{path}/rotate-secret"), json!({"overlap": 0}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut rotated = inst.clone();
    rotated["client_secret"] = r.body["client_secret"].clone();
    assert_eq!(
        installation_token(&server, &rotated, None).await.status,
        200
    );
    installation_token(&server, &inst, None)
        .await
        .assert_error(401, "invalid_client");

    // Uninstall: its credentials and live tokens stop at once, and the
    // service account leaves the directory; a fresh install works again.
    let live = installation_token(&server, &rotated, None).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(api.delete(&path).await.status, 204);
    let r = installation_token(&server, &rotated, None).await;
    r.assert_error(401, "invalid_client");
    assert!(r.text.contains("uninstalled"), "{}", r.text);
    assert!(!introspected_by(&server, &rs, &live).await);
    assert_eq!(api.get(&path).await.status, 404);
    assert_eq!(api.delete(&path).await.status, 404);
    let users = api.list("/tenants/acme/users").await;
    assert!(
        !users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == inst["service_account"]["id"])
    );
    let again = install(&api, json!("all")).await;
    assert_ne!(again["id"], inst["id"]);
    assert_eq!(
        api.list("/tenants/acme/installations")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The audit trail has each change, with its actor.
    let audit = db.cli_json(&["audit", "list", "--tenant", "acme"]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    for want in [
        "installation.created",
        "installation.suspended",
        "installation.resumed",
        "installation.deleted",
    ] {
        assert!(actions.contains(&want), "{want} missing: {actions:?}");
    }
}

async fn upgrades_wait_for_approval_and_drops_apply_at_once(db: Db) {
    let (server, api) = setup(&db).await;
    let inst = install(&api, json!({"project": ["p1", "p2"]})).await;
    let id = inst["id"].as_str().unwrap();
    let path = format!("/tenants/acme/installations/{id}");
    let scope_now = || async {
        let r = installation_token(&server, &inst, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        verify_with_jwks(&server, "acme", r.body["access_token"].as_str().unwrap()).await
    };
    // Nothing pending: nothing to approve or decline (a state, not a bad request).
    assert_eq!(
        api.post(&format!("{path}/upgrade/approve"), json!({}))
            .await
            .status,
        409
    );
    assert_eq!(
        api.post(&format!("{path}/upgrade/decline"), json!({}))
            .await
            .status,
        409
    );

    // Version 2 asks for more: the installation keeps working as approved.
    let mut v2 = manifest();
    v2["permissions"].as_array_mut().unwrap().push(json!(
        {"name": "rfis:write", "level": "resource", "resource_type": "project", "description": "Answer RFIs"}));
    let r = api.post("/apps/docs-sync/versions", v2.clone()).await;
    assert_eq!(
        (r.status, r.body["version"].clone()),
        (201, json!(2)),
        "{}",
        r.text
    );
    let r = api.get(&path).await;
    assert_eq!(r.body["status"], "upgrade_pending", "{}", r.text);
    assert_eq!(
        (r.body["version"].clone(), r.body["pending_version"].clone()),
        (json!(1), json!(2))
    );
    let claims = scope_now().await;
    assert_eq!(claims["scope"], "directory:read documents:write");
    assert_eq!(claims["installation"]["version"], 1);

    // Approved: the next token carries it; the selection survived.
    let r = api
        .post(&format!("{path}/upgrade/approve"), json!({}))
        .await;
    assert_eq!(
        (r.status, r.body["status"].clone()),
        (200, json!("active")),
        "{}",
        r.text
    );
    let claims = scope_now().await;
    assert_eq!(claims["scope"], "directory:read documents:write rfis:write");
    assert_eq!(claims["installation"]["version"], 2);
    assert_eq!(
        claims["authorization_details"],
        json!([{"type": "project", "actions": ["documents:write", "rfis:write"], "identifiers": ["p1", "p2"]}])
    );

    // Version 3 drops directory:read and asks nothing new: moved at once.
    let mut v3 = v2.clone();
    v3["permissions"].as_array_mut().unwrap().remove(0);
    assert_eq!(
        api.post("/apps/docs-sync/versions", v3.clone())
            .await
            .status,
        201
    );
    let r = api.get(&path).await;
    assert_eq!(
        (r.body["status"].clone(), r.body["version"].clone()),
        (json!("active"), json!(3)),
        "{}",
        r.text
    );
    assert_eq!(scope_now().await["scope"], "documents:write rfis:write");

    // Version 4 asks for more again; the admin declines: nothing changes.
    let mut v4 = v3.clone();
    v4["permissions"].as_array_mut().unwrap().push(json!(
        {"name": "budget:write", "level": "resource", "resource_type": "project", "description": "Change budgets"}));
    assert_eq!(
        api.post("/apps/docs-sync/versions", v4.clone())
            .await
            .status,
        201
    );
    // Version 5 changes only its description: the pending upgrade follows it.
    let mut v5 = v4.clone();
    v5["description"] = json!("Now with budgets.");
    assert_eq!(api.post("/apps/docs-sync/versions", v5).await.status, 201);
    assert_eq!(api.get(&path).await.body["pending_version"], 5);
    let r = api
        .post(&format!("{path}/upgrade/decline"), json!({}))
        .await;
    assert_eq!(
        (r.status, r.body["status"].clone()),
        (200, json!("active")),
        "{}",
        r.text
    );
    assert_eq!(
        (r.body["version"].clone(), r.body["pending_version"].clone()),
        (json!(3), Value::Null)
    );
    assert_eq!(scope_now().await["scope"], "documents:write rfis:write");

    // Each step is in the audit trail.
    let audit = db.cli_json(&["audit", "list", "--tenant", "acme", "--limit", "100"]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    for want in [
        "installation.upgrade_requested",
        "installation.upgrade_approved",
        "installation.upgrade_declined",
    ] {
        assert!(actions.contains(&want), "{want} missing: {actions:?}");
    }
}

/// Two admins at once: one approves the pending upgrade, the other
/// uninstalls. One outcome wins, nothing is half-written, and the audit trail
/// (which the events mirror) ends in the final state.
async fn concurrent_approve_and_uninstall_end_consistently(db: Db) {
    let (_server, api) = setup(&db).await;
    for round in 0..6 {
        let inst = install(&api, json!("all")).await;
        let id = inst["id"].as_str().unwrap().to_string();
        let mut v = manifest();
        v["permissions"].as_array_mut().unwrap().push(json!(
            {"name": format!("extra{round}:read"), "level": "tenant", "description": "More"}));
        assert_eq!(api.post("/apps/docs-sync/versions", v).await.status, 201);
        let path = format!("/tenants/acme/installations/{id}");
        let approve = format!("{path}/upgrade/approve");
        let (approved, deleted) = tokio::join!(api.post(&approve, json!({})), api.delete(&path));
        let after = api.get(&path).await;
        match (approved.status, deleted.status) {
            // Approved first, then uninstalled; or uninstalled first.
            (200, 204) | (404 | 409, 204) => assert_eq!(after.status, 404, "{}", after.text),
            // Uninstall lost the race to the approval.
            (200, 409) => assert_eq!(after.body["status"], "active", "{}", after.text),
            other => panic!(
                "unexpected outcome {other:?}: {} / {}",
                approved.text, deleted.text
            ),
        }
        let audit = db.cli_json(&["audit", "list", "--tenant", "acme", "--limit", "500"]);
        let mine: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| {
                serde_json::from_str::<Value>(a["detail"].as_str().unwrap()).unwrap()["installation"] == id.as_str()
            })
            .filter_map(|a| a["action"].as_str())
            .collect();
        // Newest first: the last word matches the final state.
        let last = mine[0];
        if after.status == 404 {
            assert_eq!(last, "installation.deleted", "{mine:?}");
            // Uninstalled installations free the slot for the next round.
        } else {
            assert_eq!(last, "installation.upgrade_approved", "{mine:?}");
            assert_eq!(api.delete(&path).await.status, 204);
        }
    }
}

async fn a_required_install_hook_gates_the_installation(db: Db) {
    let receiver = common::Receiver::start(Answer::Fail).await;
    db.create_tenant("acme", &[]);
    let env = [
        ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
        ("WARDEN_DELIVERY_BACKOFF_MS", "200"),
        ("WARDEN_DELIVERY_POLL_MS", "100"),
        ("WARDEN_CACHE_REFRESH_MS", "100"),
    ];
    let server = Server::start_with(&db, &env, &[]).await;
    let api = AdminApi::of(&server);
    let mut m = manifest();
    m["hook_url"] = json!(format!("{}/hook", receiver.origin));
    m["install_hook_required"] = json!(true);
    assert_eq!(api.post("/apps", m).await.status, 201);
    let inst = install(&api, json!("all")).await;
    assert_eq!(inst["status"], "installing");
    // While the hook fails, the installation gets no token.
    receiver
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    let r = installation_token(&server, &inst, None).await;
    r.assert_error(401, "invalid_client");
    assert!(r.text.contains("install hook"), "{}", r.text);
    // Once the hook answers 2xx, it is active everywhere within the cache interval.
    receiver.answer(Answer::Ok);
    let path = format!(
        "/tenants/acme/installations/{}",
        inst["id"].as_str().unwrap()
    );
    assert!(
        eventually(std::time::Duration::from_secs(15), || async {
            api.get(&path).await.body["status"] == "active"
        })
        .await
    );
    assert!(
        eventually(std::time::Duration::from_secs(5), || async {
            installation_token(&server, &inst, None).await.status == 200
        })
        .await
    );
}

/// The catalog a tenant admin browses: listed apps with their permissions in
/// plain language and setup instructions rendered safely; whether and how
/// each is installed in this tenant; private apps only where installed.
async fn the_catalog_shows_listed_apps_and_how_they_are_installed(db: Db) {
    let (_server, api) = setup(&db).await;
    let mut listed = manifest();
    listed["setup_instructions"] = json!(
        "1. Open **Settings** in Docs Sync\n2. Paste your tenant's issuer\n\n<script>alert(1)</script>\n\nSee [help](https://acme.example/help) or [x](javascript:alert(1))"
    );
    let r = api.post("/apps/docs-sync/versions", listed).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut private = manifest();
    private["slug"] = json!("internal-sync");
    private["name"] = json!("Internal Sync");
    private["listed"] = json!(false);
    let r = api.post("/apps", private).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The operator is told why no catalog will show it.
    let warnings = r.body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{}", r.text);
    assert!(
        warnings[0].as_str().unwrap().contains("\"listed\": true"),
        "{}",
        r.text
    );
    db.create_tenant("globex", &[]);

    let catalog = api.get("/tenants/acme/catalog").await;
    assert_eq!(catalog.status, 200, "{}", catalog.text);
    let entries = catalog.body["items"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        1,
        "a private app is not offered: {}",
        catalog.text
    );
    let docs = &entries[0];
    assert_eq!(docs["slug"], "docs-sync");
    assert_eq!(docs["version"], 2);
    assert_eq!(docs["publisher"]["name"], "Acme Integrations");
    assert_eq!(docs["installation"], Value::Null);
    let perms = docs["permissions"].as_array().unwrap();
    assert_eq!(perms[0]["applies_to"], "the whole organisation");
    assert_eq!(perms[1]["applies_to"], "the Projects you select");
    assert_eq!(perms[2]["required"], false);
    let html = docs["setup_instructions_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>Settings</strong>") && html.contains("<ol>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://acme.example/help\""),
        "{html}"
    );
    assert!(
        !html.contains("<script") && html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("href=\"javascript"), "{html}");

    let inst = install(&api, json!({"project": ["p1"]})).await;
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "internal-sync", "resources": "all"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let catalog = api.get("/tenants/acme/catalog").await;
    let entries = catalog.body["items"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        2,
        "the installed private app shows: {}",
        catalog.text
    );
    let docs = entries.iter().find(|e| e["slug"] == "docs-sync").unwrap();
    assert_eq!(docs["installation"]["id"], inst["id"]);
    assert_eq!(docs["installation"]["status"], "active");
    assert_eq!(
        docs["installation"]["resources"],
        json!({"project": ["p1"]})
    );
    assert_eq!(docs["installation"]["version"], 2);
    let other = api.get("/tenants/globex/catalog").await;
    assert_eq!(other.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        other.body["items"][0]["installation"],
        Value::Null,
        "another tenant's installs stay its own"
    );
    assert_eq!(api.get("/tenants/nobody/catalog").await.status, 404);

    let out = db.cli(&["app", "catalog", "--tenant", "acme"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && text.contains("docs-sync")
            && text.contains("installed (active, version 2)"),
        "{text}"
    );
}
