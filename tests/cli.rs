//! The operator's view: CLI output shapes, readable failures, the demo.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;

on_both_backends!(
    cli_creates_lists_and_reports_errors,
    demo_prints_credentials_that_work
);

async fn cli_creates_lists_and_reports_errors(db: Db) {
    let t = db.create_tenant("acme", &[]);
    assert_eq!(t["slug"], "acme");
    assert_eq!(t["issuer"], "http://127.0.0.1:8080/t/acme");
    let c = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Billing sync",
        "--grant-types",
        "client_credentials",
        "--scopes",
        "a b",
    ]);
    let id = c["client_id"].as_str().unwrap();
    let secret = c["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "256-bit secret");

    let tenants = db.cli_json(&["tenant", "list"]);
    assert_eq!(tenants[0]["slug"], "acme");
    let clients = db.cli_json(&["client", "list", "--tenant", "acme"]);
    assert_eq!(clients[0]["client_id"], id);
    assert_eq!(clients[0]["name"], "Billing sync");
    let listing =
        String::from_utf8(db.cli(&["client", "list", "--tenant", "acme"]).stdout).unwrap();
    assert!(
        listing.contains(id) && !listing.contains(secret),
        "lists never show secrets"
    );

    let failures: &[(&[&str], &str)] = &[
        (&["tenant", "create", "acme"], "already exists"),
        (&["tenant", "create", "Bad Slug"], "invalid tenant slug"),
        (
            &["tenant", "create", "x", "--alg", "HS256"],
            "unknown signing algorithm",
        ),
        (
            &[
                "client", "create", "--tenant", "nope", "--name", "n", "--scopes", "a",
            ],
            "tenant not found",
        ),
        (
            &[
                "client",
                "create",
                "--tenant",
                "acme",
                "--name",
                "n",
                "--grant-types",
                "password",
            ],
            "unsupported grant type",
        ),
        (
            &[
                "client",
                "create",
                "--tenant",
                "acme",
                "--name",
                "n",
                "--scopes",
                "a",
                "--default-scopes",
                "b",
            ],
            "subset",
        ),
        (
            &[
                "client",
                "create",
                "--tenant",
                "acme",
                "--name",
                "n",
                "--metadata",
                "{oops",
            ],
            "--metadata",
        ),
        (
            &["client", "rotate-secret", "cl_missing"],
            "client not found",
        ),
        (&["keys", "rotate", "--tenant", "nope"], "tenant not found"),
    ];
    for (args, expected) in failures {
        let out = db.cli(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            err.contains(expected),
            "{args:?}: expected {expected:?} in {err}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{args:?}: {err}"
        );
    }
}

async fn demo_prints_credentials_that_work(db: Db) {
    let server = Server::start_with(&db, &[], &["--demo"]).await;
    assert!(
        server.stdout.contains("client_secret:"),
        "{}",
        server.stdout
    );
    let curl = server
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("curl "))
        .expect("a curl command")
        .trim()
        .to_string();
    // The printed issuer is the server's own, so the command works as printed.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&curl)
        .output()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("curl printed {}", String::from_utf8_lossy(&out.stdout)));
    assert!(body["access_token"].is_string(), "{body}");
    verify_with_jwks(&server, "demo", body["access_token"].as_str().unwrap()).await;
    // …and a person to sign in as, on the account page it names.
    let sign_in = server
        .stdout
        .lines()
        .find(|l| l.starts_with("Sign in as "))
        .expect("demo user line")
        .to_string();
    let (user, rest) = sign_in["Sign in as ".len()..].split_once(" / ").unwrap();
    let (password, url) = rest.split_once(" at ").unwrap();
    let b = browser();
    let page = b.get(url).send().await.unwrap().text().await.unwrap();
    let form = [
        ("csrf", hidden_field(&page, "csrf")),
        ("continue", String::new()),
        ("return", "account".into()),
        ("username", user.into()),
        ("password", password.into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b
        .post(format!("{}/login", server.issuer("demo")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode_form(&form))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(url.ends_with("/t/demo/console"), "the console first: {url}");
    let account = b
        .get(format!("{}/account", server.issuer("demo")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        account.contains("Your account") && account.contains("Demo User"),
        "{account}"
    );
    // In a browser: the demo user is the tenant's admin, the catalog has an
    // app, and installing it on the demo's projects completes.
    let report = run_js(
        "demo_console.mjs",
        &[
            ("CONSOLE", url.to_string()),
            ("USERNAME", user.to_string()),
            ("PASSWORD", password.to_string()),
            ("CHROMIUM", chromium()),
        ],
    )
    .await;
    assert_eq!(report["after_sign_in"], "Overview", "{report}");
    assert_eq!(
        report["apps"],
        serde_json::json!(["Site Photos"]),
        "{report}"
    );
    assert_eq!(report["projects"], 6, "{report}");
    assert_eq!(report["installed"], "Site Photos is installed", "{report}");
    assert_eq!(
        report["delivered"], 1,
        "credentials reached the demo hook: {report}"
    );
    server.kill().await;
    // A second --demo start keeps the tenant and hands out working credentials again.
    let again = Server::start_with(&db, &[], &["--demo"]).await;
    let curl = again
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("curl "))
        .unwrap()
        .trim()
        .to_string();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&curl)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("access_token"));
    assert_eq!(
        db.cli_json(&["tenant", "list"]).as_array().unwrap().len(),
        1
    );
    // Idempotent: still one app, the same six projects, the installation kept.
    assert_eq!(db.cli_json(&["app", "list"]).as_array().unwrap().len(), 1);
    assert_eq!(
        db.cli_json(&["resource", "list", "--tenant", "demo"])
            .as_array()
            .unwrap()
            .len(),
        6
    );
    again.kill().await;
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// One readable line naming the problem, and a failing exit status.
fn assert_one_line_failure(out: &std::process::Output, expected: &str) {
    let err = stderr_of(out);
    assert!(!out.status.success(), "should fail: {err}");
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("warden: ") && last.contains(expected),
        "expected {expected:?} in the last line of: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("stack backtrace"),
        "{err}"
    );
}

#[test]
fn bad_configuration_is_one_readable_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/w.db", dir.path().display());
    let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v = vec![("WARDEN_DATABASE_URL".to_string(), db.clone())];
        v.extend(
            pairs
                .iter()
                .map(|(k, val)| (k.to_string(), val.to_string())),
        );
        v
    };
    let cases: &[(&[(&str, &str)], &[&str], &str)] = &[
        (
            &[("WARDEN_LISTEN", "nonsense")],
            &["serve"],
            "listen address",
        ),
        (
            &[("WARDEN_ACCESS_TOKEN_TTL", "soon")],
            &["serve"],
            "WARDEN_ACCESS_TOKEN_TTL",
        ),
        (
            &[("WARDEN_PUBLIC_URL", "ftp://x")],
            &["serve"],
            "public URL",
        ),
        (
            &[("WARDEN_MASTER_KEY", "short")],
            &["tenant", "create", "a"],
            "master key",
        ),
        (&[("WARDEN_LOG_FORMAT", "xml")], &["serve"], "log_format"),
        (
            &[("WARDEN_DATABASE_URL", "mysql://x")],
            &["serve"],
            "database URL",
        ),
        (
            &[("WARDEN_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")],
            &["serve"],
            "cannot connect to PostgreSQL",
        ),
        (
            &[(
                "WARDEN_DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/test",
            )],
            &["tenant", "create", "a"],
            "master key is required",
        ),
        (
            &[],
            &["--config-file", "/nonexistent/warden.toml", "serve"],
            "cannot read config file",
        ),
    ];
    for (pairs, args, expected) in cases {
        let out = cli_with(dir.path(), &env(pairs), args);
        assert_one_line_failure(&out, expected);
    }
    std::fs::write(dir.path().join("bad.toml"), "listen = 5\n").unwrap();
    let out = cli_with(
        dir.path(),
        &env(&[]),
        &["--config-file", "bad.toml", "serve"],
    );
    assert_one_line_failure(&out, "bad.toml");
    std::fs::write(dir.path().join("typo.toml"), "lisen = \"127.0.0.1:1\"\n").unwrap();
    let out = cli_with(
        dir.path(),
        &env(&[]),
        &["--config-file", "typo.toml", "serve"],
    );
    assert_one_line_failure(&out, "unknown field");
}

#[tokio::test]
async fn taken_port_is_one_readable_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let env = vec![(
        "WARDEN_DATABASE_URL".to_string(),
        format!("sqlite://{}/w.db", dir.path().display()),
    )];
    let out = cli_with(dir.path(), &env, &["serve", "--listen", &port]);
    assert_one_line_failure(&out, &format!("cannot listen on {port}"));
}

#[tokio::test]
async fn sqlite_default_needs_no_setup_and_keeps_its_master_key_private() {
    // No database URL, no key: `warden.db` and a 0600 key file appear in the working directory.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::spawn(dir.path(), &[], &["--demo"]).await;
    assert!(dir.path().join("warden.db").exists());
    let key = dir.path().join("warden.db.master-key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(server.logs().contains("generated a new master key"));
    server.kill().await;
    // A restart reuses the key, so the signing key still decrypts.
    let server = Server::spawn(dir.path(), &[], &["--demo"]).await;
    let curl = server
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("curl "))
        .unwrap()
        .trim()
        .to_string();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&curl)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("access_token"));
    assert!(!server.logs().contains("generated a new master key"));
}

#[tokio::test]
async fn config_file_env_and_flags_layer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("warden.toml"),
        format!(
            "database_url = \"sqlite://{}/file.db\"\npublic_url = \"https://from-file.example\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    // The file is read from the working directory.
    let out = cli_with(dir.path(), &[], &["tenant", "create", "a", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["issuer"], "https://from-file.example/t/a");
    // The environment beats the file; a flag beats the environment.
    let env = vec![(
        "WARDEN_PUBLIC_URL".to_string(),
        "https://from-env.example".to_string(),
    )];
    let v: serde_json::Value = serde_json::from_slice(
        &cli_with(dir.path(), &env, &["tenant", "create", "b", "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(v["issuer"], "https://from-env.example/t/b");
    let out = cli_with(
        dir.path(),
        &env,
        &[
            "tenant",
            "create",
            "c",
            "--json",
            "--public-url",
            "https://from-flag.example/",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["issuer"], "https://from-flag.example/t/c");
    assert!(dir.path().join("file.db").exists());
}
