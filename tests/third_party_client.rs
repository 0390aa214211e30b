//! A real third-party OAuth client library (npm `openid-client`) against the
//! real binary: discovery, client_credentials, introspection, revocation.

mod common;
use common::*;

on_both_backends!(openid_client_library_works);

async fn openid_client_library_works(db: Db) {
    npm_install();
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read write", &[]);
    let server = Server::start(&db).await;
    let out = tokio::process::Command::new("node")
        .arg(js_dir().join("client_credentials.mjs"))
        .env("ISSUER", server.issuer("acme"))
        .env("CLIENT_ID", &id)
        .env("CLIENT_SECRET", &secret)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "openid-client script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["issuer"], server.issuer("acme"));
    assert_eq!(report["rfc8414_issuer"], server.issuer("acme"));
    assert_eq!(report["token_type"], "bearer");
    assert_eq!(report["scope"], "read");
    assert_eq!(report["introspected_active"], true);
    assert_eq!(report["introspected_client_id"], id.as_str());
    assert_eq!(report["after_revocation_active"], false);
    assert_eq!(report["bad_secret_error"], "invalid_client");
    assert_eq!(report["bad_scope_error"], "invalid_scope");
}
