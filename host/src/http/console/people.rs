//! The tenant's people (create, grant or remove the admin role, delete)
//! and, apart from them, its apps' service accounts, which belong to their
//! installations and cannot be edited here.

use super::{Section, Visitor, admin, done, notice_banner, submitted_by_admin};
use crate::admin::{Actor, AdminError, NewUser};
use crate::domain::user::User;
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};

/// GET `{issuer}/console/people`.
pub(super) async fn list(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(admin(&s, &tenant, &headers, "console/people").await);
    let users = match s.store.users(&tenant, &crate::store::Page::all()).await {
        Ok(u) => u,
        Err(e) => return v.failed(e, &v.base()),
    };
    let (accounts, people): (Vec<_>, Vec<_>) = users.iter().partition(|u| u.is_service_account());
    let search = super::query_param(query.as_deref(), "q").unwrap_or_default();
    let words: Vec<String> = search.split_whitespace().map(str::to_lowercase).collect();
    let shown: Vec<_> = people
        .iter()
        .filter(|u| {
            let text = format!(
                "{} {} {}",
                u.username,
                u.display_name.as_deref().unwrap_or_default(),
                u.email.as_deref().unwrap_or_default()
            )
            .to_lowercase();
            words.iter().all(|w| text.contains(w))
        })
        .collect();
    let base = v.base();
    let body = html! {
        h1 { "People" }
        (notice_banner(query.as_deref()))
        form.filters method="get" action={ (base) "/people" } role="search" {
            div {
                label for="people-q" { "Search people" }
                input #people-q type="search" name="q" value=(search) placeholder="Name, username or e-mail";
            }
            div { button type="submit" { "Search" } }
        }
        p.muted #people-count role="status" {
            (shown.len()) " of " (people.len()) " " @if people.len() == 1 { "person" } @else { "people" }
            @if !search.is_empty() { " \u{00b7} " a href={ (base) "/people" } { "Show everyone" } }
        }
        (people_table(&shown, &v))
        (add_person_form(&v))
        (service_accounts(&accounts, &v))
    };
    v.render(StatusCode::OK, Some(Section::People), "People", body)
}

/// Each person with their role and what an admin may do to them; an admin
/// cannot demote or delete themselves.
fn people_table(shown: &[&&User], v: &Visitor) -> Markup {
    let base = v.base();
    html! {
        table.stack #people {
            thead { tr { th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Role" } th scope="col" { "Last sign-in" } th scope="col" { "Actions" } } }
            tbody {
                @for u in shown {
                    @let name = u.display_name.as_deref().unwrap_or(&u.username);
                    tr {
                        td data-label="Name" { (name) @if u.display_name.is_some() { " " br; span.muted { (u.username) } } }
                        td data-label="E-mail" { (u.email.as_deref().unwrap_or("")) }
                        td data-label="Role" { @if u.is_admin { "Administrator" } @else { "Member" } }
                        td data-label="Last sign-in" { @match u.last_sign_in_at { Some(t) => (v.moment(t)), None => "never" } }
                        td data-label="Actions" {
                            a.button href={ (base) "/people/" (u.username) "/edit" } aria-label={ "Edit " (name) } { "Edit" }
                            @if u.username != v.user.username {
                                form.inline method="post" action={ (base) "/people/" (u.username) "/admin" } {
                                    (v.csrf_field())
                                    @if u.is_admin {
                                        input type="hidden" name="admin" value="no";
                                        button type="submit" aria-label={ "Remove admin: " (name) } { "Remove admin" }
                                    } @else {
                                        input type="hidden" name="admin" value="yes";
                                        button type="submit" aria-label={ "Make admin: " (name) } { "Make admin" }
                                    }
                                }
                                a.button href={ (base) "/people/" (u.username) "/delete" } aria-label={ "Delete " (name) } { "Delete" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn add_person_form(v: &Visitor) -> Markup {
    let base = v.base();
    html! {
        h2 { "Add a person" }
        form method="post" action={ (base) "/people" } style="max-width:28rem" {
            (v.csrf_field())
            label for="new-username" { "Username" }
            input #new-username type="text" name="username" required maxlength="64" autocomplete="off";
            label for="new-name" { "Name (optional)" }
            input #new-name type="text" name="name" maxlength="200" autocomplete="off";
            label for="new-email" { "E-mail (optional)" }
            input #new-email type="email" name="email" maxlength="200" autocomplete="off";
            label for="new-password" { "Initial password" }
            input #new-password type="password" name="password" required autocomplete="new-password";
            label.inline { input type="checkbox" name="admin" value="yes"; span { "Administrator" } }
            button.primary type="submit" { "Add person" }
        }
    }
}

fn service_accounts(accounts: &[&User], v: &Visitor) -> Markup {
    let base = v.base();
    html! {
        h2 { "Service accounts" }
        p.muted { "Each installed app acts as its own service account. They cannot sign in and go away when the app is uninstalled." }
        @if accounts.is_empty() { p { "None: no app is installed." } }
        @else {
            table.stack #service-accounts {
                thead { tr { th scope="col" { "Account" } th scope="col" { "App" } th scope="col" { "Created" } } }
                tbody {
                    @for u in accounts {
                        tr {
                            td data-label="Account" { (u.username) }
                            td data-label="App" {
                                @if let Some(i) = &u.installation {
                                    a href={ (base) "/installations/" (i) } { (u.display_name.as_deref().unwrap_or(i)) }
                                }
                            }
                            td data-label="Created" { (v.day(u.created_at)) }
                        }
                    }
                }
            }
        }
    }
}

/// POST `{issuer}/console/people`: add a person.
pub(super) async fn create(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, form) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let text = |k: &str| {
        form.get(k)
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
    };
    let new = NewUser {
        tenant: tenant.clone(),
        username: text("username").unwrap_or_default(),
        password: form.get("password").unwrap_or_default().to_string(),
        email: text("email"),
        display_name: text("name"),
        is_admin: form.get("admin") == Some("yes"),
    };
    let back = format!("{}/people", v.base());
    match s
        .admin
        .create_user(new, Actor::Person(v.actor()), s.oauth.clock.now())
        .await
    {
        Ok(_) => done(&back, "user_created"),
        Err(e) => v.failed(e, &back),
    }
}

/// POST `{issuer}/console/people/{username}/admin`: `admin=yes|no`.
pub(super) async fn set_admin(
    axum::extract::State(s): crate::http::State,
    Path((tenant, username)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, form) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let back = format!("{}/people", v.base());
    let make = match form.get("admin") {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return v.failed(AdminError::Invalid("Say yes or no.".into()), &back);
        }
    };
    match s
        .admin
        .set_user_admin(
            &tenant,
            &username,
            make,
            Actor::Person(v.actor()),
            s.oauth.clock.now(),
        )
        .await
    {
        Ok(()) => done(
            &back,
            if make {
                "admin_granted"
            } else {
                "admin_removed"
            },
        ),
        Err(e) => v.failed(e, &back),
    }
}

/// GET `{issuer}/console/people/{username}/delete`: are you sure?
pub(super) async fn delete_confirm(
    axum::extract::State(s): crate::http::State,
    Path((tenant, username)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(admin(&s, &tenant, &headers, "console/people").await);
    let back = format!("{}/people", v.base());
    let user = match s.store.user_by_name(&tenant, &username).await {
        Ok(Some(u)) if !u.is_service_account() => u,
        Ok(_) => {
            return v.failed(crate::store::StoreError::NotFound("person"), &back);
        }
        Err(e) => return v.failed(e, &back),
    };
    let name = user.display_name.as_deref().unwrap_or(&user.username);
    let title = format!("Delete {name}?");
    let body = html! {
        (v.crumbs(&[("People", back.clone())], &format!("Delete {name}")))
        h1 { (title) }
        p.warning { (name) " (" (user.username) ") will be signed out everywhere; the apps and tokens they connected stop working. This cannot be undone." }
        form method="post" action={ (back) "/" (user.username) "/delete" } {
            (v.csrf_field())
            button.danger type="submit" { "Delete " (name) }
            a.button href=(back) { "Cancel" }
        }
    };
    v.render(StatusCode::OK, Some(Section::People), &title, body)
}

/// POST `{issuer}/console/people/{username}/delete`.
pub(super) async fn delete(
    axum::extract::State(s): crate::http::State,
    Path((tenant, username)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, _) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let back = format!("{}/people", v.base());
    match s
        .admin
        .delete_user(
            &tenant,
            &username,
            Actor::Person(v.actor()),
            s.oauth.clock.now(),
        )
        .await
    {
        Ok(()) => done(&back, "user_deleted"),
        Err(e) => v.failed(e, &back),
    }
}

/// A person of this tenant (not a service account), or the console's
/// not-found page.
async fn person(
    s: &crate::http::AppState,
    v: &super::Visitor,
    username: &str,
) -> Result<crate::domain::user::User, Response> {
    let back = format!("{}/people", v.base());
    match s.store.user_by_name(&v.tenant, username).await {
        Ok(Some(u)) if !u.is_service_account() => Ok(u),
        Ok(_) => Err(v.failed(crate::store::StoreError::NotFound("person"), &back)),
        Err(e) => Err(v.failed(e, &back)),
    }
}

fn edit_page(
    v: &super::Visitor,
    u: &crate::domain::user::User,
    link: Option<(&str, i64)>,
    error: Option<String>,
) -> Response {
    let back = format!("{}/people", v.base());
    let here = format!("{back}/{}", u.username);
    let name = u.display_name.as_deref().unwrap_or(&u.username);
    let title = format!("Edit {name}");
    let body = html! {
        (v.crumbs(&[("People", back.clone())], name))
        h1 { (title) }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        p.muted {
            "Username " strong { (u.username) } " \u{00b7} "
            @if u.is_admin { "Administrator" } @else { "Member" } " \u{00b7} added " (v.day(u.created_at))
            " \u{00b7} last sign-in " @match u.last_sign_in_at { Some(t) => (v.moment(t)), None => "never" }
        }
        form method="post" action={ (here) "/edit" } style="max-width:28rem" {
            (v.csrf_field())
            label for="edit-name" { "Name" }
            input #edit-name type="text" name="name" maxlength="200" value=(u.display_name.as_deref().unwrap_or_default()) autocomplete="off";
            label for="edit-email" { "E-mail" }
            input #edit-email type="email" name="email" maxlength="200" value=(u.email.as_deref().unwrap_or_default()) autocomplete="off";
            button.primary type="submit" { "Save" }
            a.button href=(back) { "Cancel" }
        }
        h2 { "Password" }
        @if let Some((link, expires)) = link {
            div.notice role="status" #password-link {
                p { "Give " (name) " this link. It works once, until " (v.moment(expires)) "; it is not shown again." }
                p { code { (link) } }
            }
        } @else {
            p { "Make a one-time link for " (name) " to set a new password. Their current password keeps working until they use it; then they are signed out everywhere." }
        }
        form method="post" action={ (here) "/password-link" } {
            (v.csrf_field())
            button type="submit" { @if link.is_some() { "Make another link" } @else { "Make a password link" } }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    v.render(status, Some(Section::People), &title, body)
}

/// GET `{issuer}/console/people/{username}/edit`.
pub(super) async fn edit_form(
    axum::extract::State(s): crate::http::State,
    Path((tenant, username)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(
        admin(
            &s,
            &tenant,
            &headers,
            &format!("console/people/{username}/edit")
        )
        .await
    );
    let u = or_page!(person(&s, &v, &username).await);
    edit_page(&v, &u, None, None)
}

/// POST `{issuer}/console/people/{username}/edit`: name and e-mail.
pub(super) async fn edit(
    axum::extract::State(s): crate::http::State,
    Path((tenant, username)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, form) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let u = or_page!(person(&s, &v, &username).await);
    let field = |k: &str| form.get(k).map(str::to_string);
    match s
        .admin
        .update_user(
            &tenant,
            &username,
            field("name"),
            field("email"),
            Actor::Person(v.actor()),
            s.oauth.clock.now(),
        )
        .await
    {
        Ok(_) => done(&format!("{}/people", v.base()), "user_updated"),
        Err(e) => {
            let (_, message) = super::explain(e.into());
            let mut shown = u.clone();
            shown.display_name = field("name");
            shown.email = field("email");
            edit_page(&v, &shown, None, Some(message))
        }
    }
}

/// POST `{issuer}/console/people/{username}/password-link`: a one-time
/// link for the person to set a new password, shown on the page once.
pub(super) async fn password_link(
    axum::extract::State(s): crate::http::State,
    Path((tenant, username)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, _) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let u = or_page!(person(&s, &v, &username).await);
    match s
        .admin
        .password_reset_link(
            &tenant,
            &username,
            Actor::Person(v.actor()),
            s.oauth.clock.now(),
        )
        .await
    {
        Ok((token, expires)) => {
            let link = format!("{}/password/{token}", s.oauth.directory.issuer(&tenant));
            edit_page(&v, &u, Some((link.as_str(), expires)), None)
        }
        Err(e) => v.failed(e, &format!("{}/people/{username}/edit", v.base())),
    }
}
