//! Named admin tokens with scopes, made with the CLI while replicas run: a
//! read-only token is refused every write the OpenAPI document lists, a
//! scoped one only the writes outside its scope; rotation overlaps; a
//! revoked token is refused by every replica at once; the audit trail names
//! the token that acted.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    scopes_hold_on_every_operation_of_the_contract,
    rotation_overlaps_and_revocation_reaches_every_replica,
);

fn create_token(db: &Db, name: &str, scopes: &str) -> String {
    let v = db.cli_json(&["admin-token", "create", name, "--scopes", scopes]);
    v["token"].as_str().unwrap().to_string()
}

async fn call(server: &Server, token: &str, method: &str, path: &str) -> u16 {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http()
        .request(method.clone(), format!("{}{path}", server.base))
        .bearer_auth(token);
    if method != reqwest::Method::GET && method != reqwest::Method::DELETE {
        req = req.header("content-type", "application/json").body("{}");
    }
    req.send().await.unwrap().status().as_u16()
}

/// Every operation of the served contract: (method, path with its
/// parameters filled in, the scope it names).
async fn operations(server: &Server) -> Vec<(String, String, String)> {
    let doc: Value = http()
        .get(format!("{}/admin/v1/openapi.json", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let scope = op["security"][0]["admin_token"][0]
                .as_str()
                .unwrap_or("")
                .to_string();
            let filled = path
                .replace("{tenant}", "acme")
                .split('/')
                .map(|seg| if seg.starts_with('{') { "x" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            all.push((method.to_uppercase(), filled, scope));
        }
    }
    all
}

async fn scopes_hold_on_every_operation_of_the_contract(db: Db) {
    db.create_tenant("acme", &[]);
    let reader = create_token(&db, "reader", "");
    let apps_bot = create_token(&db, "apps-bot", "apps");
    let listed = db.cli_json(&["admin-token", "list"]);
    assert_eq!(listed[0]["name"], "apps-bot");
    assert_eq!(listed[0]["scopes"], "read apps");
    assert!(
        !listed.to_string().contains(&reader),
        "a token is shown once, never listed"
    );
    // Named tokens alone switch the API on (no admin_token configured).
    let server = Server::start(&db).await;
    let ops = operations(&server).await;
    assert!(ops.len() >= 50, "{} operations", ops.len());
    let mut writes = 0;
    for (method, path, scope) in &ops {
        if path.ends_with("/openapi.json") {
            assert_eq!(scope, "", "the contract itself is public");
            continue;
        }
        let read_only = call(&server, &reader, method, path).await;
        let scoped = call(&server, &apps_bot, method, path).await;
        if method == "GET" {
            assert_eq!(scope, "read");
            assert!(
                ![401, 403].contains(&read_only),
                "reader GET {path}: {read_only}"
            );
            assert!(
                ![401, 403].contains(&scoped),
                "apps-bot GET {path}: {scoped}"
            );
        } else {
            writes += 1;
            assert_ne!(scope, "read", "{method} {path} names a write scope");
            assert_eq!(read_only, 403, "read-only {method} {path}");
            if scope == "apps" {
                assert!(
                    ![401, 403].contains(&scoped),
                    "apps-bot {method} {path}: {scoped}"
                );
            } else {
                assert_eq!(scoped, 403, "apps-bot {method} {path} needs {scope}");
            }
        }
    }
    assert!(writes >= 30, "{writes} writes walked");
    // A wrong token is 401 with the challenge, not 403.
    let r = http()
        .get(format!("{}/admin/v1/tenants", server.base))
        .bearer_auth("wat_not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));

    // The audit trail names the token that acted.
    let bot = |method: reqwest::Method, path: &str, body: Value| {
        let req = http()
            .request(method, format!("{}/admin/v1{path}", server.base))
            .bearer_auth(&apps_bot)
            .header("content-type", "application/json")
            .body(body.to_string());
        async move { req.send().await.unwrap() }
    };
    let r = bot(
        reqwest::Method::POST,
        "/apps",
        json!({
            "slug": "sync", "name": "Sync", "publisher": {"name": "Integrator Oy"},
            "hook_url": "http://127.0.0.1:9/hook",
            "permissions": [{"name": "files:read", "level": "tenant", "description": "Read files"}]
        }),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = bot(
        reqwest::Method::POST,
        "/tenants/acme/installations",
        json!({"app": "sync"}),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let trail: Value = bot(reqwest::Method::GET, "/tenants/acme/audit", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        trail.to_string().contains("operator:apps-bot"),
        "the token's name is in the audit trail: {trail}"
    );
    // Creating tokens is audited too, platform-wide.
    let out = db.cli_json(&["audit", "list", "--tenant", "*"]);
    assert!(out.to_string().contains("admin_token.created"), "{out}");

    // Bad input to the CLI reads as a sentence.
    let out = db.cli(&["admin-token", "create", "x", "--scopes", "root"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"root\" is not an admin scope"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn rotation_overlaps_and_revocation_reaches_every_replica(db: Db) {
    db.create_tenant("acme", &[]);
    let old = create_token(&db, "ci", "tenants");
    let one = Server::start(&db).await;
    let two = Server::start(&db).await;
    for server in [&one, &two] {
        assert_eq!(call(server, &old, "GET", "/admin/v1/tenants").await, 200);
    }
    let rotated = db.cli_json(&["admin-token", "rotate", "ci", "--overlap", "2"]);
    let new = rotated["token"].as_str().unwrap().to_string();
    // Both work during the overlap, on both replicas; then only the new one.
    for server in [&one, &two] {
        assert_eq!(call(server, &old, "GET", "/admin/v1/tenants").await, 200);
        assert_eq!(call(server, &new, "GET", "/admin/v1/tenants").await, 200);
    }
    tokio::time::sleep(Duration::from_millis(2200)).await;
    for server in [&one, &two] {
        assert_eq!(call(server, &old, "GET", "/admin/v1/tenants").await, 401);
        assert_eq!(call(server, &new, "GET", "/admin/v1/tenants").await, 200);
    }
    let out = db.cli(&["admin-token", "revoke", "ci"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Refused by every replica within the cache refresh (200 ms here; it is at once).
    tokio::time::sleep(Duration::from_millis(200)).await;
    for server in [&one, &two] {
        assert_eq!(call(server, &new, "GET", "/admin/v1/tenants").await, 401);
    }
    let out = db.cli(&["admin-token", "revoke", "ci"]);
    assert!(!out.status.success(), "revoking twice says so");
}
