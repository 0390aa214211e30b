//! A management listener: with `management_listen` the admin API, `/metrics`
//! and the health checks move to their own address, so an operator exposes
//! only the public one; without it, one port serves everything (as before).

mod common;
use common::*;

on_both_backends!(the_operators_routes_move_to_the_management_listener);

async fn status(url: String, token: Option<&str>) -> u16 {
    let mut r = http().get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap().status().as_u16()
}

async fn the_operators_routes_move_to_the_management_listener(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let port = free_port();
    let server = Server::start_with(
        &db,
        &[
            ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
            ("WARDEN_MANAGEMENT_LISTEN", &format!("127.0.0.1:{port}")),
        ],
        &[],
    )
    .await;
    let public = server.base.clone();
    let management = format!("http://127.0.0.1:{port}");
    // The public port: OAuth works; nothing of the operator's is there.
    let t = token(&server, "acme", &id, &secret, &[]).await;
    assert!(t["access_token"].is_string(), "{t}");
    for path in [
        "/admin/v1/tenants",
        "/admin/v1/openapi.json",
        "/metrics",
        "/healthz",
        "/readyz",
    ] {
        assert_eq!(
            status(format!("{public}{path}"), Some(ADMIN_TOKEN)).await,
            404,
            "{path} on the public listener"
        );
    }
    // The management port: the operator's routes, and no OAuth endpoint.
    for path in [
        "/admin/v1/tenants",
        "/admin/v1/openapi.json",
        "/metrics",
        "/healthz",
        "/readyz",
    ] {
        assert_eq!(
            status(format!("{management}{path}"), Some(ADMIN_TOKEN)).await,
            200,
            "{path} on the management listener"
        );
    }
    assert_eq!(
        status(format!("{management}/admin/v1/tenants"), None).await,
        401,
        "the admin API still wants its token there"
    );
    assert_eq!(
        status(
            format!("{management}/t/acme/.well-known/openid-configuration"),
            None
        )
        .await,
        404
    );
    assert!(server.stdout.is_empty() || !server.stdout.contains("panicked"));
    server.stop().await;

    // Without it, one port serves both, as before.
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    for path in ["/admin/v1/tenants", "/metrics", "/healthz"] {
        assert_eq!(
            status(format!("{}{path}", server.base), Some(ADMIN_TOKEN)).await,
            200,
            "{path}"
        );
    }
    server.kill().await;

    // A management address that is not one is a one-line failure.
    let mut env = db.env();
    env.push(("WARDEN_MANAGEMENT_LISTEN".into(), "localhost".into()));
    let out = cli_with(db.dir.path(), &env, &["serve"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("management_listen") && err.contains("IP:PORT"),
        "{err}"
    );
}
