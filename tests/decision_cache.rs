//! Decisions a plugin lets the host reuse (`cache-for`, `warden:plugin@0.3.0`),
//! through the real binary: the same input is answered without a call; a
//! changed input field, a rebinding, a new configuration or a change to the
//! installation is never answered from memory; the tenant caps how long;
//! two tenants bound to the same component never share a decision; a flood
//! of distinct inputs stays within the cache's bound; `/metrics` counts it.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    grant_decisions_are_reused_only_for_the_same_input_and_binding,
    the_tenant_caps_how_long_a_decision_is_reused,
    permission_decisions_are_forgotten_when_the_installation_changes,
    a_flood_of_distinct_inputs_stays_within_the_bound,
);

/// The directory notices bindings and installations quickly.
const ENV: &[(&str, &str)] = &[
    ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
    ("WARDEN_CACHE_REFRESH_MS", "100"),
];

fn bind(db: &Db, tenant: &str, hook: &str, plugin: &str, config: Value) {
    let config = config.to_string();
    db.cli_json(&[
        "plugin", "bind", "--tenant", tenant, "--hook", hook, "--plugin", plugin, "--config",
        &config,
    ]);
}

fn add_scope_policy(db: &Db) {
    let wasm = plugin_wasm("scope-policy");
    db.cli_json(&["plugin", "add", wasm.to_str().unwrap(), "--name", "scopes"]);
}

/// Plugin calls and reused decisions of `hook` so far.
async fn counts(server: &Server, hook: &str) -> (f64, f64) {
    let m = Scrape::of(server).await;
    (
        m.value(
            "warden_plugin_call_duration_seconds_count",
            &[("hook", hook)],
        ),
        m.value("warden_plugin_decisions_reused_total", &[("hook", hook)]),
    )
}

/// The `org` claim of a fresh token for `scope`.
async fn org(server: &Server, tenant: &str, client: &(String, String), scope: &str) -> Value {
    let t = token(server, tenant, &client.0, &client.1, &[("scope", scope)]).await;
    let access = t["access_token"].as_str().unwrap_or_else(|| panic!("{t}"));
    verify_with_jwks(server, tenant, access).await["org"].clone()
}

async fn grant_decisions_are_reused_only_for_the_same_input_and_binding(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_tenant("beta", &[]);
    let acme = db.create_client("acme", "read write", &[]);
    let beta = db.create_client("beta", "read write", &[]);
    add_scope_policy(&db);
    let policy = |org: &str| json!({"allowed_scopes": ["read", "write"], "claims": {"org": org}, "cache_for_seconds": 300});
    bind(&db, "acme", "grant-policy", "scopes", policy("acme"));
    // The same component, bound by another tenant with its own configuration.
    bind(&db, "beta", "grant-policy", "scopes", policy("beta"));
    let server = Server::start_with(&db, ENV, &[]).await;

    assert_eq!(org(&server, "acme", &acme, "read").await, "acme");
    assert_eq!(org(&server, "acme", &acme, "read").await, "acme");
    assert_eq!(
        counts(&server, "grant-policy").await,
        (1.0, 1.0),
        "the second identical request is answered without a call"
    );
    // A field of the key changes: the plugin decides again.
    assert_eq!(org(&server, "acme", &acme, "write").await, "acme");
    assert_eq!(counts(&server, "grant-policy").await, (2.0, 1.0));
    // Another tenant's binding of the same component: its own decision.
    assert_eq!(org(&server, "beta", &beta, "read").await, "beta");
    assert_eq!(counts(&server, "grant-policy").await, (3.0, 1.0));

    // A new configuration is never answered with the old one's decision.
    bind(&db, "acme", "grant-policy", "scopes", policy("acme-2"));
    assert!(
        eventually(Duration::from_secs(5), || async {
            org(&server, "acme", &acme, "read").await == "acme-2"
        })
        .await,
        "the rebinding takes effect"
    );
    for _ in 0..3 {
        assert_eq!(org(&server, "acme", &acme, "read").await, "acme-2");
    }
    assert_eq!(org(&server, "beta", &beta, "read").await, "beta");

    // A plugin that says nothing of reuse is called every time.
    bind(
        &db,
        "acme",
        "grant-policy",
        "scopes",
        json!({"allowed_scopes": ["read"], "claims": {"org": "uncached"}}),
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            org(&server, "acme", &acme, "read").await == "uncached"
        })
        .await
    );
    let (calls, reused) = counts(&server, "grant-policy").await;
    for _ in 0..3 {
        assert_eq!(org(&server, "acme", &acme, "read").await, "uncached");
    }
    assert_eq!(counts(&server, "grant-policy").await, (calls + 3.0, reused));
}

async fn the_tenant_caps_how_long_a_decision_is_reused(db: Db) {
    db.create_tenant("acme", &[]);
    let acme = db.create_client("acme", "read", &[]);
    add_scope_policy(&db);
    // The plugin would have its decision reused for 136 years.
    let forever = json!({"allowed_scopes": ["read"], "claims": {"org": "acme"}, "cache_for_seconds": u32::MAX});
    bind(&db, "acme", "grant-policy", "scopes", forever);
    let set = db.cli_json(&["tenant", "set", "acme", "--decision-cache-max-seconds", "1"]);
    assert_eq!(set["decision_cache_max_seconds"], 1, "{set}");
    let server = Server::start_with(&db, ENV, &[]).await;

    org(&server, "acme", &acme, "read").await;
    org(&server, "acme", &acme, "read").await;
    assert_eq!(counts(&server, "grant-policy").await, (1.0, 1.0));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    org(&server, "acme", &acme, "read").await;
    assert_eq!(
        counts(&server, "grant-policy").await,
        (2.0, 1.0),
        "after the tenant's cap the plugin is called again"
    );

    // 0: the tenant wants every decision made afresh.
    db.cli_json(&["tenant", "set", "acme", "--decision-cache-max-seconds", "0"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (calls, reused) = counts(&server, "grant-policy").await;
    for _ in 0..3 {
        org(&server, "acme", &acme, "read").await;
    }
    assert_eq!(counts(&server, "grant-policy").await, (calls + 3.0, reused));

    let bad = db.cli(&[
        "tenant",
        "set",
        "acme",
        "--decision-cache-max-seconds",
        "90000",
    ]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("decision_cache_max_seconds must be 0 (never reuse) to 86400 seconds"),
        "{stderr}"
    );
    let bad = db.cli(&[
        "tenant",
        "set",
        "acme",
        "--decision-cache-max-seconds",
        "soon",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("neither a number of seconds nor `default`")
    );
    let back = db.cli_json(&[
        "tenant",
        "set",
        "acme",
        "--decision-cache-max-seconds",
        "default",
    ]);
    assert_eq!(back["decision_cache_max_seconds"], Value::Null, "{back}");
}

/// An app with a project permission, installed on p1 and p2, and a bearer
/// token of the tenant for AuthZEN calls; returns (installation, bearer).
async fn installed_app(server: &Server, db: &Db) -> (Value, String) {
    let api = AdminApi::of(server);
    let r = api
        .put(
            "/tenants/acme/resources",
            json!([
                {"type": "project", "id": "p1", "name": "Harbour Tower"},
                {"type": "project", "id": "p2", "name": "North Bridge"}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .post(
            "/apps",
            json!({
                "slug": "docs-sync", "name": "Docs Sync",
                "publisher": {"name": "Acme Integrations"},
                "hook_url": "http://127.0.0.1:9/hook",
                "resource_types": [{"type": "project", "name": "Projects"}],
                "permissions": [{"name": "documents:write", "level": "resource",
                                 "resource_type": "project", "description": "Upload documents"}]
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "resources": {"project": ["p1", "p2"]},
                   "installed_by": "ada@example.com"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let t = token(server, "acme", &id, &secret, &[]).await;
    (r.body, t["access_token"].as_str().unwrap().to_string())
}

async fn evaluate(server: &Server, bearer: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}/access/v1/evaluation", server.issuer("acme")))
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn on_project(subject: &str, project: &str) -> Value {
    json!({
        "subject": {"type": "service_account", "id": subject},
        "action": {"name": "documents:write"},
        "resource": {"type": "project", "id": project}
    })
}

async fn permission_decisions_are_forgotten_when_the_installation_changes(db: Db) {
    db.create_tenant("acme", &[]);
    let reuse = json!({"cache_for_seconds": 300}).to_string();
    add_and_bind_plugin(
        &db,
        "acme",
        "permission-check",
        "project-permission",
        "projects",
        &reuse,
    );
    let server = Server::start_with(&db, ENV, &[]).await;
    let (inst, bearer) = installed_app(&server, &db).await;
    let subject = inst["service_account"]["id"].as_str().unwrap();
    let hook = "permission-check";

    assert_eq!(
        evaluate(&server, &bearer, on_project(subject, "p1")).await["decision"],
        true
    );
    assert_eq!(
        evaluate(&server, &bearer, on_project(subject, "p1")).await["decision"],
        true
    );
    assert_eq!(counts(&server, hook).await, (1.0, 1.0));
    // The installation's usage counts the decision reused for it.
    let api = AdminApi::of(&server);
    let id = inst["id"].as_str().unwrap();
    let usage = api
        .get(&format!("/tenants/acme/installations/{id}/usage"))
        .await;
    assert_eq!(
        usage.body["totals"]["decisions_reused"], 1,
        "{}",
        usage.text
    );
    assert_eq!(usage.body["totals"]["evaluations"], 2, "{}", usage.text);

    // The admin takes p1 away: the remembered permit is never served again.
    let r = api
        .put(
            &format!("/tenants/acme/installations/{id}/resources"),
            json!({"project": ["p2"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        eventually(Duration::from_secs(5), || async {
            evaluate(&server, &bearer, on_project(subject, "p1")).await["decision"] == false
        })
        .await,
        "the changed selection decides"
    );
    let (calls, reused) = counts(&server, hook).await;
    let denied = evaluate(&server, &bearer, on_project(subject, "p1")).await;
    assert_eq!(denied["decision"], false, "{denied}");
    assert_eq!(counts(&server, hook).await, (calls, reused + 1.0));

    // Suspending the installation forgets its decisions too.
    let r = api
        .post(
            &format!("/tenants/acme/installations/{id}/suspend"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        eventually(Duration::from_secs(5), || async {
            evaluate(&server, &bearer, on_project(subject, "p1")).await;
            counts(&server, hook).await.0 > calls
        })
        .await,
        "the suspended installation's evaluation reaches the plugin"
    );

    // Evaluations the plugin sees differently are decided apart: the
    // context is part of the input.
    let (calls, _) = counts(&server, hook).await;
    let mut with_context = on_project(subject, "p2");
    with_context["context"] = json!({"ip": "203.0.113.9"});
    evaluate(&server, &bearer, on_project(subject, "p2")).await;
    evaluate(&server, &bearer, with_context).await;
    assert_eq!(counts(&server, hook).await.0, calls + 2.0);
}

async fn a_flood_of_distinct_inputs_stays_within_the_bound(db: Db) {
    db.create_tenant("acme", &[]);
    let reuse = json!({"cache_for_seconds": 300}).to_string();
    add_and_bind_plugin(
        &db,
        "acme",
        "permission-check",
        "project-permission",
        "projects",
        &reuse,
    );
    let env = [ENV, &[("WARDEN_PLUGIN_DECISION_CACHE_ENTRIES", "32")]].concat();
    let server = Server::start_with(&db, &env, &[]).await;
    let (id, secret) = db.create_client("acme", "read", &[]);
    let bearer = token(&server, "acme", &id, &secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    for batch in 0..3 {
        let evaluations: Vec<Value> = (0..100)
            .map(|i| json!({"resource": {"type": "project", "id": format!("p{batch}-{i}")}}))
            .collect();
        let r = http()
            .post(format!("{}/access/v1/evaluations", server.issuer("acme")))
            .bearer_auth(&bearer)
            .json(&json!({
                "subject": {"type": "app", "id": "cl_x", "properties": {"permissions": ["read"]}},
                "action": {"name": "read"},
                "evaluations": evaluations,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let m = Scrape::of(&server).await;
    let held = m.value("warden_plugin_decision_cache_entries", &[]);
    assert!((1.0..=32.0).contains(&held), "{held} entries held");
    assert!(m.value("warden_plugin_decision_cache_bytes", &[]) > 0.0);
    assert_eq!(
        m.value(
            "warden_plugin_call_duration_seconds_count",
            &[("hook", "permission-check")]
        ),
        300.0
    );
}
