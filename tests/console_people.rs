//! People in the console, the admin API and the CLI: deleting one is one
//! action whichever way it comes (the same audit record but for its actor),
//! creating and re-passwording one are recorded alike, and an admin cannot
//! delete themselves or take away their own admin role.

mod common;
use common::console::*;
use common::*;
use serde_json::{Value, json};

on_both_backends!(deleting_a_person_is_one_action_from_the_console_the_api_and_the_cli);

/// Deleting a person is one action whichever way it comes: the console, the
/// admin API and the CLI each leave the same `user.deleted` record but for
/// its actor, and creating or re-passwording one is recorded the same way.
/// Only a person in the console is kept from deleting themselves or taking
/// away their own admin role, and a refusal records nothing.
async fn deleting_a_person_is_one_action_from_the_console_the_api_and_the_cli(db: Db) {
    db.create_tenant("acme", &[]);
    create_user(
        &db,
        "acme",
        "alice",
        PASSWORD,
        &["--admin", "--name", "Alice Admin"],
    );
    create_user(&db, "acme", "dora", PASSWORD, &["--name", "Dora"]);
    create_user(&db, "acme", "erin", PASSWORD, &["--name", "Erin"]);
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let api = AdminApi::of(&server);
    let r = api
        .post(
            "/tenants/acme/users",
            json!({"username": "fay", "password": PASSWORD, "name": "Fay"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let records = |action: &str| -> Vec<Value> {
        db.cli_json(&["audit", "list", "--tenant", "acme"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == action)
            .map(|a| serde_json::from_str(a["detail"].as_str().unwrap()).unwrap())
            .collect()
    };

    let alice = sign_in(&server, "acme", "alice").await;
    let (status, page) = alice.post("/people/alice/delete", &[], None).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("You cannot delete your own account"),
        "{page}"
    );
    let (status, page) = alice
        .post("/people/alice/admin", &[("admin", "no")], None)
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("your own administrator role"), "{page}");
    assert_eq!(records("user.deleted"), Vec::<Value>::new());
    assert_eq!(records("user.admin_removed"), Vec::<Value>::new());

    let (status, page) = alice.post("/people/dora/delete", &[], None).await;
    assert_eq!(status, 303, "{page}");
    let r = api.delete("/tenants/acme/users/erin").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = api.delete("/tenants/acme/users/erin").await;
    assert_eq!(r.status, 404, "deleted once: {}", r.text);
    let out = db.cli(&["user", "delete", "--tenant", "acme", "--username", "fay"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        records("user.deleted"),
        [
            json!({"actor": "cli", "user": "fay", "name": "Fay"}),
            json!({"actor": "operator", "user": "erin", "name": "Erin"}),
            json!({"actor": "alice", "user": "dora", "name": "Dora"}),
        ],
        "one record per deletion, the same shape, newest first"
    );
    let users = api.list("/tenants/acme/users").await;
    assert_eq!(users.as_array().unwrap().len(), 1, "alice remains: {users}");

    let created: Vec<(Value, Value)> = records("user.created")
        .into_iter()
        .map(|d| (d["user"].clone(), d["actor"].clone()))
        .collect();
    assert_eq!(
        created,
        [
            (json!("fay"), json!("operator")),
            (json!("erin"), json!("cli")),
            (json!("dora"), json!("cli")),
            (json!("alice"), json!("cli")),
        ]
    );
    let out = cli_stdin(
        &db,
        &[
            "user",
            "set-password",
            "--tenant",
            "acme",
            "--username",
            "alice",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        records("user.password_set"),
        [json!({"actor": "cli", "user": "alice"})]
    );
    // Describing a scope from the CLI is recorded too, and the console's
    // activity tells both as sentences (an operator set alice's password).
    let out = db.cli(&[
        "user",
        "describe-scope",
        "--tenant",
        "acme",
        "read",
        "Read your documents",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        records("scope.described"),
        [json!({"actor": "cli", "scope": "read", "description": "Read your documents"})]
    );
    let out = db.cli(&["user", "describe-scope", "--tenant", "nope", "read", "Read"]);
    assert!(!out.status.success(), "no such tenant");
    let alice = sign_in(&server, "acme", "alice").await;
    let (status, page) = alice.get("/activity").await;
    assert_eq!(status, 200);
    assert!(page.contains("set a new password for"), "{page}");
    assert!(page.contains("described the scope read as"), "{page}");

    // Listing people of a tenant that does not exist is the same answer
    // from both: not found, rather than nobody.
    let r = api.get("/tenants/nope/users").await;
    assert_eq!(r.status, 404, "{}", r.text);
    let out = db.cli(&["user", "list", "--tenant", "nope"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("tenant not found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
