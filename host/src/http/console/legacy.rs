//! The tenant's legacy credentials (hand-made clients the platform retires
//! on its sunset date): each one's last use, the days left, and the app
//! that replaces it.

use super::{Section, Visitor, admin};
use crate::domain::Client;
use crate::domain::installation::Installation;
use crate::domain::manifest::Manifest;
use crate::store::{Exemption, LegacyClient, LegacyPolicy};
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use std::collections::HashMap;

/// GET `{issuer}/console/legacy`.
pub(super) async fn page(
    axum::extract::State(s): crate::http::State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    let v = or_page!(admin(&s, &tenant, &headers, "console/legacy").await);
    let now = s.oauth.clock.now();
    let today = now.div_euclid(86_400);
    let load = async {
        let marks: Vec<_> = s
            .store
            .legacy_clients()
            .await?
            .into_iter()
            .filter(|m| m.tenant == tenant)
            .collect();
        let policy = s.store.legacy_policy().await?;
        let exempt = s
            .store
            .exemptions()
            .await?
            .into_iter()
            .find(|e| e.tenant == tenant);
        let recent = s.oauth.usage.legacy_report(today - 29).await?;
        let ever = s.oauth.usage.legacy_report(0).await?;
        let installed = s
            .store
            .installations(&tenant, &crate::store::Page::all())
            .await?;
        let mut rows = Vec::new();
        for m in marks {
            let client = s.store.client(&m.client_id).await?;
            let app = match &m.replaced_by {
                Some(slug) => s.store.app_version(slug, None).await?.map(|a| a.manifest),
                None => None,
            };
            let here = m
                .replaced_by
                .as_ref()
                .and_then(|slug| installed.iter().find(|i| &i.app == slug).cloned());
            rows.push((m, client, app, here));
        }
        Ok::<_, crate::store::StoreError>((rows, policy, exempt, recent, ever))
    };
    let (rows, policy, exempt, recent, ever) = match load.await {
        Ok(x) => x,
        Err(e) => return v.failed(e, &v.base()),
    };
    // The date that counts here: the sunset, or the tenant's exemption if later.
    let ends = policy.as_ref().map(|p| {
        exempt
            .as_ref()
            .map_or(p.sunset_at, |e| e.until.max(p.sunset_at))
    });
    let body = html! {
        h1 { "Legacy credentials" }
        (sunset_banner(policy.as_ref(), exempt.as_ref(), ends, now, &v))
        (credentials_table(&rows, &recent, &ever, &v))
    };
    v.render(
        StatusCode::OK,
        Some(Section::Legacy),
        "Legacy credentials",
        body,
    )
}

/// The days left before the sunset (or the tenant's exemption).
fn sunset_banner(
    policy: Option<&LegacyPolicy>,
    exempt: Option<&Exemption>,
    ends: Option<i64>,
    now: i64,
    v: &Visitor,
) -> Markup {
    html! {
        @match (policy, ends) {
            (Some(p), Some(ends)) => {
                @let left = (ends - now).div_euclid(86_400);
                div.warning #sunset {
                    @if left >= 0 {
                        p { strong { (left) " days left" } ": legacy credentials stop working on " (v.day(ends)) "." }
                    } @else {
                        p { strong { "Retired" } ": legacy credentials stopped working on " (v.day(ends)) "." }
                    }
                    p { (p.message) }
                    @if let Some(e) = exempt { p { "Your organisation is exempt until " (v.day(e.until)) "." } }
                    @if let Some(u) = &p.migration_url { p { a href=(u) rel="noopener noreferrer" { "How to move to apps" } } }
                }
            }
            _ => { p { "No sunset date is set for legacy credentials." } }
        }
    }
}

type Uses = HashMap<String, (i64, Option<i64>)>;

/// Each legacy credential's use and the app that replaces it.
fn credentials_table(rows: &[Row], recent: &Uses, ever: &Uses, v: &Visitor) -> Markup {
    let base = v.base();
    html! {
        @if rows.is_empty() {
            p { "Your organisation has no legacy credentials." }
        } @else {
            table.stack #legacy {
                thead { tr {
                    th scope="col" { "Credential" } th scope="col" { "Last used" } th scope="col" { "Uses, 30 days" }
                    th scope="col" { "Replaced by" }
                } }
                tbody {
                    @for (m, client, app, here) in rows {
                        tr {
                            td data-label="Credential" {
                                (client.as_ref().map_or(m.client_id.as_str(), |c| c.name.as_str()))
                                br; code { (m.client_id) }
                            }
                            td data-label="Last used" {
                                @match ever.get(&m.client_id).and_then(|(_, last)| *last) { Some(t) => (v.moment(t)), None => "never" }
                            }
                            td data-label="Uses, 30 days" { (recent.get(&m.client_id).map_or(0, |(n, _)| *n)) }
                            td data-label="Replaced by" {
                                @match (app, here) {
                                    (Some(a), Some(i)) => { a href={ (base) "/installations/" (i.id) } { (a.name) } " (installed)" }
                                    (Some(a), None) => { a href={ (base) "/catalog/" (a.slug) } { (a.name) } " \u{2014} not installed yet" }
                                    _ => "\u{2014}"
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A legacy credential, its client, the app replacing it and its installation here.
type Row = (
    LegacyClient,
    Option<Client>,
    Option<Manifest>,
    Option<Installation>,
);
