//! Users' install requests (when the tenant lets users ask): the list an
//! admin decides from, approve (installs as asked) or decline.

use super::{Section, admin, done, notice_banner, submitted_by_admin};
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
        (Err(e), _) | (_, Err(e)) => return v.failed(e, &v.base()),
    };
    let names = match super::names::Names::load(s.store.as_ref(), &tenant).await {
        Ok(n) => n,
        Err(e) => return v.failed(e, &v.base()),
    };
    let resources = s
        .store
        .resources(&tenant, &crate::store::Page::all())
        .await
        .unwrap_or_default();
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
            @let name = names.app(&r.app);
            @let who = names.person(&r.requested_by);
            @let optional: Vec<String> = serde_json::from_str(&r.optional_permissions).unwrap_or_default();
            div.card.request {
                h2 { (name) }
                p { strong { (who) } " asked on " (v.moment(r.created_at)) "." }
                @if !r.note.is_empty() { blockquote style="white-space:pre-line" { (r.note) } }
                p { "Where: " (names.selection(&r.app, &r.resources, &resources)) }
                @if !optional.is_empty() {
                    p { "Also asks that it may " (optional.iter().map(|p| names.permission(&r.app, Some(r.version), p)).collect::<Vec<_>>().join(", ")) "." }
                }
                form.inline method="post" action={ (base) "/requests/" (r.id) } {
                    (v.csrf_field())
                    button.primary type="submit" name="decision" value="approve" aria-label={ "Approve and install " (name) " for " (who) } { "Approve and install" }
                    button type="submit" name="decision" value="decline" aria-label={ "Decline " (name) " for " (who) } { "Decline" }
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
                            td data-label="App" { (names.app(&r.app)) }
                            td data-label="Asked by" { (names.person(&r.requested_by)) }
                            td data-label="Decision" { (decision(&r.status)) @if let Some(t) = r.decided_at { " " (v.moment(t)) } }
                            td data-label="By" { (r.decided_by.as_deref().map(|d| names.actor(d)).unwrap_or_default()) }
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
                crate::http::directory_changed(&s).await;
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
            crate::admin::AdminError::Invalid("Choose Approve or Decline.".into()),
            &back,
        ),
    }
}

/// A decided request's status for people.
fn decision(status: &str) -> &str {
    match status {
        "approved" => "Approved",
        "declined" => "Declined",
        "failed" => "Could not be installed",
        other => other,
    }
}
