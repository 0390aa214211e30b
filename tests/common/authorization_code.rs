//! What the authorization code tests share: tenant acme with alice (a
//! password, an email, a name), a described scope, and a confidential
//! client that redirects to REDIRECT.

use super::*;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const PASSWORD: &str = "correct horse battery staple";

pub fn setup(db: &Db) -> (String, String) {
    db.create_tenant("acme", &[]);
    create_user(
        db,
        "acme",
        "alice",
        PASSWORD,
        &["--email", "alice@acme.test", "--name", "Alice Liddell"],
    );
    let out = db.cli(&[
        "user",
        "describe-scope",
        "--tenant",
        "acme",
        "read",
        "Read your documents",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Reporting App",
        "--grant-types",
        "authorization_code",
        "--scopes",
        "openid profile email read write",
        "--redirect-uri",
        REDIRECT,
    ]);
    (
        v["client_id"].as_str().unwrap().into(),
        v["client_secret"].as_str().unwrap().into(),
    )
}
