//! A real browser (Debian's Chromium, driven by playwright-core with
//! JavaScript off) and a real client library (openid-client) against the real
//! binary: login and consent pages, code + PKCE, ID token, userinfo, refresh.

mod common;
use common::*;

on_both_backends!(
    a_user_signs_in_to_an_app_in_a_real_browser,
    a_user_creates_and_revokes_a_pat_in_a_real_browser
);

/// The script's app listens on a loopback port of its choosing (RFC 8252).
const REDIRECT: &str = "http://127.0.0.1/callback";

async fn a_user_signs_in_to_an_app_in_a_real_browser(db: Db) {
    let chromium = chromium();
    db.create_tenant("acme", &[]);
    let alice = create_user(
        &db,
        "acme",
        "alice",
        "correct horse battery staple",
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
    assert!(out.status.success());
    let app = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Reporting App",
        "--grant-types",
        "authorization_code,refresh_token",
        "--scopes",
        "openid profile email read admin",
        "--redirect-uri",
        REDIRECT,
    ]);
    let server = Server::start(&db).await;
    let report = run_js(
        "browser_code_flow.mjs",
        &[
            ("ISSUER", server.issuer("acme")),
            ("CLIENT_ID", app["client_id"].as_str().unwrap().into()),
            (
                "CLIENT_SECRET",
                app["client_secret"].as_str().unwrap().into(),
            ),
            ("USERNAME", "alice".into()),
            ("PASSWORD", "correct horse battery staple".into()),
            ("CHROMIUM", chromium),
            // alice is no admin: the consent page must not promise `admin`.
            ("SCOPE", "read admin openid profile email".into()),
        ],
    )
    .await;
    // The tab names the organisation too.
    assert_eq!(report["login_title"], "Sign in \u{2013} acme");
    assert_eq!(report["login_error"], "Incorrect username or password.");
    assert_eq!(
        report["username_kept"], "alice",
        "a failed attempt keeps the username"
    );
    assert_eq!(
        report["consent_heading"],
        "Allow Reporting App to access your account?"
    );
    // Exactly what the app gets, identity first, in the tenant's words.
    assert_eq!(
        report["consent_items"],
        serde_json::json!([
            "Confirm who you are (openid)",
            "See your name and username (profile)",
            "See your email address (email)",
            "Read your documents (read)",
        ])
    );
    assert_eq!(
        report["account_app_items"],
        serde_json::json!([
            "Confirm who you are",
            "See your name and username",
            "See your email address",
            "Read your documents",
        ])
    );
    assert_eq!(report["logout_heading"], "Sign out of Alice Liddell?");
    let text = report["logout_text"].as_str().unwrap();
    assert!(
        text.contains("You are signed in as alice (alice@acme.test).")
            && text.contains("Reporting App asked to sign you out."),
        "{text}"
    );
    assert_eq!(report["stayed_on"], "/t/acme/account");
    assert_eq!(report["still_signed_in"], true);
    assert_eq!(report["signed_out_heading"], "You are signed out");
    assert_eq!(report["session_cookie"]["httpOnly"], true);
    assert_eq!(report["session_cookie"]["sameSite"], "Lax");
    assert_eq!(report["session_cookie"]["path"], "/t/acme/");
    assert_eq!(report["callback_has_code"], true);
    assert_eq!(report["sub"], alice.as_str());
    assert_eq!(report["id_token_aud"], app["client_id"]);
    assert!(report["id_token_nonce"].is_string());
    assert_eq!(report["scope"], "email openid profile read");
    assert_eq!(report["userinfo_email"], "alice@acme.test");
    assert_eq!(report["userinfo_name"], "Alice Liddell");
    assert_eq!(report["refreshed"], true);
    assert_eq!(
        report["second_time_straight_back"], true,
        "consent and session remembered: {report}"
    );
}

async fn a_user_creates_and_revokes_a_pat_in_a_real_browser(db: Db) {
    let chromium = chromium();
    db.create_tenant("acme", &[]);
    create_user(&db, "acme", "alice", "correct horse battery staple", &[]);
    assert!(
        db.cli(&[
            "user",
            "describe-scope",
            "--tenant",
            "acme",
            "read",
            "Read your documents"
        ])
        .status
        .success()
    );
    let script = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "CLI",
        "--public",
        "--grant-types",
        "token-exchange",
        "--scopes",
        "read",
    ]);
    let server = Server::start(&db).await;
    let report = run_js(
        "browser_pat.mjs",
        &[
            ("ISSUER", server.issuer("acme")),
            (
                "SCRIPT_CLIENT_ID",
                script["client_id"].as_str().unwrap().into(),
            ),
            ("USERNAME", "alice".into()),
            ("PASSWORD", "correct horse battery staple".into()),
            ("CHROMIUM", chromium),
        ],
    )
    .await;
    assert_eq!(report["account_heading"], "Your account");
    assert_eq!(report["pat_prefix"], "wpat_");
    assert_eq!(report["exchange_before"]["status"], 200, "{report}");
    assert_eq!(report["exchange_before"]["scope"], "read");
    let listed = report["listed"].as_array().unwrap();
    assert!(
        listed.len() == 1 && listed[0].as_str().unwrap().contains("nightly export"),
        "{listed:?}"
    );
    assert_eq!(report["secret_shown_again"], false);
    assert_eq!(report["listed_after"], 0);
    assert_eq!(report["exchange_after"]["status"], 400);
    assert_eq!(report["exchange_after"]["error"], "invalid_grant");
}
