//! Schema changes as an operator runs them: `warden migrate` (and
//! `--dry-run`), `migrate = "check"` refusing to start on a pending
//! migration, and this version serving beside a newer version's migration.

mod common;
use common::*;

on_both_backends!(
    a_checking_server_waits_for_warden_migrate,
    a_newer_versions_migration_does_not_stop_this_version,
);

fn with(db: &Db, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = db.env();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// How many migrations this version has for the backend.
fn shipped(db: &Db) -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(db.backend_name());
    std::fs::read_dir(dir).unwrap().count()
}

async fn a_checking_server_waits_for_warden_migrate(db: Db) {
    let check = with(&db, &[("WARDEN_MIGRATE", "check")]);
    // A new, empty database: everything is pending; serve and the CLI refuse
    // with one line naming the command, and change nothing.
    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["tenant", "list"][..],
    ] {
        let out = cli_with(db.dir.path(), &check, args);
        assert!(
            !out.status.success(),
            "{args:?} started on a pending migration"
        );
        let err = text(&out.stderr);
        assert!(
            err.contains("run `warden migrate`") && err.contains("0001 core"),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    // --dry-run lists them and applies nothing.
    let out = cli_with(db.dir.path(), &check, &["migrate", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert_eq!(
        listed.lines().filter(|l| l.starts_with("pending ")).count(),
        shipped(&db),
        "{listed}"
    );
    let out = cli_with(db.dir.path(), &check, &["tenant", "list"]);
    assert!(
        !out.status.success(),
        "a dry run migrated: {}",
        text(&out.stdout)
    );
    // `warden migrate` applies them; then the checking server starts and serves.
    let out = cli_with(db.dir.path(), &check, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with("database is up to date\n"));
    let out = cli_with(db.dir.path(), &check, &["migrate", "--dry-run"]);
    assert!(
        text(&out.stdout).contains("nothing to apply"),
        "{}",
        text(&out.stdout)
    );
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start_with(&db, &[("WARDEN_MIGRATE", "check")], &[]).await;
    let t = token(&server, "acme", &id, &secret, &[]).await;
    assert!(t["access_token"].is_string(), "{t}");
    server.kill().await;
}

/// During a rolling upgrade the new version migrates (additively) while
/// replicas of this one still run: this one must start and serve on that
/// schema, in either mode.
async fn a_newer_versions_migration_does_not_stop_this_version(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    newer_migration(&db).await;
    for mode in ["auto", "check"] {
        let server = Server::start_with(&db, &[("WARDEN_MIGRATE", mode)], &[]).await;
        let t = token(&server, "acme", &id, &secret, &[]).await;
        assert!(t["access_token"].is_string(), "{mode}: {t}");
        server.kill().await;
    }
    let out = db.cli(&["migrate", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("1 migration of a newer version") && said.contains("nothing to apply"),
        "{said}"
    );
}

/// What a newer version's migration leaves: an added column and its row in
/// sqlx's ledger.
async fn newer_migration(db: &Db) {
    let add = "ALTER TABLE tenants ADD COLUMN newer_setting TEXT";
    let ledger = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                  VALUES (99990001, 'a newer version', TRUE, $1, 1)";
    let checksum = vec![0u8; 48];
    if matches!(db.backend, Backend::Postgres) {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(add).execute(&pool).await.unwrap();
        sqlx::query(ledger)
            .bind(&checksum)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(add).execute(&pool).await.unwrap();
        sqlx::query(ledger)
            .bind(&checksum)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}
