//! A tenant's protected resources (RFC 8707 audiences, RFC 9728 metadata)
//! and the RFC 9396 types they take, registered by the admin API and the CLI.

use super::{Admin, AdminError, Result};
use crate::domain::Scope;
use crate::domain::resource_server::{DetailType, ResourceServer};
use crate::store::{AuditEvent, StoreError};
use crate::tokens::{b64url, random_bytes};
use serde_json::json;

/// What an admin registers.
#[derive(Clone, Debug)]
pub struct NewResourceServer {
    pub identifier: String,
    pub name: String,
    pub scopes: Scope,
    pub authorization_details_types: Vec<DetailType>,
}

impl Admin {
    pub async fn resource_servers(&self, tenant: &str) -> Result<Vec<ResourceServer>> {
        super::existing_tenant(&*self.store, tenant).await?;
        Ok(self.store.resource_servers(tenant).await?)
    }

    /// Registers a resource; its types must be new to the tenant (a type
    /// names one resource, so a request's audience follows from its types).
    pub async fn register_resource_server(
        &self,
        tenant: &str,
        new: NewResourceServer,
        actor: &str,
        now: i64,
    ) -> Result<ResourceServer> {
        let resource = ResourceServer {
            id: format!("rs_{}", b64url(&random_bytes::<12>(&self.rng))),
            tenant: tenant.to_string(),
            identifier: new.identifier,
            name: new.name.trim().to_string(),
            scopes: new.scopes,
            authorization_details_types: new.authorization_details_types,
            created_at: now,
        };
        resource.validate().map_err(AdminError::Invalid)?;
        let existing = self.resource_servers(tenant).await?;
        if existing.iter().any(|r| r.identifier == resource.identifier) {
            return Err(AdminError::Conflict(format!(
                "the tenant already has a resource {}",
                resource.identifier
            )));
        }
        if let Some(t) = resource
            .authorization_details_types
            .iter()
            .find(|t| existing.iter().any(|r| r.detail_type(&t.kind).is_some()))
        {
            return Err(AdminError::Conflict(format!(
                "authorization_details type {:?} belongs to another of the tenant's resources",
                t.kind
            )));
        }
        let audit = AuditEvent::new(
            tenant,
            "resource_server.registered",
            json!({
                "actor": actor, "id": resource.id, "identifier": resource.identifier,
                "name": resource.name, "scopes": resource.scopes.to_string(),
                "authorization_details_types": resource.authorization_details_types,
            }),
            now,
        );
        self.store.create_resource_server(&resource, &audit).await?;
        Ok(resource)
    }

    pub async fn remove_resource_server(
        &self,
        tenant: &str,
        id: &str,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        let resource = self
            .resource_servers(tenant)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound("resource server"))?;
        let audit = AuditEvent::new(
            tenant,
            "resource_server.removed",
            json!({"actor": actor, "id": id, "identifier": resource.identifier}),
            now,
        );
        match self
            .store
            .delete_resource_server(tenant, id, &audit)
            .await?
        {
            true => Ok(()),
            false => Err(StoreError::NotFound("resource server").into()),
        }
    }

    /// A client may ask only for types one of the tenant's resources takes.
    pub(super) async fn check_detail_types(&self, tenant: &str, types: &[String]) -> Result<()> {
        if types.is_empty() {
            return Ok(());
        }
        let resources = self.store.resource_servers(tenant).await?;
        match types
            .iter()
            .find(|t| !resources.iter().any(|r| r.detail_type(t).is_some()))
        {
            Some(t) => Err(AdminError::Invalid(format!(
                "authorization_details type {t:?} is not taken by any of the tenant's resource servers; register it on one first"
            ))),
            None => Ok(()),
        }
    }
}
