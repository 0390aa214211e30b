//! Users' install requests (when the tenant lets users ask): the list an
//! admin decides from, approve (installs as asked) or decline.

use super::{Section, admin, done, moment, notice_banner, submitted_by_admin};
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;

/// GET `{issuer}/console/requests`.
pub(super) async fn list(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(admin(&s, &tenant, &headers, "console/requests").await);
    let (requests, settings) = match (
        s.store.install_requests(&tenant).await,
        s.store.tenant_settings(&tenant).await,
    ) {
        (Ok(r), Ok(t)) => (r, t),
        (Err(e), _) | (_, Err(e)) => return v.failed(e.into(), &v.base()),
    };
    let mut names = std::collections::HashMap::new();
    for r in &requests {
        if let Ok(Some(a)) = s.store.app_version(&r.app, None).await {
            names.insert(r.app.clone(), a.manifest.name);
        }
    }
    let base = v.base();
    let (open, decided): (Vec<_>, Vec<_>) = requests
        .iter()
        .partition(|r| matches!(r.status.as_str(), "pending" | "approving"));
    let body = html! {
        h1 { "Install requests" }
        (notice_banner(query.as_deref()))
        @if settings.user_installs == crate::domain::settings::UserInstalls::Admins {
            p.muted { "People cannot ask for apps now: only administrators install them. "
                a href={ (base) "/settings" } { "Change who may install apps" } }
        }
        @if open.is_empty() { p { "No request is waiting." } }
        @for r in &open {
            @let name = names.get(&r.app).map_or(r.app.as_str(), String::as_str);
            @let optional: Vec<String> = serde_json::from_str(&r.optional_permissions).unwrap_or_default();
            div.card.request {
                h2 { (name) }
                p { strong { (r.requested_by) } " asked on " (moment(r.created_at)) "." }
                @if !r.note.is_empty() { blockquote style="white-space:pre-line" { (r.note) } }
                p { "Resources: " code { (r.resources) } }
                @if !optional.is_empty() { p { "Optional permissions asked for: " (optional.join(", ")) } }
                form.inline method="post" action={ (base) "/requests/" (r.id) } {
                    (v.csrf_field())
                    button.primary type="submit" name="decision" value="approve" aria-label={ "Approve and install " (name) " for " (r.requested_by) } { "Approve and install" }
                    button type="submit" name="decision" value="decline" aria-label={ "Decline " (name) " for " (r.requested_by) } { "Decline" }
                }
                " "
                a href={ (base) "/catalog/" (r.app) } { "About " (name) }
            }
        }
        @if !decided.is_empty() {
            h2 { "Decided" }
            table.stack {
                thead { tr { th scope="col" { "App" } th scope="col" { "Asked by" } th scope="col" { "Decision" } th scope="col" { "By" } } }
                tbody {
                    @for r in &decided {
                        tr {
                            td data-label="App" { (names.get(&r.app).map_or(r.app.as_str(), String::as_str)) }
                            td data-label="Asked by" { (r.requested_by) }
                            td data-label="Decision" { (r.status) @if let Some(t) = r.decided_at { " " (moment(t)) } }
                            td data-label="By" { (r.decided_by.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    v.render(
        StatusCode::OK,
        Some(Section::Requests),
        "Install requests",
        body,
    )
}

/// POST `{issuer}/console/requests/{id}`: approve or decline.
pub(super) async fn decide(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, form) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let back = format!("{}/requests", v.base());
    let now = s.oauth.clock.now();
    match form.get("decision") {
        Some("approve") => match s
            .admin
            .approve_install_request(&tenant, &id, v.actor(), now)
            .await
        {
            Ok((installation, _)) => {
                crate::http::admin_apps::changed(&s).await;
                super::redirect(
                    &format!("{}/installations/{}/installed", v.base(), installation.id),
                    vec![],
                )
            }
            Err(e) => v.failed(e, &back),
        },
        Some("decline") => match s
            .admin
            .decline_install_request(&tenant, &id, v.actor(), now)
            .await
        {
            Ok(()) => done(&back, "request_declined"),
            Err(e) => v.failed(e, &back),
        },
        _ => v.failed(
            crate::admin::AdminError::Invalid("Choose Approve or Decline.".into()).into(),
            &back,
        ),
    }
}
