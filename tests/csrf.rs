//! Form CSRF tokens are bound to the browser and its session: a forged token,
//! another session's token, or a cookie planted to match the form (the hole
//! in a plain double-submit cookie) is refused on every form — login, consent,
//! account, console — and on https the cookies carry the `__Host-` prefix.

mod common;
use common::*;
use std::collections::BTreeMap;

on_both_backends!(
    forged_and_cross_session_tokens_are_refused_on_every_form,
    https_cookies_carry_the_host_prefix,
);

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";
const REFUSED: &str = "did not come from this site";

/// A browser whose cookies the test can read and forge.
struct Jar {
    base: String,
    cookies: BTreeMap<String, String>,
}

impl Jar {
    fn new(server: &Server) -> Jar {
        Jar {
            base: server.base.clone(),
            cookies: BTreeMap::new(),
        }
    }

    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, r: &reqwest::Response) {
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.into(), v.into());
            }
        }
    }

    async fn get(&mut self, path: &str) -> (u16, String, Option<String>) {
        let r = client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}{path}", self.base))
            .header("cookie", self.header())
            .send()
            .await
            .unwrap();
        self.keep(&r);
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (r.status().as_u16(), r.text().await.unwrap(), location)
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let r = client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}{path}", self.base))
            .header("cookie", self.header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(form))
            .send()
            .await
            .unwrap();
        self.keep(&r);
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (r.status().as_u16(), r.text().await.unwrap(), location)
    }
}

fn setup(db: &Db) -> String {
    db.create_tenant("acme", &[]);
    create_user(db, "acme", "alice", PASSWORD, &["--admin"]);
    create_user(db, "acme", "bob", PASSWORD, &["--admin"]);
    let v = db.cli_json(&[
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
    v["client_id"].as_str().unwrap().to_string()
}

fn authorize_path(client_id: &str) -> String {
    let (_, challenge) = pkce();
    format!(
        "/t/acme/authorize?client_id={client_id}&response_type=code&scope=openid\
         &redirect_uri={}&code_challenge={challenge}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    )
}

/// Signs `user` in through the authorize endpoint; returns the consent page.
async fn signed_in_at_consent(jar: &mut Jar, client_id: &str, user: &str) -> String {
    let (status, login, _) = jar.get(&authorize_path(client_id)).await;
    assert_eq!(status, 200, "{login}");
    let (status, page, location) = jar
        .post(
            "/t/acme/login",
            &[
                ("csrf", &hidden_field(&login, "csrf")),
                ("continue", &hidden_field(&login, "continue")),
                ("username", user),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 303, "{user} signs in: {page}");
    let (status, consent, _) = jar.get(&location.unwrap()).await;
    assert_eq!(status, 200, "{consent}");
    consent
}

/// Each form a signed-in user can post, with its other fields.
fn forms(consent: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        (
            "/t/acme/consent",
            vec![
                ("continue", hidden_field(consent, "continue")),
                ("decision", "approve".into()),
            ],
        ),
        (
            "/t/acme/account/tokens",
            vec![("name", "script".into()), ("scope", "openid".into())],
        ),
        (
            "/t/acme/console/settings",
            vec![
                ("user_installs", "permitted".into()),
                ("display_name", "Hacked".into()),
            ],
        ),
        ("/t/acme/logout", vec![]),
    ]
}

async fn post_with(
    jar: &mut Jar,
    path: &str,
    token: &str,
    fields: &[(&'static str, String)],
) -> (u16, String) {
    let mut form: Vec<(&str, &str)> = vec![("csrf", token)];
    form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
    let (status, page, _) = jar.post(path, &form).await;
    (status, page)
}

async fn forged_and_cross_session_tokens_are_refused_on_every_form(db: Db) {
    let client_id = setup(&db);
    let server = Server::start(&db).await;

    // Login: a forged token, and a cookie planted to equal the form's token.
    let mut stranger = Jar::new(&server);
    let (_, login, _) = stranger.get(&authorize_path(&client_id)).await;
    let genuine = hidden_field(&login, "csrf");
    let login_form = |token: &str| {
        vec![
            ("csrf", token.to_string()),
            ("continue", hidden_field(&login, "continue")),
            ("username", "alice".to_string()),
            ("password", PASSWORD.to_string()),
        ]
    };
    let forged = "A".repeat(43);
    for (what, token, plant) in [
        ("forged", forged.as_str(), false),
        ("planted", forged.as_str(), true),
    ] {
        let mut jar = Jar::new(&server);
        jar.cookies = stranger.cookies.clone();
        if plant {
            // The plain double-submit hole: set the cookie to what the form says.
            jar.cookies.insert("warden_csrf".into(), forged.clone());
        }
        let form = login_form(token);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, page, _) = jar.post("/t/acme/login", &pairs).await;
        assert_eq!(status, 403, "login with a {what} token");
        assert!(page.contains("sign-in form expired"), "{what}: {page}");
    }

    // Two signed-in browsers: alice's and bob's.
    let mut alice = Jar::new(&server);
    let alice_consent = signed_in_at_consent(&mut alice, &client_id, "alice").await;
    let alice_token = hidden_field(&alice_consent, "csrf");
    assert_ne!(
        alice_token, genuine,
        "a token is bound to the session: it changes at sign-in"
    );
    let mut bob = Jar::new(&server);
    let bob_consent = signed_in_at_consent(&mut bob, &client_id, "bob").await;
    let bob_token = hidden_field(&bob_consent, "csrf");

    for (path, fields) in forms(&alice_consent) {
        // Bob's own token in alice's browser, a forged one, and a planted pair.
        let (status, page) = post_with(&mut alice, path, &bob_token, &fields).await;
        assert_eq!(status, 403, "{path} with another session's token");
        assert!(page.contains(REFUSED), "{path}: {page}");
        let (status, _) = post_with(&mut alice, path, &forged, &fields).await;
        assert_eq!(status, 403, "{path} with a forged token");
        let mut planted = Jar::new(&server);
        planted.cookies = alice.cookies.clone();
        planted.cookies.insert("warden_csrf".into(), forged.clone());
        let (status, _) = post_with(&mut planted, path, &forged, &fields).await;
        assert_eq!(status, 403, "{path} with a planted cookie and token");
    }
    // Alice's own token works on each (the sign-out last: it ends the session).
    for (path, fields) in forms(&alice_consent) {
        let (status, page) = post_with(&mut alice, path, &alice_token, &fields).await;
        assert!(
            !page.contains(REFUSED) && status != 403,
            "{path} with the session's own token: {status} {page}"
        );
    }
}

async fn https_cookies_carry_the_host_prefix(db: Db) {
    let client_id = setup(&db);
    let port = free_port();
    let server = Server::start_with(
        &db,
        &[("WARDEN_PUBLIC_URL", &format!("https://127.0.0.1:{port}"))],
        &[],
    )
    .await;
    let mut jar = Jar::new(&server);
    let (_, login, _) = jar.get(&authorize_path(&client_id)).await;
    assert!(
        jar.cookies.contains_key("__Host-warden_csrf-acme"),
        "{:?}",
        jar.cookies
    );
    let raw = client_builder()
        .build()
        .unwrap()
        .get(format!("{}{}", server.base, authorize_path(&client_id)))
        .send()
        .await
        .unwrap();
    let set = raw
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(set.starts_with("__Host-warden_csrf-acme="), "{set}");
    assert!(
        set.contains("; Path=/;") && set.contains("Secure") && !set.contains("Domain"),
        "{set}"
    );

    // The same cookie without its prefix (as a sibling host could plant it) counts for nothing.
    let mut unprefixed = Jar::new(&server);
    unprefixed.cookies.insert(
        "warden_csrf".into(),
        jar.cookies["__Host-warden_csrf-acme"].clone(),
    );
    let form = [
        ("csrf", hidden_field(&login, "csrf")),
        ("continue", hidden_field(&login, "continue")),
        ("username", "alice".to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = unprefixed.post("/t/acme/login", &pairs).await;
    assert_eq!(status, 403);
    let (status, page, _) = jar.post("/t/acme/login", &pairs).await;
    assert_eq!(status, 303, "{page}");
    assert!(
        jar.cookies.contains_key("__Host-warden_session-acme"),
        "{:?}",
        jar.cookies
    );
}
