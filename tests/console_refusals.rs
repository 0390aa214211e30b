//! What the tenant admin console refuses: every console action refuses
//! non-admins, other tenants' admins and forms without the CSRF token,
//! changing nothing; an install on no project creates nothing; and an
//! unknown address is a console page with a way back.

mod common;
use common::console::*;
use common::*;
use serde_json::json;

on_both_backends!(
    console_actions_refuse_non_admins_other_tenants_and_missing_csrf,
    unknown_console_addresses_are_pages_with_a_way_back,
    an_install_on_no_project_is_refused_and_creates_nothing,
);

/// GitHub will not install an app until a repository is picked: neither
/// will the console (nor the admin API) install a per-project app on none.
async fn an_install_on_no_project_is_refused_and_creates_nothing(db: Db) {
    let (server, api) = setup(&db, "http://127.0.0.1:9/hook", &[]).await;
    let alice = sign_in(&server, "acme", "alice").await;
    let (status, page) = alice
        .post(
            "/catalog/docs-sync/install",
            &[("action", "install"), ("resources", "selected")],
            None,
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("choose at least one of the Projects"),
        "the form says what is missing: {page}"
    );
    assert!(
        page.contains("Install Docs Sync"),
        "the form is shown again: {page}"
    );
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "resources": {"project": []}}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let listed = api.list("/tenants/acme/installations").await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["app"] != "docs-sync"),
        "nothing was installed: {listed}"
    );
    // With a project picked it installs.
    let (status, page) = alice
        .post(
            "/catalog/docs-sync/install",
            &[
                ("action", "install"),
                ("resources", "selected"),
                ("r", "project:p1"),
            ],
            None,
        )
        .await;
    assert_eq!(status, 303, "{page}");
}

/// `/console/` and a mistyped address are console pages (a title, the
/// language, the navigation or a way to sign in), never a bare JSON error.
async fn unknown_console_addresses_are_pages_with_a_way_back(db: Db) {
    let (server, _api) = setup(&db, "http://127.0.0.1:9/hook", &[]).await;
    let alice = sign_in(&server, "acme", "alice").await;
    let r = alice
        .client
        .get(format!("{}/t/acme/console/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/t/acme/console");
    let (status, page) = alice.get("/no-such-page").await;
    assert_eq!(status, 404);
    assert!(page.contains("<html lang="), "{page}");
    assert!(page.contains("<title>Page not found"), "{page}");
    assert!(
        page.contains("href=\"/t/acme/console/installations\""),
        "the navigation: {page}"
    );
    assert!(page.contains("Back to the console"), "{page}");
    // An installation that is not there is "not found", not a refused action.
    let (status, page) = alice.get("/installations/in_missing").await;
    assert_eq!(status, 404);
    assert!(page.contains("<title>Not found"), "{page}");
    assert!(
        page.contains("There is no such installation here."),
        "{page}"
    );
    assert!(!page.contains("Cannot do that"), "{page}");
    // Someone not signed in gets the tenant's page and a way to sign in.
    let r = http()
        .get(format!(
            "{}/t/acme/console/installations/x/nope",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    assert!(page.contains("<title>Page not found"), "{page}");
    assert!(page.contains("Sign in to the console"), "{page}");
}

async fn console_actions_refuse_non_admins_other_tenants_and_missing_csrf(db: Db) {
    let (server, api) = setup(&db, "http://127.0.0.1:9/hook", &[]).await;
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "resources": {"project": ["p1"]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "time-tracker"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let tt = r.body["id"].as_str().unwrap().to_string();
    let alice = sign_in(&server, "acme", "alice").await;
    let bob = sign_in(&server, "acme", "bob").await;
    let carol = sign_in(&server, "globex", "carol").await;
    assert_eq!(carol.tenant, "globex");
    // What the admin API says is there, to compare after each refusal.
    let state = || async {
        let installations = api.list("/tenants/acme/installations").await;
        let users = api.list("/tenants/acme/users").await;
        let settings = api.get("/tenants/acme/settings").await.body;
        json!({"installations": installations, "users": users, "settings": settings})
    };
    let before = state().await;
    let i = format!("/installations/{id}");
    let actions: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/catalog/docs-sync/install".into(),
            vec![("action", "install"), ("resources", "all")],
        ),
        (
            format!("{i}/resources"),
            vec![("action", "save"), ("resources", "all")],
        ),
        (format!("{i}/suspend"), vec![]),
        (format!("/installations/{tt}/resume"), vec![]),
        (format!("{i}/upgrade"), vec![("decision", "decline")]),
        (format!("{i}/uninstall"), vec![("confirm", "yes")]),
        ("/requests/ir_x".into(), vec![("decision", "approve")]),
        (
            "/people".into(),
            vec![
                ("username", "mallory"),
                ("password", PASSWORD),
                ("admin", "yes"),
            ],
        ),
        ("/people/bob/admin".into(), vec![("admin", "yes")]),
        ("/people/alice/admin".into(), vec![("admin", "no")]),
        ("/people/alice/delete".into(), vec![]),
        ("/deliveries/x/retry".into(), vec![]),
        (
            "/settings".into(),
            vec![("user_installs", "permitted"), ("display_name", "Hacked")],
        ),
    ];
    for (path, form) in &actions {
        // A member of the tenant.
        let (status, page) = bob.post(path, form, None).await;
        assert_eq!(status, 403, "bob POST {path}: {page}");
        assert!(page.contains("Administrators only"), "{path}: {page}");
        // Another tenant's admin, with their own session and token: as a
        // browser sends them (not at all) and replayed by hand.
        let (status, _) = carol.post(path, form, None).await;
        assert_eq!(status, 403, "carol POST {path}");
        let (status, page) = carol.replayed(reqwest::Method::POST, path, form).await;
        assert_eq!(
            status, 303,
            "carol's globex session is not an acme session: POST {path}: {page}"
        );
        // The admin, without the CSRF token or with a wrong one.
        let (status, page) = alice.post(path, form, Some("")).await;
        assert_eq!(status, 403, "no csrf POST {path}: {page}");
        let (status, _) = alice
            .post(
                path,
                form,
                Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            )
            .await;
        assert_eq!(status, 403, "wrong csrf POST {path}");
        assert_eq!(state().await, before, "nothing changed after POST {path}");
    }
    // Pages: members get the 403 page; another tenant's admin is sent to
    // acme's login (their session is not acme's).
    for path in [
        "",
        "/installations",
        &i,
        "/people",
        "/activity",
        "/legacy",
        "/requests",
        "/settings",
        "/catalog",
    ] {
        let (status, page) = bob.get(path).await;
        assert_eq!(status, 403, "bob GET {path}: {page}");
        let (status, page) = carol.replayed(reqwest::Method::GET, path, &[]).await;
        assert!(
            status == 200 && page.contains("Sign in"),
            "carol GET {path}: {status}"
        );
        assert!(
            !page.contains("Docs Sync"),
            "carol sees nothing of acme at {path}"
        );
    }
    // Clickjacking and caching headers as on the other pages.
    let r = alice
        .client
        .get(format!("{}/t/acme/console/installations", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    // The admin's own action works, for contrast.
    let (status, _) = alice.post(&format!("{i}/suspend"), &[], None).await;
    assert_eq!(status, 303);
    let after = api.get(&format!("/tenants/acme/installations/{id}")).await;
    assert_eq!(after.body["status"], "suspended");
    // "permitted": bob installs an app asking only for what he holds (a
    // scope the tenant offers its users), and must ask for the others.
    for gone in [&tt, &id] {
        let r = api
            .delete(&format!("/tenants/acme/installations/{gone}"))
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
    }
    assert!(
        db.cli(&[
            "user",
            "describe-scope",
            "--tenant",
            "acme",
            "timesheets:read",
            "Read timesheets"
        ])
        .status
        .success()
    );
    let r = api
        .put(
            "/tenants/acme/settings",
            json!({"user_installs": "permitted"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (status, page) = bob.get("/catalog/time-tracker/install").await;
    assert!(
        status == 200 && page.contains("Install Time Tracker"),
        "{status}: {page}"
    );
    let (status, _) = bob
        .post(
            "/catalog/time-tracker/install",
            &[("action", "install")],
            None,
        )
        .await;
    assert_eq!(status, 303, "bob installs Time Tracker himself");
    let listed = api.list("/tenants/acme/installations").await;
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["app"] == "time-tracker")
        .unwrap()
        .clone();
    assert_eq!(mine["installed_by"], "bob");
    let (status, page) = bob.get("/catalog/docs-sync/install").await;
    assert!(
        status == 200 && page.contains("Send request") && !page.contains(">Install Docs"),
        "{page}"
    );
    let (status, _) = bob
        .post(
            "/catalog/docs-sync/install",
            &[("action", "install"), ("resources", "all")],
            None,
        )
        .await;
    assert_ne!(status, 303, "Docs Sync asks for more than bob holds");
    assert_eq!(
        api.list("/tenants/acme/installations")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A logo: pages admit images from exactly its origin.
    let r = api
        .put(
            "/tenants/acme/settings",
            json!({"logo_url": "https://cdn.acme.test/logo.png"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = browser()
        .get(format!("{}/t/acme/account", server.base))
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.ends_with("; img-src https://cdn.acme.test"), "{csp}");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("src=\"https://cdn.acme.test/logo.png\"")
    );

    // Settings through the admin API: bad values name the field.
    let r = api
        .put(
            "/tenants/acme/settings",
            json!({"logo_url": "http://cdn.acme.test/logo.png"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["field"], "logo_url");
    let r = api
        .put("/tenants/acme/settings", json!({"accent": "#fff"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = api.get("/tenants/nope/settings").await;
    assert_eq!(r.status, 404);
    server.kill().await;
}
