//! Installed apps: the list, one installation's page (usage, what it may
//! do, where), editing its resources, suspend and resume, uninstall, and a
//! pending upgrade shown as what changes, to approve or decline.

use super::catalog::{applies_to, permission_list, status_class, status_text};
use super::chart::{self, Metric};
use super::selection::{self, Picked};
use super::trail::thousands;
use super::{
    Section, Visitor, admin, done, notice_banner, query_param, submitted_by_admin, visitor,
};
use crate::apps::AppError;
use crate::domain::installation::{Installation, Selection, Suspender};
use crate::domain::manifest::{Manifest, Permission};
use crate::domain::settings::image_origin;
use crate::store::StoreError;
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};

/// The live installation `id` of the visitor's tenant, and the manifest
/// version it was approved at.
async fn load(
    s: &crate::http::AppState,
    v: &Visitor,
    id: &str,
) -> Result<(Installation, Manifest), Response> {
    let i = match s.admin.installation(&v.tenant, id).await {
        Ok(i) => i,
        Err(e) => return Err(v.failed(e, &format!("{}/installations", v.base()))),
    };
    match s.store.app_version(&i.app, Some(i.version)).await {
        Ok(Some(a)) => Ok((i, a.manifest)),
        Ok(None) => Err(v.failed(
            StoreError::NotFound("app version"),
            &format!("{}/installations", v.base()),
        )),
        Err(e) => Err(v.failed(e, &v.base())),
    }
}

/// "All Projects", "3 Projects", "none".
fn resources_summary(m: &Manifest, sel: &Selection) -> String {
    if m.resource_types.is_empty() {
        return "\u{2014}".into();
    }
    match sel {
        Selection::All => format!("All {}", selection::names(&m.resource_types)),
        Selection::Some(map) => {
            let parts: Vec<String> = m
                .resource_types
                .iter()
                .map(|t| {
                    let n = map.get(&t.kind).map_or(0, Vec::len);
                    format!("{n} {}", t.name)
                })
                .collect();
            parts.join(", ")
        }
    }
}

/// GET `{issuer}/console/installations`.
pub(super) async fn list(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(admin(&s, &tenant, &headers, "console/installations").await);
    let installations = match s
        .store
        .installations(&tenant, &crate::store::Page::all())
        .await
    {
        Ok(i) => i,
        Err(e) => return v.failed(e, &v.base()),
    };
    let mut rows = Vec::new();
    for i in &installations {
        let manifest = s
            .store
            .app_version(&i.app, Some(i.version))
            .await
            .ok()
            .flatten()
            .map(|a| a.manifest);
        let last = s
            .oauth
            .usage
            .report(&i.id, 30)
            .await
            .ok()
            .and_then(|r| r.last_token_at);
        rows.push((i, manifest, last));
    }
    let base = v.base();
    let body = html! {
        h1 { "Installed apps" }
        (notice_banner(query.as_deref()))
        @if rows.is_empty() {
            p { "No app is installed yet. " a href={ (base) "/catalog" } { "Browse the apps" } }
        } @else {
            table.stack #installations {
                thead { tr {
                    th scope="col" { "App" } th scope="col" { "Status" } th scope="col" { "Version" }
                    th scope="col" { "Permissions" } th scope="col" { "Resources" } th scope="col" { "Last used" }
                } }
                tbody {
                    @for (i, m, last) in &rows {
                        tr {
                            td data-label="App" { a href={ (base) "/installations/" (i.id) } {
                                (m.as_ref().map_or(i.app.as_str(), |m| m.name.as_str()))
                            } }
                            td data-label="Status" { span class={ "badge " (status_class(i)) } { (status_text(i)) } }
                            td data-label="Version" { (i.version) @if let Some(p) = i.pending_version { " (" (p) " waiting)" } }
                            td data-label="Permissions" { (i.permissions.len()) }
                            td data-label="Resources" { @if let Some(m) = m { (resources_summary(m, &i.resources)) } }
                            td data-label="Last used" { @match last { Some(t) => (v.moment(*t)), None => "never" } }
                        }
                    }
                }
            }
        }
    };
    v.render(
        StatusCode::OK,
        Some(Section::Installations),
        "Installed apps",
        body,
    )
}

/// GET `{issuer}/console/installations/{id}/installed`: the result of an
/// install, for whoever installed it.
pub(super) async fn installed(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(visitor(&s, &tenant, &headers, "console").await);
    let (i, m) = or_page!(load(&s, &v, &id).await);
    if !v.user.is_admin && i.installed_by != v.user.username {
        return v.forbidden();
    }
    let base = v.base();
    let body = html! {
        h1 { (m.name) " is installed" }
        div.notice role="status" {
            p { "It acts as the service account " strong #service-account { (i.service_account_name) } "." }
            @if i.client_id.is_some() {
                p { "Its credentials were sent to " (m.publisher.name) " directly; nobody needs to copy a secret." }
            } @else {
                p { "It signs in with its own key; no secret was created." }
            }
            @if i.awaiting_hook {
                p { "It starts working as soon as the app confirms it received them." }
            }
        }
        @if v.user.is_admin {
            p { a.button.primary href={ (base) "/installations/" (i.id) } { "See the installation" } }
        }
        p { a href={ (base) "/catalog" } { "Back to the apps" } }
    };
    v.render(
        StatusCode::OK,
        Some(Section::Installations),
        "Installed",
        body,
    )
}

/// GET `{issuer}/console/installations/{id}`.
pub(super) async fn detail(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(
        admin(
            &s,
            &tenant,
            &headers,
            &format!("console/installations/{id}"),
        )
        .await
    );
    let (i, m) = or_page!(load(&s, &v, &id).await);
    let q = query.as_deref();
    let period = query_param(q, "days")
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| chart::PERIODS.contains(d))
        .unwrap_or(30);
    let metric = Metric::parse(query_param(q, "metric").as_deref());
    let usage = match s.oauth.usage.report(&i.id, period).await {
        Ok(u) => u,
        Err(e) => return v.failed(e, &v.base()),
    };
    let pending = match i.pending_version {
        Some(p) => s.store.app_version(&i.app, Some(p)).await.ok().flatten(),
        None => None,
    };
    let resources = s
        .store
        .resources(&tenant, &crate::store::Page::all())
        .await
        .unwrap_or_default();
    let installed_by = match s.store.user_by_name(&tenant, &i.installed_by).await {
        Ok(Some(u)) => u.display_name.unwrap_or(u.username),
        _ => i.installed_by.clone(),
    };
    let base = v.base();
    let here = format!("{base}/installations/{}", i.id);
    let approved: Vec<&Permission> = m
        .permissions
        .iter()
        .filter(|p| i.permissions.contains(&p.name))
        .collect();
    let body = html! {
        (v.crumbs(&[("Installed apps", format!("{base}/installations"))], &m.name))
        @if let Some(url) = &m.logo_url { img.logo src=(url) alt={ (m.name) " logo" } width="48" height="48"; }
        h1 { (m.name) }
        // Just suspended: the page's own warning says so, once.
        @if !(i.suspended_by.is_some() && query_param(query.as_deref(), "done").as_deref() == Some("suspended")) {
            (notice_banner(query.as_deref()))
        }
        p {
            span class={ "badge " (status_class(&i)) } #status { (status_text(&i)) }
            " version " (i.version) " \u{00b7} installed " (v.day(i.created_at)) " by " (installed_by)
        }
        @if let Some(why) = i.unusable_because() { p.warning role="status" { (capital(why)) "." } }
        @if let Some(p) = &pending {
            (upgrade(&v, &i, &m, &p.manifest, p.version))
        }
        (usage_section(&v, &here, period, metric, &usage))
        h2 { "What it may do" }
        (permission_list(&m, &approved))
        (where_section(&i, &m, &resources, &here))
        (manage_sections(&v, &i, &base, &here))
    };
    let images = m
        .logo_url
        .as_deref()
        .and_then(image_origin)
        .into_iter()
        .collect();
    v.render_with_images(
        StatusCode::OK,
        Some(Section::Installations),
        &m.name,
        body,
        images,
    )
}

/// The installation's usage: a chart for the period and metric asked for,
/// the numbers behind it, the totals.
fn usage_section(
    v: &Visitor,
    here: &str,
    period: i64,
    metric: Metric,
    usage: &crate::usage::UsageReport,
) -> Markup {
    let series: Vec<(String, i64)> = usage
        .days
        .iter()
        .map(|d| {
            let value = match metric {
                Metric::Tokens => d.tokens,
                Metric::Denied => d.denied,
                Metric::Evaluations => d.evaluations,
            };
            (d.date.clone(), value)
        })
        .collect();
    html! {
        h2 #usage { "Usage" }
        nav.choices aria-label="Period" {
            @for d in chart::PERIODS {
                a href={ (here) "?days=" (d) "&metric=" (metric.key()) "#usage" } aria-current=[(d == period).then_some("true")] { "Last " (d) " days" }
            }
        }
        nav.choices aria-label="Shown" {
            @for m in Metric::ALL {
                a href={ (here) "?days=" (period) "&metric=" (m.key()) "#usage" } aria-current=[(m == metric).then_some("true")] { (m.label()) }
            }
        }
        (chart::bars(metric, &series))
        details {
            summary { "Show the numbers" }
            table #usage-days {
                thead { tr {
                    th scope="col" { "Day (UTC)" } th.num scope="col" { "Tokens issued" }
                    th.num scope="col" { "Requests refused" } th.num scope="col" { "Permission checks" }
                } }
                tbody {
                    @for d in &usage.days {
                        tr { td { (d.date) } td.num { (thousands(d.tokens)) } td.num { (thousands(d.denied)) } td.num { (thousands(d.evaluations)) } }
                    }
                }
            }
        }
        ul.plain #usage-totals {
            li { "Tokens issued: " strong { (thousands(usage.totals.tokens)) } }
            li { "Requests refused: " strong { (thousands(usage.totals.denied)) } }
            li { "Permission checks answered: " strong { (thousands(usage.totals.evaluations)) } }
            @if usage.totals.decisions_reused > 0 {
                li { "Policy decisions answered from cache: " strong { (thousands(usage.totals.decisions_reused)) } }
            }
            li { "Last token: " @match usage.last_token_at { Some(t) => (v.moment(t)), None => "never" } }
        }
    }
}

/// Which of the tenant's resources the installation may touch.
fn where_section(
    i: &Installation,
    m: &Manifest,
    resources: &[crate::store::Resource],
    here: &str,
) -> Markup {
    html! {
        h2 { "Where" }
        @if m.resource_types.is_empty() {
            p { "This app works across the whole organisation." }
        } @else {
            @match &i.resources {
                Selection::All => p #selected-resources { "All " (selection::names(&m.resource_types)) ", including ones added later." },
                Selection::Some(map) => {
                    ul #selected-resources {
                        @for t in &m.resource_types {
                            @for id in map.get(&t.kind).into_iter().flatten() {
                                li { (resources.iter().find(|r| r.kind == t.kind && &r.id == id).map_or(id.as_str(), |r| r.name.as_str())) " " span.muted { "(" (t.name) ")" } }
                            }
                        }
                    }
                    @if map.values().all(Vec::is_empty) { p { "None selected." } }
                }
            }
            a.button href={ (here) "/resources" } { "Change " (selection::names(&m.resource_types)) }
        }
    }
}

/// The token limit, the installation's identity, suspend/resume and uninstall.
fn manage_sections(v: &Visitor, i: &Installation, base: &str, here: &str) -> Markup {
    html! {
        h2 #quota-title { "Token limit" }
        p #quota {
            @match i.quota_per_hour {
                Some(q) => { "At most " strong { (thousands(q)) } " tokens an hour; requests beyond it are refused until the next hour." }
                None => { "No limit: the app gets as many tokens an hour as it asks for." }
            }
        }
        form method="post" action={ (here) "/quota" } aria-labelledby="quota-title" {
            (v.csrf_field())
            label for="tokens_per_hour" { "Most tokens an hour" }
            input #tokens_per_hour type="text" inputmode="numeric" name="tokens_per_hour" autocomplete="off"
                value=[i.quota_per_hour.map(thousands)] style="max-width:12rem" aria-describedby="quota-hint";
            small.muted #quota-hint { "A whole number, like 1,000." }
            br;
            button type="submit" name="action" value="set" { "Set limit" }
            @if i.quota_per_hour.is_some() {
                button type="submit" name="action" value="clear" { "Remove limit" }
            }
        }
        h2 { "Identity" }
        ul.plain {
            li { "Service account: " strong { (i.service_account_name) } }
            @if let Some(c) = &i.client_id { li { "Client ID: " code { (c) } } }
            li { "Installation ID: " code { (i.id) } }
        }
        h2 { "Manage" }
        @if i.suspended_by.is_none() {
            form.inline method="post" action={ (here) "/suspend" } {
                (v.csrf_field())
                button type="submit" { "Suspend" }
            }
        } @else if i.suspended_by == Some(Suspender::Tenant) {
            form.inline method="post" action={ (here) "/resume" } {
                (v.csrf_field())
                button.primary type="submit" { "Resume" }
            }
        } @else {
            p.muted { "The platform operator suspended it; only they can resume it." }
        }
        a.button href={ (base) "/activity?installation=" (i.id) } { "Activity" }
        a.button href={ (here) "/uninstall" } { "Uninstall\u{2026}" }
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The waiting upgrade as what changes: permissions it adds (required and
/// optional), ones it drops, and the resources they apply to.
fn upgrade(v: &Visitor, i: &Installation, now: &Manifest, next: &Manifest, version: i64) -> Markup {
    let added: Vec<&Permission> = next
        .permissions
        .iter()
        .filter(|p| p.required && !i.permissions.contains(&p.name))
        .collect();
    let offered: Vec<&Permission> = next
        .permissions
        .iter()
        .filter(|p| !p.required && !i.permissions.contains(&p.name))
        .collect();
    let dropped: Vec<&Permission> = now
        .permissions
        .iter()
        .filter(|p| i.permissions.contains(&p.name) && next.permission(&p.name).is_none())
        .collect();
    let here = format!("{}/installations/{}", v.base(), i.id);
    html! {
        section.card #upgrade aria-labelledby="upgrade-title" {
            h2 #upgrade-title { "Version " (version) " asks for more" }
            p { "It keeps working with what you approved until you decide." }
            @if !added.is_empty() {
                h3 { "It adds" }
                ul #upgrade-added {
                    @for p in &added { li { (p.description) " " small.muted { "(" (p.name) ", " (applies_to(next, p)) ")" } } }
                }
            }
            @if !dropped.is_empty() {
                h3 { "It no longer needs" }
                ul { @for p in &dropped { li { (p.description) " " small.muted { "(" (p.name) ")" } } } }
            }
            form method="post" action={ (here) "/upgrade" } {
                (v.csrf_field())
                @if !offered.is_empty() {
                    fieldset {
                        legend { "Also allow (optional)" }
                        @for p in &offered {
                            label.inline {
                                input type="checkbox" name="optional" value=(p.name);
                                span { (p.description) " " small.muted { "(" (p.name) ", " (applies_to(next, p)) ")" } }
                            }
                        }
                    }
                }
                button.primary type="submit" name="decision" value="approve" { "Approve version " (version) }
                button type="submit" name="decision" value="decline" { "Decline" }
            }
        }
    }
}

/// GET `{issuer}/console/installations/{id}/resources`.
pub(super) async fn resources_form(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(
        admin(
            &s,
            &tenant,
            &headers,
            &format!("console/installations/{id}/resources"),
        )
        .await
    );
    let (i, m) = or_page!(load(&s, &v, &id).await);
    resources_page(&s, &v, &i, &m, Picked::of(&i.resources), None).await
}

async fn resources_page(
    s: &crate::http::AppState,
    v: &Visitor,
    i: &Installation,
    m: &Manifest,
    picked: Picked,
    error: Option<String>,
) -> Response {
    let resources = match s
        .store
        .resources(&v.tenant, &crate::store::Page::all())
        .await
    {
        Ok(r) => r,
        Err(e) => return v.failed(e, &v.base()),
    };
    let here = format!("{}/installations/{}", v.base(), i.id);
    let title = format!("{}: {}", m.name, selection::names(&m.resource_types));
    let body = html! {
        (v.crumbs(&[("Installed apps", format!("{}/installations", v.base())), (m.name.as_str(), here.clone())], &selection::names(&m.resource_types)))
        h1 { (title) }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        form method="post" action={ (here) "/resources" } {
            (v.csrf_field())
            (selection::fieldset(&picked, &m.resource_types, &resources))
            button.primary type="submit" name="action" value="save" { "Save" }
            a.button href=(here) { "Cancel" }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    v.render(status, Some(Section::Installations), &title, body)
}

/// POST `{issuer}/console/installations/{id}/resources`.
pub(super) async fn set_resources(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, form) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let (i, m) = or_page!(load(&s, &v, &id).await);
    let resources = match s.store.resources(&tenant, &crate::store::Page::all()).await {
        Ok(r) => r,
        Err(e) => return v.failed(e, &v.base()),
    };
    let picked = Picked::from_form(&form, &resources);
    if form.get("action") != Some("save") {
        return resources_page(&s, &v, &i, &m, picked, None).await;
    }
    let json = picked.to_json(&m.resource_types, &resources);
    let now = s.oauth.clock.now();
    match s
        .admin
        .set_installation_resources(&tenant, &id, &json, v.actor(), now)
        .await
    {
        Ok(_) => {
            crate::http::directory_changed(&s).await;
            done(&format!("{}/installations/{id}", v.base()), "resources")
        }
        Err(e) => {
            let (_, message) = super::explain(e);
            resources_page(&s, &v, &i, &m, picked, Some(message)).await
        }
    }
}

/// One change to an installation from its page, then back there.
async fn act(
    s: &crate::http::AppState,
    v: &Visitor,
    id: &str,
    notice: &str,
    result: Result<Installation, AppError>,
) -> Response {
    let here = format!("{}/installations/{id}", v.base());
    match result {
        Ok(_) => {
            crate::http::directory_changed(s).await;
            done(&here, notice)
        }
        Err(e) => v.failed(e, &here),
    }
}

/// POST `{issuer}/console/installations/{id}/quota`: `action=set` with
/// `tokens_per_hour`, or `action=clear`.
pub(super) async fn set_quota(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, form) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let quota = match form.get("action") {
        Some("clear") => None,
        _ => match form.get("tokens_per_hour").map(str::trim) {
            Some(n) => match n.replace([',', '_', ' '], "").parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    return v.failed(
                        AppError::Field {
                            field: "tokens_per_hour".into(),
                            message: "Enter the most tokens an hour as a whole number, like 1000."
                                .into(),
                        },
                        &format!("{}/installations/{id}#quota-title", v.base()),
                    );
                }
            },
            None => None,
        },
    };
    let now = s.oauth.clock.now();
    let r = s
        .admin
        .set_installation_quota(&tenant, &id, quota, v.actor(), now)
        .await
        .map_err(|e| match e {
            AppError::Field { field, .. } if field == "tokens_per_hour" => AppError::Field {
                field,
                message: format!(
                    "The limit must be between 1 and {} tokens an hour.",
                    thousands(crate::apps::MAX_QUOTA)
                ),
            },
            e => e,
        });
    act(
        &s,
        &v,
        &id,
        if quota.is_some() {
            "quota_set"
        } else {
            "quota_cleared"
        },
        r,
    )
    .await
}

/// POST `{issuer}/console/installations/{id}/suspend`.
pub(super) async fn suspend(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, _) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let now = s.oauth.clock.now();
    let r = s
        .admin
        .suspend(&tenant, &id, Suspender::Tenant, v.actor(), now)
        .await;
    act(&s, &v, &id, "suspended", r).await
}

/// POST `{issuer}/console/installations/{id}/resume`.
pub(super) async fn resume(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, _) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let now = s.oauth.clock.now();
    let r = s
        .admin
        .resume(&tenant, &id, Suspender::Tenant, v.actor(), now)
        .await;
    act(&s, &v, &id, "resumed", r).await
}

/// POST `{issuer}/console/installations/{id}/upgrade`: approve or decline.
pub(super) async fn decide_upgrade(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, form) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let now = s.oauth.clock.now();
    match form.get("decision") {
        Some("approve") => {
            let optional = form.all("optional");
            let r = s
                .admin
                .approve_upgrade(&tenant, &id, &optional, v.actor(), now)
                .await;
            act(&s, &v, &id, "upgrade_approved", r).await
        }
        Some("decline") => {
            let r = s.admin.decline_upgrade(&tenant, &id, v.actor(), now).await;
            act(&s, &v, &id, "upgrade_declined", r).await
        }
        _ => v.failed(
            crate::admin::AdminError::Invalid("Choose Approve or Decline.".into()),
            &format!("{}/installations/{id}", v.base()),
        ),
    }
}

/// GET `{issuer}/console/installations/{id}/uninstall`: are you sure?
pub(super) async fn uninstall_confirm(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(
        admin(
            &s,
            &tenant,
            &headers,
            &format!("console/installations/{id}/uninstall"),
        )
        .await
    );
    let (i, m) = or_page!(load(&s, &v, &id).await);
    let here = format!("{}/installations/{}", v.base(), i.id);
    let title = format!("Uninstall {}?", m.name);
    let body = html! {
        (v.crumbs(&[("Installed apps", format!("{}/installations", v.base())), (m.name.as_str(), here.clone())], "Uninstall"))
        h1 { (title) }
        p.warning {
            (m.name) " loses access at once: its credentials and every token it holds stop working, "
            "and its service account " strong { (i.service_account_name) } " is removed. "
            "Installing it again later starts afresh."
        }
        form method="post" action={ (here) "/uninstall" } {
            (v.csrf_field())
            label.inline {
                input type="checkbox" name="confirm" value="yes" required;
                span { "I understand that " (m.name) " stops working for everyone here" }
            }
            button.danger type="submit" { "Uninstall " (m.name) }
            a.button href=(here) { "Cancel" }
        }
    };
    v.render(StatusCode::OK, Some(Section::Installations), &title, body)
}

/// POST `{issuer}/console/installations/{id}/uninstall`.
pub(super) async fn uninstall(
    axum::extract::State(s): crate::http::State,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, form) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    if form.get("confirm") != Some("yes") {
        return v.failed(
            crate::admin::AdminError::Invalid("Tick the box to confirm the uninstall.".into()),
            &format!("{}/installations/{id}/uninstall", v.base()),
        );
    }
    let now = s.oauth.clock.now();
    match s.admin.uninstall(&tenant, &id, v.actor(), now).await {
        Ok(_) => {
            crate::http::directory_changed(&s).await;
            done(&format!("{}/installations", v.base()), "uninstalled")
        }
        Err(e) => v.failed(e, &format!("{}/installations/{id}", v.base())),
    }
}
