//! `/metrics` after known traffic through the real binary: token requests
//! by grant and error, request latency by route and status, plugin calls by
//! hook, the delivery outbox draining, database pools and the directory
//! cache; no label names a tenant or client; and the Grafana dashboard in
//! `ops/grafana` plots only metrics the server exports.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

on_both_backends!(metrics_count_what_happened);

const TOKEN_ROUTE: (&str, &str) = ("route", "/t/{tenant}/token");

async fn metrics_count_what_happened(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read write", &[]);
    // A grant policy that allows `read` only.
    add_and_bind_plugin(
        &db,
        "acme",
        "grant-policy",
        "scope-policy",
        "scopes",
        r#"{"allowed_scopes": ["read"]}"#,
    );
    // Credential delivery to an integrator whose endpoint is down for now.
    let mut receiver = Receiver::down().await;
    add_and_bind_plugin(
        &db,
        "acme",
        "credential-delivery",
        "credential-webhook",
        "credential-webhook",
        &json!({"allowed_origins": [receiver.origin]}).to_string(),
    );
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
    let hook = json!({"hook_url": format!("{}/hook", receiver.origin)}).to_string();
    let (app_id, _) = db.create_client("acme", "read", &["--metadata", &hook]);

    // Known traffic: 5 tokens; 2 scopes the policy refuses; 3 wrong
    // secrets; 1 grant type that is not offered.
    let url = format!("{}/token", server.issuer("acme"));
    let cc = |scope| vec![("grant_type", "client_credentials"), ("scope", scope)];
    for _ in 0..5 {
        assert_eq!(
            post_form(&url, Some((&id, &secret)), &cc("read"))
                .await
                .status,
            200
        );
    }
    for _ in 0..2 {
        post_form(&url, Some((&id, &secret)), &cc("write"))
            .await
            .assert_error(400, "invalid_scope");
    }
    for _ in 0..3 {
        post_form(&url, Some((&id, "not-the-secret")), &cc("read"))
            .await
            .assert_error(401, "invalid_client");
    }
    post_form(&url, Some((&id, &secret)), &[("grant_type", "password")])
        .await
        .assert_error(400, "unsupported_grant_type");

    // The delivery has failed at least once and waited a second in the outbox.
    let mut m = Scrape::of(&server).await;
    for _ in 0..100 {
        if m.value("warden_deliveries_total", &[("outcome", "failed")]) >= 1.0
            && m.value("warden_delivery_outbox_oldest_pending_age_seconds", &[]) >= 1.0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        m = Scrape::of(&server).await;
    }

    // Tokens by grant type and error.
    let issued = |grant| m.value("warden_tokens_issued_total", &[("grant_type", grant)]);
    let refused = |grant, error| {
        m.value(
            "warden_tokens_refused_total",
            &[("grant_type", grant), ("error", error)],
        )
    };
    assert_eq!(issued("client_credentials"), 5.0, "{}", m.text);
    assert_eq!(refused("client_credentials", "invalid_scope"), 2.0);
    assert_eq!(refused("client_credentials", "invalid_client"), 3.0);
    assert_eq!(refused("unsupported", "unsupported_grant_type"), 1.0);

    // Requests by route template, method and status.
    let requests = |status| {
        m.value(
            "warden_http_request_duration_seconds_count",
            &[TOKEN_ROUTE, ("method", "POST"), ("status", status)],
        )
    };
    assert_eq!(requests("200"), 5.0, "{}", m.text);
    assert_eq!(requests("400"), 3.0);
    assert_eq!(requests("401"), 3.0);
    let all_buckets = m.value(
        "warden_http_request_duration_seconds_bucket",
        &[TOKEN_ROUTE, ("status", "200"), ("le", "+Inf")],
    );
    assert_eq!(all_buckets, 5.0, "every request falls in the +Inf bucket");
    assert!(m.value("warden_http_request_duration_seconds_sum", &[TOKEN_ROUTE]) > 0.0);

    // The policy decided the 7 requests that authenticated; none failed.
    let calls = m.value(
        "warden_plugin_call_duration_seconds_count",
        &[("hook", "grant-policy"), ("outcome", "ok")],
    );
    assert_eq!(calls, 7.0, "{}", m.text);
    assert_eq!(m.value("warden_plugin_failures_total", &[]), 0.0);
    assert!(m.has("warden_plugin_failures_total"), "failures start at 0");

    // One delivery waits, retried while the receiver is down.
    assert!(m.value("warden_deliveries_total", &[("outcome", "failed")]) >= 1.0);
    assert_eq!(
        m.value("warden_deliveries_total", &[("outcome", "delivered")]),
        0.0
    );
    assert_eq!(m.value("warden_delivery_outbox_pending", &[]), 1.0);
    assert!(m.value("warden_delivery_outbox_oldest_pending_age_seconds", &[]) >= 1.0);

    // Database pools: the main pool's size and its waits.
    let max = match db.backend {
        Backend::Sqlite => 8.0,
        Backend::Postgres => 16.0,
    };
    assert_eq!(
        m.value("warden_db_connections_max", &[("pool", "main")]),
        max
    );
    let open = m.value("warden_db_connections", &[("pool", "main")]);
    assert!(open >= 1.0 && open <= max, "{open}");
    assert!(
        m.value(
            "warden_db_acquire_duration_seconds_count",
            &[("pool", "main")]
        ) >= 1.0
    );

    // The directory cache polls every second and loaded the tenant once.
    assert!(m.value("warden_directory_refresh_age_seconds", &[]) < 5.0);
    assert!(m.value("warden_directory_refresh_duration_seconds_count", &[]) >= 1.0);
    assert!(m.value("warden_directory_tenant_loads_total", &[]) >= 1.0);
    assert_eq!(m.value("warden_directory_refresh_failures_total", &[]), 0.0);

    // No series is per tenant or per client.
    for name in ["acme", id.as_str(), app_id.as_str()] {
        assert!(!m.text.contains(name), "{name} in a label:\n{}", m.text);
    }

    // The dashboard's queries name only metrics this server exports.
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops/grafana/warden.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut exprs = vec![];
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            exprs.push(target["expr"].as_str().unwrap().to_string());
        }
    }
    assert!(exprs.len() >= 15, "{exprs:?}");
    for expr in &exprs {
        for (at, _) in expr.match_indices("warden_") {
            let name: String = expr[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let family = ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(&name);
            assert!(m.has(family), "the dashboard plots {name}, not exported");
        }
    }

    // The receiver comes back: the outbox drains.
    receiver.up().await;
    receiver.wait_for(1, Duration::from_secs(15)).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            let m = Scrape::of(&server).await;
            m.value("warden_delivery_outbox_pending", &[]) == 0.0
                && m.value("warden_deliveries_total", &[("outcome", "delivered")]) == 1.0
                && m.value("warden_delivery_outbox_oldest_pending_age_seconds", &[]) == 0.0
        })
        .await,
        "{}",
        Scrape::of(&server).await.text
    );
}

/// `metrics = false`: nothing recorded, `/metrics` not found; a value that
/// is not a boolean stops `serve` with a readable message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_turned_off() {
    let db = Db::new(Backend::Sqlite).await.unwrap();
    let server = Server::start_with(&db, &[("WARDEN_METRICS", "false")], &[]).await;
    let r = http()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    server.stop().await;

    let mut env = db.env();
    env.push(("WARDEN_METRICS".into(), "maybe".into()));
    let out = cli_with(db.dir.path(), &env, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WARDEN_METRICS"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
