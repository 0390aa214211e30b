//! The protected resources (APIs) a tenant registers: RFC 8707 resource
//! indicators name them, tokens carry their identifier as `aud`, RFC 9728
//! describes them, and RFC 9396 request types belong to them, each with the
//! tenant's own words for the consent page.

use super::Scope;
use serde::{Deserialize, Serialize};

const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 200;
const MAX_TYPES: usize = 16;
const MAX_ACTIONS: usize = 32;

/// A protected resource of a tenant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResourceServer {
    /// `rs_…`, for the admin API's paths (the identifier is a URL).
    pub id: String,
    pub tenant: String,
    /// The resource indicator: an absolute https URI without a fragment
    /// (http only for loopback hosts); tokens for it have it as `aud`.
    pub identifier: String,
    /// Shown to people and in RFC 9728 `resource_name`.
    pub name: String,
    /// The scopes meaningful at this resource; empty: any the client may have.
    pub scopes: Scope,
    /// The RFC 9396 types this resource takes.
    pub authorization_details_types: Vec<DetailType>,
    pub created_at: i64,
}

/// An RFC 9396 authorization details type and how the consent page puts it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailType {
    #[serde(rename = "type")]
    pub kind: String,
    /// The tenant's words, e.g. "Read and change your projects".
    pub description: String,
    /// The `actions` a request of this type may name; empty: any.
    #[serde(default)]
    pub actions: Vec<String>,
}

impl ResourceServer {
    /// Checks a resource as an admin registers it.
    pub fn validate(&self) -> Result<(), String> {
        validate_identifier(&self.identifier)?;
        let name = self.name.trim();
        if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(format!(
                "name must be 1-{MAX_NAME} characters without control characters"
            ));
        }
        if self.authorization_details_types.len() > MAX_TYPES {
            return Err(format!(
                "at most {MAX_TYPES} authorization_details_types per resource"
            ));
        }
        for (i, t) in self.authorization_details_types.iter().enumerate() {
            t.validate()?;
            if self.authorization_details_types[..i]
                .iter()
                .any(|o| o.kind == t.kind)
            {
                return Err(format!(
                    "authorization_details type {:?} is listed twice",
                    t.kind
                ));
            }
        }
        Ok(())
    }

    /// The type `kind` if this resource takes it.
    pub fn detail_type(&self, kind: &str) -> Option<&DetailType> {
        self.authorization_details_types
            .iter()
            .find(|t| t.kind == kind)
    }
}

impl DetailType {
    fn validate(&self) -> Result<(), String> {
        if !is_type_name(&self.kind) {
            return Err(format!(
                "authorization_details type {:?} must be 1-64 letters, digits or . _ - : /",
                self.kind
            ));
        }
        let d = self.description.trim();
        if d.is_empty() || d.len() > MAX_DESCRIPTION || d.chars().any(char::is_control) {
            return Err(format!(
                "the description of type {:?} must be 1-{MAX_DESCRIPTION} characters",
                self.kind
            ));
        }
        if self.actions.len() > MAX_ACTIONS || self.actions.iter().any(|a| !is_type_name(a)) {
            return Err(format!(
                "the actions of type {:?}: at most {MAX_ACTIONS}, each 1-64 letters, digits or . _ - : /",
                self.kind
            ));
        }
        Ok(())
    }
}

fn is_type_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:/".contains(&b))
}

/// RFC 8707 §2 and RFC 9728 §1.2: an absolute URI without a fragment; https,
/// or http on a loopback host (for development).
pub fn validate_identifier(identifier: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "resource identifier {identifier:?} must be an https URI without a fragment (http only for localhost)"
        )
    };
    let url = url::Url::parse(identifier).map_err(|_| bad())?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok || url.fragment().is_some() || url.host_str().is_none() || identifier.len() > 512
    {
        return Err(bad());
    }
    Ok(())
}

/// The registered resource with this identifier.
pub fn find<'a>(resources: &'a [ResourceServer], identifier: &str) -> Option<&'a ResourceServer> {
    resources.iter().find(|r| r.identifier == identifier)
}

/// Scopes every resource may carry: they are about the user and the
/// authorization server itself (OIDC Core §5.4, §11).
pub const SERVER_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// The scopes a client may register for itself (RFC 7591, or a metadata
/// document): the server's own, the tenant's resource servers' and those
/// the tenant `described` for its users.
pub fn registrable_scopes(
    resources: &[ResourceServer],
    described: impl Iterator<Item = String>,
) -> Vec<String> {
    let mut offered: Vec<String> = SERVER_SCOPES.iter().map(|s| s.to_string()).collect();
    offered.extend(
        resources
            .iter()
            .flat_map(|r| r.scopes.iter().map(str::to_string)),
    );
    offered.extend(described);
    offered
}

/// RFC 8707 §2.2: with `resources` named, the scopes they offer (and the
/// server's own). `None` when any named resource takes any scope.
pub fn offered_scopes(named: &[&ResourceServer]) -> Option<Vec<String>> {
    if named.is_empty() || named.iter().any(|r| r.scopes.is_empty()) {
        return None;
    }
    let mut offered: Vec<String> = SERVER_SCOPES.iter().map(|s| s.to_string()).collect();
    for r in named {
        offered.extend(r.scopes.iter().map(str::to_string));
    }
    Some(offered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(scopes: &str) -> ResourceServer {
        ResourceServer {
            id: "rs_1".into(),
            tenant: "acme".into(),
            identifier: "https://api.acme.test/".into(),
            name: "Projects API".into(),
            scopes: Scope::parse(scopes).unwrap(),
            authorization_details_types: vec![DetailType {
                kind: "project_access".into(),
                description: "Work on your projects".into(),
                actions: vec!["read".into(), "write".into()],
            }],
            created_at: 0,
        }
    }

    #[test]
    fn identifiers_are_https_or_loopback() {
        assert!(validate_identifier("https://api.acme.test/v1").is_ok());
        assert!(validate_identifier("http://127.0.0.1:8080/").is_ok());
        assert!(validate_identifier("http://api.acme.test/").is_err());
        assert!(validate_identifier("https://api.acme.test/#x").is_err());
        assert!(validate_identifier("urn:acme:api").is_err());
        assert!(validate_identifier("api.acme.test").is_err());
    }

    #[test]
    fn registration_refuses_repeats_and_bad_words() {
        assert!(api("projects:read").validate().is_ok());
        let mut twice = api("");
        twice
            .authorization_details_types
            .push(twice.authorization_details_types[0].clone());
        assert!(twice.validate().unwrap_err().contains("twice"));
        let mut blank = api("");
        blank.authorization_details_types[0].description = " ".into();
        assert!(blank.validate().is_err());
        let mut spaced = api("");
        spaced.authorization_details_types[0].kind = "a b".into();
        assert!(spaced.validate().is_err());
    }

    #[test]
    fn offered_scopes_are_the_named_resources_and_the_servers() {
        let a = api("projects:read");
        let offered = offered_scopes(&[&a]).unwrap();
        assert!(offered.contains(&"projects:read".to_string()));
        assert!(offered.contains(&"openid".to_string()));
        assert!(!offered.contains(&"admin".to_string()));
        assert_eq!(offered_scopes(&[&api("")]), None);
        assert_eq!(offered_scopes(&[]), None);
    }
}
