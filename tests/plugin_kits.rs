//! Plugins in Rust, Python and JavaScript, built the way their authors build them:
//! `warden plugin new` writes a starter kit, the kit's own build commands run
//! the registries' tools (componentize-py from PyPI, componentize-qjs from
//! npm), and the real server runs the components for a token, a permission
//! decision and a delivery. Hostile Python and JavaScript plugins fail closed
//! like the Rust ones, and a default componentize-js build (which imports
//! `wasi:http`) loads, with the network it asks for failing the call.
//!
//! The language is all that differs from the Rust tests, so these run on
//! SQLite only.

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/plugins")
}

/// One compiled-code cache for every `warden` process here: a Python
/// component takes seconds to compile, once.
fn cache() -> Vec<(String, String)> {
    let dir = tools_dir().join("target/compiled");
    vec![("WARDEN_PLUGIN_CACHE_DIR".into(), dir.display().to_string())]
}

/// Runs `cmd`, panicking with its output when it fails.
fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed:\n{text}");
    text
}

/// A virtualenv for the Python kits' `pip install` (a plugin author's own
/// environment), made once and kept in tests/plugins/python/.venv.
fn python_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let venv = tools_dir().join("python/.venv");
        if !venv.join("bin/pip").exists() {
            run(
                Command::new("python3").args(["-m", "venv"]).arg(&venv),
                "python3 -m venv (apt-get install python3 python3-venv)",
            );
        }
        format!(
            "{}:{}",
            venv.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        )
    })
}

/// One build at a time per language: Python builds share a virtualenv (two
/// `pip install`s into it at once could break it), Rust ones a target
/// directory.
static BUILDING: [Mutex<()>; 3] = [Mutex::new(()), Mutex::new(()), Mutex::new(())];

fn rust_target() -> PathBuf {
    tools_dir().join("target/kits-rust")
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Lang {
    Rust,
    Python,
    Js,
}

impl Lang {
    fn flag(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }
}

/// Writes the kit for `hook` with `warden plugin new`, runs the build
/// commands it prints, and returns the component. Once per test binary.
fn kit(lang: Lang, hook: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<std::collections::HashMap<(Lang, String), PathBuf>>> =
        OnceLock::new();
    let _one_at_a_time = BUILDING[lang as usize]
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let built = BUILT.get_or_init(Default::default);
    if let Some(p) = built
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(lang, hook.to_string()))
    {
        return p.clone();
    }
    let work = tempfile::tempdir().unwrap().keep();
    let name = format!("{}-{hook}", lang.flag());
    let dir = work.join(&name);
    let out = cli_with(
        &work,
        &[],
        &[
            "plugin",
            "new",
            &name,
            "--lang",
            lang.flag(),
            "--hook",
            hook,
            "--dir",
            dir.to_str().unwrap(),
        ],
    );
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The commands it tells the author to run, exactly.
    let commands: Vec<&str> = said
        .lines()
        .skip_while(|l| !l.starts_with("build it there with:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    assert!(!commands.is_empty(), "no build commands in:\n{said}");
    for command in &commands {
        let mut sh = Command::new("sh");
        sh.args(["-c", command]).current_dir(&dir);
        match lang {
            Lang::Python => {
                sh.env("PATH", python_path());
            }
            // The Rust kits share one target directory so wit-bindgen builds once.
            Lang::Rust => {
                sh.env("CARGO_TARGET_DIR", rust_target());
            }
            Lang::Js => {}
        }
        run(&mut sh, &format!("{name}: {command}"));
    }
    let mut wasm = said
        .lines()
        .find_map(|l| l.strip_prefix("then: warden plugin add "))
        .and_then(|l| l.split(" --name").next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no component path in:\n{said}"));
    if lang == Lang::Rust {
        wasm = rust_target().join(wasm.strip_prefix(dir.join("target")).unwrap());
    }
    assert!(
        wasm.exists(),
        "{name}: the build wrote no {}",
        wasm.display()
    );
    // The kit's README: try it on its sample request without a server.
    let out = run_plugin_test(&dir, &wasm, hook, Path::new("request.json"), &[]);
    assert!(
        out.status.success(),
        "{name}: plugin test on the kit's request.json: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    built
        .lock()
        .unwrap()
        .insert((lang, hook.to_string()), wasm.clone());
    wasm
}

/// The hostile test plugins, built with the same tools: Python with
/// componentize-py, JavaScript with componentize-qjs and with a default
/// componentize-js (StarlingMonkey) build.
fn hostile(build: &str) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _one_at_a_time = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let js = tools_dir().join("js");
    let out = tools_dir()
        .join("target")
        .join(format!("hostile-{build}.wasm"));
    let wit = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wit");
    if !out.exists() {
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let mut cmd = match build {
            "python" => {
                let _python = BUILDING[Lang::Python as usize]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                run(
                    Command::new("pip")
                        .env("PATH", python_path())
                        .args(["install", "--quiet", "-r", "python/requirements.txt"])
                        .current_dir(tools_dir()),
                    "pip install componentize-py",
                );
                let mut c = Command::new("componentize-py");
                c.env("PATH", python_path())
                    .arg("-d")
                    .arg(&wit)
                    .args(["-w", "grant-policy", "componentize", "hostile", "-o"])
                    .arg(&out)
                    .current_dir(tools_dir().join("python"));
                c
            }
            _ => {
                if !js.join("node_modules").exists() {
                    run(
                        Command::new("npm")
                            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                            .current_dir(&js),
                        "npm ci in tests/plugins/js",
                    );
                }
                let mut c = Command::new("npm");
                c.args(["run", "--silent", &format!("build-{build}"), "--"])
                    .arg(&out)
                    .current_dir(&js);
                c
            }
        };
        run(&mut cmd, &format!("building hostile-{build}"));
    }
    out
}

/// `warden plugin test WASM --hook HOOK --input INPUT [extra…]` in `dir`,
/// with the shared compiled-code cache.
fn run_plugin_test(
    dir: &Path,
    wasm: &Path,
    hook: &str,
    input: &Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "plugin",
        "test",
        wasm.to_str().unwrap(),
        "--hook",
        hook,
        "--input",
        input.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    cli_with(dir, &cache(), &args)
}

/// `warden plugin test` on a grant request, with `config` and `extra` flags.
fn plugin_test(wasm: &Path, config: &str, extra: &[&str]) -> (bool, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("request.json");
    std::fs::write(
        &input,
        json!({"tenant": "acme", "client": {"id": "cl_1", "name": "Billing", "metadata": {}},
               "grant_type": "client_credentials", "subject": "cl_1",
               "requested_scopes": ["read", "admin"], "allowed_scopes": ["read", "admin"],
               "audience": ["https://api.acme.test"], "lifetime_seconds": 3600,
               "request_time": 1795000000})
        .to_string(),
    )
    .unwrap();
    let mut flags = vec!["--config", config];
    flags.extend_from_slice(extra);
    let out = run_plugin_test(dir.path(), wasm, "grant-policy", &input, &flags);
    (
        out.status.success(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

const ENV: &[(&str, &str)] = &[
    ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
    ("WARDEN_DELIVERY_BACKOFF_MS", "200"),
    ("WARDEN_DELIVERY_POLL_MS", "100"),
];

/// `warden …` against `db`, with the shared compiled-code cache.
fn cli(db: &Db, args: &[&str]) -> std::process::Output {
    let mut env = db.env();
    env.extend(cache());
    cli_with(db.dir.path(), &env, args)
}

/// `warden … --json` against `db` that must succeed.
fn cli_json(db: &Db, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = cli(db, &all);
    assert!(
        out.status.success(),
        "warden {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn add_and_bind(db: &Db, wasm: &Path, name: &str, hook: &str, config: Value) -> Value {
    let added = cli_json(
        db,
        &["plugin", "add", wasm.to_str().unwrap(), "--name", name],
    );
    let config = config.to_string();
    cli_json(
        db,
        &[
            "plugin", "bind", "--tenant", "acme", "--hook", hook, "--plugin", name, "--config",
            &config,
        ],
    );
    added
}

async fn start_server(db: &Db) -> Server {
    let dir = tools_dir().join("target/compiled").display().to_string();
    let mut env = ENV.to_vec();
    env.push(("WARDEN_PLUGIN_CACHE_DIR", dir.as_str()));
    Server::start_with(db, &env, &[]).await
}

/// The three kits of `lang` decide a tenant's tokens, its AuthZEN
/// evaluations and the delivery of an app's credentials, in the server.
async fn kits_run_in_the_server(lang: Lang) {
    // Build first: the server's refresh interval is not the slow part.
    let grant = kit(lang, "grant-policy");
    let permission = kit(lang, "permission-check");
    let delivery = kit(lang, "credential-delivery");

    let db = Db::new(Backend::Sqlite).await.unwrap();
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read write", &[]);
    let server = start_server(&db).await;
    let api = AdminApi::of(&server);
    let receiver = Receiver::start(Answer::Ok).await;
    let r = api
        .put(
            "/tenants/acme/resources",
            json!([{"type": "project", "id": "p1", "name": "Harbour Tower"},
                   {"type": "project", "id": "p2", "name": "Old Mill"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .post(
            "/apps",
            json!({"slug": "docs-sync", "name": "Docs Sync", "publisher": {"name": "Acme Integrations"},
                   "hook_url": format!("{}/hook", receiver.origin),
                   "resource_types": [{"type": "project", "name": "Projects"}],
                   "permissions": [{"name": "documents:write", "level": "resource",
                                    "resource_type": "project", "description": "Upload documents"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let webhook_secret = r.body["webhook_secret"].as_str().unwrap().to_string();

    // Token: the grant policy narrows scopes and refuses in its own words.
    let added = add_and_bind(
        &db,
        &grant,
        "scopes",
        "grant-policy",
        json!({"allowed_scopes": ["read"], "claims": {"org": "acme"}}),
    );
    assert_eq!(added["hook"], "grant-policy");
    assert_eq!(added["ungranted_imports"], json!([]), "{added}");
    // A language runtime's snapshot sets the default memory limit; a limit
    // below what it starts with is refused, saying so.
    let memory = added["default_memory_mib"].as_u64().unwrap();
    if lang == Lang::Python {
        assert!(memory > 16, "{added}");
        let out = cli(
            &db,
            &[
                "plugin",
                "bind",
                "--tenant",
                "acme",
                "--hook",
                "grant-policy",
                "--plugin",
                "scopes",
                "--memory-mib",
                "8",
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("starts with") && err.contains("MiB"),
            "{err}"
        );
    } else {
        assert_eq!(memory, 16, "{added}");
    }
    let url = format!("{}/token", server.issuer("acme"));
    let ask = |scope: &'static str| {
        let (url, id, secret) = (url.clone(), id.clone(), secret.clone());
        async move {
            post_form(
                &url,
                Some((&id, &secret)),
                &[("grant_type", "client_credentials"), ("scope", scope)],
            )
            .await
        }
    };
    assert!(
        eventually(Duration::from_secs(10), || async {
            ask("read write").await.body["scope"] == "read"
        })
        .await,
        "{lang:?}: the policy never narrowed the scopes: {}",
        ask("read write").await.text
    );
    let token = ask("read write").await;
    let claims = verify_with_jwks(
        &server,
        "acme",
        token.body["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(claims["org"], "acme", "{lang:?}: the policy's claim");
    let refused = ask("write").await;
    refused.assert_error(400, "invalid_scope");
    assert!(
        refused.body["error_description"]
            .as_str()
            .unwrap()
            .contains("allowed: read"),
        "{}",
        refused.text
    );

    // Bound with `cache_for_seconds`, the kit lets the host reuse its
    // decision: the same request is answered without calling it.
    let config =
        json!({"allowed_scopes": ["read"], "claims": {"org": "acme-2"}, "cache_for_seconds": 300});
    cli_json(
        &db,
        &[
            "plugin",
            "bind",
            "--tenant",
            "acme",
            "--hook",
            "grant-policy",
            "--plugin",
            "scopes",
            "--config",
            &config.to_string(),
        ],
    );
    let at = &server;
    let org = move |r: Reply| async move {
        let access = r.body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        verify_with_jwks(at, "acme", &access).await["org"].clone()
    };
    assert!(
        eventually(Duration::from_secs(10), || async {
            org(ask("read").await).await == "acme-2"
        })
        .await,
        "{lang:?}: the new binding never decided"
    );
    let reused = || async {
        Scrape::of(&server).await.value(
            "warden_plugin_decisions_reused_total",
            &[("hook", "grant-policy")],
        )
    };
    // Until the directory has settled on the new binding, a reload may give
    // it a new number (and an empty share of the cache): wait for one reuse.
    assert!(
        eventually(Duration::from_secs(10), || async {
            let before = reused().await;
            org(ask("read").await).await == "acme-2" && reused().await > before
        })
        .await,
        "{lang:?}: no decision was ever reused"
    );
    // Three identical requests in a row are all answered from memory (a
    // directory reload in between starts the binding's share afresh, so try
    // again a few times rather than fail on its timing).
    assert!(
        eventually(Duration::from_secs(10), || async {
            let before = reused().await;
            for _ in 0..3 {
                assert_eq!(org(ask("read").await).await, "acme-2");
            }
            reused().await == before + 3.0
        })
        .await,
        "{lang:?}: decisions were not reused"
    );

    // Delivery: the kit shapes the installation event; the host signs it.
    add_and_bind(
        &db,
        &delivery,
        "deliver",
        "credential-delivery",
        json!({"allowed_origins": ["https://tenant-hooks.example"]}),
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "resources": {"project": ["p1"]}, "installed_by": "ada@example.com"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let inst = r.body;
    let got = receiver.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 1, "{lang:?}: no delivery");
    let body = got[0].json();
    assert_eq!(body["type"], "installation.created", "{body}");
    assert_eq!(body["app"], "docs-sync", "the kit's shape: {body}");
    assert_eq!(body["installation"], inst["id"]);
    assert_eq!(body["credentials"]["client_id"], inst["client_id"]);
    assert!(got[0].standard_signature_valid(&webhook_secret));

    // Permission: the kit reads the installation's approval.
    add_and_bind(&db, &permission, "projects", "permission-check", json!({}));
    let subject = inst["service_account"]["id"].as_str().unwrap().to_string();
    let bearer = token.body["access_token"].as_str().unwrap().to_string();
    let evaluate = |project: &'static str| {
        let (url, bearer, subject) = (
            format!("{}/access/v1/evaluation", server.issuer("acme")),
            bearer.clone(),
            subject.clone(),
        );
        async move {
            let r = http()
                .post(url)
                .bearer_auth(bearer)
                .json(
                    &json!({"subject": {"type": "service_account", "id": subject},
                              "action": {"name": "documents:write"},
                              "resource": {"type": "project", "id": project}}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    assert!(
        eventually(Duration::from_secs(10), || async {
            evaluate("p1").await["decision"] == true
        })
        .await,
        "{lang:?}: {}",
        evaluate("p1").await
    );
    assert_eq!(
        evaluate("p1").await["context"]["reason"],
        "docs-sync holds documents:write on project p1"
    );
    let p2 = evaluate("p2").await;
    assert_eq!(p2["decision"], false);
    assert_eq!(
        p2["context"]["reason"],
        "docs-sync may not touch project p2"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_kits_decide_tokens_permissions_and_deliveries() {
    kits_run_in_the_server(Lang::Rust).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_kits_decide_tokens_permissions_and_deliveries() {
    kits_run_in_the_server(Lang::Python).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn javascript_kits_decide_tokens_permissions_and_deliveries() {
    kits_run_in_the_server(Lang::Js).await;
}

/// The install-policy kits build and decide too (through `plugin test`).
#[test]
fn install_policy_kits_build_and_decide() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("install.json");
    std::fs::write(
        &input,
        json!({"kind": "install", "tenant": "acme", "app": "docs-sync", "app_name": "Docs Sync",
               "version": 1, "publisher": {"name": "Acme"}, "listed": false,
               "permissions": [{"name": "files:write", "level": "tenant", "description": "Write", "required": false}],
               "approving": ["files:write"], "resources": "all", "actor": "ada", "request_time": 1795000000})
        .to_string(),
    )
    .unwrap();
    for lang in [Lang::Rust, Lang::Python, Lang::Js] {
        let wasm = kit(lang, "install-policy");
        let test = |config: &str| {
            let out = run_plugin_test(
                dir.path(),
                &wasm,
                "install-policy",
                &input,
                &["--config", config],
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice::<Value>(&out.stdout).unwrap()
        };
        let denied = test(r#"{"listed_only": true}"#);
        assert!(
            denied.to_string().contains("not in the platform's catalog"),
            "{lang:?}: {denied}"
        );
        let trimmed = test(r#"{"withheld_permissions": ["files:write"]}"#);
        assert!(
            trimmed.to_string().contains("files:write"),
            "{lang:?}: {trimmed}"
        );
    }
}

/// The registration-policy kits build and decide too: a redirect URI off
/// the allowed hosts is dropped, none left is a refusal, scopes narrowed.
#[test]
fn registration_policy_kits_build_and_decide() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("registration.json");
    std::fs::write(
        &input,
        json!({"kind": "dynamic", "tenant": "acme", "client_name": "Tool",
               "redirect_uris": ["http://127.0.0.1:4000/cb", "https://elsewhere.example/cb"],
               "grant_types": ["authorization_code"], "scopes": ["openid", "read", "write"],
               "token_endpoint_auth_method": "none", "metadata": {}, "source": "203.0.113.7",
               "request_time": 1795000000})
        .to_string(),
    )
    .unwrap();
    for lang in [Lang::Rust, Lang::Python, Lang::Js] {
        let wasm = kit(lang, "registration-policy");
        let test = |config: &str| {
            let out = run_plugin_test(
                dir.path(),
                &wasm,
                "registration-policy",
                &input,
                &["--config", config],
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice::<Value>(&out.stdout).unwrap()
        };
        let narrowed = test(r#"{"redirect_hosts": ["127.0.0.1"], "scopes": ["openid", "read"]}"#);
        assert_eq!(
            narrowed,
            json!({"decision": "allow", "redirect_uris": ["http://127.0.0.1:4000/cb"],
                   "grant_types": ["authorization_code"], "scopes": ["openid", "read"]}),
            "{lang:?}"
        );
        let denied = test(r#"{"redirect_hosts": ["tools.example"]}"#);
        assert_eq!(denied["decision"], "deny", "{lang:?}: {denied}");
        assert!(
            denied.to_string().contains("tools.example"),
            "{lang:?}: {denied}"
        );
    }
}

/// Loops, memory growth and exceptions fail closed in every language, with
/// the reason the author needs.
#[test]
fn hostile_python_and_javascript_plugins_fail_closed() {
    for build in ["python", "qjs", "starlingmonkey"] {
        let wasm = hostile(build);
        let (ok, decision, err) = plugin_test(&wasm, "\"ok\"", &[]);
        assert!(ok, "{build}: {err}");
        assert_eq!(decision["scopes"], json!(["read", "admin"]), "{build}");
        for (mode, kind) in [("loop", "timeout"), ("memory", "memory"), ("throw", "trap")] {
            // Growing memory is what must stop the memory mode, not the
            // deadline, which a loaded machine can reach first.
            let extra: &[&str] = if mode == "memory" {
                &["--deadline-ms", "2000"]
            } else {
                &[]
            };
            let (ok, _, err) = plugin_test(&wasm, &format!("\"{mode}\""), extra);
            assert!(
                !ok && err.contains(&format!("plugin failed closed ({kind})")),
                "{build} {mode}: {err}"
            );
        }
    }
    // A runtime that needs more memory to start than the ceiling allows is
    // refused before it runs, saying how much it needs.
    let (ok, _, err) = plugin_test(&hostile("python"), "\"ok\"", &["--memory-mib", "8"]);
    assert!(
        !ok && err.contains("needs more memory to start") && err.contains("--memory-mib"),
        "{err}"
    );
    // Files are not there for Python either.
    let (ok, _, err) = plugin_test(&hostile("python"), "\"file\"", &[]);
    assert!(!ok && err.contains("plugin failed closed"), "{err}");
    // StarlingMonkey's default build imports wasi:http: it loads, and using
    // the network fails the call, naming what was refused.
    let (ok, _, err) = plugin_test(&hostile("starlingmonkey"), "\"fetch\"", &[]);
    assert!(
        !ok && err.contains("does not grant") && err.contains("wasi:http"),
        "{err}"
    );
}

/// A hostile Python policy bound in the server refuses the tenant's tokens
/// with server_error, and the tenant next door is served.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_python_policy_refuses_its_tenant_only() {
    let wasm = hostile("python");
    let db = Db::new(Backend::Sqlite).await.unwrap();
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    let (a, a_secret) = db.create_client("acme", "read", &[]);
    let (g, g_secret) = db.create_client("globex", "read", &[]);
    let server = start_server(&db).await;
    // StarlingMonkey's default build: added, naming what the sandbox does not grant.
    let sm = cli_json(
        &db,
        &[
            "plugin",
            "add",
            hostile("starlingmonkey").to_str().unwrap(),
            "--name",
            "sm",
        ],
    );
    let ungranted = sm["ungranted_imports"].to_string();
    assert!(ungranted.contains("wasi:http/types@"), "{sm}");
    add_and_bind(&db, &wasm, "hostile", "grant-policy", json!("throw"));
    let cc = [("grant_type", "client_credentials")];
    let acme = format!("{}/token", server.issuer("acme"));
    assert!(
        eventually(Duration::from_secs(10), || async {
            post_form(&acme, Some((&a, &a_secret)), &cc).await.status == 500
        })
        .await
    );
    post_form(&acme, Some((&a, &a_secret)), &cc)
        .await
        .assert_error(500, "server_error");
    let r = post_form(
        &format!("{}/token", server.issuer("globex")),
        Some((&g, &g_secret)),
        &cc,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}
