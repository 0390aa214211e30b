//! Installations: an app in a tenant as its admin approved it — the
//! selection of resources, the status, and what its tokens and AuthZEN
//! answers carry (`authorization_details`, `token_claims`, `permits`).

use super::manifest::{Level, Manifest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which of a tenant's resources an installation may touch: all of them
/// (now and later), or a selection per resource type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    All,
    Some(BTreeMap<String, Vec<String>>),
}

impl Selection {
    /// `"all"` or `{"project": ["p1", "p2"]}`.
    pub fn from_json(v: &serde_json::Value) -> Result<Selection, String> {
        match v {
            serde_json::Value::String(s) if s == "all" => Ok(Selection::All),
            serde_json::Value::Object(map) => {
                let mut out = BTreeMap::new();
                for (kind, ids) in map {
                    let Some(ids) = ids.as_array() else {
                        return Err(format!("resources.{kind} must be a list of resource ids"));
                    };
                    let mut list = Vec::with_capacity(ids.len());
                    for id in ids {
                        let Some(id) = id.as_str() else {
                            return Err(format!("resources.{kind} must hold strings"));
                        };
                        if !list.iter().any(|x| x == id) {
                            list.push(id.to_string());
                        }
                    }
                    list.sort();
                    out.insert(kind.clone(), list);
                }
                Ok(Selection::Some(out))
            }
            _ => Err("resources must be \"all\" or an object of resource type to ids".into()),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Selection::All => serde_json::Value::String("all".into()),
            Selection::Some(map) => serde_json::json!(map),
        }
    }

    /// Whether a resource of `kind` with `id` is selected.
    pub fn contains(&self, kind: &str, id: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Some(map) => map.get(kind).is_some_and(|ids| ids.iter().any(|i| i == id)),
        }
    }

    /// The same selection without `kind`/`id`; `None` if it was not selected.
    pub fn without(&self, kind: &str, id: &str) -> Option<Selection> {
        match self {
            Selection::All => None,
            Selection::Some(map) => {
                let ids = map.get(kind)?;
                if !ids.iter().any(|i| i == id) {
                    return None;
                }
                let mut map = map.clone();
                map.get_mut(kind)?.retain(|i| i != id);
                Some(Selection::Some(map))
            }
        }
    }
}

impl Serialize for Selection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Selection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Selection::from_json(&v).map_err(serde::de::Error::custom)
    }
}

/// Where an installation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the app's required install hook to answer 2xx.
    Installing,
    Active,
    Suspended,
    UpgradePending,
}

/// Who suspended an installation; only they lift it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Suspender {
    /// The tenant's admin.
    Tenant,
    /// The platform's operator.
    Platform,
}

impl Suspender {
    pub fn as_str(self) -> &'static str {
        match self {
            Suspender::Tenant => "tenant",
            Suspender::Platform => "platform",
        }
    }
    pub fn parse(s: &str) -> Option<Suspender> {
        match s {
            "tenant" => Some(Suspender::Tenant),
            "platform" => Some(Suspender::Platform),
            _ => None,
        }
    }
}

/// An app installed in a tenant. What it may do comes from what its admin
/// approved (`version`, `permissions`), never from the newest manifest.
#[derive(Clone, Debug)]
pub struct Installation {
    pub id: String,
    pub tenant: String,
    pub app: String,
    /// The approved manifest version.
    pub version: i64,
    /// The approved permission names, in manifest order.
    pub permissions: Vec<String>,
    pub resources: Selection,
    pub suspended_by: Option<Suspender>,
    /// A newer version waiting for the admin's approval.
    pub pending_version: Option<i64>,
    /// The directory entry the app acts as (`{app}-{8 hex}`): a user id.
    pub service_account: String,
    pub service_account_name: String,
    /// The push credentials' client, if any.
    pub client_id: Option<String>,
    pub installed_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every change to the selection, for `authorization_details`.
    pub revision: i64,
    /// The number of the last lifecycle change: events carry it, in order,
    /// and a change saves only over the sequence it was made from.
    pub sequence: i64,
    pub uninstalled_at: Option<i64>,
    /// The app's install hook is required and has not answered 2xx yet.
    pub awaiting_hook: bool,
    /// At most this many tokens per clock hour, if set.
    pub quota_per_hour: Option<i64>,
}

impl Installation {
    pub fn status(&self) -> Status {
        match (self.suspended_by, self.pending_version) {
            (Some(_), _) => Status::Suspended,
            _ if self.awaiting_hook => Status::Installing,
            (None, Some(_)) => Status::UpgradePending,
            (None, None) => Status::Active,
        }
    }

    /// Why it may not get tokens (or pass AuthZEN) now, if it may not. An
    /// upgrade waiting for approval does not stop it.
    pub fn unusable_because(&self) -> Option<&'static str> {
        if self.uninstalled_at.is_some() {
            Some("the app was uninstalled from this tenant; its credentials no longer work")
        } else if self.suspended_by.is_some() {
            Some("the installation is suspended; no tokens are issued until it is resumed")
        } else if self.awaiting_hook {
            Some(
                "the installation waits for the app's install hook to answer; no tokens until it does",
            )
        } else {
            None
        }
    }

    pub fn is_usable(&self) -> bool {
        self.unusable_because().is_none()
    }
}

/// The client a pull app's tokens for `installation` are issued to: the app
/// itself (`client_id` its slug), allowed `client_credentials` with what the
/// admin approved. It has no secret; the app authenticates with its key.
pub fn pull_client(manifest: &Manifest, installation: &Installation) -> crate::domain::Client {
    let approved = crate::domain::Scope::from_valid(installation.permissions.iter().cloned());
    crate::domain::Client {
        client_id: manifest.slug.clone(),
        tenant: installation.tenant.clone(),
        name: manifest.name.clone(),
        grant_types: vec!["client_credentials".into()],
        scopes: approved.clone(),
        default_scopes: approved,
        resources: vec![],
        access_token_ttl: manifest.access_token_ttl,
        // Matches no secret: SHA-256 never yields all zeros in practice, and
        // this client is never looked up by secret.
        secret_hash: [0; 32],
        previous_secret_hash: None,
        previous_secret_expires_at: None,
        metadata: serde_json::json!({"app": manifest.slug, "installation": installation.id}),
        created_at: installation.created_at,
        redirect_uris: vec![],
        public: false,
        post_logout_redirect_uris: vec![],
        installation: Some(installation.id.clone()),
        jwks: None,
        require_pushed_authorization_requests: false,
        dpop_bound_access_tokens: false,
        authorization_details_types: vec![],
        registration: None,
        registration_token_hash: None,
    }
}

/// `{app-slug}-{8 hex}`, as Procore names a DMSA's directory user.
pub fn service_account_name(app: &str, random: [u8; 4]) -> String {
    format!("{app}-{}", hex::encode(random))
}

/// Past this many identifiers an `authorization_details` entry leaves them out
/// (`identifiers_omitted`) and resource servers ask the AuthZEN endpoint, so a
/// token never grows to hundreds of kilobytes.
pub const MAX_TOKEN_IDENTIFIERS: usize = 50;

/// RFC 9396 `authorization_details` for an installation's token: one entry per
/// resource type with the approved resource-level permissions as `actions`
/// and the selected resources as `identifiers` (`["*"]` for all).
pub fn authorization_details(
    manifest: &Manifest,
    installation: &Installation,
) -> Vec<serde_json::Value> {
    let mut details = Vec::new();
    for t in &manifest.resource_types {
        let actions: Vec<&str> = manifest
            .permissions
            .iter()
            .filter(|p| p.level == Level::Resource && p.resource_type.as_deref() == Some(&t.kind))
            .filter(|p| installation.permissions.contains(&p.name))
            .map(|p| p.name.as_str())
            .collect();
        if actions.is_empty() {
            continue;
        }
        let ids: Vec<String> = match &installation.resources {
            Selection::All => vec!["*".into()],
            Selection::Some(map) => map.get(&t.kind).cloned().unwrap_or_default(),
        };
        let mut entry = serde_json::json!({"type": t.kind, "actions": actions});
        if ids.len() > MAX_TOKEN_IDENTIFIERS {
            entry["identifiers_omitted"] = true.into();
            entry["revision"] = installation.revision.into();
        } else {
            entry["identifiers"] = ids.into();
        }
        details.push(entry);
    }
    details
}

/// The claims an installation's token carries: `installation` and, when any
/// resource-level permission is in `scope` (all approved ones when `None`),
/// `authorization_details` with only the actions `scope` holds.
pub fn token_claims(
    manifest: &Manifest,
    installation: &Installation,
    scope: Option<&crate::domain::Scope>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut claims = serde_json::Map::new();
    claims.insert(
        "installation".into(),
        serde_json::json!({"id": installation.id, "app": installation.app, "version": installation.version}),
    );
    let details: Vec<serde_json::Value> = authorization_details(manifest, installation)
        .into_iter()
        .filter_map(|mut d| {
            if let Some(scope) = scope {
                let actions: Vec<serde_json::Value> = d["actions"]
                    .as_array()?
                    .iter()
                    .filter(|a| a.as_str().is_some_and(|a| scope.iter().any(|s| s == a)))
                    .cloned()
                    .collect();
                if actions.is_empty() {
                    return None;
                }
                d["actions"] = actions.into();
            }
            Some(d)
        })
        .collect();
    if !details.is_empty() {
        claims.insert("authorization_details".into(), details.into());
    }
    claims
}

/// The built-in AuthZEN rule for an installation's service account: permit
/// exactly when the action is an approved permission and, for a
/// resource-level one, the resource is of its type and selected.
pub fn permits(
    manifest: &Manifest,
    installation: &Installation,
    action: &str,
    resource: Option<(&str, &str)>,
) -> (bool, String) {
    if let Some(why) = installation.unusable_because() {
        return (false, why.into());
    }
    if !installation.permissions.iter().any(|p| p == action) {
        return (false, format!("the installation was not granted {action}"));
    }
    let Some(p) = manifest.permission(action) else {
        return (false, format!("the app does not declare {action}"));
    };
    match (p.level, resource) {
        (Level::Tenant, _) => (true, format!("the installation holds {action}")),
        (Level::Resource, None) => (false, format!("{action} needs a resource")),
        (Level::Resource, Some((kind, id))) => {
            if p.resource_type.as_deref() != Some(kind) {
                (
                    false,
                    format!(
                        "{action} applies to {}, not {kind}",
                        p.resource_type.as_deref().unwrap_or("?")
                    ),
                )
            } else if installation.resources.contains(kind, id) {
                (
                    true,
                    format!("the installation holds {action} on {kind} {id}"),
                )
            } else {
                (
                    false,
                    format!("{kind} {id} is not selected for the installation"),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::manifest::tests::{parse, procore};
    use serde_json::json;

    #[test]
    fn selections_and_authorization_details() {
        let m = parse(procore()).unwrap();
        let sel = Selection::from_json(&json!({"project": ["p2", "p1", "p1"]})).unwrap();
        let mut inst = Installation {
            id: "in_1".into(),
            tenant: "t".into(),
            app: "docs-sync".into(),
            version: 1,
            permissions: m.approvable(&[]).unwrap(),
            resources: sel,
            suspended_by: None,
            pending_version: None,
            service_account: "usr_1".into(),
            service_account_name: "docs-sync-0a0b0c0d".into(),
            client_id: None,
            installed_by: "admin".into(),
            created_at: 0,
            updated_at: 0,
            revision: 3,
            sequence: 1,
            uninstalled_at: None,
            awaiting_hook: false,
            quota_per_hour: None,
        };
        assert_eq!(
            authorization_details(&m, &inst),
            [
                json!({"type": "project", "actions": ["documents:write"], "identifiers": ["p1", "p2"]})
            ]
        );
        assert!(permits(&m, &inst, "documents:write", Some(("project", "p1"))).0);
        assert!(!permits(&m, &inst, "documents:write", Some(("project", "p3"))).0);
        assert!(!permits(&m, &inst, "budget:read", Some(("project", "p1"))).0);
        assert!(permits(&m, &inst, "directory:read", None).0);
        let many: Vec<String> = (0..=MAX_TOKEN_IDENTIFIERS)
            .map(|i| format!("p{i}"))
            .collect();
        inst.resources = Selection::from_json(&json!({ "project": many })).unwrap();
        let d = authorization_details(&m, &inst);
        assert_eq!(d[0]["identifiers_omitted"], true);
        assert_eq!(d[0]["revision"], 3);
        assert!(d[0].get("identifiers").is_none());
        inst.resources = Selection::All;
        assert_eq!(
            authorization_details(&m, &inst)[0]["identifiers"],
            json!(["*"])
        );
        assert_eq!(
            inst.resources.without("project", "p1"),
            None,
            "all stays all when a resource goes"
        );
    }
}
