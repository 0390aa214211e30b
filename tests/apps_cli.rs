//! Apps, tenants' resources and installations through the real binary's
//! CLI (`warden app|resource|installation …`): the same JSON as the admin
//! API, readable one-line failures, and changes that running servers see
//! (tokens with the installation's scope and `authorization_details`).

mod common;
use common::*;
use serde_json::{Value, json};
use std::process::Output;
use std::time::Duration;

on_both_backends!(
    registry_from_manifest_files,
    resources_and_installation_lifecycle,
    upgrades_are_approved_or_declined,
);

/// The manifest shape of tests/apps.rs: a tenant permission, a project
/// permission and an optional one.
fn manifest() -> Value {
    json!({
        "slug": "docs-sync",
        "name": "Docs Sync",
        "description": "Keeps project documents in sync with your document system.",
        "publisher": {"name": "Acme Integrations", "url": "https://acme.example", "email": "dev@acme.example"},
        "listed": true,
        "hook_url": "http://127.0.0.1:9/hook",
        "access_token_ttl": 36000,
        "credentials": "push",
        "resource_types": [{"type": "project", "name": "Projects"}],
        "permissions": [
            {"name": "directory:read", "level": "tenant", "description": "Read the company directory"},
            {"name": "documents:write", "level": "resource", "resource_type": "project",
             "description": "Upload and change documents"},
            {"name": "budget:read", "level": "resource", "resource_type": "project",
             "description": "Read budgets", "required": false}
        ]
    })
}

/// Writes `value` as a JSON file in the test's directory.
fn file(db: &Db, name: &str, value: &Value) -> String {
    let path = db.dir.path().join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path.display().to_string()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must succeed; returns what it printed.
fn ok(db: &Db, args: &[&str]) -> String {
    let out = db.cli(args);
    assert!(
        out.status.success(),
        "warden {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// Asserts a failure: non-zero exit and one readable line on stderr holding `expected`.
fn fails_with(out: Output, args: &[&str], expected: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "{args:?} should fail: {}",
        stdout(&out)
    );
    assert!(
        err.contains(expected),
        "{args:?}: expected {expected:?} in {err}"
    );
    assert!(
        err.trim().lines().count() == 1 && err.starts_with("warden: "),
        "{args:?}: one line, please: {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

fn fails(db: &Db, args: &[&str], expected: &str) {
    fails_with(db.cli(args), args, expected);
}

async fn installation_token(server: &Server, client_id: &str, secret: &str) -> Reply {
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((client_id, secret)),
        &[("grant_type", "client_credentials")],
    )
    .await
}

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

/// The claims of the first token whose claims satisfy `check`.
async fn claims_until(
    server: &Server,
    client_id: &str,
    secret: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = installation_token(server, client_id, secret).await;
        assert_eq!(r.status, 200, "{what}: {}", r.text);
        let claims =
            verify_with_jwks(server, "acme", r.body["access_token"].as_str().unwrap()).await;
        if check(&claims) {
            return claims;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: last claims {claims}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn register(db: &Db) -> Value {
    let path = file(db, "docs-sync.json", &manifest());
    db.cli_json(&["app", "register", &path])
}

fn put_projects(db: &Db) {
    let path = file(
        db,
        "projects.json",
        &json!([
            {"type": "project", "id": "p1", "name": "Harbour Tower"},
            {"type": "project", "id": "p2", "name": "North Bridge"}
        ]),
    );
    let all = db.cli_json(&["resource", "put", "--tenant", "acme", &path]);
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    // `-` reads standard input.
    let out = cli_stdin(
        db,
        &["resource", "put", "--tenant", "acme", "-", "--json"],
        r#"[{"type": "project", "id": "p3", "name": "Old Mill"}]"#,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 3, "{all}");
}

/// The audit records of the tenant, with their details parsed.
fn audit(db: &Db) -> Vec<(String, Value)> {
    db.cli_json(&["audit", "list", "--tenant", "acme", "--limit", "500"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_string(),
                serde_json::from_str(a["detail"].as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

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

fn actor_of_last(db: &Db, action: &str) -> Value {
    audit(db)
        .into_iter()
        .find(|(a, _)| a == action)
        .unwrap_or_else(|| panic!("{action} missing"))
        .1["actor"]
        .clone()
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
