//! Popular OAuth client libraries, each with its defaults (no
//! `include_client_id`, no auth-method overrides), against the real binary.
//! What each sends to the token endpoint by default:
//!
//! | library | public client (no secret) | confidential client |
//! | --- | --- | --- |
//! | requests-oauthlib 2.0 (Python) | Basic `client_id:`, empty password | Basic `client_id:secret` |
//! | Authlib 1.9 (Python) | `none`: `client_id` in the body | Basic (`client_secret_basic`) |
//! | openid-client 6 (npm) | `none` | `client_secret_post` |
//! | `oauth2` 5 and `openidconnect` 4 (Rust) | `client_id` in the body | Basic, id and secret form-urlencoded |
//! | AppAuth for iOS and Android (documented) | `client_id` in the body | Basic, id and secret form-urlencoded |
//!
//! requests-oauthlib's `refresh_token(url)` sends no client identification at
//! all, which RFC 6749 §6 allows a public client; its documentation also
//! passes credentials as keyword arguments (`refresh_token(url, client_id=…)`),
//! which puts `client_id` in the body. Both work.
//! Basic with an empty password names a public client; for a confidential
//! client it is a wrong secret.

mod common;
use common::*;
use std::sync::{Arc, Mutex};

on_both_backends!(
    requests_oauthlib_with_its_defaults,
    authlib_with_its_defaults,
    openid_client_with_its_defaults,
    oauth2_crate_with_its_defaults,
    openidconnect_crate_with_its_defaults,
    appauth_as_documented,
    empty_password_basic_never_authenticates_a_confidential_client,
);

/// A loopback redirect (RFC 8252 §7.3) nothing listens on: the page flow
/// stops at the redirect and the test reads the code from its Location.
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";

struct Apps {
    issuer: String,
    /// A native app: `--public`, code + refresh.
    public_id: String,
    /// A backend service: client_credentials.
    backend_id: String,
    backend_secret: String,
    /// A web app with a secret: code + refresh.
    web_id: String,
    web_secret: String,
    server: Server,
}

async fn setup(db: &Db) -> Apps {
    db.create_tenant("acme", &[]);
    create_user(
        db,
        "acme",
        "alice",
        PASSWORD,
        &["--email", "alice@acme.test", "--name", "Alice Liddell"],
    );
    let code_client = |name: &str, public: bool| {
        let mut args = vec![
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            name,
            "--grant-types",
            "authorization_code,refresh_token",
            "--scopes",
            "openid profile email read",
            "--redirect-uri",
            REDIRECT,
        ];
        if public {
            args.push("--public");
        }
        db.cli_json(&args)
    };
    let public = code_client("Field App", true);
    assert!(public["client_secret"].is_null());
    let web = code_client("Reporting App", false);
    let (backend_id, backend_secret) =
        db.create_client("acme", "read write", &["--default-scopes", "read"]);
    let server = Server::start(db).await;
    Apps {
        issuer: server.issuer("acme"),
        public_id: public["client_id"].as_str().unwrap().into(),
        backend_id,
        backend_secret,
        web_id: web["client_id"].as_str().unwrap().into(),
        web_secret: web["client_secret"].as_str().unwrap().into(),
        server,
    }
}

impl Apps {
    fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// What every script gets.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ISSUER", self.issuer.clone()),
            ("PUBLIC_CLIENT_ID", self.public_id.clone()),
            ("CONFIDENTIAL_CLIENT_ID", self.backend_id.clone()),
            ("CONFIDENTIAL_CLIENT_SECRET", self.backend_secret.clone()),
            ("USERNAME", "alice".into()),
            ("PASSWORD", PASSWORD.into()),
            ("REDIRECT_URI", REDIRECT.into()),
        ]
    }

    /// The end user signs in and approves on the pages, as a browser without
    /// JavaScript would (the same steps as tests/authorization_code.rs);
    /// returns the app's callback URL with the code.
    async fn sign_in(&self, authorization_url: &str) -> url::Url {
        let browser = browser();
        let base = &self.server.base;
        let login = browser.get(authorization_url).send().await.unwrap();
        assert_eq!(login.status(), 200, "{authorization_url}");
        let login = login.text().await.unwrap();
        let r = browser
            .post(format!("{base}/t/acme/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(&[
                ("csrf", &hidden_field(&login, "csrf")),
                ("continue", &hidden_field(&login, "continue")),
                ("username", "alice"),
                ("password", PASSWORD),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let consent = browser
            .get(format!("{base}{}", location(&r)))
            .send()
            .await
            .unwrap();
        assert_eq!(consent.status(), 200);
        let consent = consent.text().await.unwrap();
        let r = browser
            .post(format!("{base}/t/acme/consent"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(&[
                ("csrf", &hidden_field(&consent, "csrf")),
                ("continue", &hidden_field(&consent, "continue")),
                ("decision", "approve"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let callback = location(&r);
        assert!(callback.starts_with(REDIRECT), "{callback}");
        url::Url::parse(&callback).unwrap()
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

fn query(url: &url::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .1
        .into_owned()
}

/// How a token request identified its client: RFC 6749 §2.3.1's names, and
/// "basic_empty_password" for Basic `client_id:` (what the scripts report too).
fn auth_method(headers: &oauth2::http::HeaderMap, body: &[u8]) -> &'static str {
    use base64::Engine;
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|b| base64::engine::general_purpose::STANDARD.decode(b).unwrap());
    if let Some(credentials) = basic {
        let credentials = String::from_utf8(credentials).unwrap();
        let (_, password) = credentials.split_once(':').unwrap();
        return match password {
            "" => "basic_empty_password",
            _ => "client_secret_basic",
        };
    }
    let names: Vec<String> = url::form_urlencoded::parse(body)
        .map(|(k, _)| k.into_owned())
        .collect();
    match () {
        _ if names.iter().any(|n| n == "client_secret") => "client_secret_post",
        _ if names.iter().any(|n| n == "client_id") => "none",
        _ => "nothing",
    }
}

/// The case: requests-oauthlib names a public client with Basic
/// `client_id:` and an empty password.
async fn requests_oauthlib_with_its_defaults(db: Db) {
    let apps = setup(&db).await;
    let r = run_py("requests_oauthlib_flow.py", &apps.env()).await;

    assert_eq!(r["code"]["sent"], "basic_empty_password", "{r}");
    assert_eq!(r["code"]["token_type"], "Bearer");
    assert_eq!(r["code"]["scope"], "openid read");
    assert_eq!(r["code"]["access_token"], true);
    assert_eq!(r["code"]["id_token"], true);
    assert_eq!(r["code"]["refresh_token"], true);

    // refresh_token(url) alone identifies no client: a public client's
    // refresh token is enough (RFC 6749 §6).
    assert_eq!(r["refresh_bare"]["sent"], "nothing", "{r}");
    assert_eq!(r["refresh_bare"]["ok"], true, "{r}");
    // As its docs show it (client_id as a keyword argument): in the body.
    assert_eq!(r["refresh"]["sent"], "none", "{r}");
    assert_eq!(r["refresh"]["token_type"], "Bearer");
    assert_eq!(r["refresh"]["scope"], "openid read");
    assert_eq!(r["refresh"]["rotated"], true);
    assert_eq!(r["refresh"]["new_access_token"], true);

    assert_eq!(
        r["client_credentials"]["sent"], "client_secret_basic",
        "{r}"
    );
    assert_eq!(r["client_credentials"]["token_type"], "Bearer");
    assert_eq!(r["client_credentials"]["scope"], "read");
    assert_eq!(r["client_credentials"]["expires_in"], 3600);
    assert_eq!(r["wrong_secret_error"], "invalid_client", "{r}");
}

async fn authlib_with_its_defaults(db: Db) {
    let apps = setup(&db).await;
    let r = run_py("authlib_flow.py", &apps.env()).await;

    assert_eq!(r["public_auth_method"], "none");
    assert_eq!(r["code"]["sent"], "none", "{r}");
    assert_eq!(r["code"]["token_type"], "Bearer");
    assert_eq!(r["code"]["scope"], "openid read");
    assert_eq!(r["code"]["access_token"], true);
    assert_eq!(r["code"]["id_token"], true);
    assert_eq!(r["code"]["refresh_token"], true);
    assert_eq!(r["refresh"]["sent"], "none", "{r}");
    assert_eq!(r["refresh"]["token_type"], "Bearer");
    assert_eq!(r["refresh"]["scope"], "openid read");
    assert_eq!(r["refresh"]["rotated"], true);
    assert_eq!(r["refresh"]["new_access_token"], true);

    assert_eq!(r["confidential_auth_method"], "client_secret_basic");
    assert_eq!(
        r["client_credentials"]["sent"], "client_secret_basic",
        "{r}"
    );
    assert_eq!(r["client_credentials"]["token_type"], "Bearer");
    assert_eq!(r["client_credentials"]["scope"], "read");
    assert_eq!(r["client_credentials"]["expires_in"], 3600);
    assert_eq!(r["wrong_secret_error"], "invalid_client", "{r}");
}

// ---------------------------------------------------------------- npm

/// tests/third_party_client.rs and tests/browser.rs choose ClientSecretBasic
/// for a confidential client; this is openid-client choosing by itself.
async fn openid_client_with_its_defaults(db: Db) {
    let apps = setup(&db).await;
    let r = run_js("client_defaults.mjs", &apps.env()).await;

    assert_eq!(r["code"]["sent"], "none", "{r}");
    assert_eq!(r["code"]["token_type"], "bearer");
    assert_eq!(r["code"]["scope"], "openid read");
    assert_eq!(r["code"]["id_token_aud"], apps.public_id.as_str());
    assert!(
        r["code"]["id_token_nonce"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert_eq!(r["code"]["refresh_token"], true);
    assert_eq!(r["refresh"]["sent"], "none", "{r}");
    assert_eq!(r["refresh"]["scope"], "openid read");
    assert_eq!(r["refresh"]["rotated"], true);
    assert_eq!(r["refresh"]["new_access_token"], true);

    assert_eq!(r["client_credentials"]["sent"], "client_secret_post", "{r}");
    assert_eq!(r["client_credentials"]["token_type"], "bearer");
    assert_eq!(r["client_credentials"]["scope"], "read");
    assert_eq!(r["wrong_secret_error"], "invalid_client", "{r}");
}

// ---------------------------------------------------------------- Rust crates

/// The HTTP client the oauth2 and openidconnect docs recommend (reqwest, no
/// redirects followed), noting how each token request authenticated.
#[derive(Clone)]
struct Recording {
    http: reqwest::Client,
    token_url: String,
    sent: Arc<Mutex<Vec<&'static str>>>,
}

impl Recording {
    fn new(token_url: String) -> Recording {
        Recording {
            http: client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            token_url,
            sent: Default::default(),
        }
    }

    fn last(&self) -> &'static str {
        self.sent
            .lock()
            .unwrap()
            .last()
            .copied()
            .unwrap_or("no token request")
    }
}

/// oauth2 5's own reqwest support is for reqwest 0.12; this is the same
/// adapter on the reqwest the rest of the tests use.
impl<'c> oauth2::AsyncHttpClient<'c> for Recording {
    type Error = oauth2::HttpClientError<reqwest::Error>;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + 'c,
        >,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        if request.uri().to_string() == self.token_url {
            let method = auth_method(request.headers(), request.body());
            self.sent.lock().unwrap().push(method);
        }
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(Box::new)?;
            let response = self.http.execute(request).await.map_err(Box::new)?;
            let mut builder = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?;
            Ok(builder.body(body.to_vec())?)
        })
    }
}

async fn oauth2_crate_with_its_defaults(db: Db) {
    use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenType};
    use oauth2::{
        AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
        RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl,
    };
    let apps = setup(&db).await;
    let http = Recording::new(apps.token_url());
    let token_url = TokenUrl::new(apps.token_url()).unwrap();

    // A confidential client: client_credentials, default auth type (BasicAuth).
    let backend = BasicClient::new(ClientId::new(apps.backend_id.clone()))
        .set_client_secret(ClientSecret::new(apps.backend_secret.clone()))
        .set_token_uri(token_url.clone());
    let token = backend
        .exchange_client_credentials()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(http.last(), "client_secret_basic");
    assert_eq!(*token.token_type(), BasicTokenType::Bearer);
    assert_eq!(token.scopes(), Some(&vec![Scope::new("read".into())]));
    assert!(token.expires_in().is_some());
    let wrong = BasicClient::new(ClientId::new(apps.backend_id.clone()))
        .set_client_secret(ClientSecret::new("wsec_wrong".into()))
        .set_token_uri(token_url.clone());
    match wrong
        .exchange_client_credentials()
        .request_async(&http)
        .await
    {
        Err(RequestTokenError::ServerResponse(e)) => {
            assert_eq!(*e.error(), BasicErrorResponseType::InvalidClient)
        }
        other => panic!("wrong secret: {other:?}"),
    }

    // A public client (no secret set): code + PKCE, then refresh.
    let app = BasicClient::new(ClientId::new(apps.public_id.clone()))
        .set_auth_uri(AuthUrl::new(format!("{}/authorize", apps.issuer)).unwrap())
        .set_token_uri(token_url)
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = app
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let callback = apps.sign_in(url.as_str()).await;
    assert_eq!(query(&callback, "state"), *state.secret());
    let token = app
        .exchange_code(AuthorizationCode::new(query(&callback, "code")))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(http.last(), "none");
    assert_eq!(*token.token_type(), BasicTokenType::Bearer);
    assert_eq!(token.scopes(), Some(&vec![Scope::new("read".into())]));
    let claims = verify_with_jwks(&apps.server, "acme", token.access_token().secret()).await;
    assert_eq!(claims["client_id"], apps.public_id.as_str());
    let refresh = token.refresh_token().expect("a refresh token");
    let refreshed = app
        .exchange_refresh_token(refresh)
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(http.last(), "none");
    assert_ne!(
        refreshed.access_token().secret(),
        token.access_token().secret()
    );
    assert_ne!(
        refreshed.refresh_token().map(|t| t.secret()),
        Some(refresh.secret()),
        "refresh tokens rotate"
    );
}

async fn openidconnect_crate_with_its_defaults(db: Db) {
    use openidconnect::core::{
        CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
    };
    use openidconnect::{
        AccessTokenHash, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce,
        OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    };
    let apps = setup(&db).await;
    let http = Recording::new(apps.token_url());

    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(apps.issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let app =
        CoreClient::from_provider_metadata(metadata, ClientId::new(apps.public_id.clone()), None)
            .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = app
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let callback = apps.sign_in(url.as_str()).await;
    assert_eq!(query(&callback, "state"), *state.secret());
    let token = app
        .exchange_code(AuthorizationCode::new(query(&callback, "code")))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(http.last(), "none");

    // The library's own ID token checks: signature (JWKS from discovery),
    // issuer, audience, expiry, nonce; then at_hash as its docs do it.
    let id_token = token.id_token().expect("an ID token for the openid scope");
    let id_verifier = app.id_token_verifier();
    let claims = id_token.claims(&id_verifier, &nonce).unwrap();
    let at_hash = AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    assert_eq!(claims.email().map(|e| e.as_str()), Some("alice@acme.test"));
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("alice")
    );
    assert!(claims.subject().as_str().starts_with("usr_"));

    let info: CoreUserInfoClaims = app
        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(
        info.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some("Alice Liddell")
    );
    assert_eq!(info.email().map(|e| e.as_str()), Some("alice@acme.test"));

    let refresh = token.refresh_token().expect("a refresh token");
    let refreshed = app
        .exchange_refresh_token(refresh)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(http.last(), "none");
    assert_ne!(
        refreshed.access_token().secret(),
        token.access_token().secret()
    );
    assert_ne!(
        refreshed.refresh_token().map(|t| t.secret()),
        Some(refresh.secret())
    );
}

// ---------------------------------------------------------------- AppAuth

/// AppAuth (iOS, Android) cannot run here; these are its requests as its
/// sources build them (openid/AppAuth-iOS, openid/AppAuth-Android):
///
/// - iOS, `Sources/AppAuthCore/OIDTokenRequest.m` (`-URLRequest`): `Content-Type:
///   application/x-www-form-urlencoded; charset=UTF-8`; with a client secret,
///   `Authorization: Basic base64(formUrlEncode(client_id):formUrlEncode(secret))`
///   and no `client_id` in the body; without one, `client_id` in the body.
/// - Android, `AuthorizationService.performTokenRequest(request, callback)`:
///   `NoClientAuthentication` (`client_id` in the body), `Accept:
///   application/json`; `AuthState.getClientAuthentication()` picks
///   `ClientSecretBasic` (form-urlencoded id and secret, no `client_id` in the
///   body) for a client with a secret and no registered method ("If omitted,
///   the default is client_secret_basic"), `ClientSecretPost` or `none` when
///   registered so.
/// - Both: the code exchange sends grant_type, redirect_uri, code and
///   code_verifier; a refresh (iOS `tokenRefreshRequest`, Android
///   `createTokenRefreshRequest`) sends grant_type and refresh_token, no scope.
///
/// The requests below carry iOS's Content-Type and Android's Accept.
async fn appauth_as_documented(db: Db) {
    let apps = setup(&db).await;
    let token_url = apps.token_url();
    let appauth_post = |auth: Option<String>, form: Vec<(&'static str, String)>| {
        let token_url = token_url.clone();
        async move {
            let mut req = http()
                .post(&token_url)
                .header(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=UTF-8",
                )
                .header("accept", "application/json");
            if let Some(auth) = auth {
                req = req.header("authorization", auth);
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Reply::from(req.body(encode_form(&form)).send().await.unwrap()).await
        }
    };
    let authorize = |client_id: &str, challenge: &str| {
        let mut url = url::Url::parse(&format!("{}/authorize", apps.issuer)).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid profile")
            .append_pair("state", "appauth-state")
            .append_pair("nonce", "appauth-nonce")
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
        url.to_string()
    };

    // A public app (no secret): client_id in the body, nothing in a header.
    let (verifier, challenge) = pkce();
    let callback = apps.sign_in(&authorize(&apps.public_id, &challenge)).await;
    let r = appauth_post(
        None,
        vec![
            ("grant_type", "authorization_code".into()),
            ("redirect_uri", REDIRECT.into()),
            ("code", query(&callback, "code")),
            ("code_verifier", verifier),
            ("client_id", apps.public_id.clone()),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["scope"], "openid profile");
    assert!(r.body["id_token"].is_string());
    let refresh = r.body["refresh_token"].as_str().unwrap().to_string();
    let r = appauth_post(
        None,
        vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh),
            ("client_id", apps.public_id.clone()),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scope"], "openid profile");

    // An app with a secret: Basic, form-urlencoded parts, no client_id in the body.
    let basic = basic(&apps.web_id, &apps.web_secret);
    let (verifier, challenge) = pkce();
    let callback = apps.sign_in(&authorize(&apps.web_id, &challenge)).await;
    let r = appauth_post(
        Some(basic.clone()),
        vec![
            ("grant_type", "authorization_code".into()),
            ("redirect_uri", REDIRECT.into()),
            ("code", query(&callback, "code")),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scope"], "openid profile");
    let refresh = r.body["refresh_token"].as_str().unwrap().to_string();
    let r = appauth_post(
        Some(basic),
        vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["access_token"].is_string());
}

// ---------------------------------------------------------------- the fix's limit

/// Basic `client_id:` with an empty password names a public client; from a
/// confidential client it proves nothing and is refused as a wrong secret.
async fn empty_password_basic_never_authenticates_a_confidential_client(db: Db) {
    let apps = setup(&db).await;
    let token_url = apps.token_url();

    let r = post_form(
        &token_url,
        Some((&apps.backend_id, "")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    r.assert_error(401, "invalid_client");
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"warden\""));

    // Not for a code either, even with the right verifier; the code is still
    // good for the client that proves itself.
    let (verifier, challenge) = pkce();
    let mut url = url::Url::parse(&format!("{}/authorize", apps.issuer)).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &apps.web_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "read")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let callback = apps.sign_in(url.as_str()).await;
    let code = query(&callback, "code");
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let r = post_form(&token_url, Some((&apps.web_id, "")), &exchange).await;
    r.assert_error(401, "invalid_client");
    let r = post_form(
        &token_url,
        Some((&apps.web_id, &apps.web_secret)),
        &exchange,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // …nor a refresh token, and its refresh token alone is no credential.
    let refresh = r.body["refresh_token"].as_str().unwrap();
    let r = post_form(
        &token_url,
        Some((&apps.web_id, "")),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    r.assert_error(401, "invalid_client");
    let r = post_form(
        &token_url,
        None,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    r.assert_error(401, "invalid_client");

    // A public client's Basic `client_id:` works (requests-oauthlib's case
    // above), but only with the client's own id.
    let r = post_form(
        &token_url,
        Some(("cl_nobody", "")),
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    r.assert_error(401, "invalid_client");
}
