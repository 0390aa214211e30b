//! What installations use: token counts per installation across restarts
//! and replicas, and hourly quotas that hold across replicas.

mod common;
use common::apps::*;
use common::*;
use serde_json::{Value, json};

on_both_backends!(
    usage_is_counted_per_installation_across_restarts_and_replicas,
    an_hourly_quota_refuses_further_tokens_across_replicas,
);

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
