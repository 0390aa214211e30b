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
}
