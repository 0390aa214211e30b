//! The tenant admin console through the real binary: an admin walks every
//! flow in a real browser (tests/js/console_flows.mjs: install with a
//! project selection, edit it and see the token change, approve an upgrade,
//! suspend, retry a dead delivery, settings and branding, a user's request
//! approved, uninstall), every page passes axe and fits 375 pixels, and a
//! screenshot of each page is saved. What the console refuses is in
//! console_refusals.rs, deleting people in console_people.rs.

mod common;
use common::console::*;
use common::*;
use serde_json::{Value, json};

on_both_backends!(an_admin_walks_every_console_flow_in_a_real_browser);

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
