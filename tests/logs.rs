//! What an operator sees in the logs: one record per request with method,
//! route, status, latency, tenant and client_id — and never a secret or token.

mod common;
use common::*;

on_both_backends!(
    request_logs_are_structured_and_free_of_secrets,
    a_log_written_to_a_file_has_no_escape_codes,
);

/// The default (pretty) format, written to a file as an operator's service
/// manager would: plain text, no terminal colour codes, and no line per
/// request unless asked for.
async fn a_log_written_to_a_file_has_no_escape_codes(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    token(&server, "acme", &id, &secret, &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logs = server.logs();
    assert!(logs.contains("warden listening"), "{logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "an escape byte in the log file:\n{logs}"
    );
    // At the default level a request that went well leaves no line.
    assert!(!logs.contains("handled"), "{logs}");
}

async fn request_logs_are_structured_and_free_of_secrets(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start_with(
        &db,
        &[("WARDEN_LOG", "debug"), ("WARDEN_LOG_FORMAT", "json")],
        &[],
    )
    .await;
    let issuer = server.issuer("acme");

    let at = token(&server, "acme", &id, &secret, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    post_form(
        &format!("{issuer}/introspect"),
        Some((&id, &secret)),
        &[("token", &at)],
    )
    .await;
    post_form(
        &format!("{issuer}/revoke"),
        Some((&id, &secret)),
        &[("token", &at)],
    )
    .await;
    post_form(
        &format!("{issuer}/token"),
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", "wsec_guess"),
        ],
    )
    .await;
    post_form(
        &format!("{issuer}/token"),
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let logs = server.logs();
    for (what, s) in [
        ("client secret", secret.as_str()),
        ("access token", at.as_str()),
        ("guessed secret", "wsec_guess"),
        ("Basic credentials", basic(&id, &secret).as_str()),
    ] {
        assert!(!logs.contains(s), "the {what} appears in the log");
    }
    // The JWT's signature part alone must not appear either.
    assert!(!logs.contains(at.rsplit('.').next().unwrap()));

    let records: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(!records.is_empty(), "log lines are JSON: {logs}");
    let handled: Vec<_> = records
        .iter()
        .filter(|r| r["message"] == "handled")
        .collect();
    let token_ok = handled
        .iter()
        .find(|r| r["span"]["route"] == "/t/{tenant}/token" && r["status"] == 200)
        .unwrap_or_else(|| panic!("no record of the token request in {logs}"));
    assert_eq!(token_ok["span"]["method"], "POST");
    assert_eq!(token_ok["span"]["tenant"], "acme");
    assert_eq!(token_ok["span"]["client_id"], id.as_str());
    assert!(token_ok["latency_us"].is_u64());
    assert!(
        handled
            .iter()
            .any(|r| r["span"]["route"] == "/t/{tenant}/token" && r["status"] == 401)
    );
    assert!(
        handled
            .iter()
            .any(|r| r["span"]["route"] == "/t/{tenant}/introspect" && r["status"] == 200)
    );
}
