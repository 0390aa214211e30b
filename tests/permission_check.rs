//! AuthZEN access evaluation for resource servers: bearer-authenticated,
//! decided by the built-in rule or the tenant's permission-check plugin.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(access_evaluation_with_builtin_rule_and_plugin);

async fn evaluate(url: &str, bearer: Option<&str>, body: &Value) -> Reply {
    let mut req = http()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = bearer {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    Reply::from(req.send().await.unwrap()).await
}

fn app(permissions: &[&str], projects: &[&str]) -> Value {
    json!({"type": "app", "id": "billing-sync", "properties": {"permissions": permissions, "projects": projects}})
}

async fn access_evaluation_with_builtin_rule_and_plugin(db: Db) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    let (rs, rs_secret) = db.create_client("acme", "authz", &[]);
    let (g, g_secret) = db.create_client("globex", "authz", &[]);
    let server = Server::start(&db).await;
    let one = format!("{}/access/v1/evaluation", server.issuer("acme"));
    let many = format!("{}/access/v1/evaluations", server.issuer("acme"));
    let bearer = token(&server, "acme", &rs, &rs_secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let read_project_42 = json!({
        "subject": app(&["documents:read"], &["42"]),
        "action": {"name": "documents:read"},
        "resource": {"type": "project", "id": "42"},
        "context": {"ip": "192.0.2.1"},
    });

    // Authentication: a bearer token of this tenant, live and unrevoked.
    let r = evaluate(&one, None, &read_project_42).await;
    r.assert_error(401, "invalid_token");
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\"")
    );
    let foreign = token(&server, "globex", &g, &g_secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    evaluate(&one, Some(&foreign), &read_project_42)
        .await
        .assert_error(401, "invalid_token");
    evaluate(&one, Some("garbage"), &read_project_42)
        .await
        .assert_error(401, "invalid_token");

    // Built-in rule (no plugin bound): the action must be among the subject's permissions.
    let r = evaluate(&one, Some(&bearer), &read_project_42).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["decision"], true);
    let mut delete = read_project_42.clone();
    delete["action"]["name"] = json!("documents:delete");
    let r = evaluate(&one, Some(&bearer), &delete).await;
    assert_eq!(r.body["decision"], false);
    assert!(
        r.body["context"]["reason"]
            .as_str()
            .unwrap()
            .contains("documents:delete")
    );

    // Malformed requests.
    evaluate(&one, Some(&bearer), &json!({"subject": "nope"}))
        .await
        .assert_error(400, "invalid_request");
    let r = Reply::from(
        http()
            .post(&one)
            .header("authorization", format!("Bearer {bearer}"))
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_error(400, "invalid_request");

    // Bind the project permission plugin: projects now matter too.
    let wasm = plugin_wasm("project-permission");
    db.cli_json(&[
        "plugin",
        "add",
        wasm.to_str().unwrap(),
        "--name",
        "projects",
    ]);
    db.cli_json(&[
        "plugin",
        "bind",
        "--tenant",
        "acme",
        "--hook",
        "permission-check",
        "--plugin",
        "projects",
    ]);
    let mut other_project = read_project_42.clone();
    other_project["resource"] =
        json!({"type": "document", "id": "d1", "properties": {"project": "99"}});
    assert!(
        eventually(Duration::from_secs(3), || async {
            let r = evaluate(&one, Some(&bearer), &other_project).await;
            r.body["decision"] == false
                && r.body["context"]["reason"]
                    .as_str()
                    .is_some_and(|s| s.contains("project 99"))
        })
        .await,
        "the permission-check binding did not take effect"
    );
    let r = evaluate(&one, Some(&bearer), &read_project_42).await;
    assert_eq!(r.body["decision"], true, "{}", r.text);

    // Batch: defaults at the top, overrides per evaluation, answers in order.
    let batch = json!({
        "subject": app(&["documents:read", "documents:write"], &["42", "43"]),
        "action": {"name": "documents:read"},
        "evaluations": [
            {"resource": {"type": "project", "id": "42"}},
            {"resource": {"type": "project", "id": "44"}},
            {"resource": {"type": "document", "id": "d7", "properties": {"project": 43}}, "action": {"name": "documents:write"}},
            {"resource": {"type": "project", "id": "43"}, "action": {"name": "documents:delete"}},
        ],
    });
    let r = evaluate(&many, Some(&bearer), &batch).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let decisions: Vec<Value> = r.body["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["decision"].clone())
        .collect();
    assert_eq!(
        decisions,
        vec![json!(true), json!(false), json!(true), json!(false)]
    );
    let too_many = json!({"subject": app(&[], &[]), "action": {"name": "x"}, "resource": {"type": "project", "id": "1"}, "evaluations": vec![json!({}); 101]});
    evaluate(&many, Some(&bearer), &too_many)
        .await
        .assert_error(400, "invalid_request");

    // A revoked bearer token stops working at once.
    post_form(
        &format!("{}/revoke", server.issuer("acme")),
        Some((&rs, &rs_secret)),
        &[("token", &bearer)],
    )
    .await;
    evaluate(&one, Some(&bearer), &read_project_42)
        .await
        .assert_error(401, "invalid_token");
}
