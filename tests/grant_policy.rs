//! Grant-policy plugins bound to tenants, through the real server: allow,
//! narrow, deny, extra claims, lifetime cap — and hostile plugins contained
//! while other tenants carry on.

mod common;
use common::*;
use serde_json::Value;
use std::time::Duration;

on_both_backends!(
    scope_policy_shapes_tokens_of_its_tenant_only,
    hostile_policies_fail_closed_and_others_carry_on,
    compiled_plugins_survive_a_restart,
    a_platform_default_governs_every_tenant_without_its_own,
    a_checked_in_0_1_0_component_keeps_working,
);

fn add_plugin(db: &Db, plugin: &str, name: &str) -> Value {
    let wasm = plugin_wasm(plugin);
    db.cli_json(&["plugin", "add", wasm.to_str().unwrap(), "--name", name])
}

fn bind(db: &Db, tenant: &str, plugin: &str, config: &str) {
    db.cli_json(&[
        "plugin",
        "bind",
        "--tenant",
        tenant,
        "--hook",
        "grant-policy",
        "--plugin",
        plugin,
        "--config",
        config,
    ]);
}

async fn claims_of(server: &Server, tenant: &str, r: &Reply) -> Value {
    verify_with_jwks(server, tenant, r.body["access_token"].as_str().unwrap()).await
}

async fn scope_policy_shapes_tokens_of_its_tenant_only(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    let (id, secret) = db.create_client(
        "acme",
        "read write admin",
        &["--default-scopes", "read write"],
    );
    let (g, g_secret) = db.create_client("globex", "read write admin", &[]);
    let server = Server::start(&db).await;
    let acme = format!("{}/token", server.issuer("acme"));
    let cc = |scope: &'static str| vec![("grant_type", "client_credentials"), ("scope", scope)];

    let added = add_plugin(&db, "scope-policy", "scopes");
    assert_eq!(added["name"], "scopes");
    assert_eq!(added["version"], 1);
    assert_eq!(added["hook"], "grant-policy");
    assert_eq!(added["sha256"].as_str().unwrap().len(), 64);
    bind(
        &db,
        "acme",
        "scopes",
        r#"{"allowed_scopes": ["read", "write"], "claims": {"org": "acme"}, "max_lifetime_seconds": 600}"#,
    );

    // Takes effect without a restart, within the refresh bound.
    assert!(
        eventually(Duration::from_secs(3), || async {
            post_form(&acme, Some((&id, &secret)), &cc("read admin"))
                .await
                .body["scope"]
                == "read"
        })
        .await,
        "the binding did not take effect"
    );
    let r = post_form(&acme, Some((&id, &secret)), &cc("read write admin")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scope"], "read write", "narrowed to the allowlist");
    assert_eq!(r.body["expires_in"], 600, "lifetime capped");
    let claims = claims_of(&server, "acme", &r).await;
    assert_eq!(claims["org"], "acme", "extra claim added");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(claims["sub"], id.as_str(), "reserved claims untouched");

    // Deny: nothing requested is allowed.
    let r = post_form(&acme, Some((&id, &secret)), &cc("admin")).await;
    r.assert_error(400, "invalid_scope");
    assert!(
        r.body["error_description"]
            .as_str()
            .unwrap()
            .contains("allowed: read write"),
        "{}",
        r.text
    );

    // Another tenant is untouched.
    let r = post_form(
        &format!("{}/token", server.issuer("globex")),
        Some((&g, &g_secret)),
        &cc("admin"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(claims_of(&server, "globex", &r).await.get("org").is_none());

    // Versions: adding again makes version 2; bind an exact version.
    assert_eq!(add_plugin(&db, "scope-policy", "scopes")["version"], 2);
    bind(&db, "acme", "scopes@1", r#"{"allowed_scopes": ["admin"]}"#);
    assert!(
        eventually(Duration::from_secs(3), || async {
            post_form(&acme, Some((&id, &secret)), &cc("admin"))
                .await
                .status
                == 200
        })
        .await
    );

    // Bad bindings are refused with a reason.
    for (args, expected) in [
        (vec!["--plugin", "nope"], "plugin not found"),
        (vec!["--plugin", "scopes@9"], "plugin not found"),
        (
            vec!["--plugin", "scopes", "--config", "{oops"],
            "not valid JSON",
        ),
    ] {
        let mut all = vec![
            "plugin",
            "bind",
            "--tenant",
            "acme",
            "--hook",
            "grant-policy",
        ];
        all.extend(args);
        let out = db.cli(&all);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(expected),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = db.cli(&[
        "plugin",
        "bind",
        "--tenant",
        "acme",
        "--hook",
        "permission-check",
        "--plugin",
        "scopes",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("implements grant-policy, not permission-check")
    );

    // Unbinding restores the plain behaviour.
    assert!(
        db.cli(&[
            "plugin",
            "unbind",
            "--tenant",
            "acme",
            "--hook",
            "grant-policy"
        ])
        .status
        .success()
    );
    assert!(
        eventually(Duration::from_secs(3), || async {
            let r = post_form(&acme, Some((&id, &secret)), &cc("read write admin")).await;
            r.status == 200 && r.body["expires_in"] == 3600
        })
        .await
    );
    let listed = db.cli_json(&["plugin", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

async fn hostile_policies_fail_closed_and_others_carry_on(db: Db) {
    db.create_tenant("evil", &[]);
    db.create_tenant("good", &[]);
    let (e, e_secret) = db.create_client("evil", "read write", &[]);
    let (g, g_secret) = db.create_client("good", "read", &[]);
    let server = Server::start_with(&db, &[("WARDEN_LOG_FORMAT", "json")], &[]).await;
    add_plugin(&db, "hostile", "hostile");
    let evil = format!("{}/token", server.issuer("evil"));
    let good = format!("{}/token", server.issuer("good"));
    let cc = [("grant_type", "client_credentials"), ("scope", "read")];

    for mode in [
        "loop",
        "memory",
        "recursion",
        "trap",
        "panic",
        "reserved-claim",
        "huge-output",
    ] {
        // Switch through a well-behaved mode so each failure below is this mode's.
        bind(&db, "evil", "hostile", "\"ok\"");
        assert!(
            eventually(Duration::from_secs(3), || async {
                post_form(&evil, Some((&e, &e_secret)), &cc).await.status == 200
            })
            .await
        );
        bind(&db, "evil", "hostile", &format!("\"{mode}\""));
        assert!(
            eventually(Duration::from_secs(3), || async {
                post_form(&evil, Some((&e, &e_secret)), &cc).await.status == 500
            })
            .await,
            "{mode}: the hostile policy did not fail closed"
        );
        // Hammer the hostile tenant while the good one keeps being served.
        let mut attacks = Vec::new();
        for _ in 0..8 {
            let (url, id, secret) = (evil.clone(), e.clone(), e_secret.clone());
            attacks.push(tokio::spawn(async move {
                post_form(&url, Some((&id, &secret)), &cc).await
            }));
        }
        for _ in 0..10 {
            let r = post_form(&good, Some((&g, &g_secret)), &cc).await;
            assert_eq!(
                r.status, 200,
                "{mode}: another tenant was affected: {}",
                r.text
            );
        }
        for a in attacks {
            let r = a.await.unwrap();
            r.assert_error(500, "server_error");
            assert!(
                !r.text.contains("hostile") && !r.text.contains("trap"),
                "internal details leaked: {}",
                r.text
            );
        }
    }
    // Widening is silently impossible: only requested scopes are granted.
    bind(&db, "evil", "hostile", "\"widen\"");
    assert!(
        eventually(Duration::from_secs(3), || async {
            post_form(&evil, Some((&e, &e_secret)), &cc).await.status == 200
        })
        .await
    );
    let r = post_form(&evil, Some((&e, &e_secret)), &cc).await;
    assert_eq!(r.body["scope"], "read");

    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = server.logs();
    assert!(logs.contains("grant policy failed closed"), "{logs}");
    assert!(logs.contains("hostile@1"));
    for kind in ["timeout", "memory", "trap", "invalid"] {
        assert!(
            logs.contains(&format!("\"kind\":\"{kind}\"")),
            "no {kind} failure logged"
        );
    }
    // And counted, for the operator's dashboards.
    let metrics = http()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for kind in ["timeout", "memory", "trap", "invalid"] {
        let line = metrics
            .lines()
            .find(|l| {
                l.starts_with(&format!(
                    "warden_plugin_failures_total{{hook=\"grant-policy\",kind=\"{kind}\"}}"
                ))
            })
            .unwrap_or_else(|| panic!("no {kind} counter in {metrics}"));
        let n: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(n >= 1, "{line}");
    }
}

/// The server compiles a bound plugin once (Winch's code at once,
/// Cranelift's in the background); after a restart it loads Cranelift's code
/// from its disk cache instead of compiling again.
async fn compiled_plugins_survive_a_restart(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read write", &[]);
    add_plugin(&db, "scope-policy", "scopes");
    bind(&db, "acme", "scopes", r#"{"allowed_scopes": ["read"]}"#);
    let cache = db.dir.path().join("server-plugin-cache");
    let env = [("WARDEN_PLUGIN_CACHE_DIR", cache.to_str().unwrap())];

    let server = Server::start_with(&db, &env, &[]).await;
    assert_eq!(
        token(&server, "acme", &id, &secret, &[("scope", "read write")]).await["scope"],
        "read"
    );
    let logs = server.logs();
    assert!(
        logs.contains("plugin compiled"),
        "first start compiles: {logs}"
    );
    // Winch's code serves at once; Cranelift's lands in the cache after.
    let files = || -> Vec<String> {
        std::fs::read_dir(&cache)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        eventually(Duration::from_secs(20), || async {
            files().iter().any(|f| f.ends_with(".cwasm"))
        })
        .await,
        "{:?}",
        files()
    );
    let files = files();
    assert!(
        files.len() == 1 && files[0].ends_with(".cwasm"),
        "{files:?}"
    );
    server.kill().await;

    let server = Server::start_with(&db, &env, &[]).await;
    assert_eq!(
        token(&server, "acme", &id, &secret, &[("scope", "read write")]).await["scope"],
        "read"
    );
    let logs = server.logs();
    assert!(
        logs.contains("plugin loaded from the compiled-code cache"),
        "{logs}"
    );
    assert!(
        !logs.contains("plugin compiled"),
        "a restart does not recompile: {logs}"
    );
}

/// One platform-wide binding instead of one per tenant; a tenant's own
/// binding overrides it, and removing the default frees the others.
async fn a_platform_default_governs_every_tenant_without_its_own(db: Db) {
    let tenants = ["t1", "t2", "t3"];
    let mut clients = Vec::new();
    for t in tenants {
        db.create_tenant(t, &[]);
        clients.push(db.create_client(t, "read write admin", &[]));
    }
    let server = Server::start_with(&db, &[("WARDEN_CACHE_REFRESH_MS", "100")], &[]).await;
    add_plugin(&db, "scope-policy", "scopes");
    let out = db.cli_json(&[
        "plugin",
        "bind",
        "--platform",
        "--hook",
        "grant-policy",
        "--plugin",
        "scopes",
        "--config",
        r#"{"allowed_scopes": ["read"], "claims": {"policy": "platform"}}"#,
    ]);
    assert_eq!(out["tenant"], "*");
    bind(
        &db,
        "t3",
        "scopes",
        r#"{"allowed_scopes": ["read", "write"], "claims": {"policy": "t3"}}"#,
    );
    let scope_of = |i: usize| {
        let (server, (id, secret)) = (&server, clients[i].clone());
        async move {
            let url = format!("{}/token", server.issuer(tenants[i]));
            let r = post_form(
                &url,
                Some((&id, &secret)),
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "read write"),
                ],
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
            let claims = claims_of(server, tenants[i], &r).await;
            (
                r.body["scope"].as_str().unwrap().to_string(),
                claims["policy"].clone(),
            )
        }
    };
    assert!(
        eventually(Duration::from_secs(5), || async {
            scope_of(0).await.0 == "read"
        })
        .await,
        "the platform default did not take effect"
    );
    assert_eq!(
        scope_of(1).await,
        ("read".to_string(), Value::from("platform"))
    );
    assert_eq!(
        scope_of(2).await,
        ("read write".to_string(), Value::from("t3"))
    );
    // Listed on its own; a tenant's list shows only its own.
    let listed = db.cli(&["plugin", "unbind", "--platform", "--hook", "grant-policy"]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            scope_of(0).await.0 == "read write"
        })
        .await,
        "removing the default frees tenants without their own"
    );
    assert_eq!(scope_of(2).await.1, Value::from("t3"));
    // --tenant and --platform are exclusive; one is required.
    assert!(
        !db.cli(&["plugin", "unbind", "--hook", "grant-policy"])
            .status
            .success()
    );
    assert!(
        !db.cli(&[
            "plugin",
            "unbind",
            "--platform",
            "--tenant",
            "t1",
            "--hook",
            "grant-policy"
        ])
        .status
        .success()
    );
}

/// A component compiled against `warden:plugin@0.1.0` and checked in (see
/// tests/fixtures/warden-plugin-0.1.0) loads and decides, whatever the WIT
/// package in wit/ has become since.
async fn a_checked_in_0_1_0_component_keeps_working(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read write admin", &[]);
    let server = Server::start_with(&db, &[("WARDEN_CACHE_REFRESH_MS", "100")], &[]).await;
    let wasm = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/warden-plugin-0.1.0/scope_policy.wasm");
    let added = db.cli_json(&[
        "plugin",
        "add",
        wasm.to_str().unwrap(),
        "--name",
        "old-scopes",
    ]);
    assert_eq!(added["hook"], "grant-policy");
    bind(
        &db,
        "acme",
        "old-scopes",
        r#"{"allowed_scopes": ["read"], "claims": {"built_against": "0.1.0"}}"#,
    );
    let url = format!("{}/token", server.issuer("acme"));
    assert!(
        eventually(Duration::from_secs(5), || async {
            post_form(
                &url,
                Some((&id, &secret)),
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "read write"),
                ],
            )
            .await
            .body["scope"]
                == "read"
        })
        .await
    );
    let r = post_form(
        &url,
        Some((&id, &secret)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "read write"),
        ],
    )
    .await;
    assert_eq!(
        claims_of(&server, "acme", &r).await["built_against"],
        "0.1.0"
    );
}
