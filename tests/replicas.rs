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
