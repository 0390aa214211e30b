//! Plugins as a plugin author meets them through `warden plugin test`, and
//! hostile plugins that must be contained within their limits.

mod common;
use common::*;
use serde_json::{Value, json};

fn grant_request() -> Value {
    json!({
        "tenant": "acme",
        "client": {"id": "cl_1", "name": "Billing sync", "metadata": {"legacy": false}},
        "grant_type": "client_credentials",
        "subject": "cl_1",
        "requested_scopes": ["read", "write", "admin"],
        "allowed_scopes": ["read", "write", "admin"],
        "audience": ["https://api.acme.test"],
        "lifetime_seconds": 3600,
        "request_time": 1_795_000_000,
    })
}

/// Runs `warden plugin test` and returns (success, stdout JSON or Null, stderr).
fn plugin_test(
    plugin: &str,
    hook: &str,
    input: &Value,
    config: &str,
    extra: &[&str],
) -> (bool, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let input_path = dir.path().join("input.json");
    std::fs::write(&input_path, input.to_string()).unwrap();
    let wasm = plugin_wasm(plugin);
    let mut args = vec![
        "plugin",
        "test",
        wasm.to_str().unwrap(),
        "--hook",
        hook,
        "--input",
        input_path.to_str().unwrap(),
        "--config",
        config,
    ];
    args.extend_from_slice(extra);
    let out = cli_with(dir.path(), &[], &args);
    let stdout = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.success(),
        stdout,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn scope_policy_narrows_adds_claims_and_caps_lifetime() {
    let config = r#"{"allowed_scopes": ["read", "write"], "claims": {"org": "acme", "tier": 2}, "max_lifetime_seconds": 600}"#;
    let (ok, decision, err) = plugin_test(
        "scope-policy",
        "grant-policy",
        &grant_request(),
        config,
        &[],
    );
    assert!(ok, "{err}");
    assert_eq!(
        decision,
        json!({"decision": "allow", "scopes": ["read", "write"], "claims": {"org": "acme", "tier": 2}, "lifetime_seconds": 600})
    );

    let mut only_admin = grant_request();
    only_admin["requested_scopes"] = json!(["admin"]);
    let (ok, decision, _) = plugin_test("scope-policy", "grant-policy", &only_admin, config, &[]);
    assert!(ok);
    assert_eq!(decision["decision"], "deny");
    assert_eq!(decision["error"], "invalid_scope");
    assert!(
        decision["error_description"]
            .as_str()
            .unwrap()
            .contains("read write")
    );
}

#[test]
fn hostile_plugins_fail_closed_within_their_limits() {
    let cases = [
        ("loop", "failed closed (timeout)"),
        ("memory", "failed closed (memory)"),
        ("recursion", "call stack exhausted"),
        ("trap", "failed closed (trap)"),
        ("panic", "failed closed (trap)"),
        ("reserved-claim", "claim \"sub\" is reserved"),
    ];
    for (mode, expected) in cases {
        let started = std::time::Instant::now();
        let (ok, _, err) = plugin_test(
            "hostile",
            "grant-policy",
            &grant_request(),
            &format!("\"{mode}\""),
            &[],
        );
        assert!(!ok, "{mode} must fail");
        let last = err.trim_end().lines().last().unwrap_or_default();
        assert!(
            last.starts_with("warden: ") && last.contains(expected),
            "{mode}: expected {expected:?} in {err}"
        );
        assert!(
            !err.contains("panicked"),
            "{mode}: the host panicked: {err}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{mode} was not cut off"
        );
    }
    // Enormous output: the host refuses it whether it hits the deadline, the
    // memory limit or the claim limits first.
    let (ok, _, err) = plugin_test(
        "hostile",
        "grant-policy",
        &grant_request(),
        "\"huge-output\"",
        &["--deadline-ms", "1000"],
    );
    assert!(!ok);
    assert!(err.contains("failed closed"), "{err}");
}

#[test]
fn plugins_cannot_widen_scopes_or_reach_outside_the_sandbox() {
    let mut narrow = grant_request();
    narrow["requested_scopes"] = json!(["read"]);
    let (ok, decision, err) = plugin_test("hostile", "grant-policy", &narrow, "\"widen\"", &[]);
    assert!(ok, "{err}");
    assert_eq!(
        decision["scopes"],
        json!(["read"]),
        "a plugin granted scopes that were not requested"
    );

    let (ok, decision, err) = plugin_test(
        "hostile",
        "grant-policy",
        &grant_request(),
        "\"escape\"",
        &[],
    );
    assert!(ok, "{err}");
    assert_eq!(
        decision["claims"]["escape"],
        json!({"file": false, "env": false, "net": false, "clock": 0})
    );
}

#[test]
fn components_that_do_not_fit_are_refused_with_a_reason() {
    let (ok, _, err) = plugin_test("wrong-world", "grant-policy", &grant_request(), "{}", &[]);
    assert!(!ok && err.contains("exports none of the worlds"), "{err}");
    let (ok, _, err) = plugin_test(
        "forbidden-import",
        "grant-policy",
        &grant_request(),
        "{}",
        &[],
    );
    assert!(
        !ok && err.contains("imports something Warden does not provide")
            && err.contains("evil:plugin/net"),
        "{err}"
    );
    let (ok, _, err) = plugin_test(
        "scope-policy",
        "permission-check",
        &grant_request(),
        "{}",
        &[],
    );
    assert!(
        !ok && err.contains("exports grant-policy, not permission-check"),
        "{err}"
    );

    // A file that is not a component at all.
    let dir = tempfile::tempdir().unwrap();
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.path().join("in.json"), grant_request().to_string()).unwrap();
    let out = cli_with(
        dir.path(),
        &[],
        &[
            "plugin",
            "test",
            "core.wasm",
            "--hook",
            "grant-policy",
            "--input",
            "in.json",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a WebAssembly component"));
    // A bad input file is named, not a panic.
    std::fs::write(dir.path().join("bad.json"), "{\"tenant\": 1}").unwrap();
    let wasm = plugin_wasm("scope-policy");
    let out = cli_with(
        dir.path(),
        &[],
        &[
            "plugin",
            "test",
            wasm.to_str().unwrap(),
            "--hook",
            "grant-policy",
            "--input",
            "bad.json",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("bad.json is not a grant-policy request"),
        "{err}"
    );
}

#[test]
fn legacy_sunset_denies_marked_clients_after_the_date_with_migration_advice() {
    let config = r#"{"sunset": "2025-03-24", "migrate_to": "Developer Managed Service Accounts"}"#;
    let mut legacy = grant_request();
    legacy["client"]["metadata"] = json!({"legacy": true});
    // 2025-03-23T23:59:59Z: still allowed.
    legacy["request_time"] = json!(1_742_774_399);
    let (ok, d, err) = plugin_test("legacy-sunset", "grant-policy", &legacy, config, &[]);
    assert!(ok, "{err}");
    assert_eq!(d["decision"], "allow");
    // 2025-03-24T00:00:00Z: retired.
    legacy["request_time"] = json!(1_742_774_400);
    let (_, d, _) = plugin_test("legacy-sunset", "grant-policy", &legacy, config, &[]);
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["error"], "unauthorized_client");
    assert_eq!(
        d["error_description"],
        "legacy credentials were retired on 2025-03-24; migrate to Developer Managed Service Accounts"
    );
    // Clients not marked legacy are untouched.
    let (_, d, _) = plugin_test(
        "legacy-sunset",
        "grant-policy",
        &grant_request(),
        config,
        &[],
    );
    assert_eq!(d["decision"], "allow");
    // A broken configuration denies rather than lets everyone through.
    let (_, d, _) = plugin_test(
        "legacy-sunset",
        "grant-policy",
        &legacy,
        r#"{"sunset": "soon"}"#,
        &[],
    );
    assert_eq!(d["decision"], "deny");
}

#[test]
fn project_permission_decides_from_permissions_and_projects() {
    let eval = |action: &str, resource: Value| {
        json!({
            "subject": {"type": "app", "id": "billing", "properties": {"permissions": ["documents:read"], "projects": ["42"]}},
            "action": {"name": action},
            "resource": resource,
            "context": {},
        })
    };
    let run = |e: Value| plugin_test("project-permission", "permission-check", &e, "{}", &[]).1;
    assert_eq!(
        run(eval(
            "documents:read",
            json!({"type": "project", "id": "42"})
        ))["decision"],
        true
    );
    assert_eq!(
        run(eval(
            "documents:read",
            json!({"type": "document", "id": "d", "properties": {"project": 42}})
        ))["decision"],
        true
    );
    let d = run(eval(
        "documents:read",
        json!({"type": "project", "id": "7"}),
    ));
    assert_eq!(d["decision"], false);
    assert_eq!(d["reason"], "billing may not touch project 7");
    assert_eq!(
        run(eval(
            "documents:delete",
            json!({"type": "project", "id": "42"})
        ))["reason"],
        "billing was not granted documents:delete"
    );
}
