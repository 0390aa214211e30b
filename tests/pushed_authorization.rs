//! Pushed authorization requests (RFC 9126): openid-client 6 pushes and
//! signs in; every way a pushed request could be misused is refused; a
//! request_uri yields one code, on whichever replica it is used.

mod common;
use common::*;

on_both_backends!(
    openid_client_pushes_its_authorization_requests,
    pushed_requests_are_checked_and_spent_once,
    a_client_can_be_required_to_push_its_requests,
);

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";
const PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

struct Clients {
    public_id: String,
    web_id: String,
    web_secret: String,
}

/// Tenant acme with alice, a public client (PKCE) and a confidential one.
fn setup(db: &Db) -> Clients {
    db.create_tenant("acme", &[]);
    create_user(db, "acme", "alice", PASSWORD, &["--name", "Alice Liddell"]);
    let create = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            name,
            "--grant-types",
            "authorization_code",
            "--scopes",
            "openid read write",
            "--redirect-uri",
            REDIRECT,
        ];
        args.extend_from_slice(extra);
        db.cli_json(&args)
    };
    let public = create("Pocket App", &["--public"]);
    let web = create("Web App", &[]);
    Clients {
        public_id: public["client_id"].as_str().unwrap().into(),
        web_id: web["client_id"].as_str().unwrap().into(),
        web_secret: web["client_secret"].as_str().unwrap().into(),
    }
}

async fn openid_client_pushes_its_authorization_requests(db: Db) {
    let c = setup(&db);
    let server = Server::start(&db).await;
    let issuer = server.issuer("acme");
    let r = run_js(
        "par.mjs",
        &[
            ("ISSUER", issuer.clone()),
            ("PUBLIC_CLIENT_ID", c.public_id.clone()),
            ("WEB_CLIENT_ID", c.web_id.clone()),
            ("WEB_CLIENT_SECRET", c.web_secret.clone()),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
            ("REDIRECT_URI", REDIRECT.into()),
        ],
    )
    .await;

    assert_eq!(r["endpoint"], format!("{issuer}/par"), "{r}");
    // The browser carries nothing of the request but where to find it.
    assert_eq!(
        r["browser_params"],
        serde_json::json!(["client_id", "request_uri"]),
        "{r}"
    );
    assert_eq!(
        r["request_uri_prefix"], "urn:ietf:params:oauth:request_uri",
        "{r}"
    );
    assert_eq!(r["public"]["push"]["auth"], "none", "{r}");
    assert_eq!(r["public"]["scope"], "openid read", "{r}");
    assert_eq!(r["public"]["id_token_aud"], c.public_id.as_str());
    assert_eq!(r["spent"]["status"], 400, "{r}");
    assert_eq!(r["spent"]["says_expired"], true, "{r}");
    assert_eq!(
        r["confidential"]["push"]["auth"], "client_secret_post",
        "{r}"
    );
    assert_eq!(r["confidential"]["scope"], "read", "{r}");
    assert_eq!(r["wrong_secret_error"], "invalid_client", "{r}");
}

/// POSTs a pushed authorization request with a confidential client's secret
/// (or none, for a public client's id alone).
async fn push(server: &Server, auth: Option<(&str, &str)>, form: &[(&str, &str)]) -> Reply {
    post_form(&format!("{}/par", server.issuer("acme")), auth, form).await
}

async fn pushed_requests_are_checked_and_spent_once(db: Db) {
    let c = setup(&db);
    let server = Server::start(&db).await;
    let issuer = server.issuer("acme");
    let web = Some((c.web_id.as_str(), c.web_secret.as_str()));
    let (verifier, challenge) = pkce();
    let request = [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "read"),
        ("state", "s-1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];

    // Discovery names the endpoint and does not require it of everyone.
    let meta = get_json(&format!("{issuer}/.well-known/openid-configuration"))
        .await
        .body;
    assert_eq!(
        meta["pushed_authorization_request_endpoint"],
        format!("{issuer}/par")
    );
    assert_eq!(meta["require_pushed_authorization_requests"], false);

    // A push is checked as the authorization endpoint would check it, and
    // every refusal is an RFC 6749 error to the client.
    push(&server, Some((&c.web_id, "wsec_wrong")), &request)
        .await
        .assert_error(401, "invalid_client");
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, &str)> = request.to_vec();
        form.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        form.extend_from_slice(extra);
        form
    };
    let r = push(&server, web, &with(&[("request_uri", "urn:x")])).await;
    r.assert_error(400, "invalid_request");
    assert!(r.text.contains("cannot be pushed"), "{}", r.text);
    let r = push(
        &server,
        web,
        &with(&[("redirect_uri", "https://evil.example/cb")]),
    )
    .await;
    r.assert_error(400, "invalid_request");
    push(&server, web, &with(&[("scope", "read admin")]))
        .await
        .assert_error(400, "invalid_scope");
    push(&server, web, &with(&[("response_type", "token")]))
        .await
        .assert_error(400, "unsupported_response_type");
    // A public client identifies itself and must use PKCE here as anywhere.
    let no_pkce: Vec<(&str, &str)> = vec![
        ("client_id", c.public_id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
    ];
    push(&server, None, &no_pkce)
        .await
        .assert_error(400, "invalid_request");

    // A good push: 201, a request_uri URN, a minute to use it, not cached.
    let r = push(&server, web, &request).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.body["expires_in"], 60);
    let request_uri = r.body["request_uri"].as_str().unwrap().to_string();
    assert!(request_uri.starts_with(PREFIX), "{request_uri}");

    // Another client cannot use it, nor can a guessed one be used.
    let flow = Flow {
        issuer: issuer.clone(),
        client_id: c.public_id.clone(),
        browser: browser(),
    };
    let expired = "expired or was already used";
    let (status, page, _) = flow
        .get(&flow.authorize_url(&[("request_uri", &request_uri)]))
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(expired), "{page}");
    let guessed = format!("{PREFIX}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let flow = Flow {
        client_id: c.web_id.clone(),
        ..flow
    };
    let (status, page, _) = flow
        .get(&flow.authorize_url(&[("request_uri", &guessed)]))
        .await;
    assert_eq!(status, 400);
    assert!(page.contains(expired), "{page}");

    // Used by its client: parameters outside the pushed request are ignored
    // (a wider scope and another state added to the URL change nothing).
    let url = flow.authorize_url(&[
        ("request_uri", &request_uri),
        ("scope", "read write"),
        ("state", "forged"),
    ]);
    let (status, login_page, _) = flow.get(&url).await;
    assert_eq!(status, 200, "{login_page}");
    assert!(login_page.contains("Web App"), "{login_page}");
    let (status, _, location) = flow.login("acme", &login_page, "alice", PASSWORD).await;
    assert_eq!(status, 303);
    let (status, consent, _) = flow
        .get(&format!("{}{}", server.base, location.unwrap()))
        .await;
    assert_eq!(status, 200, "{consent}");
    let (status, _, location) = flow.decide("acme", &consent, "approve").await;
    assert_eq!(status, 303);
    let q = query_of(&location.unwrap());
    assert_eq!(q["state"], "s-1");
    let r = post_form(
        &format!("{issuer}/token"),
        web,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scope"], "read");

    // Spent: the same request_uri gives no second code, even to its client
    // with the user still signed in.
    let (status, page, location) = flow.get(&url).await;
    assert_eq!((status, location), (400, None), "{page}");
    assert!(page.contains(expired), "{page}");

    // Expired: a pushed request a minute old is gone.
    let r = push(&server, web, &request).await;
    let old = r.body["request_uri"].as_str().unwrap().to_string();
    age_pushed_requests(&db, 61).await;
    let (status, page, _) = flow
        .get(&flow.authorize_url(&[("request_uri", &old)]))
        .await;
    assert_eq!(status, 400);
    assert!(page.contains(expired), "{page}");

    // On every replica: pushed to one, used on another, spent for both.
    if db.backend == Backend::Postgres {
        let other = Server::start(&db).await;
        let r = push(&server, web, &request).await;
        let request_uri = r.body["request_uri"].as_str().unwrap().to_string();
        let there = Flow {
            issuer: other.issuer("acme"),
            client_id: c.web_id.clone(),
            browser: browser(),
        };
        let q = query_of(&there.code_for(&request_uri, &other).await);
        assert!(q.contains_key("code"), "{q:?}");
        let (status, page, _) = flow
            .get(&flow.authorize_url(&[("request_uri", &request_uri)]))
            .await;
        assert_eq!(status, 400);
        assert!(page.contains(expired), "{page}");
    }
}

async fn a_client_can_be_required_to_push_its_requests(db: Db) {
    setup(&db);
    let strict = |extra: &[&str]| {
        let mut args = vec![
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "Strict App",
            "--scopes",
            "read",
            "--redirect-uri",
            REDIRECT,
            "--require-par",
        ];
        args.extend_from_slice(extra);
        db.cli(&args)
    };
    // Only a client that uses the authorization endpoint can be held to it.
    let out = strict(&["--grant-types", "client_credentials"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "require_pushed_authorization_requests is for clients of the authorization_code grant"
        ),
        "{err}"
    );
    let out = strict(&["--grant-types", "authorization_code", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["require_pushed_authorization_requests"], true);
    let id = created["client_id"].as_str().unwrap().to_string();
    let secret = created["client_secret"].as_str().unwrap().to_string();

    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let flow = Flow {
        issuer: server.issuer("acme"),
        client_id: id.clone(),
        browser: browser(),
    };
    let (_, challenge) = pkce();
    let request = [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "read"),
        ("state", "s-2"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    // Straight to /authorize: sent back to the app with the reason.
    let (status, _, location) = flow.get(&flow.authorize_url(&request)).await;
    assert_eq!(status, 303);
    let q = query_of(&location.unwrap());
    assert_eq!(q["error"], "invalid_request");
    assert!(q["error_description"].contains("RFC 9126"), "{q:?}");
    assert_eq!(q["state"], "s-2");
    // Pushed: the sign-in page.
    let r = push(&server, Some((&id, &secret)), &request).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let request_uri = r.body["request_uri"].as_str().unwrap();
    let (status, page, _) = flow
        .get(&flow.authorize_url(&[("request_uri", request_uri)]))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Strict App"), "{page}");

    // The admin API takes the same setting, with the same rule.
    let api = AdminApi::of(&server);
    let body = |grants: &[&str]| {
        serde_json::json!({
            "name": "Strict API App", "grant_types": grants, "scopes": "read",
            "redirect_uris": [REDIRECT], "require_pushed_authorization_requests": true,
            "dpop_bound_access_tokens": true,
        })
    };
    let r = api
        .post("/tenants/acme/clients", body(&["client_credentials"]))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("authorization_code grant"), "{}", r.text);
    let r = api
        .post("/tenants/acme/clients", body(&["authorization_code"]))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["require_pushed_authorization_requests"], true);
    assert_eq!(r.body["dpop_bound_access_tokens"], true);
}

trait CodeFor {
    async fn code_for(&self, request_uri: &str, server: &Server) -> String;
}

impl CodeFor for Flow {
    /// Signs alice in and approves; the redirect with the code.
    async fn code_for(&self, request_uri: &str, server: &Server) -> String {
        let (_, login_page, _) = self
            .get(&self.authorize_url(&[("request_uri", request_uri)]))
            .await;
        let (_, _, location) = self.login("acme", &login_page, "alice", PASSWORD).await;
        let (status, page, location) = self
            .get(&format!("{}{}", server.base, location.unwrap()))
            .await;
        match status {
            200 => self.decide("acme", &page, "approve").await.2.unwrap(),
            _ => location.unwrap(),
        }
    }
}

/// Moves every pushed request `seconds` into the past, as time would.
async fn age_pushed_requests(db: &Db, seconds: i64) {
    let sql = "UPDATE pushed_requests SET expires_at = expires_at - $1";
    match db.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query(sql).bind(seconds).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query(sql).bind(seconds).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}
