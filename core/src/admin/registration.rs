//! RFC 7591 dynamic client registration and RFC 7592 management, for a
//! tenant that turned it on: the metadata checked, the tenant's
//! registration-policy plugin asked (it may refuse or narrow), the client
//! made by the one `create_client` with its audit record.

use super::{Admin, AdminError, IssuedSecret};
use crate::domain::client_metadata as fields;
use crate::domain::resource_server::registrable_scopes;
use crate::domain::{Client, NewClient, Scope, validate_redirect_uri};
use crate::plugins::registration_policy::{
    RegistrationKind, RegistrationReview, RegistrationVerdict,
};
use crate::plugins::{CallContext, Hook, Limits};
use crate::store::{AuditEvent, StoreError};
use crate::tokens::secret;
use serde_json::{Map, Value, json};

/// Prefix of registration access tokens, for secret scanners.
const TOKEN_PREFIX: &str = "wrg_";
/// Who the audit trail names for a client's own registration.
pub const REGISTRATION_ACTOR: &str = "registration";
/// The grant types a client may register for itself.
const GRANTS: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    crate::oauth::device::DEVICE_CODE_GRANT,
];
const AUTH_METHODS: &[&str] = &[
    "none",
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
];
const MAX_REDIRECT_URIS: usize = 10;

/// Why a registration is refused, as RFC 7591 §3.2.2 names it.
#[derive(Debug)]
pub enum RegistrationError {
    /// The tenant does not take registrations.
    Off,
    InvalidRedirectUri(String),
    InvalidMetadata(String),
    /// The tenant's policy refused, saying why.
    Denied(String),
    Admin(AdminError),
}

impl From<AdminError> for RegistrationError {
    fn from(e: AdminError) -> Self {
        RegistrationError::Admin(e)
    }
}

impl From<StoreError> for RegistrationError {
    fn from(e: StoreError) -> Self {
        RegistrationError::Admin(e.into())
    }
}

/// A registered client and what only this answer shows.
pub struct Registered {
    pub client: Client,
    pub secret: Option<IssuedSecret>,
    pub registration_access_token: String,
}

/// The metadata a client sent, checked (RFC 7591 §2).
struct Asked {
    name: String,
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    scopes: Vec<String>,
    auth_method: String,
    jwks: Option<Value>,
    kept: Map<String, Value>,
    all: Value,
}

impl Admin {
    /// Registers a client that describes itself with `metadata`, coming
    /// from `source` (its address).
    pub async fn register_client(
        &self,
        tenant: &str,
        metadata: Value,
        source: &str,
        now: i64,
    ) -> Result<Registered, RegistrationError> {
        let t = self
            .store
            .tenant(tenant)
            .await?
            .ok_or(StoreError::NotFound("tenant"))?;
        if !t.dynamic_registration {
            return Err(RegistrationError::Off);
        }
        let offered = self.registrable_scopes(tenant).await?;
        let asked = parse(metadata, &offered)?;
        let asked = self.policed(tenant, asked, None, source, now).await?;
        let token = secret::generate(TOKEN_PREFIX, &self.rng);
        let scope = Scope::from_valid(asked.scopes.iter().cloned());
        let new = NewClient {
            tenant: tenant.to_string(),
            name: asked.name,
            grant_types: asked.grant_types,
            scopes: scope.clone(),
            default_scopes: Some(scope),
            resources: vec![],
            access_token_ttl: None,
            metadata: Value::Object(asked.kept),
            redirect_uris: asked.redirect_uris,
            post_logout_redirect_uris: vec![],
            public: asked.auth_method == "none",
            jwks: asked.jwks,
            require_pushed_authorization_requests: false,
            dpop_bound_access_tokens: false,
            authorization_details_types: vec![],
        };
        let (client, secret) = self
            .create_client_as(
                new,
                Some(("dynamic", secret::hash(&token))),
                REGISTRATION_ACTOR,
                now,
            )
            .await
            .map_err(|e| match e {
                AdminError::Invalid(m) => RegistrationError::InvalidMetadata(m),
                e => RegistrationError::Admin(e),
            })?;
        Ok(Registered {
            client,
            secret,
            registration_access_token: token,
        })
    }

    /// RFC 7592 §2.2: replaces a self-registered client's metadata with
    /// `metadata` (checked and passed through the policy as a registration
    /// is); its client_id and authentication method cannot change.
    pub async fn update_registration(
        &self,
        client: &Client,
        metadata: Value,
        source: &str,
        now: i64,
    ) -> Result<Client, RegistrationError> {
        let bad = RegistrationError::InvalidMetadata;
        if metadata.get("client_id").and_then(Value::as_str) != Some(client.client_id.as_str()) {
            return Err(bad("the update must name the client's own client_id".into()));
        }
        for field in [
            "registration_access_token",
            "registration_client_uri",
            "client_id_issued_at",
            "client_secret_expires_at",
            "client_secret",
        ] {
            if metadata.get(field).is_some() {
                return Err(bad(format!("{field} cannot be sent in an update")));
            }
        }
        let offered = self.registrable_scopes(&client.tenant).await?;
        let asked = parse(metadata, &offered)?;
        // Basic and post are one kind: a secret.
        let asked_kind = match asked.auth_method.as_str() {
            "client_secret_post" => "client_secret_basic",
            m => m,
        };
        if asked_kind != auth_method(client) {
            return Err(bad(
                "token_endpoint_auth_method cannot change; register a new client".into(),
            ));
        }
        let asked = self
            .policed(&client.tenant, asked, Some(&client.client_id), source, now)
            .await?;
        let scope = Scope::from_valid(asked.scopes.iter().cloned());
        let updated = Client {
            name: asked.name,
            grant_types: asked.grant_types,
            scopes: scope.clone(),
            default_scopes: scope,
            redirect_uris: asked.redirect_uris,
            metadata: Value::Object(asked.kept),
            ..client.clone()
        };
        let audit = AuditEvent::new(
            &client.tenant,
            "client.updated",
            json!({
                "client_id": updated.client_id, "name": updated.name, "actor": REGISTRATION_ACTOR,
                "registration": updated.registration, "redirect_uris": updated.redirect_uris,
                "grant_types": updated.grant_types, "scopes": updated.scopes.to_string(),
            }),
            now,
        );
        self.store.update_client_metadata(&updated, &audit).await?;
        Ok(updated)
    }

    /// What the tenant's registration policy, if one is bound, leaves of a
    /// registration (`client_id`: the client being updated, if one is).
    async fn policed(
        &self,
        tenant: &str,
        mut asked: Asked,
        client_id: Option<&str>,
        source: &str,
        now: i64,
    ) -> Result<Asked, RegistrationError> {
        let Some(verdict) = self
            .review_registration(tenant, &asked, client_id, source, now)
            .await?
        else {
            return Ok(asked);
        };
        match verdict {
            RegistrationVerdict::Deny { reason } => Err(RegistrationError::Denied(reason)),
            RegistrationVerdict::Allow {
                redirect_uris,
                grant_types,
                scopes,
            } => {
                asked.redirect_uris = redirect_uris;
                asked.grant_types = grant_types;
                asked.scopes = scopes;
                check_grants(&asked).map_err(|e| {
                    RegistrationError::Denied(format!(
                        "this tenant's registration policy left the client unusable: {e}"
                    ))
                })?;
                Ok(asked)
            }
        }
    }

    /// RFC 7592: the self-registered client `client_id`, if `token` is its
    /// registration access token (compared in constant time).
    pub async fn registered_client(
        &self,
        tenant: &str,
        client_id: &str,
        token: &str,
    ) -> Result<Option<Client>, RegistrationError> {
        let Some(client) = self.store.client(client_id).await? else {
            return Ok(None);
        };
        let presented = secret::hash(token);
        let matches = client
            .registration_token_hash
            .is_some_and(|h| bool::from(subtle::ConstantTimeEq::ct_eq(&h[..], &presented[..])));
        Ok((client.tenant == tenant && matches).then_some(client))
    }

    /// Scopes a client may register for (one rule with metadata documents).
    async fn registrable_scopes(&self, tenant: &str) -> Result<Vec<String>, StoreError> {
        let resources = self.store.resource_servers(tenant).await?;
        let described = self.store.scope_descriptions(tenant).await?;
        Ok(registrable_scopes(
            &resources,
            described.into_iter().map(|(s, _)| s),
        ))
    }

    /// The tenant's registration policy's verdict; none without one bound.
    /// A plugin that fails refuses the registration (fail closed).
    async fn review_registration(
        &self,
        tenant: &str,
        asked: &Asked,
        client_id: Option<&str>,
        source: &str,
        now: i64,
    ) -> Result<Option<RegistrationVerdict>, RegistrationError> {
        let row = crate::store::effective_bindings(&*self.store, tenant)
            .await?
            .into_iter()
            .find(|r| r.binding.hook == Hook::RegistrationPolicy.as_str());
        let Some(row) = row else {
            return Ok(None);
        };
        let b = &row.binding;
        let context = CallContext {
            plugin: format!("{}@{}", b.plugin_name, b.plugin_version),
            sha256: row.sha256.clone(),
            tenant: tenant.into(),
            redact: None,
        };
        let review = RegistrationReview {
            kind: RegistrationKind::Dynamic,
            tenant: tenant.into(),
            client_id: client_id.map(str::to_string),
            client_name: Some(asked.name.clone()),
            redirect_uris: asked.redirect_uris.clone(),
            grant_types: asked.grant_types.clone(),
            scopes: asked.scopes.clone(),
            token_endpoint_auth_method: asked.auth_method.clone(),
            metadata: asked.all.clone(),
            source: source.into(),
            request_time: now,
        };
        let verdict = match self.bound_plugin(&row.sha256).await {
            Ok(plugin) => {
                let limits = Limits::for_binding(&plugin, b.deadline_ms, b.memory_mib);
                self.plugins
                    .review_registration(&plugin, context.clone(), limits, &review, &b.config)
                    .await
            }
            Err(e) => Err(e),
        };
        match verdict {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                let detail = json!({"client_name": asked.name, "source": source});
                Err(RegistrationError::Admin(
                    self.plugin_failed(Hook::RegistrationPolicy, &context, &e, detail, now)
                        .await,
                ))
            }
        }
    }
}

/// RFC 7591 §2 metadata, checked; defaults filled in.
fn parse(metadata: Value, offered: &[String]) -> Result<Asked, RegistrationError> {
    let bad = RegistrationError::InvalidMetadata;
    let Value::Object(m) = &metadata else {
        return Err(bad("the registration must be a JSON object".into()));
    };
    let redirect_uris = fields::strings(m, "redirect_uris")
        .map_err(bad)?
        .unwrap_or_default();
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(RegistrationError::InvalidRedirectUri(format!(
            "at most {MAX_REDIRECT_URIS} redirect_uris"
        )));
    }
    for uri in &redirect_uris {
        validate_redirect_uri(uri).map_err(RegistrationError::InvalidRedirectUri)?;
    }
    let grant_types = fields::strings(m, "grant_types")
        .map_err(bad)?
        .unwrap_or_else(|| vec!["authorization_code".to_string()]);
    if let Some(g) = grant_types.iter().find(|g| !GRANTS.contains(&g.as_str())) {
        return Err(bad(format!(
            "grant type {g:?} cannot be registered here (offered: {})",
            GRANTS.join(", ")
        )));
    }
    if fields::strings(m, "response_types")
        .map_err(bad)?
        .is_some_and(|r| r.iter().any(|t| t != "code"))
    {
        return Err(bad("only the response type code is offered".into()));
    }
    let (auth_method, jwks) = authentication(m).map_err(bad)?;
    let scopes = match fields::text(m, "scope").map_err(bad)? {
        None => vec!["openid".to_string()],
        Some(s) => Scope::parse(&s)
            .map_err(|e| bad(e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect(),
    };
    if let Some(s) = scopes.iter().find(|s| !offered.contains(s)) {
        return Err(bad(format!("scope {s} is not offered by this tenant")));
    }
    let asked = Asked {
        name: fields::client_name(m, "Registered client").map_err(bad)?,
        redirect_uris,
        grant_types,
        scopes,
        auth_method,
        jwks,
        kept: fields::kept(m),
        all: metadata.clone(),
    };
    check_grants(&asked).map_err(|e| match e {
        GrantProblem::NoRedirect(m) => RegistrationError::InvalidRedirectUri(m),
        GrantProblem::Other(m) => bad(m),
    })?;
    Ok(asked)
}

/// `token_endpoint_auth_method` (default `client_secret_basic`) and the
/// `jwks` that `private_key_jwt`, and only it, needs.
fn authentication(m: &Map<String, Value>) -> Result<(String, Option<Value>), String> {
    let method = fields::text(m, "token_endpoint_auth_method")?
        .unwrap_or_else(|| "client_secret_basic".into());
    if !AUTH_METHODS.contains(&method.as_str()) {
        return Err(format!(
            "token_endpoint_auth_method {method:?} is not offered (offered: {})",
            AUTH_METHODS.join(", ")
        ));
    }
    if m.contains_key("jwks_uri") {
        return Err("jwks_uri is not supported: send the public keys as jwks".into());
    }
    let jwks = m.get("jwks").filter(|j| !j.is_null()).cloned();
    if (method == "private_key_jwt") != jwks.is_some() {
        return Err(
            "private_key_jwt needs jwks (the client's public keys), and jwks needs private_key_jwt"
                .into(),
        );
    }
    Ok((method, jwks))
}

enum GrantProblem {
    NoRedirect(String),
    Other(String),
}

impl std::fmt::Display for GrantProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GrantProblem::NoRedirect(m) | GrantProblem::Other(m) => f.write_str(m),
        }
    }
}

/// What must hold of the grants together, before and after a policy.
fn check_grants(a: &Asked) -> Result<(), GrantProblem> {
    if a.grant_types.is_empty() {
        return Err(GrantProblem::Other("no grant type is left".into()));
    }
    let has = |g: &str| a.grant_types.iter().any(|x| x == g);
    if has("authorization_code") && a.redirect_uris.is_empty() {
        return Err(GrantProblem::NoRedirect(
            "the authorization_code grant needs redirect_uris".into(),
        ));
    }
    if has("client_credentials") && a.auth_method == "none" {
        return Err(GrantProblem::Other(
            "a client without credentials (token_endpoint_auth_method none) cannot use client_credentials"
                .into(),
        ));
    }
    Ok(())
}

/// The RFC 7591 §3.2.1 answer (and the RFC 7592 read): the client's
/// metadata as registered, with what only registration shows.
/// How a registered client authenticates at the token endpoint.
fn auth_method(client: &Client) -> &'static str {
    if client.public {
        "none"
    } else if client.jwks.is_some() {
        "private_key_jwt"
    } else {
        "client_secret_basic"
    }
}

pub fn client_information(
    client: &Client,
    issuer: &str,
    secret: Option<&IssuedSecret>,
    registration_access_token: Option<&str>,
) -> Value {
    let method = auth_method(client);
    let mut v = json!({
        "client_id": client.client_id,
        "client_id_issued_at": client.created_at,
        "client_name": client.name,
        "redirect_uris": client.redirect_uris,
        "grant_types": client.grant_types,
        "response_types": if client.allows_grant("authorization_code") { vec!["code"] } else { vec![] },
        "token_endpoint_auth_method": method,
        "scope": client.scopes.to_string(),
        "registration_client_uri": format!("{issuer}/register/{}", client.client_id),
    });
    if let Some(jwks) = &client.jwks {
        v["jwks"] = jwks.clone();
    }
    if let Value::Object(kept) = &client.metadata {
        for (k, value) in kept {
            v[k] = value.clone();
        }
    }
    if let Some(s) = secret {
        v["client_secret"] = s.0.clone().into();
        v["client_secret_expires_at"] = 0.into();
    }
    if let Some(t) = registration_access_token {
        v["registration_access_token"] = t.into();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered() -> Vec<String> {
        ["openid", "read"].iter().map(|s| s.to_string()).collect()
    }

    fn refused(m: Value) -> String {
        match parse(m, &offered()) {
            Err(RegistrationError::InvalidMetadata(e)) => format!("metadata: {e}"),
            Err(RegistrationError::InvalidRedirectUri(e)) => format!("redirect: {e}"),
            Err(e) => format!("{e:?}"),
            Ok(_) => "accepted".into(),
        }
    }

    #[test]
    fn defaults_and_refusals_follow_rfc_7591() {
        let a = parse(
            json!({"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none",
                   "client_uri": "https://tool.example", "extra": 1}),
            &offered(),
        )
        .unwrap();
        assert_eq!(a.grant_types, vec!["authorization_code"]);
        assert_eq!(a.scopes, vec!["openid"]);
        assert_eq!(a.name, "Registered client");
        assert!(a.kept.contains_key("client_uri") && !a.kept.contains_key("extra"));
        assert!(refused(json!([])).contains("JSON object"));
        assert!(refused(json!({})).starts_with("redirect: "));
        assert!(refused(json!({"redirect_uris": ["https://a.test/#f"]})).starts_with("redirect: "));
        assert!(refused(json!({"redirect_uris": "https://a.test/cb"})).contains("array"));
        assert!(refused(json!({"grant_types": ["password"]})).contains("password"));
        assert!(
            refused(json!({"grant_types": ["client_credentials"], "scope": "admin"}))
                .contains("admin")
        );
        assert!(
            refused(
                json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"})
            )
            .contains("cannot use client_credentials")
        );
        assert!(
            refused(json!({"grant_types": ["client_credentials"], "jwks_uri": "https://k"}))
                .contains("jwks_uri")
        );
        assert!(
            refused(json!({"redirect_uris": ["https://a.test/cb"], "response_types": ["token"]}))
                .contains("code")
        );
        assert_eq!(
            refused(json!({"grant_types": ["client_credentials"], "scope": "read"})),
            "accepted"
        );
    }
}
