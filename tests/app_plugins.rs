//! Plugins see apps (`warden:plugin@0.2.0` and later), through the real binary: grant
//! policies and permission checks get the installation, the install policy
//! refuses or trims an admin's approval, a tenant's or the platform's
//! credential-delivery plugin shapes the events to an app's hook (Warden's
//! built-in one otherwise), and components built against 0.1.0 keep working.

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

on_both_backends!(
    grant_and_permission_plugins_see_the_installation,
    the_install_policy_refuses_trims_and_fails_closed,
    delivery_plugins_shape_the_events_to_an_apps_hook,
    an_apps_own_delivery_plugin_shapes_only_its_events,
);

const FAST_DELIVERY: &[(&str, &str)] = &[
    ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
    ("WARDEN_DELIVERY_BACKOFF_MS", "200"),
    ("WARDEN_DELIVERY_POLL_MS", "100"),
];

/// A component checked in as built against `warden:plugin@0.1.0`.
fn fixture_0_1_0(name: &str) -> PathBuf {
    fixture("0.1.0", name)
}

/// A component checked in as built against an older `warden:plugin`.
fn fixture(version: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../tests/fixtures/warden-plugin-{version}"))
        .join(format!("{name}.wasm"))
}

fn add(db: &Db, wasm: &std::path::Path, name: &str) -> Value {
    db.cli_json(&["plugin", "add", wasm.to_str().unwrap(), "--name", name])
}

fn bind(db: &Db, owner: &str, hook: &str, plugin: &str, config: Value) {
    let owner = if owner == "--platform" {
        vec!["--platform"]
    } else {
        vec!["--tenant", owner]
    };
    let config = config.to_string();
    let mut args = vec!["plugin", "bind"];
    args.extend(owner);
    args.extend(["--hook", hook, "--plugin", plugin, "--config", &config]);
    db.cli_json(&args);
}

/// An app asking for a tenant permission, a project permission and an
/// optional one, from `publisher`, with its hook at `hook_url`.
fn manifest(slug: &str, publisher: &str, hook_url: &str, permissions: Value) -> Value {
    json!({
        "slug": slug,
        "name": format!("App {slug}"),
        "publisher": {"name": publisher},
        "hook_url": hook_url,
        "resource_types": [{"type": "project", "name": "Projects"}],
        "permissions": permissions,
    })
}

fn docs_sync(hook_url: &str) -> Value {
    manifest(
        "docs-sync",
        "Acme Integrations",
        hook_url,
        json!([
            {"name": "directory:read", "level": "tenant", "description": "Read the company directory"},
            {"name": "documents:write", "level": "resource", "resource_type": "project",
             "description": "Upload and change documents"},
            {"name": "budget:read", "level": "resource", "resource_type": "project",
             "description": "Read budgets", "required": false}
        ]),
    )
}

async fn start(db: &Db, tenants: &[&str]) -> (Server, AdminApi) {
    for t in tenants {
        db.create_tenant(t, &[]);
    }
    let server = Server::start_with(db, FAST_DELIVERY, &[]).await;
    let api = AdminApi::of(&server);
    for t in tenants {
        let r = api
            .put(
                &format!("/tenants/{t}/resources"),
                json!([
                    {"type": "project", "id": "p1", "name": "Harbour Tower"},
                    {"type": "project", "id": "p2", "name": "North Bridge"},
                    {"type": "project", "id": "p3", "name": "Old Mill"}
                ]),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    (server, api)
}

async fn register(api: &AdminApi, manifest: Value) -> String {
    let r = api.post("/apps", manifest).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["webhook_secret"].as_str().unwrap().to_string()
}

async fn install(api: &AdminApi, tenant: &str, app: &str, optional: &[&str]) -> Reply {
    api.post(
        &format!("/tenants/{tenant}/installations"),
        json!({"app": app, "resources": {"project": ["p1", "p2"]},
               "optional_permissions": optional, "installed_by": "ada@example.com"}),
    )
    .await
}

async fn app_token(server: &Server, inst: &Value) -> Reply {
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((
            inst["client_id"].as_str().unwrap(),
            inst["client_secret"].as_str().unwrap(),
        )),
        &[("grant_type", "client_credentials")],
    )
    .await
}

async fn permitted(server: &Server, bearer: &str, subject: &str, action: &str, p: &str) -> Value {
    let r = http()
        .post(format!("{}/access/v1/evaluation", server.issuer("acme")))
        .bearer_auth(bearer)
        .json(&json!({
            "subject": {"type": "service_account", "id": subject},
            "action": {"name": action},
            "resource": {"type": "project", "id": p}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// A tenant's grant policy and permission check, built against 0.2.0, see
/// the installation a token or an evaluation is about; 0.1.0 components
/// bound to the same hooks keep working without it.
async fn grant_and_permission_plugins_see_the_installation(db: Db) {
    let (server, api) = start(&db, &["acme"]).await;
    register(&api, docs_sync("http://127.0.0.1:9/hook")).await;
    let r = install(&api, "acme", "docs-sync", &[]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let inst = r.body;
    let (plain_id, plain_secret) = db.create_client("acme", "read", &[]);

    add(&db, &plugin_wasm("scope-policy"), "scopes");
    bind(
        &db,
        "acme",
        "grant-policy",
        "scopes",
        json!({"allowed_scopes": ["read"], "app_max_lifetime_seconds": 600}),
    );
    // Bindings reach the server within its cache refresh interval.
    assert!(
        eventually(Duration::from_secs(5), || async {
            app_token(&server, &inst).await.body["expires_in"] == 600
        })
        .await,
        "the policy caps the app's tokens"
    );
    let r = app_token(&server, &inst).await;
    assert_eq!(
        r.body["scope"], "directory:read documents:write",
        "an installation keeps what its admin approved: {}",
        r.text
    );
    let claims = verify_with_jwks(&server, "acme", r.body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["installation"]["id"], inst["id"]);
    assert_eq!(
        claims["authorization_details"][0]["identifiers"],
        json!(["p1", "p2"])
    );
    let plain = token(&server, "acme", &plain_id, &plain_secret, &[]).await;
    assert_eq!(
        plain["expires_in"], 3600,
        "a plain client is not an app: {plain}"
    );
    assert_eq!(plain["scope"], "read");
    let bearer = plain["access_token"].as_str().unwrap().to_string();

    bind(
        &db,
        "acme",
        "grant-policy",
        "scopes",
        json!({"allowed_scopes": ["read"], "blocked_apps": ["docs-sync"]}),
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            app_token(&server, &inst).await.status == 400
        })
        .await
    );
    let r = app_token(&server, &inst).await;
    r.assert_error(400, "access_denied");
    let description = r.body["error_description"].as_str().unwrap();
    assert!(
        description.contains("docs-sync") && description.contains(inst["id"].as_str().unwrap()),
        "the policy names the installation it saw: {description}"
    );

    // The permission check reads the installation's approval, not the
    // subject's properties (there are none here).
    let subject = inst["service_account"]["id"].as_str().unwrap();
    add(&db, &plugin_wasm("project-permission"), "projects");
    bind(&db, "acme", "permission-check", "projects", json!({}));
    assert!(
        eventually(Duration::from_secs(5), || async {
            permitted(&server, &bearer, subject, "documents:write", "p1").await["decision"] == true
        })
        .await
    );
    let p3 = permitted(&server, &bearer, subject, "documents:write", "p3").await;
    assert_eq!(p3["decision"], false, "{p3}");
    assert!(
        p3["context"]["reason"].as_str().unwrap().contains("p3"),
        "{p3}"
    );
    let budget = permitted(&server, &bearer, subject, "budget:read", "p1").await;
    assert_eq!(budget["decision"], false, "not approved: {budget}");

    // The same plugin built against 0.1.0 still loads and decides; it cannot
    // see the installation, so the bare subject holds nothing.
    add(&db, &fixture_0_1_0("project_permission"), "projects-0-1");
    bind(&db, "acme", "permission-check", "projects-0-1", json!({}));
    assert!(
        eventually(Duration::from_secs(5), || async {
            permitted(&server, &bearer, subject, "documents:write", "p1").await["decision"] == false
        })
        .await,
        "a 0.1.0 permission check runs, without installations"
    );
    // Built against 0.2.0 (before decisions could be reused), it loads and
    // decides as before, seeing the installation.
    add(&db, &fixture("0.2.0", "project_permission"), "projects-0-2");
    bind(&db, "acme", "permission-check", "projects-0-2", json!({}));
    assert!(
        eventually(Duration::from_secs(5), || async {
            permitted(&server, &bearer, subject, "documents:write", "p1").await["decision"] == true
        })
        .await,
        "a 0.2.0 permission check sees the installation"
    );
    let p3 = permitted(&server, &bearer, subject, "documents:write", "p3").await;
    assert_eq!(p3["decision"], false, "{p3}");
    // Built against 0.3.0 (0.4.0 changed only the grant world), it loads as
    // what it is and decides the same.
    add(&db, &fixture("0.3.0", "project_permission"), "projects-0-3");
    bind(&db, "acme", "permission-check", "projects-0-3", json!({}));
    let p1 = permitted(&server, &bearer, subject, "documents:write", "p1").await;
    assert_eq!(p1["decision"], true, "{p1}");
    let listed = db.cli_json(&["plugin", "list"]);
    let wit_of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["wit"].clone())
    };
    assert_eq!(
        wit_of("projects"),
        Some(json!("warden:plugin@0.4.0")),
        "{listed}"
    );
    assert_eq!(wit_of("projects-0-3"), Some(json!("warden:plugin@0.3.0")));
    assert_eq!(wit_of("projects-0-2"), Some(json!("warden:plugin@0.2.0")));
    assert_eq!(wit_of("projects-0-1"), Some(json!("warden:plugin@0.1.0")));
}

/// The tenant's install policy: "no app from an unverified publisher gets
/// write access" refuses an app that requires it, drops optional write
/// permissions, reviews upgrade approvals too; a failing policy refuses.
async fn the_install_policy_refuses_trims_and_fails_closed(db: Db) {
    let (_server, api) = start(&db, &["acme", "globex"]).await;
    register(&api, docs_sync("http://127.0.0.1:9/hook")).await;
    register(
        &api,
        manifest(
            "reports",
            "Report Makers",
            "http://127.0.0.1:9/hook",
            json!([
                {"name": "reports:read", "level": "tenant", "description": "Read reports"},
                {"name": "reports:write", "level": "tenant", "description": "Write reports", "required": false}
            ]),
        ),
    )
    .await;
    add(&db, &plugin_wasm("publisher-policy"), "publishers");
    bind(
        &db,
        "acme",
        "install-policy",
        "publishers",
        json!({"verified_publishers": ["Somebody Else"]}),
    );

    let r = install(&api, "acme", "docs-sync", &[]).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("install policy")
            && detail.contains("Acme Integrations")
            && detail.contains("documents:write"),
        "the admin reads the policy's reason: {detail}"
    );
    let list = api.get("/tenants/acme/installations").await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        0,
        "nothing installed"
    );
    // The CLI says the same in one line.
    let out = db.cli(&[
        "installation",
        "create",
        "--tenant",
        "acme",
        "--app",
        "docs-sync",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("Acme Integrations"),
        "{err}"
    );

    // An optional write permission is left out, the rest installs.
    let r = install(&api, "acme", "reports", &["reports:write"]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["permissions"], json!(["reports:read"]));
    let audit = api.get("/tenants/acme/audit").await;
    let created = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "installation.created")
        .cloned()
        .unwrap_or_else(|| panic!("no audit record: {}", audit.text));
    let detail: Value = match &created["detail"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        v => v.clone(),
    };
    assert_eq!(
        detail["install_policy"]["dropped"],
        json!(["reports:write"]),
        "{detail}"
    );

    // A verified publisher installs as asked.
    bind(
        &db,
        "acme",
        "install-policy",
        "publishers",
        json!({"verified_publishers": ["Acme Integrations"]}),
    );
    let r = install(&api, "acme", "docs-sync", &["budget:read"]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();

    // Version 2 asks for more; approving it goes through the policy again.
    let mut v2 = docs_sync("http://127.0.0.1:9/hook");
    v2["permissions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "archive:write", "level": "tenant", "description": "Archive"}));
    v2["publisher"]["name"] = json!("Acme Integrations Ltd");
    let r = api.post("/apps/docs-sync/versions", v2).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    let r = api
        .post(
            &format!("/tenants/acme/installations/{id}/upgrade/approve"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.text.contains("Acme Integrations Ltd"), "{}", r.text);
    let now = api.get(&format!("/tenants/acme/installations/{id}")).await;
    assert_eq!(now.body["status"], "upgrade_pending", "{}", now.text);
    assert_eq!(now.body["version"], 1);

    // A policy that traps, or answers what it may not, refuses the install.
    add(&db, &plugin_wasm("hostile-install"), "hostile");
    for (mode, kind) in [("trap", "trap"), ("drop-required", "invalid")] {
        bind(
            &db,
            "globex",
            "install-policy",
            "hostile",
            json!({"mode": mode}),
        );
        let r = install(&api, "globex", "docs-sync", &[]).await;
        assert_eq!(r.status, 422, "{mode}: {}", r.text);
        let detail = r.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("install-policy plugin failed") && detail.contains(kind),
            "{mode}: {detail}"
        );
    }
    let list = api.get("/tenants/globex/installations").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    let audit = api.get("/tenants/globex/audit").await;
    assert!(
        audit.text.contains("install_policy.plugin_failed"),
        "{}",
        audit.text
    );
    bind(
        &db,
        "globex",
        "install-policy",
        "hostile",
        json!({"mode": "allow"}),
    );
    assert_eq!(install(&api, "globex", "docs-sync", &[]).await.status, 201);
}

/// Events to an app's hook come from the credential-delivery plugin in
/// charge — the tenant's, else the platform's, when built against 0.2.0,
/// else Warden's built-in one — go only to the app's hook, and are signed
/// with the app's Standard Webhooks secret whoever built them.
async fn delivery_plugins_shape_the_events_to_an_apps_hook(db: Db) {
    let receiver = Receiver::start(Answer::Ok).await;
    let hook = format!("{}/hook", receiver.origin);
    let (_server, api) = start(&db, &["acme", "globex"]).await;
    let secret = register(&api, docs_sync(&hook)).await;

    // The tenant's own plugin (0.2.0) builds acme's events.
    add(&db, &plugin_wasm("credential-webhook"), "webhook");
    bind(
        &db,
        "acme",
        "credential-delivery",
        "webhook",
        json!({"allowed_origins": ["https://tenant-hooks.example"], "headers": {"X-Tenant": "acme"}}),
    );
    let r = install(&api, "acme", "docs-sync", &[]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].header("x-tenant"),
        "acme",
        "the tenant's plugin built it"
    );
    assert!(
        got[0].standard_signature_valid(&secret),
        "signed with the app's secret"
    );
    let body = got[0].json();
    assert_eq!(body["type"], "installation.created");
    assert_eq!(body["data"]["installation"]["id"], json!(id));
    assert_eq!(
        body["data"]["credentials"]["client_id"],
        r.body["client_id"]
    );
    assert_eq!(
        body["data"]["credentials"]["client_secret"],
        r.body["client_secret"]
    );

    // A 0.1.0 delivery plugin cannot see installation events: the built-in
    // one builds them (no tenant header).
    add(&db, &fixture_0_1_0("credential_webhook"), "webhook-0-1");
    bind(
        &db,
        "acme",
        "credential-delivery",
        "webhook-0-1",
        json!({"allowed_origins": ["https://tenant-hooks.example"], "headers": {"X-Tenant": "acme"}}),
    );
    let r = api
        .post(
            &format!("/tenants/acme/installations/{id}/suspend"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].json()["type"], "installation.suspended");
    assert_eq!(
        got[1].header("x-tenant"),
        "",
        "built by the built-in plugin"
    );
    assert!(got[1].standard_signature_valid(&secret));

    // A plugin that sends an app's event anywhere but the app's hook fails
    // closed: the change is refused and audited.
    add(&db, &plugin_wasm("hostile-delivery"), "hostile");
    let hostile = |mode: &str| json!({"allowed_origins": [receiver.origin, "https://attacker.invalid"], "mode": mode});
    bind(
        &db,
        "acme",
        "credential-delivery",
        "hostile",
        hostile("elsewhere"),
    );
    let r = api
        .post(
            &format!("/tenants/acme/installations/{id}/resume"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.text.contains("credential-delivery plugin failed"),
        "{}",
        r.text
    );
    let now = api.get(&format!("/tenants/acme/installations/{id}")).await;
    assert_eq!(now.body["status"], "suspended");
    let audit = api.get("/tenants/acme/audit").await;
    assert!(
        audit.text.contains("delivery.plugin_failed"),
        "{}",
        audit.text
    );

    // Uninstalling never waits on a broken plugin: access goes, audited.
    bind(
        &db,
        "acme",
        "credential-delivery",
        "hostile",
        hostile("trap"),
    );
    let r = api
        .delete(&format!("/tenants/acme/installations/{id}"))
        .await;
    assert!(r.status == 200 || r.status == 204, "{}", r.text);
    let gone = api.get(&format!("/tenants/acme/installations/{id}")).await;
    assert_eq!(gone.status, 404);

    // The platform's 0.2.0 default builds the events of a tenant without
    // its own binding (this one sends `{}`), still signed with the app's secret.
    bind(
        &db,
        "--platform",
        "credential-delivery",
        "hostile",
        hostile("ok"),
    );
    let r = install(&api, "globex", "docs-sync", &[]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 3, "the uninstall made no delivery");
    assert_eq!(got[2].body, "{}");
    assert!(got[2].standard_signature_valid(&secret));
}

/// An integrator ships a credential-delivery component with the app: it
/// builds that app's events (ahead of the tenant's plugin), sandboxed, never
/// another app's, and cannot send outside the app's registered origins.
async fn an_apps_own_delivery_plugin_shapes_only_its_events(db: Db) {
    let receiver = Receiver::start(Answer::Ok).await;
    let hook = format!("{}/hook", receiver.origin);
    let (_server, api) = start(&db, &["acme"]).await;
    let shaper = add(&db, &plugin_wasm("credential-webhook"), "docs-sync-shaper");
    let sha = shaper["sha256"].as_str().unwrap();
    let mut own = docs_sync(&hook);
    own["delivery_plugin"] = json!({"sha256": sha, "config": {"headers": {"X-App": "docs-sync"}}});
    let secret = register(&api, own).await;
    let reports = manifest(
        "reports",
        "Report Makers",
        &hook,
        json!([{"name": "reports:read", "level": "tenant", "description": "Read reports"}]),
    );
    register(&api, reports).await;
    add(&db, &plugin_wasm("credential-webhook"), "tenant-webhook");
    bind(
        &db,
        "acme",
        "credential-delivery",
        "tenant-webhook",
        json!({"allowed_origins": ["https://tenant-hooks.example"], "headers": {"X-Tenant": "acme"}}),
    );

    assert_eq!(install(&api, "acme", "docs-sync", &[]).await.status, 201);
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        got[0].header("x-app"),
        "docs-sync",
        "the app's plugin built it"
    );
    assert_eq!(got[0].header("x-tenant"), "", "ahead of the tenant's");
    assert!(got[0].standard_signature_valid(&secret));
    assert_eq!(got[0].json()["data"]["app"]["slug"], "docs-sync");
    assert_eq!(install(&api, "acme", "reports", &[]).await.status, 201);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].json()["data"]["app"]["slug"], "reports");
    assert_eq!(
        got[1].header("x-app"),
        "",
        "another app's plugin never sees it"
    );
    assert_eq!(got[1].header("x-tenant"), "acme");

    // Its deliveries go only to the app's origins: anything else fails closed.
    let hostile = add(&db, &plugin_wasm("hostile-delivery"), "rogue-shaper");
    let rogue = |mode: &str, origins: Value| {
        let mut m = manifest(
            &format!("rogue-{mode}"),
            "Rogue Ltd",
            &hook,
            json!([{"name": "x:read", "level": "tenant", "description": "x"}]),
        );
        m["delivery_plugin"] =
            json!({"sha256": hostile["sha256"], "config": {"mode": mode}, "origins": origins});
        m
    };
    register(&api, rogue("elsewhere", json!([]))).await;
    let r = install(&api, "acme", "rogue-elsewhere", &[]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.text
            .contains("credential-delivery plugin failed (invalid)"),
        "{}",
        r.text
    );
    // Unless the manifest names the origin.
    register(&api, rogue("ok", json!(["https://attacker.invalid"]))).await;
    assert_eq!(install(&api, "acme", "rogue-ok", &[]).await.status, 201);

    // The component must exist, be a credential-delivery one and see installations.
    let grant = add(&db, &plugin_wasm("scope-policy"), "a-grant-policy");
    let old = add(&db, &fixture_0_1_0("credential_webhook"), "an-old-webhook");
    for (sha, why) in [
        (json!("0".repeat(64)), "names no plugin"),
        (grant["sha256"].clone(), "credential-delivery"),
        (old["sha256"].clone(), "0.1.0"),
        (json!("not-a-sha"), "hex sha256"),
    ] {
        let mut m = docs_sync(&hook);
        m["slug"] = json!("docs-sync-2");
        m["delivery_plugin"] = json!({"sha256": sha});
        let r = api.post("/apps", m).await;
        assert_eq!(r.status, 422, "{why}: {}", r.text);
        assert_eq!(r.body["field"], "delivery_plugin.sha256", "{}", r.text);
        assert!(r.text.contains(why), "{why}: {}", r.text);
    }
}

/// `warden plugin test` runs an install policy on a request file, as a plugin
/// author would before binding it.
#[test]
fn plugin_test_runs_an_install_policy() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = plugin_wasm("publisher-policy");
    let run = |permissions: Value| {
        let request = json!({
            "kind": "install", "tenant": "acme", "app": "docs-sync", "app_name": "Docs Sync",
            "version": 1, "publisher": {"name": "Acme Integrations"}, "listed": true,
            "permissions": permissions, "approving": ["directory:read", "documents:write"],
            "resources": {"project": ["p1"]}, "actor": "ada", "request_time": 1796205600
        });
        let file = dir.path().join("request.json");
        std::fs::write(&file, request.to_string()).unwrap();
        let out = cli_with(
            dir.path(),
            &[],
            &[
                "plugin",
                "test",
                wasm.to_str().unwrap(),
                "--hook",
                "install-policy",
                "--input",
                file.to_str().unwrap(),
                "--config",
                r#"{"verified_publishers": []}"#,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let read = json!({"name": "directory:read", "level": "tenant", "description": "Read"});
    let write = |required: bool| {
        json!({"name": "documents:write", "level": "resource", "resource_type": "project",
               "description": "Write", "required": required})
    };
    let denied = run(json!([read, write(true)]));
    assert_eq!(denied["decision"], "deny", "{denied}");
    assert!(
        denied["reason"]
            .as_str()
            .unwrap()
            .contains("documents:write"),
        "{denied}"
    );
    let trimmed = run(json!([read, write(false)]));
    assert_eq!(
        trimmed,
        json!({"decision": "allow", "dropped": ["documents:write"]})
    );
}

/// The built-in credential-delivery plugin (`core/builtin/`) is the one
/// `plugins/credential-webhook` builds: both answer every kind of event alike.
#[test]
fn the_built_in_delivery_plugin_matches_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let built = plugin_wasm("credential-webhook");
    let builtin =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/builtin/credential_webhook.wasm");
    let installation = json!({
        "type": "installation.created", "tenant": "acme", "issuer": "https://id.example/t/acme",
        "installation": {"id": "in_1", "app": "docs-sync", "version": 2, "service_account": "usr_1",
                         "service_account_name": "docs-sync-0a0b0c0d",
                         "permissions": ["directory:read"], "resources": {"project": ["p1"]}},
        "status": "active", "sequence": 7, "installed_by": "ada",
        "detail": {"upgrade": {"version": 2}},
        "credentials": {"client_id": "cl_1", "token_endpoint": "https://id.example/t/acme/token",
                        "client_secret_jwe": "eyJ.jwe"},
        "hook_url": "https://hooks.example/warden", "occurred_at": 1796205600, "event_id": "evt_1"
    });
    let credential = json!({
        "kind": "rotated", "tenant": "acme", "client_id": "cl_2", "client_name": "Reports",
        "client_secret": "wsec_x", "token_endpoint": "https://id.example/t/acme/token",
        "hook_url": "https://hooks.example/warden", "occurred_at": 1796205600, "event_id": "evt_2"
    });
    let run = |wasm: &std::path::Path, input: &Value| {
        let file = dir.path().join("input.json");
        std::fs::write(&file, input.to_string()).unwrap();
        let out = cli_with(
            dir.path(),
            &[],
            &[
                "plugin",
                "test",
                wasm.to_str().unwrap(),
                "--hook",
                "credential-delivery",
                "--input",
                file.to_str().unwrap(),
                "--config",
                r#"{"allowed_origins": ["https://hooks.example"]}"#,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    for input in [&installation, &credential] {
        assert_eq!(
            run(&built, input),
            run(&builtin, input),
            "rebuild core/builtin"
        );
    }
    let out = run(&builtin, &installation);
    let body: Value = serde_json::from_str(out["deliveries"][0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"type": "installation.created", "timestamp": "2026-12-02T10:00:00Z", "data": {
            "tenant": {"slug": "acme", "issuer": "https://id.example/t/acme"},
            "installation": {"id": "in_1", "status": "active", "sequence": 7, "installed_by": "ada"},
            "app": {"slug": "docs-sync", "version": 2},
            "service_account": {"id": "usr_1", "name": "docs-sync-0a0b0c0d"},
            "permissions": ["directory:read"], "resources": {"project": ["p1"]},
            "upgrade": {"version": 2},
            "credentials": {"client_id": "cl_1", "token_endpoint": "https://id.example/t/acme/token",
                            "client_secret_jwe": "eyJ.jwe"}}})
    );
}
