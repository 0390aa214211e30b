//! The catalog: the apps a tenant may install, each with what it will be
//! able to do in plain language, and the install (or request) screen — the
//! admin's consent: optional permissions, which resources, confirm.

use super::selection::{self, Picked};
use super::{Section, Visitor, notice_banner, submitted, visitor};
use crate::apps::{InstallRequest, InstallRight};
use crate::domain::manifest::{Level, Manifest, Permission};
use crate::domain::markdown::render_safe;
use crate::domain::settings::image_origin;
use crate::store::{AppVersion, Resource};
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};

/// Who may see the catalog: admins, and users when the tenant lets them
/// request or install apps.
async fn catalog_visitor(
    s: &crate::http::AppState,
    tenant: &str,
    headers: &HeaderMap,
    path: &str,
) -> Result<Visitor, Response> {
    let v = visitor(s, tenant, headers, path).await?;
    if v.may_browse {
        Ok(v)
    } else {
        Err(v.forbidden())
    }
}

/// The apps this tenant is offered: listed ones, and unlisted ones it has installed.
async fn offered(
    s: &crate::http::AppState,
    tenant: &str,
) -> Result<
    Vec<(
        AppVersion,
        Option<crate::domain::installation::Installation>,
    )>,
    crate::store::StoreError,
> {
    let installed = s
        .store
        .installations(tenant, &crate::store::Page::all())
        .await?;
    Ok(s.store
        .apps(&crate::store::Page::all())
        .await?
        .into_iter()
        .filter_map(|a| {
            let here = installed.iter().find(|i| i.app == a.app).cloned();
            (a.manifest.listed || here.is_some()).then_some((a, here))
        })
        .collect())
}

/// The app's logo, or a tile with its initial where it has none.
fn logo(m: &Manifest, size: u32) -> Markup {
    let initial: String = m
        .name
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".into());
    // A steady colour per app, dark enough for white text (WCAG AA).
    const TILES: [&str; 6] = [
        "#1a5fb4", "#26734d", "#8a3b12", "#6b3fa0", "#a51d2d", "#365a6e",
    ];
    let tile = TILES[m.slug.bytes().map(usize::from).sum::<usize>() % TILES.len()];
    html! {
        @if let Some(url) = &m.logo_url {
            img.logo src=(url) alt={ (m.name) " logo" } width=(size) height=(size);
        } @else {
            span.logo.tile aria-hidden="true" style={ "background:" (tile) } { (initial) }
        }
    }
}

/// What an app asks for, in a line: "Can read the company directory and
/// upload documents, on the Projects you choose".
fn permission_summary(m: &Manifest) -> String {
    let mut asks: Vec<String> = m
        .permissions
        .iter()
        .filter(|p| p.required)
        .map(|p| super::names::lower_first(&p.description))
        .collect();
    if asks.is_empty() {
        return "Asks for no permissions".into();
    }
    if asks.len() > 3 {
        let more = asks.len() - 2;
        asks.truncate(2);
        asks.push(format!("{more} more things"));
    }
    let last = asks.pop().unwrap_or_default();
    let list = if asks.is_empty() {
        last
    } else {
        format!("{} and {last}", asks.join(", "))
    };
    let mut line = format!("Can {list}");
    if !m.resource_types.is_empty() {
        line.push_str(&format!(
            ", on the {} you choose",
            selection::names(&m.resource_types)
        ));
    }
    line
}

/// Which apps the catalog shows (`?show=`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    All,
    Installed,
    Available,
}

impl Show {
    fn parse(s: Option<&str>) -> Show {
        match s {
            Some("installed") => Show::Installed,
            Some("available") => Show::Available,
            _ => Show::All,
        }
    }
}

/// Whether the app matches every word of a catalog search, in its name,
/// publisher, description or permissions (case-insensitive).
fn matches(m: &Manifest, query: &str) -> bool {
    let haystack = std::iter::once(m.name.as_str())
        .chain([m.publisher.name.as_str(), m.description.as_str()])
        .chain(m.permissions.iter().map(|p| p.description.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    query
        .split_whitespace()
        .all(|w| haystack.contains(&w.to_lowercase()))
}

/// GET `{issuer}/console/catalog`.
pub(super) async fn list(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(catalog_visitor(&s, &tenant, &headers, "console/catalog").await);
    let apps = match offered(&s, &tenant).await {
        Ok(a) => a,
        Err(e) => return v.failed(e, &v.base()),
    };
    let base = v.base();
    let q = query.as_deref();
    let search = super::query_param(q, "q").unwrap_or_default();
    let search = search.trim();
    let show = Show::parse(super::query_param(q, "show").as_deref());
    let offered_count = apps.len();
    let apps: Vec<_> = apps
        .into_iter()
        .filter(|(a, here)| {
            let shown = match show {
                Show::All => true,
                Show::Installed => here.is_some(),
                Show::Available => here.is_none(),
            };
            shown && matches(&a.manifest, search)
        })
        .collect();
    let images = apps
        .iter()
        .filter_map(|(a, _)| a.manifest.logo_url.as_deref().and_then(image_origin))
        .collect();
    let body = html! {
        h1 { "Apps" }
        (notice_banner(q))
        @if !v.user.is_admin {
            p { "Apps your organisation can connect. You can ask an administrator to install one." }
        }
        @if offered_count == 0 { p { "No apps are offered yet." } }
        @else {
            form.filters method="get" action={ (base) "/catalog" } role="search" {
                div {
                    label for="catalog-q" { "Search apps" }
                    input #catalog-q type="search" name="q" value=(search) placeholder="Name, publisher or what it does";
                }
                div {
                    label for="catalog-show" { "Show" }
                    select #catalog-show name="show" {
                        option value="all" selected[show == Show::All] { "All apps" }
                        option value="available" selected[show == Show::Available] { "Not installed" }
                        option value="installed" selected[show == Show::Installed] { "Installed" }
                    }
                }
                div { button type="submit" { "Search" } }
            }
            p.muted #catalog-count role="status" {
                (apps.len()) " of " (offered_count) " app" @if offered_count != 1 { "s" }
                @if !search.is_empty() || show != Show::All { " \u{00b7} " a href={ (base) "/catalog" } { "Show all" } }
            }
            @if apps.is_empty() { p { "No app matches. Try other words." } }
        }
        div.grid #catalog {
            @for (a, here) in &apps {
                @let m = &a.manifest;
                div.card {
                    (logo(m, 48))
                    h2 { a href={ (base) "/catalog/" (m.slug) } { (m.name) } }
                    p.muted { "by " (m.publisher.name) }
                    @if !m.description.is_empty() { p { (summary(&m.description)) } }
                    p.perms { (permission_summary(m)) "." }
                    @if let Some(i) = here {
                        p { span class={ "badge " (status_class(i)) } { "Installed \u{00b7} " (status_text(i)) } }
                    }
                }
            }
        }
    };
    v.render_with_images(StatusCode::OK, Some(Section::Catalog), "Apps", body, images)
}

/// A description for a card: at most 200 characters, cut at a word.
fn summary(text: &str) -> String {
    if text.chars().count() <= 200 {
        return text.to_string();
    }
    let cut: String = text.chars().take(200).collect();
    match cut.rfind(' ') {
        Some(i) => format!("{}\u{2026}", &cut[..i]),
        None => format!("{cut}\u{2026}"),
    }
}

/// The CSS class of an installation's status badge.
pub(super) fn status_class(i: &crate::domain::installation::Installation) -> &'static str {
    match i.status() {
        crate::domain::installation::Status::Active => "active",
        crate::domain::installation::Status::Suspended => "suspended",
        crate::domain::installation::Status::UpgradePending => "upgrade_pending",
        crate::domain::installation::Status::Installing => "installing",
    }
}

/// What people read for an installation's status.
pub(super) fn status_text(i: &crate::domain::installation::Installation) -> &'static str {
    match i.status() {
        crate::domain::installation::Status::Active => "Active",
        crate::domain::installation::Status::Suspended => "Suspended",
        crate::domain::installation::Status::UpgradePending => "Upgrade waiting",
        crate::domain::installation::Status::Installing => "Installing",
    }
}

/// What a permission lets the app do, where: "the whole organisation" or
/// "the Projects you select".
pub(super) fn applies_to(m: &Manifest, p: &Permission) -> String {
    match (p.level, &p.resource_type) {
        (Level::Resource, Some(kind)) => {
            let name = m
                .resource_types
                .iter()
                .find(|t| &t.kind == kind)
                .map_or(kind.clone(), |t| t.name.clone());
            format!("on the {name} you select")
        }
        _ => "across the whole organisation".into(),
    }
}

/// The permissions, tenant-wide first, each in plain language.
pub(super) fn permission_list(m: &Manifest, which: &[&Permission]) -> Markup {
    let (wide, per): (Vec<&&Permission>, Vec<&&Permission>) =
        which.iter().partition(|p| p.level == Level::Tenant);
    html! {
        @if !wide.is_empty() {
            h3 { "Across the whole organisation" }
            ul.scopes {
                @for p in &wide {
                    li { (p.description) @if !p.required { " " span.badge { "optional" } } }
                }
            }
        }
        @for t in &m.resource_types {
            @let these: Vec<&&&Permission> = per.iter().filter(|p| p.resource_type.as_deref() == Some(t.kind.as_str())).collect();
            @if !these.is_empty() {
                h3 { "On the " (t.name) " you select" }
                ul.scopes {
                    @for p in &these {
                        li { (p.description) @if !p.required { " " span.badge { "optional" } } }
                    }
                }
            }
        }
    }
}

async fn app_here(
    s: &crate::http::AppState,
    tenant: &str,
    slug: &str,
) -> Result<
    Option<(
        AppVersion,
        Option<crate::domain::installation::Installation>,
    )>,
    crate::store::StoreError,
> {
    Ok(offered(s, tenant)
        .await?
        .into_iter()
        .find(|(a, _)| a.app == slug))
}

/// GET `{issuer}/console/catalog/{app}`.
pub(super) async fn detail(
    axum::extract::State(s): crate::http::State,
    Path((tenant, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("console/catalog/{slug}");
    let v = or_page!(catalog_visitor(&s, &tenant, &headers, &path).await);
    let (app, here) = match app_here(&s, &tenant, &slug).await {
        Ok(Some(x)) => x,
        Ok(None) => return not_offered(&v),
        Err(e) => return v.failed(e, &v.base()),
    };
    let m = &app.manifest;
    let base = v.base();
    let all: Vec<&Permission> = m.permissions.iter().collect();
    let body = html! {
        (v.crumbs(&[("Apps", format!("{base}/catalog"))], &m.name))
        (logo(m, 64))
        h1 { (m.name) }
        p.muted {
            "by "
            @if let Some(url) = &m.publisher.url { a href=(url) rel="noopener noreferrer" { (m.publisher.name) } }
            @else { (m.publisher.name) }
            @if let Some(email) = &m.publisher.email { " \u{00b7} " a href={ "mailto:" (email) } { (email) } }
            " \u{00b7} version " (app.version)
        }
        @if !m.description.is_empty() { p style="white-space:pre-line" { (m.description) } }
        ul.plain {
            @if let Some(u) = &m.homepage_url { li { a href=(u) rel="noopener noreferrer" { "Website" } } }
            @if let Some(u) = &m.privacy_url { li { a href=(u) rel="noopener noreferrer" { "Privacy policy" } } }
            @if let Some(u) = &m.terms_url { li { a href=(u) rel="noopener noreferrer" { "Terms of service" } } }
        }
        h2 { "What it will be able to do" }
        (permission_list(m, &all))
        @if m.credentials == crate::domain::manifest::CredentialMode::Pull {
            p.muted { "The app signs in with its own key: no secret is created for it." }
        } @else {
            p.muted { "Its credentials are sent straight to the app; nobody has to copy a secret." }
        }
        @match &here {
            Some(i) => {
                p { span.badge.active { "Installed" } " " a.button href={ (base) "/installations/" (i.id) } { "Manage" } }
            }
            None => {
                p { a.button.primary href={ (base) "/catalog/" (m.slug) "/install" } {
                    @if v.user.is_admin { "Install" } @else { "Install or request" }
                } }
            }
        }
        @if !m.setup_instructions.is_empty() {
            h2 { "Setting it up" }
            // Rendered safely: raw HTML shows as text, only http(s) and mailto links.
            div.card { (PreEscaped(render_safe(&m.setup_instructions))) }
        }
    };
    let images = m
        .logo_url
        .as_deref()
        .and_then(image_origin)
        .into_iter()
        .collect();
    v.render_with_images(
        StatusCode::OK,
        Some(Section::Catalog),
        &m.name,
        body,
        images,
    )
}

fn not_offered(v: &Visitor) -> Response {
    v.render(
        StatusCode::NOT_FOUND,
        Some(Section::Catalog),
        "No such app",
        html! {
            h1 { "No such app" }
            p.error role="alert" { "This app is not offered to your organisation." }
            p { a href={ (v.base()) "/catalog" } { "Back to the apps" } }
        },
    )
}

/// What the install screen shows and keeps between its own posts.
struct Choice {
    optional: Vec<String>,
    picked: Picked,
    note: String,
}

/// GET `{issuer}/console/catalog/{app}/install`: the consent screen.
pub(super) async fn install_form(
    axum::extract::State(s): crate::http::State,
    Path((tenant, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("console/catalog/{slug}/install");
    let v = or_page!(catalog_visitor(&s, &tenant, &headers, &path).await);
    let choice = Choice {
        optional: vec![],
        picked: Picked::default(),
        note: String::new(),
    };
    consent(&s, &v, &slug, choice, None).await
}

async fn consent(
    s: &crate::http::AppState,
    v: &Visitor,
    slug: &str,
    choice: Choice,
    error: Option<String>,
) -> Response {
    let (app, here) = match app_here(s, &v.tenant, slug).await {
        Ok(Some(x)) => x,
        Ok(None) => return not_offered(v),
        Err(e) => return v.failed(e, &v.base()),
    };
    let base = v.base();
    if let Some(i) = here {
        if v.user.is_admin {
            return super::redirect(&format!("{base}/installations/{}", i.id), vec![]);
        }
        return v.render(
            StatusCode::OK,
            Some(Section::Catalog),
            &app.manifest.name,
            html! {
                h1 { (app.manifest.name) }
                p.notice role="status" { "Your organisation has installed this app already." }
                p { a href={ (base) "/catalog" } { "Back to the apps" } }
            },
        );
    }
    let resources = match s
        .store
        .resources(&v.tenant, &crate::store::Page::all())
        .await
    {
        Ok(r) => r,
        Err(e) => return v.failed(e, &base),
    };
    let m = &app.manifest;
    let right = match s.admin.install_right(&v.user, m, &choice.optional).await {
        Ok(r) => r,
        Err(e) => return v.failed(e, &format!("{base}/catalog/{slug}")),
    };
    if right == InstallRight::None {
        return v.forbidden();
    }
    let installing = right == InstallRight::Install;
    let title = if installing {
        format!("Install {}", m.name)
    } else {
        format!("Ask for {}", m.name)
    };
    let body = html! {
        (v.crumbs(&[("Apps", format!("{base}/catalog")), (m.name.as_str(), format!("{base}/catalog/{}", m.slug))], "Install"))
        (logo(m, 48))
        h1 { (title) }
        p.muted { "by " (m.publisher.name) " \u{00b7} version " (app.version) }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        @if !installing {
            p.warning { "An administrator of " (v.brand.name) " decides on this. Nothing is sent to the app until they approve." }
        }
        (consent_form(v, m, &choice, &resources, installing))
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let images = m
        .logo_url
        .as_deref()
        .and_then(image_origin)
        .into_iter()
        .collect();
    v.render_with_images(status, Some(Section::Catalog), &title, body, images)
}

/// The resources to select, the permissions (optional ones to tick) and
/// the button: install, or ask an admin to.
fn consent_form(
    v: &Visitor,
    m: &Manifest,
    choice: &Choice,
    resources: &[Resource],
    installing: bool,
) -> Markup {
    let base = v.base();
    let required: Vec<&Permission> = m.permissions.iter().filter(|p| p.required).collect();
    let optional: Vec<&Permission> = m.permissions.iter().filter(|p| !p.required).collect();
    html! {
        form method="post" action={ (base) "/catalog/" (m.slug) "/install" } {
            (v.csrf_field())
            @if !m.resource_types.is_empty() {
                (selection::fieldset(&choice.picked, &m.resource_types, &resources))
            }
            h2 { (m.name) " will be able to" }
            (permission_list(m, &required))
            @if !optional.is_empty() {
                fieldset {
                    legend { "Also allow (optional)" }
                    @for p in &optional {
                        label.inline {
                            input type="checkbox" name="optional" value=(p.name) checked[choice.optional.contains(&p.name)];
                            span { (p.description) " " small.muted { "(" (applies_to(m, p)) ")" } }
                        }
                    }
                }
            }
            @if m.credentials == crate::domain::manifest::CredentialMode::Push {
                p { "It gets a service account of its own, whose credentials go to " (m.publisher.name) " directly." }
            } @else {
                p { "It gets a service account of its own; the app signs in with its own key." }
            }
            @if installing {
                button.primary type="submit" name="action" value="install" { "Install " (m.name) }
            } @else {
                label for="note" { "Why do you need it? (optional)" }
                textarea #note name="note" rows="3" maxlength="500" { (choice.note) }
                button.primary type="submit" name="action" value="request" { "Send request" }
            }
            a.button href={ (base) "/catalog/" (m.slug) } { "Cancel" }
        }
    }
}

/// POST `{issuer}/console/catalog/{app}/install`: search or select on the
/// screen, or install (admins, and users the tenant lets), or request.
pub(super) async fn install(
    axum::extract::State(s): crate::http::State,
    Path((tenant, slug)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, form) = or_page!(submitted(&s, &tenant, &headers, body).await);
    if !v.may_browse {
        return v.forbidden();
    }
    let resources: Vec<Resource> =
        match s.store.resources(&tenant, &crate::store::Page::all()).await {
            Ok(r) => r,
            Err(e) => return v.failed(e, &v.base()),
        };
    let choice = Choice {
        optional: form.all("optional"),
        picked: Picked::from_form(&form, &resources),
        note: form.get("note").unwrap_or_default().to_string(),
    };
    let action = form.get("action").unwrap_or_default().to_string();
    if !matches!(action.as_str(), "install" | "request") {
        return consent(&s, &v, &slug, choice, None).await;
    }
    let manifest = match s.store.app_version(&slug, None).await {
        Ok(Some(a)) => a.manifest,
        Ok(None) => return not_offered(&v),
        Err(e) => return v.failed(e, &v.base()),
    };
    let request = InstallRequest {
        tenant: tenant.clone(),
        app: slug.clone(),
        resources: choice.picked.to_json(&manifest.resource_types, &resources),
        optional_permissions: choice.optional.clone(),
        actor: v.actor().to_string(),
    };
    let now = s.oauth.clock.now();
    if action == "request" {
        return match s
            .admin
            .request_install(&v.user, request, &choice.note, now)
            .await
        {
            Ok(_) => super::done(&format!("{}/catalog", v.base()), "requested"),
            Err(e) => {
                let (_, message) = super::explain(e);
                consent(&s, &v, &slug, choice, Some(message)).await
            }
        };
    }
    match s.admin.install_as(&v.user, request, now).await {
        Ok((installation, _)) => {
            crate::http::directory_changed(&s).await;
            super::redirect(
                &format!("{}/installations/{}/installed", v.base(), installation.id),
                vec![],
            )
        }
        Err(e) => {
            let (_, message) = super::explain(e);
            consent(&s, &v, &slug, choice, Some(message)).await
        }
    }
}
