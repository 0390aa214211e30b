//! The admin API's OpenAPI 3.1 contract, generated from the handlers'
//! `#[utoipa::path]` attributes and the body types' `ToSchema`, so code and
//! contract cannot drift: an admin route is registered only through its
//! documented handler (`utoipa_axum::routes!`). Served at
//! `/admin/v1/openapi.json`, printed by `warden openapi` and checked in as
//! `openapi/admin-v1.json` (a test fails when that copy is stale).

use crate::domain::admin_scope::{self, AdminScope};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Warden admin API",
        description = "What the `warden` CLI does, over HTTP, for operators' automation: \
            tenants, clients, users, plugins and their bindings, apps, installations, \
            deliveries, the legacy sunset and tenant settings. Every operation but this \
            document needs an admin token as a bearer token: the configured `admin_token` \
            (every scope) or a named token from `warden admin-token create`, whose scopes \
            each operation lists under `security` (every token may read; a write needs \
            its noun's scope, else 403). Without any token the API answers 404. Errors \
            are RFC 9457 problem documents. Times are Unix seconds unless a field says \
            otherwise. No text may hold a NUL character (U+0000): a request with one is \
            400. The schemas state every rule a request is checked against, except those \
            JSON Schema cannot (between fields, against what is stored, against the \
            clock): an operation with such rules names them under \"Beyond its schema\" \
            with the status that refuses them. Lists come a page at a time: `limit` \
            (1-1000, 100 unless told) and `cursor` (a page's `next`) in, `items` and \
            `next` out, and a `Link: <…>; rel=\"next\"` header while more follow.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&AdminToken),
    security(("admin_token" = [])),
    components(schemas(ProblemDocument, super::schemas::Hook)),
    tags(
        (name = "tenants", description = "Tenants, their signing keys and users"),
        (name = "clients", description = "OAuth clients and their secrets"),
        (name = "plugins", description = "WebAssembly components and the hooks they are bound to"),
        (name = "deliveries", description = "Credential deliveries and the audit log"),
        (name = "apps", description = "The app registry: manifests and versions"),
        (name = "installations", description = "Apps installed in tenants, their resources and usage"),
        (name = "legacy", description = "The sunset of legacy (non-app) clients"),
        (name = "settings", description = "A tenant's branding and install policy"),
        (name = "contract", description = "This document"),
    )
)]
struct Contract;

/// An RFC 9457 problem document, as every admin error is sent.
#[derive(utoipa::ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)] // Describes what `admin::Problem` renders.
struct ProblemDocument {
    /// Always `about:blank`: `title` and `status` say what went wrong.
    #[schema(rename = "type", example = "about:blank")]
    kind: String,
    /// The HTTP status's reason phrase.
    #[schema(example = "Not Found")]
    title: String,
    status: u16,
    /// What was wrong, in words an operator can act on.
    detail: String,
    /// The bad input's place in the body, e.g. `permissions[1].resource_type`.
    field: Option<String>,
}

struct AdminToken;

impl utoipa::Modify for AdminToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(scheme_description()))
                    .build(),
            ),
        );
    }
}

fn scheme_description() -> String {
    let scopes: Vec<String> = AdminScope::ALL
        .iter()
        .map(|s| format!("`{}`: {}", s.as_str(), s.describe()))
        .collect();
    format!(
        "The configured admin_token (WARDEN_ADMIN_TOKEN), which has every scope, or a \
         named token from `warden admin-token create --scopes …`. Scopes: {}.",
        scopes.join("; ")
    )
}

/// Each operation's `security` names the scope it needs, from the same rule
/// the route layer enforces.
fn state_scopes(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::SecurityRequirement;
    for (path, item) in doc.paths.paths.iter_mut() {
        let path = path.trim_start_matches("/admin/v1");
        for (method, op) in [
            ("GET", &mut item.get),
            ("PUT", &mut item.put),
            ("POST", &mut item.post),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
        ] {
            if let Some(op) = op {
                op.security = Some(if path == "/openapi.json" {
                    vec![SecurityRequirement::default()]
                } else {
                    let scope = admin_scope::required(method, path);
                    vec![SecurityRequirement::new("admin_token", [scope.as_str()])]
                });
            }
        }
    }
}

/// The contract as a value.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa_axum::router::OpenApiRouter::with_openapi(Contract::openapi())
        .nest("/admin/v1", super::api())
        .into_openapi();
    state_scopes(&mut doc);
    state_rules_beyond_schemas(&mut doc);
    add_problem_responses(&mut doc);
    mark_optional_bodies(&mut doc);
    doc
}

/// The rules a request meets that JSON Schema cannot state, by operation:
/// the status that refuses one and what they are. (tests/schemathesis.toml
/// lets exactly these operations answer so to a schema-valid request.)
pub const BEYOND_SCHEMA: &[(&str, u16, &str)] = &[
    (
        "create_client",
        400,
        "a public client cannot use `client_credentials` (the default grant type); `authorization_code` needs `redirect_uris`; `require_pushed_authorization_requests` needs `authorization_code`; `default_scopes` lie within `scopes`; `jwks` holds a public signing key and only for a confidential client; redirect URIs (https, or http on loopback, or a private-use scheme) and `resources` (absolute, no fragment) parse as URLs; each of `authorization_details_types` is taken by one of the tenant's resource servers",
    ),
    (
        "register_resource_server",
        400,
        "`identifier` is an https URI without a fragment (http only for localhost); each type's `actions` are at most 32 names of 1-64 letters, digits or `. _ - : /`",
    ),
    (
        "bind",
        400,
        "the plugin implements the hook; `memory_mib` holds the memory the component starts with; a credential-delivery `config.allowed_origins` lists origins",
    ),
    (
        "bind_platform",
        400,
        "the plugin implements the hook; `memory_mib` holds the memory the component starts with; a credential-delivery `config.allowed_origins` lists origins",
    ),
    (
        "install",
        400,
        "optional permissions are ones the app offers; the selection names resource types the app declares and resources the tenant has, and at least one resource when a permission is per resource",
    ),
    (
        "approve_upgrade",
        400,
        "optional permissions are ones the new version offers; the selection names resource types it declares and resources the tenant has",
    ),
    (
        "set_resources",
        400,
        "the selection names resource types the app declares and resources the tenant has, and at least one resource when a permission is per resource",
    ),
    (
        "set_policy",
        422,
        "dates exist on the calendar; the sunset is in the future, `warn_from` before it, each brownout ends after it starts and by the sunset; `migration_url` is an http(s) URL",
    ),
    (
        "exempt",
        422,
        "the date exists on the calendar and is in the future",
    ),
    (
        "register_app",
        422,
        "a pull app has a signing key in `jwks`; a per-resource permission names a declared resource type and a tenant-level one none; names are unique; URLs parse (https, the hook also http on loopback)",
    ),
    (
        "publish_version",
        422,
        "the manifest's `slug` is the path's; a pull app has a signing key in `jwks`; a per-resource permission names a declared resource type; names are unique; URLs parse",
    ),
    (
        "put_settings",
        422,
        "`time_zone` is an IANA name the server's time zone database knows; `logo_url` is an https URL and `support_url` an https or mailto one",
    ),
    (
        "add_plugin",
        422,
        "the body is a WebAssembly component of one of Warden's hook worlds",
    ),
];

fn state_rules_beyond_schemas(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [&mut item.put, &mut item.post].into_iter().flatten() {
            let id = op.operation_id.clone().unwrap_or_default();
            if let Some((_, status, rules)) = BEYOND_SCHEMA.iter().find(|(o, ..)| *o == id) {
                let text = format!("Beyond its schema ({status} otherwise): {rules}.");
                op.description = Some(match op.description.take() {
                    Some(d) if !d.is_empty() => format!("{d}\n\n{text}"),
                    _ => text,
                });
            }
        }
    }
}

/// A body documented as "May be empty…" may be left out altogether (it then
/// reads as `{}`); utoipa marks every typed body required.
fn mark_optional_bodies(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [&mut item.put, &mut item.post].into_iter().flatten() {
            if let Some(RefOr::T(body)) = op.request_body.as_mut()
                && body
                    .description
                    .as_deref()
                    .is_some_and(|d| d.starts_with("May be empty"))
            {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
    }
}

/// The contract as JSON, built once: it depends only on the code.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut text = document()
            .to_pretty_json()
            .expect("the OpenAPI document serialises");
        text.push('\n');
        text
    })
}

/// `GET /admin/v1/openapi.json`: public, like any API's published contract.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "contract",
    security(()),
    responses((status = 200, description = "This document", content_type = "application/json"))
)]
pub(super) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json()).into_response()
}

/// The errors every handler can answer with, so each operation lists them
/// without repeating them in every attribute: any request can be refused
/// (401), name something missing (404; also the API switched off), be
/// malformed (400) or meet a database that cannot answer (503); a request
/// with a body can also be too big (413), not JSON (415), unacceptable (422)
/// or clash with what exists (409).
fn add_problem_responses(doc: &mut utoipa::openapi::OpenApi) {
    let problem = ResponseBuilder::new()
        .description("An RFC 9457 problem document")
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    doc.components
        .get_or_insert_with(Default::default)
        .responses
        .insert("Problem".into(), RefOr::T(problem));
    for item in doc.paths.paths.values_mut() {
        let operations = [
            (&mut item.get, false),
            (&mut item.put, true),
            (&mut item.post, true),
            (&mut item.delete, true),
        ];
        for (operation, changes) in operations {
            let Some(op) = operation else { continue };
            if op
                .tags
                .as_ref()
                .is_some_and(|t| t.iter().any(|t| t == "contract"))
            {
                continue; // public, and it cannot fail
            }
            let mut statuses = vec!["400", "401", "404", "503"];
            if changes {
                // 403: the token lacks the scope the operation names.
                statuses.extend(["403", "409", "413", "415", "422"]);
            }
            for status in statuses {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Problem")));
            }
        }
    }
}
