//! Apps that tenants install, through the real binary's admin API: the
//! registry (manifests, versions, errors that name the field), tenants'
//! resources, installations with service accounts and push credentials,
//! installation tokens (scope, `installation`, RFC 9396
//! `authorization_details`) and the built-in AuthZEN rule.

mod common;
use common::*;
use serde_json::{Value, json};

on_both_backends!(
    procore_install_tokens_and_authzen,
    bad_manifests_name_the_field,
    installation_lifecycle_and_service_account,
    provet_credentials_are_pushed_signed_and_encrypted,
    upgrades_wait_for_approval_and_drops_apply_at_once,
    killed_mid_delivery_the_install_event_arrives_once,
    concurrent_approve_and_uninstall_end_consistently,
    a_required_install_hook_gates_the_installation,
    a_rotated_webhook_secret_co_signs_during_its_overlap,
    the_catalog_shows_listed_apps_and_how_they_are_installed,
    usage_is_counted_per_installation_across_restarts_and_replicas,
    an_hourly_quota_refuses_further_tokens_across_replicas,
    a_pull_app_gets_tokens_with_its_key_for_each_installation,
    pushed_secrets_decrypt_with_stock_libraries_for_every_key_type,
);

/// A Procore-style data-connection app: a tenant permission, a project
/// permission, an optional one; Provet's 10-hour tokens.
fn manifest() -> Value {
    json!({
        "slug": "docs-sync",
        "name": "Docs Sync",
        "description": "Keeps project documents in sync with your document system.",
        "publisher": {"name": "Acme Integrations", "url": "https://acme.example", "email": "dev@acme.example"},
        "listed": true,
        "hook_url": "http://127.0.0.1:9/hook",
        "access_token_ttl": 36000,
        "credentials": "push",
        "resource_types": [{"type": "project", "name": "Projects"}],
        "permissions": [
            {"name": "directory:read", "level": "tenant", "description": "Read the company directory"},
            {"name": "documents:write", "level": "resource", "resource_type": "project",
             "description": "Upload and change documents"},
            {"name": "budget:read", "level": "resource", "resource_type": "project",
             "description": "Read budgets", "required": false}
        ]
    })
}

async fn setup(db: &Db) -> (Server, AdminApi) {
    db.create_tenant("acme", &[]);
    let server = Server::start_with(db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let api = AdminApi::of(&server);
    let r = api.post("/apps", manifest()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.body["webhook_secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let r = api
        .put(
            "/tenants/acme/resources",
            json!([
                {"type": "project", "id": "p1", "name": "Harbour Tower"},
                {"type": "project", "id": "p2", "name": "North Bridge"},
                {"type": "project", "id": "p3", "name": "Old Mill"}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body.as_array().unwrap().len(), 3);
    (server, api)
}

async fn install(api: &AdminApi, resources: Value) -> Value {
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "resources": resources, "installed_by": "ada@acme.example"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

async fn installation_token(server: &Server, inst: &Value, scope: Option<&str>) -> Reply {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((
            inst["client_id"].as_str().unwrap(),
            inst["client_secret"].as_str().unwrap(),
        )),
        &form,
    )
    .await
}

async fn evaluate(
    server: &Server,
    bearer: &str,
    subject: &str,
    action: &str,
    project: &str,
) -> bool {
    let r = http()
        .post(format!("{}/access/v1/evaluation", server.issuer("acme")))
        .bearer_auth(bearer)
        .json(&json!({
            "subject": {"type": "service_account", "id": subject},
            "action": {"name": action},
            "resource": {"type": "project", "id": project}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["decision"].as_bool().unwrap()
}

async fn introspect_active(server: &Server, inst: &Value, token: &str) -> bool {
    let r = post_form(
        &format!("{}/introspect", server.issuer("acme")),
        Some((
            inst["client_id"].as_str().unwrap(),
            inst["client_secret"].as_str().unwrap(),
        )),
        &[("token", token)],
    )
    .await;
    r.body["active"] == true
}

async fn introspected_by(server: &Server, rs: &(String, String), token: &str) -> bool {
    let r = post_form(
        &format!("{}/introspect", server.issuer("acme")),
        Some((&rs.0, &rs.1)),
        &[("token", token)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["active"] == true
}

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

/// The integrator's hook (tests/py/app_receiver.py), running until dropped.
struct PyReceiver {
    dir: tempfile::TempDir,
    _process: tokio::process::Child,
    port: u16,
    public_jwk: Value,
}

impl PyReceiver {
    async fn start() -> PyReceiver {
        Self::start_with_key("X25519").await
    }

    /// A receiver whose encryption key is of `kind`: X25519, P-256 or RSA.
    async fn start_with_key(kind: &str) -> PyReceiver {
        let dir = tempfile::tempdir().unwrap();
        let process = tokio::process::Command::new(python())
            .arg(py_dir().join("app_receiver.py"))
            .env("RECEIVER_DIR", dir.path())
            .env("RECEIVER_KEY", kind)
            .kill_on_drop(true)
            .spawn()
            .expect("start the receiver");
        let port_file = dir.path().join("port");
        assert!(
            eventually(std::time::Duration::from_secs(20), || async {
                port_file.exists()
            })
            .await,
            "the receiver did not start"
        );
        let port = std::fs::read_to_string(&port_file)
            .unwrap()
            .parse()
            .unwrap();
        let public_jwk =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("public.jwk")).unwrap())
                .unwrap();
        PyReceiver {
            dir,
            _process: process,
            port,
            public_jwk,
        }
    }

    fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("events.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    async fn wait_for(&self, n: usize) -> Vec<Value> {
        let arrived = eventually(std::time::Duration::from_secs(20), || async {
            self.events().len() >= n
        })
        .await;
        assert!(arrived, "expected {n} events, got {:?}", self.events());
        self.events()
    }
}

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

async fn usage_of(api: &AdminApi, id: &str) -> Value {
    let r = api
        .get(&format!("/tenants/acme/installations/{id}/usage"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["totals"].clone()
}

/// Usage per installation: counted in memory (flushed every
/// `usage_flush_ms`), nothing lost on a clean shutdown, and summed across
/// replicas sharing the database.
async fn usage_is_counted_per_installation_across_restarts_and_replicas(db: Db) {
    let (server, _) = setup(&db).await;
    server.kill().await;
    // A flush interval far away: only the shutdown can store the counts.
    let slow = [
        ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
        ("WARDEN_USAGE_FLUSH_MS", "3600000"),
    ];
    let server = Server::start_with(&db, &slow, &[]).await;
    let api = AdminApi::of(&server);
    let inst = install(&api, json!({"project": ["p1"]})).await;
    let id = inst["id"].as_str().unwrap();
    let mut bearer = String::new();
    for _ in 0..5 {
        let r = installation_token(&server, &inst, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        bearer = r.body["access_token"].as_str().unwrap().to_string();
    }
    installation_token(&server, &inst, Some("budget:read"))
        .await
        .assert_error(400, "invalid_scope");
    let subject = inst["service_account"]["id"].as_str().unwrap();
    for p in ["p1", "p3"] {
        evaluate(&server, &bearer, subject, "documents:write", p).await;
    }
    let expected = json!({"tokens": 5, "denied": 1, "evaluations": 2, "decisions_reused": 0});
    assert_eq!(
        usage_of(&api, id).await,
        expected,
        "this replica's own counts show at once"
    );
    let r = api
        .get(&format!("/tenants/acme/installations/{id}/usage?days=7"))
        .await;
    let days = r.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[6]["tokens"], 5, "today is last: {}", r.text);
    assert!(r.body["last_token_at"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(
        api.get(&format!("/tenants/acme/installations/{id}/usage?days=0"))
            .await
            .status,
        400
    );
    assert_eq!(
        api.get("/tenants/acme/installations/in_nope/usage")
            .await
            .status,
        404
    );

    server.stop().await;
    let out = db.cli(&["installation", "usage", "--tenant", "acme", id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("5 tokens, 1 denied, 2 evaluations"),
        "stored at shutdown: {text}"
    );

    // Two replicas, each flushing every 200 ms: the totals add up.
    let fast = [
        ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
        ("WARDEN_USAGE_FLUSH_MS", "200"),
    ];
    let a = Server::start_with(&db, &fast, &[]).await;
    let b = Server::start_with(&db, &fast, &[]).await;
    for server in [&a, &a, &b, &b, &b] {
        assert_eq!(installation_token(server, &inst, None).await.status, 200);
    }
    let api = AdminApi::of(&a);
    assert!(
        eventually(std::time::Duration::from_secs(5), || async {
            usage_of(&api, id).await["tokens"] == 10
        })
        .await,
        "both replicas' counts reach the database: {}",
        usage_of(&api, id).await
    );
}

/// A tenant admin's (or the operator's) hourly token quota: the next token
/// is a 429 with `Retry-After`; replicas see each other's tokens as of their
/// last usage flush.
async fn an_hourly_quota_refuses_further_tokens_across_replicas(db: Db) {
    // Quotas count clock hours: keep the test inside one.
    let into_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 3600;
    if into_hour > 3570 {
        tokio::time::sleep(std::time::Duration::from_secs(3601 - into_hour)).await;
    }
    let (server, api) = setup(&db).await;
    let inst = install(&api, json!({"project": ["p1"]})).await;
    let id = inst["id"].as_str().unwrap().to_string();
    let quota = |n: Value| {
        let api = &api;
        let path = format!("/tenants/acme/installations/{id}/quota");
        async move { api.put(&path, json!({"tokens_per_hour": n})).await }
    };
    for bad in [json!(0), json!(-5)] {
        let r = quota(bad).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.body["field"], "tokens_per_hour");
    }
    let r = api
        .put(
            "/tenants/acme/installations/in_nope/quota",
            json!({"tokens_per_hour": 5}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = quota(json!(5)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_quota_per_hour"], 5);

    // Refused requests take nothing from the quota.
    installation_token(&server, &inst, Some("budget:read"))
        .await
        .assert_error(400, "invalid_scope");
    for _ in 0..3 {
        assert_eq!(installation_token(&server, &inst, None).await.status, 200);
    }
    server.stop().await;

    // Another replica reads the hour's stored tokens with its first token.
    let env = [
        ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
        ("WARDEN_USAGE_FLUSH_MS", "200"),
    ];
    let b = Server::start_with(&db, &env, &[]).await;
    for _ in 0..2 {
        assert_eq!(installation_token(&b, &inst, None).await.status, 200);
    }
    let r = installation_token(&b, &inst, None).await;
    r.assert_error(429, "temporarily_unavailable");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    assert!(r.text.contains("5 tokens per hour"), "{}", r.text);

    // A replica running beside it sees its tokens once they are flushed.
    let a = Server::start_with(&db, &env, &[]).await;
    assert!(
        eventually(std::time::Duration::from_secs(5), || async {
            installation_token(&a, &inst, None).await.status == 429
        })
        .await
    );
    let api = AdminApi::of(&a);
    let lifted = api
        .put(
            &format!("/tenants/acme/installations/{id}/quota"),
            json!({"tokens_per_hour": null}),
        )
        .await;
    assert_eq!(lifted.status, 200, "{}", lifted.text);
    assert!(
        eventually(std::time::Duration::from_secs(5), || async {
            installation_token(&a, &inst, None).await.status == 200
                && installation_token(&b, &inst, None).await.status == 200
        })
        .await,
        "lifting the quota reaches every replica"
    );
    let out = db.cli(&["installation", "set-quota", "--tenant", "acme", &id, "-1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("tokens_per_hour"),
        "{err}"
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
