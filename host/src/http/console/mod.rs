//! The tenant admin console, `{issuer}/console`: server-rendered pages
//! (no JavaScript needed) where a tenant's admins install apps, approve
//! upgrades and requests, watch usage, manage people and set the tenant's
//! look. Signed in through the tenant's own login; every action checks the
//! tenant and the admin role here, on the server, and every form carries
//! the CSRF token of the account pages.
//!
//! Each handler: `Visitor` (who, checked) → one call to `apps`/`admin` →
//! render, or redirect with a `done` notice from a fixed list.

/// The value of a `Result<T, Response>`, or the response that ends the
/// handler (a login page, a 403, a failure page).
macro_rules! or_page {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(response) => return response,
        }
    };
}

mod activity;
mod catalog;
mod chart;
mod installations;
mod legacy;
mod names;
mod people;
mod registered;
mod requests;
mod selection;
mod settings;
mod trail;

use super::brand::Brand;
use super::pages::{Page, csrf, csrf_valid, read_pairs, redirect, session_of};
use crate::admin::AdminError;
use crate::apps::AppError;
use crate::domain::user::User;
use crate::store::StoreError;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use std::sync::Arc;

pub(super) fn routes() -> Router<Arc<super::AppState>> {
    Router::new()
        .route("/", get(overview))
        .route("/catalog", get(catalog::list))
        .route("/catalog/{app}", get(catalog::detail))
        .route(
            "/catalog/{app}/install",
            get(catalog::install_form).post(catalog::install),
        )
        .route("/installations", get(installations::list))
        .route("/installations/{id}", get(installations::detail))
        .route(
            "/installations/{id}/installed",
            get(installations::installed),
        )
        .route(
            "/installations/{id}/resources",
            get(installations::resources_form).post(installations::set_resources),
        )
        .route("/installations/{id}/quota", post(installations::set_quota))
        .route("/installations/{id}/suspend", post(installations::suspend))
        .route("/installations/{id}/resume", post(installations::resume))
        .route(
            "/installations/{id}/uninstall",
            get(installations::uninstall_confirm).post(installations::uninstall),
        )
        .route(
            "/installations/{id}/upgrade",
            post(installations::decide_upgrade),
        )
        .route("/requests", get(requests::list))
        .route("/requests/{id}", post(requests::decide))
        .route("/people", get(people::list).post(people::create))
        .route("/people/{username}/admin", post(people::set_admin))
        .route(
            "/people/{username}/edit",
            get(people::edit_form).post(people::edit),
        )
        .route(
            "/people/{username}/password-link",
            post(people::password_link),
        )
        .route(
            "/people/{username}/delete",
            get(people::delete_confirm).post(people::delete),
        )
        .route("/legacy", get(legacy::page))
        .route("/clients", get(registered::list))
        .route("/clients/{client_id}/delete", post(registered::delete))
        .route("/activity", get(activity::page))
        .route("/deliveries/{id}/retry", post(activity::retry))
        .route("/settings", get(settings::page).post(settings::save))
}

/// The console's sections, in the navigation's order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Overview,
    Catalog,
    Installations,
    Requests,
    People,
    Legacy,
    Registered,
    Activity,
    Settings,
}

impl Section {
    const ALL: [Section; 9] = [
        Section::Overview,
        Section::Catalog,
        Section::Installations,
        Section::Requests,
        Section::People,
        Section::Legacy,
        Section::Registered,
        Section::Activity,
        Section::Settings,
    ];

    fn label(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Catalog => "Apps",
            Section::Installations => "Installed apps",
            Section::Requests => "Requests",
            Section::People => "People",
            Section::Legacy => "Legacy credentials",
            Section::Registered => "Registered clients",
            Section::Activity => "Activity",
            Section::Settings => "Settings",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Section::Overview => "",
            Section::Catalog => "/catalog",
            Section::Installations => "/installations",
            Section::Requests => "/requests",
            Section::People => "/people",
            Section::Legacy => "/legacy",
            Section::Registered => "/clients",
            Section::Activity => "/activity",
            Section::Settings => "/settings",
        }
    }
}

/// The signed-in person on a console page, checked against the tenant.
pub(super) struct Visitor {
    pub tenant: String,
    pub user: User,
    /// May see the catalog: an admin, or anyone when the tenant lets
    /// people request or install apps.
    pub may_browse: bool,
    /// People may ask for apps (the tenant's install setting), so the
    /// Requests section is in the navigation.
    pub requests_open: bool,
    /// Clients may register themselves (RFC 7591), so the Registered
    /// clients section is in the navigation.
    pub registration_open: bool,
    pub brand: Brand,
    pub csrf: String,
    /// The tenant's time zone setting: the console's times are in it.
    pub zone: jiff::tz::TimeZone,
    cookies: Vec<String>,
}

impl Visitor {
    /// The console's root path for this tenant.
    pub fn base(&self) -> String {
        format!("/t/{}/console", self.tenant)
    }

    /// Who the audit trail names for this person's actions.
    pub fn actor(&self) -> &str {
        &self.user.username
    }

    /// Only admins go further; anyone else gets the 403 page.
    pub fn require_admin(&self) -> Result<(), Response> {
        if self.user.is_admin {
            Ok(())
        } else {
            Err(self.forbidden())
        }
    }

    pub fn forbidden(&self) -> Response {
        self.render(
            StatusCode::FORBIDDEN,
            None,
            "Administrators only",
            html! {
                h1 { "Administrators only" }
                p.error role="alert" {
                    "Only administrators of " (self.brand.name) " can use this page. "
                    "Ask an administrator if you need something changed."
                }
                p { a href={ "/t/" (self.tenant) "/account" } { "Back to your account" } }
            },
        )
    }

    /// A console page in the tenant's look, with the navigation an admin
    /// (or, for the catalog, a user) may use.
    pub fn render(
        &self,
        status: StatusCode,
        section: Option<Section>,
        title: &str,
        body: Markup,
    ) -> Response {
        self.render_with_images(status, section, title, body, vec![])
    }

    pub fn render_with_images(
        &self,
        status: StatusCode,
        section: Option<Section>,
        title: &str,
        body: Markup,
        mut images: Vec<String>,
    ) -> Response {
        let base = self.base();
        let sections: Vec<Section> = if self.user.is_admin {
            // Requests only matter where people may ask for apps.
            Section::ALL
                .into_iter()
                .filter(|s| *s != Section::Requests || self.requests_open || section == Some(*s))
                .filter(|s| {
                    *s != Section::Registered || self.registration_open || section == Some(*s)
                })
                .collect()
        } else if self.may_browse {
            vec![Section::Catalog]
        } else {
            vec![]
        };
        let nav = html! {
            nav.console aria-label="Console" {
                ul {
                    @for s in &sections {
                        li {
                            a href={ (base) (s.path()) } aria-current=[(section == Some(*s)).then_some("page")] { (s.label()) }
                        }
                    }
                }
            }
        };
        let who = html! {
            (self.user.display_name.as_deref().unwrap_or(&self.user.username))
            " \u{00b7} "
            a href={ "/t/" (self.tenant) "/account" } { "Account" }
            " \u{00b7} "
            a href={ "/t/" (self.tenant) "/logout" } { "Sign out" }
        };
        let markup = super::brand::page(&self.brand, title, true, Some(nav), Some(who), body);
        images.extend(self.brand.image_origins());
        Page {
            status,
            body: markup,
            cookies: self.cookies.clone(),
            images,
        }
        .into_response()
    }

    /// A refused or failed action, or a page of something that is not
    /// there, said in the console.
    pub fn failed(&self, e: impl Into<AppError>, back: &str) -> Response {
        let (status, message) = explain(e.into());
        let title = if status == StatusCode::NOT_FOUND {
            "Not found"
        } else {
            "Cannot do that"
        };
        self.render(
            status,
            None,
            title,
            html! {
                h1 { (title) }
                p.error role="alert" { (message) }
                p { a href=(back) { "Go back" } }
            },
        )
    }

    /// A date in the tenant's time zone: `2026-12-02`.
    pub fn day(&self, t: i64) -> String {
        self.at(t, "%Y-%m-%d")
    }

    /// A moment in the tenant's time zone: `2026-12-02 16:05 EET`.
    pub fn moment(&self, t: i64) -> String {
        self.at(t, "%Y-%m-%d %H:%M %Z")
    }

    fn at(&self, t: i64, format: &str) -> String {
        match jiff::Timestamp::from_second(t) {
            Ok(ts) => ts
                .to_zoned_datetime(self.zone.clone())
                .strftime(format)
                .to_string(),
            Err(_) => t.to_string(),
        }
    }

    /// The way back from a page below a section: "Installed apps › Docs
    /// Sync › Uninstall", each but the last a link.
    pub fn crumbs(&self, trail: &[(&str, String)], here: &str) -> Markup {
        html! {
            nav.crumbs aria-label="Breadcrumb" {
                ol {
                    @for (label, href) in trail { li { a href=(href) { (label) } } }
                    li aria-current="page" { (here) }
                }
            }
        }
    }

    /// The hidden CSRF field every console form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }
}

/// What a person reads when an action fails, and its status. Our own
/// validation messages are shown as they are; store and plugin internals
/// never are.
fn explain(e: AppError) -> (StatusCode, String) {
    match e {
        AppError::Manifest(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.message),
        AppError::Field { message, .. } => (StatusCode::UNPROCESSABLE_ENTITY, message),
        AppError::Refused(reason) => (
            StatusCode::FORBIDDEN,
            format!("Your organisation's install policy refused: {reason}"),
        ),
        AppError::Admin(AdminError::Invalid(m) | AdminError::Unprocessable(m)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, capitalise(&m))
        }
        AppError::Admin(AdminError::Conflict(m)) => (StatusCode::CONFLICT, capitalise(&m)),
        AppError::Admin(e @ AdminError::Plugin { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, capitalise(&e.to_string()))
        }
        AppError::Admin(AdminError::Store(e)) => match e {
            StoreError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                format!("There is no such {what} here."),
            ),
            StoreError::Conflict("installation") => (
                StatusCode::CONFLICT,
                "This app is installed here already.".into(),
            ),
            StoreError::Conflict("user") => (
                StatusCode::CONFLICT,
                "Someone has this username already.".into(),
            ),
            e @ (StoreError::Conflict(_) | StoreError::Concurrent(_) | StoreError::Managed(_)) => {
                (StatusCode::CONFLICT, capitalise(&e.to_string()))
            }
            e => {
                tracing::error!(error = %e, "console action failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "This cannot be done right now. Try again in a moment.".into(),
                )
            }
        },
    }
}

/// A message as a sentence: capital first, full stop last.
pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => {
            let mut out: String = f.to_uppercase().chain(c).collect();
            if !out.ends_with(['.', '!', '?']) {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

/// The visitor of a console page: signed in to this tenant, or sent to
/// its login page (which comes back to `path`).
pub(super) async fn visitor(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    path: &str,
) -> Result<Visitor, Response> {
    match signed_in(s, tenant, headers).await? {
        Some(v) => Ok(v),
        None => Err(super::pages::login_returning(s, tenant, headers, path).await),
    }
}

/// The person this tenant's session cookie belongs to, if any.
async fn signed_in(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
) -> Result<Option<Visitor>, Response> {
    let Some(session) = session_of(s, tenant, headers).await else {
        return Ok(None);
    };
    let user = match s.store.user(&session.user_id).await {
        Ok(Some(u)) if u.tenant == tenant => u,
        Ok(_) => return Ok(None),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the console's user");
            return Err(super::pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The console cannot be shown right now. Try again later.",
            ));
        }
    };
    let settings = s.store.tenant_settings(tenant).await.ok();
    let requests_open = matches!(&settings,
                    Some(t) if t.user_installs != crate::domain::settings::UserInstalls::Admins);
    let may_browse = user.is_admin || requests_open;
    let registration_open = matches!(
        s.oauth.directory.tenant(tenant, s.oauth.clock.now()).await,
        Ok(Some(t)) if t.tenant.dynamic_registration
    );
    let zone = crate::domain::settings::zone(settings.and_then(|t| t.time_zone).as_deref());
    let mut cookies = vec![];
    let token = csrf(s, tenant, headers, &mut cookies);
    Ok(Some(Visitor {
        tenant: tenant.into(),
        user,
        may_browse,
        requests_open,
        registration_open,
        brand: super::brand::load(s, tenant).await,
        csrf: token,
        zone,
        cookies,
    }))
}

/// A console page only admins may see.
pub(super) async fn admin(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    path: &str,
) -> Result<Visitor, Response> {
    let v = visitor(s, tenant, headers, path).await?;
    v.require_admin()?;
    Ok(v)
}

/// A submitted console form's fields (repeats kept, for checkboxes).
pub(super) struct Form(Vec<(String, String)>);

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A console form: read, CSRF-checked before anything else, and its
/// signed-in visitor (a form from a lapsed session goes to the login page).
pub(super) async fn submitted(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Visitor, Form), Response> {
    let pairs = read_pairs(headers, body).await?;
    let presented = pairs
        .iter()
        .find(|(n, _)| n == "csrf")
        .map(|(_, v)| v.as_str());
    if !csrf_valid(s, tenant, headers, presented) {
        return Err(super::pages::error_page(
            StatusCode::FORBIDDEN,
            "This form expired or did not come from this site. Reload the page and try again.",
        ));
    }
    // A form from a lapsed session starts over at the console.
    match signed_in(s, tenant, headers).await? {
        Some(v) => Ok((v, Form(pairs))),
        None => Err(redirect(&format!("/t/{tenant}/console"), vec![])),
    }
}

/// An admin's console form.
pub(super) async fn submitted_by_admin(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Visitor, Form), Response> {
    let (v, form) = submitted(s, tenant, headers, body).await?;
    v.require_admin()?;
    Ok((v, form))
}

/// After an action: back to `path` with a notice from `notice()`.
pub(super) fn done(path: &str, what: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    redirect(&format!("{path}{sep}done={what}"), vec![])
}

/// The notice for `?done=…`: a fixed list, so no text of the URL is shown.
pub(super) fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "suspended" => "The installation is suspended: the app gets no tokens until you resume it.",
        "resumed" => "The installation is active again.",
        "uninstalled" => "The app was uninstalled. Its credentials and tokens stopped working.",
        "resources" => "The app's access was updated; its next token carries the new selection.",
        "upgrade_approved" => "The upgrade is approved; the app has the new permissions now.",
        "upgrade_declined" => "The upgrade is declined; the app keeps what you approved before.",
        "requested" => "Your request was sent to your organisation's administrators.",
        "request_declined" => "The request was declined.",
        "user_created" => "The person was added.",
        "admin_granted" => "They are an administrator now.",
        "admin_removed" => "They are no longer an administrator.",
        "user_updated" => "Their details were saved.",
        "user_deleted" => "The person was deleted; their sessions and tokens stopped working.",
        "retried" => "The delivery is queued again.",
        "quota_set" => "The token limit is set; it applies from the next request.",
        "quota_cleared" => "The token limit is removed.",
        "settings" => "Settings saved.",
        "client_removed" => "The client was removed; its tokens stopped working.",
        _ => return None,
    })
}

/// `?name=value` of a console page's query.
pub(super) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    let pairs = super::form::parse_urlencoded(query.unwrap_or_default().as_bytes()).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub(super) fn notice_banner(query: Option<&str>) -> Markup {
    let n = notice(query_param(query, "done").as_deref());
    html! {
        @if let Some(n) = n { p.notice role="status" { (n) } }
    }
}

/// GET `{issuer}/console`: what needs the admin's attention.
/// `…/console/` is the overview.
pub(super) async fn to_overview(
    axum::extract::Path(tenant): axum::extract::Path<String>,
) -> Response {
    redirect(&format!("/t/{tenant}/console"), vec![])
}

/// Any other address under the console is a console page saying so, with the navigation (or, for
/// someone not signed in, the way to sign in) — never a bare error body.
pub(super) async fn not_found(
    axum::extract::State(s): super::State,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let Some(tenant) = uri
        .path()
        .strip_prefix("/t/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(tenant, _)| tenant.to_string())
    else {
        return super::health::not_found().await;
    };
    if s.oauth.tenant(&tenant).await.is_err() {
        return super::pages::error_page(
            StatusCode::NOT_FOUND,
            "This organisation does not exist.",
        );
    }
    let body = |home: &str, link: &str| {
        html! {
            h1 { "Page not found" }
            p { "There is no such page in the console. It may have moved, or the address may be mistyped." }
            p { a href=(home) { (link) } }
        }
    };
    match signed_in(&s, &tenant, &headers).await {
        Ok(Some(v)) => {
            let home = v.base();
            v.render(
                StatusCode::NOT_FOUND,
                None,
                "Page not found",
                body(&home, "Back to the console"),
            )
        }
        Ok(None) => {
            let brand = super::brand::load(&s, &tenant).await;
            Page {
                status: StatusCode::NOT_FOUND,
                body: super::pages::branded(
                    &brand,
                    "Page not found",
                    body(&format!("/t/{tenant}/console"), "Sign in to the console"),
                ),
                ..Default::default()
            }
            .into_response()
        }
        Err(r) => r,
    }
}

/// What the overview counts, as of now.
struct Counts {
    now: i64,
    installed: usize,
    suspended: usize,
    /// Installation id, app name and the version it asks for.
    pending_upgrades: Vec<(String, String, i64)>,
    open_requests: usize,
    dead: usize,
    legacy: usize,
    /// Legacy credentials used in the last 30 days (as on the legacy page).
    legacy_used: usize,
    sunset_at: Option<i64>,
}

impl Counts {
    async fn load(s: &super::AppState, tenant: &str) -> Result<Counts, StoreError> {
        let installations = s
            .store
            .installations(tenant, &crate::store::Page::all())
            .await?;
        let requests = s.store.install_requests(tenant).await?;
        let deliveries = s
            .store
            .deliveries(tenant, &crate::store::Page::first(200))
            .await?;
        let legacy: Vec<_> = (s.store.legacy_clients().await?)
            .into_iter()
            .filter(|l| l.tenant == tenant)
            .collect();
        let policy = s.store.legacy_policy().await?;
        let names = names::Names::load(s.store.as_ref(), tenant).await?;
        let now = s.oauth.clock.now();
        let recent = s
            .oauth
            .usage
            .legacy_report(now.div_euclid(86_400) - 29)
            .await?;
        Ok(Counts {
            now,
            installed: installations.len(),
            suspended: installations
                .iter()
                .filter(|i| i.suspended_by.is_some())
                .count(),
            pending_upgrades: installations
                .iter()
                .filter_map(|i| {
                    Some((
                        i.id.clone(),
                        names.app(&i.app).to_string(),
                        i.pending_version?,
                    ))
                })
                .collect(),
            open_requests: requests.iter().filter(|r| r.status == "pending").count(),
            dead: deliveries.iter().filter(|d| d.status == "dead").count(),
            legacy: legacy.len(),
            legacy_used: legacy
                .iter()
                .filter(|l| recent.get(&l.client_id).is_some_and(|(uses, _)| *uses > 0))
                .count(),
            sunset_at: policy.map(|p| p.sunset_at),
        })
    }
}

async fn overview(
    axum::extract::State(s): super::State,
    axum::extract::Path(tenant): axum::extract::Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(visitor(&s, &tenant, &headers, "console").await);
    if !v.user.is_admin {
        // People who may only browse or request apps land on the catalog.
        return if v.may_browse {
            redirect(&format!("{}/catalog", v.base()), vec![])
        } else {
            v.forbidden()
        };
    }
    let c = match Counts::load(&s, &tenant).await {
        Ok(c) => c,
        Err(e) => return v.failed(e, &v.base()),
    };
    let base = v.base();
    let body = html! {
        h1 { "Overview" }
        (notice_banner(query.as_deref()))
        div.grid {
            div.card {
                h2 { "Installed apps" }
                p { (c.installed) " installed, " (c.suspended) " suspended." }
                a href={ (base) "/installations" } { "See installed apps" }
            }
            div.card {
                h2 { "Waiting for you" }
                ul.plain {
                    li { (c.pending_upgrades.len()) " upgrade" @if c.pending_upgrades.len() != 1 { "s" } " to approve" }
                    li { (c.open_requests) " install request" @if c.open_requests != 1 { "s" } }
                    li { (c.dead) " failed deliver" @if c.dead == 1 { "y" } @else { "ies" } " to apps" }
                }
                @if c.open_requests > 0 { a href={ (base) "/requests" } { "Review requests" } " " }
                @if c.dead > 0 { a href={ (base) "/activity" } { "See deliveries" } }
            }
            @if c.legacy > 0 {
                div.card {
                    h2 { "Legacy credentials" }
                    p #legacy-summary {
                        (c.legacy) " legacy credential" @if c.legacy != 1 { "s" } ", "
                        (c.legacy_used) " used in the last 30 days"
                        @if let Some(sunset_at) = c.sunset_at {
                            @let days = (sunset_at - c.now).div_euclid(86_400);
                            @if days >= 0 { ", " (days) " days until they stop working on " (v.day(sunset_at)) }
                            @else { ", retired on " (v.day(sunset_at)) }
                        }
                        "."
                    }
                    a href={ (base) "/legacy" } { "Plan the move" }
                }
            }
        }
        @if !c.pending_upgrades.is_empty() {
            h2 { "Upgrades waiting for approval" }
            ul #upgrades {
                @for (id, app, version) in &c.pending_upgrades {
                    li { a href={ (base) "/installations/" (id) } { (app) } " asks to move to version " (version) }
                }
            }
        }
    };
    v.render(StatusCode::OK, Some(Section::Overview), "Overview", body)
}
