//! What happened: the tenant's audit trail, filtered by app, installation
//! and actor, and the deliveries to apps with a retry for dead ones.

use super::{Section, admin, done, moment, notice_banner, query_param, submitted_by_admin};
use crate::store::AuditEvent;
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use serde_json::Value;

/// How far back the filters look, and how many records a page shows.
const SCANNED: i64 = 2_000;
const SHOWN: usize = 200;

/// The app, installation and actor a record is about.
type About = (Option<String>, Option<String>, Option<String>);

/// What a record is about, from its detail.
fn about(e: &AuditEvent) -> About {
    let d: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
    let s = |v: &Value| v.as_str().map(str::to_string);
    let app = s(&d["app"])
        .or_else(|| s(&d["after"]["app"]))
        .or_else(|| s(&d["before"]["app"]));
    let installation = s(&d["installation"]).or_else(|| s(&d["after"]["id"]));
    (app, installation, s(&d["actor"]))
}

/// GET `{issuer}/console/activity?app=&installation=&actor=`.
pub(super) async fn page(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(admin(&s, &tenant, &headers, "console/activity").await);
    let q = query.as_deref();
    let filter = |name| query_param(q, name).filter(|x| !x.trim().is_empty());
    let (want_app, want_installation, want_actor) =
        (filter("app"), filter("installation"), filter("actor"));
    let (events, deliveries, installations) = match (
        s.store.audit_events(&tenant, SCANNED).await,
        s.store.deliveries(&tenant, 100).await,
        s.store.installations(&tenant).await,
    ) {
        (Ok(a), Ok(d), Ok(i)) => (a, d, i),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return v.failed(e.into(), &v.base()),
    };
    // What each record is about, read once for the filters and the app list.
    let described: Vec<(&AuditEvent, About)> = events.iter().map(|e| (e, about(e))).collect();
    let mut apps: Vec<String> = installations.iter().map(|i| i.app.clone()).collect();
    apps.extend(described.iter().filter_map(|(_, (app, _, _))| app.clone()));
    apps.sort();
    apps.dedup();
    let matching: Vec<(&AuditEvent, About)> = described
        .into_iter()
        .filter(|(_, (app, inst, actor))| {
            want_app.as_ref().is_none_or(|w| app.as_ref() == Some(w))
                && want_installation
                    .as_ref()
                    .is_none_or(|w| inst.as_ref() == Some(w))
                && want_actor
                    .as_ref()
                    .is_none_or(|w| actor.as_ref() == Some(w))
        })
        .take(SHOWN)
        .collect();
    let base = v.base();
    let body = html! {
        h1 { "Activity" }
        (notice_banner(q))
        form method="get" action={ (base) "/activity" } #filters {
            div.grid {
                div {
                    label for="f-app" { "App" }
                    select #f-app name="app" {
                        option value="" { "Any app" }
                        @for a in &apps { option value=(a) selected[want_app.as_ref() == Some(a)] { (a) } }
                    }
                }
                div {
                    label for="f-installation" { "Installation ID" }
                    input #f-installation type="text" name="installation" value=(want_installation.clone().unwrap_or_default());
                }
                div {
                    label for="f-actor" { "Done by" }
                    input #f-actor type="text" name="actor" value=(want_actor.clone().unwrap_or_default()) placeholder="username, platform, operator";
                }
            }
            button type="submit" { "Filter" }
            a.button href={ (base) "/activity" } { "Clear" }
        }
        h2 { "Audit trail" }
        @if matching.is_empty() { p { "Nothing matches." } }
        @else {
            table.stack #audit {
                thead { tr { th scope="col" { "When" } th scope="col" { "What" } th scope="col" { "App" } th scope="col" { "By" } th scope="col" { "Details" } } }
                tbody {
                    @for (e, (app, inst, actor)) in &matching {
                        tr {
                            td data-label="When" { (moment(e.created_at)) }
                            td data-label="What" { (e.action) }
                            td data-label="App" {
                                (app.as_deref().unwrap_or(""))
                                @if let Some(i) = inst { br; a href={ (base) "/activity?installation=" (i) } { code { (i) } } }
                            }
                            td data-label="By" { (actor.as_deref().unwrap_or("")) }
                            td data-label="Details" { details { summary { "Show" } pre { (e.detail) } } }
                        }
                    }
                }
            }
        }
        h2 #deliveries-title { "Deliveries to apps" }
        @if deliveries.is_empty() { p { "Nothing was delivered yet." } }
        @else {
            table.stack #deliveries aria-labelledby="deliveries-title" {
                thead { tr { th scope="col" { "When" } th scope="col" { "Event" } th scope="col" { "To" } th scope="col" { "Status" } th scope="col" { "" } } }
                tbody {
                    @for d in &deliveries {
                        tr {
                            td data-label="When" { (moment(d.created_at)) }
                            td data-label="Event" { (d.event) @if let Some(a) = &d.app { " (" (a) ")" } }
                            td data-label="To" { (d.url) }
                            td data-label="Status" {
                                span class={ "badge " (d.status) } { (d.status) } " after " (d.attempts) " attempt" @if d.attempts != 1 { "s" }
                                @if let Some(err) = &d.last_error { br; span.muted { (err) } }
                            }
                            td data-label="Retry" {
                                @if d.status == "dead" {
                                    form.inline method="post" action={ (base) "/deliveries/" (d.id) "/retry" } {
                                        (v.csrf_field())
                                        button type="submit" aria-label={ "Retry delivery " (d.event) " to " (d.url) } { "Retry" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    v.render(StatusCode::OK, Some(Section::Activity), "Activity", body)
}

/// POST `{issuer}/console/deliveries/{id}/retry`: a dead delivery of this
/// tenant goes back in the queue.
pub(super) async fn retry(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, _) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let back = format!("{}/activity", v.base());
    // Only this tenant's own dead deliveries, looked up in its outbox.
    let ours = match s.store.deliveries(&tenant, 1_000).await {
        Ok(d) => d.into_iter().any(|d| d.id == id && d.status == "dead"),
        Err(e) => return v.failed(e.into(), &back),
    };
    if !ours {
        return v.failed(
            crate::store::StoreError::NotFound("failed delivery").into(),
            &back,
        );
    }
    match s.store.retry_delivery(&id, s.oauth.clock.now_ms()).await {
        Ok(()) => {
            let event = AuditEvent {
                tenant: tenant.clone(),
                action: "delivery.retried".into(),
                detail: serde_json::json!({"delivery": id, "actor": v.actor()}).to_string(),
                created_at: s.oauth.clock.now(),
            };
            if let Err(e) = s.store.audit(&event).await {
                tracing::warn!(error = %e, "cannot write audit record");
            }
            done(&back, "retried")
        }
        Err(e) => v.failed(e.into(), &back),
    }
}
