//! RFC 6749 §3.3 scope: space-delimited, case-sensitive, order-free set.

use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Scope(BTreeSet<String>);

#[derive(Debug, thiserror::Error)]
#[error("scope token {0:?} contains a character RFC 6749 does not allow")]
pub struct ScopeError(pub String);

impl Scope {
    /// Parses a space-delimited list; rejects characters outside RFC 6749's
    /// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
    pub fn parse(s: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for token in s.split(' ').filter(|t| !t.is_empty()) {
            let valid = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !valid {
                return Err(ScopeError(token.to_string()));
            }
            set.insert(token.to_string());
        }
        Ok(Scope(set))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// From tokens already known to be valid (e.g. a subset of a parsed scope).
    pub fn from_valid(tokens: impl IntoIterator<Item = String>) -> Self {
        Scope(tokens.into_iter().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.0.is_subset(&other.0)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

/// Administrative scopes (`admin`, `admin:…`): never carried by a personal
/// access token, whoever owns it.
pub fn is_administrative(scope: &str) -> bool {
    scope == "admin" || scope.starts_with("admin:")
}

/// Whether `scope` may reach this user at all: administrative scopes reach
/// administrators only.
pub fn grantable_to(scope: &Scope, is_admin: bool) -> Scope {
    Scope::from_valid(
        scope
            .iter()
            .filter(|s| is_admin || !is_administrative(s))
            .map(str::to_string),
    )
}

/// Identity scopes, always shown first and in this order.
const IDENTITY: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// `(scope, text)` for each scope of `scope`, in the order a person should
/// read them: identity first, then the tenant's scopes in the order the tenant
/// described them (`described`), then any it did not describe.
pub fn describe(scope: &Scope, described: &[(String, String)]) -> Vec<(String, String)> {
    let text = |s: &str| {
        described
            .iter()
            .find(|(k, _)| k == s)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| default_description(s))
    };
    let rank = |s: &str| match IDENTITY.iter().position(|i| *i == s) {
        Some(i) => (0, i),
        None => match described.iter().position(|(k, _)| k == s) {
            Some(i) => (1, i),
            None => (2, 0),
        },
    };
    let mut ordered: Vec<&str> = scope.iter().collect();
    // Stable: scopes of equal rank (undescribed ones) keep their order.
    ordered.sort_by_key(|s| rank(s));
    ordered
        .into_iter()
        .map(|s| (s.to_string(), text(s)))
        .collect()
}

fn default_description(scope: &str) -> String {
    match scope {
        "openid" => "Confirm who you are".into(),
        "profile" => "See your name and username".into(),
        "email" => "See your email address".into(),
        "address" => "See your postal address".into(),
        "phone" => "See your phone number".into(),
        "offline_access" => "Keep access while you are away".into(),
        other => format!("Use the \u{201c}{other}\u{201d} permission"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sets_and_subsets() {
        let all = Scope::parse("read  write admin").unwrap();
        let some = Scope::parse("write read").unwrap();
        assert!(some.is_subset_of(&all));
        assert!(!all.is_subset_of(&some));
        assert_eq!(some.to_string(), "read write");
        assert!(Scope::parse("").unwrap().is_empty());
    }

    #[test]
    fn rejects_forbidden_characters() {
        assert!(Scope::parse("a\"b").is_err());
        assert!(Scope::parse("a\\b").is_err());
        assert!(Scope::parse("caf\u{e9}").is_err());
        assert!(Scope::parse("tab\there").is_err());
    }

    #[test]
    fn describes_identity_first_then_in_the_tenants_order() {
        let described = vec![
            ("write".to_string(), "Change your documents".to_string()),
            ("read".to_string(), "Read your documents".to_string()),
        ];
        let scope = Scope::parse("read zeta openid write email").unwrap();
        let order: Vec<String> = describe(&scope, &described)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(order, ["openid", "email", "write", "read", "zeta"]);
        assert_eq!(describe(&scope, &described)[2].1, "Change your documents");
    }

    #[test]
    fn administrative_scopes_reach_administrators_only() {
        let scope = Scope::parse("openid admin admin:users read").unwrap();
        assert_eq!(grantable_to(&scope, false).to_string(), "openid read");
        assert_eq!(grantable_to(&scope, true), scope);
    }
}
