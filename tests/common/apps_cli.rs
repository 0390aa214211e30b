//! What the CLI's app tests share: manifest files, CLI runs that must
//! succeed or fail on one readable line, installation tokens and their
//! claims, the app registered, the tenant's projects, the audit trail.

use super::*;
use serde_json::{Value, json};
use std::process::Output;
use std::time::Duration;

/// The manifest shape of tests/apps.rs (tests/common/apps.rs): a tenant
/// permission, a project permission and an optional one.
pub use super::apps::manifest;

/// Writes `value` as a JSON file in the test's directory.
pub fn file(db: &Db, name: &str, value: &Value) -> String {
    let path = db.dir.path().join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path.display().to_string()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must succeed; returns what it printed.
pub fn ok(db: &Db, args: &[&str]) -> String {
    let out = db.cli(args);
    assert!(
        out.status.success(),
        "warden {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// Asserts a failure: non-zero exit and one readable line on stderr holding `expected`.
pub fn fails_with(out: Output, args: &[&str], expected: &str) {
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

pub fn fails(db: &Db, args: &[&str], expected: &str) {
    fails_with(db.cli(args), args, expected);
}

pub async fn installation_token(server: &Server, client_id: &str, secret: &str) -> Reply {
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((client_id, secret)),
        &[("grant_type", "client_credentials")],
    )
    .await
}

/// The claims of the first token whose claims satisfy `check`.
pub async fn claims_until(
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

pub fn register(db: &Db) -> Value {
    let path = file(db, "docs-sync.json", &manifest());
    db.cli_json(&["app", "register", &path])
}

pub fn put_projects(db: &Db) {
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
pub fn audit(db: &Db) -> Vec<(String, Value)> {
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

pub fn actor_of_last(db: &Db, action: &str) -> Value {
    audit(db)
        .into_iter()
        .find(|(a, _)| a == action)
        .unwrap_or_else(|| panic!("{action} missing"))
        .1["actor"]
        .clone()
}
