//! Personal access tokens and connected apps through the real binary: the
//! account pages (CSRF-protected), RFC 8693 exchange of a PAT for an access
//! token, no administrative scopes ever, revocation of tokens and of apps.

mod common;
use common::*;

on_both_backends!(
    pats_are_created_exchanged_and_revoked,
    connected_apps_can_be_revoked,
    admin_scopes_reach_only_admin_users,
);

const PASSWORD: &str = "correct horse battery staple";
const PAT_TYPE: &str = "urn:warden:params:oauth:token-type:personal-access-token";
const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

fn setup(db: &Db) -> String {
    db.create_tenant("acme", &[]);
    create_user(db, "acme", "alice", PASSWORD, &[]);
    create_user(db, "acme", "root", PASSWORD, &["--admin"]);
    // Described write first: pages follow the tenant's order, not the names'.
    for (scope, text) in [
        ("write", "Change your documents"),
        ("read", "Read your documents"),
        ("admin", "Administer the organisation"),
    ] {
        assert!(
            db.cli(&["user", "describe-scope", "--tenant", "acme", scope, text])
                .status
                .success()
        );
    }
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
        "read write admin",
    ]);
    script["client_id"].as_str().unwrap().to_string()
}

struct Account {
    base: String,
    browser: reqwest::Client,
}

impl Account {
    async fn login(server: &Server, username: &str) -> (Account, String) {
        let browser = browser();
        let r = browser
            .get(format!("{}/t/acme/account", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("Sign in"), "{page}");
        let a = Account {
            base: server.base.clone(),
            browser,
        };
        let (status, _, location) = a
            .post(
                "/t/acme/login",
                &[
                    ("csrf", &hidden_field(&page, "csrf")),
                    ("continue", ""),
                    ("return", "account"),
                    ("username", username),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            (status, location.as_deref()),
            (303, Some("/t/acme/account"))
        );
        let page = a.page().await;
        (a, page)
    }

    async fn page(&self) -> String {
        let r = self
            .browser
            .get(format!("{}/t/acme/account", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let r = self
            .browser
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(form))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, r.text().await.unwrap(), location)
    }
}

fn secret_of(page: &str) -> String {
    let start = page
        .find("<output id=\"pat-secret\"><code>")
        .expect("the new token is shown")
        + "<output id=\"pat-secret\"><code>".len();
    page[start..start + page[start..].find('<').unwrap()].to_string()
}

async fn exchange(server: &Server, client_id: &str, pat: &str, scope: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", EXCHANGE),
        ("client_id", client_id),
        ("subject_token", pat),
        ("subject_token_type", PAT_TYPE),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    post_form(&format!("{}/token", server.issuer("acme")), None, &form).await
}

async fn pats_are_created_exchanged_and_revoked(db: Db) {
    let script = setup(&db);
    let server = Server::start(&db).await;
    let meta = get_json(&format!(
        "{}/.well-known/openid-configuration",
        server.issuer("acme")
    ))
    .await
    .body;
    assert_eq!(meta["warden_pat_token_type"], PAT_TYPE);
    assert!(
        meta["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == EXCHANGE)
    );

    let (alice, page) = Account::login(&server, "alice").await;
    assert!(
        page.contains("Read your documents") && !page.contains("value=\"admin\""),
        "admin scopes are not offered: {page}"
    );
    let csrf = hidden_field(&page, "csrf");

    // Create: shown once.
    let (status, page, _) = alice
        .post(
            "/t/acme/account/tokens",
            &[
                ("csrf", &csrf),
                ("name", "nightly export"),
                ("scope", "read"),
                ("scope", "write"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let pat = secret_of(&page);
    assert!(pat.starts_with("wpat_"), "{pat}");
    let listed = alice.page().await;
    assert!(
        listed.contains("nightly export") && !listed.contains(&pat),
        "listed, never shown again"
    );
    let tokens = section(&listed, "<ul id=\"tokens\">");
    assert!(
        tokens.contains("Change your documents</span>, <span title=\"read\">Read your documents"),
        "the token's scopes in the tenant's words and order: {tokens}"
    );

    // Exchange it for a short-lived access token of alice.
    let r = exchange(&server, &script, &pat, Some("read")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(r.body["scope"], "read");
    let claims = verify_with_jwks(&server, "acme", r.body["access_token"].as_str().unwrap()).await;
    assert!(claims["sub"].as_str().unwrap().starts_with("usr_"));
    assert_eq!(claims["client_id"], script.as_str());
    assert_eq!(
        exchange(&server, &script, &pat, None).await.body["scope"],
        "read write"
    );
    exchange(&server, &script, &pat, Some("admin"))
        .await
        .assert_error(400, "invalid_scope");
    // Wrong type, unknown token, missing pieces.
    let r = post_form(
        &format!("{}/token", server.issuer("acme")),
        None,
        &[
            ("grant_type", EXCHANGE),
            ("client_id", &script),
            ("subject_token", &pat),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
        ],
    )
    .await;
    r.assert_error(400, "invalid_request");
    exchange(&server, &script, "wpat_unknown", None)
        .await
        .assert_error(400, "invalid_grant");
    let r = post_form(
        &format!("{}/token", server.issuer("acme")),
        None,
        &[("grant_type", EXCHANGE), ("client_id", &script)],
    )
    .await;
    r.assert_error(400, "invalid_request");

    // Bad forms: no CSRF token, no scope, too long, administrative scope.
    let (status, _, _) = alice
        .post(
            "/t/acme/account/tokens",
            &[("name", "x"), ("scope", "read"), ("days", "30")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, page, _) = alice
        .post(
            "/t/acme/account/tokens",
            &[("csrf", &csrf), ("name", "x"), ("days", "30")],
        )
        .await;
    assert!(
        status == 400 && page.contains("Choose at least one scope."),
        "{page}"
    );
    let (status, page, _) = alice
        .post(
            "/t/acme/account/tokens",
            &[
                ("csrf", &csrf),
                ("name", "x"),
                ("scope", "read"),
                ("days", "9999"),
            ],
        )
        .await;
    assert!(status == 400 && page.contains("at most 365 days"), "{page}");

    // Even an admin cannot put an administrative scope in a PAT.
    let (root, page) = Account::login(&server, "root").await;
    let (status, page, _) = root
        .post(
            "/t/acme/account/tokens",
            &[
                ("csrf", &hidden_field(&page, "csrf")),
                ("name", "god mode"),
                ("scope", "admin"),
                ("days", "1"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("never carry administrative scopes"), "{page}");

    // Revoke: the token stops working.
    let listed = alice.page().await;
    let id_start = listed.find("/account/tokens/pat_").unwrap() + "/account/tokens/".len();
    let id = &listed[id_start..id_start + listed[id_start..].find('/').unwrap()];
    let (status, _, _) = alice
        .post(
            &format!("/t/acme/account/tokens/{id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 303);
    exchange(&server, &script, &pat, None)
        .await
        .assert_error(400, "invalid_grant");
    assert!(
        alice
            .page()
            .await
            .contains("You have no personal access tokens.")
    );
    assert!(!server.logs().contains(&pat), "PATs never reach the log");
}

async fn connected_apps_can_be_revoked(db: Db) {
    setup(&db);
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
        "openid read write",
        "--redirect-uri",
        "http://127.0.0.1/cb",
    ]);
    let (id, secret) = (
        app["client_id"].as_str().unwrap(),
        app["client_secret"].as_str().unwrap(),
    );
    let server = Server::start(&db).await;
    let (alice, _) = Account::login(&server, "alice").await;
    // Authorize the app in the same browser (already signed in): consent, code, tokens.
    let (verifier, challenge) = pkce();
    let url = format!(
        "{}/authorize?client_id={id}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2Fcb&scope=read+write+openid&code_challenge={challenge}&code_challenge_method=S256",
        server.issuer("acme")
    );
    let consent = alice
        .browser
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, _, location) = alice
        .post(
            "/t/acme/consent",
            &[
                ("csrf", &hidden_field(&consent, "csrf")),
                ("continue", &hidden_field(&consent, "continue")),
                ("decision", "approve"),
            ],
        )
        .await;
    let code: String = url::Url::parse(&location.unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into();
    let tokens = post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((id, secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:4000/cb"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let rt = tokens.body["refresh_token"].as_str().unwrap();

    // The account page shows what the app got; revoking ends its refresh tokens.
    let page = alice.page().await;
    assert!(
        page.contains("Reporting App") && page.contains("Revoke access"),
        "{page}"
    );
    // In the tenant's words, identity first, then in the order it described them.
    let apps = section(&page, "<ul id=\"apps\">");
    let order: Vec<usize> = [
        "Confirm who you are",
        "Change your documents",
        "Read your documents",
    ]
    .iter()
    .map(|text| {
        apps.find(text)
            .unwrap_or_else(|| panic!("{text} missing: {apps}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{apps}");
    assert!(!apps.contains("can: "), "no bare scope names: {apps}");
    let (status, _, _) = alice
        .post(
            &format!("/t/acme/account/apps/{id}/revoke"),
            &[("csrf", &hidden_field(&page, "csrf"))],
        )
        .await;
    assert_eq!(status, 303);
    assert!(
        alice
            .page()
            .await
            .contains("No app has access to your account.")
    );
    let r = post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((id, secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await;
    r.assert_error(400, "invalid_grant");
    // The next authorization asks again.
    let again = alice.browser.get(&url).send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("Allow Reporting App"));
}

/// Authorizes `client_id` for scope in the signed-in browser (approving the
/// consent page if shown) and redeems the code; returns the token response.
async fn authorize_in(
    a: &Account,
    server: &Server,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> Reply {
    let (verifier, challenge) = pkce();
    let url = format!(
        "{}/authorize?client_id={client_id}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2Fcb&scope={}&code_challenge={challenge}&code_challenge_method=S256",
        server.issuer("acme"),
        scope.replace(' ', "+")
    );
    let r = a.browser.get(&url).send().await.unwrap();
    let location = match r.status().as_u16() {
        200 => {
            let consent = r.text().await.unwrap();
            let form = [
                ("csrf", hidden_field(&consent, "csrf")),
                ("continue", hidden_field(&consent, "continue")),
                ("decision", "approve".into()),
            ];
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            a.post("/t/acme/consent", &form).await.2.unwrap()
        }
        _ => r.headers()["location"].to_str().unwrap().to_string(),
    };
    let code: String = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into();
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((client_id, secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:4000/cb"),
            ("code_verifier", &verifier),
        ],
    )
    .await
}

async fn admin_scopes_reach_only_admin_users(db: Db) {
    setup(&db);
    let console = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Console",
        "--grant-types",
        "authorization_code",
        "--scopes",
        "read admin",
        "--redirect-uri",
        "http://127.0.0.1/cb",
    ]);
    let (id, secret) = (
        console["client_id"].as_str().unwrap(),
        console["client_secret"].as_str().unwrap(),
    );
    let server = Server::start(&db).await;
    let (alice, _) = Account::login(&server, "alice").await;
    // The consent page lists exactly what the app will get: no admin for alice.
    let consent = consent_page(&alice, &server, id, "read admin").await;
    assert!(
        consent.contains("Read your documents") && !consent.contains("Administer the organisation"),
        "{consent}"
    );
    let r = authorize_in(&alice, &server, id, secret, "read admin").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["scope"], "read",
        "a non-admin user never gets an administrative scope"
    );
    let (root, _) = Account::login(&server, "root").await;
    let consent = consent_page(&root, &server, id, "read admin").await;
    assert!(
        consent.contains("Read your documents") && consent.contains("Administer the organisation"),
        "{consent}"
    );
    let r = authorize_in(&root, &server, id, secret, "read admin").await;
    assert_eq!(r.body["scope"], "admin read", "{}", r.text);
}

/// The consent page shown to `a` for `client_id` asking for `scope`.
async fn consent_page(a: &Account, server: &Server, client_id: &str, scope: &str) -> String {
    let (_, challenge) = pkce();
    let url = format!(
        "{}/authorize?client_id={client_id}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2Fcb&scope={}&code_challenge={challenge}&code_challenge_method=S256",
        server.issuer("acme"),
        scope.replace(' ', "+")
    );
    let r = a.browser.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The part of `page` from `start` to the end of that element's list.
fn section<'a>(page: &'a str, start: &str) -> &'a str {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("{start} missing: {page}"));
    let rest = &page[from..];
    let end = rest
        .find("</ul><h")
        .or_else(|| rest.find("</main>"))
        .unwrap_or(rest.len());
    &rest[..end]
}
