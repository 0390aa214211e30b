//! The tenant admin console through the real binary: an admin walks every
//! flow in a real browser (tests/js/console_flows.mjs: install with a
//! project selection, edit it and see the token change, approve an upgrade,
//! suspend, retry a dead delivery, settings and branding, a user's request
//! approved, uninstall), every page passes axe and fits 375 pixels; and
//! every console action refuses non-admins, other tenants' admins and
//! forms without the CSRF token, changing nothing.

mod common;
use common::*;
use serde_json::{Value, json};

on_both_backends!(
    an_admin_walks_every_console_flow_in_a_real_browser,
    console_actions_refuse_non_admins_other_tenants_and_missing_csrf,
    unknown_console_addresses_are_pages_with_a_way_back,
    an_install_on_no_project_is_refused_and_creates_nothing,
    deleting_a_person_is_one_action_from_the_console_the_api_and_the_cli,
);

/// Deleting a person is one action whichever way it comes: the console, the
/// admin API and the CLI each leave the same `user.deleted` record but for
/// its actor, and creating or re-passwording one is recorded the same way.
/// Only a person in the console is kept from deleting themselves or taking
/// away their own admin role, and a refusal records nothing.
async fn deleting_a_person_is_one_action_from_the_console_the_api_and_the_cli(db: Db) {
    db.create_tenant("acme", &[]);
    create_user(
        &db,
        "acme",
        "alice",
        PASSWORD,
        &["--admin", "--name", "Alice Admin"],
    );
    create_user(&db, "acme", "dora", PASSWORD, &["--name", "Dora"]);
    create_user(&db, "acme", "erin", PASSWORD, &["--name", "Erin"]);
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let api = AdminApi::of(&server);
    let r = api
        .post(
            "/tenants/acme/users",
            json!({"username": "fay", "password": PASSWORD, "name": "Fay"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let records = |action: &str| -> Vec<Value> {
        db.cli_json(&["audit", "list", "--tenant", "acme"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == action)
            .map(|a| serde_json::from_str(a["detail"].as_str().unwrap()).unwrap())
            .collect()
    };

    let alice = sign_in(&server, "acme", "alice").await;
    let (status, page) = alice.post("/people/alice/delete", &[], None).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("You cannot delete your own account"),
        "{page}"
    );
    let (status, page) = alice
        .post("/people/alice/admin", &[("admin", "no")], None)
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("your own administrator role"), "{page}");
    assert_eq!(records("user.deleted"), Vec::<Value>::new());
    assert_eq!(records("user.admin_removed"), Vec::<Value>::new());

    let (status, page) = alice.post("/people/dora/delete", &[], None).await;
    assert_eq!(status, 303, "{page}");
    let r = api.delete("/tenants/acme/users/erin").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = api.delete("/tenants/acme/users/erin").await;
    assert_eq!(r.status, 404, "deleted once: {}", r.text);
    let out = db.cli(&["user", "delete", "--tenant", "acme", "--username", "fay"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        records("user.deleted"),
        [
            json!({"actor": "cli", "user": "fay", "name": "Fay"}),
            json!({"actor": "operator", "user": "erin", "name": "Erin"}),
            json!({"actor": "alice", "user": "dora", "name": "Dora"}),
        ],
        "one record per deletion, the same shape, newest first"
    );
    let users = api.list("/tenants/acme/users").await;
    assert_eq!(users.as_array().unwrap().len(), 1, "alice remains: {users}");

    let created: Vec<(Value, Value)> = records("user.created")
        .into_iter()
        .map(|d| (d["user"].clone(), d["actor"].clone()))
        .collect();
    assert_eq!(
        created,
        [
            (json!("fay"), json!("operator")),
            (json!("erin"), json!("cli")),
            (json!("dora"), json!("cli")),
            (json!("alice"), json!("cli")),
        ]
    );
    let out = cli_stdin(
        &db,
        &[
            "user",
            "set-password",
            "--tenant",
            "acme",
            "--username",
            "alice",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        records("user.password_set"),
        [json!({"actor": "cli", "user": "alice"})]
    );
    // Describing a scope from the CLI is recorded too, and the console's
    // activity tells both as sentences (an operator set alice's password).
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
    assert_eq!(
        records("scope.described"),
        [json!({"actor": "cli", "scope": "read", "description": "Read your documents"})]
    );
    let out = db.cli(&["user", "describe-scope", "--tenant", "nope", "read", "Read"]);
    assert!(!out.status.success(), "no such tenant");
    let alice = sign_in(&server, "acme", "alice").await;
    let (status, page) = alice.get("/activity").await;
    assert_eq!(status, 200);
    assert!(page.contains("set a new password for"), "{page}");
    assert!(page.contains("described the scope read as"), "{page}");

    // Listing people of a tenant that does not exist is the same answer
    // from both: not found, rather than nobody.
    let r = api.get("/tenants/nope/users").await;
    assert_eq!(r.status, 404, "{}", r.text);
    let out = db.cli(&["user", "list", "--tenant", "nope"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("tenant not found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

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

const PASSWORD: &str = "correct horse battery staple";

fn docs_sync(hook: &str) -> Value {
    json!({
        "slug": "docs-sync",
        "name": "Docs Sync <b>bold</b>",
        "description": "Keeps your project documents in sync. <script>alert(1)</script>",
        "publisher": {"name": "Acme Integrations", "url": "https://acme.example", "email": "dev@acme.example"},
        "logo_url": "https://cdn.acme.example/docs-sync.png",
        "homepage_url": "https://acme.example/docs-sync",
        "setup_instructions": "1. Open **Docs Sync**\n2. Pick a folder\n\n<img src=x onerror=alert(1)>",
        "listed": true,
        "hook_url": hook,
        "resource_types": [{"type": "project", "name": "Projects"}],
        "permissions": [
            {"name": "directory:read", "level": "tenant", "description": "Read the company directory"},
            {"name": "documents:write", "level": "resource", "resource_type": "project", "description": "Upload documents"},
            {"name": "budget:read", "level": "resource", "resource_type": "project", "description": "Read budgets", "required": false}
        ]
    })
}

fn time_tracker(hook: &str) -> Value {
    json!({
        "slug": "time-tracker", "name": "Time Tracker", "listed": true,
        "description": "Timesheets for your crews.",
        "publisher": {"name": "Clockwork Ltd"},
        "hook_url": hook,
        "permissions": [{"name": "timesheets:read", "level": "tenant", "description": "Read timesheets"}]
    })
}

/// Tenant acme (admin alice, user bob), tenant globex (admin carol), two
/// apps, 1,000 projects, a legacy client; the server with its admin API.
async fn setup(db: &Db, hook: &str, extra_env: &[(&str, &str)]) -> (Server, AdminApi) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    create_user(
        db,
        "acme",
        "alice",
        PASSWORD,
        &["--admin", "--name", "Alice Admin"],
    );
    create_user(db, "acme", "bob", PASSWORD, &["--name", "Bob Builder"]);
    create_user(db, "globex", "carol", PASSWORD, &["--admin"]);
    let mut env = vec![
        ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
        ("WARDEN_DELIVERY_POLL_MS", "100"),
    ];
    env.extend_from_slice(extra_env);
    let server = Server::start_with(db, &env, &[]).await;
    let api = AdminApi::of(&server);
    for m in [docs_sync(hook), time_tracker(hook)] {
        let r = api.post("/apps", m).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let names = ["Harbour", "North", "Tower", "Bridge"];
    let projects: Vec<Value> = (0..1000)
        .map(|i| json!({"type": "project", "id": format!("p{i}"), "name": format!("Project {} {i}", names[i % 4])}))
        .collect();
    let r = api.put("/tenants/acme/resources", json!(projects)).await;
    assert_eq!(r.status, 200, "resources stored");
    (server, api)
}

async fn an_admin_walks_every_console_flow_in_a_real_browser(db: Db) {
    let chromium = chromium();
    let port = free_port();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let (server, api) = setup(
        &db,
        &hook,
        &[
            ("WARDEN_DELIVERY_MAX_ATTEMPTS", "1"),
            ("WARDEN_DELIVERY_BACKOFF_MS", "100"),
        ],
    )
    .await;
    // A legacy credential the Docs Sync app replaces, retiring in 90 days.
    let legacy = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Old Integration",
    ]);
    let legacy_id = legacy["client_id"].as_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let r = api
        .put(
            "/legacy/policy",
            json!({"sunset_at": now + 90 * 86_400 + 3_600, "message": "Move to the Docs Sync app."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .put(
            &format!("/clients/{legacy_id}/legacy"),
            json!({"replaced_by": "docs-sync"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A sign-in client, for the consent page.
    let app = db.cli_json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Reporting App",
        "--grant-types",
        "authorization_code",
        "--scopes",
        "openid profile",
        "--redirect-uri",
        "http://127.0.0.1/callback",
    ]);
    let (_, challenge) = pkce();
    let consent_url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&scope=openid%20profile&state=s&code_challenge={challenge}&code_challenge_method=S256",
        server.issuer("acme"),
        app["client_id"].as_str().unwrap()
    );
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/console-screenshots")
        .join(db.backend_name());
    let report = run_js(
        "console_flows.mjs",
        &[
            ("BASE", server.base.clone()),
            ("ADMIN_TOKEN", ADMIN_TOKEN.into()),
            ("HOOK_PORT", port.to_string()),
            ("CHROMIUM", chromium),
            ("SHOTS", shots.display().to_string()),
            ("PASSWORD", PASSWORD.into()),
            ("MANIFEST", docs_sync(&hook).to_string()),
            ("CONSENT_URL", consent_url),
        ],
    )
    .await;

    assert_eq!(report["after_login"]["path"], "/t/acme/console", "{report}");
    assert_eq!(report["after_login"]["heading"], "Overview");
    assert_eq!(
        report["admin_nav"],
        json!([
            "Overview",
            "Apps",
            "Installed apps",
            "People",
            "Legacy credentials",
            "Activity",
            "Settings"
        ]),
        "no Requests while only admins install: {report}"
    );
    assert_eq!(
        report["catalog_apps"],
        json!(["Docs Sync <b>bold</b>", "Time Tracker"])
    );
    assert_eq!(
        report["catalog_cards"]["perms"],
        json!([
            "Can read the company directory and upload documents, on the Projects you choose.",
            "Can read timesheets."
        ])
    );
    assert_eq!(
        report["catalog_cards"]["tiles"],
        json!(["T"]),
        "Time Tracker has no logo: a tile with its initial"
    );
    assert_eq!(report["catalog_search"]["apps"], json!(["Time Tracker"]));
    assert!(
        report["catalog_search"]["count"]
            .as_str()
            .unwrap()
            .starts_with("1 of 2 apps"),
        "{report}"
    );
    // App text is text: no markup, no script, no image from the instructions.
    let detail = &report["detail"];
    assert_eq!(detail["heading"], "Docs Sync <b>bold</b>");
    assert_eq!(detail["description_has_tag_text"], true);
    assert_eq!(detail["scripts"], 0);
    assert_eq!(detail["injected_images"], 0);
    assert_eq!(detail["bold_elements"], 0);
    assert_eq!(
        detail["permissions"],
        json!([
            "Read the company directory",
            "Upload documents",
            "Read budgets optional"
        ])
    );
    assert_eq!(report["install_heading"], "Install Docs Sync <b>bold</b>");
    // "Harbour 10" matches Project Harbour 100, 104 and 108.
    assert_eq!(report["search_matches"], 3, "{report}");
    assert_eq!(
        report["kept_after_search"],
        json!(["Project Harbour 100", "Project Harbour 104"]),
        "names, without ids where the names tell them apart: {report}"
    );
    assert_eq!(report["counter_live"]["loaded"], "0", "{report}");
    assert_eq!(
        report["counter_live"]["shown"], "2 of 1,000 selected",
        "ticking two boxes counts them without a reload: {report}"
    );
    assert_eq!(
        report["counter_live"]["after_untick"],
        "1 of 1,000 selected"
    );
    assert!(
        !report["install_page"].to_string().contains("Warden"),
        "the console speaks as the tenant: {report}"
    );
    assert!(
        report["installed"]["service_account"]
            .as_str()
            .unwrap()
            .starts_with("docs-sync-"),
        "{report}"
    );
    assert_eq!(
        report["crumbs"],
        json!(["Installed apps", "Docs Sync <b>bold</b>"])
    );
    assert!(
        report["installed_line"]
            .as_str()
            .unwrap()
            .ends_with("by Alice Admin"),
        "who installed it, by name: {report}"
    );
    let t1 = &report["token_after_install"];
    assert_eq!(t1["status"], 200, "{report}");
    assert_eq!(t1["scope"], "budget:read directory:read documents:write");
    assert_eq!(
        t1["authorization_details"][0]["identifiers"],
        json!(["p100", "p104"])
    );
    assert!(
        report["resources_notice"]
            .as_str()
            .unwrap()
            .contains("updated")
    );
    // "North 5" matches 5, 53, 57, 501, 505, …: every North project from 5.
    let north5: Vec<String> = (0..1000)
        .filter(|i| i % 4 == 1 && format!("{i}").starts_with('5'))
        .map(|i| format!("p{i}"))
        .collect();
    assert_eq!(report["selected_after_edit"], north5.len());
    let mut got: Vec<String> = serde_json::from_value(
        report["token_after_edit"]["authorization_details"][0]["identifiers"].clone(),
    )
    .unwrap();
    let mut want = north5.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "the token follows the edited selection");
    assert_eq!(report["publish"], 201);
    assert_eq!(
        report["upgrade_added"],
        json!(["Delete documents (documents:delete, on the Projects you select)"])
    );
    assert_eq!(report["status_before_approval"], "Upgrade waiting");
    assert_eq!(
        report["overview_upgrades"],
        json!(["Docs Sync <b>bold</b> asks to move to version 2"])
    );
    assert!(
        report["upgrade_notice"]
            .as_str()
            .unwrap()
            .contains("approved")
    );
    assert!(
        report["token_after_upgrade"]["scope"]
            .as_str()
            .unwrap()
            .contains("documents:delete"),
        "{report}"
    );
    assert_eq!(
        report["suspend_notice"],
        "The installation is suspended; no tokens are issued until it is resumed.",
        "one status line says so, not two banners"
    );
    assert_eq!(report["token_while_suspended"]["status"], 401, "{report}");
    assert_eq!(report["dead_before_retry"], 1, "{report}");
    assert!(
        report["retry_notice"]
            .as_str()
            .unwrap()
            .contains("queued again")
    );
    assert_eq!(report["retried_delivered"], true);
    assert_eq!(report["token_after_resume"], 200);
    let totals = &report["usage_totals"];
    assert_eq!(totals[0], "Tokens issued: 4", "{report}");
    assert_eq!(totals[1], "Requests refused: 1", "{report}");
    assert_eq!(report["usage_bars"], 1, "today's bar only");
    let chart = &report["usage_chart"];
    assert_eq!(chart["bars"], 30, "{report}");
    assert_eq!(
        chart["y_labels"],
        json!(["4", "3", "2", "1", "0"]),
        "a labelled axis in even steps: {report}"
    );
    assert_eq!(
        chart["x_labels"].as_array().unwrap().len(),
        5,
        "weekly dates and the last: {report}"
    );
    assert!(
        chart["caption"]
            .as_str()
            .unwrap()
            .starts_with("Tokens issued, 30 days: 4 in all"),
        "{report}"
    );
    assert_eq!(chart["bars_7"], 7);
    let rows: Vec<&str> = chart["rows_7"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(rows.len(), 7);
    assert!(
        rows.windows(2).all(|w| w[0] < w[1]),
        "oldest first, as the bars: {rows:?}"
    );
    assert!(
        chart["refused"]["caption"]
            .as_str()
            .unwrap()
            .starts_with("Requests refused, 7 days: 1 in all"),
        "{report}"
    );
    assert_eq!(chart["refused"]["bars"], 1);
    assert_eq!(chart["bars_90"], 90);
    assert_eq!(
        chart["x_labels_90"].as_array().unwrap().len(),
        5,
        "{report}"
    );
    let quota = &report["quota"];
    assert_eq!(
        quota["notice"],
        "The token limit is set; it applies from the next request."
    );
    assert!(
        quota["shown"]
            .as_str()
            .unwrap()
            .starts_with("At most 1,000 tokens an hour"),
        "{report}"
    );
    assert_eq!(
        quota["statuses_over_limit"][2], 429,
        "a limit of 2 an hour refuses the third token at the latest: {report}"
    );
    assert!(
        quota["bad"].as_str().unwrap().contains("whole number"),
        "{report}"
    );
    assert_eq!(quota["cleared"]["notice"], "The token limit is removed.");
    assert!(
        quota["cleared"]["shown"]
            .as_str()
            .unwrap()
            .starts_with("No limit"),
        "{report}"
    );
    assert_eq!(quota["token_after_clear"], 200);
    let sentences: Vec<&str> = report["audit_sentences"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for s in [
        "Alice Admin installed Docs Sync <b>bold</b> version 1.",
        "Alice Admin changed where Docs Sync <b>bold</b> may work.",
        "Docs Sync <b>bold</b> version 2 asks for approval \u{2014} it would also delete documents.",
        "Alice Admin approved Docs Sync <b>bold</b> version 2 \u{2014} it may now delete documents.",
        "Alice Admin suspended Docs Sync <b>bold</b>: it gets no tokens.",
        "Alice Admin resumed Docs Sync <b>bold</b>.",
        "Alice Admin limited Docs Sync <b>bold</b> to 1,000 tokens an hour.",
        "Alice Admin removed Docs Sync <b>bold</b>'s hourly token limit.",
    ] {
        assert!(sentences.contains(&s), "{s:?} missing from {sentences:#?}");
    }
    assert!(
        sentences
            .iter()
            .all(|s| !s.contains("installation.") && !s.contains("in_")),
        "no codes or ids: {sentences:#?}"
    );
    assert_eq!(
        report["activity_installation_choice"], "Docs Sync <b>bold</b>",
        "the installation filter is a list of names: {report}"
    );
    let panel = &report["record_panel"];
    assert_eq!(panel["visible"], true, "{report}");
    assert_eq!(panel["hidden_others"], 1, "one record at a time: {report}");
    assert!(
        panel["text"]
            .as_str()
            .unwrap()
            .contains("\"action\": \"installation."),
        "{report}"
    );
    let by_actor = &report["activity_by_actor"];
    assert_eq!(by_actor["query"], "?app=&installation=&actor=alice");
    assert_eq!(by_actor["all_alice"], true, "{report}");
    assert!(by_actor["rows"].as_u64().unwrap() >= 8, "{report}");
    assert_eq!(
        report["deliveries_header"],
        json!(["When", "Message", "To", "Status", "Action"])
    );
    assert_eq!(report["settings_notice"], "Settings saved.");
    assert!(
        report["nav_with_requests"]
            .as_array()
            .unwrap()
            .contains(&json!("Requests")),
        "people may ask now: {report}"
    );
    assert!(
        report["bad_zone"]
            .as_str()
            .unwrap()
            .contains("Mars/Olympus")
            && report["bad_zone"]
                .as_str()
                .unwrap()
                .contains("Europe/Helsinki"),
        "{report}"
    );
    let times = report["activity_times"].as_array().unwrap();
    assert!(
        !times.is_empty() && times.iter().all(|t| t.as_str().unwrap().ends_with(" JST")),
        "times in the tenant's zone: {times:?}"
    );
    assert_eq!(report["bob_lands_on"], "/t/acme/console/catalog");
    assert_eq!(report["bob_nav"], json!(["Apps"]));
    assert_eq!(report["bob_request_heading"], "Ask for Time Tracker");
    assert!(
        report["bob_notice"]
            .as_str()
            .unwrap()
            .contains("request was sent")
    );
    assert_eq!(
        report["bob_people"]["status_heading"],
        "Administrators only"
    );
    let card = report["request_card"].as_str().unwrap();
    assert!(
        card.contains("Bob Builder asked") && card.contains("For the site timesheets"),
        "{card}"
    );
    assert_eq!(report["request_installed"], "Time Tracker is installed");
    let legacy = report["legacy_rows"].as_array().unwrap();
    assert_eq!(legacy.len(), 1, "{report}");
    let row = legacy[0].as_str().unwrap();
    assert!(
        row.contains("Old Integration") && row.contains("never") && row.contains("Docs Sync"),
        "{row}"
    );
    assert!(
        report["sunset"]
            .as_str()
            .unwrap()
            .starts_with("90 days left"),
        "{report}"
    );
    assert_eq!(report["person_added"], "The person was added.");
    let dave = report["people_after_grant"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r.as_str().unwrap().starts_with("Dave Diaz"))
        .unwrap()
        .clone();
    assert!(dave.as_str().unwrap().contains("Administrator"), "{dave}");
    // Service accounts are listed apart, not editable.
    let accounts = report["service_accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{report}");
    assert!(
        accounts
            .iter()
            .all(|a| !a.as_str().unwrap().contains("Delete"))
    );
    assert_eq!(
        report["people_search"]["count"],
        "1 of 3 people \u{b7} Show everyone"
    );
    assert!(
        report["people_search"]["rows"][0]
            .as_str()
            .unwrap()
            .starts_with("Dave Diaz dave"),
        "{report}"
    );
    assert_eq!(
        report["people_edited"]["notice"],
        "Their details were saved."
    );
    assert!(
        report["people_edited"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("dave@acme.test")),
        "{report}"
    );
    let link = &report["password_link"];
    assert_eq!(link["shape"], "/t/acme/password/TOKEN", "{report}");
    assert_eq!(link["form_heading"], "Set your password");
    assert_eq!(link["mismatch"], "The two passwords are not the same.");
    assert_eq!(link["set_heading"], "Your password is set");
    assert_eq!(
        link["second_use"],
        json!({"status": 404, "heading": "This link does not work any more"}),
        "a link works once"
    );
    assert_eq!(link["signed_in_to"], "Overview", "the new password works");
    assert_ne!(
        report["people_last_sign_in"].as_str().unwrap().trim(),
        "never",
        "{report}"
    );
    assert_eq!(report["delete_heading"], "Delete Dave Diaz?");
    assert!(
        report["person_deleted"]
            .as_str()
            .unwrap()
            .contains("deleted")
    );
    assert_eq!(report["people_after_delete"], 2, "alice and bob remain");
    let recent = report["sentences_after_delete"].as_array().unwrap();
    for s in [
        "Alice Admin deleted Dave Diaz.",
        "Dave Diaz set a new password with their link.",
        "Alice Admin made a one-time password link for Dave Diaz.",
    ] {
        assert!(
            recent.contains(&json!(s)),
            "a deleted person keeps their name in the trail: {s:?} not in {recent:?}"
        );
    }
    assert!(
        report["uninstall_notice"]
            .as_str()
            .unwrap()
            .contains("uninstalled")
    );
    assert_eq!(report["installed_after_uninstall"], json!(["Time Tracker"]));
    assert_eq!(report["token_after_uninstall"]["status"], 401);
    assert_eq!(report["login_brand"]["name"], "Acme Builders");
    assert_eq!(report["login_brand"]["background"], "rgb(122, 46, 138)");
    assert_eq!(report["login_brand"]["support"], "mailto:it@acme.test");
    for width in [1280, 375] {
        assert_eq!(
            report["login_brand"][format!("support_aligned_{width}")],
            true,
            "the support link lines up with the sign-in form at {width} px: {report}"
        );
    }
    assert_eq!(report["bob_forbidden"]["heading"], "Administrators only");

    // Every page: served, no serious or critical axe violation, no overflow at 375 px.
    let pages = report["pages"].as_object().unwrap();
    assert!(pages.len() >= 17, "{pages:?}");
    for (name, p) in pages {
        let expected = match name.as_str() {
            "forbidden" => 403,
            "password_link_gone" => 404,
            _ => 200,
        };
        assert_eq!(p["status"], expected, "{name}: {p}");
        assert_eq!(p["violations"], json!([]), "{name}: {p}");
        assert_eq!(p["heading_order"], json!([]), "{name}: {p}");
        if !p["violations_1280"].is_null() {
            assert_eq!(p["violations_1280"], json!([]), "{name} at 1280 px: {p}");
        }
        assert!(p["overflow"].is_null(), "{name} overflows at 375 px: {p}");
    }
    // What an app registered shows only its exact logo origin to the browser.
    let r = browser()
        .get(format!("{}/t/acme/account", server.base))
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("img-src"),
        "{csp}"
    );
    server.kill().await;
}

/// A signed-in browser session (cookie jar) on a tenant.
struct Session {
    base: String,
    tenant: String,
    client: reqwest::Client,
    csrf: String,
    /// The CSRF cookie's value (what the form token is bound to, with the session).
    binding: String,
    /// The session cookie's value, to replay it where a browser would not.
    cookie: String,
}

async fn sign_in(server: &Server, tenant: &str, username: &str) -> Session {
    let client = browser();
    let r = client
        .get(format!("{}/t/{tenant}/console", server.base))
        .send()
        .await
        .unwrap();
    let binding = set_cookie_value(&r, "warden_csrf").expect("a CSRF cookie");
    let page = r.text().await.unwrap();
    let csrf = hidden_field(&page, "csrf");
    let r = client
        .post(format!("{}/t/{tenant}/login", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode_form(&[
            ("csrf", &csrf),
            ("continue", ""),
            ("return", "console"),
            ("username", username),
            ("password", PASSWORD),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{username} signs in");
    let cookie = set_cookie_value(&r, "warden_session").expect("a session cookie");
    // Forms carry a token bound to the session: the one on a signed-in page
    // (the sign-out page has a form for every user, admin or not).
    let page = client
        .get(format!("{}/t/{tenant}/logout", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&page, "csrf");
    Session {
        base: server.base.clone(),
        tenant: tenant.into(),
        client,
        csrf,
        binding,
        cookie,
    }
}

fn set_cookie_value(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

impl Session {
    /// This session's own cookies, sent to tenant acme's console anyway (a
    /// browser would not: they are scoped to their tenant's path).
    async fn replayed(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String) {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        let r = client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .request(method, format!("{}/t/acme/console{path}", self.base))
            .header(
                "cookie",
                format!(
                    "warden_session={}; warden_csrf={}",
                    self.cookie, self.binding
                ),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(&fields))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}/t/acme/console{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// POSTs a console form of tenant acme with this session's cookies and
    /// `csrf` (this session's token unless given).
    async fn post(&self, path: &str, form: &[(&str, &str)], csrf: Option<&str>) -> (u16, String) {
        let mut fields = vec![("csrf", csrf.unwrap_or(&self.csrf))];
        fields.extend_from_slice(form);
        let r = self
            .client
            .post(format!("{}/t/acme/console{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(&fields))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
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
