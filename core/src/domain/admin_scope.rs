//! What an admin API token may do. Every token may read; each write needs
//! the scope of the noun it changes. The rule is here once: the admin API's
//! route layer enforces it and the OpenAPI document states it per operation.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AdminScope {
    /// Every GET: tenants, apps, installations, plugins, audit, deliveries.
    Read,
    /// Tenants, their clients, users, settings, and the legacy sunset.
    Tenants,
    /// Apps, versions, tenants' resources, installations and deliveries.
    Apps,
    /// Plugins and their bindings, the platform's defaults included.
    Plugins,
    /// Signing keys and webhook signing secrets.
    Keys,
}

impl AdminScope {
    pub const ALL: [AdminScope; 5] = [
        AdminScope::Read,
        AdminScope::Tenants,
        AdminScope::Apps,
        AdminScope::Plugins,
        AdminScope::Keys,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdminScope::Read => "read",
            AdminScope::Tenants => "tenants",
            AdminScope::Apps => "apps",
            AdminScope::Plugins => "plugins",
            AdminScope::Keys => "keys",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            AdminScope::Read => "read everything (every GET); every token has it",
            AdminScope::Tenants => {
                "create and change tenants, clients, users, settings and the legacy sunset"
            }
            AdminScope::Apps => {
                "register apps and versions; manage resources, installations and deliveries"
            }
            AdminScope::Plugins => "add plugins and bind them, platform-wide defaults included",
            AdminScope::Keys => "rotate signing keys and webhook signing secrets",
        }
    }

    pub fn parse(s: &str) -> Result<AdminScope, String> {
        AdminScope::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not an admin scope (one of: {})",
                    AdminScope::ALL.map(AdminScope::as_str).join(", ")
                )
            })
    }

    /// Scopes as stored and shown: sorted, space-separated, `read` always in.
    pub fn join(scopes: &[AdminScope]) -> String {
        let mut all: Vec<AdminScope> = scopes.to_vec();
        all.push(AdminScope::Read);
        all.sort();
        all.dedup();
        all.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }

    pub fn split(text: &str) -> Vec<AdminScope> {
        text.split_whitespace()
            .filter_map(|s| AdminScope::parse(s).ok())
            .collect()
    }
}

/// The scope a request needs, by method and route template (after
/// `/admin/v1`).
pub fn required(method: &str, path: &str) -> AdminScope {
    if matches!(method, "GET" | "HEAD") {
        return AdminScope::Read;
    }
    let has = |part: &str| path.contains(part);
    if has("/keys/rotate") || has("/delivery-signing-secret/") || has("/webhook-secret/") {
        AdminScope::Keys
    } else if path.starts_with("/plugins") || path.starts_with("/bindings") || has("/bindings/") {
        AdminScope::Plugins
    } else if path.starts_with("/apps")
        || path.starts_with("/deliveries")
        || has("/resources")
        || has("/installations")
    {
        AdminScope::Apps
    } else {
        AdminScope::Tenants
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_need_their_nouns_scope_and_reads_need_none_beyond_read() {
        assert_eq!(required("GET", "/tenants/{tenant}/audit"), AdminScope::Read);
        assert_eq!(required("POST", "/tenants"), AdminScope::Tenants);
        assert_eq!(
            required("DELETE", "/clients/{client_id}"),
            AdminScope::Tenants
        );
        assert_eq!(
            required("PUT", "/tenants/{tenant}/bindings/{hook}"),
            AdminScope::Plugins
        );
        assert_eq!(
            required("POST", "/tenants/{tenant}/installations/{id}/rotate-secret"),
            AdminScope::Apps
        );
        assert_eq!(
            required("POST", "/apps/{slug}/webhook-secret/rotate"),
            AdminScope::Keys
        );
        assert_eq!(
            required("POST", "/tenants/{tenant}/keys/rotate"),
            AdminScope::Keys
        );
        assert_eq!(
            AdminScope::join(&[AdminScope::Keys, AdminScope::Apps]),
            "read apps keys"
        );
    }
}
