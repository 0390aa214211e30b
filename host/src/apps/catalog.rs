//! The catalog a tenant admin browses: every listed app (and any unlisted one
//! installed in the tenant), what it asks for in plain language, its setup
//! instructions rendered safely, and whether and how it is installed here.

use super::{Result, installation_json};
use crate::admin::Admin;
use crate::domain::app::{Installation, Level};
use crate::domain::markdown::render_safe;
use crate::store::AppVersion;
use serde_json::{Value, json};
use std::collections::HashMap;

impl Admin {
    pub async fn catalog(&self, tenant: &str) -> Result<Vec<Value>> {
        self.tenant_must_exist(tenant).await?;
        let installed: HashMap<String, Installation> = self
            .store
            .installations(tenant)
            .await?
            .into_iter()
            .map(|i| (i.app.clone(), i))
            .collect();
        Ok(self
            .store
            .apps()
            .await?
            .iter()
            .filter(|v| v.manifest.listed || installed.contains_key(&v.app))
            .map(|v| catalog_entry(v, installed.get(&v.app)))
            .collect())
    }
}

/// One app as the catalog shows it to a tenant.
pub fn catalog_entry(v: &AppVersion, installation: Option<&Installation>) -> Value {
    let m = &v.manifest;
    let type_name = |kind: &str| {
        m.resource_types
            .iter()
            .find(|t| t.kind == kind)
            .map_or(kind.to_string(), |t| t.name.clone())
    };
    let permissions: Vec<Value> = m
        .permissions
        .iter()
        .map(|p| {
            let applies_to = match (p.level, &p.resource_type) {
                (Level::Resource, Some(kind)) => format!("the {} you select", type_name(kind)),
                _ => "the whole organisation".to_string(),
            };
            json!({"name": p.name, "description": p.description, "required": p.required,
                   "level": p.level, "resource_type": p.resource_type, "applies_to": applies_to})
        })
        .collect();
    json!({
        "slug": m.slug,
        "name": m.name,
        "description": m.description,
        "publisher": m.publisher,
        "homepage_url": m.homepage_url,
        "logo_url": m.logo_url,
        "privacy_url": m.privacy_url,
        "terms_url": m.terms_url,
        "listed": m.listed,
        "version": v.version,
        "credentials": m.credentials,
        "resource_types": m.resource_types,
        "permissions": permissions,
        "setup_instructions": m.setup_instructions,
        "setup_instructions_html": render_safe(&m.setup_instructions),
        "installation": installation.map(installation_json),
    })
}
