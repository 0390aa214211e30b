//! Client ID Metadata Documents (the MCP registration): where a tenant
//! allows them, an https client_id names the client's metadata, which the
//! server fetches safely and caches. openid-client 6 signs in with one; a
//! document that lies about its client_id, carries a secret, hangs, is 10 MB
//! or redirects elsewhere is refused, as is one the tenant's policy refuses;
//! without the loopback setting, nothing is fetched from 127.0.0.1,
//! localhost or 10.0.0.0/8; redirect URIs match the document exactly.

mod common;
use common::console::PASSWORD;
use common::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

on_both_backends!(
    openid_client_signs_in_with_a_metadata_document,
    documents_that_cannot_be_trusted_are_refused,
    nothing_is_fetched_from_private_or_loopback_addresses,
);

const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// A site serving client ID metadata documents; `hits` counts fetches of
/// `/tool.json`.
struct Site {
    base: String,
    hits: Arc<AtomicUsize>,
    /// Fetches of `/secret.json`, a document that is refused.
    refused_hits: Arc<AtomicUsize>,
}

async fn site() -> Site {
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let hits = Arc::new(AtomicUsize::new(0));
    let doc = |path: &str, extra: Value| {
        let mut d = json!({"client_id": format!("{base}{path}"), "client_name": "Assistant tools",
                           "redirect_uris": [REDIRECT], "grant_types": ["authorization_code", "refresh_token"],
                           "token_endpoint_auth_method": "none", "scope": "openid projects:read"});
        d.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        d.to_string()
    };
    let cached = |body: String| {
        (
            [
                ("content-type", "application/json"),
                ("cache-control", "public, max-age=600"),
            ],
            body,
        )
            .into_response()
    };
    let tool = doc("/tool.json", json!({}));
    let lying = doc(
        "/lying.json",
        json!({"client_id": "https://someone-else.example/c.json"}),
    );
    let secret = doc("/secret.json", json!({"client_secret": "s3cret"}));
    let blocked = doc("/blocked.json", json!({"software_id": "scraper-9000"}));
    let counter = hits.clone();
    let refused_hits = Arc::new(AtomicUsize::new(0));
    let refused_counter = refused_hits.clone();
    let elsewhere = base.replace("127.0.0.1", "localhost");
    let app = axum::Router::new()
        .route(
            "/tool.json",
            axum::routing::get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let body = tool.clone();
                async move { cached(body) }
            }),
        )
        .route(
            "/lying.json",
            axum::routing::get(move || async move { cached(lying) }),
        )
        .route(
            "/secret.json",
            axum::routing::get(move || {
                refused_counter.fetch_add(1, Ordering::SeqCst);
                let body = secret.clone();
                async move { cached(body) }
            }),
        )
        .route(
            "/blocked.json",
            axum::routing::get(move || async move { cached(blocked) }),
        )
        .route(
            "/hangs.json",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "{}"
            }),
        )
        .route(
            "/huge.json",
            axum::routing::get(|| async { "x".repeat(10 * 1024 * 1024) }),
        )
        .route(
            "/moved.json",
            axum::routing::get(move || {
                let to = format!("{elsewhere}/tool.json");
                async move { (axum::http::StatusCode::FOUND, [("location", to)]).into_response() }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Site {
        base,
        hits,
        refused_hits,
    }
}

/// Tenant acme with alice, a described scope and metadata documents on.
fn setup(db: &Db) {
    db.create_tenant("acme", &[]);
    create_user(db, "acme", "alice", PASSWORD, &["--name", "Alice Liddell"]);
    let out = db.cli(&[
        "user",
        "describe-scope",
        "--tenant",
        "acme",
        "projects:read",
        "Read your projects",
    ]);
    assert!(out.status.success());
    db.cli_json(&[
        "tenant",
        "set",
        "acme",
        "--client-id-metadata-documents",
        "on",
    ]);
}

const LOOPBACK: &[(&str, &str)] = &[("WARDEN_METADATA_DOCUMENT_ALLOW_LOOPBACK", "true")];

/// `/authorize` for `client_id`: the status and page (or redirect).
async fn authorize(
    server: &Server,
    client_id: &str,
    redirect: &str,
) -> (u16, String, Option<String>) {
    let (_, challenge) = pkce();
    let flow = Flow {
        issuer: server.issuer("acme"),
        client_id: client_id.to_string(),
        browser: browser(),
    };
    flow.get(&flow.authorize_url(&[
        ("response_type", "code"),
        ("redirect_uri", redirect),
        ("scope", "openid projects:read"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]))
    .await
}

async fn openid_client_signs_in_with_a_metadata_document(db: Db) {
    setup(&db);
    let site = site().await;
    let server = Server::start_with(&db, LOOPBACK, &[]).await;
    let client_id = format!("{}/tool.json", site.base);
    let r = run_js(
        "cimd.mjs",
        &[
            ("ISSUER", server.issuer("acme")),
            ("CLIENT_ID", client_id.clone()),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
            ("REDIRECT_URI", REDIRECT.into()),
        ],
    )
    .await;
    assert_eq!(r["supported"], true, "{r}");
    assert_eq!(r["code"]["scope"], "openid projects:read", "{r}");
    assert_eq!(r["code"]["client_id"], client_id.as_str(), "{r}");
    assert_eq!(r["refresh"]["scope"], "openid projects:read", "{r}");
    // One fetch for the whole sign-in, token and refresh: cached by max-age.
    assert_eq!(site.hits.load(Ordering::SeqCst), 1);

    // Redirect URIs match the document exactly (no loopback port leeway).
    let (status, page, _) = authorize(&server, &client_id, "http://127.0.0.1:10/callback").await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("address the app has not registered"),
        "{page}"
    );
    // A tenant that did not turn documents on knows no such client.
    db.create_tenant("globex", &[]);
    let flow = Flow {
        issuer: server.issuer("globex"),
        client_id: client_id.clone(),
        browser: browser(),
    };
    let (status, page, _) = flow
        .get(&flow.authorize_url(&[("response_type", "code"), ("redirect_uri", REDIRECT)]))
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("not registered here"), "{page}");
}

async fn documents_that_cannot_be_trusted_are_refused(db: Db) {
    setup(&db);
    add_and_bind_plugin(
        &db,
        "acme",
        "registration-policy",
        "registration-allowlist",
        "allowlist",
        r#"{"blocked_software": ["scraper-9000"]}"#,
    );
    let site = site().await;
    let server = Server::start_with(&db, LOOPBACK, &[]).await;
    for (path, says) in [
        ("/lying.json", "not the URL it was fetched from"),
        ("/secret.json", "must not carry a client_secret"),
        ("/huge.json", "larger than 5120 bytes"),
        ("/moved.json", "redirects to another host"),
        ("/missing.json", "answered 404"),
        ("/blocked.json", "does not register scraper-9000"),
        ("/tool.json?v=2", "no query"),
    ] {
        let (status, page, _) = authorize(&server, &format!("{}{path}", site.base), REDIRECT).await;
        assert_eq!(status, 400, "{path}: {page}");
        assert!(page.contains(says), "{path}: {page}");
    }
    // A document that never comes: refused within the time-out.
    let started = Instant::now();
    let (status, page, _) =
        authorize(&server, &format!("{}/hangs.json", site.base), REDIRECT).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("did not arrive in time"), "{page}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // A refused document is not fetched again at once: asking again (here,
    // and at the token endpoint below) costs no fetch.
    let (status, page, _) =
        authorize(&server, &format!("{}/secret.json", site.base), REDIRECT).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("must not carry a client_secret"), "{page}");
    // At the token endpoint a refused document is no client at all.
    let r = post_form(
        &format!("{}/token", server.issuer("acme")),
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &format!("{}/secret.json", site.base)),
            ("code", "x"),
        ],
    )
    .await;
    r.assert_error(401, "invalid_client");
    assert_eq!(site.refused_hits.load(Ordering::SeqCst), 1);
}

async fn nothing_is_fetched_from_private_or_loopback_addresses(db: Db) {
    setup(&db);
    let site = site().await;
    // Without the loopback setting (the default).
    let server = Server::start(&db).await;
    let port = site.base.rsplit(':').next().unwrap().to_string();
    for (client_id, says) in [
        (format!("https://127.0.0.1:{port}/tool.json"), "127.0.0.1"),
        (format!("https://localhost:{port}/tool.json"), "resolves to"),
        ("https://10.20.30.40/tool.json".to_string(), "10.20.30.40"),
        (
            "https://169.254.169.254/latest.json".to_string(),
            "169.254.169.254",
        ),
        (format!("{}/tool.json", site.base), "https"),
    ] {
        let started = Instant::now();
        let (status, page, _) = authorize(&server, &client_id, REDIRECT).await;
        assert_eq!(status, 400, "{client_id}: {page}");
        assert!(page.contains(says), "{client_id}: {page}");
        // Refused before any connection: nothing waits on 10.0.0.0/8.
        assert!(started.elapsed() < Duration::from_secs(3), "{client_id}");
    }
    assert_eq!(site.hits.load(Ordering::SeqCst), 0, "nothing was fetched");
}
