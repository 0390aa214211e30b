//! Paged admin lists: an operator's script walks 2,500 tenants a page at a
//! time by following `Link: rel="next"` while other tenants are being added,
//! and sees every tenant that was there once, in order, none twice.

mod common;
use common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_backends!(walking_a_list_while_it_grows_misses_and_repeats_nothing);
on_both_backends!(rows_with_the_same_time_page_by_id_and_trails_page_newest_first);

const TENANTS: usize = 2_500;

async fn create_tenants(api: &AdminApi, slugs: Vec<String>) {
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in slugs.chunks(slugs.len().div_ceil(8)) {
        let (api, chunk) = (
            AdminApi {
                base: api.base.clone(),
            },
            chunk.to_vec(),
        );
        tasks.spawn(async move {
            for slug in chunk {
                let r = api.post("/tenants", json!({ "slug": slug })).await;
                assert_eq!(r.status, 201, "{slug}: {}", r.text);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

/// The target of a `Link: <…>; rel="next"` header.
fn next_link(r: &Reply) -> Option<String> {
    let link = r.header("link")?;
    let target = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    Some(target.to_string())
}

async fn walking_a_list_while_it_grows_misses_and_repeats_nothing(db: Db) {
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let api = AdminApi::of(&server);
    let before: Vec<String> = (0..TENANTS).map(|i| format!("m{i:04}")).collect();
    create_tenants(&api, before.clone()).await;

    // The default page is 100; a page holds at most 1,000.
    let first = api.get("/tenants").await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 100);
    assert!(first.body["next"].is_string(), "{}", first.text);

    let mut seen: Vec<String> = Vec::new();
    let mut url = format!("{}/admin/v1/tenants?limit=500", server.base);
    let mut pages = 0;
    loop {
        let r = Reply::from(
            http()
                .get(&url)
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "{url}: {}", r.text);
        let items = r.body["items"].as_array().unwrap();
        assert!(items.len() <= 500, "page {pages} has {}", items.len());
        seen.extend(
            items
                .iter()
                .map(|t| t["slug"].as_str().unwrap().to_string()),
        );
        pages += 1;
        // Others add tenants meanwhile: before the walker's place and after it.
        create_tenants(
            &api,
            vec![format!("a-added-{pages}"), format!("z-added-{pages}")],
        )
        .await;
        match next_link(&r) {
            Some(next) => {
                let cursor = r.body["next"].as_str().expect("next beside the Link");
                assert!(next.contains(cursor), "{next}");
                assert!(next.starts_with("/admin/v1/tenants?"), "{next}");
                url = format!("{}{next}", server.base);
            }
            None => {
                assert!(r.body["next"].is_null(), "{}", r.text);
                break;
            }
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a tenant was listed twice");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "tenants come in slug order"
    );
    for slug in &before {
        assert!(unique.contains(slug), "{slug} was missed");
    }
    // Keyset paging: what was added after the walker's place shows up, what
    // was added before it does not shift a page.
    assert!(seen.iter().any(|s| s.starts_with("z-added-")), "{seen:?}");
    assert!(!seen.iter().any(|s| s.starts_with("a-added-")));
    assert_eq!(pages, 6, "2,500 tenants and the additions in pages of 500");

    // The CLI reads the whole list however long it is.
    let out = db.cli(&["tenant", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(lines, TENANTS + 2 * pages, "every tenant, one per line");
    server.stop().await;
}

async fn rows_with_the_same_time_page_by_id_and_trails_page_newest_first(db: Db) {
    db.create_tenant("acme", &[]);
    let server = Server::start_with(&db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let api = AdminApi::of(&server);
    // Clients made within the same second share their creation time: the
    // id breaks the tie, so pages of 7 still hold each exactly once.
    for i in 0..30 {
        let r = api
            .post("/tenants/acme/clients", json!({ "name": format!("c{i}") }))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let whole = api.get("/tenants/acme/clients?limit=1000").await;
    assert!(whole.body["next"].is_null());
    let whole: Vec<Value> = whole.body["items"].as_array().unwrap().clone();
    assert_eq!(whole.len(), 30);
    let paged = api.list("/tenants/acme/clients?limit=7").await;
    assert_eq!(
        paged,
        Value::Array(whole),
        "pages of 7 are the list in order"
    );

    // The audit trail, newest first, in pages of 4.
    for i in 0..10 {
        let r = api
            .put(
                "/tenants/acme/settings",
                json!({ "display_name": format!("Acme {i}") }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let trail = api.list("/tenants/acme/audit?limit=4").await;
    let names: Vec<String> = trail
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "tenant.settings_changed")
        .map(|e| e["detail"].to_string())
        .collect();
    assert_eq!(names.len(), 10, "{trail}");
    assert!(
        names[0].contains("Acme 9") && names[9].contains("Acme 0"),
        "{names:?}"
    );

    // A cursor is a position: one past the end is an empty last page; one
    // that is not a cursor at all is refused.
    let past = api.get("/tenants/acme/users?cursor=7a7a7a").await;
    assert_eq!(
        past.body,
        json!({"items": [], "next": null}),
        "{}",
        past.text
    );
    let r = api.get("/tenants/acme/audit?cursor=not-a-cursor").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.text.contains("cursor is not one this list gives"),
        "{}",
        r.text
    );
    server.stop().await;
}
