//! Two `warden` processes on one PostgreSQL database are interchangeable.

mod common;
use common::*;
use std::time::{Duration, Instant};

/// The documented bound: cache_refresh_ms (1 s by default) plus a margin.
const BOUND: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_tokens_revocations_and_keys() {
    let Some(db) = Db::new(Backend::Postgres).await else {
        return;
    };
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    // One public URL for both, as behind a load balancer; default refresh interval.
    let public = "http://warden.test";
    let env = [
        ("WARDEN_CACHE_REFRESH_MS", "1000"),
        ("WARDEN_PUBLIC_URL", public),
    ];
    let a = Server::start_with(&db, &env, &[]).await;
    let b = Server::start_with(&db, &env, &[]).await;
    let tok = |s: &Server| {
        let url = format!("{}/t/acme/token", s.base);
        let (id, secret) = (id.clone(), secret.clone());
        async move {
            let r = post_form(
                &url,
                Some((&id, &secret)),
                &[("grant_type", "client_credentials")],
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.body["access_token"].as_str().unwrap().to_string()
        }
    };
    let intro = |s: &Server, t: String| {
        let url = format!("{}/t/acme/introspect", s.base);
        let (id, secret) = (id.clone(), secret.clone());
        async move {
            post_form(&url, Some((&id, &secret)), &[("token", &t)])
                .await
                .body["active"]
                == true
        }
    };

    // Minted by A, active on B and verifiable with B's JWKS.
    let t1 = tok(&a).await;
    assert!(intro(&b, t1.clone()).await);
    let jwks_b = get_json(&format!("{}/t/acme/jwks.json", b.base)).await.body;
    let kid = jsonwebtoken::decode_header(&t1).unwrap().kid.unwrap();
    assert!(
        jwks_b["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid.as_str())
    );

    // Revoked through A, inactive on B at once (revocations are read from the database).
    let r = post_form(
        &format!("{}/t/acme/revoke", a.base),
        Some((&id, &secret)),
        &[("token", &t1)],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        !intro(&b, t1.clone()).await,
        "B still accepts a token revoked through A"
    );

    // Key rotated (CLI, as an operator does): both replicas sign with the new key within the bound.
    let new_kid = db.cli_json(&["keys", "rotate", "--tenant", "acme"])["kid"]
        .as_str()
        .unwrap()
        .to_string();
    let started = Instant::now();
    for s in [&a, &b] {
        assert!(
            eventually(BOUND, || async {
                jsonwebtoken::decode_header(&tok(s).await)
                    .unwrap()
                    .kid
                    .unwrap()
                    == new_kid
            })
            .await,
            "a replica kept signing with the old key past {BOUND:?}"
        );
    }
    eprintln!(
        "key rotation observed on both replicas after {:?}",
        started.elapsed()
    );
    // A token from A with the new key verifies on B.
    let t2 = tok(&a).await;
    assert!(intro(&b, t2.clone()).await);

    // A client deleted via the CLI stops working on both within the bound.
    db.cli(&["client", "delete", &id]);
    for s in [&a, &b] {
        let url = format!("{}/t/acme/token", s.base);
        assert!(
            eventually(BOUND, || async {
                post_form(
                    &url,
                    Some((&id, &secret)),
                    &[("grant_type", "client_credentials")],
                )
                .await
                .status
                    == 401
            })
            .await
        );
    }
}

/// A counter from a replica's `/metrics`.
async fn counter(server: &Server, name: &str) -> u64 {
    let text = http()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
}

/// A change to one tenant reaches every replica and drops only that tenant's
/// cached entry: the other tenants are not reloaded (keys decrypted, bindings
/// read) on either replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_to_one_tenant_leaves_the_others_cached() {
    let Some(db) = Db::new(Backend::Postgres).await else {
        return;
    };
    let tenants: Vec<String> = (0..12).map(|i| format!("org{i:02}")).collect();
    let mut clients = Vec::new();
    for t in &tenants {
        db.create_tenant(t, &[]);
        clients.push(db.create_client(t, "read", &[]));
    }
    let env = [("WARDEN_CACHE_REFRESH_MS", "200")];
    let a = Server::start_with(&db, &env, &[]).await;
    let b = Server::start_with(&db, &env, &[]).await;
    let kid = |s: &Server, i: usize| {
        let url = format!("{}/t/{}/token", s.base, tenants[i]);
        let (id, secret) = clients[i].clone();
        async move {
            let r = post_form(
                &url,
                Some((&id, &secret)),
                &[("grant_type", "client_credentials")],
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
            let token = r.body["access_token"].as_str().unwrap().to_string();
            jsonwebtoken::decode_header(&token).unwrap().kid.unwrap()
        }
    };
    for s in [&a, &b] {
        for i in 0..tenants.len() {
            kid(s, i).await;
        }
    }
    let loads = [
        counter(&a, "warden_directory_tenant_loads_total").await,
        counter(&b, "warden_directory_tenant_loads_total").await,
    ];
    assert!(loads.iter().all(|&n| n >= tenants.len() as u64));

    let new_kid = db.cli_json(&["keys", "rotate", "--tenant", &tenants[3]])["kid"]
        .as_str()
        .unwrap()
        .to_string();
    for (s, before) in [(&a, loads[0]), (&b, loads[1])] {
        assert!(
            eventually(BOUND, || async { kid(s, 3).await == new_kid }).await,
            "a replica kept signing with the old key past {BOUND:?}"
        );
        for i in 0..tenants.len() {
            kid(s, i).await;
        }
        assert_eq!(
            counter(s, "warden_directory_tenant_loads_total").await - before,
            1,
            "only the changed tenant is rebuilt"
        );
        assert_eq!(counter(s, "warden_directory_full_drops_total").await, 0);
        assert!(counter(s, "warden_directory_changes_total").await >= 1);
    }
}
