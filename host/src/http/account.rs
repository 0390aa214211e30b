//! The user's own pages: connected apps (what each app was granted, with a
//! way to revoke it) and personal access tokens (create, list, revoke).
//! Every form is CSRF-protected like the sign-in pages.

use super::State;
use super::pages::{Page, branded, csrf, csrf_ok, error_page, read_form, redirect, session_of};
use crate::domain::{Scope, describe_scopes};
use crate::oauth::pat::PatError;
use crate::store::{ConsentRecord, PersonalAccessToken, Session};
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

fn when(t: i64) -> String {
    // Dates in UTC, ISO 8601 (day precision is enough here).
    let days = t.div_euclid(86_400);
    let (y, m, d) = crate::clock::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// GET `{issuer}/account`.
pub async fn account(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    render(&s, &tenant, &headers, None, None).await
}

async fn render(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    created: Option<(String, String)>,
    error: Option<String>,
) -> Response {
    let Some(session) = session_of(s, tenant, headers).await else {
        return super::pages::login_for_account(s, tenant, headers).await;
    };
    let Ok(Account {
        user: Some(user),
        apps,
        pats,
        offered,
    }) = load(s, tenant, &session).await
    else {
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Your account page cannot be shown right now. Try again later.",
        );
    };
    let mut cookies = vec![];
    let token = csrf(s, tenant, headers, &mut cookies);
    let now = s.oauth.clock.now();
    let brand = super::brand::load(s, tenant).await;
    let is_admin = user.is_admin;
    let body = branded(
        &brand,
        "Your account",
        html! {
            h1 { "Your account" }
            p { "Signed in as " strong { (user.display_name.as_deref().unwrap_or(&user.username)) } "." }
            @if let Some(e) = &error {
                p.error role="alert" { (e) }
            }
            @if let Some((name, secret)) = &created {
                section aria-labelledby="new-token" {
                    h2 #new-token { "New token \u{201c}" (name) "\u{201d}" }
                    p { "Copy it now: it will not be shown again." }
                    p { output #pat-secret { code { (secret) } } }
                }
            }
            (connected_apps(tenant, &token, &apps))
            (personal_tokens(tenant, &token, &pats, now))
            (token_form(tenant, &token, &offered))
            @if is_admin {
                p { a href={ "/t/" (tenant) "/console" } { "Open the admin console" } }
            }
            form method="get" action={ "/t/" (tenant) "/logout" } {
                button type="submit" { "Sign out" }
            }
        },
    );
    Page {
        status: if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        body,
        cookies,
        images: brand.image_origins(),
    }
    .into_response()
}

type Described = Vec<(String, String)>;

/// What the account page shows, each scope in the tenant's words.
struct Account {
    user: Option<crate::domain::user::User>,
    /// Each grant with the app's name.
    apps: Vec<(ConsentRecord, String, Described)>,
    pats: Vec<(PersonalAccessToken, Described)>,
    /// The scopes a new token may have.
    offered: Described,
}

async fn load(
    s: &super::AppState,
    tenant: &str,
    session: &Session,
) -> Result<Account, crate::store::StoreError> {
    let user = s.store.user(&session.user_id).await?;
    let grants = s.store.consents(&session.user_id).await?;
    let known = s.store.scope_descriptions(tenant).await?;
    // What a person reads: the tenant's descriptions, identity first.
    let described =
        |scopes: &str| describe_scopes(&Scope::parse(scopes).unwrap_or_default(), &known);
    let mut apps = Vec::new();
    for g in grants {
        let name = s
            .store
            .client(&g.client_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_else(|| g.client_id.clone());
        let scopes = described(&g.scopes);
        apps.push((g, name, scopes));
    }
    let pats: Vec<_> = s
        .store
        .pats(&session.user_id)
        .await?
        .into_iter()
        .map(|p| {
            let scopes = described(&p.scopes);
            (p, scopes)
        })
        .collect();
    let offered = s.oauth.pat_scopes(tenant).await?;
    Ok(Account {
        user,
        apps,
        pats,
        offered,
    })
}

fn connected_apps(
    tenant: &str,
    token: &str,
    apps: &[(ConsentRecord, String, Described)],
) -> Markup {
    html! {
        h2 { "Connected apps" }
        @if apps.is_empty() {
            p { "No app has access to your account." }
        }
        ul #apps {
            @for (g, name, scopes) in apps {
                li {
                    strong { (name) } " (since " (when(g.granted_at)) ") can:"
                    ul.scopes {
                        @for (scope, text) in scopes {
                            li title=(scope) { (text) }
                        }
                    }
                    form method="post" action={ "/t/" (tenant) "/account/apps/" (g.client_id) "/revoke" } style="display:inline" {
                        input type="hidden" name="csrf" value=(token);
                        button type="submit" aria-label={ "Revoke access for " (name) } { "Revoke access" }
                    }
                }
            }
        }
    }
}

fn personal_tokens(
    tenant: &str,
    token: &str,
    pats: &[(PersonalAccessToken, Described)],
    now: i64,
) -> Markup {
    html! {
        h2 { "Personal access tokens" }
        @if pats.is_empty() {
            p { "You have no personal access tokens." }
        }
        ul #tokens {
            @for (p, scopes) in pats {
                li {
                    strong { (p.name) }
                    " \u{2014} " @for (i, (scope, text)) in scopes.iter().enumerate() {
                        @if i > 0 { ", " } span title=(scope) { (text) }
                    }
                    " \u{2014} " @if p.expires_at <= now { "expired" } @else { "expires " (when(p.expires_at)) }
                    @if let Some(u) = p.last_used_at { " \u{2014} last used " (when(u)) }
                    " "
                    form method="post" action={ "/t/" (tenant) "/account/tokens/" (p.id) "/revoke" } style="display:inline" {
                        input type="hidden" name="csrf" value=(token);
                        button type="submit" aria-label={ "Revoke token " (p.name) } { "Revoke" }
                    }
                }
            }
        }
    }
}

fn token_form(tenant: &str, token: &str, offered: &[(String, String)]) -> Markup {
    html! {
        h3 { "Create a token" }
        @if offered.is_empty() {
            p { "This organisation offers no scopes for personal access tokens." }
        } @else {
            form method="post" action={ "/t/" (tenant) "/account/tokens" } {
                input type="hidden" name="csrf" value=(token);
                label for="pat-name" { "Name" }
                input type="text" id="pat-name" name="name" required maxlength="100";
                fieldset {
                    legend { "Scopes" }
                    @for (scope, text) in offered {
                        label { input type="checkbox" name="scope" value=(scope); " " (text) " (" (scope) ")" }
                    }
                }
                label for="pat-days" { "Expires in (days)" }
                input type="text" id="pat-days" name="days" value="30" inputmode="numeric" required;
                button type="submit" { "Create token" }
            }
        }
    }
}

/// POST `{issuer}/account/tokens`.
pub async fn create_token(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // Checkboxes repeat `scope`; read the raw pairs.
    let pairs = match super::pages::read_pairs(&headers, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if !super::pages::csrf_valid(&s, &tenant, &headers, get("csrf")) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form expired or did not come from this site. Reload the page and try again.",
        );
    }
    let Some(session) = session_of(&s, &tenant, &headers).await else {
        return back_to_account(&tenant);
    };
    let scopes: Vec<&str> = pairs
        .iter()
        .filter(|(n, _)| n == "scope")
        .map(|(_, v)| v.as_str())
        .collect();
    let days = get("days")
        .and_then(|d| d.trim().parse::<i64>().ok())
        .unwrap_or(0);
    match s
        .oauth
        .create_pat(
            &session,
            get("name").unwrap_or_default(),
            &scopes.join(" "),
            days,
        )
        .await
    {
        Ok((pat, secret)) => render(&s, &tenant, &headers, Some((pat.name, secret)), None).await,
        Err(PatError::Invalid(m)) => render(&s, &tenant, &headers, None, Some(m)).await,
        Err(PatError::Store(e)) => {
            tracing::error!(error = %e, "cannot create personal access token");
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The token cannot be created right now. Try again later.",
            )
        }
    }
}

/// The signed-in user behind a CSRF-checked account form, or the response
/// that ends the request (error page, or back to the account page to sign in).
async fn account_form(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Session, Response> {
    let params = read_form(headers, body).await?;
    if !csrf_ok(s, tenant, headers, &params) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "This form expired or did not come from this site. Reload the page and try again.",
        ));
    }
    session_of(s, tenant, headers)
        .await
        .ok_or_else(|| back_to_account(tenant))
}

fn back_to_account(tenant: &str) -> Response {
    redirect(&format!("/t/{tenant}/account"), vec![])
}

/// POST `{issuer}/account/tokens/{id}/revoke`.
pub async fn revoke_token(
    axum::extract::State(s): State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let session = match account_form(&s, &tenant, &headers, body).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    match s.store.revoke_pat(&session.user_id, &id).await {
        Ok(()) | Err(crate::store::StoreError::NotFound(_)) => back_to_account(&tenant),
        Err(_) => error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The token cannot be revoked right now. Try again later.",
        ),
    }
}

/// POST `{issuer}/account/apps/{client_id}/revoke`: forget the consent and
/// end the app's refresh tokens.
pub async fn revoke_app(
    axum::extract::State(s): State,
    Path((tenant, client_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let session = match account_form(&s, &tenant, &headers, body).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    match s
        .store
        .revoke_grant(&session.user_id, &client_id, s.oauth.clock.now())
        .await
    {
        Ok(()) => back_to_account(&tenant),
        Err(_) => error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Access cannot be revoked right now. Try again later.",
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::when(0), "1970-01-01");
        assert_eq!(super::when(1_795_000_000), "2026-11-18");
    }
}
