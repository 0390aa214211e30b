//! Rich authorization requests (RFC 9396) and resource indicators (RFC
//! 8707) against a tenant's registered resource servers (RFC 9728 metadata):
//! openid-client 6 asks for both in the code flow (pushed) and with
//! client_credentials; a type the client may not ask for, an unknown
//! resource and a scope the resource does not offer are refused; the
//! tenant's grant policy sees the details (WIT 0.4.0) while a 0.3.0
//! component keeps loading and deciding.

mod common;
use common::*;
use serde_json::{Value, json};

on_both_backends!(
    openid_client_asks_for_details_and_resources,
    requests_beyond_what_is_registered_are_refused,
    resource_servers_are_registered_published_and_removed,
    the_grant_policy_sees_the_details,
    the_consent_page_puts_details_in_the_tenants_words,
);

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";
const API: &str = "https://api.acme.test/";

/// The tenant's projects API and the consent page's words for its type.
fn register_api(db: &Db) -> Value {
    let types = std::env::temp_dir().join(format!("types-{}.json", free_port()));
    std::fs::write(
        &types,
        json!([{
            "type": "project_access",
            "description": "Work on one of your projects",
            "actions": ["read", "write"],
        }])
        .to_string(),
    )
    .unwrap();
    db.cli_json(&[
        "resource-server",
        "add",
        "--tenant",
        "acme",
        "--identifier",
        API,
        "--name",
        "Projects API",
        "--scopes",
        "projects:read projects:write",
        "--authorization-details-types",
        types.to_str().unwrap(),
    ])
}

struct Clients {
    web: (String, String),
    service: (String, String),
    /// May use the API but ask for no details.
    plain: (String, String),
}

fn setup(db: &Db) -> Clients {
    db.create_tenant("acme", &[]);
    create_user(db, "acme", "alice", PASSWORD, &["--name", "Alice Liddell"]);
    register_api(db);
    let web = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Project Board",
        "--grant-types",
        "authorization_code refresh_token",
        "--scopes",
        "openid projects:read projects:write",
        "--redirect-uri",
        REDIRECT,
        "--authorization-details-type",
        "project_access",
    ]);
    let pair = |v: &Value| {
        (
            v["client_id"].as_str().unwrap().to_string(),
            v["client_secret"].as_str().unwrap().to_string(),
        )
    };
    Clients {
        web: pair(&web),
        service: db.create_client(
            "acme",
            "projects:read",
            &["--authorization-details-type", "project_access"],
        ),
        plain: db.create_client("acme", "projects:read other", &[]),
    }
}

async fn openid_client_asks_for_details_and_resources(db: Db) {
    let c = setup(&db);
    let server = Server::start(&db).await;
    let r = run_js(
        "rar.mjs",
        &[
            ("ISSUER", server.issuer("acme")),
            ("WEB_CLIENT_ID", c.web.0.clone()),
            ("WEB_CLIENT_SECRET", c.web.1.clone()),
            ("SERVICE_CLIENT_ID", c.service.0.clone()),
            ("SERVICE_CLIENT_SECRET", c.service.1.clone()),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
            ("REDIRECT_URI", REDIRECT.into()),
            ("API", API.into()),
        ],
    )
    .await;

    assert_eq!(r["types_supported"], json!(["project_access"]), "{r}");
    // The person reads what is asked in the tenant's words.
    assert_eq!(r["consent"]["status"], 200, "{r}");
    assert_eq!(r["consent"]["tenant_words"], true, "{r}");
    assert_eq!(r["consent"]["names_project"], true, "{r}");
    let asked = json!([{"type": "project_access", "actions": ["read"], "identifier": "p-7"}]);
    assert_eq!(r["code"]["response_details"], asked, "{r}");
    assert_eq!(r["code"]["token_details"], asked, "{r}");
    assert_eq!(r["code"]["aud"], API, "{r}");
    assert_eq!(r["code"]["scope"], "openid projects:read", "{r}");
    assert_eq!(r["refresh"]["response_details"], asked, "{r}");
    assert_eq!(r["refresh"]["aud"], API, "{r}");
    assert_eq!(
        r["refresh"]["other_resource_error"], "invalid_target",
        "{r}"
    );
    assert_eq!(r["introspection"]["active"], true, "{r}");
    assert_eq!(r["introspection"]["details"], asked, "{r}");
    assert_eq!(
        r["client_credentials"]["response_details"],
        json!([{"type": "project_access", "actions": ["read", "write"], "identifier": "p-9"}]),
        "{r}"
    );
    assert_eq!(r["client_credentials"]["aud"], API, "{r}");
    let refused = &r["refused"];
    assert_eq!(
        refused["other_type"], "invalid_authorization_details",
        "{r}"
    );
    assert_eq!(refused["not_json"], "invalid_authorization_details", "{r}");
    assert_eq!(
        refused["bad_action"], "invalid_authorization_details",
        "{r}"
    );
    assert_eq!(refused["unknown_resource"], "invalid_target", "{r}");
    assert_eq!(refused["pushed_unknown_resource"], "invalid_target", "{r}");
}

async fn requests_beyond_what_is_registered_are_refused(db: Db) {
    let c = setup(&db);
    let server = Server::start(&db).await;
    let issuer = server.issuer("acme");
    let url = format!("{issuer}/token");
    let cc = |extra: &[(&'static str, &'static str)]| {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        form
    };
    let details = r#"[{"type":"project_access","actions":["read"]}]"#;

    // A client not set up for the type may not ask for it, however well formed.
    let r = post_form(
        &url,
        Some((&c.plain.0, &c.plain.1)),
        &cc(&[("authorization_details", details)]),
    )
    .await;
    r.assert_error(400, "invalid_authorization_details");
    assert!(r.text.contains("project_access"), "{}", r.text);
    // A location that is not the type's resource.
    let r = post_form(
        &url,
        Some((&c.service.0, &c.service.1)),
        &cc(&[(
            "authorization_details",
            r#"[{"type":"project_access","locations":["https://evil.test/"]}]"#,
        )]),
    )
    .await;
    r.assert_error(400, "invalid_authorization_details");
    // The tenant registered resources: others are unknown targets.
    post_form(
        &url,
        Some((&c.plain.0, &c.plain.1)),
        &cc(&[("resource", "https://elsewhere.test/")]),
    )
    .await
    .assert_error(400, "invalid_target");
    // A scope the named resource does not offer.
    let r = post_form(
        &url,
        Some((&c.plain.0, &c.plain.1)),
        &cc(&[("resource", API), ("scope", "other")]),
    )
    .await;
    r.assert_error(400, "invalid_scope");
    // The defaults narrowed to what it offers.
    let ok = post_form(
        &url,
        Some((&c.plain.0, &c.plain.1)),
        &cc(&[("resource", API)]),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["scope"], "projects:read");
    assert!(ok.body.get("authorization_details").is_none());

    // At the authorization endpoint the errors go back to the app.
    let flow = Flow {
        issuer: issuer.clone(),
        client_id: c.web.0.clone(),
        browser: browser(),
    };
    let (_, challenge) = pkce();
    let base = [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "projects:read"),
        ("state", "s-9"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (extra, error) in [
        (
            (
                "authorization_details",
                r#"[{"type":"payment_initiation"}]"#,
            ),
            "invalid_authorization_details",
        ),
        (
            (
                "authorization_details",
                r#"[{"type":"project_access","actions":["delete"]}]"#,
            ),
            "invalid_authorization_details",
        ),
        (("resource", "https://elsewhere.test/"), "invalid_target"),
    ] {
        let mut params = base.to_vec();
        params.push(extra);
        let (status, page, location) = flow.get(&flow.authorize_url(&params)).await;
        assert_eq!(status, 303, "{page}");
        let q = query_of(&location.unwrap());
        assert_eq!(q["error"], error);
        assert_eq!(q["state"], "s-9");
        assert_eq!(q["iss"], issuer);
    }

    // A person who approved the app before is asked again when a request
    // carries details: they are about this request.
    let first = flow
        .tokens(
            "acme",
            "alice",
            PASSWORD,
            REDIRECT,
            "projects:read",
            &c.web.1,
        )
        .await;
    assert!(first.get("authorization_details").is_none());
    let mut params = base.to_vec();
    params.push(("authorization_details", details));
    let (status, page, _) = flow.get(&flow.authorize_url(&params)).await;
    assert_eq!(status, 200, "asked again: {page}");
    assert!(page.contains("Work on one of your projects"), "{page}");
}

async fn resource_servers_are_registered_published_and_removed(db: Db) {
    db.create_tenant("acme", &[]);
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let issuer = server.issuer("acme");
    let api = AdminApi::of(&server);
    let meta = get_json(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert!(
        meta.body
            .get("authorization_details_types_supported")
            .is_none(),
        "nothing advertised before anything is registered"
    );

    let body = json!({
        "identifier": API, "name": "Projects API", "scopes": "projects:read",
        "authorization_details_types": [
            {"type": "project_access", "description": "Work on one of your projects", "actions": ["read"]}
        ],
    });
    let r = api
        .post("/tenants/acme/resource-servers", body.clone())
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("rs_"));
    let metadata_url = r.body["metadata_url"].as_str().unwrap().to_string();

    // Refusals are problem documents.
    let again = api.post("/tenants/acme/resource-servers", body).await;
    assert_eq!(again.status, 409, "{}", again.text);
    let same_type = api
        .post(
            "/tenants/acme/resource-servers",
            json!({"identifier": "https://other.acme.test/", "name": "Other",
                   "authorization_details_types": [{"type": "project_access", "description": "x"}]}),
        )
        .await;
    assert_eq!(same_type.status, 409, "{}", same_type.text);
    assert!(same_type.text.contains("project_access"));
    for bad in [
        json!({"identifier": "http://api.acme.test/", "name": "Plain HTTP"}),
        json!({"identifier": "https://api.acme.test/#x", "name": "Fragment"}),
        json!({"identifier": "https://b.acme.test/", "name": " "}),
        json!({"identifier": "https://b.acme.test/", "name": "B",
               "authorization_details_types": [{"type": "has space", "description": "x"}]}),
    ] {
        let r = api
            .post("/tenants/acme/resource-servers", bad.clone())
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    let listed = api.get("/tenants/acme/resource-servers").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.text);

    // RFC 9728 metadata for the API to publish; discovery lists the type.
    let m = get_json(&metadata_url).await;
    assert_eq!(m.status, 200, "{}", m.text);
    assert_eq!(m.body["resource"], API);
    assert_eq!(m.body["resource_name"], "Projects API");
    assert_eq!(m.body["authorization_servers"], json!([issuer]));
    assert_eq!(m.body["scopes_supported"], json!(["projects:read"]));
    assert_eq!(
        m.body["authorization_details_types_supported"],
        json!(["project_access"])
    );
    let unknown = get_json(&format!(
        "{issuer}/resource-metadata?resource=https%3A%2F%2Fnope.test%2F"
    ))
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    let meta = get_json(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(
        meta.body["authorization_details_types_supported"],
        json!(["project_access"])
    );

    // A client may be set up only for registered types.
    let r = api
        .post(
            "/tenants/acme/clients",
            json!({"name": "Payments", "scopes": "read",
                   "authorization_details_types": ["payment_initiation"]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("payment_initiation"));
    let client = api
        .post(
            "/tenants/acme/clients",
            json!({"name": "Reader", "scopes": "projects:read",
                   "authorization_details_types": ["project_access"]}),
        )
        .await;
    assert_eq!(client.status, 201, "{}", client.text);
    let (id_c, secret) = (
        client.body["client_id"].as_str().unwrap(),
        client.body["client_secret"].as_str().unwrap(),
    );
    let token_url = format!("{issuer}/token");
    let ask = [("grant_type", "client_credentials"), ("resource", API)];
    let ok = post_form(&token_url, Some((id_c, secret)), &ask).await;
    assert_eq!(ok.status, 200, "{}", ok.text);

    // Removed (and audited): requests naming it are refused from then on,
    // while the tenant keeps another (a tenant with none registered takes
    // any well-formed resource, as RFC 8707 alone would).
    let other = api
        .post(
            "/tenants/acme/resource-servers",
            json!({"identifier": "https://other.acme.test/", "name": "Other"}),
        )
        .await;
    assert_eq!(other.status, 201, "{}", other.text);
    let gone = api
        .delete(&format!("/tenants/acme/resource-servers/{id}"))
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert_eq!(
        api.delete(&format!("/tenants/acme/resource-servers/{id}"))
            .await
            .status,
        404
    );
    let refused = eventually(std::time::Duration::from_secs(5), || async {
        post_form(&token_url, Some((id_c, secret)), &ask)
            .await
            .status
            == 400
    })
    .await;
    assert!(refused, "a removed resource server stays usable");
    let audit = db.cli_json(&["audit", "list", "--tenant", "acme"]);
    let kinds: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(kinds.contains(&"resource_server.registered"), "{audit}");
    assert!(kinds.contains(&"resource_server.removed"), "{audit}");
}

async fn the_grant_policy_sees_the_details(db: Db) {
    let c = setup(&db);
    add_and_bind_plugin(
        &db,
        "acme",
        "grant-policy",
        "scope-policy",
        "scopes",
        r#"{"allowed_scopes": ["projects:read"], "detail_actions": {"project_access": ["read"]}}"#,
    );
    let server = Server::start(&db).await;
    let url = format!("{}/token", server.issuer("acme"));
    let ask = |actions: &'static str| {
        [
            ("grant_type", "client_credentials"),
            ("authorization_details", actions),
        ]
    };
    let service = Some((c.service.0.as_str(), c.service.1.as_str()));
    let read = post_form(
        &url,
        service,
        &ask(r#"[{"type":"project_access","actions":["read"]}]"#),
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
    let write = post_form(
        &url,
        service,
        &ask(r#"[{"type":"project_access","actions":["read","write"]}]"#),
    )
    .await;
    write.assert_error(400, "access_denied");
    assert!(
        write
            .text
            .contains("does not allow the action write on project_access"),
        "{}",
        write.text
    );
    server.stop().await;

    // The same policy built against 0.3.0 loads and decides, without
    // seeing the details: the host still checked them against the type.
    let old = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/warden-plugin-0.3.0/scope_policy.wasm");
    db.cli_json(&[
        "plugin",
        "add",
        old.to_str().unwrap(),
        "--name",
        "scopes-0-3",
    ]);
    let listed = db.cli_json(&["plugin", "list"]);
    let wit_of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["wit"].clone())
    };
    assert_eq!(
        wit_of("scopes-0-3"),
        Some(json!("warden:plugin@0.3.0")),
        "{listed}"
    );
    assert_eq!(
        wit_of("scopes"),
        Some(json!("warden:plugin@0.4.0")),
        "{listed}"
    );
    db.cli_json(&[
        "plugin",
        "bind",
        "--tenant",
        "acme",
        "--hook",
        "grant-policy",
        "--plugin",
        "scopes-0-3",
        "--config",
        r#"{"allowed_scopes": ["projects:read"]}"#,
    ]);
    let server = Server::start(&db).await;
    let url = format!("{}/token", server.issuer("acme"));
    let write = post_form(
        &url,
        service,
        &ask(r#"[{"type":"project_access","actions":["read","write"]}]"#),
    )
    .await;
    assert_eq!(write.status, 200, "{}", write.text);
    assert_eq!(
        write.body["authorization_details"][0]["actions"],
        json!(["read", "write"])
    );
    let other = post_form(
        &url,
        service,
        &ask(r#"[{"type":"project_access","actions":["delete"]}]"#),
    )
    .await;
    other.assert_error(400, "invalid_authorization_details");
}

/// The consent page a person reads, in Chromium at phone and desktop width:
/// the request in the tenant's words, nothing sticking out, no serious axe
/// finding (screenshots in target/consent-screenshots/).
async fn the_consent_page_puts_details_in_the_tenants_words(db: Db) {
    let c = setup(&db);
    let server = Server::start(&db).await;
    let long = format!("project-{}", "harbour".repeat(12));
    let details =
        json!([{"type": "project_access", "actions": ["read", "write"], "identifier": long}]);
    let mut url = url::Url::parse(&format!("{}/authorize", server.issuer("acme"))).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &c.web.0)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "projects:read")
        .append_pair("authorization_details", &details.to_string());
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../target/consent-screenshots/{}",
        db.backend_name()
    ));
    let r = run_js(
        "signed_in_page.mjs",
        &[
            ("PAGE_URL", url.to_string()),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
            ("CHROMIUM", chromium()),
            ("SHOTS", shots.display().to_string()),
            ("NAME", "consent-details".into()),
        ],
    )
    .await;
    for width in ["375", "1280"] {
        let page = &r[width];
        assert_eq!(page["status"], 200, "{r}");
        assert_eq!(
            page["heading"], "Allow Project Board to access your account?",
            "{r}"
        );
        let text = page["text"].as_str().unwrap();
        for said in [
            "Work on one of your projects",
            "Actions",
            "read, write",
            long.as_str(),
        ] {
            assert!(text.contains(said), "{width}: {said:?} missing from {text}");
        }
        assert_eq!(page["violations"], json!([]), "{width}: {r}");
        assert_eq!(page["overflow"], Value::Null, "{width}: {r}");
    }
}
