//! Apps that tenants install: the manifest an integrator publishes (what the
//! app needs), and the rules about it. Plain types, no I/O (the operations on
//! apps are in `apps/`; an installation's own types in `installation.rs`).
//! The manifest's JSON Schema is `schemas/app-manifest.schema.json`.

use serde::{Deserialize, Serialize};

/// Longest text a person reads (description, permission description).
const MAX_TEXT: usize = 2_000;
const MAX_INSTRUCTIONS: usize = 20_000;
/// Longest name, slug or URL.
const MAX_SHORT: usize = 200;
const MAX_URL: usize = 2_000;
const MAX_PERMISSIONS: usize = 200;
const MAX_RESOURCE_TYPES: usize = 20;
const MAX_DELIVERY_ORIGINS: usize = 8;

/// An app's manifest: one immutable version of what it declares.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub slug: String,
    pub name: String,
    #[serde(default)]
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
    pub access_token_ttl: Option<i64>,
    #[serde(default)]
    pub credentials: CredentialMode,
    /// The app's public keys (a JWK Set): `use: enc` encrypts pushed secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    #[serde(default)]
    pub resource_types: Vec<ResourceType>,
    pub permissions: Vec<Permission>,
    /// The app's own credential-delivery component, shaping its events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_plugin: Option<AppDeliveryPlugin>,
}

/// A credential-delivery component an integrator ships with the app (added
/// with `plugin add`, named by sha256). It builds the app's own events only,
/// sandboxed like every plugin, and its deliveries may go only to the hook's
/// origin and `origins`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AppDeliveryPlugin {
    /// The component's SHA-256, as `plugin add` printed it.
    pub sha256: String,
    /// The JSON object the plugin gets as its `config`.
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
    /// More origins (`https://host[:port]`) its deliveries may go to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
}

impl AppDeliveryPlugin {
    fn validate(&self) -> Result<(), ManifestError> {
        let hex = self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            return err(
                "delivery_plugin.sha256",
                "must be a lowercase hex sha256 of an added plugin",
            );
        }
        if !self.config.is_object() {
            return err("delivery_plugin.config", "must be a JSON object");
        }
        if self.origins.len() > MAX_DELIVERY_ORIGINS {
            return err(
                "delivery_plugin.origins",
                format!("at most {MAX_DELIVERY_ORIGINS}"),
            );
        }
        for (i, o) in self.origins.iter().enumerate() {
            let field = format!("delivery_plugin.origins[{i}]");
            web_url(&field, o, true)?;
            let u = url::Url::parse(o).or_else(|_| err(&field, "is not a URL"))?;
            if u.path() != "/" || u.query().is_some() {
                return err(field, "must be an origin: scheme://host[:port], no path");
            }
        }
        Ok(())
    }
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Publisher {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// How an installation's credentials reach the app.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CredentialMode {
    /// A per-installation client secret, sent to the hook.
    #[default]
    Push,
    /// The app authenticates with its own key (see the next issue).
    Pull,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceType {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Across the tenant (e.g. read the company directory).
    Tenant,
    /// On the selected resources of one type (e.g. the chosen projects).
    Resource,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub name: String,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    pub description: String,
    /// An optional permission is offered at install and may be left out.
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// A manifest that cannot be accepted, naming the field (`permissions[1].level`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ManifestError {
    pub field: String,
    pub message: String,
}

fn err<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T, ManifestError> {
    Err(ManifestError {
        field: field.into(),
        message: message.into(),
    })
}

impl Manifest {
    /// Parses and checks a manifest; the error names the first bad field.
    pub fn parse(json: &[u8]) -> Result<Manifest, ManifestError> {
        let de = &mut serde_json::Deserializer::from_slice(json);
        let manifest: Manifest = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.to_string();
            // serde's text ends with " at line L column C": the field says where.
            let message = match message.rfind(" at line ") {
                Some(i) if inner.line() > 0 => message[..i].to_string(),
                _ => message,
            };
            ManifestError {
                field: if field == "." {
                    "manifest".into()
                } else {
                    field
                },
                message,
            }
        })?;
        manifest.validate()?;
        Ok(manifest)
    }

    pub fn validate(&self) -> Result<(), ManifestError> {
        validate_app_slug(&self.slug).or_else(|m| err("slug", m))?;
        text("name", &self.name, 1, MAX_SHORT)?;
        text("description", &self.description, 0, MAX_TEXT)?;
        text(
            "setup_instructions",
            &self.setup_instructions,
            0,
            MAX_INSTRUCTIONS,
        )?;
        text("publisher.name", &self.publisher.name, 1, MAX_SHORT)?;
        if let Some(email) = &self.publisher.email {
            text("publisher.email", email, 3, MAX_SHORT)?;
            if !email.contains('@') {
                return err("publisher.email", "is not an e-mail address");
            }
        }
        let links = [
            ("publisher.url", &self.publisher.url),
            ("homepage_url", &self.homepage_url),
            ("logo_url", &self.logo_url),
            ("privacy_url", &self.privacy_url),
            ("terms_url", &self.terms_url),
        ];
        for (field, url) in links {
            if let Some(u) = url {
                web_url(field, u, false)?;
            }
        }
        web_url("hook_url", &self.hook_url, true)?;
        for (i, uri) in self.redirect_uris.iter().enumerate() {
            super::validate_redirect_uri(uri).or_else(|m| err(format!("redirect_uris[{i}]"), m))?;
        }
        if let Some(ttl) = self.access_token_ttl
            && !(1..=super::MAX_TOKEN_TTL).contains(&ttl)
        {
            return err(
                "access_token_ttl",
                "must be between 1 and 31536000 seconds (365 days)",
            );
        }
        if let Some(jwks) = &self.jwks {
            validate_jwks(jwks)?;
        }
        if self.credentials == CredentialMode::Pull && !self.has_signing_key() {
            return err(
                "jwks",
                "a pull app authenticates with private_key_jwt: publish a public signing key (\"use\": \"sig\")",
            );
        }
        self.validate_resource_types()?;
        if let Some(d) = &self.delivery_plugin {
            d.validate()?;
        }
        self.validate_permissions()
    }

    fn validate_resource_types(&self) -> Result<(), ManifestError> {
        if self.resource_types.len() > MAX_RESOURCE_TYPES {
            return err("resource_types", format!("at most {MAX_RESOURCE_TYPES}"));
        }
        for (i, t) in self.resource_types.iter().enumerate() {
            let field = format!("resource_types[{i}]");
            identifier(&format!("{field}.type"), &t.kind)?;
            text(&format!("{field}.name"), &t.name, 1, MAX_SHORT)?;
            if self.resource_types[..i].iter().any(|o| o.kind == t.kind) {
                return err(
                    format!("{field}.type"),
                    format!("{:?} is declared twice", t.kind),
                );
            }
        }
        Ok(())
    }

    fn validate_permissions(&self) -> Result<(), ManifestError> {
        if self.permissions.is_empty() {
            return err("permissions", "an app must ask for at least one permission");
        }
        if self.permissions.len() > MAX_PERMISSIONS {
            return err("permissions", format!("at most {MAX_PERMISSIONS}"));
        }
        for (i, p) in self.permissions.iter().enumerate() {
            let field = format!("permissions[{i}]");
            permission_name(&format!("{field}.name"), &p.name)?;
            if self.permissions[..i].iter().any(|o| o.name == p.name) {
                return err(
                    format!("{field}.name"),
                    format!("{:?} is declared twice", p.name),
                );
            }
            text(&format!("{field}.description"), &p.description, 1, MAX_TEXT)?;
            match (p.level, &p.resource_type) {
                (Level::Tenant, Some(_)) => {
                    return err(
                        format!("{field}.resource_type"),
                        "only a resource-level permission names a resource type",
                    );
                }
                (Level::Resource, None) => {
                    return err(
                        format!("{field}.resource_type"),
                        "a resource-level permission must name one of resource_types",
                    );
                }
                (Level::Resource, Some(t)) if !self.resource_types.iter().any(|r| &r.kind == t) => {
                    return err(
                        format!("{field}.resource_type"),
                        format!("{t:?} is not one of the declared resource_types"),
                    );
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether `jwks` holds a key marked for signatures (the app key).
    pub fn has_signing_key(&self) -> bool {
        self.jwks.as_ref().is_some_and(has_signing_key)
    }

    pub fn permission(&self, name: &str) -> Option<&Permission> {
        self.permissions.iter().find(|p| p.name == name)
    }

    /// The permissions an installation is granted when its admin approves
    /// this manifest with `optional` of the optional ones.
    pub fn approvable(&self, optional: &[String]) -> Result<Vec<String>, String> {
        if let Some(name) = optional.iter().find(|n| self.permission(n).is_none()) {
            return Err(format!("the app does not ask for permission {name:?}"));
        }
        Ok(self
            .permissions
            .iter()
            .filter(|p| p.required || optional.contains(&p.name))
            .map(|p| p.name.clone())
            .collect())
    }
}

fn text(field: &str, value: &str, min: usize, max: usize) -> Result<(), ManifestError> {
    let n = value.chars().count();
    if n < min {
        return err(field, "must not be empty");
    }
    if n > max {
        return err(field, format!("is longer than {max} characters"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return err(field, "contains control characters");
    }
    Ok(())
}

/// `project`, `cost-code`: lowercase, digits, `-` and `_`.
fn identifier(field: &str, value: &str) -> Result<(), ManifestError> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        err(field, "use 1-64 lowercase letters, digits, - and _")
    }
}

/// Permissions become scope tokens: `documents:write`.
fn permission_name(field: &str, value: &str) -> Result<(), ManifestError> {
    let ok = (1..=100).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_:.".contains(&b))
        && !super::is_administrative(value);
    if ok {
        Ok(())
    } else {
        err(
            field,
            "use 1-100 lowercase letters, digits, - _ : and . (and not an admin scope)",
        )
    }
}

/// An https URL; http only to a loopback host when `loopback_http`.
pub fn web_url(field: &str, value: &str, loopback_http: bool) -> Result<(), ManifestError> {
    if value.len() > MAX_URL {
        return err(field, format!("is longer than {MAX_URL} characters"));
    }
    let Ok(u) = url::Url::parse(value) else {
        return err(field, "is not a URL");
    };
    if !u.username().is_empty() || u.password().is_some() || u.fragment().is_some() {
        return err(field, "must not carry credentials or a fragment");
    }
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return err(field, "has no host"),
    };
    match u.scheme() {
        "https" => Ok(()),
        "http" if loopback_http && loopback => Ok(()),
        "http" if loopback_http => err(field, "must be https (http only to a loopback address)"),
        _ => err(field, "must be https"),
    }
}

/// Whether a JWK Set holds a key marked for signatures.
pub fn has_signing_key(jwks: &serde_json::Value) -> bool {
    jwks.get("keys")
        .and_then(|k| k.as_array())
        .is_some_and(|keys| {
            keys.iter()
                .any(|k| k.get("use").and_then(|u| u.as_str()) == Some("sig"))
        })
}

/// A JWK Set of public keys: every key has `kty`, and none is private.
pub fn validate_jwks(jwks: &serde_json::Value) -> Result<(), ManifestError> {
    let Some(keys) = jwks.get("keys").and_then(|k| k.as_array()) else {
        return err("jwks", "must be a JWK Set: {\"keys\": [...]}");
    };
    for (i, k) in keys.iter().enumerate() {
        let field = format!("jwks.keys[{i}]");
        if k.get("kty").and_then(|v| v.as_str()).is_none() {
            return err(format!("{field}.kty"), "is required");
        }
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|m| k.get(m).is_some())
        {
            return err(
                field,
                "is a private or symmetric key; publish only public keys",
            );
        }
        if let Some(u) = k.get("use")
            && !matches!(u.as_str(), Some("enc" | "sig"))
        {
            return err(format!("{field}.use"), "must be \"enc\" or \"sig\"");
        }
        // An app that marks a key for encryption gets its secrets encrypted to
        // it, never in clear: a key Warden cannot encrypt to is refused now.
        if k.get("use").and_then(|u| u.as_str()) == Some("enc") {
            match encryption_key(k) {
                Ok(Some(_)) => {}
                Ok(None) => return err(field, ENC_KEYS),
                Err(why) => return err(field, format!("{why}; {ENC_KEYS}")),
            }
        }
    }
    Ok(())
}

const ENC_KEYS: &str =
    "an encryption key must be RSA (RSA-OAEP-256, 2048 to 8192 bits), X25519 or P-256 (ECDH-ES)";

/// A public key a pushed secret can be encrypted to (RFC 7518).
#[derive(Debug, PartialEq)]
pub enum EncryptionKey {
    /// ECDH-ES to an X25519 key (RFC 8037): its 32 bytes.
    X25519(Vec<u8>),
    /// ECDH-ES to a P-256 key: the uncompressed point.
    P256(Vec<u8>),
    /// RSA-OAEP-256: the modulus and exponent, big-endian.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

/// What `k` is as an encryption key: `Ok(None)` for a kind that is not one
/// (a signing-only curve, say), `Err` for one that cannot be used as it is.
pub fn encryption_key(k: &serde_json::Value) -> Result<Option<EncryptionKey>, &'static str> {
    use base64::Engine;
    let text = |name: &str| k.get(name).and_then(|v| v.as_str());
    let bytes = |name: &str| {
        text(name).and_then(|v| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(v)
                .ok()
        })
    };
    let alg = text("alg");
    match (text("kty"), text("crv")) {
        (Some("OKP"), Some("X25519")) | (Some("EC"), Some("P-256"))
            if alg.is_some_and(|a| a != "ECDH-ES") =>
        {
            Err("its alg is not ECDH-ES")
        }
        (Some("OKP"), Some("X25519")) => match bytes("x") {
            Some(x) if x.len() == 32 => Ok(Some(EncryptionKey::X25519(x))),
            _ => Err("its x is not 32 base64url-encoded bytes"),
        },
        (Some("EC"), Some("P-256")) => match (bytes("x"), bytes("y")) {
            (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => {
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok(Some(EncryptionKey::P256(point)))
            }
            _ => Err("its x and y are not 32 base64url-encoded bytes each"),
        },
        (Some("RSA"), _) if alg.is_some_and(|a| a != "RSA-OAEP-256") => {
            Err("its alg is not RSA-OAEP-256")
        }
        (Some("RSA"), _) => {
            let (Some(n), Some(e)) = (bytes("n"), bytes("e")) else {
                return Err("its n and e are not base64url");
            };
            let n: Vec<u8> = n.into_iter().skip_while(|b| *b == 0).collect();
            let e: Vec<u8> = e.into_iter().skip_while(|b| *b == 0).collect();
            if !(256..=1024).contains(&n.len()) {
                return Err("its modulus is not 2048 to 8192 bits");
            }
            let odd = |v: &[u8]| v.last().is_some_and(|b| b & 1 == 1);
            // Exponents from 3 to 2^33 - 1, as RSA libraries accept them.
            let e_ok =
                (1..=5).contains(&e.len()) && (e.len() < 5 || e[0] == 1) && odd(&e) && e != [1];
            if !odd(&n) || !e_ok {
                return Err("its n or e is not a valid RSA public key");
            }
            Ok(Some(EncryptionKey::Rsa { n, e }))
        }
        _ => Ok(None),
    }
}

/// App slugs appear in service-account names and URLs.
pub fn validate_app_slug(slug: &str) -> Result<(), String> {
    let ok = (1..=50).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("use 1-50 lowercase letters, digits and inner hyphens".into())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A manifest like Procore's: per-project permissions and company-wide ones.
    pub(crate) fn procore() -> serde_json::Value {
        json!({
            "slug": "docs-sync",
            "name": "Docs Sync",
            "publisher": {"name": "Acme Integrations", "email": "dev@acme.example"},
            "hook_url": "https://hooks.acme.example/warden",
            "resource_types": [{"type": "project", "name": "Projects"}],
            "permissions": [
                {"name": "directory:read", "level": "tenant", "description": "Read the company directory"},
                {"name": "documents:write", "level": "resource", "resource_type": "project", "description": "Upload documents"},
                {"name": "budget:read", "level": "resource", "resource_type": "project", "description": "Read budgets", "required": false}
            ]
        })
    }

    pub(crate) fn parse(v: serde_json::Value) -> Result<Manifest, ManifestError> {
        Manifest::parse(v.to_string().as_bytes())
    }

    #[test]
    fn a_good_manifest_parses() {
        let m = parse(procore()).unwrap();
        assert_eq!(m.credentials, CredentialMode::Push);
        assert!(m.permissions[0].required && !m.permissions[2].required);
        assert_eq!(
            m.approvable(&[]).unwrap(),
            ["directory:read", "documents:write"]
        );
        assert_eq!(m.approvable(&["budget:read".into()]).unwrap().len(), 3);
        assert!(m.approvable(&["nope".into()]).is_err());
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                "/permissions/0/level",
                json!("galaxy"),
                "permissions[0].level",
            ),
            (
                "/permissions/1/resource_type",
                json!("site"),
                "permissions[1].resource_type",
            ),
            (
                "/permissions/1/name",
                json!("directory:read"),
                "permissions[1].name",
            ),
            ("/hook_url", json!("http://hooks.acme.example/"), "hook_url"),
            ("/description", json!("x".repeat(3000)), "description"),
            ("/colour", json!("blue"), "colour"),
            ("/publisher/fax", json!("123"), "publisher.fax"),
            ("/slug", json!("Docs Sync"), "slug"),
        ];
        for (pointer, value, field) in cases {
            let mut m = procore();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let target = if parent.is_empty() {
                &mut m
            } else {
                m.pointer_mut(parent).unwrap()
            };
            target[key] = value;
            let e = parse(m).unwrap_err();
            assert_eq!(e.field, field, "{pointer}: {e}");
        }
        let mut m = procore();
        m["hook_url"] = json!("http://127.0.0.1:9000/hook");
        assert!(parse(m).is_ok(), "http is fine on loopback");
    }

    #[test]
    fn the_published_schema_names_every_field() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../schemas/app-manifest.schema.json"))
                .unwrap();
        let mut full = procore();
        for (k, v) in [
            ("description", json!("d")),
            ("setup_instructions", json!("1. Open **Settings**.")),
            ("homepage_url", json!("https://a.example")),
            ("logo_url", json!("https://a.example/l.png")),
            ("privacy_url", json!("https://a.example/p")),
            ("terms_url", json!("https://a.example/t")),
            ("listed", json!(true)),
            ("install_hook_required", json!(true)),
            ("redirect_uris", json!(["https://a.example/cb"])),
            ("access_token_ttl", json!(36000)),
            ("credentials", json!("pull")),
            ("delivery_plugin", json!({"sha256": "a".repeat(64)})),
            (
                "jwks",
                json!({"keys": [{"kty": "OKP", "crv": "X25519", "x": "A".repeat(43), "use": "enc"},
                                {"kty": "OKP", "crv": "Ed25519", "x": "abc", "use": "sig"}]}),
            ),
        ] {
            full[k] = v;
        }
        let m = parse(full).unwrap();
        let fields: Vec<String> = serde_json::to_value(&m)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut declared: Vec<String> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut fields = fields;
        fields.sort();
        declared.sort();
        assert_eq!(fields, declared);
    }
}
