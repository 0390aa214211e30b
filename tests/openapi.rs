//! The admin API's OpenAPI contract: the checked-in copy is what the server
//! serves, every operation in it reaches a handler, and Schemathesis, driving
//! the real server from the contract alone, finds no server error, no answer
//! that breaks the contract and no bad input accepted.

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;

on_both_backends!(schemathesis_finds_nothing_wrong);

fn contract_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/admin-v1.json")
}

fn checked_in() -> Value {
    serde_json::from_str(&std::fs::read_to_string(contract_path()).unwrap()).unwrap()
}

/// `{tenant}` names the test's tenant; any other parameter names nothing.
fn fill(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{tenant}" => "acme",
            "{hook}" => "grant-policy",
            s if s.starts_with('{') => "nope",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn started() -> (Db, Server) {
    let db = Db::new(Backend::Sqlite).await.unwrap();
    db.create_tenant("acme", &[]);
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    (db, server)
}

#[tokio::test]
async fn the_checked_in_contract_is_the_one_served() {
    let (_db, server) = started().await;
    // Public: a client generator needs no operator credential to read it.
    let r = Reply::from(
        http()
            .get(format!("{}/admin/v1/openapi.json", server.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(
        r.body == checked_in(),
        "openapi/admin-v1.json is stale: regenerate it with \
         `cargo run -- openapi > openapi/admin-v1.json` and review the diff"
    );
    assert_eq!(r.body["openapi"], "3.1.0");
    assert_eq!(
        r.body["components"]["securitySchemes"]["admin_token"]["scheme"],
        "bearer"
    );
    // `warden openapi` prints the same document.
    let out = cli_with(std::path::Path::new("."), &[], &["openapi"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        checked_in()
    );
}

#[test]
fn admin_routes_are_registered_only_through_the_contract() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/http/admin");
    let files: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    assert!(files.len() >= 10, "one file per noun: {files:?}");
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains(".route("),
            "{} registers a route with .route(): use routes!(handler) so the \
             contract documents it",
            file.display()
        );
    }
}

#[tokio::test]
async fn every_documented_operation_reaches_its_handler() {
    let (_db, server) = started().await;
    let admin = AdminApi::of(&server);
    let contract = checked_in();
    let mut operations = 0;
    for (path, item) in contract["paths"].as_object().unwrap() {
        let path = fill(path.strip_prefix("/admin/v1").unwrap());
        for method in item.as_object().unwrap().keys() {
            let body = matches!(method.as_str(), "put" | "post").then(|| json!({}));
            let r = admin
                .send(method.to_uppercase().parse().unwrap(), &path, body)
                .await;
            assert!(
                r.status != 405 && r.body["detail"] != "no such admin endpoint",
                "{method} {path} is in the contract but not served: {} {}",
                r.status,
                r.text
            );
            assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.text);
            operations += 1;
        }
    }
    assert!(operations > 50, "{operations} operations");
}

#[tokio::test]
async fn bad_paths_queries_and_overlaps_get_problem_documents() {
    let (db, server) = started().await;
    let admin = AdminApi::of(&server);
    let (client_id, _) = db.create_client("acme", "read", &[]);
    let problem = |r: &Reply, status: u16, says: &str| {
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert!(
            r.body["detail"].as_str().unwrap().contains(says),
            "{}",
            r.text
        );
    };
    // A path segment that is not UTF-8, a query parameter given twice, a
    // number too big for any counter: refused in the API's own error format.
    problem(&admin.get("/tenants/%FF/clients").await, 400, "UTF-8");
    problem(
        &admin.get("/tenants/acme/audit?limit=1&limit=2").await,
        400,
        "limit",
    );
    problem(
        &admin
            .get("/tenants/acme/installations/nope/usage?days=9223372036854775808")
            .await,
        400,
        "days",
    );
    // An overlap so long that now + overlap overflows once panicked the
    // request; it is refused, and the secret is unchanged.
    let rotate = format!("/clients/{client_id}/rotate-secret");
    for overlap in [json!(9223372036854775806i64), json!(2_592_001), json!(-1)] {
        problem(
            &admin.post(&rotate, json!({ "overlap": overlap })).await,
            400,
            "overlap must be between 0 and 2592000 seconds",
        );
    }
    let r = admin.post(&rotate, json!({ "overlap": 2_592_000 })).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // JSON Schema's integer 60.0 is 60; 1.5 is no integer.
    let r = admin.post(&rotate, json!({ "overlap": 60.0 })).await;
    assert_eq!(r.status, 200, "{}", r.text);
    problem(
        &admin.post(&rotate, json!({ "overlap": 1.5 })).await,
        400,
        "i64",
    );
    // No body reads as `{}`; a body of blanks is no JSON text (Schemathesis found it).
    let blank = |body: &'static str| {
        http()
            .post(format!("{}/admin/v1/tenants/acme/keys/rotate", server.base))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(blank("").await.unwrap().status(), 200);
    problem(
        &Reply::from(blank(" ").await.unwrap()).await,
        400,
        "invalid JSON body",
    );
    // Asking what the thing's state does not allow is a conflict, not a bad request.
    let public = admin
        .post(
            "/tenants/acme/clients",
            json!({"name": "spa", "public": true, "grant_types": ["authorization_code"],
                   "redirect_uris": ["https://spa.example/cb"]}),
        )
        .await;
    assert_eq!(public.status, 201, "{}", public.text);
    let id = public.body["client_id"].as_str().unwrap();
    problem(
        &admin
            .post(&format!("/clients/{id}/rotate-secret"), json!({}))
            .await,
        409,
        "a public client has no secret to rotate",
    );
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
}

/// Schemathesis (pinned in tests/py/requirements.txt) generates requests from
/// the contract: its examples, boundary values, random and wrong-typed data,
/// and stateful sequences that feed one answer's ids into the next request.
/// Every check it has runs, positive data acceptance included: what the
/// schema calls valid is accepted, except where an operation names rules
/// JSON Schema cannot state (tests/schemathesis.toml allows exactly those
/// operations their named status). The run is short here;
/// `bench/fuzz-admin.sh` runs it for as long as asked.
async fn schemathesis_finds_nothing_wrong(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_client("acme", "read", &[]);
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    // Through the interpreter: the virtualenv's `st` script names the
    // directory it was built in, not the one it was renamed to.
    let st = "import sys; from schemathesis.cli import schemathesis; \
              sys.argv[0] = 'st'; sys.exit(schemathesis())";
    let config = format!("{}/../tests/schemathesis.toml", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::process::Command::new(python())
        .args(["-c", st, "--config-file", &config, "run"])
        .arg(format!("{}/admin/v1/openapi.json", server.base))
        .args(["-H", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
        .args(["--checks", "all"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args([
            "--max-examples",
            "15",
            "--max-time",
            "75",
            "--seed",
            "20261205",
        ])
        .args(["--request-timeout", "10", "--no-color"])
        // Free-text path segments (a resource's kind and id) make Hypothesis
        // drop many draws that cannot be a segment; with some seeds that
        // trips its health check before any request is sent.
        .args(["--suppress-health-check", "filter_too_much"])
        .current_dir(db.dir.path())
        .output()
        .await
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems ({:?}):\n{stdout}\n{}",
        db.backend,
        String::from_utf8_lossy(&out.stderr)
    );
    // It tested every operation but the contract's own (which it skips).
    let operations: usize = checked_in()["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    let tested = format!("Tested: {}", operations - 1);
    assert!(stdout.contains(&tested), "not {tested}:\n{stdout}");
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
    // And the server still answers.
    assert_eq!(AdminApi::of(&server).get("/tenants").await.status, 200);
}

/// Exactly the operations that name rules beyond their schema may refuse a
/// schema-valid request in the Schemathesis run, and with the status they
/// name: the settings file and the contract say the same.
#[test]
fn the_schemathesis_allowances_are_the_rules_the_contract_names() {
    let toml = std::fs::read_to_string(format!(
        "{}/../tests/schemathesis.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut allowed = Vec::new();
    let mut operation = None;
    for line in toml.lines() {
        if let Some(id) = line.strip_prefix("include-operation-id = ") {
            operation = Some(id.trim_matches('"').to_string());
        }
        if let Some(statuses) =
            line.strip_prefix("checks.positive_data_acceptance.expected-statuses = ")
        {
            let extra = statuses
                .rsplit(", ")
                .next()
                .unwrap()
                .trim_end_matches(']')
                .trim_matches('"');
            allowed.push((operation.take().unwrap(), extra.to_string()));
        }
    }
    let mut named = Vec::new();
    for item in checked_in()["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let description = op["description"].as_str().unwrap_or("");
            if let Some(rest) = description.split("Beyond its schema (").nth(1) {
                let status = &rest[..3];
                named.push((
                    op["operationId"].as_str().unwrap().to_string(),
                    status.to_string(),
                ));
            }
        }
    }
    allowed.sort();
    named.sort();
    assert_eq!(allowed.len(), 13, "{allowed:?}");
    assert_eq!(allowed, named);
}
