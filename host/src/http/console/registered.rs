//! Clients that registered themselves (RFC 7591): who, when, where they
//! send people back, and a way for the tenant's admins to remove one.

use super::{Section, admin, done, notice_banner, submitted_by_admin};
use crate::domain::Client;
use axum::body::Body;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;

/// GET `{issuer}/console/clients`.
pub(super) async fn list(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(admin(&s, &tenant, &headers, "console/clients").await);
    let load = async {
        let all = s.store.clients(&tenant, &crate::store::Page::all()).await?;
        let on = s
            .store
            .tenant(&tenant)
            .await?
            .is_some_and(|t| t.dynamic_registration);
        Ok::<_, crate::store::StoreError>((all, on))
    };
    let (all, on) = match load.await {
        Ok(x) => x,
        Err(e) => return v.failed(e, &v.base()),
    };
    let registered: Vec<&Client> = all.iter().filter(|c| c.registration.is_some()).collect();
    let base = v.base();
    let body = html! {
        h1 { "Registered clients" }
        (notice_banner(query.as_deref()))
        p {
            "Apps and tools that registered themselves with your organisation (dynamic client registration). "
            @if on { "Registration is on." } @else { "Registration is off: no new client can register itself." }
        }
        @if registered.is_empty() {
            p { "No client has registered itself." }
        } @else {
            table.stack #registered {
                thead { tr {
                    th scope="col" { "Client" } th scope="col" { "Registered" }
                    th scope="col" { "Sends people back to" } th scope="col" { "Scopes" } th scope="col" { span.visually-hidden { "Actions" } }
                } }
                tbody {
                    @for c in &registered {
                        tr {
                            td data-label="Client" {
                                (c.name) " " span.badge { "Self-registered" }
                                br; code { (c.client_id) }
                                @if let Some(uri) = c.metadata.get("client_uri").and_then(|u| u.as_str()) {
                                    br; small { (uri) }
                                }
                            }
                            td data-label="Registered" { (v.moment(c.created_at)) }
                            td data-label="Sends people back to" {
                                @for uri in &c.redirect_uris { code { (uri) } br; }
                            }
                            td data-label="Scopes" { (c.scopes.to_string()) }
                            td data-label="Actions" {
                                form method="post" action={ (base) "/clients/" (c.client_id) "/delete" } {
                                    (v.csrf_field())
                                    button type="submit" aria-label={ "Remove " (c.name) } { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    v.render(
        StatusCode::OK,
        Some(Section::Registered),
        "Registered clients",
        body,
    )
}

/// POST `{issuer}/console/clients/{client_id}/delete`: the client and its
/// tokens stop working. Only self-registered clients are removed here.
pub(super) async fn delete(
    axum::extract::State(s): crate::http::State,
    Path((tenant, client_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (v, _form) = or_page!(submitted_by_admin(&s, &tenant, &headers, body).await);
    let back = format!("{}/clients", v.base());
    let client = match s.store.client(&client_id).await {
        Ok(Some(c)) if c.tenant == tenant && c.registration.is_some() => c,
        Ok(_) => {
            return v.failed(
                crate::store::StoreError::NotFound("registered client"),
                &back,
            );
        }
        Err(e) => return v.failed(e, &back),
    };
    match s
        .admin
        .delete_client(&client.client_id, v.actor(), s.oauth.clock.now())
        .await
    {
        Ok(()) => {
            crate::http::directory_changed(&s).await;
            done(&back, "client_removed")
        }
        Err(e) => v.failed(e, &back),
    }
}
