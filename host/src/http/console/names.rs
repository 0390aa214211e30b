//! The names a tenant admin knows things by: apps by their manifest's name,
//! people by their display name, permissions by their description, never
//! by slug, username or scope string where a name exists.

use crate::domain::installation::Selection;
use crate::domain::manifest::Manifest;
use crate::domain::user::User;
use crate::store::{Resource, Store, StoreError};

type Db = dyn Store;
use std::collections::HashMap;

pub(super) struct Names {
    /// Each app's newest manifest, by slug.
    apps: HashMap<String, Manifest>,
    /// Particular versions, read when an upgrade is described.
    versions: HashMap<(String, i64), Manifest>,
    people: HashMap<String, User>,
    gone: HashMap<String, String>,
}

impl Names {
    /// The catalog's apps and the tenant's people.
    pub async fn load(store: &Db, tenant: &str) -> Result<Names, StoreError> {
        let apps = store
            .apps(&crate::store::Page::all())
            .await?
            .into_iter()
            .map(|a| (a.manifest.slug.clone(), a.manifest))
            .collect();
        let people = store
            .users(tenant, &crate::store::Page::all())
            .await?
            .into_iter()
            .map(|u| (u.username.clone(), u))
            .collect();
        Ok(Names {
            apps,
            versions: HashMap::new(),
            people,
            gone: HashMap::new(),
        })
    }

    /// Reads version `version` of `app` for `permission_at` (once).
    pub async fn with_version(&mut self, store: &Db, app: &str, version: i64) {
        let key = (app.to_string(), version);
        if self.versions.contains_key(&key) {
            return;
        }
        if let Ok(Some(a)) = store.app_version(app, Some(version)).await {
            self.versions.insert(key, a.manifest);
        }
    }

    /// The app's name, or its slug if the catalog no longer has it.
    pub fn app<'a>(&'a self, slug: &'a str) -> &'a str {
        self.apps.get(slug).map_or(slug, |m| m.name.as_str())
    }

    /// Who did something: a person by name; the platform and operators said so.
    pub fn actor(&self, actor: &str) -> String {
        match actor {
            "platform" => "The platform".into(),
            "operator" | "cli" => "An operator".into(),
            a => self.person(a),
        }
    }

    /// A name for someone no longer among the tenant's people (the first
    /// one given wins: records come newest first).
    pub fn remember_person(&mut self, username: &str, name: &str) {
        self.gone
            .entry(username.to_string())
            .or_insert_with(|| name.to_string());
    }

    /// A person's display name, or their username when they have none (or
    /// are no longer here).
    pub fn person(&self, username: &str) -> String {
        match self.people.get(username) {
            Some(u) => u
                .display_name
                .clone()
                .unwrap_or_else(|| username.to_string()),
            None => self
                .gone
                .get(username)
                .cloned()
                .unwrap_or_else(|| username.to_string()),
        }
    }

    /// What a permission lets the app do, in lower case to go inside a
    /// sentence ("view site photos"); the version's own words when known.
    pub fn permission(&self, app: &str, version: Option<i64>, name: &str) -> String {
        let manifest = version
            .and_then(|v| self.versions.get(&(app.to_string(), v)))
            .or_else(|| self.apps.get(app));
        let description = manifest
            .and_then(|m| m.permission(name))
            .map_or(name, |p| p.description.as_str());
        lower_first(description)
    }

    /// The kind of resource an app works on ("Projects"), plural.
    pub fn resource_kind(&self, app: &str, kind: &str) -> String {
        self.apps
            .get(app)
            .and_then(|m| m.resource_types.iter().find(|t| t.kind == kind))
            .map_or_else(|| kind.to_string(), |t| t.name.clone())
    }

    /// A saved selection (`"all"` or `{"project": ["p1"]}`) for people:
    /// "All Projects", or the chosen ones by name ("Harbour, North").
    pub fn selection(&self, app: &str, saved: &str, resources: &[Resource]) -> String {
        let value: serde_json::Value = serde_json::from_str(saved).unwrap_or_default();
        match Selection::from_json(&value) {
            Ok(Selection::All) => match self.apps.get(app) {
                Some(m) if m.resource_types.is_empty() => "the whole organisation".into(),
                _ => "all of them, including ones added later".into(),
            },
            Ok(Selection::Some(map)) => {
                let mut parts = vec![];
                for (kind, ids) in &map {
                    let named: Vec<&str> = ids
                        .iter()
                        .map(|id| {
                            resources
                                .iter()
                                .find(|r| &r.kind == kind && &r.id == id)
                                .map_or(id.as_str(), |r| r.name.as_str())
                        })
                        .collect();
                    let kind = self.resource_kind(app, kind);
                    parts.push(match named.len() {
                        0 => format!("no {kind}"),
                        n if n <= 5 => format!("{kind}: {}", named.join(", ")),
                        n => format!("{n} {kind}: {} and {} more", named[..3].join(", "), n - 3),
                    });
                }
                if parts.is_empty() {
                    "the whole organisation".into()
                } else {
                    parts.join("; ")
                }
            }
            Err(_) => "\u{2014}".into(),
        }
    }
}

/// A description to go inside a sentence: "View site photos" → "view site photos".
pub(super) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
