//! The `Apps` SQL, shared by both backends like `sql.rs`.

macro_rules! save_installation {
    ($conn:expr, $i:expr) => {{
        let done = sqlx::query(
            "UPDATE installations SET version = $1, permissions = $2, resources = $3, revision = $4, \
             suspended_by = $5, pending_version = $6, updated_at = $7, sequence = $8, uninstalled_at = $9 \
             WHERE id = $10 AND sequence = $11 AND uninstalled_at IS NULL",
        )
        .bind($i.version)
        .bind($i.permissions.join(" "))
        .bind($i.resources.to_json().to_string())
        .bind($i.revision)
        .bind($i.suspended_by.map(|s| s.as_str()))
        .bind($i.pending_version)
        .bind($i.updated_at)
        .bind($i.sequence)
        .bind($i.uninstalled_at)
        .bind(&$i.id)
        .bind($i.sequence - 1)
        .execute($conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err($crate::store::StoreError::Concurrent("installation"));
        }
    }};
}

pub(crate) use save_installation;

/// Saves one `InstallationChange` in the open transaction.
macro_rules! apply_change {
    ($conn:expr, $c:expr) => {{
        $crate::store::sql_apps::save_installation!(&mut *$conn, $c.installation);
        if let (Some((hash, until)), Some(client_id)) = (&$c.new_secret, &$c.installation.client_id) {
            sqlx::query(
                "UPDATE clients SET previous_secret_hash = secret_hash, previous_secret_expires_at = $1, \
                 secret_hash = $2 WHERE client_id = $3",
            )
            .bind(until)
            .bind(&hash[..])
            .bind(client_id)
            .execute(&mut *$conn)
            .await?;
        }
        $crate::store::sql::insert_audit!(&mut *$conn, $c.audit);
        $crate::store::sql::insert_deliveries!(&mut *$conn, &$c.deliveries);
        $crate::store::sql::bump!(&mut *$conn, $crate::store::Change::installation(&$c.installation.id));
        if let (Some(_), Some(client_id)) = (&$c.new_secret, &$c.installation.client_id) {
            $crate::store::sql::bump!(&mut *$conn, $crate::store::Change::client(client_id));
        }
    }};
}

pub(crate) use apply_change;

macro_rules! impl_sql_apps {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Apps for $store {
            #[tracing::instrument(name = "store.webhook_signing_keys", level = "debug", skip_all)]
            async fn webhook_signing_keys(&self) -> $crate::store::StoreResult<Vec<$crate::store::WebhookKey>> {
                Ok(sqlx::query_as("SELECT * FROM webhook_signing_keys ORDER BY created_at DESC, kid")
                    .fetch_all(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.create_webhook_signing_key", level = "debug", skip_all)]
            async fn create_webhook_signing_key(&self, k: &$crate::store::WebhookKey) -> $crate::store::StoreResult<()> {
                sqlx::query("INSERT INTO webhook_signing_keys (kid, private_key, public_key, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&k.kid)
                    .bind(&k.private_key)
                    .bind(&k.public_key)
                    .bind(k.created_at)
                    .execute(&mut *self.conn().await?)
                    .await
                    .map_err(|e| $crate::store::sql::conflict(e, "webhook signing key"))?;
                Ok(())
            }

            #[tracing::instrument(name = "store.create_app", level = "debug", skip_all)]
            async fn create_app(
                &self,
                manifest: &$crate::domain::manifest::Manifest,
                sealed_webhook_secret: &[u8],
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query("INSERT INTO apps (slug, latest_version, webhook_secret, created_at) VALUES ($1, 1, $2, $3)")
                    .bind(&manifest.slug)
                    .bind(sealed_webhook_secret)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::store::sql::conflict(e, "app"))?;
                sqlx::query("INSERT INTO app_versions (app, version, manifest, created_at) VALUES ($1, 1, $2, $3)")
                    .bind(&manifest.slug)
                    .bind(serde_json::to_string(manifest).unwrap_or_default())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                // Replicas may have remembered that no such app exists.
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::app(&manifest.slug));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.publish_app_version", level = "debug", skip_all)]
            async fn publish_app_version(
                &self,
                manifest: &$crate::domain::manifest::Manifest,
                version: i64,
                now: i64,
                changes: &[$crate::store::InstallationChange],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE apps SET latest_version = $1 WHERE slug = $2 AND latest_version = $3",
                )
                .bind(version)
                .bind(&manifest.slug)
                .bind(version - 1)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::Concurrent("app"));
                }
                sqlx::query("INSERT INTO app_versions (app, version, manifest, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&manifest.slug)
                    .bind(version)
                    .bind(serde_json::to_string(manifest).unwrap_or_default())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                for change in changes {
                    $crate::store::sql_apps::apply_change!(tx, change);
                }
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::app(&manifest.slug));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.app_installations", level = "debug", skip_all)]
            async fn app_installations(
                &self,
                app: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::installation::Installation>> {
                let rows: Vec<$crate::store::apps::InstallationRow> = sqlx::query_as(
                    "SELECT * FROM installations WHERE app = $1 AND uninstalled_at IS NULL ORDER BY created_at, id",
                )
                .bind(app)
                .fetch_all(&mut *self.conn().await?)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(name = "store.apps", level = "debug", skip_all)]
            async fn apps(
                &self,
                page: &$crate::store::Page<String>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AppVersion>> {
                let rows: Vec<$crate::store::apps::AppVersionRow> = sqlx::query_as(
                    "SELECT v.app, v.version, v.manifest, v.created_at FROM app_versions v \
                     JOIN apps a ON a.slug = v.app AND a.latest_version = v.version \
                     WHERE v.app > $1 ORDER BY v.app LIMIT $2",
                )
                .bind(page.after_key())
                .bind(page.limit)
                .fetch_all(&mut *self.conn().await?)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(name = "store.app_version", level = "debug", skip_all)]
            async fn app_version(
                &self,
                slug: &str,
                version: Option<i64>,
            ) -> $crate::store::StoreResult<Option<$crate::store::AppVersion>> {
                let row: Option<$crate::store::apps::AppVersionRow> = match version {
                    Some(v) => sqlx::query_as("SELECT * FROM app_versions WHERE app = $1 AND version = $2")
                        .bind(slug)
                        .bind(v)
                        .fetch_optional(&mut *self.conn().await?)
                        .await?,
                    None => sqlx::query_as(
                        "SELECT v.* FROM app_versions v JOIN apps a ON a.slug = v.app AND a.latest_version = v.version \
                         WHERE v.app = $1",
                    )
                    .bind(slug)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?,
                };
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(name = "store.app_versions", level = "debug", skip_all)]
            async fn app_versions(&self, slug: &str) -> $crate::store::StoreResult<Vec<$crate::store::AppVersion>> {
                let rows: Vec<$crate::store::apps::AppVersionRow> =
                    sqlx::query_as("SELECT * FROM app_versions WHERE app = $1 ORDER BY version")
                        .bind(slug)
                        .fetch_all(&mut *self.conn().await?)
                        .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(name = "store.app_webhook_secrets", level = "debug", skip_all)]
            async fn app_webhook_secrets(
                &self,
                slug: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::DeliverySecrets>> {
                Ok(sqlx::query_as(
                    "SELECT webhook_secret AS secret, previous_webhook_secret AS previous_secret, \
                     previous_secret_expires_at AS previous_expires_at FROM apps WHERE slug = $1",
                )
                .bind(slug)
                .fetch_optional(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.rotate_app_webhook_secret", level = "debug", skip_all)]
            async fn rotate_app_webhook_secret(
                &self,
                slug: &str,
                sealed: &[u8],
                previous_expires_at: i64,
            ) -> $crate::store::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE apps SET previous_webhook_secret = webhook_secret, webhook_secret = $1, \
                     previous_secret_expires_at = $2 WHERE slug = $3",
                )
                .bind(sealed)
                .bind(previous_expires_at)
                .bind(slug)
                .execute(&mut *self.conn().await?)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("app"));
                }
                Ok(())
            }

            #[tracing::instrument(name = "store.put_resources", level = "debug", skip_all)]
            async fn put_resources(
                &self,
                tenant: &str,
                resources: &[$crate::store::Resource],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                for r in resources {
                    sqlx::query(
                        "INSERT INTO tenant_resources (tenant, type, id, name) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (tenant, type, id) DO UPDATE SET name = excluded.name",
                    )
                    .bind(tenant)
                    .bind(&r.kind)
                    .bind(&r.id)
                    .bind(&r.name)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::store::sql::conflict(e, "resource"))?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.resources", level = "debug", skip_all)]
            async fn resources(
                &self,
                tenant: &str,
                page: &$crate::store::Page<(String, String)>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Resource>> {
                let (kind, id) = match &page.after {
                    Some((kind, id)) => (kind.as_str(), id.as_str()),
                    None => ("", ""),
                };
                Ok(sqlx::query_as(
                    "SELECT type, id, name FROM tenant_resources WHERE tenant = $1 AND (type, id) > ($2, $3) \
                     ORDER BY type, id LIMIT $4",
                )
                    .bind(tenant)
                    .bind(kind)
                    .bind(id)
                    .bind(page.limit)
                    .fetch_all(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.delete_resource", level = "debug", skip_all)]
            async fn delete_resource(
                &self,
                tenant: &str,
                kind: &str,
                id: &str,
                changes: &[$crate::store::InstallationChange],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("DELETE FROM tenant_resources WHERE tenant = $1 AND type = $2 AND id = $3")
                    .bind(tenant)
                    .bind(kind)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("resource"));
                }
                for change in changes {
                    $crate::store::sql_apps::apply_change!(tx, change);
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.create_installation", level = "debug", skip_all)]
            async fn create_installation(
                &self,
                new: $crate::store::NewInstallation<'_>,
            ) -> $crate::store::StoreResult<()> {
                let i = new.installation;
                let mut tx = self.begin().await?;
                $crate::store::sql_accounts::insert_user!(&mut *tx, new.service_account);
                if let Some(client) = new.client {
                    $crate::store::sql::insert_client!(&mut *tx, client);
                }
                sqlx::query(
                    "INSERT INTO installations (id, tenant, app, version, permissions, resources, revision, \
                     suspended_by, pending_version, service_account, service_account_name, client_id, installed_by, \
                     created_at, updated_at, sequence, awaiting_hook) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                )
                .bind(&i.id)
                .bind(&i.tenant)
                .bind(&i.app)
                .bind(i.version)
                .bind(i.permissions.join(" "))
                .bind(i.resources.to_json().to_string())
                .bind(i.revision)
                .bind(i.suspended_by.map(|s| s.as_str()))
                .bind(i.pending_version)
                .bind(&i.service_account)
                .bind(&i.service_account_name)
                .bind(&i.client_id)
                .bind(&i.installed_by)
                .bind(i.created_at)
                .bind(i.updated_at)
                .bind(i.sequence)
                .bind(i.awaiting_hook)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "installation of this app in the tenant"))?;
                $crate::store::sql::insert_audit!(&mut *tx, new.audit);
                $crate::store::sql::insert_deliveries!(&mut *tx, new.deliveries);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::installation(&i.id));
                if let Some(client) = new.client {
                    $crate::store::sql::bump!(&mut *tx, $crate::store::Change::client(&client.client_id));
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.installation", level = "debug", skip_all)]
            async fn installation(
                &self,
                id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::domain::installation::Installation>> {
                let row: Option<$crate::store::apps::InstallationRow> =
                    sqlx::query_as("SELECT * FROM installations WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *self.conn().await?)
                        .await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(name = "store.add_usage", level = "debug", skip_all)]
            async fn add_usage(
                &self,
                rows: &[$crate::store::apps::UsageRow],
                hours: &[$crate::store::apps::HourlyRow],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                for h in hours {
                    sqlx::query(
                        "INSERT INTO installation_hourly (installation_id, hour, tokens) VALUES ($1, $2, $3) \
                         ON CONFLICT (installation_id, hour) DO UPDATE SET tokens = installation_hourly.tokens + excluded.tokens",
                    )
                    .bind(&h.installation_id)
                    .bind(h.hour)
                    .bind(h.tokens)
                    .execute(&mut *tx)
                    .await?;
                }
                for r in rows {
                    sqlx::query(
                        "INSERT INTO installation_usage (installation_id, day, tokens, denied, evaluations, last_token_at, decisions_reused) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (installation_id, day) DO UPDATE SET \
                         tokens = installation_usage.tokens + excluded.tokens, \
                         denied = installation_usage.denied + excluded.denied, \
                         evaluations = installation_usage.evaluations + excluded.evaluations, \
                         decisions_reused = installation_usage.decisions_reused + excluded.decisions_reused, \
                         last_token_at = CASE WHEN installation_usage.last_token_at IS NULL \
                             OR excluded.last_token_at > installation_usage.last_token_at \
                             THEN COALESCE(excluded.last_token_at, installation_usage.last_token_at) \
                             ELSE installation_usage.last_token_at END",
                    )
                    .bind(&r.installation_id)
                    .bind(r.day)
                    .bind(r.tokens)
                    .bind(r.denied)
                    .bind(r.evaluations)
                    .bind(r.last_token_at)
                    .bind(r.decisions_reused)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.hourly_tokens", level = "debug", skip_all)]
            async fn hourly_tokens(
                &self,
                installation: &str,
                hour: i64,
            ) -> $crate::store::StoreResult<i64> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT tokens FROM installation_hourly WHERE installation_id = $1 AND hour = $2",
                )
                .bind(installation)
                .bind(hour)
                .fetch_optional(&mut *self.conn().await?)
                .await?;
                Ok(row.map_or(0, |r| r.0))
            }

            #[tracing::instrument(name = "store.set_installation_quota", level = "debug", skip_all)]
            async fn set_installation_quota(
                &self,
                id: &str,
                quota: Option<i64>,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE installations SET token_quota_per_hour = $1 WHERE id = $2 AND uninstalled_at IS NULL",
                )
                .bind(quota)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("installation"));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::installation(id));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.usage", level = "debug", skip_all)]
            async fn usage(
                &self,
                installation: &str,
                since_day: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::apps::UsageRow>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM installation_usage WHERE installation_id = $1 AND day >= $2 ORDER BY day",
                )
                .bind(installation)
                .bind(since_day)
                .fetch_all(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.installations", level = "debug", skip_all)]
            async fn installations(
                &self,
                tenant: &str,
                page: &$crate::store::Page<(i64, String)>,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::installation::Installation>> {
                let (at, id) = page.pair(i64::MIN);
                let rows: Vec<$crate::store::apps::InstallationRow> = sqlx::query_as(
                    "SELECT * FROM installations WHERE tenant = $1 AND uninstalled_at IS NULL \
                     AND (created_at, id) > ($2, $3) ORDER BY created_at, id LIMIT $4",
                )
                .bind(tenant)
                .bind(at)
                .bind(id)
                .bind(page.limit)
                .fetch_all(&mut *self.conn().await?)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(name = "store.save_installation", level = "debug", skip_all)]
            async fn save_installation(
                &self,
                change: &$crate::store::InstallationChange,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                $crate::store::sql_apps::apply_change!(tx, change);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.uninstall", level = "debug", skip_all)]
            async fn uninstall(
                &self,
                change: &$crate::store::InstallationChange,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                $crate::store::sql_apps::apply_change!(tx, change);
                sqlx::query("DELETE FROM users WHERE id = $1")
                    .bind(&change.installation.service_account)
                    .execute(&mut *tx)
                    .await?;
                if let Some(client_id) = &change.installation.client_id {
                    $crate::store::sql::bump!(&mut *tx, $crate::store::Change::client(client_id));
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
