//! The authorization endpoint (RFC 6749 §4.1, PKCE RFC 7636, OIDC Core §3.1.2),
//! free of HTTP: validate the request, decide whether the user must log in or
//! consent, and issue the code. Until the client and redirect URI are known
//! good, errors are shown to the user (never redirected); after, they go back
//! to the client with `error`, `state` and RFC 9207 `iss`.

use super::target::Target;
use super::{ErrorCode, OAuth, OAuthError, Params};
use crate::directory::TenantEntry;
use crate::domain::authorization_details::{self, Shown};
use crate::domain::user::User;
use crate::domain::{Client, RedirectUri, Scope, describe_scopes, grantable_to};
use crate::store::{AuthorizationCode, Session};
use crate::tokens::{b64url, random_bytes, secret};
use std::sync::Arc;

/// What the user reads when a pushed request is spent, expired or unknown.
pub(super) const PUSHED_GONE: &str =
    "This sign-in link has expired or was already used. Go back to the app and sign in again.";

/// How long a code may wait to be redeemed.
const CODE_TTL: i64 = 60;

/// A checked authorization request.
pub struct AuthorizeRequest {
    pub tenant: Arc<TenantEntry>,
    pub client: Arc<Client>,
    pub redirect_uri: RedirectUri,
    pub state: Option<String>,
    pub scope: Scope,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// The hash of the RFC 9126 `request_uri` this request was pushed as:
    /// spent when its code is issued.
    pub pushed: Option<Vec<u8>>,
    /// RFC 8707 resources and RFC 9396 details asked for.
    pub target: Target,
}

/// Why an authorization request stops.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown on a page: the client or redirect URI cannot be trusted.
    Page(String),
    /// Sent back to the client's redirect URI (as `url`).
    Redirect {
        url: String,
        error: ErrorCode,
        description: String,
    },
}

/// What the user must do next.
pub enum Next {
    Login,
    /// Ask the signed-in user (this session's) to approve the app.
    Consent(Session),
    /// Done: send the browser here (with the code).
    Redirect(String),
}

impl AuthorizeRequest {
    /// The error redirect for this request.
    pub fn error(&self, code: ErrorCode, description: &str) -> AuthorizeError {
        AuthorizeError::Redirect {
            url: self.respond(&[("error", code.as_str()), ("error_description", description)]),
            error: code,
            description: description.to_string(),
        }
    }

    /// The redirect URI with `params`, `state` and `iss` added to its query.
    fn respond(&self, params: &[(&str, &str)]) -> String {
        let mut url =
            url::Url::parse(&self.redirect_uri.0).expect("registered redirect URIs parse");
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
            if let Some(state) = &self.state {
                q.append_pair("state", state);
            }
            q.append_pair("iss", &self.tenant.issuer);
        }
        url.to_string()
    }
}

impl OAuth {
    /// Validates an authorization request in the order that decides where
    /// errors go.
    pub async fn authorization_request(
        &self,
        tenant: &str,
        params: &Params,
    ) -> Result<AuthorizeRequest, AuthorizeError> {
        self.checked_request(tenant, params, false).await
    }

    /// `pushing`: the request is being pushed (RFC 9126), not yet used.
    pub(super) async fn checked_request(
        &self,
        tenant: &str,
        params: &Params,
        pushing: bool,
    ) -> Result<AuthorizeRequest, AuthorizeError> {
        let page = |m: &str| AuthorizeError::Page(m.to_string());
        let tenant = self.tenant(tenant).await.map_err(|_| {
            page("This sign-in link points to an organisation that does not exist.")
        })?;
        let client_id = params
            .get("client_id")
            .ok_or_else(|| page("The app's sign-in link is incomplete: it has no client_id."))?;
        let client = self.client_to_show(&tenant, client_id).await?;
        // RFC 9126 §4: a pushed request stands for the whole request; other
        // parameters in the URL are ignored.
        let (pushed_params, pushed) = match params.get("request_uri") {
            Some(uri) => {
                let (p, hash) = self
                    .pushed_request(&tenant.tenant.slug, &client, uri)
                    .await
                    .map_err(AuthorizeError::Page)?;
                (Some(p), Some(hash))
            }
            None => (None, None),
        };
        let params = pushed_params.as_ref().unwrap_or(params);
        let redirect_uri = match client.registration.as_deref() {
            // The draft: a document's redirect URIs are matched exactly.
            Some("metadata_document") => params
                .get("redirect_uri")
                .filter(|r| client.redirect_uris.iter().any(|u| u == r))
                .map(|r| RedirectUri(r.to_string())),
            _ => RedirectUri::matching(&client.redirect_uris, params.get("redirect_uri")),
        }
            .ok_or_else(|| page("This sign-in link would send you to an address the app has not registered, so it was stopped."))?;
        let request = AuthorizeRequest {
            state: params.get("state").map(str::to_string),
            redirect_uri,
            scope: Scope::default(),
            nonce: params.get("nonce").map(str::to_string),
            code_challenge: None,
            prompt: params
                .get("prompt")
                .map(|p| p.split(' ').map(str::to_string).collect())
                .unwrap_or_default(),
            max_age: None,
            login_hint: params.get("login_hint").map(str::to_string),
            tenant,
            client,
            pushed,
            target: Target::default(),
        };
        if request.client.require_pushed_authorization_requests
            && request.pushed.is_none()
            && !pushing
        {
            return Err(request.error(
                ErrorCode::InvalidRequest,
                "this client must push its authorization requests to the pushed_authorization_request_endpoint (RFC 9126)",
            ));
        }
        self.check(request, params)
    }

    /// The client a sign-in names, or the page saying why there is none.
    async fn client_to_show(
        &self,
        tenant: &TenantEntry,
        client_id: &str,
    ) -> Result<Arc<Client>, AuthorizeError> {
        let page = |m: &str| AuthorizeError::Page(m.to_string());
        match self.client_of(tenant, client_id).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(page(
                "This sign-in link names an app that is not registered here.",
            )),
            // A metadata document refused: the app's own page cannot be trusted.
            Err(e) if e.code == ErrorCode::InvalidClient => Err(AuthorizeError::Page(format!(
                "This app could not be checked, so the sign-in was stopped: {}",
                e.description
            ))),
            Err(_) => Err(page(
                "The server cannot check this app right now. Try again later.",
            )),
        }
    }

    /// The checks whose failures go back to the client.
    fn check(
        &self,
        mut r: AuthorizeRequest,
        params: &Params,
    ) -> Result<AuthorizeRequest, AuthorizeError> {
        match params.get("response_type") {
            Some("code") => {}
            None => return Err(r.error(ErrorCode::InvalidRequest, "response_type is required")),
            Some(_) => {
                return Err(r.error(
                    ErrorCode::UnsupportedResponseType,
                    "only response_type=code is supported (the implicit flow is not offered, RFC 9700)",
                ));
            }
        }
        if params.get("request").is_some() || params.get("request_uri").is_some() {
            return Err(r.error(
                ErrorCode::RequestNotSupported,
                "request objects are not supported",
            ));
        }
        if !r.client.allows_grant("authorization_code") {
            return Err(r.error(
                ErrorCode::UnauthorizedClient,
                "this client may not use the authorization code flow",
            ));
        }
        r.scope = match params.get("scope").map(Scope::parse) {
            None => r.client.default_scopes.clone(),
            Some(Ok(s)) if s.is_subset_of(&r.client.scopes) => s,
            Some(_) => {
                return Err(r.error(
                    ErrorCode::InvalidScope,
                    "the requested scope exceeds what this app may ask for",
                ));
            }
        };
        r.target = Target::of_params(&r.tenant, &r.client, params)
            .map_err(|e| r.error(e.code, &e.description))?;
        r.scope = r
            .target
            .scope(&r.tenant, r.scope.clone(), params.get("scope").is_some())
            .map_err(|e| r.error(e.code, &e.description))?;
        r.code_challenge = pkce_challenge(params, r.client.public)
            .map_err(|description| r.error(ErrorCode::InvalidRequest, description))?;
        let known = ["none", "login", "consent", "select_account"];
        if r.prompt.iter().any(|p| !known.contains(&p.as_str()))
            || (r.prompt.len() > 1 && r.prompt.iter().any(|p| p == "none"))
        {
            return Err(r.error(
                ErrorCode::InvalidRequest,
                "prompt must be none, or any of login, consent, select_account",
            ));
        }
        if let Some(m) = params.get("max_age") {
            match m.parse::<i64>() {
                Ok(m) if m >= 0 => r.max_age = Some(m),
                _ => {
                    return Err(r.error(
                        ErrorCode::InvalidRequest,
                        "max_age must be a non-negative number of seconds",
                    ));
                }
            }
        }
        if r.nonce.as_ref().is_some_and(|n| n.len() > 512)
            || r.state.as_ref().is_some_and(|s| s.len() > 2048)
        {
            return Err(r.error(ErrorCode::InvalidRequest, "nonce or state is too long"));
        }
        Ok(r)
    }

    /// Decides the next step for a user with `session` (if logged in).
    pub async fn authorization_next(
        &self,
        r: &AuthorizeRequest,
        session: Option<&Session>,
    ) -> Result<Next, AuthorizeError> {
        let now = self.clock.now();
        let prompt = |p: &str| r.prompt.iter().any(|x| x == p);
        let fresh_enough = |s: &Session| r.max_age.is_none_or(|m| now - s.auth_time <= m);
        let Some(session) = session.filter(|s| fresh_enough(s) && !prompt("login")) else {
            return if prompt("none") {
                Err(r.error(ErrorCode::LoginRequired, "the user is not logged in"))
            } else {
                Ok(Next::Login)
            };
        };
        let consented = self
            .store
            .consent(&session.user_id, &r.client.client_id)
            .await
            .map_err(|_| r.error(ErrorCode::TemporarilyUnavailable, "try again later"))?
            .and_then(|s| Scope::parse(&s).ok());
        let scope = self.grantable(r, session).await?;
        // RFC 9396 details are about this one request: always asked.
        let remembered = consented.is_some_and(|granted| scope.is_subset_of(&granted))
            && r.target.details.is_empty();
        if remembered && !prompt("consent") {
            return Ok(Next::Redirect(self.issue_code(r, session, &scope).await?));
        }
        if prompt("none") {
            return Err(r.error(
                ErrorCode::ConsentRequired,
                "the user has not approved this app",
            ));
        }
        Ok(Next::Consent(session.clone()))
    }

    /// The user approved: remember it and issue the code.
    pub async fn approve(
        &self,
        r: &AuthorizeRequest,
        session: &Session,
    ) -> Result<String, AuthorizeError> {
        let now = self.clock.now();
        // What the consent page listed, and so what the user approved.
        let scope = self.grantable(r, session).await?;
        // A metadata document's client is stored nowhere to be remembered
        // against: the person is asked each time.
        if r.client.registration.as_deref() != Some("metadata_document") {
            self.remember_consent(
                &r.tenant.tenant.slug,
                &session.user_id,
                &r.client.client_id,
                &scope,
                now,
            )
            .await
            .map_err(|_| r.error(ErrorCode::TemporarilyUnavailable, "try again later"))?;
        }
        self.issue_code(r, session, &scope).await
    }

    /// Remembers everything a user approved for a client so far (the
    /// account page lists it; a later narrower request skips the page).
    pub(super) async fn remember_consent(
        &self,
        tenant: &str,
        user_id: &str,
        client_id: &str,
        granted: &Scope,
        now: i64,
    ) -> Result<(), crate::store::StoreError> {
        let earlier = self.store.consent(user_id, client_id).await?;
        let all = Scope::from_valid(
            earlier
                .iter()
                .flat_map(|s| s.split(' '))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .chain(granted.iter().map(str::to_string)),
        );
        self.store
            .grant_consent(tenant, user_id, client_id, &all.to_string(), now)
            .await
    }

    async fn issue_code(
        &self,
        r: &AuthorizeRequest,
        session: &Session,
        scope: &Scope,
    ) -> Result<String, AuthorizeError> {
        if let Some(hash) = &r.pushed {
            let spent = self
                .store
                .spend_pushed_request(hash, self.clock.now())
                .await;
            match spent {
                Ok(true) => {}
                Ok(false) => {
                    return Err(AuthorizeError::Page(PUSHED_GONE.into()));
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot spend a pushed authorization request");
                    return Err(r.error(ErrorCode::TemporarilyUnavailable, "try again later"));
                }
            }
        }
        let code = b64url(&random_bytes::<32>(&self.rng));
        let (authorization_details, resources) = r.target.stored();
        let row = AuthorizationCode {
            authorization_details,
            resources,
            code_hash: secret::hash(&code).to_vec(),
            tenant: r.tenant.tenant.slug.clone(),
            client_id: r.client.client_id.clone(),
            user_id: session.user_id.clone(),
            redirect_uri: r.redirect_uri.0.clone(),
            scopes: scope.to_string(),
            nonce: r.nonce.clone(),
            code_challenge: r.code_challenge.clone(),
            auth_time: session.auth_time,
            expires_at: self.clock.now() + CODE_TTL,
            access_jti: None,
            access_expires_at: None,
            family_id: None,
        };
        self.store.create_code(&row).await.map_err(|e| {
            tracing::error!(error = %e, "cannot store authorization code");
            r.error(ErrorCode::TemporarilyUnavailable, "try again later")
        })?;
        Ok(r.respond(&[("code", &code)]))
    }

    /// The user to show on the consent page, plain-language descriptions
    /// of exactly the scopes the app will get, in reading order, and the
    /// RFC 9396 details in the tenant's words.
    pub async fn consent_details(
        &self,
        r: &AuthorizeRequest,
        session: &Session,
    ) -> Result<(User, Vec<(String, String)>, Vec<Shown>), OAuthError> {
        let user = self
            .store
            .user(&session.user_id)
            .await?
            .ok_or_else(OAuthError::server_error)?;
        let known = self.store.scope_descriptions(&r.tenant.tenant.slug).await?;
        let granted = grantable_to(&r.scope, user.is_admin);
        let details = authorization_details::describe(&r.target.details, &r.tenant.resources);
        Ok((user, describe_scopes(&granted, &known), details))
    }

    /// What this request can give the session's user's app: the requested
    /// scope without what the user may not grant.
    async fn grantable(
        &self,
        r: &AuthorizeRequest,
        session: &Session,
    ) -> Result<Scope, AuthorizeError> {
        let user = self
            .store
            .user(&session.user_id)
            .await
            .map_err(|_| r.error(ErrorCode::TemporarilyUnavailable, "try again later"))?
            .ok_or_else(|| r.error(ErrorCode::AccessDenied, "the user no longer exists"))?;
        Ok(grantable_to(&r.scope, user.is_admin))
    }
}

/// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
fn is_pkce_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7636 §4.1: 43-128 unreserved characters.
pub fn is_pkce_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// RFC 7636 §4.3: S256 only (plain is refused), and required of public clients.
fn pkce_challenge(params: &Params, public: bool) -> Result<Option<String>, &'static str> {
    match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (Some(c), Some("S256")) if is_pkce_challenge(c) => Ok(Some(c.to_string())),
        (Some(_), Some("S256")) => Err("code_challenge must be 43 base64url characters"),
        (Some(_), Some("plain")) => Err("code_challenge_method plain is not accepted; use S256"),
        (Some(_), None) => Err("code_challenge_method=S256 is required with code_challenge"),
        (Some(_), Some(_)) => Err("code_challenge_method must be S256"),
        (None, Some(_)) => Err("code_challenge_method without code_challenge"),
        (None, None) if public => {
            Err("PKCE (code_challenge with S256) is required for public clients")
        }
        (None, None) => Ok(None),
    }
}
