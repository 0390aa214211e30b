//! Behind a reverse proxy, login throttling counts the client the proxy
//! names, not the proxy: one client's failures lock out that client and not
//! another one behind the same proxy. The proxy here is the test itself,
//! connecting from 127.0.0.2 (trusted) and adding `X-Forwarded-For`; a
//! direct client from 127.0.0.1 (untrusted) cannot choose its address.

mod common;
use common::*;
use std::net::IpAddr;

on_both_backends!(one_forwarded_client_is_throttled_not_its_neighbours);

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";

/// A browser that connects from `from`, saying (as a proxy would) that it
/// forwards for `forwarded_for`.
struct Browser(Flow);

impl Browser {
    fn new(server: &Server, client_id: &str, from: &str, forwarded_for: Option<&str>) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(client) = forwarded_for {
            headers.insert("x-forwarded-for", client.parse().unwrap());
        }
        Browser(Flow {
            issuer: server.issuer("acme"),
            client_id: client_id.into(),
            browser: client_builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .local_address(from.parse::<IpAddr>().unwrap())
                .default_headers(headers)
                .build()
                .unwrap(),
        })
    }

    /// Tries to sign in; returns the status.
    async fn login(&self, username: &str, password: &str) -> u16 {
        let (_, challenge) = pkce();
        let (_, page, _) = self
            .0
            .get(&self.0.authorize_url(&[
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ]))
            .await;
        self.0.login("acme", &page, username, password).await.0
    }
}

async fn one_forwarded_client_is_throttled_not_its_neighbours(db: Db) {
    db.create_tenant("acme", &[]);
    create_user(&db, "acme", "alice", PASSWORD, &[]);
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
        "openid",
        "--redirect-uri",
        REDIRECT,
    ]);
    let client_id = app["client_id"].as_str().unwrap();
    let server = Server::start_with(
        &db,
        &[("WARDEN_TRUSTED_PROXIES", "127.0.0.2/32, 10.0.0.0/8")],
        &[],
    )
    .await;
    let mallory = Browser::new(&server, client_id, "127.0.0.2", Some("203.0.113.7"));
    let alice = Browser::new(&server, client_id, "127.0.0.2", Some("203.0.113.8"));

    // Twenty failures from one client behind the proxy, each for another
    // username (so no account's own limit is reached).
    for i in 0..20 {
        assert_eq!(
            mallory
                .login(&format!("nobody-{i}"), "wrong password!")
                .await,
            401
        );
    }
    assert_eq!(
        mallory.login("alice", PASSWORD).await,
        429,
        "the failing client waits, even with the right password"
    );
    assert_eq!(
        alice.login("alice", PASSWORD).await,
        303,
        "another client behind the same proxy signs in"
    );

    // An untrusted peer's header is ignored: claiming to be the locked-out
    // client changes nothing for it, and naming a new address each time does
    // not escape its own count.
    let spoofing = Browser::new(&server, client_id, "127.0.0.1", Some("203.0.113.7"));
    assert_eq!(spoofing.login("alice", PASSWORD).await, 303);
    for i in 0..20 {
        let fresh = format!("198.51.100.{i}");
        let spoofing = Browser::new(&server, client_id, "127.0.0.1", Some(&fresh));
        assert_eq!(
            spoofing
                .login(&format!("ghost-{i}"), "wrong password!")
                .await,
            401
        );
    }
    let direct = Browser::new(&server, client_id, "127.0.0.1", None);
    assert_eq!(
        direct.login("alice", PASSWORD).await,
        429,
        "the direct client's own twenty failures count against 127.0.0.1"
    );
    // The proxy's other clients are unaffected by all of this.
    assert_eq!(alice.login("alice", PASSWORD).await, 303);
    // The request log names the client, not the proxy.
    assert!(server.logs().contains("203.0.113.7"), "{}", server.logs());
}
