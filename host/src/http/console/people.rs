//! The tenant's people (create, grant or remove the admin role, delete)
//! and, apart from them, its apps' service accounts, which belong to their
//! installations and cannot be edited here.

use super::{Section, admin, day, done, notice_banner, submitted_by_admin};
use crate::admin::{AdminError, NewUser};
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;

/// GET `{issuer}/console/people`.
pub(super) async fn list(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(admin(&s, &tenant, &headers, "console/people").await);
    let users = match s.store.users(&tenant).await {
        Ok(u) => u,
        Err(e) => return v.failed(e.into(), &v.base()),
    };
    let (accounts, people): (Vec<_>, Vec<_>) = users.iter().partition(|u| u.is_service_account());
    let base = v.base();
    let body = html! {
        h1 { "People" }
        (notice_banner(query.as_deref()))
        table.stack #people {
            thead { tr { th scope="col" { "Username" } th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Role" } th scope="col" { "Actions" } } }
            tbody {
                @for u in &people {
                    tr {
                        td data-label="Username" { (u.username) }
                        td data-label="Name" { (u.display_name.as_deref().unwrap_or("")) }
                        td data-label="E-mail" { (u.email.as_deref().unwrap_or("")) }
                        td data-label="Role" { @if u.is_admin { "Administrator" } @else { "Member" } }
                        td data-label="Actions" {
                            @if u.username != v.user.username {
                                form.inline method="post" action={ (base) "/people/" (u.username) "/admin" } {
                                    (v.csrf_field())
                                    @if u.is_admin {
                                        input type="hidden" name="admin" value="no";
                                        button type="submit" aria-label={ "Remove admin: " (u.username) } { "Remove admin" }
                                    } @else {
                                        input type="hidden" name="admin" value="yes";
                                        button type="submit" aria-label={ "Make admin: " (u.username) } { "Make admin" }
                                    }
                                }
                                a.button href={ (base) "/people/" (u.username) "/delete" } aria-label={ "Delete " (u.username) } { "Delete" }
                            } @else {
                                span.muted { "You" }
                            }
                        }
                    }
                }
            }
        }
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
        h2 { "Service accounts" }
        p.muted { "Each installed app acts as its own service account. They cannot sign in and go away when the app is uninstalled." }
        @if accounts.is_empty() { p { "None: no app is installed." } }
        @else {
            table.stack #service-accounts {
                thead { tr { th scope="col" { "Account" } th scope="col" { "App" } th scope="col" { "Created" } } }
                tbody {
                    @for u in &accounts {
                        tr {
                            td data-label="Account" { (u.username) }
                            td data-label="App" {
                                @if let Some(i) = &u.installation {
                                    a href={ (base) "/installations/" (i) } { (u.display_name.as_deref().unwrap_or(i)) }
                                }
                            }
                            td data-label="Created" { (day(u.created_at)) }
                        }
                    }
                }
            }
        }
    };
    v.render(StatusCode::OK, Some(Section::People), "People", body)
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
        .create_user_as(new, v.actor(), s.oauth.clock.now())
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
            return v.failed(AdminError::Invalid("Say yes or no.".into()).into(), &back);
        }
    };
    match s
        .admin
        .set_user_admin(&tenant, &username, make, v.actor(), s.oauth.clock.now())
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
            return v.failed(crate::store::StoreError::NotFound("person").into(), &back);
        }
        Err(e) => return v.failed(e.into(), &back),
    };
    let title = format!("Delete {}?", user.username);
    let body = html! {
        h1 { (title) }
        p.warning { (user.display_name.as_deref().unwrap_or(&user.username)) " will be signed out everywhere; the apps and tokens they connected stop working. This cannot be undone." }
        form method="post" action={ (back) "/" (user.username) "/delete" } {
            (v.csrf_field())
            button.danger type="submit" { "Delete " (user.username) }
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
        .delete_user_as(&tenant, &username, v.actor(), s.oauth.clock.now())
        .await
    {
        Ok(()) => done(&back, "user_deleted"),
        Err(e) => v.failed(e, &back),
    }
}
