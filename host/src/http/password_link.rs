//! `{issuer}/password/{token}`: where a person sets a new password through
//! the one-time link a tenant admin made for them (the console's people
//! page). The link works once, for a day; using it ends their sessions.

use super::pages::{Page, csrf, csrf_valid, read_pairs};
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

fn page(
    brand: &super::brand::Brand,
    status: StatusCode,
    title: &str,
    body: Markup,
    cookies: Vec<String>,
) -> Response {
    Page {
        status,
        body: super::pages::branded(brand, title, body),
        cookies,
        ..Default::default()
    }
    .into_response()
}

fn gone(brand: &super::brand::Brand, tenant: &str) -> Response {
    page(
        brand,
        StatusCode::NOT_FOUND,
        "Link not valid",
        html! {
            h1 { "This link does not work any more" }
            p.error role="alert" {
                "It was used already, it expired, or a newer one was made. "
                "Ask an administrator of " (brand.name) " for a new link."
            }
            p { a href={ "/t/" (tenant) "/account" } { "Sign in" } }
        },
        vec![],
    )
}

fn form(
    brand: &super::brand::Brand,
    tenant: &str,
    token: &str,
    user: &crate::domain::user::User,
    csrf: &str,
    error: Option<&str>,
    cookies: Vec<String>,
) -> Response {
    let (username, name) = (
        user.username.as_str(),
        user.display_name.as_deref().unwrap_or(&user.username),
    );
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        brand,
        status,
        "Set your password",
        html! {
            h1 { "Set your password" }
            p {
                "For " strong { (name) } @if name != username { " (" (username) ")" }
                " at " (brand.name) ". Signing in everywhere starts again with the new password."
            }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action={ "/t/" (tenant) "/password/" (token) } {
                input type="hidden" name="csrf" value=(csrf);
                input type="text" name="username" value=(username) autocomplete="username" hidden;
                label for="new-password" { "New password" }
                input #new-password type="password" name="password" required minlength="10" maxlength="256" autocomplete="new-password" aria-describedby="password-hint";
                small.muted #password-hint { "At least 10 characters." }
                label for="repeat-password" { "The same password again" }
                input #repeat-password type="password" name="repeat" required minlength="10" maxlength="256" autocomplete="new-password";
                button.primary type="submit" { "Set password" }
            }
        },
        cookies,
    )
}

/// GET `{issuer}/password/{token}`.
pub async fn show(
    axum::extract::State(s): super::State,
    Path((tenant, token)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let brand = super::brand::load(&s, &tenant).await;
    let now = s.oauth.clock.now();
    match s.admin.password_reset_user(&tenant, &token, now).await {
        Ok(Some(user)) => {
            let mut cookies = vec![];
            let csrf = csrf(&s, &tenant, &headers, &mut cookies);
            form(&brand, &tenant, &token, &user, &csrf, None, cookies)
        }
        Ok(None) => gone(&brand, &tenant),
        Err(e) => {
            tracing::error!(error = %e, "cannot read a password link");
            super::pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "This page cannot be shown right now. Try again in a moment.",
            )
        }
    }
}

/// POST `{issuer}/password/{token}`: `password` and `repeat`.
pub async fn set(
    axum::extract::State(s): super::State,
    Path((tenant, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let brand = super::brand::load(&s, &tenant).await;
    let pairs = match read_pairs(&headers, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if !csrf_valid(&s, &tenant, &headers, get("csrf")) {
        return super::pages::error_page(
            StatusCode::FORBIDDEN,
            "This form expired or did not come from this site. Open the link again.",
        );
    }
    let now = s.oauth.clock.now();
    let user = match s.admin.password_reset_user(&tenant, &token, now).await {
        Ok(Some(u)) => u,
        Ok(None) => return gone(&brand, &tenant),
        Err(e) => {
            tracing::error!(error = %e, "cannot read a password link");
            return super::pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Your password cannot be set right now. Try again in a moment.",
            );
        }
    };
    let (password, repeat) = (
        get("password").unwrap_or_default(),
        get("repeat").unwrap_or_default(),
    );
    let again = |message: &str| {
        let mut cookies = vec![];
        let csrf = csrf(&s, &tenant, &headers, &mut cookies);
        form(
            &brand,
            &tenant,
            &token,
            &user,
            &csrf,
            Some(message),
            cookies,
        )
    };
    if password != repeat {
        return again("The two passwords are not the same.");
    }
    match s
        .admin
        .reset_password(&tenant, &token, password.to_string(), now)
        .await
    {
        Ok(true) => page(
            &brand,
            StatusCode::OK,
            "Password set",
            html! {
                h1 { "Your password is set" }
                p.notice role="status" { "Sign in with it from now on. Other sessions of yours were signed out." }
                p { a.button.primary href={ "/t/" (tenant) "/account" } { "Sign in" } }
            },
            vec![],
        ),
        Ok(false) => gone(&brand, &tenant),
        Err(crate::admin::AdminError::Invalid(m)) => again(&super::console::capitalise(&m)),
        Err(e) => {
            tracing::error!(error = %e, "cannot set a password through a link");
            super::pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Your password cannot be set right now. Try again in a moment.",
            )
        }
    }
}
