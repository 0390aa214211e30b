//! The catalog a tenant admin browses: every listed app (and any unlisted one
//! installed in the tenant), what it asks for in plain language, its setup
//! instructions rendered safely, and whether and how it is installed here.

use super::{InstallationView, Result};
use crate::admin::Admin;
use crate::domain::installation::Installation;
use crate::domain::manifest::{CredentialMode, Level, Publisher, ResourceType};
use crate::domain::markdown::render_safe;
use crate::store::AppVersion;
use std::collections::HashMap;

impl Admin {
    pub async fn catalog(&self, tenant: &str) -> Result<Vec<CatalogEntry>> {
        self.tenant_must_exist(tenant).await?;
        let installed: HashMap<String, Installation> = self
            .store
            .installations(tenant, &crate::store::Page::all())
            .await?
            .into_iter()
            .map(|i| (i.app.clone(), i))
            .collect();
        Ok(self
            .store
            .apps(&crate::store::Page::all())
            .await?
            .iter()
            .filter(|v| v.manifest.listed || installed.contains_key(&v.app))
            .map(|v| catalog_entry(v, installed.get(&v.app)))
            .collect())
    }
}

/// One app as the catalog shows it to a tenant.
#[derive(serde::Serialize)]
pub struct CatalogEntry {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub publisher: Publisher,
    pub homepage_url: Option<String>,
    pub logo_url: Option<String>,
    pub privacy_url: Option<String>,
    pub terms_url: Option<String>,
    pub listed: bool,
    /// The newest version: what an install approves.
    pub version: i64,
    pub credentials: CredentialMode,
    pub resource_types: Vec<ResourceType>,
    pub permissions: Vec<CatalogPermission>,
    /// Markdown, as the integrator wrote it.
    pub setup_instructions: String,
    /// The same, rendered safely (no raw HTML; http(s) and mailto links only).
    pub setup_instructions_html: String,
    /// How it is installed in this tenant, if it is.
    pub installation: Option<InstallationView>,
}

/// A permission in words a tenant admin reads.
#[derive(serde::Serialize)]
pub struct CatalogPermission {
    pub name: String,
    pub description: String,
    pub required: bool,
    pub level: Level,
    pub resource_type: Option<String>,
    /// "the whole organisation" or "the projects you select".
    pub applies_to: String,
}

pub fn catalog_entry(v: &AppVersion, installation: Option<&Installation>) -> CatalogEntry {
    let m = &v.manifest;
    let type_name = |kind: &str| {
        m.resource_types
            .iter()
            .find(|t| t.kind == kind)
            .map_or(kind.to_string(), |t| t.name.clone())
    };
    let permissions: Vec<CatalogPermission> = m
        .permissions
        .iter()
        .map(|p| {
            let applies_to = match (p.level, &p.resource_type) {
                (Level::Resource, Some(kind)) => format!("the {} you select", type_name(kind)),
                _ => "the whole organisation".to_string(),
            };
            CatalogPermission {
                name: p.name.clone(),
                description: p.description.clone(),
                required: p.required,
                level: p.level,
                resource_type: p.resource_type.clone(),
                applies_to,
            }
        })
        .collect();
    CatalogEntry {
        slug: m.slug.clone(),
        name: m.name.clone(),
        description: m.description.clone(),
        publisher: m.publisher.clone(),
        homepage_url: m.homepage_url.clone(),
        logo_url: m.logo_url.clone(),
        privacy_url: m.privacy_url.clone(),
        terms_url: m.terms_url.clone(),
        listed: m.listed,
        version: v.version,
        credentials: m.credentials,
        resource_types: m.resource_types.clone(),
        permissions,
        setup_instructions: m.setup_instructions.clone(),
        setup_instructions_html: render_safe(&m.setup_instructions),
        installation: installation.map(InstallationView::from),
    }
}
