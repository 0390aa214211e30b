//! The tenant's settings: its look on every page (name, logo, accent
//! colour, support link), the time zone of its console and who may
//! install apps.

use super::{Section, Visitor, admin, done, notice_banner, submitted_by_admin};
use crate::domain::settings::{Branding, TenantSettings, UserInstalls};
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;

/// GET `{issuer}/console/settings`.
pub(super) async fn page(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(admin(&s, &tenant, &headers, "console/settings").await);
    match s.store.tenant_settings(&tenant).await {
        Ok(t) => form(&v, &t, query.as_deref(), None),
        Err(e) => v.failed(e, &v.base()),
    }
}

fn form(v: &Visitor, t: &TenantSettings, query: Option<&str>, error: Option<String>) -> Response {
    let b = &t.branding;
    let value = |x: &Option<String>| x.clone().unwrap_or_default();
    let choice = |mode: UserInstalls, text: &str, hint: &str| {
        html! {
            label.inline {
                input type="radio" name="user_installs" value=(mode.as_str()) checked[t.user_installs == mode];
                span { (text) br; small.muted { (hint) } }
            }
        }
    };
    let body = html! {
        h1 { "Settings" }
        (notice_banner(query))
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        form method="post" action={ (v.base()) "/settings" } style="max-width:36rem" {
            (v.csrf_field())
            fieldset {
                legend { "Branding" }
                p.muted { "Shown on the sign-in, consent, account and console pages." }
                label for="display_name" { "Organisation name" }
                input #display_name type="text" name="display_name" maxlength="100" value=(value(&b.display_name)) placeholder=(v.tenant);
                label for="logo_url" { "Logo URL (https)" }
                input #logo_url type="url" name="logo_url" maxlength="2000" value=(value(&b.logo_url)) placeholder="https://cdn.example.com/logo.png";
                label for="accent_color" { "Accent colour" }
                input #accent_color type="text" name="accent_color" maxlength="7" value=(value(&b.accent_color)) placeholder=(crate::domain::settings::DEFAULT_ACCENT) pattern="#[0-9a-fA-F]{6}" aria-describedby="accent-hint";
                small.muted #accent-hint { "Like #1a5fb4. Text on it is black or white, whichever reads better." }
                label for="support_url" { "Support link (https or mailto:)" }
                input #support_url type="text" name="support_url" maxlength="2000" value=(value(&b.support_url)) placeholder="mailto:it@example.com";
            }
            fieldset {
                legend { "Time zone" }
                label for="time_zone" { "Times on these pages are shown in" }
                input #time_zone type="text" name="time_zone" list="zones" maxlength="64" value=(value(&t.time_zone)) placeholder="UTC" aria-describedby="zone-hint" autocomplete="off";
                small.muted #zone-hint { "A place like Europe/Helsinki or America/New_York. Leave it empty for UTC." }
                datalist #zones {
                    @for z in jiff::tz::db().available() { option value=(z) {} }
                }
            }
            fieldset {
                legend { "Who may install apps" }
                (choice(UserInstalls::Admins, "Administrators only", "Other people cannot see the app catalog."))
                (choice(UserInstalls::Request, "People may ask; an administrator approves", "Requests wait under Requests; nothing reaches the app until approved."))
                (choice(UserInstalls::Permitted, "People may install apps that ask only for what they hold themselves",
                    "An app asking only for permissions your organisation offers its people installs at once; others are requests."))
            }
            button.primary type="submit" { "Save settings" }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    v.render(status, Some(Section::Settings), "Settings", body)
}

/// POST `{issuer}/console/settings`.
pub(super) async fn save(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, f) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let text = |k: &str| f.get(k).map(str::to_string);
    let Some(user_installs) = f.get("user_installs").and_then(UserInstalls::parse) else {
        let current = s.store.tenant_settings(&tenant).await.unwrap_or_default();
        return form(
            &v,
            &current,
            None,
            Some("Choose who may install apps.".into()),
        );
    };
    let wanted = TenantSettings {
        branding: Branding {
            display_name: text("display_name"),
            logo_url: text("logo_url"),
            accent_color: text("accent_color"),
            support_url: text("support_url"),
        },
        user_installs,
        time_zone: text("time_zone"),
    };
    match s
        .admin
        .set_tenant_settings(&tenant, wanted.clone(), v.actor(), s.oauth.clock.now())
        .await
    {
        Ok(_) => done(&format!("{}/settings", v.base()), "settings"),
        Err(e) => {
            let (_, message) = super::explain(e);
            form(&v, &wanted, None, Some(message))
        }
    }
}
