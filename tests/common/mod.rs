//! Black-box harness: real `warden` binary, real HTTP, real SQLite files and
//! real PostgreSQL databases (one fresh database per test).
#![allow(dead_code)]

use base64::Engine;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

pub mod apps;
pub mod apps_cli;
pub mod authorization_code;
pub mod code_flow;
pub mod console;
pub mod scrape;
#[allow(unused_imports)]
pub use code_flow::{Flow, query_of};
#[allow(unused_imports)]
pub use scrape::Scrape;

pub const BIN: &str = env!("CARGO_BIN_EXE_warden");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a scenario once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(db) = $crate::common::Db::new($crate::common::Backend::Sqlite).await {
                    super::$name(db).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::common::Db::new($crate::common::Backend::Postgres).await {
                    super::$name(db).await
                }
            }
        }
    )*};
}

/// A database for one test, removed afterwards.
pub struct Db {
    pub backend: Backend,
    pub url: String,
    pub master_key: String,
    pub dir: tempfile::TempDir,
    pg_admin: Option<(String, String)>,
}

pub fn postgres_url() -> String {
    std::env::var("WARDEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn random_name() -> String {
    let bytes: [u8; 8] = rand_bytes();
    hex::encode(bytes)
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut b = [0u8; N];
    ring::rand::SystemRandom::new().fill(&mut b).unwrap();
    b
}

impl Db {
    /// `None` when PostgreSQL is unreachable and not required (prints why).
    pub async fn new(backend: Backend) -> Option<Db> {
        let dir = tempfile::tempdir().unwrap();
        let master_key = base64::engine::general_purpose::STANDARD.encode(rand_bytes::<32>());
        match backend {
            Backend::Sqlite => Some(Db {
                backend,
                url: format!("sqlite://{}/warden.db", dir.path().display()),
                master_key,
                dir,
                pg_admin: None,
            }),
            Backend::Postgres => {
                let admin_url = postgres_url();
                let pool = match sqlx::PgPool::connect(&admin_url).await {
                    Ok(p) => p,
                    Err(e) => {
                        if std::env::var("WARDEN_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                            panic!(
                                "PostgreSQL is required (WARDEN_REQUIRE_POSTGRES=1) but unreachable at {admin_url}: {e}"
                            );
                        }
                        eprintln!(
                            "SKIPPED PostgreSQL half: cannot reach {admin_url} ({e}); set WARDEN_TEST_POSTGRES_URL"
                        );
                        return None;
                    }
                };
                let name = format!("warden_t_{}", random_name());
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                let mut url = url::Url::parse(&admin_url).unwrap();
                url.set_path(&name);
                Some(Db {
                    backend,
                    url: url.to_string(),
                    master_key,
                    dir,
                    pg_admin: Some((admin_url, name)),
                })
            }
        }
    }

    /// Environment every `warden` process of this test gets.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("WARDEN_DATABASE_URL".into(), self.url.clone()),
            ("WARDEN_MASTER_KEY".into(), self.master_key.clone()),
            ("WARDEN_CACHE_REFRESH_MS".into(), "200".into()),
        ]
    }

    /// Runs a CLI command against this database.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli_with(self.dir.path(), &self.env(), args)
    }

    /// Runs a CLI command that must succeed with `--json`, returning its output.
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.cli(&all);
        assert!(
            out.status.success(),
            "warden {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "warden {args:?} printed non-JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    pub fn create_tenant(&self, slug: &str, extra: &[&str]) -> Value {
        let mut args = vec!["tenant", "create", slug];
        args.extend_from_slice(extra);
        self.cli_json(&args)
    }

    /// Creates a client and returns (client_id, client_secret).
    pub fn create_client(&self, tenant: &str, scopes: &str, extra: &[&str]) -> (String, String) {
        let mut args = vec![
            "client",
            "create",
            "--tenant",
            tenant,
            "--name",
            "test-app",
            "--grant-types",
            "client_credentials",
            "--scopes",
            scopes,
        ];
        args.extend_from_slice(extra);
        let v = self.cli_json(&args);
        (
            v["client_id"].as_str().unwrap().into(),
            v["client_secret"].as_str().unwrap().into(),
        )
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_admin.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&pool)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// `warden` with a clean environment (no inherited WARDEN_*) in `dir`.
pub fn command(dir: &Path, env: &[(String, String)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("WARDEN_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    cmd
}

pub fn cli_with(dir: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    command(dir, env).args(args).output().expect("run warden")
}

/// A running `warden serve`, killed when dropped.
pub struct Server {
    child: tokio::process::Child,
    pub base: String,
    pub log: PathBuf,
    pub stdout: String,
}

impl Server {
    pub async fn start(db: &Db) -> Server {
        Self::start_with(db, &[], &[]).await
    }

    pub async fn start_with(db: &Db, extra_env: &[(&str, &str)], args: &[&str]) -> Server {
        let mut env = db.env();
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        Self::spawn(db.dir.path(), &env, args).await
    }

    pub async fn spawn(dir: &Path, env: &[(String, String)], args: &[&str]) -> Server {
        let log = dir.join(format!("serve-{}.log", random_name()));
        let mut cmd = tokio::process::Command::from(command(dir, env));
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("spawn warden serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut stdout = String::new();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    return addr.to_string();
                }
                stdout.push_str(&line);
                stdout.push('\n');
            }
            panic!(
                "warden exited before listening: {}\n{}",
                stdout,
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        })
        .await
        .expect("warden did not start listening within 60 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server {
            child,
            base,
            log,
            stdout,
        }
    }

    pub fn issuer(&self, tenant: &str) -> String {
        format!("{}/t/{tenant}", self.base)
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// A clean shutdown (SIGTERM), waiting for the process to exit.
    pub async fn stop(mut self) {
        let pid = self.child.id().expect("server running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success());
        let exited = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        assert!(
            matches!(exited, Ok(Ok(s)) if s.success()),
            "a clean shutdown exits 0: {exited:?}"
        );
    }
}

/// Every test client starts here: reqwest's rustls needs a crypto provider
/// installed (ring, as in the server) before the first client is built.
pub fn client_builder() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

pub fn http() -> reqwest::Client {
    client_builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

/// A response reduced to what the tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn from(r: reqwest::Response) -> Reply {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 6749 §5.2 error body with this status and code.
    pub fn assert_error(&self, status: u16, error: &str) {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(self.body["error"], error, "body: {}", self.text);
        assert!(
            self.body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "body: {}",
            self.text
        );
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }
}

/// POSTs a form with Basic client authentication.
pub async fn post_form(url: &str, auth: Option<(&str, &str)>, form: &[(&str, &str)]) -> Reply {
    let mut req = http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode_form(form));
    if let Some((id, secret)) = auth {
        req = req.header("authorization", basic(id, secret));
    }
    Reply::from(req.send().await.unwrap()).await
}

pub fn encode_form(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub async fn get_json(url: &str) -> Reply {
    Reply::from(http().get(url).send().await.unwrap()).await
}

/// Gets a client_credentials token, asserting success.
pub async fn token(
    server: &Server,
    tenant: &str,
    id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> Value {
    let mut f = vec![("grant_type", "client_credentials")];
    f.extend_from_slice(form);
    let r = post_form(
        &format!("{}/token", server.issuer(tenant)),
        Some((id, secret)),
        &f,
    )
    .await;
    assert_eq!(r.status, 200, "token request failed: {}", r.text);
    r.body
}

/// Verifies a JWT with keys fetched from the tenant's JWKS (via discovery),
/// independently of the server's own verification code.
pub async fn verify_with_jwks(server: &Server, tenant: &str, token: &str) -> Value {
    let meta = get_json(&format!(
        "{}/.well-known/openid-configuration",
        server.issuer(tenant)
    ))
    .await;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(get_json(meta.body["jwks_uri"].as_str().unwrap()).await.body)
            .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let kid = header.kid.expect("kid in header");
    let jwk = jwks
        .find(&kid)
        .unwrap_or_else(|| panic!("kid {kid} not in JWKS"));
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.validate_aud = false;
    v.set_issuer(&[server.issuer(tenant)]);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .expect("JWT verifies with the JWKS key")
        .claims
}

/// Polls `check` until it holds or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Builds the example plugins and the hostile test plugins for wasm32-wasip2
/// (once per test binary) and returns the path of `name`.wasm.
pub fn plugin_wasm(name: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    BUILT.get_or_init(|| {
        // A fresh machine may lack the target; rustup makes this a no-op when present.
        let _ = std::process::Command::new("rustup")
            .args(["target", "add", "wasm32-wasip2"])
            .output();
        for workspace in ["plugins", "tests/plugins"] {
            // Run inside the workspace so its .cargo/config.toml (stack size) applies.
            // Into the workspace's own target dir, whatever CARGO_TARGET_DIR says.
            let target_dir = root.join(workspace).join("target");
            let out = std::process::Command::new(env!("CARGO"))
                .args([
                    "build",
                    "--release",
                    "--target",
                    "wasm32-wasip2",
                    "--target-dir",
                ])
                .arg(&target_dir)
                .current_dir(root.join(workspace))
                .output()
                .expect("run cargo to build plugins");
            assert!(
                out.status.success(),
                "building {workspace} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
    for workspace in ["plugins", "tests/plugins"] {
        let p = root
            .join(workspace)
            .join("target/wasm32-wasip2/release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        if p.exists() {
            return p;
        }
    }
    panic!("no plugin named {name}");
}

/// Adds the plugin `plugin` (built by `plugin_wasm`) to the registry as
/// `name` and binds it to the tenant's `hook` with `config`.
pub fn add_and_bind_plugin(
    db: &Db,
    tenant: &str,
    hook: &str,
    plugin: &str,
    name: &str,
    config: &str,
) {
    let wasm = plugin_wasm(plugin);
    db.cli_json(&["plugin", "add", wasm.to_str().unwrap(), "--name", name]);
    db.cli_json(&[
        "plugin", "bind", "--tenant", tenant, "--hook", hook, "--plugin", name, "--config", config,
    ]);
}

/// The admin API's bearer token the tests configure (`WARDEN_ADMIN_TOKEN`).
pub const ADMIN_TOKEN: &str = "operator-credential-0123456789abcdef";

/// The admin API of a running server, as the operator calls it.
pub struct AdminApi {
    pub base: String,
}

impl AdminApi {
    pub fn of(server: &Server) -> AdminApi {
        AdminApi {
            base: server.base.clone(),
        }
    }
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = http()
            .request(method, format!("{}/admin/v1{path}", self.base))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        Reply::from(req.send().await.unwrap()).await
    }
    pub async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None).await
    }
    /// Every row of a paged list, following each page's `next` as a client
    /// would (each page checked: 200, `items`, `next`, a `Link` to the next).
    pub async fn list(&self, path: &str) -> Value {
        let mut rows = Vec::new();
        let mut url = path.to_string();
        loop {
            let r = self.get(&url).await;
            assert_eq!(r.status, 200, "GET {url}: {}", r.text);
            rows.extend(r.body["items"].as_array().expect("items").iter().cloned());
            match r.body["next"].as_str() {
                None => {
                    assert!(r.body["next"].is_null(), "{}", r.text);
                    assert_eq!(r.header("link"), None, "a Link on the last page");
                    return Value::Array(rows);
                }
                Some(next) => {
                    let link = r.header("link").unwrap_or_default();
                    assert!(
                        link.contains(next) && link.ends_with("rel=\"next\""),
                        "{link}"
                    );
                    let sep = if path.contains('?') { '&' } else { '?' };
                    url = format!("{path}{sep}cursor={next}");
                }
            }
        }
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

/// One request a `Receiver` got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("delivery body is not JSON ({e}): {}", self.body))
    }

    /// Checks `Warden-Signature: t=…,v1=…[,v1=…]` as an integrator would:
    /// HMAC-SHA256 of "{t}.{body}" under the signing secret, compared in
    /// constant time against each `v1` (more than one while a rotated secret's
    /// overlap lasts).
    /// Whether a `v1` Standard Webhooks signature verifies with `secret` (`whsec_…`).
    pub fn standard_signature_valid(&self, secret: &str) -> bool {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let key = b64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
        let signed = format!(
            "{}.{}.{}",
            self.header("webhook-id"),
            self.header("webhook-timestamp"),
            self.body
        );
        self.header("webhook-signature").split(' ').any(|sig| {
            sig.strip_prefix("v1,")
                .and_then(|s| b64.decode(s).ok())
                .is_some_and(|tag| ring::hmac::verify(&key, signed.as_bytes(), &tag).is_ok())
        })
    }

    pub fn signature_valid(&self, signing_secret: &str) -> bool {
        let sig = self.header("warden-signature");
        let mut t = None;
        let mut v1s = Vec::new();
        for part in sig.split(',') {
            match part.split_once('=') {
                Some(("t", x)) => t = Some(x),
                Some(("v1", x)) => v1s.extend(hex::decode(x).ok()),
                _ => {}
            }
        }
        let Some(t) = t else {
            return false;
        };
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, signing_secret.as_bytes());
        let signed = format!("{t}.{}", self.body);
        v1s.iter()
            .any(|v1| ring::hmac::verify(&key, signed.as_bytes(), v1).is_ok())
    }

    /// How many `v1` signatures the delivery carries.
    pub fn signature_count(&self) -> usize {
        self.header("warden-signature").matches("v1=").count()
    }
}

/// How a `Receiver` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Ok,
    Fail,
    /// Holds the request open without answering.
    Hang,
}

/// A webhook receiver on a real port that records every request and
/// answers as told — an integrator's endpoint.
pub struct Receiver {
    pub origin: String,
    pub port: u16,
    pub received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    answer: std::sync::Arc<std::sync::Mutex<Answer>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    pub async fn start(answer: Answer) -> Receiver {
        Self::start_on(0, answer).await
    }

    pub async fn start_on(port: u16, answer: Answer) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind receiver");
        let port = listener.local_addr().unwrap().port();
        let mut r = Receiver {
            origin: format!("http://127.0.0.1:{port}"),
            port,
            received: Default::default(),
            answer: std::sync::Arc::new(std::sync::Mutex::new(answer)),
            task: None,
        };
        r.serve(listener);
        r
    }

    /// A port nothing listens on yet: the receiver is down.
    pub async fn down() -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        Receiver {
            origin: format!("http://127.0.0.1:{port}"),
            port,
            received: Default::default(),
            answer: std::sync::Arc::new(std::sync::Mutex::new(Answer::Ok)),
            task: None,
        }
    }

    /// Starts listening on the receiver's port.
    pub async fn up(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind receiver port");
        self.serve(listener);
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        use axum::http::HeaderMap;
        let received = self.received.clone();
        let answer = self.answer.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
            let received = received.clone();
            let answer = *answer.lock().unwrap();
            async move {
                let headers = headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                received.lock().unwrap().push(Received { headers, body });
                match answer {
                    Answer::Ok => axum::http::StatusCode::OK,
                    Answer::Fail => axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    Answer::Hang => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        axum::http::StatusCode::OK
                    }
                }
            }
        });
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    pub fn answer(&self, a: Answer) {
        *self.answer.lock().unwrap() = a;
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let ok = eventually(within, || async {
            self.received.lock().unwrap().len() >= n
        })
        .await;
        let all = self.all();
        assert!(
            ok,
            "expected {n} deliveries within {within:?}, got {}",
            all.len()
        );
        all
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// Runs a CLI command with `input` on standard input.
pub fn cli_stdin(db: &Db, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = command(db.dir.path(), &db.env())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run warden");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Creates a user with `password`, returning the user's id.
pub fn create_user(
    db: &Db,
    tenant: &str,
    username: &str,
    password: &str,
    extra: &[&str],
) -> String {
    let mut args = vec![
        "user",
        "create",
        "--tenant",
        tenant,
        "--username",
        username,
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = cli_stdin(db, &args, &format!("{password}\n"));
    assert!(
        out.status.success(),
        "user create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// A browser-like HTTP client: keeps cookies, does not follow redirects.
pub fn browser() -> reqwest::Client {
    client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The value of a hidden form field in an HTML page.
pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in page:\n{html}"))
        + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// An RFC 7636 verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand_bytes::<32>());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
    (verifier, challenge)
}

/// The npm test dependencies (openid-client, playwright-core), installed
/// once per test binary from the committed lockfile.
pub fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js")
}

pub fn npm_install() {
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        if js_dir().join("node_modules/openid-client").exists()
            && js_dir().join("node_modules/playwright-core").exists()
            && js_dir().join("node_modules/axe-core").exists()
            && js_dir().join("node_modules/jose").exists()
        {
            return;
        }
        let out = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(js_dir())
            .output()
            .expect("npm is needed for the third-party client and browser tests (Node.js 20+)");
        assert!(
            out.status.success(),
            "npm ci failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// Debian's Chromium, which the browser tests drive.
pub fn chromium() -> String {
    let path = std::env::var("WARDEN_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&path).exists(),
        "the browser tests need Chromium at {path}: apt-get install chromium chromium-driver (or set WARDEN_TEST_CHROMIUM)"
    );
    path
}

/// Runs a script in tests/js with `env`; returns the JSON of its last line.
pub async fn run_js(script: &str, env: &[(&str, String)]) -> Value {
    npm_install();
    let out = tokio::process::Command::new("node")
        .arg(js_dir().join(script))
        .envs(env.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}):\n{stdout}"))
}

pub fn py_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/py")
}

/// The interpreter of tests/py/.venv, built from requirements.txt the first
/// time (and whenever requirements.txt changes). Test processes that start at
/// once (nextest runs each test in its own) take turns on a lock file; the one
/// that builds does so in a directory of its own and renames it into place, so
/// no process ever uses half a virtualenv, even after a build was killed.
pub fn python() -> &'static std::path::Path {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| {
        let dir = py_dir();
        let venv = dir.join(".venv");
        let wanted = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
        let built = |v: &std::path::Path| {
            std::fs::read_to_string(v.join("requirements.txt")).is_ok_and(|r| r == wanted)
        };
        let lock = std::fs::File::create(dir.join(".venv.lock")).unwrap();
        lock.lock().unwrap();
        if !built(&venv) {
            let fresh = dir.join(format!(".venv-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&fresh);
            let run = |cmd: &mut std::process::Command, what: &str| {
                let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
                assert!(
                    out.status.success(),
                    "{what} failed:\n{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            run(
                std::process::Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&fresh),
                "python3 -m venv (the client-library tests need Python 3 with venv: \
                 apt-get install python3 python3-venv)",
            );
            run(
                std::process::Command::new(fresh.join("bin/python"))
                    .args(["-m", "pip", "install", "--quiet", "--no-input"])
                    .args(["--disable-pip-version-check", "-r"])
                    .arg(dir.join("requirements.txt")),
                "pip install -r tests/py/requirements.txt",
            );
            std::fs::write(fresh.join("requirements.txt"), &wanted).unwrap();
            let _ = std::fs::remove_dir_all(&venv);
            std::fs::rename(&fresh, &venv).unwrap();
        }
        drop(lock);
        venv.join("bin/python")
    })
}

/// Runs a script in tests/py with `env`; returns the JSON of its last line.
pub async fn run_py(script: &str, env: &[(&str, String)]) -> Value {
    let python = python();
    let out = tokio::process::Command::new(python)
        .arg(py_dir().join(script))
        .envs(env.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}):\n{stdout}"))
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Db {
    /// `sqlite` or `postgres`, for file names.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}
