//! The legacy sunset through the real binary: tenant-created clients marked
//! legacy are warned (`Deprecation`, `Sunset`, an audit record), browned out
//! and retired on the platform's dates, tenants can be exempted, and the
//! report says who still uses them — on SQLite and PostgreSQL.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(the_sunset_warns_browns_out_and_retires_legacy_clients);

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn legacy_token(server: &Server, tenant: &str, id: &str, secret: &str) -> Reply {
    post_form(
        &format!("{}/token", server.issuer(tenant)),
        Some((id, secret)),
        &[("grant_type", "client_credentials")],
    )
    .await
}

fn field_error(r: &Reply, field: &str) {
    assert_eq!(r.status, 422, "{field}: {}", r.text);
    assert_eq!(r.body["field"], field, "{}", r.text);
}

async fn the_sunset_warns_browns_out_and_retires_legacy_clients(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    let server = Server::start_with(
        &db,
        &[
            ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
            ("WARDEN_USAGE_FLUSH_MS", "200"),
        ],
        &[],
    )
    .await;
    let api = AdminApi::of(&server);
    let r = api
        .post(
            "/apps",
            json!({"slug": "docs-sync", "name": "Docs Sync", "publisher": {"name": "Acme Integrations"},
                   "hook_url": "http://127.0.0.1:9/hook",
                   "permissions": [{"name": "directory:read", "level": "tenant", "description": "Read"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (acme_id, acme_secret) = db.create_client("acme", "read", &[]);
    let (globex_id, globex_secret) = db.create_client("globex", "read", &[]);
    let (modern_id, modern_secret) = db.create_client("acme", "read", &[]);
    let now = unix_now();

    // Bad input names the field.
    let policy = |sunset: Value, extra: Value| {
        let mut p = json!({"sunset_at": sunset, "message": "Move to the Docs Sync app.",
                           "migration_url": "https://docs.example/migrate"});
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    };
    field_error(
        &api.put("/legacy/policy", policy(json!(now - 10), json!({})))
            .await,
        "sunset_at",
    );
    field_error(
        &api.put("/legacy/policy", policy(json!("tomorrow"), json!({})))
            .await,
        "sunset_at",
    );
    field_error(
        &api.put(
            "/legacy/policy",
            policy(json!(now + 100), json!({"warn_from": now + 200})),
        )
        .await,
        "warn_from",
    );
    field_error(
        &api.put(
            "/legacy/policy",
            policy(
                json!(now + 100),
                json!({"brownouts": [{"from": now, "until": now + 200}]}),
            ),
        )
        .await,
        "brownouts[0].until",
    );
    // Naming what does not exist is 404, as it is in the path.
    let r = api
        .post(
            "/legacy/exemptions",
            json!({"tenant": "nobody", "until": now + 100}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["detail"].as_str()),
        (404, Some("tenant not found"))
    );
    let r = api
        .put(
            &format!("/clients/{acme_id}/legacy"),
            json!({"replaced_by": "nope"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["detail"].as_str()),
        (404, Some("app not found"))
    );
    assert_eq!(
        api.put("/clients/cl_nope/legacy", json!({})).await.status,
        404
    );

    for id in [&acme_id, &globex_id] {
        let r = api
            .put(
                &format!("/clients/{id}/legacy"),
                json!({"replaced_by": "docs-sync"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    // Before any policy: counted, nothing else.
    let r = legacy_token(&server, "acme", &acme_id, &acme_secret).await;
    assert_eq!(r.status, 200);
    assert!(r.header("sunset").is_none());

    // The warning phase: headers on every token, one audit record a day.
    let warn_from = now - 60;
    let r = api
        .put(
            "/legacy/policy",
            policy(json!(now + 3600), json!({"warn_from": warn_from})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for _ in 0..3 {
        let r = legacy_token(&server, "acme", &acme_id, &acme_secret).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.header("deprecation"),
            Some(format!("@{warn_from}").as_str())
        );
        assert!(
            r.header("sunset").unwrap().ends_with(" GMT"),
            "{:?}",
            r.header("sunset")
        );
        assert_eq!(
            r.header("link"),
            Some("<https://docs.example/migrate>; rel=\"sunset\"")
        );
    }
    let modern = legacy_token(&server, "acme", &modern_id, &modern_secret).await;
    assert_eq!(modern.status, 200);
    assert!(
        modern.header("sunset").is_none(),
        "only legacy clients are warned"
    );
    let audit = api.get("/tenants/acme/audit").await;
    let warnings = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "legacy.warning")
        .count();
    assert_eq!(warnings, 1, "one warning record a day: {}", audit.text);

    // A brownout refuses them, naming the way out.
    let r = api
        .put(
            "/legacy/policy",
            policy(
                json!(now + 3600),
                json!({"warn_from": warn_from, "brownouts": [{"from": now - 10, "until": now + 600}]}),
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = legacy_token(&server, "globex", &globex_id, &globex_secret).await;
    r.assert_error(401, "invalid_client");
    let d = r.body["error_description"].as_str().unwrap();
    assert!(
        d.contains("brownout")
            && d.contains("Docs Sync app")
            && d.contains("docs-sync")
            && d.contains("https://docs.example/migrate"),
        "{d}"
    );
    assert_eq!(
        legacy_token(&server, "acme", &modern_id, &modern_secret)
            .await
            .status,
        200
    );

    // An exempt tenant keeps going; the others do not.
    let r = api
        .post(
            "/legacy/exemptions",
            json!({"tenant": "acme", "until": now + 7200, "reason": "contract"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        legacy_token(&server, "acme", &acme_id, &acme_secret)
            .await
            .status,
        200
    );
    assert_eq!(
        legacy_token(&server, "globex", &globex_id, &globex_secret)
            .await
            .status,
        401
    );

    // The sunset: refused for good.
    let sunset = unix_now() + 2;
    let r = api
        .put("/legacy/policy", policy(json!(sunset), json!({})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    tokio::time::sleep(Duration::from_secs((sunset - unix_now() + 1).max(0) as u64)).await;
    let r = legacy_token(&server, "globex", &globex_id, &globex_secret).await;
    r.assert_error(401, "invalid_client");
    assert!(r.text.contains("retired"), "{}", r.text);
    assert_eq!(
        legacy_token(&server, "acme", &acme_id, &acme_secret)
            .await
            .status,
        200,
        "exempt"
    );
    assert_eq!(api.delete("/legacy/exemptions/acme").await.status, 204);
    legacy_token(&server, "acme", &acme_id, &acme_secret)
        .await
        .assert_error(401, "invalid_client");

    // The report: who still uses legacy credentials, and what replaces them.
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "resources": "all"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let report = api.get("/legacy/report").await;
    assert_eq!(report.status, 200, "{}", report.text);
    let tenants = report.body["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 2, "{}", report.text);
    let acme = tenants.iter().find(|t| t["tenant"] == "acme").unwrap();
    let client = &acme["clients"][0];
    assert_eq!(client["client_id"], json!(acme_id));
    assert_eq!(client["replaced_by"], "docs-sync");
    assert_eq!(client["replacement_installed"], true);
    assert_eq!(
        client["uses_30d"], 7,
        "every use counted, refusals too: {}",
        report.text
    );
    assert!(client["last_used_at"].as_i64().unwrap() >= now);
    assert_eq!(acme["still_used"], true);
    let globex = tenants.iter().find(|t| t["tenant"] == "globex").unwrap();
    assert_eq!(globex["clients"][0]["replacement_installed"], false);
    assert_eq!(globex["clients"][0]["uses_30d"], 3);

    // The CLI reads what the server flushed.
    assert!(
        eventually(Duration::from_secs(5), || async {
            let out = db.cli(&["legacy", "report"]);
            String::from_utf8_lossy(&out.stdout).contains("7 uses in 30 days")
        })
        .await,
        "{}",
        String::from_utf8_lossy(&db.cli(&["legacy", "report"]).stdout)
    );

    // The CLI sets the policy through the same service: the API reads it back.
    let out = db.cli(&[
        "legacy",
        "policy",
        "--sunset-at",
        "2031-06-01T00:00:00Z",
        "--warn-from",
        "2031-03-01T00:00:00Z",
        "--message",
        "Install the Docs Sync app",
        "--brownout",
        "2031-05-01T09:00:00Z/2031-05-01T10:00:00Z",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("stop working at 2031-06-01T00:00:00Z"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let policy = api.get("/legacy/policy").await.body["policy"].clone();
    assert_eq!(policy["sunset_at"], 1_938_038_400, "{policy}");
    assert_eq!(policy["message"], "Install the Docs Sync app");
    assert_eq!(
        policy["brownouts"],
        json!([{"from": 1_935_392_400, "until": 1_935_396_000}])
    );
    let out = db.cli(&[
        "legacy",
        "policy",
        "--sunset-at",
        "2031-06-01T00:00:00Z",
        "--message",
        "x",
        "--brownout",
        "soon",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("write FROM/UNTIL"));
}
