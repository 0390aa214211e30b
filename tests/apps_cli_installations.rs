//! Tenants' resources and installations through the real binary's CLI
//! (`warden resource|installation …`): the same JSON as the admin API,
//! readable one-line failures, and changes that running servers see (tokens
//! with the installation's scope and `authorization_details`): selections,
//! suspension, secret rotation, uninstall.

mod common;
use common::apps_cli::*;
use common::*;
use serde_json::json;
use std::time::Duration;

on_both_backends!(resources_and_installation_lifecycle);

/// Polls the token endpoint until `check` holds for the reply (the server
/// sees CLI changes within cache_refresh_ms); returns that reply.
async fn token_until(
    server: &Server,
    client_id: &str,
    secret: &str,
    what: &str,
    check: impl Fn(&Reply) -> bool,
) -> Reply {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = installation_token(server, client_id, secret).await;
        if check(&r) {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: last answer {} {}",
            r.status,
            r.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn resources_and_installation_lifecycle(db: Db) {
    db.create_tenant("acme", &[]);
    register(&db);
    put_projects(&db);
    let listed = db.cli_json(&["resource", "list", "--tenant", "acme"]);
    assert_eq!(
        listed[0],
        json!({"type": "project", "id": "p1", "name": "Harbour Tower"})
    );
    let text = ok(&db, &["resource", "list", "--tenant", "acme"]);
    assert!(text.contains("project\tp2\tNorth Bridge"), "{text}");
    // Renaming is an upsert.
    let path = file(
        &db,
        "rename.json",
        &json!([{"type": "project", "id": "p2", "name": "South Bridge"}]),
    );
    let all = db.cli_json(&["resource", "put", "--tenant", "acme", &path]);
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[1]["name"], "South Bridge");
    // Bad input says where.
    let bad = file(
        &db,
        "bad.json",
        &json!([{"type": "Project!", "id": "x", "name": "x"}]),
    );
    fails(
        &db,
        &["resource", "put", "--tenant", "acme", &bad],
        "[0].type: use 1-64",
    );
    let bad = file(
        &db,
        "bad2.json",
        &json!([{"type": "project", "id": "x", "name": "x", "colour": 1}]),
    );
    fails(
        &db,
        &["resource", "put", "--tenant", "acme", &bad],
        "[0].colour: unknown field `colour`",
    );
    let bad = file(&db, "bad3.json", &json!({"type": "project"}));
    fails(
        &db,
        &["resource", "put", "--tenant", "acme", &bad],
        "expected a JSON array",
    );
    let good = file(&db, "good.json", &json!([]));
    fails(
        &db,
        &["resource", "put", "--tenant", "nope", &good],
        "tenant not found",
    );
    fails(
        &db,
        &["resource", "list", "--tenant", "nope"],
        "tenant not found",
    );

    let server = Server::start(&db).await;
    // Install with a selection: the admin API's JSON, with the secret once.
    let inst = db.cli_json(&[
        "installation",
        "create",
        "--tenant",
        "acme",
        "--app",
        "docs-sync",
        "--resources",
        r#"{"project": ["p2", "p1"]}"#,
        "--installed-by",
        "ada@acme.example",
    ]);
    let id = inst["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("in_"), "{inst}");
    assert_eq!(inst["status"], "active");
    assert_eq!(inst["version"], 1);
    assert_eq!(inst["tenant"], "acme");
    assert_eq!(inst["installed_by"], "ada@acme.example");
    assert_eq!(inst["resources"], json!({"project": ["p1", "p2"]}));
    assert_eq!(
        inst["permissions"],
        json!(["directory:read", "documents:write"])
    );
    let account = inst["service_account"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(account.starts_with("docs-sync-"), "{inst}");
    assert!(
        inst["service_account"]["id"]
            .as_str()
            .unwrap()
            .starts_with("usr_")
    );
    let client_id = inst["client_id"].as_str().unwrap().to_string();
    let secret = inst["client_secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("wsec_"), "{inst}");
    // Its token: the approved scope and the selected projects.
    let r = installation_token(&server, &client_id, &secret).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["expires_in"], 36000);
    let claims = verify_with_jwks(&server, "acme", r.body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], inst["service_account"]["id"]);
    assert_eq!(claims["scope"], "directory:read documents:write");
    assert_eq!(
        claims["installation"],
        json!({"id": id, "app": "docs-sync", "version": 1})
    );
    assert_eq!(
        claims["authorization_details"],
        json!([{"type": "project", "actions": ["documents:write"], "identifiers": ["p1", "p2"]}])
    );
    // A second install is a conflict; bad requests say why.
    let again = [
        "installation",
        "create",
        "--tenant",
        "acme",
        "--app",
        "docs-sync",
    ];
    fails(&db, &again, "already exists");
    let create = |extra: &[&str]| {
        let mut args = vec![
            "installation",
            "create",
            "--tenant",
            "acme",
            "--app",
            "docs-sync",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    for (extra, expected) in [
        (
            &["--resources", "{oops"][..],
            "--resources is not valid JSON",
        ),
        (&["--installed-by", ""][..], "--installed-by"),
    ] {
        let args = create(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails(&db, &args, expected);
    }
    fails(
        &db,
        &[
            "installation",
            "create",
            "--tenant",
            "acme",
            "--app",
            "nope",
        ],
        "app not found",
    );

    // List and show: the same JSON; the text has the id and the status.
    let list = db.cli_json(&["installation", "list", "--tenant", "acme"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert!(list[0].get("client_secret").is_none());
    let text = ok(&db, &["installation", "list", "--tenant", "acme"]);
    assert!(
        text.contains(&id) && text.contains("active") && !text.contains(&secret),
        "{text}"
    );
    let shown = db.cli_json(&["installation", "show", "--tenant", "acme", &id]);
    let mut expected = inst.clone();
    expected.as_object_mut().unwrap().remove("client_secret");
    assert_eq!(shown, expected);
    let text = ok(&db, &["installation", "show", "--tenant", "acme", &id]);
    assert!(
        text.contains(&account) && text.contains("documents:write"),
        "{text}"
    );
    fails(
        &db,
        &["installation", "show", "--tenant", "acme", "in_nope"],
        "installation not found",
    );
    fails(
        &db,
        &["installation", "list", "--tenant", "nope"],
        "tenant not found",
    );

    // The service account is managed by its installation.
    fails(
        &db,
        &["user", "delete", "--tenant", "acme", "--username", &account],
        "service account",
    );

    // A new selection: the server's next tokens say so.
    let i = db.cli_json(&[
        "installation",
        "set-resources",
        "--tenant",
        "acme",
        &id,
        r#"{"project": ["p3"]}"#,
    ]);
    assert_eq!(
        (i["revision"].clone(), i["resources"].clone()),
        (json!(2), json!({"project": ["p3"]}))
    );
    claims_until(&server, &client_id, &secret, "the new selection", |c| {
        c["authorization_details"][0]["identifiers"] == json!(["p3"])
    })
    .await;
    for (bad, expected) in [
        (r#"{"project": ["p404"]}"#, "the tenant has no project"),
        (r#"{"site": ["p1"]}"#, "declares no resource type"),
        ("7", "resources must be"),
    ] {
        fails(
            &db,
            &[
                "installation",
                "set-resources",
                "--tenant",
                "acme",
                &id,
                bad,
            ],
            expected,
        );
    }
    let text = ok(
        &db,
        &[
            "installation",
            "set-resources",
            "--tenant",
            "acme",
            &id,
            "all",
        ],
    );
    assert!(
        text.contains("\"all\"") && text.contains("revision 3"),
        "{text}"
    );
    claims_until(&server, &client_id, &secret, "all projects", |c| {
        c["authorization_details"][0]["identifiers"] == json!(["*"])
    })
    .await;
    ok(
        &db,
        &[
            "installation",
            "set-resources",
            "--tenant",
            "acme",
            &id,
            r#"{"project": ["p1", "p3"]}"#,
        ],
    );

    // Removing a resource removes it from the selection.
    ok(
        &db,
        &["resource", "delete", "--tenant", "acme", "project", "p3"],
    );
    let shown = db.cli_json(&["installation", "show", "--tenant", "acme", &id]);
    assert_eq!(shown["resources"], json!({"project": ["p1"]}));
    let listed = db.cli_json(&["resource", "list", "--tenant", "acme"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    fails(
        &db,
        &["resource", "delete", "--tenant", "acme", "project", "p3"],
        "not found",
    );
    claims_until(&server, &client_id, &secret, "p3 removed", |c| {
        c["authorization_details"][0]["identifiers"] == json!(["p1"])
    })
    .await;

    // Suspended by the tenant: no tokens, until the tenant resumes it.
    let i = db.cli_json(&["installation", "suspend", "--tenant", "acme", &id]);
    assert_eq!(
        (i["status"].clone(), i["suspended_by"].clone()),
        (json!("suspended"), json!("tenant"))
    );
    let r = token_until(&server, &client_id, &secret, "suspended", |r| {
        r.status == 401
    })
    .await;
    r.assert_error(401, "invalid_client");
    assert!(r.text.contains("suspended"), "{}", r.text);
    fails(
        &db,
        &["installation", "suspend", "--tenant", "acme", &id],
        "already suspended",
    );
    fails(
        &db,
        &[
            "installation",
            "resume",
            "--tenant",
            "acme",
            &id,
            "--by",
            "platform",
        ],
        "only the tenant can resume it",
    );
    let text = ok(&db, &["installation", "resume", "--tenant", "acme", &id]);
    assert!(
        text.contains("resumed") && text.contains("active"),
        "{text}"
    );
    token_until(&server, &client_id, &secret, "resumed", |r| r.status == 200).await;
    // Suspended by the platform: only the platform lifts it.
    let text = ok(
        &db,
        &[
            "installation",
            "suspend",
            "--tenant",
            "acme",
            &id,
            "--by",
            "platform",
        ],
    );
    assert!(text.contains("platform"), "{text}");
    fails(
        &db,
        &["installation", "resume", "--tenant", "acme", &id],
        "only the platform can resume it",
    );
    let i = db.cli_json(&[
        "installation",
        "resume",
        "--tenant",
        "acme",
        &id,
        "--by",
        "platform",
    ]);
    assert_eq!(i["status"], "active");
    let out = db.cli(&[
        "installation",
        "suspend",
        "--tenant",
        "acme",
        &id,
        "--by",
        "nobody",
    ]);
    assert!(!out.status.success());
    token_until(
        &server,
        &client_id,
        &secret,
        "resumed by the platform",
        |r| r.status == 200,
    )
    .await;

    // Rotating the secret: the new one works; with no overlap the old one stops.
    let r = db.cli_json(&[
        "installation",
        "rotate-secret",
        "--tenant",
        "acme",
        &id,
        "--overlap",
        "0",
    ]);
    assert_eq!(r["client_id"], client_id.as_str());
    let rotated = r["client_secret"].as_str().unwrap().to_string();
    assert!(rotated.starts_with("wsec_") && rotated != secret, "{r}");
    assert!(r["previous_secret_expires_at"].as_i64().is_some(), "{r}");
    token_until(&server, &client_id, &rotated, "the new secret", |r| {
        r.status == 200
    })
    .await;
    token_until(&server, &client_id, &secret, "the old secret", |r| {
        r.status == 401
    })
    .await;
    let text = ok(
        &db,
        &["installation", "rotate-secret", "--tenant", "acme", &id],
    );
    assert!(
        text.contains("wsec_") && text.contains("shown only now"),
        "{text}"
    );
    let newest = text
        .split_whitespace()
        .find(|w| w.starts_with("wsec_"))
        .unwrap()
        .to_string();
    fails(
        &db,
        &[
            "installation",
            "rotate-secret",
            "--tenant",
            "acme",
            &id,
            "--overlap",
            "-5",
        ],
        "overlap must be between 0 and 2592000 seconds",
    );

    // The audit trail names the CLI (and who installed it).
    let records = audit(&db);
    let actor = |action: &str| {
        records
            .iter()
            .find(|(a, _)| a == action)
            .unwrap_or_else(|| panic!("{action} missing"))
            .1["actor"]
            .clone()
    };
    assert_eq!(actor("installation.created"), "ada@acme.example");
    assert_eq!(actor("installation.suspended"), "cli");
    assert_eq!(actor("installation.resumed"), "cli");
    assert_eq!(
        actor("installation.resources_changed"),
        "platform",
        "the last one: a resource removed"
    );

    // Uninstall: credentials stop, the service account goes, it is gone.
    let text = ok(&db, &["installation", "delete", "--tenant", "acme", &id]);
    assert!(text.contains("uninstalled docs-sync"), "{text}");
    let r = token_until(&server, &client_id, &newest, "uninstalled", |r| {
        r.status == 401
    })
    .await;
    r.assert_error(401, "invalid_client");
    fails(
        &db,
        &["installation", "show", "--tenant", "acme", &id],
        "installation not found",
    );
    fails(
        &db,
        &["installation", "delete", "--tenant", "acme", &id],
        "installation not found",
    );
    assert_eq!(
        db.cli_json(&["installation", "list", "--tenant", "acme"]),
        json!([])
    );
    assert_eq!(
        ok(&db, &["installation", "list", "--tenant", "acme"]).trim(),
        "no installations"
    );
    let users = db.cli_json(&["user", "list", "--tenant", "acme"]);
    assert!(
        !users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == account.as_str()),
        "{users}"
    );
    assert_eq!(actor_of_last(&db, "installation.deleted"), "cli");

    // Installed without --installed-by: the CLI is the actor; the human
    // form shows the secret once.
    let text = ok(
        &db,
        &[
            "installation",
            "create",
            "--tenant",
            "acme",
            "--app",
            "docs-sync",
        ],
    );
    assert!(
        text.contains("installed docs-sync")
            && text.contains("client_secret: wsec_")
            && text.contains("shown only now"),
        "{text}"
    );
    let list = db.cli_json(&["installation", "list", "--tenant", "acme"]);
    assert_eq!(list[0]["installed_by"], "cli");
    assert_eq!(list[0]["resources"], "all");
}
