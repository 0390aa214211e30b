//! The `Settings` SQL, shared by both backends like `sql.rs`.

macro_rules! impl_sql_settings {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Settings for $store {
            #[tracing::instrument(name = "store.tenant_settings", level = "debug", skip_all)]
            async fn tenant_settings(
                &self,
                tenant: &str,
            ) -> $crate::store::StoreResult<$crate::domain::settings::TenantSettings> {
                let row: Option<(Option<String>, Option<String>, Option<String>, Option<String>, String, Option<String>)> =
                    sqlx::query_as(
                        "SELECT display_name, logo_url, accent_color, support_url, user_installs, time_zone \
                         FROM tenant_settings WHERE tenant = $1",
                    )
                    .bind(tenant)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?;
                let Some((display_name, logo_url, accent_color, support_url, installs, time_zone)) = row else {
                    return Ok(Default::default());
                };
                let user_installs = $crate::domain::settings::UserInstalls::parse(&installs)
                    .ok_or_else(|| $crate::store::StoreError::Corrupt(format!("user_installs {installs:?}")))?;
                Ok($crate::domain::settings::TenantSettings {
                    branding: $crate::domain::settings::Branding {
                        display_name,
                        logo_url,
                        accent_color,
                        support_url,
                    },
                    user_installs,
                    time_zone,
                })
            }

            #[tracing::instrument(name = "store.put_tenant_settings", level = "debug", skip_all)]
            async fn put_tenant_settings(
                &self,
                tenant: &str,
                s: &$crate::domain::settings::TenantSettings,
                audit: &$crate::store::AuditEvent,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let b = &s.branding;
                sqlx::query(
                    "INSERT INTO tenant_settings (tenant, display_name, logo_url, accent_color, support_url, user_installs, time_zone, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (tenant) DO UPDATE SET display_name = excluded.display_name, logo_url = excluded.logo_url, \
                     accent_color = excluded.accent_color, support_url = excluded.support_url, \
                     user_installs = excluded.user_installs, time_zone = excluded.time_zone, updated_at = excluded.updated_at",
                )
                .bind(tenant)
                .bind(&b.display_name)
                .bind(&b.logo_url)
                .bind(&b.accent_color)
                .bind(&b.support_url)
                .bind(s.user_installs.as_str())
                .bind(&s.time_zone)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "tenant settings"))?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.create_install_request", level = "debug", skip_all)]
            async fn create_install_request(
                &self,
                r: &$crate::store::InstallRequestRecord,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "INSERT INTO install_requests (id, tenant, app, version, requested_by, optional_permissions, resources, \
                     note, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9)",
                )
                .bind(&r.id)
                .bind(&r.tenant)
                .bind(&r.app)
                .bind(r.version)
                .bind(&r.requested_by)
                .bind(&r.optional_permissions)
                .bind(&r.resources)
                .bind(&r.note)
                .bind(r.created_at)
                .execute(&mut *tx)
                .await?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.install_request", level = "debug", skip_all)]
            async fn install_request(
                &self,
                id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::InstallRequestRecord>> {
                Ok(sqlx::query_as("SELECT * FROM install_requests WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.install_requests", level = "debug", skip_all)]
            async fn install_requests(
                &self,
                tenant: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::store::InstallRequestRecord>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM install_requests WHERE tenant = $1 ORDER BY created_at DESC, id LIMIT 500",
                )
                .bind(tenant)
                .fetch_all(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.decide_install_request", level = "debug", skip_all)]
            async fn decide_install_request(
                &self,
                id: &str,
                decision: $crate::store::Decision<'_>,
                by: &str,
                now: i64,
                audit: Option<&$crate::store::AuditEvent>,
            ) -> $crate::store::StoreResult<bool> {
                use $crate::store::Decision;
                let (from, to, installation) = match decision {
                    Decision::Claim => ("pending", "approving", None),
                    Decision::Approved { installation } => ("approving", "approved", Some(installation)),
                    Decision::Release => ("approving", "pending", None),
                    Decision::Declined => ("pending", "declined", None),
                };
                let decided = matches!(to, "approved" | "declined");
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE install_requests SET status = $1, decided_by = $2, decided_at = $3, installation_id = $4 \
                     WHERE id = $5 AND status = $6",
                )
                .bind(to)
                .bind(decided.then_some(by))
                .bind(decided.then_some(now))
                .bind(installation)
                .bind(id)
                .bind(from)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                if let Some(audit) = audit {
                    $crate::store::sql::insert_audit!(&mut *tx, audit);
                }
                tx.commit().await?;
                Ok(true)
            }

            #[tracing::instrument(name = "store.resource_servers", level = "debug", skip_all)]
            async fn resource_servers(
                &self,
                tenant: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::resource_server::ResourceServer>> {
                let rows: Vec<(String, String, String, String, String, String, i64)> = sqlx::query_as(
                    "SELECT id, tenant, identifier, name, scopes, authorization_details_types, created_at \
                     FROM resource_servers WHERE tenant = $1 ORDER BY identifier",
                )
                .bind(tenant)
                .fetch_all(&mut *self.conn().await?)
                .await?;
                rows.into_iter()
                    .map(|(id, tenant, identifier, name, scopes, types, created_at)| {
                        Ok($crate::domain::resource_server::ResourceServer {
                            scopes: $crate::domain::Scope::parse(&scopes)
                                .map_err(|e| $crate::store::StoreError::Corrupt(e.to_string()))?,
                            authorization_details_types: serde_json::from_str(&types).map_err(|e| {
                                $crate::store::StoreError::Corrupt(format!("authorization_details_types: {e}"))
                            })?,
                            id,
                            tenant,
                            identifier,
                            name,
                            created_at,
                        })
                    })
                    .collect()
            }

            #[tracing::instrument(name = "store.create_resource_server", level = "debug", skip_all)]
            async fn create_resource_server(
                &self,
                r: &$crate::domain::resource_server::ResourceServer,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "INSERT INTO resource_servers (id, tenant, identifier, name, scopes, authorization_details_types, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&r.id)
                .bind(&r.tenant)
                .bind(&r.identifier)
                .bind(&r.name)
                .bind(r.scopes.to_string())
                .bind(serde_json::to_string(&r.authorization_details_types).expect("serialisable"))
                .bind(r.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "resource server"))?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::tenant(&r.tenant));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.delete_resource_server", level = "debug", skip_all)]
            async fn delete_resource_server(
                &self,
                tenant: &str,
                id: &str,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("DELETE FROM resource_servers WHERE tenant = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::tenant(tenant));
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}
