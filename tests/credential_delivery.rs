//! Credential delivery through the real binary: a tenant binds the
//! credential-webhook plugin; creating, rotating and deleting a client sends
//! signed JSON to the app's hook URL, delivered through receiver outages and
//! a `kill -9` of the server, dead-lettered with an audit record when out of
//! attempts, and hostile delivery plugins fail closed without leaking secrets.

mod common;
use common::*;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

on_both_backends!(
    deliveries_are_signed_and_consumable,
    receiver_down_then_up_and_dead_letters,
    killed_mid_delivery_delivers_after_restart,
    hostile_delivery_plugins_fail_closed,
    signing_secret_rotation_overlaps,
    a_platform_default_delivers_for_every_tenant,
);

/// Quick retries so the tests run in seconds.
const FAST: &[(&str, &str)] = &[
    ("WARDEN_DELIVERY_BACKOFF_MS", "200"),
    ("WARDEN_DELIVERY_POLL_MS", "100"),
];

fn add_and_bind(db: &Db, tenant: &str, plugin: &str, config: Value) -> Value {
    let wasm = plugin_wasm(plugin);
    db.cli_json(&["plugin", "add", wasm.to_str().unwrap(), "--name", plugin]);
    db.cli_json(&[
        "plugin",
        "bind",
        "--tenant",
        tenant,
        "--hook",
        "credential-delivery",
        "--plugin",
        plugin,
        "--config",
        &config.to_string(),
    ])
}

fn create_app(db: &Db, tenant: &str, hook_url: &str) -> (String, String) {
    let metadata = json!({"hook_url": hook_url, "vendor": "Reporting Inc."}).to_string();
    db.create_client(tenant, "reports:read", &["--metadata", &metadata])
}

fn deliveries(db: &Db, tenant: &str) -> Vec<Value> {
    db.cli_json(&["delivery", "list", "--tenant", tenant])
        .as_array()
        .unwrap()
        .clone()
}

/// The tenant's delivery for `event` (the list's order ties within a second).
fn delivery_of(db: &Db, tenant: &str, event: &str) -> Value {
    deliveries(db, tenant)
        .into_iter()
        .find(|d| d["event"] == event)
        .unwrap_or(Value::Null)
}

async fn deliveries_are_signed_and_consumable(db: Db) {
    db.create_tenant("acme", &[]);
    let receiver = Receiver::start(Answer::Ok).await;
    let config =
        json!({"allowed_origins": [receiver.origin], "headers": {"X-Partner": "acme"}}).to_string();
    let bound = add_and_bind(
        &db,
        "acme",
        "credential-webhook",
        serde_json::from_str(&config).unwrap(),
    );
    let signing_secret = bound["signing_secret"]
        .as_str()
        .expect("first binding shows the signing secret")
        .to_string();
    assert!(signing_secret.starts_with("whsec_"));
    let again = db.cli_json(&[
        "plugin",
        "bind",
        "--tenant",
        "acme",
        "--hook",
        "credential-delivery",
        "--plugin",
        "credential-webhook",
        "--config",
        &config,
    ]);
    assert!(
        again.get("signing_secret").is_none(),
        "the signing secret is shown once: {again}"
    );

    let server = Server::start_with(&db, FAST, &[]).await;
    let hook = format!("{}/warden/hook", receiver.origin);
    let (client_id, secret) = create_app(&db, "acme", &hook);

    // Created: the integrator gets working credentials, signed.
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let created = &got[0];
    assert!(
        created.signature_valid(&signing_secret),
        "signature verifies: {:?}",
        created.headers
    );
    assert!(
        !created.signature_valid("whsec_wrong"),
        "and not under another secret"
    );
    assert_eq!(created.header("content-type"), "application/json");
    assert_eq!(created.header("x-partner"), "acme", "binding headers added");
    assert_eq!(created.header("warden-event"), "credentials.created");
    let key = created.header("idempotency-key").to_string();
    assert!(key.starts_with("evt_"), "{key}");
    let doc = created.json();
    assert_eq!(doc["type"], "credentials.created");
    assert_eq!(doc["tenant"], "acme");
    assert_eq!(doc["metadata"]["vendor"], "Reporting Inc.");
    assert_eq!(doc["credentials"]["client_id"], client_id.as_str());
    assert_eq!(doc["credentials"]["client_secret"], secret.as_str());
    let token_endpoint = doc["credentials"]["token_endpoint"].as_str().unwrap();
    assert!(
        token_endpoint.ends_with("/t/acme/token"),
        "{token_endpoint}"
    );
    // The integrator uses what it received.
    token(
        &server,
        "acme",
        doc["credentials"]["client_id"].as_str().unwrap(),
        doc["credentials"]["client_secret"].as_str().unwrap(),
        &[],
    )
    .await;

    // Rotated: the new secret, under a new idempotency key.
    let rotated = db.cli_json(&["client", "rotate-secret", &client_id]);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    let doc = got[1].json();
    assert_eq!(got[1].header("warden-event"), "credentials.rotated");
    assert_eq!(
        doc["credentials"]["client_secret"],
        rotated["client_secret"]
    );
    assert_ne!(got[1].header("idempotency-key"), key);
    assert!(got[1].signature_valid(&signing_secret));

    // Revoked: no credentials in the document.
    let out = db.cli(&["client", "delete", &client_id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    let doc = got[2].json();
    assert_eq!(doc["type"], "credentials.revoked");
    assert!(doc.get("credentials").is_none(), "{doc}");
    assert!(got[2].signature_valid(&signing_secret));

    // The outbox says so, and keeps no request contents once delivered.
    assert!(
        eventually(Duration::from_secs(5), || async {
            deliveries(&db, "acme")
                .iter()
                .all(|d| d["status"] == "delivered")
        })
        .await
    );
    let list = deliveries(&db, "acme");
    assert_eq!(list.len(), 3);
    assert!(
        list.iter()
            .all(|d| d["attempts"] == 1 && d.get("request").is_none()),
        "{list:?}"
    );

    // An app without a hook URL gets nothing; nothing is queued.
    db.create_client("acme", "reports:read", &[]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.all().len(), 3);

    // No secret reached the log.
    let logs = server.logs();
    for s in [
        secret.as_str(),
        rotated["client_secret"].as_str().unwrap(),
        signing_secret.as_str(),
    ] {
        assert!(!logs.contains(s), "a secret reached the server log");
    }
    assert!(
        logs.contains("credential delivery delivered"),
        "deliveries are logged"
    );
}

async fn receiver_down_then_up_and_dead_letters(db: Db) {
    db.create_tenant("acme", &[]);
    let mut receiver = Receiver::down().await;
    let bound = add_and_bind(
        &db,
        "acme",
        "credential-webhook",
        json!({"allowed_origins": [receiver.origin]}),
    );
    let signing_secret = bound["signing_secret"].as_str().unwrap().to_string();
    let server = Server::start_with(&db, FAST, &[]).await;
    let (client_id, secret) = create_app(&db, "acme", &format!("{}/hook", receiver.origin));

    // Attempts fail while the receiver is down, and are retried with backoff.
    assert!(
        eventually(Duration::from_secs(10), || async {
            deliveries(&db, "acme")[0]["attempts"].as_i64().unwrap() >= 2
        })
        .await,
        "retried while down: {:?}",
        deliveries(&db, "acme")
    );
    let d = &deliveries(&db, "acme")[0];
    assert_eq!(d["status"], "pending");
    assert!(
        d["last_error"].as_str().unwrap().contains("cannot connect"),
        "{d}"
    );

    receiver.up().await;
    let got = receiver.wait_for(1, Duration::from_secs(15)).await;
    assert!(got[0].signature_valid(&signing_secret));
    assert_eq!(
        got[0].json()["credentials"]["client_secret"],
        secret.as_str()
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            deliveries(&db, "acme")[0]["status"] == "delivered"
        })
        .await
    );
    server.kill().await;

    // A receiver that keeps failing: dead-lettered after the configured
    // attempts, with an audit record; an operator can queue it again.
    receiver.answer(Answer::Fail);
    let mut env = FAST.to_vec();
    env.push(("WARDEN_DELIVERY_MAX_ATTEMPTS", "3"));
    env.push(("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN));
    let server = Server::start_with(&db, &env, &[]).await;
    db.cli_json(&["client", "rotate-secret", &client_id]);
    assert!(
        eventually(Duration::from_secs(15), || async {
            delivery_of(&db, "acme", "credentials.rotated")["status"] == "dead"
        })
        .await,
        "dead-lettered: {:?}",
        deliveries(&db, "acme")
    );
    let dead = delivery_of(&db, "acme", "credentials.rotated");
    assert_eq!(dead["attempts"], 3);
    assert!(
        dead["last_error"].as_str().unwrap().contains("503"),
        "{dead}"
    );
    let audit = db.cli_json(&["audit", "list", "--tenant", "acme"]);
    let record = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "delivery.dead_lettered")
        .expect("audit record");
    let detail: Value = serde_json::from_str(record["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["delivery"], dead["id"]);
    assert_eq!(detail["attempts"], 3);
    assert_eq!(
        receiver
            .all()
            .iter()
            .filter(|r| r.header("idempotency-key") == dead["id"].as_str().unwrap())
            .count(),
        3
    );

    // Another tenant's delivery cannot be retried through this one, and
    // the delivery stays dead; the operator's retry through the API is
    // audited, as the CLI's and the console's are, by the same function.
    db.create_tenant("globex", &[]);
    let api = AdminApi::of(&server);
    let id = dead["id"].as_str().unwrap();
    let r = api
        .post(&format!("/tenants/globex/deliveries/{id}/retry"), json!({}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(
        delivery_of(&db, "acme", "credentials.rotated")["status"],
        "dead"
    );
    let r = api
        .post(&format!("/tenants/acme/deliveries/{id}/retry"), json!({}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(
        eventually(Duration::from_secs(15), || async {
            delivery_of(&db, "acme", "credentials.rotated")["status"] == "dead"
        })
        .await,
        "the receiver still fails: dead again"
    );
    let out = db.cli(&["delivery", "retry", "--tenant", "globex", id]);
    assert!(!out.status.success(), "another tenant's delivery");
    receiver.answer(Answer::Ok);
    let out = db.cli(&["delivery", "retry", "--tenant", "acme", id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let retried: Vec<Value> = db
        .cli_json(&["audit", "list", "--tenant", "acme"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "delivery.retried")
        .map(|a| serde_json::from_str(a["detail"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        retried,
        [
            json!({"delivery": id, "actor": "cli"}),
            json!({"delivery": id, "actor": "operator"})
        ],
        "one record per retry, the same shape, newest first"
    );
    // The same actions through the CLI are audited the same way, by `cli`.
    let acme = db.cli_json(&["audit", "list", "--tenant", "acme", "--limit", "500"]);
    for action in ["tenant.created", "client.created", "client.secret_rotated"] {
        assert!(
            acme.as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == action
                    && e["detail"].as_str().unwrap().contains(r#""actor":"cli""#)),
            "{action} by cli: {acme}"
        );
    }
    let globex = db.cli_json(&["audit", "list", "--tenant", "globex"]);
    assert!(
        !globex.to_string().contains("delivery.retried"),
        "nothing was retried in globex: {globex}"
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            delivery_of(&db, "acme", "credentials.rotated")["status"] == "delivered"
        })
        .await
    );
    // Retrying something not dead is a readable error.
    let out = db.cli(&["delivery", "retry", "--tenant", "acme", id]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill().await;
}

async fn killed_mid_delivery_delivers_after_restart(db: Db) {
    db.create_tenant("acme", &[]);
    let receiver = Receiver::start(Answer::Hang).await;
    add_and_bind(
        &db,
        "acme",
        "credential-webhook",
        json!({"allowed_origins": [receiver.origin]}),
    );
    // A 1 s request timeout makes the lease 6 s.
    let mut env = FAST.to_vec();
    env.push(("WARDEN_DELIVERY_TIMEOUT_MS", "1000"));
    let server = Server::start_with(&db, &env, &[]).await;
    let (_, secret) = create_app(&db, "acme", &format!("{}/hook", receiver.origin));

    // The server is killed while the receiver holds the request.
    let first = receiver.wait_for(1, Duration::from_secs(10)).await;
    server.kill().await;
    receiver.answer(Answer::Ok);
    let server = Server::start_with(&db, &env, &[]).await;

    let got = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            deliveries(&db, "acme")[0]["status"] == "delivered"
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_all = receiver.all();
    assert_eq!(got_all.len(), got.len(), "nothing more after delivery");
    // From the receiver's side: one idempotency key, one event, same content.
    let keys: HashSet<&str> = got_all
        .iter()
        .map(|r| r.header("idempotency-key"))
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(got_all.iter().all(|r| r.body == first[0].body));
    assert_eq!(
        got_all[0].json()["credentials"]["client_secret"],
        secret.as_str()
    );
    server.kill().await;
}

async fn hostile_delivery_plugins_fail_closed(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    let (g_id, g_secret) = db.create_client("globex", "read", &[]);
    let server = Server::start_with(&db, FAST, &[]).await;
    let origin = "https://hooks.invalid";
    let wasm = plugin_wasm("hostile-delivery");
    db.cli_json(&[
        "plugin",
        "add",
        wasm.to_str().unwrap(),
        "--name",
        "hostile-delivery",
    ]);
    let bind = |mode: &str| {
        db.cli_json(&[
            "plugin",
            "bind",
            "--tenant",
            "acme",
            "--hook",
            "credential-delivery",
            "--plugin",
            "hostile-delivery",
            "--config",
            &json!({"allowed_origins": [origin], "mode": mode}).to_string(),
        ]);
    };

    // A delivery binding must name where deliveries may go.
    let out = db.cli(&[
        "plugin",
        "bind",
        "--tenant",
        "acme",
        "--hook",
        "credential-delivery",
        "--plugin",
        "hostile-delivery",
        "--config",
        "{}",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("allowed_origins"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let metadata = json!({"hook_url": format!("{origin}/hook")}).to_string();
    for (mode, kind) in [
        ("trap", "trap"),
        ("loop", "timeout"),
        ("leak", "invalid"),
        ("elsewhere", "invalid"),
        ("forge", "invalid"),
    ] {
        bind(mode);
        let out = db.cli(&[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            mode,
            "--scopes",
            "read",
            "--metadata",
            &metadata,
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{mode}: creation must fail closed");
        assert!(
            stderr.contains(&format!(
                "credential-delivery plugin failed ({kind}); nothing was changed"
            )),
            "{mode}: {stderr}"
        );
        assert!(
            !stderr.contains("wsec_"),
            "{mode}: a secret reached the log: {stderr}"
        );
        if mode == "leak" {
            assert!(
                stderr.contains("<redacted>"),
                "the plugin's log line is kept, redacted: {stderr}"
            );
        }
    }
    assert!(
        db.cli_json(&["client", "list", "--tenant", "acme"])
            .as_array()
            .unwrap()
            .is_empty(),
        "no half-made clients"
    );
    assert!(deliveries(&db, "acme").is_empty(), "nothing queued");
    let audit = db.cli_json(&["audit", "list", "--tenant", "acme"]);
    assert_eq!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "delivery.plugin_failed")
            .count(),
        5
    );

    // A revocation is never held back by a broken plugin.
    bind("ok");
    let (id, _) = db.create_client("acme", "read", &["--metadata", &metadata]);
    bind("trap");
    let out = db.cli(&["client", "delete", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        db.cli_json(&["client", "list", "--tenant", "acme"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The server and other tenants carried on throughout.
    token(&server, "globex", &g_id, &g_secret, &[]).await;
    let metrics = http()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("warden_deliveries_total"), "{metrics}");
}

/// `warden plugin test` runs a delivery plugin on an event file.
#[test]
fn plugin_test_shows_the_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("event.json");
    std::fs::write(
        &input,
        json!({
            "kind": "created", "tenant": "acme", "client_id": "cl_1", "client_name": "Reports",
            "client_secret": "wsec_example", "token_endpoint": "https://auth.example/t/acme/token",
            "hook_url": "https://hooks.example.com/warden", "app_metadata": {}, "occurred_at": 1767225600,
            "event_id": "evt_1"
        })
        .to_string(),
    )
    .unwrap();
    let wasm = plugin_wasm("credential-webhook");
    let run = |config: &str| {
        cli_with(
            dir.path(),
            &[],
            &[
                "plugin",
                "test",
                wasm.to_str().unwrap(),
                "--hook",
                "credential-delivery",
                "--input",
                input.to_str().unwrap(),
                "--config",
                config,
            ],
        )
    };
    let out = run(r#"{"allowed_origins": ["https://hooks.example.com"]}"#);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["deliveries"][0];
    assert_eq!(d["url"], "https://hooks.example.com/warden");
    let body: Value = serde_json::from_str(d["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["credentials"]["client_secret"], "wsec_example");

    let out = run(r#"{"allowed_origins": ["https://other.example.com"]}"#);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not in the binding's allowed_origins"),
        "{stderr}"
    );
}

async fn signing_secret_rotation_overlaps(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    let receiver = Receiver::start(Answer::Ok).await;
    let bound = add_and_bind(
        &db,
        "acme",
        "credential-webhook",
        json!({"allowed_origins": [receiver.origin]}),
    );
    let first = bound["signing_secret"].as_str().unwrap().to_string();
    const ADMIN_TOKEN: &str = "operator-credential-0123456789abcdef";
    let env = [FAST, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)]].concat();
    let server = Server::start_with(&db, &env, &[]).await;
    let hook = format!("{}/warden/hook", receiver.origin);

    // Nothing to rotate for a tenant without a delivery plugin; bad overlaps refused.
    let out = db.cli(&["delivery", "rotate-secret", "--tenant", "globex"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("delivery signing secret not found"), "{err}");
    for overlap in ["-1", "604801"] {
        let out = db.cli(&[
            "delivery",
            "rotate-secret",
            "--tenant",
            "acme",
            "--overlap",
            overlap,
        ]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("overlap must be between 0 and 604800"),
            "{err}"
        );
    }

    // During the overlap, deliveries carry one signature per secret: receivers
    // still on the old secret and those already on the new one both accept.
    let rotated = db.cli_json(&[
        "delivery",
        "rotate-secret",
        "--tenant",
        "acme",
        "--overlap",
        "3600",
    ]);
    let second = rotated["signing_secret"].as_str().unwrap().to_string();
    assert!(second.starts_with("whsec_") && second != first, "{rotated}");
    create_app(&db, "acme", &hook);
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].signature_count(), 2, "{:?}", got[0].headers);
    assert!(got[0].signature_valid(&second));
    assert!(got[0].signature_valid(&first));

    // With no overlap (here through the admin API), only the newest secret signs.
    let r = Reply::from(
        http()
            .post(format!(
                "{}/admin/v1/tenants/acme/delivery-signing-secret/rotate",
                server.base
            ))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body(json!({"overlap": 0}).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.header("cache-control"),
        Some("no-store"),
        "{:?}",
        r.headers
    );
    let third = r.body["signing_secret"].as_str().unwrap().to_string();
    assert!(third.starts_with("whsec_") && third != second);
    create_app(&db, "acme", &hook);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].signature_count(), 1, "{:?}", got[1].headers);
    assert!(got[1].signature_valid(&third));
    assert!(!got[1].signature_valid(&second));
    assert!(!got[1].signature_valid(&first));

    // Audited, and no secret is written anywhere but the one-time output.
    let audit = db
        .cli_json(&["audit", "list", "--tenant", "acme"])
        .to_string();
    assert_eq!(
        audit.matches("delivery.signing_secret_rotated").count(),
        2,
        "{audit}"
    );
    for secret in [&first, &second, &third] {
        assert!(!audit.contains(secret.as_str()));
        assert!(!server.logs().contains(secret.as_str()));
    }
}

/// A platform-wide credential-delivery default serves tenants that bound
/// none: each gets a delivery signing secret with its first delivery, which
/// `delivery rotate-secret` replaces with one the operator sees.
async fn a_platform_default_delivers_for_every_tenant(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    let receiver = Receiver::start(Answer::Ok).await;
    let wasm = plugin_wasm("credential-webhook");
    db.cli_json(&["plugin", "add", wasm.to_str().unwrap(), "--name", "webhook"]);
    let bound = db.cli_json(&[
        "plugin",
        "bind",
        "--platform",
        "--hook",
        "credential-delivery",
        "--plugin",
        "webhook",
        "--config",
        &json!({"allowed_origins": [receiver.origin]}).to_string(),
    ]);
    assert_eq!(bound["tenant"], "*");
    assert!(
        bound.get("signing_secret").is_none(),
        "a platform default has no tenant secret to show"
    );
    let server = Server::start_with(&db, FAST, &[]).await;
    let hook = format!("{}/hook", receiver.origin);
    let (acme_client, _) = create_app(&db, "acme", &hook);
    let (globex_client, _) = create_app(&db, "globex", &hook);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    let ids: std::collections::HashSet<String> = got
        .iter()
        .map(|r| {
            r.json()["credentials"]["client_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        ids,
        [acme_client.clone(), globex_client].into_iter().collect()
    );
    assert!(
        got.iter().all(|r| r.signature_count() == 1),
        "signed with each tenant's own secret"
    );
    // The operator rotates to a secret they can give the receiver.
    let rotated = db.cli_json(&[
        "delivery",
        "rotate-secret",
        "--tenant",
        "acme",
        "--overlap",
        "0",
    ]);
    let secret = rotated["signing_secret"].as_str().unwrap().to_string();
    db.cli_json(&["client", "rotate-secret", &acme_client]);
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(
        got[2].json()["credentials"]["client_id"],
        acme_client.as_str()
    );
    assert!(got[2].signature_valid(&secret));
    server.kill().await;
}
