//! What happened: the tenant's audit trail, filtered by app, installation
//! and actor, and the deliveries to apps with a retry for dead ones.

use super::names::Names;
use super::trail::Entry;
use super::{Section, Visitor, admin, done, notice_banner, query_param, submitted_by_admin};
use crate::domain::installation::Installation;
use crate::store::Delivery;
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};

/// How far back the filters look, and how many records a page shows.
const SCANNED: i64 = 2_000;
const SHOWN: usize = 200;

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
    let (events, deliveries, installations, names) = match (
        s.store
            .audit_events(&tenant, &crate::store::Page::first(SCANNED))
            .await,
        s.store
            .deliveries(&tenant, &crate::store::Page::first(100))
            .await,
        s.store
            .installations(&tenant, &crate::store::Page::all())
            .await,
        Names::load(s.store.as_ref(), &tenant).await,
    ) {
        (Ok(a), Ok(d), Ok(i), Ok(n)) => (a, d, i, n),
        (Err(e), _, _, _) | (_, Err(e), _, _) | (_, _, Err(e), _) | (_, _, _, Err(e)) => {
            return v.failed(e, &v.base());
        }
    };
    let mut names = names;
    let entries: Vec<Entry> = events.iter().map(|r| Entry::of(&r.event)).collect();
    // People deleted since are named as their records last named them.
    for e in &entries {
        if let (Some(user), Some(name)) = (e.detail["user"].as_str(), e.detail["name"].as_str()) {
            names.remember_person(user, name);
        }
    }
    let choices = Choices::of(&entries, &installations, &names);
    let matching: Vec<&Entry> = entries
        .iter()
        .filter(|e| {
            let is = |want: &Option<String>, got: &Option<String>| {
                want.as_ref().is_none_or(|w| got.as_ref() == Some(w))
            };
            is(&want_app, &e.app)
                && is(&want_installation, &e.installation)
                && is(&want_actor, &e.actor)
        })
        .take(SHOWN)
        .collect();
    // Upgrades are told in the words of the version they are about.
    for e in &matching {
        if let (Some(app), Some(version)) = (&e.app, e.upgrade_version()) {
            names.with_version(s.store.as_ref(), app, version).await;
        }
    }
    // Each row's sentence, told once for the row, its link and its record.
    let told: Vec<(&Entry, String)> = matching
        .iter()
        .map(|e| (*e, e.sentence(&names, &v)))
        .collect();
    let base = v.base();
    let body = html! {
        h1 { "Activity" }
        (notice_banner(q))
        (filters(&base, &choices, [&want_app, &want_installation, &want_actor]))
        (audit_trail(&told, &v))
        (deliveries_table(&deliveries, &names, &v))
    };
    v.render(StatusCode::OK, Some(Section::Activity), "Activity", body)
}

/// The app, installation and actor filters, with what is chosen selected.
fn filters(
    base: &str,
    choices: &Choices,
    [want_app, want_installation, want_actor]: [&Option<String>; 3],
) -> Markup {
    let selected = |want: &Option<String>, value: &str| want.as_deref() == Some(value);
    html! {
        form method="get" action={ (base) "/activity" } #filters {
            div.grid {
                div {
                    label for="f-app" { "App" }
                    select #f-app name="app" {
                        option value="" { "Any app" }
                        @for (slug, name) in &choices.apps { option value=(slug) selected[selected(want_app, slug)] { (name) } }
                    }
                }
                div {
                    label for="f-installation" { "Installation" }
                    select #f-installation name="installation" {
                        option value="" { "Any installation" }
                        @for (id, label) in &choices.installations { option value=(id) selected[selected(want_installation, id)] { (label) } }
                    }
                }
                div {
                    label for="f-actor" { "Done by" }
                    select #f-actor name="actor" {
                        option value="" { "Anyone" }
                        @for (actor, name) in &choices.actors { option value=(actor) selected[selected(want_actor, actor)] { (name) } }
                    }
                }
            }
            button type="submit" { "Filter" }
            a.button href={ (base) "/activity" } { "Clear" }
        }
    }
}

/// Each record as a sentence, with its raw record one link away.
fn audit_trail(told: &[(&Entry, String)], v: &Visitor) -> Markup {
    html! {
        h2 #audit-title { "Audit trail" }
        @if told.is_empty() { p { "Nothing matches." } }
        @else {
            table.stack #audit aria-labelledby="audit-title" {
                thead { tr { th.shrink scope="col" { "When" } th scope="col" { "What happened" } th.shrink scope="col" { "Record" } } }
                tbody {
                    @for (n, (e, said)) in told.iter().enumerate() {
                        tr {
                            td.shrink data-label="When" { (v.moment(e.event.created_at)) }
                            td data-label="What happened" { (said) "." }
                            td.shrink data-label="Record" { a href={ "#record-" (n) } aria-label={ "Record of: " (said) } { "Record" } }
                        }
                    }
                }
            }
            @for (n, (e, said)) in told.iter().enumerate() {
                section.record id={ "record-" (n) } aria-labelledby={ "record-title-" (n) } {
                    h3 id={ "record-title-" (n) } { "Record: " (said) }
                    pre { (e.raw(&v)) }
                    a href="#audit-title" { "Close" }
                }
            }
        }
    }
}

/// The latest deliveries; a dead one can be retried.
fn deliveries_table(deliveries: &[Delivery], names: &Names, v: &Visitor) -> Markup {
    let base = v.base();
    html! {
        h2 #deliveries-title { "Deliveries to apps" }
        @if deliveries.is_empty() { p { "Nothing was delivered yet." } }
        @else {
            table.stack #deliveries aria-labelledby="deliveries-title" {
                thead { tr { th scope="col" { "When" } th scope="col" { "Message" } th scope="col" { "To" } th scope="col" { "Status" } th.shrink scope="col" { "Action" } } }
                tbody {
                    @for d in deliveries {
                        tr {
                            td.shrink data-label="When" { (v.moment(d.created_at)) }
                            td data-label="Message" { (delivery_event(&d.event)) @if let Some(a) = &d.app { " \u{2014} " (names.app(a)) } }
                            td data-label="To" { (d.url) }
                            td data-label="Status" {
                                span class={ "badge " (d.status) } { (delivery_status(&d.status)) } " after " (d.attempts) " attempt" @if d.attempts != 1 { "s" }
                                @if let Some(err) = &d.last_error { br; span.muted { (err) } }
                            }
                            td.shrink data-label="Action" {
                                @if d.status == "dead" {
                                    form.inline method="post" action={ (base) "/deliveries/" (d.id) "/retry" } {
                                        (v.csrf_field())
                                        button type="submit" aria-label={ "Retry delivery " (delivery_event(&d.event)) " to " (d.url) } { "Retry" }
                                    }
                                } @else { span.muted { "\u{2014}" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What the filters offer, each value with the name a person knows it by.
struct Choices {
    apps: Vec<(String, String)>,
    installations: Vec<(String, String)>,
    actors: Vec<(String, String)>,
}

impl Choices {
    fn of(entries: &[Entry], installations: &[Installation], names: &Names) -> Choices {
        let mut apps: Vec<(String, String)> = installations
            .iter()
            .map(|i| i.app.clone())
            .chain(entries.iter().filter_map(|e| e.app.clone()))
            .map(|slug| (names.app(&slug).to_string(), slug))
            .map(|(name, slug)| (slug, name))
            .collect();
        apps.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        apps.dedup();
        // Live installations first, by name; then ones uninstalled since.
        let mut ids: Vec<(String, String)> = installations
            .iter()
            .map(|i| (i.id.clone(), names.app(&i.app).to_string()))
            .collect();
        ids.sort_by(|a, b| a.1.cmp(&b.1));
        let mut gone: Vec<(String, String)> = vec![];
        for e in entries {
            if let (Some(id), Some(app)) = (&e.installation, &e.app)
                && !ids.iter().chain(&gone).any(|(i, _)| i == id)
            {
                gone.push((id.clone(), format!("{} (uninstalled)", names.app(app))));
            }
        }
        ids.extend(gone);
        let mut actors: Vec<(String, String)> = entries
            .iter()
            .filter_map(|e| e.actor.clone())
            .map(|a| (names.actor(&a), a))
            .map(|(name, a)| (a, name))
            .collect();
        actors.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        actors.dedup();
        Choices {
            apps,
            installations: ids,
            actors,
        }
    }
}

/// A delivery's event for people.
fn delivery_event(event: &str) -> &str {
    match event {
        "credentials.created" => "New credentials",
        "credentials.rotated" => "Rotated credentials",
        "credentials.revoked" => "Credentials revoked",
        "installation.created" => "Installed",
        "installation.deleted" => "Uninstalled",
        "installation.suspended" => "Suspended",
        "installation.resumed" => "Resumed",
        "installation.resources_changed" => "Access changed",
        "installation.upgrade_requested" => "Upgrade waiting",
        "installation.upgrade_approved" => "Upgrade approved",
        "installation.upgrade_declined" => "Upgrade declined",
        "installation.credentials_rotated" => "Rotated credentials",
        other => other,
    }
}

fn delivery_status(status: &str) -> &str {
    match status {
        "pending" => "Sending",
        "delivered" => "Delivered",
        "dead" => "Failed",
        other => other,
    }
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
    // Only this tenant's own dead deliveries.
    let retried = s
        .admin
        .retry_delivery(&tenant, &id, &v.actor(), s.oauth.clock.now_ms())
        .await;
    match retried {
        Ok(()) => done(&back, "retried"),
        Err(e) => v.failed(e, &back),
    }
}
