//! The admin API through the real binary: the operator credential guards it,
//! it does what the CLI does, and every bad request gets a problem document.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    admin_api_manages_tenants_clients_and_plugins,
    admin_api_refuses_bad_requests
);

const TOKEN: &str = "operator-credential-0123456789abcdef";

struct Api {
    base: String,
    token: Option<String>,
}

impl Api {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = http().request(method, format!("{}/admin/v1{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        Reply::from(req.send().await.unwrap()).await
    }
    /// A short list's rows: its one page's `items`.
    async fn list(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        assert!(r.body["next"].is_null(), "{}", r.text);
        r.body["items"].clone()
    }
    async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
}

fn assert_problem(r: &Reply, status: u16, detail_has: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        r.text
    );
    assert_eq!(r.body["status"], status);
    assert!(r.body["title"].as_str().is_some_and(|t| !t.is_empty()));
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(detail_has),
        "detail {detail:?} lacks {detail_has:?}"
    );
}

async fn admin_api_manages_tenants_clients_and_plugins(db: Db) {
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", TOKEN)], &[]).await;
    let api = Api {
        base: server.base.clone(),
        token: Some(TOKEN.into()),
    };

    let r = api
        .post("/tenants", json!({"slug": "acme", "signing_alg": "EdDSA"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["issuer"], server.issuer("acme"));
    assert_eq!(api.list("/tenants").await[0]["slug"], "acme");

    let r = api
        .post(
            "/tenants/acme/clients",
            json!({"name": "reports", "scopes": "read write", "metadata": {"team": "bi"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.header("cache-control"),
        Some("no-store"),
        "an answer holding a secret is never cached"
    );
    let (id, secret) = (
        r.body["client_id"].as_str().unwrap().to_string(),
        r.body["client_secret"].as_str().unwrap().to_string(),
    );
    let t = token(&server, "acme", &id, &secret, &[("scope", "read")]).await;
    assert_eq!(t["scope"], "read");
    let r = api.get("/tenants/acme/clients").await;
    assert_eq!(r.body["items"][0]["client_id"], id.as_str());
    assert!(!r.text.contains(&secret), "secrets are never listed");

    let r = api
        .post(
            &format!("/clients/{id}/rotate-secret"),
            json!({"overlap": 0}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new_secret = r.body["client_secret"].as_str().unwrap().to_string();
    // The old secret stops at once (overlap 0); the new one works.
    assert!(
        eventually(Duration::from_secs(3), || async {
            post_form(
                &format!("{}/token", server.issuer("acme")),
                Some((&id, &secret)),
                &[("grant_type", "client_credentials")],
            )
            .await
            .status
                == 401
        })
        .await
    );
    token(&server, "acme", &id, &new_secret, &[]).await;
    // Each change is in the tenant's trail, naming who made it.
    let trail = api.list("/tenants/acme/audit").await;
    let mut seen: Vec<String> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let d: Value = serde_json::from_str(e["detail"].as_str().unwrap()).unwrap();
            format!(
                "{} {}",
                e["action"].as_str().unwrap(),
                d["actor"].as_str().unwrap()
            )
        })
        .collect();
    seen.reverse();
    assert_eq!(
        seen,
        [
            "tenant.created operator",
            "client.created operator",
            "client.secret_rotated operator"
        ],
        "{trail}"
    );

    // Users.
    let r = api.post("/tenants/acme/users", json!({"username": "alice", "password": "correct horse battery", "email": "a@acme.test"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["id"].as_str().unwrap().starts_with("usr_"));
    assert!(
        !r.text.contains("correct horse"),
        "passwords are never echoed"
    );
    assert_problem(
        &api.post(
            "/tenants/acme/users",
            json!({"username": "bob", "password": "short"}),
        )
        .await,
        400,
        "at least 10 characters",
    );
    assert_problem(
        &api.post(
            "/tenants/acme/users",
            json!({"username": "alice", "password": "another long one"}),
        )
        .await,
        409,
        "already exists",
    );
    assert_eq!(
        api.list("/tenants/acme/users").await[0]["username"],
        "alice"
    );
    assert_eq!(
        api.send(reqwest::Method::DELETE, "/tenants/acme/users/alice", None)
            .await
            .status,
        204
    );
    assert_problem(
        &api.send(reqwest::Method::DELETE, "/tenants/acme/users/alice", None)
            .await,
        404,
        "user not found",
    );

    let r = api.post("/tenants/acme/keys/rotate", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["alg"], "EdDSA");

    // Plugins: upload the component bytes, bind, list, unbind.
    let wasm = std::fs::read(plugin_wasm("scope-policy")).unwrap();
    let r = Reply::from(
        http()
            .post(format!("{}/admin/v1/plugins?name=scopes", server.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/wasm")
            .body(wasm)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["hook"], "grant-policy");
    let r = api
        .send(
            reqwest::Method::PUT,
            "/tenants/acme/bindings/grant-policy",
            Some(json!({"plugin": "scopes", "config": {"allowed_scopes": ["read"]}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        eventually(Duration::from_secs(3), || async {
            token(
                &server,
                "acme",
                &id,
                &new_secret,
                &[("scope", "read write")],
            )
            .await["scope"]
                == "read"
        })
        .await,
        "the binding made through the API takes effect"
    );
    let bound = api.list("/tenants/acme/bindings").await;
    assert_eq!(bound[0]["plugin_name"], "scopes");
    assert_eq!(bound[0]["sha256"].as_str().unwrap().len(), 64);
    let r = api
        .send(
            reqwest::Method::DELETE,
            "/tenants/acme/bindings/grant-policy",
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(api.list("/plugins").await[0]["name"], "scopes");
    // The same as the platform-wide default for tenants without their own.
    let r = api
        .send(
            reqwest::Method::PUT,
            "/bindings/grant-policy",
            Some(json!({"plugin": "scopes", "config": {"allowed_scopes": ["write"]}})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["tenant"].clone()),
        (200, json!("*")),
        "{}",
        r.text
    );
    assert!(
        eventually(Duration::from_secs(3), || async {
            token(
                &server,
                "acme",
                &id,
                &new_secret,
                &[("scope", "read write")],
            )
            .await["scope"]
                == "write"
        })
        .await,
        "the platform default takes effect"
    );
    assert_eq!(api.list("/bindings").await[0]["plugin_name"], "scopes");
    assert_eq!(api.list("/tenants/acme/bindings").await, json!([]));
    let r = api
        .send(reqwest::Method::DELETE, "/bindings/grant-policy", None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = api
        .send(reqwest::Method::DELETE, "/bindings/grant-policy", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Binding and unbinding are audited, the tenant's under the tenant and
    // the platform's under `*`, naming who did it.
    let trail = |tenant: &'static str| {
        let api = &api;
        async move {
            api.list(&format!("/tenants/{tenant}/audit"))
                .await
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"].as_str().unwrap().starts_with("plugin."))
                .map(|e| {
                    let d: Value = serde_json::from_str(e["detail"].as_str().unwrap()).unwrap();
                    format!(
                        "{} {} {}",
                        e["action"].as_str().unwrap(),
                        d["hook"].as_str().unwrap(),
                        d["actor"].as_str().unwrap()
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        trail("acme").await,
        [
            "plugin.unbound grant-policy operator",
            "plugin.bound grant-policy operator"
        ]
    );
    assert_eq!(
        trail("*").await,
        [
            "plugin.unbound grant-policy operator",
            "plugin.bound grant-policy operator"
        ]
    );

    let r = api
        .send(reqwest::Method::DELETE, &format!("/clients/{id}"), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(
        eventually(Duration::from_secs(3), || async {
            post_form(
                &format!("{}/token", server.issuer("acme")),
                Some((&id, &new_secret)),
                &[("grant_type", "client_credentials")],
            )
            .await
            .status
                == 401
        })
        .await
    );
    assert_eq!(api.list("/tenants/acme/deliveries").await, json!([]));
    // acme has no credential-delivery plugin, so no signing secret to rotate.
    assert_problem(
        &api.post("/tenants/acme/delivery-signing-secret/rotate", json!({}))
            .await,
        404,
        "delivery signing secret not found",
    );
    assert_problem(
        &api.post(
            "/tenants/acme/delivery-signing-secret/rotate",
            json!({"overlap": -5}),
        )
        .await,
        400,
        "overlap must be between 0 and 604800",
    );
    assert_problem(
        &api.post("/tenants/nobody/delivery-signing-secret/rotate", json!({}))
            .await,
        404,
        "tenant not found",
    );
    assert_eq!(api.get("/tenants/acme/audit").await.status, 200);
    assert!(
        !server.logs().contains(TOKEN),
        "the operator credential never reaches the log"
    );
}

async fn admin_api_refuses_bad_requests(db: Db) {
    // Off without an operator credential.
    let server = Server::start(&db).await;
    let r = Api {
        base: server.base.clone(),
        token: Some(TOKEN.into()),
    }
    .get("/tenants")
    .await;
    assert_problem(&r, 404, "admin API is disabled");
    server.kill().await;

    // A short credential is a readable startup error.
    let out = cli_with(
        db.dir.path(),
        &[
            db.env(),
            vec![("WARDEN_ADMIN_TOKEN".into(), "short".into())],
        ]
        .concat(),
        &["tenant", "list"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("at least 32 characters"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", TOKEN)], &[]).await;
    let api = Api {
        base: server.base.clone(),
        token: Some(TOKEN.into()),
    };
    let anonymous = Api {
        base: server.base.clone(),
        token: None,
    };
    let wrong = Api {
        base: server.base.clone(),
        token: Some(format!("{TOKEN}x")),
    };

    let r = anonymous.get("/tenants").await;
    assert_problem(&r, 401, "Authorization: Bearer");
    assert!(
        r.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer"))
    );
    assert_problem(
        &wrong.post("/tenants", json!({"slug": "x"})).await,
        401,
        "not valid",
    );
    assert!(
        api.list("/tenants").await.as_array().unwrap().is_empty(),
        "nothing was created by the refused call"
    );

    assert_eq!(
        api.post("/tenants", json!({"slug": "acme"})).await.status,
        201
    );
    assert_problem(
        &api.post("/tenants", json!({"slug": "acme"})).await,
        409,
        "already exists",
    );
    assert_problem(
        &api.post("/tenants", json!({"slug": "Bad Slug!"})).await,
        400,
        "",
    );
    assert_problem(
        &api.post("/tenants", json!({"slug": "x", "colour": "red"}))
            .await,
        400,
        "unknown field",
    );
    assert_problem(
        &api.post("/tenants", json!({"slug": "y", "signing_alg": "HS256"}))
            .await,
        400,
        "",
    );
    let r = Reply::from(
        http()
            .post(format!("{}/admin/v1/tenants", server.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&r, 400, "invalid JSON");
    let r = Reply::from(
        http()
            .post(format!("{}/admin/v1/tenants", server.base))
            .bearer_auth(TOKEN)
            .header("content-type", "text/plain")
            .body("slug=x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&r, 415, "application/json");
    let r = Reply::from(
        http()
            .post(format!("{}/admin/v1/tenants", server.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(vec![b' '; 100_000])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&r, 413, "exceeds");

    assert_problem(
        &api.post("/tenants/nope/clients", json!({"name": "a"}))
            .await,
        404,
        "tenant not found",
    );
    assert_problem(
        &api.post(
            "/tenants/acme/clients",
            json!({"name": "a", "scopes": "bad\"scope"}),
        )
        .await,
        400,
        "scopes",
    );
    assert_problem(
        &api.post(
            "/tenants/acme/clients",
            json!({"name": "a", "metadata": [1]}),
        )
        .await,
        400,
        "metadata",
    );
    assert_problem(
        &api.post("/clients/cl_missing/rotate-secret", json!({}))
            .await,
        404,
        "client not found",
    );
    assert_problem(
        &api.send(reqwest::Method::DELETE, "/clients/cl_missing", None)
            .await,
        404,
        "client not found",
    );
    assert_problem(
        &api.get("/tenants/acme/deliveries?limit=lots").await,
        400,
        "limit must be a whole number from 1 to 1000",
    );
    for bad in ["limit=0", "limit=1001", "limit=-5"] {
        assert_problem(&api.get(&format!("/tenants?{bad}")).await, 400, "limit");
    }
    for bad in ["bm90LWEta2V5", "abc", "0G"] {
        assert_problem(
            &api.get(&format!("/tenants/acme/clients?cursor={bad}"))
                .await,
            400,
            "cursor is not one this list gives",
        );
    }
    assert_problem(
        &api.get("/no/such/thing").await,
        404,
        "no such admin endpoint",
    );

    // Plugin upload: no name, not a component.
    let r = Reply::from(
        http()
            .post(format!("{}/admin/v1/plugins", server.base))
            .bearer_auth(TOKEN)
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&r, 400, "name the plugin");
    let r = Reply::from(
        http()
            .post(format!("{}/admin/v1/plugins?name=junk", server.base))
            .bearer_auth(TOKEN)
            .body("not wasm")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&r, 422, "not a WebAssembly component");
    assert_problem(
        &api.send(
            reqwest::Method::PUT,
            "/tenants/acme/bindings/grant-policy",
            Some(json!({"plugin": "missing"})),
        )
        .await,
        404,
        "plugin not found",
    );
    assert_problem(
        &api.send(
            reqwest::Method::PUT,
            "/tenants/acme/bindings/teleport",
            Some(json!({"plugin": "missing"})),
        )
        .await,
        400,
        "unknown hook",
    );
    // The server is still fine.
    assert_eq!(
        get_json(&format!("{}/healthz", server.base)).await.status,
        200
    );
}
