//! The device authorization grant (RFC 8628): openid-client 6 on the device
//! and a person in Chromium; then each way the flow can go wrong.

mod common;
use common::*;

on_both_backends!(
    openid_client_device_flow_with_a_person_in_chromium,
    device_flow_answers_and_refusals,
    authlib_polls_while_a_person_approves,
);

const PASSWORD: &str = "correct horse battery staple";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Tenant acme with alice and a public client (a CLI) allowed the device
/// grant and refresh tokens; the client's id.
fn setup(db: &Db) -> String {
    db.create_tenant("acme", &[]);
    create_user(db, "acme", "alice", PASSWORD, &["--name", "Alice Liddell"]);
    let out = db.cli(&[
        "user",
        "describe-scope",
        "--tenant",
        "acme",
        "read",
        "Read your documents",
    ]);
    assert!(out.status.success());
    let cli = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Acme CLI",
        "--public",
        "--grant-types",
        "device_code,refresh_token",
        "--scopes",
        "openid read write",
    ]);
    cli["client_id"].as_str().unwrap().to_string()
}

async fn openid_client_device_flow_with_a_person_in_chromium(db: Db) {
    let client_id = setup(&db);
    let server = Server::start(&db).await;
    let issuer = server.issuer("acme");
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/device-screenshots")
        .join(db.backend_name());
    let r = run_js(
        "device_flow.mjs",
        &[
            ("ISSUER", issuer.clone()),
            ("CLIENT_ID", client_id.clone()),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
            ("CHROMIUM", chromium()),
            ("SHOTS", shots.display().to_string()),
        ],
    )
    .await;

    assert_eq!(
        r["endpoint"],
        format!("{issuer}/device_authorization"),
        "{r}"
    );
    let code = r["device"]["user_code"].as_str().unwrap();
    assert!(
        code.len() == 9
            && code.as_bytes()[4] == b'-'
            && code
                .bytes()
                .all(|b| b == b'-' || b"BCDFGHJKLMNPQRSTVWXZ".contains(&b)),
        "{code}"
    );
    assert_eq!(r["device"]["verification_uri"], format!("{issuer}/device"));
    assert_eq!(
        r["device"]["verification_uri_complete"],
        format!("{issuer}/device?user_code={code}")
    );
    assert_eq!(r["device"]["expires_in"], 600);
    assert_eq!(r["device"]["interval"], 5);
    // The person: sign in first, then back to the code form.
    assert_eq!(r["first_title"], "Sign in \u{2013} acme", "{r}");
    assert_eq!(r["after_sign_in"], "/t/acme/device", "{r}");
    assert!(
        r["wrong_code_alert"]
            .as_str()
            .unwrap()
            .starts_with("That code is not waiting for approval"),
        "{r}"
    );
    assert_eq!(
        r["approval"]["heading"], "Allow Acme CLI on your device?",
        "{r}"
    );
    assert_eq!(r["approval"]["code_shown"], code, "{r}");
    assert_eq!(
        r["approval"]["scopes"],
        serde_json::json!(["Confirm who you are (openid)", "Read your documents (read)"]),
        "{r}"
    );
    assert!(
        r["done"]
            .as_str()
            .unwrap()
            .starts_with("Your device is connected"),
        "{r}"
    );
    // The device got its tokens by polling at the interval.
    assert_eq!(r["tokens"]["token_type"], "bearer", "{r}");
    assert_eq!(r["tokens"]["scope"], "openid read");
    assert_eq!(r["tokens"]["refresh_token"], true);
    assert!(
        r["tokens"]["id_token_sub"]
            .as_str()
            .is_some_and(|s| s.starts_with("usr_")),
        "{r}"
    );
    // The pages: found, accessible and fitting at phone and desktop width.
    for (name, page) in r["pages"].as_object().unwrap() {
        assert_eq!(page["status"], 200, "{name}: {page}");
        assert_eq!(page["violations"], serde_json::json!([]), "{name}: {page}");
        assert!(page["overflow"].is_null(), "{name}: {page}");
    }
    assert_eq!(r["pages"].as_object().unwrap().len(), 4);
    assert!(
        r["denied_page"]
            .as_str()
            .unwrap()
            .starts_with("Nothing was connected"),
        "{r}"
    );
    assert_eq!(r["denied_error"], "access_denied", "{r}");
}

async fn device_authorization(server: &Server, form: &[(&str, &str)]) -> Reply {
    post_form(
        &format!("{}/device_authorization", server.issuer("acme")),
        None,
        form,
    )
    .await
}

async fn poll(server: &Server, client_id: &str, device_code: &str) -> Reply {
    post_form(
        &format!("{}/token", server.issuer("acme")),
        None,
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ],
    )
    .await
}

/// A signed-in person's browser: alice, signed in through the device page.
async fn signed_in(server: &Server) -> Flow {
    let flow = Flow {
        issuer: server.issuer("acme"),
        client_id: String::new(),
        browser: browser(),
    };
    let (status, login, _) = flow.get(&format!("{}/device", flow.issuer)).await;
    assert_eq!(status, 200);
    let csrf = hidden_field(&login, "csrf");
    let (status, _, location) = flow
        .post(
            "/t/acme/login",
            &[
                ("csrf", &csrf),
                ("continue", ""),
                ("return", "device"),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/t/acme/device")));
    flow
}

/// Types `code` on the device page; the status and page.
async fn enter(flow: &Flow, code: &str) -> (u16, String) {
    let url = format!("{}/device?user_code={}", flow.issuer, urlencode(code));
    let (status, page, _) = flow.get(&url).await;
    (status, page)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Answers the approval page `page` (approve or deny).
async fn answer(flow: &Flow, page: &str, decision: &str) -> (u16, String) {
    let csrf = hidden_field(page, "csrf");
    let code = hidden_field(page, "user_code");
    let (status, page, _) = flow
        .post(
            "/t/acme/device/decide",
            &[
                ("csrf", &csrf),
                ("user_code", &code),
                ("decision", decision),
            ],
        )
        .await;
    (status, page)
}

async fn device_flow_answers_and_refusals(db: Db) {
    let client_id = setup(&db);
    let web = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Web App",
        "--grant-types",
        "authorization_code",
        "--scopes",
        "read",
        "--redirect-uri",
        "http://127.0.0.1:9/cb",
        "--public",
    ]);
    let web_id = web["client_id"].as_str().unwrap();
    let server = Server::start(&db).await;
    let issuer = server.issuer("acme");

    let meta = get_json(&format!("{issuer}/.well-known/openid-configuration"))
        .await
        .body;
    assert_eq!(
        meta["device_authorization_endpoint"],
        format!("{issuer}/device_authorization")
    );
    assert!(
        meta["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == DEVICE_GRANT)
    );

    // Only a client registered for the grant, for its own scopes.
    device_authorization(&server, &[("client_id", web_id)])
        .await
        .assert_error(400, "unauthorized_client");
    device_authorization(
        &server,
        &[("client_id", &client_id), ("scope", "read admin")],
    )
    .await
    .assert_error(400, "invalid_scope");
    device_authorization(&server, &[("client_id", "cl_nobody")])
        .await
        .assert_error(401, "invalid_client");

    // Pending: the device is told to wait, and to slow down when it polls
    // sooner than the interval.
    let r = device_authorization(&server, &[("client_id", &client_id), ("scope", "read")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let device_code = r.body["device_code"].as_str().unwrap().to_string();
    let user_code = r.body["user_code"].as_str().unwrap().to_string();
    poll(&server, &client_id, &device_code)
        .await
        .assert_error(400, "authorization_pending");
    let r = poll(&server, &client_id, &device_code).await;
    r.assert_error(400, "slow_down");
    assert!(r.text.contains("every 10 seconds"), "{}", r.text);
    // Another client, or a made-up code, gets nothing.
    poll(&server, web_id, &device_code)
        .await
        .assert_error(400, "unauthorized_client");
    poll(&server, &client_id, "made-up")
        .await
        .assert_error(400, "invalid_grant");

    // Not signed in, the code survives the sign-in.
    let out = Flow {
        issuer: issuer.clone(),
        client_id: String::new(),
        browser: browser(),
    };
    let (status, login) = enter(&out, &user_code).await;
    assert_eq!(status, 200);
    assert!(
        login.contains("name=\"return\" value=\"device?user_code="),
        "{login}"
    );

    // Approved: tokens once, then the code is spent.
    let person = signed_in(&server).await;
    let (status, page) = enter(&person, &user_code.to_lowercase().replace('-', " ")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&user_code), "{page}");
    let (status, done) = answer(&person, &page, "approve").await;
    assert_eq!(status, 200, "{done}");
    let r = poll(&server, &client_id, &device_code).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scope"], "read");
    assert!(r.body["refresh_token"].is_string());
    poll(&server, &client_id, &device_code)
        .await
        .assert_error(400, "invalid_grant");
    // Answered codes cannot be answered again, nor shown.
    let (status, _) = answer(&person, &page, "deny").await;
    assert_eq!(status, 409);
    let (status, _) = enter(&person, &user_code).await;
    assert_eq!(status, 404);
    // The grant is the person's to revoke, like any app's.
    let (_, account, _) = person.get(&format!("{issuer}/account")).await;
    assert!(account.contains("Acme CLI"), "{account}");

    // Denied: the device hears access_denied.
    let r = device_authorization(&server, &[("client_id", &client_id)]).await;
    let (denied_device, denied_user) = (
        r.body["device_code"].as_str().unwrap().to_string(),
        r.body["user_code"].as_str().unwrap().to_string(),
    );
    let (_, page) = enter(&person, &denied_user).await;
    let (status, _) = answer(&person, &page, "deny").await;
    assert_eq!(status, 200);
    poll(&server, &client_id, &denied_device)
        .await
        .assert_error(400, "access_denied");

    // Expired: after ten minutes, the device must start again and the code
    // is not shown to anyone.
    let r = device_authorization(&server, &[("client_id", &client_id)]).await;
    let (old_device, old_user) = (
        r.body["device_code"].as_str().unwrap().to_string(),
        r.body["user_code"].as_str().unwrap().to_string(),
    );
    age_device_codes(&db, 601).await;
    poll(&server, &client_id, &old_device)
        .await
        .assert_error(400, "expired_token");
    let (status, _) = enter(&person, &old_user).await;
    assert_eq!(status, 404);

    // Guessing is throttled per address: after five wrong codes in all (two
    // above), even a right one waits.
    let r = device_authorization(&server, &[("client_id", &client_id)]).await;
    let live = r.body["user_code"].as_str().unwrap().to_string();
    for guess in ["BCDF-GHJK", "BCDF-GHJL", "BCDF-GHJM"] {
        let (status, _) = enter(&person, guess).await;
        assert_eq!(status, 404);
    }
    let (status, page) = enter(&person, &live).await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("Too many wrong codes"), "{page}");
}

/// Moves every device code `seconds` into the past, as time would.
async fn age_device_codes(db: &Db, seconds: i64) {
    let sql = "UPDATE device_codes SET expires_at = expires_at - $1";
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

async fn authlib_polls_while_a_person_approves(db: Db) {
    let client_id = setup(&db);
    let server = Server::start(&db).await;
    let r = run_py(
        "authlib_device.py",
        &[
            ("ISSUER", server.issuer("acme")),
            ("CLIENT_ID", client_id),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
        ],
    )
    .await;
    assert_eq!(r["auth_method"], "none", "{r}");
    assert_eq!(r["before"]["error"], "authorization_pending", "{r}");
    assert_eq!(r["code_shown"], true, "{r}");
    // The approval is this poll's answer: no interval to wait once approved.
    assert_eq!(r["after"]["token_type"], "Bearer", "{r}");
    assert_eq!(r["after"]["scope"], "openid read", "{r}");
    assert_eq!(r["after"]["refresh_token"], true, "{r}");
    assert_eq!(r["again"]["error"], "invalid_grant", "{r}");
}
