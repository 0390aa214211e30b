//! Apps through the real binary's CLI (`warden app|installation …`): apps
//! registered and published from manifest files with the same JSON as the
//! admin API and readable one-line failures, and upgrades approved or
//! declined, which running servers see in their tokens. Resources and the
//! installation lifecycle are in apps_cli_installations.rs.

mod common;
use common::apps_cli::*;
use common::*;
use serde_json::{Value, json};

on_both_backends!(
    registry_from_manifest_files,
    upgrades_are_approved_or_declined,
);

async fn registry_from_manifest_files(db: Db) {
    db.create_tenant("acme", &[]);
    // Register: the admin API's JSON, with the webhook secret shown once.
    let app = register(&db);
    assert_eq!(app["slug"], "docs-sync");
    assert_eq!(app["version"], 1);
    assert_eq!(app["manifest"]["name"], "Docs Sync");
    assert_eq!(app["manifest"]["permissions"].as_array().unwrap().len(), 3);
    assert!(
        app["webhook_secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_"),
        "{app}"
    );
    // The human form says the secret is shown only now; so does stdin input.
    let mut other = manifest();
    other["slug"] = json!("other-app");
    let out = cli_stdin(&db, &["app", "register", "-"], &other.to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.contains("registered app other-app") && text.contains("whsec_"),
        "{text}"
    );
    assert!(text.contains("shown only now"), "{text}");
    assert!(
        !text.contains("warning:"),
        "a listed app needs no warning: {text}"
    );
    let mut unlisted = manifest();
    unlisted["slug"] = json!("unlisted-app");
    unlisted["listed"] = json!(false);
    let out = cli_stdin(&db, &["app", "register", "-"], &unlisted.to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.contains("warning: unlisted-app is not listed") && text.contains("\"listed\": true"),
        "{text}"
    );

    // Bad manifests name the field, on one line, and register nothing.
    let cases: Vec<(&str, Value)> = vec![
        (
            "permissions[0].level",
            json!({"permissions": [{"name": "a:b", "level": "galaxy", "description": "x"}]}),
        ),
        (
            "hook_url",
            json!({"hook_url": "http://hooks.acme.example/warden"}),
        ),
        ("slug", json!({"slug": "Bad Slug!"})),
        ("colour", json!({"colour": "blue"})),
        ("permissions", json!({"permissions": []})),
    ];
    for (field, edit) in cases {
        let mut m = manifest();
        m["slug"] = json!("bad-app");
        for (k, v) in edit.as_object().unwrap() {
            m[k] = v.clone();
        }
        let path = file(&db, "bad.json", &m);
        let args = ["app", "register", path.as_str()];
        let out = db.cli(&args);
        fails_with(
            out,
            &args,
            &format!("invalid manifest in {path}: {field}: "),
        );
    }
    let path = db.dir.path().join("nope.json").display().to_string();
    fails(&db, &["app", "register", &path], "cannot read");
    fails(
        &db,
        &["app", "register", &file(&db, "x.json", &manifest())],
        "app already exists",
    );
    let apps = db.cli_json(&["app", "list"]);
    let slugs: Vec<&str> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs.len(), 3, "{apps}");
    assert!(
        slugs.contains(&"docs-sync")
            && slugs.contains(&"other-app")
            && slugs.contains(&"unlisted-app")
    );
    let listing = ok(&db, &["app", "list"]);
    assert!(
        listing.contains("docs-sync")
            && listing.contains("Docs Sync")
            && !listing.contains("whsec_"),
        "{listing}"
    );

    // Publish: a changed manifest is version 2; the same one again publishes nothing.
    let mut v2 = manifest();
    v2["description"] = json!("Now with budgets.");
    let v2_path = file(&db, "v2.json", &v2);
    let v = db.cli_json(&["app", "publish", "docs-sync", &v2_path]);
    assert_eq!(
        (v["slug"].clone(), v["version"].clone()),
        (json!("docs-sync"), json!(2))
    );
    assert!(v.get("webhook_secret").is_none());
    let text = ok(&db, &["app", "publish", "docs-sync", &v2_path]);
    assert!(text.contains("unchanged"), "{text}");
    let shown = db.cli_json(&["app", "show", "docs-sync"]);
    assert_eq!(shown["version"], 2);
    assert_eq!(shown["manifest"]["description"], "Now with budgets.");
    assert_eq!(
        shown["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].clone())
            .collect::<Vec<_>>(),
        [json!(1), json!(2)]
    );
    let text = ok(&db, &["app", "show", "docs-sync"]);
    assert!(
        text.contains("version 2 of 2")
            && text.contains("documents:write")
            && text.contains("optional"),
        "{text}"
    );
    fails(&db, &["app", "show", "nope"], "app not found");
    let mut renamed = manifest();
    renamed["slug"] = json!("docs-sync-2");
    fails(
        &db,
        &[
            "app",
            "publish",
            "docs-sync",
            &file(&db, "r.json", &renamed),
        ],
        ": slug: must stay",
    );
    let mut nope = manifest();
    nope["slug"] = json!("nope");
    fails(
        &db,
        &["app", "publish", "nope", &file(&db, "n.json", &nope)],
        "app not found",
    );

    // Rotating the webhook secret shows the new one once.
    let r = db.cli_json(&[
        "app",
        "rotate-webhook-secret",
        "docs-sync",
        "--overlap",
        "60",
    ]);
    let secret = r["webhook_secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret != app["webhook_secret"],
        "{r}"
    );
    assert!(
        r["previous_secret_signs_until"].as_i64().unwrap() > 0,
        "{r}"
    );
    let text = ok(&db, &["app", "rotate-webhook-secret", "docs-sync"]);
    assert!(text.contains("whsec_") && text.contains("86400"), "{text}");
    fails(
        &db,
        &[
            "app",
            "rotate-webhook-secret",
            "docs-sync",
            "--overlap",
            "-1",
        ],
        "overlap must be",
    );
    fails(
        &db,
        &["app", "rotate-webhook-secret", "nope"],
        "app not found",
    );
}

async fn upgrades_are_approved_or_declined(db: Db) {
    db.create_tenant("acme", &[]);
    register(&db);
    put_projects(&db);
    let server = Server::start(&db).await;
    let inst = db.cli_json(&[
        "installation",
        "create",
        "--tenant",
        "acme",
        "--app",
        "docs-sync",
        "--resources",
        r#"{"project": ["p1", "p2"]}"#,
    ]);
    let id = inst["id"].as_str().unwrap().to_string();
    let client_id = inst["client_id"].as_str().unwrap().to_string();
    let secret = inst["client_secret"].as_str().unwrap().to_string();
    fails(
        &db,
        &["installation", "approve-upgrade", "--tenant", "acme", &id],
        "no upgrade is waiting",
    );
    fails(
        &db,
        &["installation", "decline-upgrade", "--tenant", "acme", &id],
        "no upgrade is waiting",
    );

    // Version 2 asks for more: the installation waits for its admin.
    let mut v2 = manifest();
    v2["permissions"].as_array_mut().unwrap().push(json!(
        {"name": "rfis:write", "level": "resource", "resource_type": "project", "description": "Answer RFIs"}));
    let text = ok(
        &db,
        &["app", "publish", "docs-sync", &file(&db, "v2.json", &v2)],
    );
    assert!(
        text.contains("version 2") && text.contains("1 wait"),
        "{text}"
    );
    let list = db.cli_json(&["installation", "list", "--tenant", "acme"]);
    assert_eq!(list[0]["status"], "upgrade_pending", "{list}");
    assert_eq!(
        (
            list[0]["version"].clone(),
            list[0]["pending_version"].clone()
        ),
        (json!(1), json!(2))
    );
    let text = ok(&db, &["installation", "list", "--tenant", "acme"]);
    assert!(text.contains("upgrade_pending"), "{text}");
    let claims = claims_until(&server, &client_id, &secret, "v1 still", |_| true).await;
    assert_eq!(claims["scope"], "directory:read documents:write");
    fails(
        &db,
        &[
            "installation",
            "approve-upgrade",
            "--tenant",
            "acme",
            &id,
            "--optional-permission",
            "nuke:all",
        ],
        "does not ask for permission \"nuke:all\"",
    );

    // Approved (with the optional budget:read): active at version 2, and the
    // server's next tokens carry it.
    let i = db.cli_json(&[
        "installation",
        "approve-upgrade",
        "--tenant",
        "acme",
        &id,
        "--optional-permission",
        "budget:read",
    ]);
    assert_eq!(
        (
            i["status"].clone(),
            i["version"].clone(),
            i["pending_version"].clone()
        ),
        (json!("active"), json!(2), Value::Null),
        "{i}"
    );
    assert_eq!(
        i["permissions"],
        json!([
            "directory:read",
            "documents:write",
            "budget:read",
            "rfis:write"
        ])
    );
    let claims = claims_until(&server, &client_id, &secret, "version 2", |c| {
        c["installation"]["version"] == 2
    })
    .await;
    assert_eq!(
        claims["scope"],
        "budget:read directory:read documents:write rfis:write"
    );
    assert_eq!(
        claims["authorization_details"],
        json!([{"type": "project", "actions": ["documents:write", "budget:read", "rfis:write"], "identifiers": ["p1", "p2"]}])
    );

    // Version 3 asks for more again; declined, nothing changes.
    let mut v3 = v2.clone();
    v3["permissions"].as_array_mut().unwrap().push(json!(
        {"name": "budget:write", "level": "resource", "resource_type": "project", "description": "Change budgets"}));
    let v = db.cli_json(&["app", "publish", "docs-sync", &file(&db, "v3.json", &v3)]);
    assert_eq!(v["version"], 3);
    let shown = db.cli_json(&["installation", "show", "--tenant", "acme", &id]);
    assert_eq!(
        (shown["status"].clone(), shown["pending_version"].clone()),
        (json!("upgrade_pending"), json!(3))
    );
    let text = ok(
        &db,
        &["installation", "decline-upgrade", "--tenant", "acme", &id],
    );
    assert!(
        text.contains("declined") && text.contains("version 2"),
        "{text}"
    );
    let shown = db.cli_json(&["installation", "show", "--tenant", "acme", &id]);
    assert_eq!(
        (
            shown["status"].clone(),
            shown["version"].clone(),
            shown["pending_version"].clone()
        ),
        (json!("active"), json!(2), Value::Null)
    );
    let claims = claims_until(&server, &client_id, &secret, "still version 2", |_| true).await;
    assert_eq!(
        claims["scope"],
        "budget:read directory:read documents:write rfis:write"
    );

    // Each step is in the audit trail, by the CLI.
    assert_eq!(
        actor_of_last(&db, "installation.upgrade_requested"),
        "platform"
    );
    assert_eq!(actor_of_last(&db, "installation.upgrade_approved"), "cli");
    assert_eq!(actor_of_last(&db, "installation.upgrade_declined"), "cli");
}
