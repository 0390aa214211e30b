//! The pages end users see: the authorization endpoint, login and consent.
//! Server-rendered HTML that works without JavaScript; every form carries a
//! CSRF token that is an HMAC, under a key derived from the master key, of
//! the browser's CSRF cookie and its session cookie, so a token fits only the
//! browser and the session it was made for. Cookies are HttpOnly,
//! SameSite=Lax, one set per tenant; on https they are Secure with the
//! `__Host-` prefix (so no other host or path can plant them).

use super::brand::Brand;
use super::client_addr::ClientAddr;
use super::oauth::IntoOAuthResponse;
use super::{State, form};
use crate::oauth::authorize::{AuthorizeError, AuthorizeRequest, Next};
use crate::oauth::login::{LoginError, SESSION_TTL};
use crate::oauth::{ErrorCode, Params};
use crate::store::Session;
use crate::tokens::{b64url, random_bytes};
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

const SESSION_COOKIE: &str = "warden_session";
const CSRF_COOKIE: &str = "warden_csrf";

/// A page: never cached, with its cookies.
#[derive(Default)]
pub(super) struct Page {
    pub(super) status: StatusCode,
    pub(super) body: Markup,
    pub(super) cookies: Vec<String>,
    /// Origins its images load from (tenant and app logos), for `img-src`.
    pub(super) images: Vec<String>,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::response::Html(self.body.into_string())).into_response();
        if !self.images.is_empty() {
            r.extensions_mut()
                .insert(super::headers::ImageSources(self.images));
        }
        let h = r.headers_mut();
        // Security headers come from the router's one layer (`headers.rs`).
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for c in self.cookies {
            if let Ok(v) = HeaderValue::from_str(&c) {
                h.append(header::SET_COOKIE, v);
            }
        }
        r
    }
}

/// A page of no particular tenant's look (errors before the tenant is known).
pub(super) fn layout(title: &str, body: Markup) -> Markup {
    super::brand::page(&Brand::default(), title, false, None, None, body)
}

/// A page in the tenant's look.
pub(super) fn branded(brand: &Brand, title: &str, body: Markup) -> Markup {
    super::brand::page(brand, title, false, None, None, body)
}

pub(super) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = layout(
        "Cannot continue",
        html! {
            h1 { "Cannot continue" }
            p.error role="alert" { (message) }
            p { "Go back to the app you came from and try again." }
        },
    );
    Page {
        status,
        body,
        ..Default::default()
    }
    .into_response()
}

pub(super) fn redirect(to: &str, cookies: Vec<String>) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(to) {
        Ok(v) => {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Err(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "The redirect address is not valid.",
            );
        }
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// A cookie's name: on https `__Host-{base}-{tenant}` (the prefix requires
/// `Path=/`, so the tenant goes into the name), else `{base}` on the tenant's path.
fn cookie_name(s: &super::AppState, tenant: &str, base: &str) -> String {
    if s.secure_cookies {
        format!("__Host-{base}-{tenant}")
    } else {
        base.to_string()
    }
}

fn cookie(s: &super::AppState, tenant: &str, headers: &HeaderMap, base: &str) -> Option<String> {
    let name = cookie_name(s, tenant, base);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn set_cookie(s: &super::AppState, tenant: &str, base: &str, value: &str, max_age: i64) -> String {
    let name = cookie_name(s, tenant, base);
    if s.secure_cookies {
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax; Secure")
    } else {
        format!("{name}={value}; Path=/t/{tenant}/; Max-Age={max_age}; HttpOnly; SameSite=Lax")
    }
}

/// The browser's session cookie for `tenant`, if it sent one.
fn session_cookie(s: &super::AppState, tenant: &str, headers: &HeaderMap) -> Option<String> {
    cookie(s, tenant, headers, SESSION_COOKIE)
}

/// The form token for this browser (`binding`, its CSRF cookie, one per
/// tenant) and the session it presents now: HMAC(key, binding, session).
fn csrf_token(s: &super::AppState, binding: &str, session: Option<&str>) -> String {
    let mut ctx = ring::hmac::Context::with_key(&s.csrf_key);
    for part in [binding, session.unwrap_or_default()] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part.as_bytes());
    }
    b64url(ctx.sign().as_ref())
}

/// The CSRF token for forms, bound to the browser and its session; sets the
/// browser's CSRF cookie when it has none.
pub(super) fn csrf(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    cookies: &mut Vec<String>,
) -> String {
    let binding = cookie(s, tenant, headers, CSRF_COOKIE).unwrap_or_else(|| {
        let binding = b64url(&random_bytes::<32>(&s.oauth.rng));
        cookies.push(set_cookie(s, tenant, CSRF_COOKIE, &binding, SESSION_TTL));
        binding
    });
    csrf_token(s, &binding, session_cookie(s, tenant, headers).as_deref())
}

/// Whether `presented` is the token for this browser and session, compared
/// in constant time.
pub(super) fn csrf_valid(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    presented: Option<&str>,
) -> bool {
    let (Some(binding), Some(presented)) = (cookie(s, tenant, headers, CSRF_COOKIE), presented)
    else {
        return false;
    };
    let expected = csrf_token(s, &binding, session_cookie(s, tenant, headers).as_deref());
    bool::from(subtle::ConstantTimeEq::ct_eq(
        expected.as_bytes(),
        presented.as_bytes(),
    ))
}

pub(super) fn csrf_ok(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    params: &Params,
) -> bool {
    csrf_valid(s, tenant, headers, params.get("csrf"))
}

fn parse_query(query: Option<&str>) -> Result<Params, String> {
    let pairs = form::parse_urlencoded(query.unwrap_or_default().as_bytes())
        .map_err(|e| e.description.to_string())?;
    Params::from_pairs(pairs).map_err(|name| format!("the parameter {name} appears more than once"))
}

/// GET `{issuer}/authorize`.
pub async fn authorize(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match parse_query(query.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &format!("The sign-in link is malformed: {e}."),
            );
        }
    };
    let request = match s.oauth.authorization_request(&tenant, &params).await {
        Ok(r) => r,
        Err(e) => return authorize_error(e),
    };
    let session = s
        .oauth
        .session(&tenant, session_cookie(&s, &tenant, &headers).as_deref())
        .await;
    let continue_query = query.unwrap_or_default();
    match s.oauth.authorization_next(&request, session.as_ref()).await {
        Ok(Next::Redirect(to)) => redirect(&to, vec![]),
        Ok(Next::Login) => login_page(
            &super::brand::load(&s, &tenant).await,
            &s,
            &tenant,
            &headers,
            Some(&request),
            &continue_query,
            None,
            StatusCode::OK,
            None,
        ),
        Ok(Next::Consent(session)) => {
            consent_page(&s, &tenant, &headers, &request, &session, &continue_query).await
        }
        Err(e) => authorize_error(e),
    }
}

fn authorize_error(e: AuthorizeError) -> Response {
    match e {
        AuthorizeError::Page(message) => error_page(StatusCode::BAD_REQUEST, &message),
        AuthorizeError::Redirect { url, .. } => redirect(&url, vec![]),
    }
}

/// Failed attempt: the message, and the username to keep in the form.
struct Failed<'a> {
    error: &'a str,
    username: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn login_page(
    brand: &Brand,
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    request: Option<&AuthorizeRequest>,
    continue_query: &str,
    failed: Option<Failed<'_>>,
    status: StatusCode,
    return_to: Option<&str>,
) -> Response {
    let mut cookies = vec![];
    let token = csrf(s, tenant, headers, &mut cookies);
    let error = failed.as_ref().map(|f| f.error);
    let hint = match &failed {
        Some(f) => f.username.to_string(),
        None => request
            .and_then(|r| r.login_hint.clone())
            .unwrap_or_default(),
    };
    let body = branded(
        brand,
        "Sign in",
        html! {
            h1 { "Sign in" }
            @if let Some(r) = request {
                p { "to continue to " strong { (r.client.name) } }
            }
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            form method="post" action={ "/t/" (tenant) "/login" } {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="continue" value=(continue_query);
                @if let Some(r) = return_to {
                    input type="hidden" name="return" value=(r);
                }
                label for="username" { "Username" }
                input type="text" id="username" name="username" value=(hint) autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input type="password" id="password" name="password" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        },
    );
    Page {
        status,
        body,
        cookies,
        images: brand.image_origins(),
    }
    .into_response()
}

async fn consent_page(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    r: &AuthorizeRequest,
    session: &Session,
    continue_query: &str,
) -> Response {
    let (user, scopes, details) = match s.oauth.consent_details(r, session).await {
        Ok(d) => d,
        Err(_) => {
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot show this page right now. Try again later.",
            );
        }
    };
    let mut cookies = vec![];
    let token = csrf(s, tenant, headers, &mut cookies);
    let brand = super::brand::load(s, tenant).await;
    let mut images = brand.image_origins();
    // An app's sign-in client names its app: show who publishes it.
    let app = match r.client.metadata.get("app").and_then(|v| v.as_str()) {
        Some(slug) => s.oauth.directory.app(slug).await.ok().flatten(),
        None => None,
    };
    let logo = app.as_ref().and_then(|a| a.manifest.logo_url.clone());
    images.extend(
        logo.as_deref()
            .and_then(crate::domain::settings::image_origin),
    );
    let body = branded(
        &brand,
        "Allow access?",
        html! {
            @if let Some(logo) = &logo {
                img.logo src=(logo) alt={ (r.client.name) " logo" } width="48" height="48";
            }
            h1 { "Allow " (r.client.name) " to access your account?" }
            @if let Some(app) = &app {
                p.muted { "Published by " (app.manifest.publisher.name) }
            }
            p { "Signed in as " strong { (user.display_name.as_deref().unwrap_or(&user.username)) } "." }
            p { (r.client.name) " will be able to:" }
            (super::grant_lists::scopes(&scopes))
            (super::grant_lists::details(&details))
            form method="post" action={ "/t/" (tenant) "/consent" } {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="continue" value=(continue_query);
                button.primary type="submit" name="decision" value="approve" { "Allow" }
                " "
                button type="submit" name="decision" value="deny" { "Deny" }
            }
        },
    );
    Page {
        status: StatusCode::OK,
        body,
        cookies,
        images,
    }
    .into_response()
}

pub(super) async fn read_form(headers: &HeaderMap, body: Body) -> Result<Params, Response> {
    let pairs = read_pairs(headers, body).await?;
    Params::from_pairs(pairs).map_err(|name| {
        error_page(
            StatusCode::BAD_REQUEST,
            &format!("The form could not be read: the field {name} appears more than once."),
        )
    })
}

/// POST `{issuer}/login`.
pub async fn login(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    axum::Extension(ClientAddr(client)): axum::Extension<ClientAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let params = match read_form(&headers, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let continue_query = params.get("continue").unwrap_or_default().to_string();
    let request = match parse_query(Some(&continue_query)) {
        Ok(p) if !continue_query.is_empty() => {
            s.oauth.authorization_request(&tenant, &p).await.ok()
        }
        _ => None,
    };
    let typed = params.get("username").unwrap_or_default().to_string();
    let return_to = params.get("return").filter(|r| is_return_path(r));
    let brand = super::brand::load(&s, &tenant).await;
    let again = |error: &str, status| {
        login_page(
            &brand,
            &s,
            &tenant,
            &headers,
            request.as_ref(),
            &continue_query,
            Some(Failed {
                error,
                username: &typed,
            }),
            status,
            return_to,
        )
    };
    if !csrf_ok(&s, &tenant, &headers, &params) {
        return again(
            "Your sign-in form expired. Please try again.",
            StatusCode::FORBIDDEN,
        );
    }
    if s.oauth.tenant(&tenant).await.is_err() {
        return error_page(StatusCode::NOT_FOUND, "This organisation does not exist.");
    }
    let (Some(username), Some(password)) = (params.get("username"), params.get("password")) else {
        return again("Enter your username and password.", StatusCode::BAD_REQUEST);
    };
    match s
        .oauth
        .login(&tenant, username, password, &client.to_string())
        .await
    {
        Ok(session_cookie) => {
            let cookie = set_cookie(&s, &tenant, SESSION_COOKIE, &session_cookie, SESSION_TTL);
            // Back to the authorization request; this login satisfies prompt=login.
            let next = match request {
                Some(_) => Some(format!(
                    "/t/{tenant}/authorize?{}",
                    without_prompt_login(&continue_query)
                )),
                None => return_to.map(|r| format!("/t/{tenant}/{r}")),
            };
            signed_in(&brand, next, cookie)
        }
        Err(LoginError::Invalid) => {
            again("Incorrect username or password.", StatusCode::UNAUTHORIZED)
        }
        Err(LoginError::Throttled(secs)) => again(
            &format!("Too many failed sign-in attempts. Try again in {secs} seconds."),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(LoginError::Unavailable) => again(
            "Sign-in is unavailable right now. Try again later.",
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    }
}

/// Where a sign-in goes next, or a page saying it worked.
fn signed_in(brand: &Brand, next: Option<String>, cookie: String) -> Response {
    if let Some(next) = next {
        return redirect(&next, vec![cookie]);
    }
    let body = branded(brand, "Signed in", html! { h1 { "You are signed in" } });
    Page {
        status: StatusCode::OK,
        body,
        cookies: vec![cookie],
        images: brand.image_origins(),
    }
    .into_response()
}

/// The authorization request's query with `login` taken out of `prompt`.
fn without_prompt_login(query: &str) -> String {
    let pairs = form::parse_urlencoded(query.as_bytes()).unwrap_or_default();
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if k == "prompt" {
            let rest: Vec<&str> = v
                .split(' ')
                .filter(|p| *p != "login" && !p.is_empty())
                .collect();
            if !rest.is_empty() {
                out.append_pair("prompt", &rest.join(" "));
            }
        } else {
            out.append_pair(&k, &v);
        }
    }
    out.finish()
}

/// POST `{issuer}/consent`: approve or deny.
pub async fn consent(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let params = match read_form(&headers, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !csrf_ok(&s, &tenant, &headers, &params) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form expired or did not come from this site. Go back to the app and start again.",
        );
    }
    let Some(session) = s
        .oauth
        .session(&tenant, session_cookie(&s, &tenant, &headers).as_deref())
        .await
    else {
        return error_page(
            StatusCode::UNAUTHORIZED,
            "You are not signed in any more. Go back to the app and start again.",
        );
    };
    let continue_query = params.get("continue").unwrap_or_default();
    let request = match parse_query(Some(continue_query)) {
        Ok(p) => match s.oauth.authorization_request(&tenant, &p).await {
            Ok(r) => r,
            Err(e) => return authorize_error(e),
        },
        Err(e) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &format!("The request is malformed: {e}."),
            );
        }
    };
    match params.get("decision") {
        Some("approve") => match s.oauth.approve(&request, &session).await {
            Ok(to) => redirect(&to, vec![]),
            Err(e) => authorize_error(e),
        },
        Some("deny") => {
            authorize_error(request.error(ErrorCode::AccessDenied, "the user denied the request"))
        }
        _ => error_page(StatusCode::BAD_REQUEST, "Choose Allow or Deny."),
    }
}

/// GET/POST `{issuer}/userinfo`, with a bearer access token.
pub async fn userinfo(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Response {
    let token = match form::access_token(&headers) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    match s
        .oauth
        .userinfo(&tenant, token.as_ref(), method.as_str())
        .await
    {
        Ok(v) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// GET `{issuer}/logout` (OIDC RP-initiated logout): asks before signing out,
/// so a link on another site cannot sign the user out.
pub async fn logout_page(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match parse_query(query.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &format!("The sign-out link is malformed: {e}."),
            );
        }
    };
    if s.oauth.tenant(&tenant).await.is_err() {
        return error_page(StatusCode::NOT_FOUND, "This organisation does not exist.");
    }
    let session = session_of(&s, &tenant, &headers).await;
    let (user, app) = s
        .oauth
        .logout_details(&tenant, session.as_ref(), params.get("client_id"))
        .await;
    let mut cookies = vec![];
    let token = csrf(&s, &tenant, &headers, &mut cookies);
    let field = |name: &str| params.get(name).unwrap_or_default().to_string();
    let brand = super::brand::load(&s, &tenant).await;
    let body = branded(
        &brand,
        "Sign out",
        html! {
            @match &user {
                Some(u) => {
                    h1 { "Sign out of " (u.display_name.as_deref().unwrap_or(&u.username)) "?" }
                    p {
                        "You are signed in as " strong { (u.username) }
                        @if let Some(email) = &u.email { " (" (email) ")" }
                        "."
                    }
                }
                None => {
                    h1 { "Sign out?" }
                    p { "You are not signed in here." }
                }
            }
            @if let Some(app) = &app {
                p { strong { (app) } " asked to sign you out." }
            }
            form method="post" action={ "/t/" (tenant) "/logout" } {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="client_id" value=(field("client_id"));
                input type="hidden" name="post_logout_redirect_uri" value=(field("post_logout_redirect_uri"));
                input type="hidden" name="state" value=(field("state"));
                button type="submit" { "Sign out" }
            }
            @if user.is_some() {
                p { a href={ "/t/" (tenant) "/account" } { "Stay signed in" } }
            }
        },
    );
    Page {
        status: StatusCode::OK,
        body,
        cookies,
        images: brand.image_origins(),
    }
    .into_response()
}

/// POST `{issuer}/logout`: ends the session, then back to the app if it
/// registered where to.
pub async fn logout(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let params = match read_form(&headers, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !csrf_ok(&s, &tenant, &headers, &params) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form expired or did not come from this site.",
        );
    }
    if let Some(c) = session_cookie(&s, &tenant, &headers) {
        s.oauth.logout(&c).await;
    }
    let cleared = vec![set_cookie(&s, &tenant, SESSION_COOKIE, "", 0)];
    let back = s
        .oauth
        .post_logout_redirect(
            &tenant,
            params.get("client_id"),
            params.get("post_logout_redirect_uri"),
            params.get("state"),
        )
        .await;
    match back {
        Some(to) => redirect(&to, cleared),
        None => {
            let brand = super::brand::load(&s, &tenant).await;
            let body = branded(
                &brand,
                "Signed out",
                html! {
                    h1 { "You are signed out" }
                    p { a href={ "/t/" (tenant) "/account" } { "Sign in again" } }
                },
            );
            Page {
                status: StatusCode::OK,
                body,
                cookies: cleared,
                images: brand.image_origins(),
            }
            .into_response()
        }
    }
}

/// The live session of this tenant's cookie, if any.
pub(super) async fn session_of(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
) -> Option<Session> {
    s.oauth
        .session(tenant, session_cookie(s, tenant, headers).as_deref())
        .await
}

/// The login page, returning to the account page afterwards.
pub(super) async fn login_for_account(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
) -> Response {
    login_returning(s, tenant, headers, "account").await
}

/// The login page, returning to `path` under the tenant (`account`,
/// `console/…`) afterwards.
pub(super) async fn login_returning(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    path: &str,
) -> Response {
    if s.oauth.tenant(tenant).await.is_err() {
        return error_page(StatusCode::NOT_FOUND, "This organisation does not exist.");
    }
    let path = is_return_path(path).then_some(path);
    login_page(
        &super::brand::load(s, tenant).await,
        s,
        tenant,
        headers,
        None,
        "",
        None,
        StatusCode::OK,
        path,
    )
}

/// Where a login may return to: the account page or a console page, as a
/// path under the tenant (never another site, never another tenant).
fn is_return_path(path: &str) -> bool {
    let under_console = path == "console"
        || path.strip_prefix("console/").is_some_and(|rest| {
            rest.len() <= 200
                && !rest.contains("//")
                && !rest.contains("..")
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_/".contains(&b))
        });
    // The device page, with a code (letters only) to come back to.
    let device = path == "device"
        || path.strip_prefix("device?user_code=").is_some_and(|c| {
            (1..=16).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_uppercase())
        });
    path == "account" || under_console || device
}

/// A form's raw pairs (for repeated fields such as checkboxes).
pub(super) async fn read_pairs(
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(String, String)>, Response> {
    form::read_pairs(headers, body).await.map_err(|e| {
        error_page(
            StatusCode::BAD_REQUEST,
            &format!("The form could not be read: {}.", e.description),
        )
    })
}
