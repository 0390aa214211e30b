//! Who may install apps in a tenant (its `user_installs` setting), and the
//! install requests users make when they may not install themselves. A
//! request is the tenant's own business: it is audited, and nothing is sent
//! to the app until an admin approves it and it becomes an installation.

use super::{AppError, InstallRequest, Result, audit, invalid};
use crate::admin::{Admin, IssuedSecret};
use crate::domain::Client;
use crate::domain::installation::Installation;
use crate::domain::manifest::Manifest;
use crate::domain::settings::UserInstalls;
use crate::domain::user::User;
use crate::store::{Decision, InstallRequestRecord, StoreError};
use crate::tokens::{b64url, random_bytes};
use serde_json::{Value, json};

/// What a signed-in user may do with an app from the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallRight {
    /// An admin, or a user allowed to install this app themselves.
    Install,
    /// The user may ask an admin.
    Request,
    /// Only admins install apps here.
    None,
}

impl Admin {
    /// What `user` may do with `manifest` when approving `optional` of its
    /// optional permissions, under the tenant's `user_installs` setting.
    /// With `permitted`, a user holds the scopes the tenant offers its users
    /// (`describe-scope`): an app asking only for those they install.
    pub async fn install_right(
        &self,
        user: &User,
        manifest: &Manifest,
        optional: &[String],
    ) -> Result<InstallRight> {
        if user.is_admin {
            return Ok(InstallRight::Install);
        }
        let settings = self.store.tenant_settings(&user.tenant).await?;
        Ok(match settings.user_installs {
            UserInstalls::Admins => InstallRight::None,
            UserInstalls::Request => InstallRight::Request,
            UserInstalls::Permitted => {
                let held = self.store.scope_descriptions(&user.tenant).await?;
                let asks = manifest.approvable(optional).or_else(invalid)?;
                if asks.iter().all(|p| held.iter().any(|(s, _)| s == p)) {
                    InstallRight::Install
                } else {
                    InstallRight::Request
                }
            }
        })
    }

    /// A user installs an app themselves, if the tenant lets them.
    pub async fn install_as(
        &self,
        user: &User,
        req: InstallRequest,
        now: i64,
    ) -> Result<(Installation, Option<(Client, IssuedSecret)>)> {
        let manifest = self.latest_manifest(&req.app).await?;
        match self
            .install_right(user, &manifest, &req.optional_permissions)
            .await?
        {
            InstallRight::Install => self.install(req, now).await,
            _ => Err(AppError::Refused(
                "only an administrator can install this app here; ask for it instead".into(),
            )),
        }
    }

    /// A user asks the tenant's admins to install an app with this selection.
    pub async fn request_install(
        &self,
        user: &User,
        req: InstallRequest,
        note: &str,
        now: i64,
    ) -> Result<InstallRequestRecord> {
        let latest = self
            .store
            .app_version(&req.app, None)
            .await?
            .ok_or(StoreError::NotFound("app"))?;
        if !latest.manifest.listed {
            return Err(StoreError::NotFound("app").into());
        }
        if self
            .install_right(user, &latest.manifest, &req.optional_permissions)
            .await?
            == InstallRight::None
        {
            return Err(AppError::Refused(
                "only administrators install apps in this organisation".into(),
            ));
        }
        if note.chars().count() > 500 || note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(AppError::Field {
                field: "note".into(),
                message: "use at most 500 characters".into(),
            });
        }
        latest
            .manifest
            .approvable(&req.optional_permissions)
            .or_else(invalid)?;
        let selection = self
            .selection(&user.tenant, &latest.manifest, &req.resources)
            .await?;
        Self::selects_something(&latest.manifest, &selection)?;
        if self
            .store
            .installations(&user.tenant, &crate::store::Page::all())
            .await?
            .iter()
            .any(|i| i.app == req.app)
        {
            return invalid(format!("{} is installed already", latest.manifest.name));
        }
        if let Some(open) = self
            .store
            .install_requests(&user.tenant)
            .await?
            .into_iter()
            .find(|r| r.app == req.app && matches!(r.status.as_str(), "pending" | "approving"))
        {
            return invalid(format!(
                "{} asked for {} already; an administrator will decide",
                open.requested_by, latest.manifest.name
            ));
        }
        let record = InstallRequestRecord {
            id: format!("ir_{}", b64url(&random_bytes::<12>(&self.rng))),
            tenant: user.tenant.clone(),
            app: req.app.clone(),
            version: latest.version,
            requested_by: user.username.clone(),
            optional_permissions: json!(req.optional_permissions).to_string(),
            resources: selection.to_json().to_string(),
            note: note.trim().to_string(),
            status: "pending".into(),
            decided_by: None,
            decided_at: None,
            installation_id: None,
            created_at: now,
        };
        let event = audit(
            &user.tenant,
            "install_request.created",
            json!({"request": record.id, "app": record.app, "actor": user.username,
                   "optional_permissions": req.optional_permissions, "resources": selection.to_json()}),
            now,
        );
        self.store.create_install_request(&record, &event).await?;
        Ok(record)
    }

    /// A pending request of this tenant.
    async fn pending_request(&self, tenant: &str, id: &str) -> Result<InstallRequestRecord> {
        match self.store.install_request(id).await? {
            Some(r) if r.tenant == tenant && r.status == "pending" => Ok(r),
            Some(r) if r.tenant == tenant => {
                invalid(format!("this request was {} already", r.status))
            }
            _ => Err(StoreError::NotFound("install request").into()),
        }
    }

    /// An admin approves: the app is installed (newest version) as the user
    /// asked, by the admin, through the install policy like any install.
    pub async fn approve_install_request(
        &self,
        tenant: &str,
        id: &str,
        admin: &str,
        now: i64,
    ) -> Result<(Installation, Option<(Client, IssuedSecret)>)> {
        let request = self.pending_request(tenant, id).await?;
        if !self
            .store
            .decide_install_request(id, Decision::Claim, admin, now, None)
            .await?
        {
            return invalid("another administrator is deciding this request");
        }
        let optional: Vec<String> =
            serde_json::from_str(&request.optional_permissions).unwrap_or_default();
        let resources: Value = serde_json::from_str(&request.resources).unwrap_or(json!({}));
        let installed = self
            .install(
                InstallRequest {
                    tenant: tenant.into(),
                    app: request.app.clone(),
                    resources,
                    optional_permissions: optional,
                    actor: admin.into(),
                },
                now,
            )
            .await;
        match installed {
            Ok((installation, credentials)) => {
                let event = audit(
                    tenant,
                    "install_request.approved",
                    json!({"request": id, "app": request.app, "actor": admin,
                           "requested_by": request.requested_by, "installation": installation.id}),
                    now,
                );
                self.store
                    .decide_install_request(
                        id,
                        Decision::Approved {
                            installation: &installation.id,
                        },
                        admin,
                        now,
                        Some(&event),
                    )
                    .await?;
                Ok((installation, credentials))
            }
            Err(e) => {
                self.store
                    .decide_install_request(id, Decision::Release, admin, now, None)
                    .await?;
                Err(e)
            }
        }
    }

    pub async fn decline_install_request(
        &self,
        tenant: &str,
        id: &str,
        admin: &str,
        now: i64,
    ) -> Result<()> {
        let request = self.pending_request(tenant, id).await?;
        let event = audit(
            tenant,
            "install_request.declined",
            json!({"request": id, "app": request.app, "actor": admin,
                   "requested_by": request.requested_by}),
            now,
        );
        if !self
            .store
            .decide_install_request(id, Decision::Declined, admin, now, Some(&event))
            .await?
        {
            return invalid("another administrator decided this request first");
        }
        Ok(())
    }
}
