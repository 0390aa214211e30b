//! OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-
//! document, the registration the MCP authorization spec prefers): where a
//! tenant allows them, a `client_id` that is an https URL names a JSON
//! document describing the client, which the server fetches — never from a
//! private, loopback or link-local address (checked after DNS resolution,
//! and the connection pinned to the addresses checked), with a short
//! time-out, a size cap and no redirect to another host — caches by its
//! HTTP caching headers, and passes through the tenant's registration
//! policy. Its redirect URIs are matched exactly.

use super::{ErrorCode, OAuth, OAuthError};
use crate::directory::TenantEntry;
use crate::domain::client_metadata as fields;
use crate::domain::resource_server::registrable_scopes;
use crate::domain::{Client, Scope, validate_redirect_uri};
use crate::plugins::registration_policy::{
    RegistrationKind, RegistrationReview, RegistrationVerdict,
};
use serde_json::Value;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The draft's advice: documents are small.
const MAX_BYTES: usize = 5 * 1024;
const TIMEOUT: Duration = Duration::from_secs(5);
/// Same-host redirects followed; another host's is refused.
const MAX_REDIRECTS: usize = 3;
/// Cache lifetimes, whatever the document's headers say.
const MIN_CACHE: u64 = 60;
const MAX_CACHE: u64 = 24 * 3600;
/// Without caching headers.
const DEFAULT_CACHE: u64 = 300;
const MAX_ENTRIES: usize = 10_000;

/// A refused document is not fetched again for this long: a flood of
/// sign-in links naming it costs one fetch a minute.
const REFUSED_CACHE: u64 = 60;

/// A document's client, or why it was refused (`invalid_client`'s words).
type Outcome = Result<Arc<Client>, String>;

/// Documents fetched on this replica, by tenant and URL, until they go stale.
#[derive(Default)]
pub struct Documents {
    entries: Mutex<HashMap<(String, String), (Outcome, Instant)>>,
    /// Loopback addresses allowed (tests and local development only).
    pub allow_loopback: bool,
}

impl Documents {
    pub fn new(allow_loopback: bool) -> Self {
        Documents {
            entries: Mutex::default(),
            allow_loopback,
        }
    }

    fn cached(&self, tenant: &str, url: &str) -> Option<Outcome> {
        let entries = self.entries.lock().expect("documents lock");
        entries
            .get(&(tenant.to_string(), url.to_string()))
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(c, _)| c.clone())
    }

    /// Keeps `outcome` for `seconds` (none: `no-store`, fetched at each use).
    fn keep(&self, tenant: &str, url: &str, outcome: Outcome, seconds: u64) {
        if seconds == 0 {
            return;
        }
        let mut entries = self.entries.lock().expect("documents lock");
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, until)| Instant::now() < *until);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        let until = Instant::now() + Duration::from_secs(seconds.clamp(MIN_CACHE, MAX_CACHE));
        entries.insert((tenant.to_string(), url.to_string()), (outcome, until));
    }
}

/// Whether `client_id` is the kind of URL a metadata document lives at.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// The draft's §3 rules for the URL: https (http only for loopback where
/// allowed), a path, no fragment, query, credentials or dot segments.
fn check_url(client_id: &str, allow_loopback: bool) -> Result<url::Url, String> {
    let url =
        url::Url::parse(client_id).map_err(|_| format!("client_id {client_id:?} is not a URL"))?;
    let loopback_http = url.scheme() == "http" && allow_loopback;
    if url.scheme() != "https" && !loopback_http {
        return Err("a client ID metadata document must be served over https".into());
    }
    let raw_path = client_id
        .split_once("://")
        .map(|(_, rest)| rest.split_once('/').map_or("", |(_, p)| p))
        .unwrap_or("");
    let dot_segment = raw_path.split('/').any(|s| {
        s == "." || s == ".." || s.eq_ignore_ascii_case("%2e") || s.eq_ignore_ascii_case("%2e%2e")
    });
    if url.path() == "/"
        || url.fragment().is_some()
        || url.query().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
        || dot_segment
        || url.as_str() != client_id
    {
        return Err(
            "a client ID metadata document's URL needs a path and no query, fragment, credentials or dot segments"
                .into(),
        );
    }
    Ok(url)
}

/// Addresses no fetch may reach: private, loopback (unless allowed),
/// link-local, unspecified, multicast, documentation and shared ranges.
fn forbidden(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            (v4.is_loopback() && !allow_loopback)
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden(IpAddr::V4(v4), allow_loopback);
            }
            let s = v6.segments();
            (v6.is_loopback() && !allow_loopback)
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0xdb8)
        }
    }
}

/// Fetches the document at `url` as the rules above say; the JSON and the
/// seconds it may be cached.
async fn fetch(url: &url::Url, allow_loopback: bool) -> Result<(Value, u64), String> {
    let deadline = Instant::now() + TIMEOUT;
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let response = get_pinned(&url, allow_loopback, deadline).await?;
        if response.status().is_redirection() {
            let next = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or("the document redirects nowhere")?;
            if next.host_str() != url.host_str() || next.scheme() != url.scheme() {
                return Err("the document redirects to another host".into());
            }
            url = next;
            continue;
        }
        if !response.status().is_success() {
            return Err(format!(
                "the document's server answered {}",
                response.status().as_u16()
            ));
        }
        let max_age = cache_seconds(response.headers());
        let body = read_capped(response, deadline).await?;
        let json = serde_json::from_slice(&body).map_err(|_| "the document is not JSON")?;
        return Ok((json, max_age));
    }
    Err("the document redirects too often".into())
}

/// GET `url`, connecting only to addresses checked after resolving its host.
async fn get_pinned(
    url: &url::Url,
    allow_loopback: bool,
    deadline: Instant,
) -> Result<reqwest::Response, String> {
    let host = url.host_str().ok_or("the URL has no host")?.to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let left = deadline.saturating_duration_since(Instant::now());
    let unresolved = || format!("the document's host {host} does not resolve");
    let addrs: Vec<std::net::SocketAddr> =
        tokio::time::timeout(left, tokio::net::lookup_host((host.as_str(), port)))
            .await
            .map_err(|_| "the document's host did not resolve in time".to_string())?
            .map_err(|_| unresolved())?
            .collect();
    if addrs.is_empty() {
        return Err(unresolved());
    }
    if let Some(a) = addrs.iter().find(|a| forbidden(a.ip(), allow_loopback)) {
        return Err(format!(
            "the document's host resolves to {}, which is not fetched from",
            a.ip()
        ));
    }
    // Connect only to the addresses just checked (no second lookup).
    let client = crate::outbound::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(deadline.saturating_duration_since(Instant::now()))
        .resolve_to_addrs(&host, &addrs)
        .build()
        .map_err(|e| format!("cannot fetch: {e}"))?;
    client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| match e.is_timeout() {
            true => "the document did not arrive in time".to_string(),
            false => "the document could not be fetched".to_string(),
        })
}

/// The body, refused past `MAX_BYTES` (however it is sent) or the deadline.
async fn read_capped(
    mut response: reqwest::Response,
    deadline: Instant,
) -> Result<Vec<u8>, String> {
    let too_large = || format!("the document is larger than {MAX_BYTES} bytes");
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        let chunk = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            response.chunk(),
        )
        .await
        .map_err(|_| "the document did not arrive in time".to_string())?
        .map_err(|_| "the document could not be read".to_string())?;
        let Some(chunk) = chunk else {
            return Ok(body);
        };
        if body.len() + chunk.len() > MAX_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
}

/// RFC 9111: `no-store`/`no-cache` keep it the least; `max-age` as given.
fn cache_seconds(headers: &reqwest::header::HeaderMap) -> u64 {
    let Some(cc) = headers
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    else {
        return DEFAULT_CACHE;
    };
    let directives: Vec<String> = cc
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|d| d == "no-store" || d == "no-cache")
    {
        return 0;
    }
    directives
        .iter()
        .find_map(|d| d.strip_prefix("max-age=").and_then(|s| s.parse().ok()))
        .unwrap_or(DEFAULT_CACHE)
}

/// The document's metadata checked (draft §4): a public client of this URL.
struct Described {
    name: String,
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    scopes: Vec<String>,
    kept: serde_json::Map<String, Value>,
    all: Value,
}

fn describe(doc: &Value, client_id: &str, offered: &[String]) -> Result<Described, String> {
    let m = doc.as_object().ok_or("the document is not a JSON object")?;
    if m.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err("the document's client_id is not the URL it was fetched from".into());
    }
    if m.contains_key("client_secret") || m.contains_key("client_secret_expires_at") {
        return Err("a client ID metadata document must not carry a client_secret".into());
    }
    match fields::text(m, "token_endpoint_auth_method")?.as_deref() {
        None | Some("none") => {}
        Some(other) => {
            return Err(format!(
                "token_endpoint_auth_method {other:?} is not supported here: use none"
            ));
        }
    }
    let redirect_uris = fields::strings(m, "redirect_uris")?.unwrap_or_default();
    if redirect_uris.is_empty() || redirect_uris.len() > 10 {
        return Err("the document needs 1-10 redirect_uris".into());
    }
    for uri in &redirect_uris {
        validate_redirect_uri(uri)?;
    }
    let grant_types =
        fields::strings(m, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grant_types
        .iter()
        .find(|g| !["authorization_code", "refresh_token"].contains(&g.as_str()))
    {
        return Err(format!(
            "grant type {g:?} is not offered to a metadata-document client"
        ));
    }
    let scopes: Vec<String> = match fields::text(m, "scope")? {
        None => vec!["openid".into()],
        Some(s) => Scope::parse(&s)
            .map_err(|e| e.to_string())?
            .iter()
            .filter(|s| offered.iter().any(|o| o == s))
            .map(str::to_string)
            .collect(),
    };
    Ok(Described {
        name: fields::client_name(m, client_id)?,
        redirect_uris,
        grant_types,
        scopes,
        kept: fields::kept(m),
        all: doc.clone(),
    })
}

impl OAuth {
    /// The client `client_id` names in `tenant`: a registered one, or where
    /// the tenant allows them, the one its metadata document describes.
    /// `Err` says why a document was refused; `Ok(None)`: no such client.
    pub async fn client_of(
        &self,
        tenant: &TenantEntry,
        client_id: &str,
    ) -> Result<Option<Arc<Client>>, OAuthError> {
        if tenant.tenant.client_id_metadata_documents && is_document_url(client_id) {
            return self.document_client(tenant, client_id).await.map(Some);
        }
        Ok(self
            .directory
            .client(client_id)
            .await?
            .filter(|c| c.tenant == tenant.tenant.slug))
    }

    async fn document_client(
        &self,
        tenant: &TenantEntry,
        client_id: &str,
    ) -> Result<Arc<Client>, OAuthError> {
        let slug = &tenant.tenant.slug;
        match self.documents.cached(slug, client_id) {
            Some(Ok(c)) => return Ok(c),
            Some(Err(said)) => return Err(OAuthError::new(ErrorCode::InvalidClient, said)),
            None => {}
        }
        match self.fetched_client(tenant, client_id).await {
            Ok((client, max_age)) => {
                self.documents
                    .keep(slug, client_id, Ok(client.clone()), max_age);
                Ok(client)
            }
            Err(e) if e.code == ErrorCode::InvalidClient => {
                let said = e.description.to_string();
                self.documents
                    .keep(slug, client_id, Err(said), REFUSED_CACHE);
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// The client a document describes, fetched now, and how long to keep it.
    async fn fetched_client(
        &self,
        tenant: &TenantEntry,
        client_id: &str,
    ) -> Result<(Arc<Client>, u64), OAuthError> {
        let slug = &tenant.tenant.slug;
        let url = check_url(client_id, self.documents.allow_loopback)
            .map_err(|why| refused(slug, client_id, why))?;
        let (doc, max_age) = fetch(&url, self.documents.allow_loopback)
            .await
            .map_err(|why| refused(slug, client_id, why))?;
        let described = self.store.scope_descriptions(slug).await?;
        let offered = registrable_scopes(&tenant.resources, described.into_iter().map(|(s, _)| s));
        let d = describe(&doc, client_id, &offered).map_err(|why| refused(slug, client_id, why))?;
        let d = self.reviewed(tenant, client_id, &url, d).await?;
        Ok((
            Arc::new(d.into_client(client_id, slug, self.clock.now())),
            max_age,
        ))
    }

    /// What the tenant's registration policy, if one is bound, leaves of it.
    async fn reviewed(
        &self,
        tenant: &TenantEntry,
        client_id: &str,
        url: &url::Url,
        mut d: Described,
    ) -> Result<Described, OAuthError> {
        let slug = &tenant.tenant.slug;
        let Some(policy) = &tenant.registration_policy else {
            return Ok(d);
        };
        let review = RegistrationReview {
            kind: RegistrationKind::MetadataDocument,
            tenant: slug.clone(),
            client_id: Some(client_id.to_string()),
            client_name: Some(d.name.clone()),
            redirect_uris: d.redirect_uris.clone(),
            grant_types: d.grant_types.clone(),
            scopes: d.scopes.clone(),
            token_endpoint_auth_method: "none".into(),
            metadata: d.all.clone(),
            source: url.host_str().unwrap_or_default().to_string(),
            request_time: self.clock.now(),
        };
        let verdict = self
            .plugins
            .review_registration(
                &policy.plugin,
                policy.context(slug),
                policy.limits,
                &review,
                &policy.config,
            )
            .await;
        match verdict {
            Ok(RegistrationVerdict::Allow {
                redirect_uris,
                grant_types,
                scopes,
            }) => {
                d.redirect_uris = redirect_uris;
                d.grant_types = grant_types;
                d.scopes = scopes;
            }
            Ok(RegistrationVerdict::Deny { reason }) => {
                let why = format!("this tenant's registration policy refused it: {reason}");
                return Err(refused(slug, client_id, why));
            }
            Err(e) => {
                self.plugins
                    .record_failure(crate::plugins::Hook::RegistrationPolicy, e.kind());
                tracing::error!(tenant = %slug, kind = e.kind(), reason = %e, "registration policy failed closed");
                return Err(OAuthError::new(
                    ErrorCode::ServerError,
                    "the tenant's registration policy could not decide; the client was refused",
                ));
            }
        }
        if d.redirect_uris.is_empty() || !d.grant_types.iter().any(|g| g == "authorization_code") {
            let why = "this tenant's registration policy left it unusable".to_string();
            return Err(refused(slug, client_id, why));
        }
        Ok(d)
    }
}

impl Described {
    /// A public client of the tenant, stored nowhere.
    fn into_client(self, client_id: &str, tenant: &str, now: i64) -> Client {
        let scope = Scope::from_valid(self.scopes);
        Client {
            client_id: client_id.to_string(),
            tenant: tenant.to_string(),
            name: self.name,
            grant_types: self.grant_types,
            scopes: scope.clone(),
            default_scopes: scope,
            resources: vec![],
            access_token_ttl: None,
            secret_hash: [0; 32],
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            metadata: Value::Object(self.kept),
            created_at: now,
            redirect_uris: self.redirect_uris,
            public: true,
            post_logout_redirect_uris: vec![],
            installation: None,
            jwks: None,
            require_pushed_authorization_requests: false,
            dpop_bound_access_tokens: false,
            authorization_details_types: vec![],
            registration: Some("metadata_document".into()),
            registration_token_hash: None,
        }
    }
}

/// A refused document, logged, as the client is told.
fn refused(tenant: &str, client_id: &str, why: String) -> OAuthError {
    tracing::info!(
        tenant,
        client_id,
        why,
        "client ID metadata document refused"
    );
    OAuthError::new(
        ErrorCode::InvalidClient,
        format!("the client ID metadata document was refused: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_drafts_rules() {
        assert!(check_url("https://tool.example/client.json", false).is_ok());
        for bad in [
            "https://tool.example/",
            "https://tool.example",
            "https://tool.example/c.json#x",
            "https://tool.example/c.json?v=1",
            "https://u:p@tool.example/c.json",
            "https://tool.example/a/../c.json",
            "http://tool.example/c.json",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:4000/c.json", true).is_ok());
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_not_fetched_from() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(forbidden(ip.parse().unwrap(), false), "{ip}");
        }
        assert!(!forbidden("127.0.0.1".parse().unwrap(), true));
        assert!(!forbidden("93.184.216.34".parse().unwrap(), false));
        assert!(!forbidden("2606:2800:220:1::1".parse().unwrap(), false));
    }

    #[test]
    fn caching_follows_cache_control() {
        let h = |v: &str| {
            let mut m = reqwest::header::HeaderMap::new();
            m.insert(reqwest::header::CACHE_CONTROL, v.parse().unwrap());
            cache_seconds(&m)
        };
        assert_eq!(h("public, max-age=3600"), 3600);
        assert_eq!(h("no-store"), 0);
        assert_eq!(
            cache_seconds(&reqwest::header::HeaderMap::new()),
            DEFAULT_CACHE
        );
    }
}
