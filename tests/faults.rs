//! An operator's bad day, through the real binary: the disk holding SQLite
//! fills up mid-load and frees again; idle and half-sent connections pile up;
//! the server is stopped with a request under way.

mod common;
use common::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A small tmpfs the test mounts, so the database's disk really fills up.
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (the test says it is skipped) where this process may not mount;
    /// CI runs as root, where a failed mount fails the test.
    fn mount(mib: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        if !out.status.success() {
            assert!(
                !is_root(),
                "mounting a tmpfs as root failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            eprintln!("SKIPPED: a full disk needs a tmpfs mount, which needs root");
            return None;
        }
        Some(SmallDisk {
            path: dir.path().to_path_buf(),
            _dir: dir,
        })
    }

    /// Writes a file until the disk is full; returns its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0x5a_u8; 64 * 1024];
        loop {
            match f.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        // Single bytes too, so not even one page is left.
        while f.write(&[0]).is_ok_and(|n| n == 1) {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// Alice's refresh token for a client of `acme`, through login and consent.
async fn refresh_token(server: &Server, client_id: &str, secret: &str) -> String {
    let flow = Flow {
        issuer: server.issuer("acme"),
        client_id: client_id.into(),
        browser: browser(),
    };
    let body = flow
        .tokens("acme", "alice", PASSWORD, REDIRECT, "read", secret)
        .await;
    body["refresh_token"].as_str().unwrap().to_string()
}

async fn refresh(server: &Server, id: &str, secret: &str, token: &str) -> Reply {
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((id, secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

/// Creates client `name` through the admin API: true if answered 201, false
/// if refused as storage trouble (a 503 problem document); never anything else.
async fn create_client(api: &AdminApi, name: &str) -> bool {
    let r = api
        .post(
            "/tenants/acme/clients",
            json!({"name": name, "scopes": "read"}),
        )
        .await;
    match r.status {
        201 => true,
        503 => {
            assert_eq!(
                r.header("content-type"),
                Some("application/problem+json"),
                "{}",
                r.text
            );
            false
        }
        other => panic!("creating {name} answered {other}: {}", r.text),
    }
}

/// Admin writes from several clients at once, until stopped.
struct Writers {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<(String, bool, Duration)>>>,
}

impl Writers {
    fn start(server: &Server, n: usize) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..n)
            .map(|w| {
                let api = AdminApi::of(server);
                let stop = stop.clone();
                tokio::spawn(async move {
                    let mut done = Vec::new();
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let name = format!("w{w}-{i}");
                        let t = Instant::now();
                        let ok = create_client(&api, &name).await;
                        done.push((name, ok, t.elapsed()));
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    done
                })
            })
            .collect();
        Writers { stop, tasks }
    }

    /// (acknowledged, refused, the slowest answer)
    async fn finish(self) -> (Vec<String>, Vec<String>, Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let (mut acked, mut refused, mut slowest) = (Vec::new(), Vec::new(), Duration::ZERO);
        for t in self.tasks {
            for (name, ok, took) in t.await.unwrap() {
                slowest = slowest.max(took);
                if ok {
                    acked.push(name)
                } else {
                    refused.push(name)
                }
            }
        }
        (acked, refused, slowest)
    }
}

async fn ready(server: &Server) -> u16 {
    http()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Polls a refresh of `token` until it answers 200 (every other answer a
/// clear 503); returns the new refresh token and how long it took.
async fn refresh_until_ok(
    server: &Server,
    id: &str,
    secret: &str,
    token: &str,
    within: Duration,
) -> (String, Duration) {
    let started = Instant::now();
    while started.elapsed() < within {
        let r = refresh(server, id, secret, token).await;
        if r.status == 200 {
            return (
                r.body["refresh_token"].as_str().unwrap().to_string(),
                started.elapsed(),
            );
        }
        assert_eq!(r.status, 503, "{}", r.text);
        assert_eq!(r.body["error"], "temporarily_unavailable", "{}", r.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("refresh did not answer 200 within {within:?}");
}

async fn client_names(db_path: &Path) -> (String, Vec<String>) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .unwrap();
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    let names: Vec<(String,)> = sqlx::query_as("SELECT name FROM clients")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    (check, names.into_iter().map(|(n,)| n).collect())
}

/// The tenant, alice, and a code-flow client with refresh tokens, made with the CLI.
fn setup(db: &Db) -> (String, String) {
    db.create_tenant("acme", &[]);
    create_user(db, "acme", "alice", PASSWORD, &[]);
    let app = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Sync App",
        "--grant-types",
        "authorization_code,refresh_token",
        "--scopes",
        "read",
        "--redirect-uri",
        REDIRECT,
    ]);
    (
        app["client_id"].as_str().unwrap().to_string(),
        app["client_secret"].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_never_acknowledges_a_lost_write_and_storage_recovers_by_itself() {
    let Some(disk) = SmallDisk::mount(16) else {
        return;
    };
    let mut db = Db::new(Backend::Sqlite).await.unwrap();
    let db_path = disk.path.join("warden.db");
    db.url = format!("sqlite://{}", db_path.display());
    let (id, secret) = setup(&db);
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let api = AdminApi::of(&server);
    let in_use = refresh_token(&server, &id, &secret).await;
    let untouched = refresh_token(&server, &id, &secret).await;
    for i in 0..3 {
        assert!(
            create_client(&api, &format!("before-{i}")).await,
            "the disk has room yet"
        );
    }

    // The disk fills up under three writers, stays full a while, and frees.
    let writers = Writers::start(&server, 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let filler = disk.fill();
    tokio::time::sleep(Duration::from_millis(700)).await;
    // The refresh grant answers in bounded time: a token, or a clear 503.
    let started = Instant::now();
    let r = refresh(&server, &id, &secret, &in_use).await;
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "refresh on a full disk took {:?}",
        started.elapsed()
    );
    let in_use = match r.status {
        200 => r.body["refresh_token"].as_str().unwrap().to_string(),
        503 => {
            assert_eq!(r.body["error"], "temporarily_unavailable", "{}", r.text);
            in_use
        }
        other => panic!("refresh on a full disk answered {other}: {}", r.text),
    };
    assert_eq!(ready(&server).await, 503, "not ready while writes fail");

    std::fs::remove_file(&filler).unwrap();
    // Storage recovers by itself: no restart.
    let (_, back) =
        refresh_until_ok(&server, &id, &secret, &untouched, Duration::from_secs(5)).await;
    eprintln!("refresh answered 200 again {back:?} after space returned");
    refresh_until_ok(&server, &id, &secret, &in_use, Duration::from_secs(1)).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (mut acked, refused, slowest) = writers.finish().await;
    eprintln!(
        "under load: {} acknowledged, {} refused, slowest answer {slowest:?}",
        acked.len(),
        refused.len()
    );
    assert!(!refused.is_empty(), "a full disk refuses writes");
    assert!(
        slowest < Duration::from_secs(12),
        "slowest admin write {slowest:?}"
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            ready(&server).await == 200
        })
        .await,
        "ready again once writes succeed"
    );
    for i in 0..3 {
        let name = format!("after-{i}");
        assert!(create_client(&api, &name).await, "space is back");
        acked.push(name);
    }
    server.stop().await;

    let (check, names) = client_names(&db_path).await;
    assert_eq!(check, "ok");
    for name in &acked {
        assert!(
            names.contains(name),
            "{name} was answered 201 but is not stored"
        );
    }
    for name in &refused {
        assert!(!names.contains(name), "{name} was refused but is stored");
    }
    // A restart sees the same.
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let listed = api_names(&AdminApi::of(&server)).await;
    for name in &acked {
        assert!(listed.contains(name), "{name} is listed after a restart");
    }
    server.stop().await;
}

/// A PostgreSQL cluster of the test's own, so it can be stopped and started.
struct OwnPostgres {
    dir: tempfile::TempDir,
    port: u16,
}

impl OwnPostgres {
    /// `None` (the test says it is skipped) without PostgreSQL's server binaries.
    fn start() -> Option<OwnPostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .find(|b| b.join("initdb").exists());
        let Some(bin) = bin else {
            assert!(
                std::env::var("WARDEN_REQUIRE_POSTGRES").is_err(),
                "PostgreSQL's server binaries are required (WARDEN_REQUIRE_POSTGRES=1)"
            );
            eprintln!("SKIPPED: no PostgreSQL server binaries under /usr/lib/postgresql");
            return None;
        };
        if !is_root() {
            eprintln!(
                "SKIPPED: a cluster of the test's own runs as the postgres user, which needs root"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        // initdb refuses root; the cluster belongs to the postgres user.
        assert!(
            std::process::Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .unwrap()
                .success()
        );
        let pg = OwnPostgres {
            dir,
            port: free_port(),
        };
        pg.run(
            &bin,
            "initdb",
            &["-D", &pg.data(), "-A", "trust", "-U", "postgres"],
        );
        std::fs::write(bin_marker(&pg.dir), bin.to_str().unwrap()).unwrap();
        pg.up();
        Some(pg)
    }

    fn data(&self) -> String {
        format!("{}/data", self.dir.path().display())
    }

    fn bin(&self) -> PathBuf {
        PathBuf::from(std::fs::read_to_string(bin_marker(&self.dir)).unwrap())
    }

    fn run(&self, bin: &Path, tool: &str, args: &[&str]) {
        let out = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(bin.join(tool))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn up(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = format!("{}/log", self.dir.path().display());
        self.run(
            &self.bin(),
            "pg_ctl",
            &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
        );
    }

    fn down(&self) {
        self.run(
            &self.bin(),
            "pg_ctl",
            &["-D", &self.data(), "-m", "fast", "-w", "stop"],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

fn bin_marker(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("bin-path")
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin().join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_mid_load_loses_nothing_acknowledged() {
    let Some(pg) = OwnPostgres::start() else {
        return;
    };
    let mut db = Db::new(Backend::Sqlite).await.unwrap();
    db.url = pg.url();
    let (id, secret) = setup(&db);
    let (cc_id, cc_secret) = db.create_client("acme", "read", &[]);
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let untouched = refresh_token(&server, &id, &secret).await;
    // A client in use is in the directory's memory by the time the database goes.
    token(&server, "acme", &cc_id, &cc_secret, &[("scope", "read")]).await;
    for i in 0..3 {
        assert!(create_client(&AdminApi::of(&server), &format!("before-{i}")).await);
    }

    let writers = Writers::start(&server, 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    pg.down();
    // Tokens that need no database keep coming while it is down.
    let outage = Instant::now();
    let mut issued = 0;
    while outage.elapsed() < Duration::from_secs(2) {
        let r = post_form(
            &format!("{}/token", server.issuer("acme")),
            Some((&cc_id, &cc_secret)),
            &[("grant_type", "client_credentials"), ("scope", "read")],
        )
        .await;
        assert_eq!(
            r.status, 200,
            "client_credentials during the outage: {}",
            r.text
        );
        issued += 1;
    }
    assert_eq!(
        ready(&server).await,
        503,
        "not ready while the database is down"
    );
    pg.up();
    let (_, back) =
        refresh_until_ok(&server, &id, &secret, &untouched, Duration::from_secs(10)).await;
    eprintln!(
        "{issued} client_credentials tokens during the outage; refresh answered 200 {back:?} after PostgreSQL was back"
    );
    assert!(
        back < Duration::from_secs(5),
        "refresh back {back:?} after PostgreSQL"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (acked, refused, slowest) = writers.finish().await;
    eprintln!(
        "under load: {} acknowledged, {} refused, slowest answer {slowest:?}",
        acked.len(),
        refused.len()
    );
    // Writes during the outage wait for a connection (up to the pool's 5 s)
    // and then succeed, or answer a clear 503: both are fine, a hang is not.
    assert!(!acked.is_empty(), "writes go on after PostgreSQL is back");
    assert!(
        slowest < Duration::from_secs(12),
        "slowest admin write {slowest:?}"
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            ready(&server).await == 200
        })
        .await,
        "ready again once the database is back"
    );
    let listed = api_names(&AdminApi::of(&server)).await;
    for name in &acked {
        assert!(
            listed.contains(name),
            "{name} was answered 201 but is not stored"
        );
    }
    server.stop().await;
}

async fn api_names(api: &AdminApi) -> Vec<String> {
    api.list("/tenants/acme/clients")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Opens `n` connections that send nothing, or a request's first line only.
async fn open_connections(base: &str, n: usize, partial: bool) -> Vec<tokio::net::TcpStream> {
    let addr = base.trim_start_matches("http://");
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        if partial {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
        }
        all.push(s);
    }
    all
}

/// How many of `conns` the server has closed (a read answers EOF or an error).
fn closed(conns: &[tokio::net::TcpStream]) -> usize {
    let mut buf = [0u8; 512];
    conns
        .iter()
        .filter(|s| match s.try_read(&mut buf) {
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
            // EOF, or an error answer before the close.
            Ok(_) => true,
        })
        .count()
}

/// Waits up to `within` for all of `conns` to be closed; returns how many were.
async fn all_closed(conns: &[tokio::net::TcpStream], within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        let n = closed(conns);
        if n == conns.len() || Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_both_backends!(idle_and_half_sent_connections_are_closed_while_tokens_keep_flowing);

async fn idle_and_half_sent_connections_are_closed_while_tokens_keep_flowing(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start_with(
        &db,
        &[
            ("WARDEN_IDLE_TIMEOUT_MS", "2000"),
            ("WARDEN_HEADER_READ_TIMEOUT_MS", "1000"),
        ],
        &[],
    )
    .await;
    let idle = open_connections(&server.base, 500, false).await;
    let half = open_connections(&server.base, 20, true).await;
    // Tokens are issued all the while, on connections of their own.
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut issued = 0;
    while started.elapsed() < Duration::from_millis(2600) {
        let t = Instant::now();
        token(&server, "acme", &id, &secret, &[("scope", "read")]).await;
        slowest = slowest.max(t.elapsed());
        issued += 1;
    }
    eprintln!("{issued} tokens beside 520 idle connections, slowest {slowest:?}");
    assert!(
        slowest < Duration::from_secs(1),
        "slowest token {slowest:?}"
    );
    assert_eq!(
        all_closed(&half, Duration::from_secs(3)).await,
        20,
        "half-sent requests are cut off after header_read_timeout_ms"
    );
    assert_eq!(
        all_closed(&idle, Duration::from_secs(3)).await,
        500,
        "idle connections are closed after idle_timeout_ms"
    );
}

on_both_backends!(the_connection_cap_holds_new_connections_until_one_closes);

async fn the_connection_cap_holds_new_connections_until_one_closes(db: Db) {
    db.create_tenant("acme", &[]);
    let server = Server::start_with(&db, &[("WARDEN_MAX_CONNECTIONS", "10")], &[]).await;
    let mut held = open_connections(&server.base, 10, false).await;
    // The eleventh waits: its request is not answered while ten are open.
    // (Timed from here: the task may start late on a busy machine, but no
    // answer can come before the ten are released below.)
    let t = Instant::now();
    let waiting = tokio::spawn({
        let url = format!("{}/healthz", server.base);
        async move {
            let r = http().get(url).send().await.unwrap();
            (r.status().as_u16(), t.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!waiting.is_finished(), "an eleventh connection waits");
    assert!(
        server.logs().contains("connection limit reached"),
        "the operator is told: {}",
        server.logs()
    );
    held.truncate(5);
    let (status, waited) = waiting.await.unwrap();
    assert_eq!(status, 200);
    assert!(waited >= Duration::from_millis(700));
    drop(held);
}

on_both_backends!(a_clean_stop_lets_the_open_request_finish_and_is_bounded);

async fn a_clean_stop_lets_the_open_request_finish_and_is_bounded(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start_with(&db, &[("WARDEN_SHUTDOWN_TIMEOUT_MS", "3000")], &[]).await;
    let addr = server.base.trim_start_matches("http://").to_string();
    // A token request whose body is still on its way when the stop comes.
    let body = encode_form(&[("grant_type", "client_credentials"), ("scope", "read")]);
    let mut open = tokio::net::TcpStream::connect(&addr).await.unwrap();
    open.write_all(
        format!(
            "POST /t/acme/token HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{}",
            basic(&id, &secret),
            body.len(),
            &body[..5]
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // And one that never finishes: it must not hold the stop for longer than the bound.
    let mut stuck = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stuck
        .write_all(b"POST /t/acme/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    open.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut answer = Vec::new();
    open.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("access_token"), "{answer}");
    stopping.await.unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(6),
        "the stop is bounded by shutdown_timeout_ms: {took:?}"
    );
    drop(stuck);
}
