//! The app registry and installations: what the admin API and the CLI do to
//! apps, tenants' resources and installations. Each operation validates,
//! then makes one atomic store call (which also writes the audit record).

pub mod catalog;
mod events;
mod policy;
mod quota;
pub use quota::MAX_QUOTA;
mod requests;

pub use requests::InstallRight;

use crate::plugins::install_policy::InstallKind;
use events::Credentials;
use policy::Approval;

use crate::admin::{Admin, AdminError, CLIENT_SECRET_PREFIX, IssuedSecret};
use crate::domain::installation::{Installation, Selection, Suspender, service_account_name};
use crate::domain::manifest::{CredentialMode, Manifest, ManifestError};
use crate::domain::user::User;
use crate::domain::{Client, Scope};
use crate::store::{
    AppVersion, AuditEvent, InstallationChange, NewInstallation, Resource, StoreError,
};
use crate::tokens::{b64url, random_bytes, secret};
use base64::Engine;
use serde_json::{Value, json};

/// Most resources one request may upsert.
pub const MAX_RESOURCES_PER_REQUEST: usize = 1_000;

pub use crate::admin::AppError;

type Result<T> = std::result::Result<T, AppError>;

pub fn invalid<T>(m: impl Into<String>) -> Result<T> {
    Err(AppError::Admin(AdminError::Invalid(m.into())))
}

/// The installation is not in a state that allows the action.
pub fn conflict<T>(m: impl Into<String>) -> Result<T> {
    Err(AppError::Admin(AdminError::Conflict(m.into())))
}

/// What a tenant admin asks for when installing an app.
pub struct InstallRequest {
    pub tenant: String,
    pub app: String,
    pub resources: Value,
    /// Optional permissions granted on top of the required ones.
    pub optional_permissions: Vec<String>,
    /// Who installs it (shown to other admins and in the audit trail).
    pub actor: String,
}

/// A Standard Webhooks signing secret: `whsec_` and base64 of 32 random bytes.
fn webhook_secret(admin: &Admin) -> String {
    let bytes = random_bytes::<32>(&admin.rng);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

pub fn audit(tenant: &str, action: &str, detail: Value, now: i64) -> AuditEvent {
    AuditEvent::new(tenant, action, detail, now)
}

/// A page of the tenant's resources, by type and id.
pub async fn list_resources(
    store: &dyn crate::store::Store,
    tenant: &str,
    page: &crate::store::Page<(String, String)>,
) -> Result<Vec<Resource>> {
    crate::admin::existing_tenant(store, tenant).await?;
    Ok(store.resources(tenant, page).await?)
}

/// A page of the tenant's installations, oldest first.
pub async fn list_installations(
    store: &dyn crate::store::Store,
    tenant: &str,
    page: &crate::store::Page<(i64, String)>,
) -> Result<Vec<Installation>> {
    crate::admin::existing_tenant(store, tenant).await?;
    Ok(store.installations(tenant, page).await?)
}

impl Admin {
    /// One lifecycle change, ready to save: `after` gets the next sequence,
    /// the audit record says who did it with before and after (plus `detail`),
    /// and the event (the same name, `detail` in its data) goes to `app`'s hook.
    #[allow(clippy::too_many_arguments)]
    async fn lifecycle(
        &self,
        kind: &str,
        actor: &str,
        before: &Installation,
        mut after: Installation,
        app: &Manifest,
        credentials: Option<Credentials<'_>>,
        detail: Value,
        now: i64,
    ) -> Result<InstallationChange> {
        after.sequence = before.sequence + 1;
        after.updated_at = now;
        let deliveries = self
            .app_event(kind, &after, app, credentials, detail.clone(), now)
            .await?;
        let mut record = json!({"installation": before.id, "actor": actor,
                                "before": installation_json(before), "after": installation_json(&after)});
        if let Value::Object(more) = detail {
            record.as_object_mut().expect("object").extend(more);
        }
        Ok(InstallationChange {
            audit: audit(&before.tenant, kind, record, now),
            installation: after,
            deliveries,
            new_secret: None,
        })
    }

    /// The app's newest manifest: where its hook is now, and its keys.
    async fn latest_manifest(&self, app: &str) -> Result<Manifest> {
        Ok(self
            .store
            .app_version(app, None)
            .await?
            .ok_or(StoreError::NotFound("app"))?
            .manifest)
    }

    /// Registers an app from its manifest (version 1); returns its webhook
    /// signing secret, the only time it is shown.
    pub async fn register_app(
        &self,
        manifest: &[u8],
        now: i64,
    ) -> Result<(AppVersion, IssuedSecret)> {
        let manifest = Manifest::parse(manifest)?;
        self.check_delivery_plugin(&manifest).await?;
        let secret = webhook_secret(self);
        let sealed = self.master.seal(
            &crate::delivery::app_secret_context(&manifest.slug),
            secret.as_bytes(),
            &self.rng,
        );
        self.store.create_app(&manifest, &sealed, now).await?;
        let version = AppVersion {
            app: manifest.slug.clone(),
            version: 1,
            manifest,
            created_at: now,
        };
        Ok((version, IssuedSecret(secret)))
    }

    /// Publishes a changed manifest as the next version; an unchanged one
    /// publishes nothing. Installations follow at once when the version asks
    /// for nothing they have not approved (across skipped versions too); else
    /// they keep what was approved and wait for their admin (`upgrade_pending`).
    /// Permissions the version drops leave every installation at once.
    /// Returns the newest version and whether it is new.
    pub async fn publish_app_version(
        &self,
        slug: &str,
        manifest: &[u8],
        now: i64,
    ) -> Result<(AppVersion, bool)> {
        let manifest = Manifest::parse(manifest)?;
        if manifest.slug != slug {
            return Err(ManifestError {
                field: "slug".into(),
                message: format!("must stay {slug:?}: an app's slug never changes"),
            }
            .into());
        }
        let latest = self
            .store
            .app_version(slug, None)
            .await?
            .ok_or(StoreError::NotFound("app"))?;
        if latest.manifest == manifest {
            return Ok((latest, false));
        }
        self.check_delivery_plugin(&manifest).await?;
        let version = latest.version + 1;
        let mut changes = Vec::new();
        for before in self.store.app_installations(slug).await? {
            let mut after = before.clone();
            // Dropped permissions go now, in the new version's order.
            after.permissions = manifest
                .permissions
                .iter()
                .filter(|p| before.permissions.contains(&p.name))
                .map(|p| p.name.clone())
                .collect();
            let asks: Vec<&str> = manifest
                .permissions
                .iter()
                .filter(|p| p.required && !before.permissions.contains(&p.name))
                .map(|p| p.name.as_str())
                .collect();
            let (kind, extra) = if asks.is_empty() {
                after.version = version;
                after.pending_version = None;
                (
                    "installation.upgrade_approved",
                    json!({"upgrade": {"version": version, "approved_by": "automatic"}}),
                )
            } else {
                after.pending_version = Some(version);
                let offered: Vec<&str> = manifest
                    .permissions
                    .iter()
                    .filter(|p| !p.required && !before.permissions.contains(&p.name))
                    .map(|p| p.name.as_str())
                    .collect();
                (
                    "installation.upgrade_requested",
                    json!({"upgrade": {"version": version, "added_permissions": asks, "optional_permissions": offered}}),
                )
            };
            changes.push(
                self.lifecycle(
                    kind, "platform", &before, after, &manifest, None, extra, now,
                )
                .await?,
            );
        }
        self.store
            .publish_app_version(&manifest, version, now, &changes)
            .await?;
        Ok((
            AppVersion {
                app: slug.into(),
                version,
                manifest,
                created_at: now,
            },
            true,
        ))
    }

    /// The tenant admin approves the pending version: its required
    /// permissions, the optional ones approved before that it still offers,
    /// and `optional` ones newly granted.
    pub async fn approve_upgrade(
        &self,
        tenant: &str,
        id: &str,
        optional: &[String],
        actor: &str,
        now: i64,
    ) -> Result<Installation> {
        let current = self.installation(tenant, id).await?;
        let Some(pending) = current.pending_version else {
            return conflict("no upgrade is waiting for approval");
        };
        let manifest = self
            .store
            .app_version(&current.app, Some(pending))
            .await?
            .ok_or(StoreError::NotFound("app version"))?
            .manifest;
        let mut granted: Vec<String> = optional.to_vec();
        granted.extend(
            current
                .permissions
                .iter()
                .filter(|p| manifest.permission(p).is_some_and(|p| !p.required))
                .cloned(),
        );
        let approving = manifest.approvable(&granted).or_else(invalid)?;
        let reviewed = self
            .review_approval(
                Approval {
                    kind: InstallKind::Upgrade,
                    tenant,
                    manifest: &manifest,
                    version: pending,
                    approving,
                    resources: &current.resources,
                    actor,
                },
                now,
            )
            .await?;
        let permissions = reviewed.permissions;
        self.change(
            tenant,
            id,
            "installation.upgrade_approved",
            actor,
            now,
            |i| {
                if i.pending_version != Some(pending) {
                    return invalid("the pending upgrade changed; read the installation again");
                }
                i.version = pending;
                i.pending_version = None;
                i.permissions = permissions;
                Ok(())
            },
        )
        .await
    }

    /// The tenant admin declines: the installation keeps what it has.
    pub async fn decline_upgrade(
        &self,
        tenant: &str,
        id: &str,
        actor: &str,
        now: i64,
    ) -> Result<Installation> {
        self.change(
            tenant,
            id,
            "installation.upgrade_declined",
            actor,
            now,
            |i| {
                if i.pending_version.take().is_none() {
                    return conflict("no upgrade is waiting for approval");
                }
                Ok(())
            },
        )
        .await
    }

    /// A new webhook signing secret; the old one keeps co-signing for `overlap` s.
    pub async fn rotate_app_webhook_secret(
        &self,
        slug: &str,
        overlap: i64,
        now: i64,
    ) -> Result<(IssuedSecret, i64)> {
        if !(0..=crate::admin::MAX_SIGNING_SECRET_OVERLAP).contains(&overlap) {
            return invalid(format!(
                "overlap must be 0-{} seconds",
                crate::admin::MAX_SIGNING_SECRET_OVERLAP
            ));
        }
        let secret = webhook_secret(self);
        let sealed = self.master.seal(
            &crate::delivery::app_secret_context(slug),
            secret.as_bytes(),
            &self.rng,
        );
        let until = now + overlap;
        self.store
            .rotate_app_webhook_secret(slug, &sealed, until)
            .await?;
        Ok((IssuedSecret(secret), until))
    }

    /// Upserts a tenant's resources.
    pub async fn put_resources(&self, tenant: &str, resources: Vec<Resource>) -> Result<()> {
        if resources.len() > MAX_RESOURCES_PER_REQUEST {
            return invalid(format!(
                "at most {MAX_RESOURCES_PER_REQUEST} resources per request"
            ));
        }
        for (i, r) in resources.iter().enumerate() {
            let ok_kind = (1..=64).contains(&r.kind.len())
                && r.kind.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !ok_kind {
                return invalid(format!(
                    "[{i}].type: use 1-64 lowercase letters, digits, - and _"
                ));
            }
            if r.id.is_empty() || r.id.chars().count() > 200 || r.id.chars().any(char::is_control) {
                return invalid(format!("[{i}].id: use 1-200 printable characters"));
            }
            if r.name.trim().is_empty() || r.name.chars().count() > 200 {
                return invalid(format!("[{i}].name: use 1-200 characters"));
            }
        }
        self.tenant_must_exist(tenant).await?;
        self.store.put_resources(tenant, &resources).await?;
        Ok(())
    }

    /// Removes a resource; it leaves every installation's selection too.
    pub async fn delete_resource(
        &self,
        tenant: &str,
        kind: &str,
        id: &str,
        now: i64,
    ) -> Result<()> {
        let mut changes = Vec::new();
        for i in self
            .store
            .installations(tenant, &crate::store::Page::all())
            .await?
        {
            if let Some(selection) = i.resources.without(kind, id) {
                let mut after = i.clone();
                after.resources = selection;
                after.revision += 1;
                let app = self.latest_manifest(&i.app).await?;
                changes.push(
                    self.lifecycle(
                        "installation.resources_changed",
                        "platform",
                        &i,
                        after,
                        &app,
                        None,
                        json!({"removed_resource": {"type": kind, "id": id}}),
                        now,
                    )
                    .await?,
                );
            }
        }
        self.store
            .delete_resource(tenant, kind, id, &changes)
            .await?;
        Ok(())
    }

    async fn tenant_must_exist(&self, tenant: &str) -> Result<()> {
        match self.store.tenant(tenant).await? {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound("tenant").into()),
        }
    }

    /// Checks a selection against the app's resource types and the tenant's
    /// registered resources.
    async fn selection(&self, tenant: &str, manifest: &Manifest, v: &Value) -> Result<Selection> {
        let selection = Selection::from_json(v).or_else(invalid)?;
        if let Selection::Some(map) = &selection {
            let known = self
                .store
                .resources(tenant, &crate::store::Page::all())
                .await?;
            for (kind, ids) in map {
                if !manifest.resource_types.iter().any(|t| &t.kind == kind) {
                    return invalid(format!(
                        "resources.{kind}: the app declares no resource type {kind:?}"
                    ));
                }
                for id in ids {
                    if !known.iter().any(|r| &r.kind == kind && &r.id == id) {
                        return invalid(format!(
                            "resources.{kind}: the tenant has no {kind} {id:?}"
                        ));
                    }
                }
            }
        }
        Ok(selection)
    }

    /// A new installation (or a request for one) must reach something: an app
    /// that works per resource installed on none of them could do nothing.
    pub fn selects_something(manifest: &Manifest, selection: &Selection) -> Result<()> {
        match selection {
            Selection::Some(map)
                if !manifest.resource_types.is_empty()
                    && map.values().all(|ids| ids.is_empty()) =>
            {
                let names: Vec<&str> = manifest
                    .resource_types
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect();
                invalid(format!(
                    "An installation on nothing could do nothing: choose at least one of the {} {} may use, or all of them.",
                    names.join(" or "),
                    manifest.name
                ))
            }
            _ => Ok(()),
        }
    }

    /// Installs the newest version of an app in a tenant: the admin approves
    /// its required permissions (and any optional ones named), selects
    /// resources, and the installation gets a service account and, for a
    /// push app, its own client credentials (returned once).
    pub async fn install(
        &self,
        req: InstallRequest,
        now: i64,
    ) -> Result<(Installation, Option<(Client, IssuedSecret)>)> {
        self.tenant_must_exist(&req.tenant).await?;
        let latest = self
            .store
            .app_version(&req.app, None)
            .await?
            .ok_or(StoreError::NotFound("app"))?;
        let manifest = &latest.manifest;
        let approving = manifest
            .approvable(&req.optional_permissions)
            .or_else(invalid)?;
        let resources = self
            .selection(&req.tenant, manifest, &req.resources)
            .await?;
        Self::selects_something(manifest, &resources)?;
        let reviewed = self
            .review_approval(
                Approval {
                    kind: InstallKind::Install,
                    tenant: &req.tenant,
                    manifest,
                    version: latest.version,
                    approving,
                    resources: &resources,
                    actor: &req.actor,
                },
                now,
            )
            .await?;
        let permissions = reviewed.permissions;
        let id = format!("in_{}", b64url(&random_bytes::<12>(&self.rng)));
        let service_account = self.service_account(&req.tenant, manifest, &id, now);
        let credentials = match manifest.credentials {
            CredentialMode::Push => {
                Some(self.push_client(&req.tenant, manifest, &id, &permissions, now))
            }
            CredentialMode::Pull => None,
        };
        let installation = Installation {
            id: id.clone(),
            tenant: req.tenant.clone(),
            app: manifest.slug.clone(),
            version: latest.version,
            permissions,
            resources,
            suspended_by: None,
            pending_version: None,
            service_account: service_account.id.clone(),
            service_account_name: service_account.username.clone(),
            client_id: credentials.as_ref().map(|(c, _)| c.client_id.clone()),
            installed_by: req.actor.clone(),
            created_at: now,
            updated_at: now,
            revision: 1,
            sequence: 1,
            uninstalled_at: None,
            awaiting_hook: manifest.install_hook_required,
            quota_per_hour: None,
        };
        let mut detail = json!({"installation": id, "app": installation.app, "version": installation.version,
                                "actor": req.actor, "after": installation_json(&installation)});
        if let Some(policy) = reviewed.audit {
            detail["install_policy"] = policy;
        }
        let record = audit(&req.tenant, "installation.created", detail, now);
        let deliveries = self
            .app_event(
                "installation.created",
                &installation,
                manifest,
                credentials.as_ref().map(|(c, s)| Credentials {
                    client_id: &c.client_id,
                    secret: &s.0,
                }),
                json!({}),
                now,
            )
            .await?;
        self.store
            .create_installation(NewInstallation {
                installation: &installation,
                service_account: &service_account,
                client: credentials.as_ref().map(|(c, _)| c),
                audit: &record,
                deliveries: &deliveries,
            })
            .await?;
        Ok((installation, credentials))
    }

    /// The installation's own user: it acts as this account and can never sign in.
    fn service_account(&self, tenant: &str, manifest: &Manifest, id: &str, now: i64) -> User {
        let username = service_account_name(&manifest.slug, random_bytes::<4>(&self.rng));
        User {
            id: format!("usr_{}", b64url(&random_bytes::<16>(&self.rng))),
            tenant: tenant.to_string(),
            username,
            // No password ever verifies against this: it cannot sign in.
            password_hash: "!service-account".into(),
            email: None,
            display_name: Some(format!("{} (app)", manifest.name)),
            is_admin: false,
            created_at: now,
            installation: Some(id.to_string()),
            last_sign_in_at: None,
        }
    }

    /// A push app's client: `client_credentials` for exactly the approved permissions.
    fn push_client(
        &self,
        tenant: &str,
        manifest: &Manifest,
        id: &str,
        permissions: &[String],
        now: i64,
    ) -> (Client, IssuedSecret) {
        let secret = secret::generate(CLIENT_SECRET_PREFIX, &self.rng);
        let client = Client {
            client_id: format!("cl_{}", b64url(&random_bytes::<16>(&self.rng))),
            tenant: tenant.to_string(),
            name: manifest.name.clone(),
            grant_types: vec!["client_credentials".into()],
            scopes: Scope::from_valid(permissions.iter().cloned()),
            default_scopes: Scope::from_valid(permissions.iter().cloned()),
            resources: vec![],
            access_token_ttl: manifest.access_token_ttl,
            secret_hash: secret::hash(&secret),
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            metadata: json!({"app": manifest.slug, "installation": id}),
            created_at: now,
            redirect_uris: vec![],
            public: false,
            post_logout_redirect_uris: vec![],
            installation: Some(id.to_string()),
            jwks: None,
            require_pushed_authorization_requests: false,
            dpop_bound_access_tokens: false,
            authorization_details_types: vec![],
            registration: None,
            registration_token_hash: None,
        };
        (client, IssuedSecret(secret))
    }

    /// A live installation of this tenant.
    pub async fn installation(&self, tenant: &str, id: &str) -> Result<Installation> {
        match self.store.installation(id).await? {
            Some(i) if i.tenant == tenant && i.uninstalled_at.is_none() => Ok(i),
            _ => Err(StoreError::NotFound("installation").into()),
        }
    }

    /// Applies `change` to the installation and saves it over the sequence
    /// it was read at, with an audit record of before and after and the
    /// lifecycle event (named as the audit action) for the app's hook.
    async fn change(
        &self,
        tenant: &str,
        id: &str,
        action: &str,
        actor: &str,
        now: i64,
        change: impl FnOnce(&mut Installation) -> Result<()>,
    ) -> Result<Installation> {
        let before = self.installation(tenant, id).await?;
        let mut after = before.clone();
        change(&mut after)?;
        let app = self.latest_manifest(&after.app).await?;
        let change = self
            .lifecycle(action, actor, &before, after, &app, None, json!({}), now)
            .await?;
        if action == "installation.deleted" {
            self.store.uninstall(&change).await?;
        } else {
            self.store.save_installation(&change).await?;
        }
        Ok(change.installation)
    }

    /// Uninstalls: the credentials and every live token stop working at once.
    pub async fn uninstall(
        &self,
        tenant: &str,
        id: &str,
        actor: &str,
        now: i64,
    ) -> Result<Installation> {
        self.change(tenant, id, "installation.deleted", actor, now, |i| {
            i.uninstalled_at = Some(now);
            Ok(())
        })
        .await
    }

    /// Suspends; only the same side (`by`) may resume it.
    pub async fn suspend(
        &self,
        tenant: &str,
        id: &str,
        by: Suspender,
        actor: &str,
        now: i64,
    ) -> Result<Installation> {
        self.change(tenant, id, "installation.suspended", actor, now, |i| {
            if i.suspended_by.is_some() {
                return conflict("the installation is already suspended");
            }
            i.suspended_by = Some(by);
            Ok(())
        })
        .await
    }

    pub async fn resume(
        &self,
        tenant: &str,
        id: &str,
        by: Suspender,
        actor: &str,
        now: i64,
    ) -> Result<Installation> {
        self.change(
            tenant,
            id,
            "installation.resumed",
            actor,
            now,
            |i| match i.suspended_by {
                None => conflict("the installation is not suspended"),
                Some(s) if s != by => conflict(format!(
                    "the installation was suspended by the {}; only the {} can resume it",
                    s.as_str(),
                    s.as_str()
                )),
                Some(_) => {
                    i.suspended_by = None;
                    Ok(())
                }
            },
        )
        .await
    }

    /// Replaces the installation's resource selection.
    pub async fn set_installation_resources(
        &self,
        tenant: &str,
        id: &str,
        resources: &Value,
        actor: &str,
        now: i64,
    ) -> Result<Installation> {
        let current = self.installation(tenant, id).await?;
        let manifest = self
            .store
            .app_version(&current.app, Some(current.version))
            .await?
            .ok_or(StoreError::Corrupt(
                "installation names a missing app version".into(),
            ))?
            .manifest;
        let selection = self.selection(tenant, &manifest, resources).await?;
        self.change(
            tenant,
            id,
            "installation.resources_changed",
            actor,
            now,
            |i| {
                if i.resources != selection {
                    i.resources = selection;
                    i.revision += 1;
                }
                Ok(())
            },
        )
        .await
    }

    /// New push credentials, delivered to the app's hook; the old secret
    /// keeps working for `overlap` s.
    pub async fn rotate_installation_secret(
        &self,
        tenant: &str,
        id: &str,
        overlap: i64,
        actor: &str,
        now: i64,
    ) -> Result<(String, IssuedSecret, i64)> {
        if let Err(e) = crate::admin::check_secret_overlap(overlap) {
            return invalid(e);
        }
        let before = self.installation(tenant, id).await?;
        let Some(client_id) = before.client_id.clone() else {
            return conflict("this app pulls its credentials; it has no secret to rotate");
        };
        let secret = IssuedSecret(secret::generate(CLIENT_SECRET_PREFIX, &self.rng));
        let until = now + overlap;
        let app = self.latest_manifest(&before.app).await?;
        let credentials = Credentials {
            client_id: &client_id,
            secret: &secret.0,
        };
        let mut change = self
            .lifecycle(
                "installation.credentials_rotated",
                actor,
                &before,
                before.clone(),
                &app,
                Some(credentials),
                json!({"previous_secret_expires_at": until}),
                now,
            )
            .await?;
        change.new_secret = Some((secret::hash(&secret.0), until));
        self.store.save_installation(&change).await?;
        Ok((client_id, secret, until))
    }
}

/// An installation as the admin API and its events show it (never a secret).
#[derive(serde::Serialize)]
pub struct InstallationView {
    pub id: String,
    pub tenant: String,
    /// The app's slug.
    pub app: String,
    /// The approved manifest version.
    pub version: i64,
    pub status: crate::domain::installation::Status,
    pub suspended_by: Option<Suspender>,
    /// A newer version waiting for approval.
    pub pending_version: Option<i64>,
    /// The approved permission names.
    pub permissions: Vec<String>,
    pub resources: Value,
    /// Bumped by every change to the selection.
    pub revision: i64,
    /// The number of the last lifecycle event.
    pub sequence: i64,
    pub service_account: ServiceAccountView,
    /// The push credentials' client, if the app has them.
    pub client_id: Option<String>,
    pub installed_by: String,
    pub token_quota_per_hour: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The directory entry an installation acts as.
#[derive(serde::Serialize)]
pub struct ServiceAccountView {
    /// A user id: the `sub` of the installation's tokens.
    pub id: String,
    pub name: String,
}

impl From<&Installation> for InstallationView {
    fn from(i: &Installation) -> Self {
        InstallationView {
            id: i.id.clone(),
            tenant: i.tenant.clone(),
            app: i.app.clone(),
            version: i.version,
            status: i.status(),
            suspended_by: i.suspended_by,
            pending_version: i.pending_version,
            permissions: i.permissions.clone(),
            resources: i.resources.to_json(),
            revision: i.revision,
            sequence: i.sequence,
            service_account: ServiceAccountView {
                id: i.service_account.clone(),
                name: i.service_account_name.clone(),
            },
            client_id: i.client_id.clone(),
            installed_by: i.installed_by.clone(),
            token_quota_per_hour: i.quota_per_hour,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// An installation as JSON, for events and audit records.
pub fn installation_json(i: &Installation) -> Value {
    json!(InstallationView::from(i))
}

/// An app version as JSON, for the CLI.
pub fn app_json(v: &AppVersion) -> Value {
    json!(AppVersionView::from(v))
}

/// An app version as the admin API shows it.
#[derive(serde::Serialize)]
pub struct AppVersionView {
    pub slug: String,
    pub version: i64,
    pub created_at: i64,
    pub manifest: crate::domain::manifest::Manifest,
}

impl From<&AppVersion> for AppVersionView {
    fn from(v: &AppVersion) -> Self {
        AppVersionView {
            slug: v.app.clone(),
            version: v.version,
            created_at: v.created_at,
            manifest: v.manifest.clone(),
        }
    }
}

/// What an operator should hear about a manifest they just registered.
pub fn registration_warnings(m: &Manifest) -> Vec<String> {
    let mut out = vec![];
    if !m.listed {
        out.push(format!(
            "{} is not listed: no tenant's catalog shows it, so tenant admins cannot install it from the console. \
             Publish a version with \"listed\": true to offer it, or install it through the admin API.",
            m.slug
        ));
    }
    out
}
