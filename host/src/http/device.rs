//! RFC 8628 user interaction: the page where a person types the code their
//! device shows (or arrives with it from `verification_uri_complete`),
//! signs in, checks the code matches, and approves or denies; all in the
//! tenant's branding, no JavaScript.

use super::State;
use super::client_addr::ClientAddr;
use super::pages::{Page, branded, csrf, csrf_ok, error_page, read_form, session_of};
use crate::oauth::device::{UserCodeError, normalize};
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;

/// GET `{issuer}/device[?user_code=…]`: the code form, or the request it
/// names, for a signed-in person.
pub async fn page(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    axum::Extension(ClientAddr(client)): axum::Extension<ClientAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let typed = query
        .as_deref()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "user_code")
                .map(|(_, v)| v.into_owned())
        })
        .filter(|c| !c.trim().is_empty());
    let Some(session) = session_of(&s, &tenant, &headers).await else {
        // Back here after signing in, with the code if it can be one.
        let back = match typed.as_deref().and_then(normalize) {
            Some(code) => format!("device?user_code={code}"),
            None => "device".into(),
        };
        return super::pages::login_returning(&s, &tenant, &headers, &back).await;
    };
    let Some(typed) = typed else {
        return code_form(&s, &tenant, None, StatusCode::OK).await;
    };
    match s
        .oauth
        .device_request(&tenant, &typed, &session, &client.to_string())
        .await
    {
        Ok(request) => approval(&s, &tenant, &headers, &request).await,
        Err(UserCodeError::Unknown) => {
            let error = "That code is not waiting for approval: check it on your device, or start again there if it has expired.";
            code_form(&s, &tenant, Some(error), StatusCode::NOT_FOUND).await
        }
        Err(UserCodeError::Throttled(secs)) => {
            let error = format!("Too many wrong codes. Try again in {secs} seconds.");
            code_form(&s, &tenant, Some(&error), StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(UserCodeError::Unavailable) => error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Devices cannot be connected right now. Try again later.",
        ),
    }
}

/// POST `{issuer}/device/decide`: approve or deny.
pub async fn decide(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let params = match read_form(&headers, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(session) = session_of(&s, &tenant, &headers).await else {
        return super::pages::login_returning(&s, &tenant, &headers, "device").await;
    };
    if !csrf_ok(&s, &tenant, &headers, &params) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form expired. Type the code from your device again.",
        );
    }
    let approve = params.get("decision") == Some("approve");
    let typed = params.get("user_code").unwrap_or_default();
    let brand = super::brand::load(&s, &tenant).await;
    let (status, title, said) = match s
        .oauth
        .device_decide(&tenant, typed, &session, approve)
        .await
    {
        Ok(true) if approve => (
            StatusCode::OK,
            "Device connected",
            "Your device is connected. You can close this page and go back to it.",
        ),
        Ok(true) => (
            StatusCode::OK,
            "Request denied",
            "Nothing was connected. You can close this page.",
        ),
        Ok(false) => (
            StatusCode::CONFLICT,
            "Nothing to approve",
            "That request was already answered or has expired. Start again on your device.",
        ),
        Err(_) => {
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Devices cannot be connected right now. Try again later.",
            );
        }
    };
    Page {
        status,
        body: branded(
            &brand,
            title,
            html! { h1 { (title) } p role="status" { (said) } },
        ),
        cookies: vec![],
        images: brand.image_origins(),
    }
    .into_response()
}

async fn code_form(
    s: &super::AppState,
    tenant: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let brand = super::brand::load(s, tenant).await;
    let body = branded(
        &brand,
        "Connect a device",
        html! {
            h1 { "Connect a device" }
            p { "Type the code your device shows." }
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            form method="get" action={ "/t/" (tenant) "/device" } {
                label for="user_code" { "Code" }
                input type="text" id="user_code" name="user_code" autocomplete="one-time-code"
                    autocapitalize="characters" spellcheck="false" placeholder="XXXX-XXXX"
                    maxlength="20" required autofocus;
                button.primary type="submit" { "Continue" }
            }
        },
    );
    Page {
        status,
        body,
        cookies: vec![],
        images: brand.image_origins(),
    }
    .into_response()
}

/// Who asks, what for, and the code to compare with the device's (RFC 8628
/// §5.4: the person confirms it is their device).
async fn approval(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    r: &crate::oauth::device::DeviceRequest,
) -> Response {
    let mut cookies = vec![];
    let token = csrf(s, tenant, headers, &mut cookies);
    let brand = super::brand::load(s, tenant).await;
    let body = branded(
        &brand,
        "Connect a device?",
        html! {
            h1 { "Allow " (r.client.name) " on your device?" }
            p { "Check that your device shows this code:" }
            p { strong #user-code style="font-family:monospace;font-size:1.5rem;letter-spacing:.1em" { (r.user_code) } }
            p { "If it does not, or you did not start this, deny." }
            p { "Signed in as " strong { (r.person) } "." }
            p { (r.client.name) " will be able to:" }
            (super::grant_lists::scopes(&r.scopes))
            (super::grant_lists::details(&r.details))
            form method="post" action={ "/t/" (tenant) "/device/decide" } {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="user_code" value=(r.user_code);
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
        images: brand.image_origins(),
    }
    .into_response()
}
