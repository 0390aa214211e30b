//! The OpenAPI schemas of the core's types the admin API sends and takes, as
//! the contract describes them: the core knows nothing of OpenAPI, so each is
//! described here, field for field as it serialises. `dev/schema_mirrors.py`
//! (run by tests/layout.rs) checks each against its core type, and
//! Schemathesis' conformance checks the answers. Never constructed.
#![allow(dead_code)]

use serde::{Deserialize, Serialize};
use serde_json::Value;

use utoipa::ToSchema;

fn yes() -> bool {
    true
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

// core/src/admin/plugins.rs

/// A plugin just added, with what its author should know about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedPlugin {
    #[serde(flatten)]
    pub record: PluginRecord,
    /// WASI interfaces it imports that the sandbox does not grant: a call
    /// that uses one fails closed.
    pub ungranted_imports: Vec<String>,
    /// The memory limit of a binding that sets none.
    pub default_memory_mib: usize,
}

// core/src/apps/catalog.rs

/// One app as the catalog shows it to a tenant.
#[derive(Serialize, ToSchema)]
pub struct CatalogEntry {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub publisher: Publisher,
    pub homepage_url: Option<String>,
    pub logo_url: Option<String>,
    pub privacy_url: Option<String>,
    pub terms_url: Option<String>,
    pub listed: bool,
    /// The newest version: what an install approves.
    pub version: i64,
    pub credentials: CredentialMode,
    pub resource_types: Vec<ResourceType>,
    pub permissions: Vec<CatalogPermission>,
    /// Markdown, as the integrator wrote it.
    pub setup_instructions: String,
    /// The same, rendered safely (no raw HTML; http(s) and mailto links only).
    pub setup_instructions_html: String,
    /// How it is installed in this tenant, if it is.
    pub installation: Option<InstallationView>,
}

/// A permission in words a tenant admin reads.
#[derive(Serialize, ToSchema)]
pub struct CatalogPermission {
    pub name: String,
    pub description: String,
    pub required: bool,
    pub level: Level,
    pub resource_type: Option<String>,
    /// "the whole organisation" or "the projects you select".
    pub applies_to: String,
}

// core/src/apps/mod.rs

/// An installation as the admin API and its events show it (never a secret).
#[derive(Serialize, ToSchema)]
pub struct InstallationView {
    pub id: String,
    pub tenant: String,
    /// The app's slug.
    pub app: String,
    /// The approved manifest version.
    pub version: i64,
    pub status: Status,
    pub suspended_by: Option<Suspender>,
    /// A newer version waiting for approval.
    pub pending_version: Option<i64>,
    /// The approved permission names.
    pub permissions: Vec<String>,
    #[schema(value_type = Selection)]
    pub resources: Value,
    /// Bumped by every change to the selection.
    pub revision: i64,
    /// The number of the last lifecycle event.
    pub sequence: i64,
    pub service_account: ServiceAccountView,
    /// The push credentials' client, if the app has them.
    pub client_id: Option<String>,
    pub installed_by: String,
    pub token_quota_per_hour: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The directory entry an installation acts as.
#[derive(Serialize, ToSchema)]
pub struct ServiceAccountView {
    /// A user id: the `sub` of the installation's tokens.
    pub id: String,
    pub name: String,
}

/// An app version as the admin API shows it.
#[derive(Serialize, ToSchema)]
pub struct AppVersionView {
    pub slug: String,
    pub version: i64,
    pub created_at: i64,
    pub manifest: Manifest,
}

// core/src/domain/installation.rs

/// Where an installation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the app's required install hook to answer 2xx.
    Installing,
    Active,
    Suspended,
    UpgradePending,
}

/// Who suspended an installation; only they lift it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Suspender {
    /// The tenant's admin.
    Tenant,
    /// The platform's operator.
    Platform,
}

// core/src/domain/manifest.rs

/// An app's manifest: one immutable version of what it declares.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[schema(pattern = r"^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$")]
    pub slug: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0009\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0009\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub description: String,
    pub publisher: Publisher,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_url: Option<String>,
    /// In the catalog for every tenant, or private (installed by name).
    #[serde(default)]
    pub listed: bool,
    /// How to set the app up after installing it, in Markdown (the catalog
    /// renders it safely: no raw HTML, only http(s) and mailto links).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schema(
        max_length = 20000,
        pattern = r"^[^\u0000-\u0009\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub setup_instructions: String,
    /// Where lifecycle events are delivered: https, or http on loopback.
    pub hook_url: String,
    /// The install completes only once the hook answered 2xx.
    #[serde(default)]
    pub install_hook_required: bool,
    /// If the app also signs users in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
    /// Seconds; capped by the tenant's and the platform's maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 31_536_000)]
    pub access_token_ttl: Option<i64>,
    #[serde(default)]
    pub credentials: CredentialMode,
    /// The app's public keys (a JWK Set): `use: enc` encrypts pushed secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub resource_types: Vec<ResourceType>,
    #[schema(min_items = 1, max_items = 200)]
    pub permissions: Vec<Permission>,
    /// The app's own credential-delivery component, shaping its events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_plugin: Option<AppDeliveryPlugin>,
}

/// A credential-delivery component an integrator ships with the app (added
/// with `plugin add`, named by sha256). It builds the app's own events only,
/// sandboxed like every plugin, and its deliveries may go only to the hook's
/// origin and `origins`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppDeliveryPlugin {
    /// The component's SHA-256, as `plugin add` printed it.
    #[schema(pattern = r"^[0-9a-f]{64}$")]
    pub sha256: String,
    /// The JSON object the plugin gets as its `config`.
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
    /// More origins (`https://host[:port]`) its deliveries may go to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publisher {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0009\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// How an installation's credentials reach the app.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CredentialMode {
    /// A per-installation client secret, sent to the hook.
    #[default]
    Push,
    /// The app authenticates with its own key (see the next issue).
    Pull,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceType {
    #[serde(rename = "type")]
    #[schema(pattern = r"^[a-z0-9_-]{1,64}$")]
    pub kind: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0009\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Across the tenant (e.g. read the company directory).
    Tenant,
    /// On the selected resources of one type (e.g. the chosen projects).
    Resource,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub name: String,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0009\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub description: String,
    /// An optional permission is offered at install and may be left out.
    #[serde(default = "yes")]
    pub required: bool,
}

// core/src/domain/hook.rs

/// The hooks a tenant can bind a plugin to, one per WIT world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum Hook {
    GrantPolicy,
    PermissionCheck,
    CredentialDelivery,
    InstallPolicy,
    RegistrationPolicy,
}

// core/src/domain/legacy.rs

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Brownout {
    pub from: i64,
    pub until: i64,
}

/// The platform-wide sunset of legacy credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LegacyPolicy {
    /// From then on, legacy clients get `invalid_client`.
    pub sunset_at: i64,
    /// From then on, their tokens carry `Deprecation`/`Sunset` headers and a
    /// warning is audited.
    pub warn_from: Option<i64>,
    /// What integrators read in every warning and refusal.
    pub message: String,
    pub migration_url: Option<String>,
    /// Windows before the sunset in which legacy clients are refused already.
    pub brownouts: Vec<Brownout>,
    pub updated_at: i64,
}

// core/src/domain/mod.rs

/// JWS algorithm a tenant signs access tokens with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub enum SigningAlg {
    ES256,
    EdDSA,
    RS256,
}

// core/src/domain/settings.rs

/// How the tenant's login, consent, account and console pages look.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, ToSchema)]
pub struct Branding {
    /// Shown instead of the tenant's slug.
    #[serde(default)]
    pub display_name: Option<String>,
    /// An https image URL; the pages' CSP admits exactly its origin.
    #[serde(default)]
    pub logo_url: Option<String>,
    /// `#rrggbb`: the header bar and primary buttons.
    #[serde(default)]
    pub accent_color: Option<String>,
    /// Where people get help: https URL or `mailto:`.
    #[serde(default)]
    pub support_url: Option<String>,
}

/// Who may install apps from the catalog (Procore's "Allow User Installs").
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserInstalls {
    /// Only the tenant's admins install apps.
    #[default]
    Admins,
    /// Users ask; an admin approves or declines in the console.
    Request,
    /// Users install apps whose every permission is one they hold
    /// themselves (a scope the tenant offers its users); others they request.
    Permitted,
}

/// Everything a tenant sets for itself.
#[derive(Clone, Debug, Default, Serialize, PartialEq, ToSchema)]
pub struct TenantSettings {
    #[serde(flatten)]
    pub branding: Branding,
    pub user_installs: UserInstalls,
    /// An IANA time zone (`Europe/Helsinki`) the console shows times in;
    /// unset is UTC.
    pub time_zone: Option<String>,
}

// Values read and written by hand (`serde_json::Value` fields that take
// either form; `Selection`, which serialises itself).

/// A moment as an operator writes it: Unix seconds or an RFC 3339 date-time.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Instant {
    Unix(i64),
    Rfc3339(String),
}

/// An installation's resources: `"all"` (now and later) or, per resource
/// type, the ids selected.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Selection {
    All(AllResources),
    Some(std::collections::BTreeMap<String, Vec<String>>),
}

#[derive(Serialize, ToSchema)]
pub enum AllResources {
    #[serde(rename = "all")]
    All,
}

// core/src/legacy.rs

/// The policy as an operator writes it (times as Unix seconds or RFC 3339).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    #[schema(value_type = Instant)]
    pub sunset_at: Value,
    #[serde(default)]
    #[schema(value_type = Option<Instant>)]
    pub warn_from: Option<Value>,
    pub message: String,
    #[serde(default)]
    pub migration_url: Option<String>,
    /// At most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub brownouts: Vec<BrownoutRequest>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrownoutRequest {
    #[schema(value_type = Instant)]
    pub from: Value,
    #[schema(value_type = Instant)]
    pub until: Value,
}

/// Who still uses legacy credentials, by tenant.
#[derive(Serialize, ToSchema)]
pub struct LegacyReport {
    /// `null` until an operator sets one.
    pub policy: Option<LegacyPolicy>,
    pub tenants: Vec<LegacyTenant>,
}

#[derive(Serialize, ToSchema)]
pub struct LegacyTenant {
    pub tenant: String,
    pub exempt_until: Option<i64>,
    /// Some legacy client of the tenant was used in the last 30 days.
    pub still_used: bool,
    pub clients: Vec<LegacyClientUse>,
}

#[derive(Serialize, ToSchema)]
pub struct LegacyClientUse {
    pub client_id: String,
    pub name: String,
    pub replaced_by: Option<String>,
    /// The tenant has installed the app that replaces it.
    pub replacement_installed: bool,
    pub uses_30d: i64,
    pub last_used_at: Option<i64>,
    pub marked_at: i64,
}

// core/src/store/apps.rs

/// A tenant's resource installations can be scoped to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    #[serde(rename = "type")]
    #[schema(pattern = r"^[a-z0-9_-]{1,64}$")]
    pub kind: String,
    /// The id the platform knows it by: 1-200 printable characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub id: String,
    /// What admins see: 1-200 characters, not all blank.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
}

// core/src/store/legacy.rs

/// A client marked legacy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct LegacyClient {
    pub client_id: String,
    pub tenant: String,
    /// The app that replaces it, if any.
    pub replaced_by: Option<String>,
    pub marked_at: i64,
}

/// A tenant allowed to keep its legacy credentials until `until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Exemption {
    pub tenant: String,
    pub until: i64,
    pub reason: String,
    pub created_at: i64,
}

// core/src/store/mod.rs

/// A registered plugin version. The wasm itself is stored once per sha256.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PluginRecord {
    pub name: String,
    pub version: i64,
    pub sha256: String,
    pub hook: String,
    pub created_at: i64,
    /// The `warden:plugin@…` package it was built against.
    pub wit: String,
}

/// A plugin bound to one of a tenant's hooks (or, for `PLATFORM`, the default).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Binding {
    pub tenant: String,
    pub hook: String,
    pub plugin_name: String,
    pub plugin_version: i64,
    /// JSON passed to every call.
    pub config: String,
    pub deadline_ms: Option<i64>,
    pub memory_mib: Option<i64>,
    pub created_at: i64,
}

/// One HTTP delivery in the outbox. `request` (headers and body, which may
/// carry a client secret) is sealed under the master key and dropped once the
/// delivery is finished.
#[derive(Clone, Serialize, ToSchema)]
pub struct Delivery {
    /// Also the `Idempotency-Key` the receiver sees.
    pub id: String,
    pub event_id: String,
    /// `credentials.created`, `credentials.rotated` or `credentials.revoked`.
    pub event: String,
    pub tenant: String,
    pub client_id: String,
    pub url: String,
    #[serde(skip)]
    pub request: Option<Vec<u8>>,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// Set for an app's lifecycle event: signed with the app's Standard
    /// Webhooks secret instead of the tenant's `Warden-Signature` secret.
    pub app: Option<String>,
    /// An installation's events go out in `sequence` order.
    pub installation_id: Option<String>,
    pub sequence: Option<i64>,
}

/// Something an operator or tenant admin may need to look back on.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub tenant: String,
    /// e.g. `delivery.dead_lettered`, `delivery.plugin_failed`.
    pub action: String,
    /// A JSON object, never holding a secret.
    pub detail: String,
    pub created_at: i64,
}

// core/src/usage.rs

/// The report's JSON: one entry per day, oldest first, and totals.
/// An installation's use, day by day (UTC) and in total.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageReport {
    pub installation: String,
    /// Oldest first, every day listed.
    pub days: Vec<UsageDay>,
    pub totals: UsageTotals,
    pub last_token_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub tokens: i64,
    /// Token requests refused (quota, suspension, policy).
    pub denied: i64,
    /// AuthZEN evaluations answered.
    pub evaluations: i64,
    /// Token and permission decisions the tenant's plugins let the server
    /// reuse, answered without calling them (`cache-for`).
    pub decisions_reused: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageTotals {
    pub tokens: i64,
    pub denied: i64,
    pub evaluations: i64,
    pub decisions_reused: i64,
}
