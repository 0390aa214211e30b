//! The SQL both backends share. SQLite accepts PostgreSQL's `$n` placeholders,
//! `RETURNING` and `ON CONFLICT`, so one text serves both; this macro stamps
//! the `Store` implementation onto each backend's pool type.

macro_rules! impl_sql_store {
    // `$claim_lock` ends the outbox claim's row selection: PostgreSQL adds
    // `FOR UPDATE SKIP LOCKED` so replicas pass over each other's rows;
    // SQLite has a single writer and needs nothing.
    ($store:ty, claim_lock = $claim_lock:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            #[tracing::instrument(name = "store.migrate", level = "debug", skip_all)]
            async fn migrate(&self) -> $crate::store::StoreResult<()> {
                self.migrator().run(&self.pool).await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.migrations", level = "debug", skip_all)]
            async fn migrations(&self) -> $crate::store::StoreResult<$crate::store::Migrations> {
                use sqlx::migrate::Migrate;
                let migrator = self.migrator();
                let mut conn = self.pool.acquire().await?;
                conn.ensure_migrations_table(&migrator.table_name).await?;
                let applied = conn.list_applied_migrations(&migrator.table_name).await?;
                let known: std::collections::BTreeSet<i64> =
                    migrator.iter().filter(|m| m.migration_type.is_up_migration()).map(|m| m.version).collect();
                Ok($crate::store::Migrations {
                    pending: migrator
                        .iter()
                        .filter(|m| m.migration_type.is_up_migration())
                        .filter(|m| !applied.iter().any(|a| a.version == m.version))
                        .map(|m| (m.version, m.description.to_string()))
                        .collect(),
                    newer: applied
                        .iter()
                        .map(|a| a.version)
                        .filter(|v| !known.contains(v))
                        .collect(),
                })
            }

            #[tracing::instrument(name = "store.writable", level = "debug", skip_all)]
            async fn writable(&self) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query("UPDATE cache_generation SET value = value WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.generation", level = "debug", skip_all)]
            async fn generation(&self) -> $crate::store::StoreResult<i64> {
                let (v,): (i64,) = sqlx::query_as("SELECT value FROM cache_generation WHERE id = 1")
                    .fetch_one(&mut *self.conn().await?)
                    .await?;
                Ok(v)
            }

            #[tracing::instrument(name = "store.changes_since", level = "debug", skip_all)]
            async fn changes_since(
                &self,
                generation: i64,
            ) -> $crate::store::StoreResult<Vec<(i64, Option<$crate::store::Change>)>> {
                let rows: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT generation, scope, key FROM cache_changes WHERE generation > $1 \
                     ORDER BY generation LIMIT $2",
                )
                .bind(generation)
                .bind($crate::store::MAX_CHANGES_READ)
                .fetch_all(&mut *self.conn().await?)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(g, scope, key)| (g, $crate::store::Change::parse(&scope, key)))
                    .collect())
            }

            #[tracing::instrument(name = "store.create_tenant", level = "debug", skip_all)]
            async fn create_tenant(
                &self,
                t: &$crate::domain::Tenant,
                key: &$crate::store::StoredKey,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "INSERT INTO tenants (slug, signing_alg, access_token_ttl, max_access_token_ttl, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&t.slug)
                .bind(t.signing_alg.as_str())
                .bind(t.access_token_ttl)
                .bind(t.max_access_token_ttl)
                .bind(t.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "tenant"))?;
                $crate::store::sql::insert_key!(&mut *tx, key);
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::tenant(&t.slug));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.tenant", level = "debug", skip_all)]
            async fn tenant(&self, slug: &str) -> $crate::store::StoreResult<Option<$crate::domain::Tenant>> {
                let row: Option<$crate::store::rows::TenantRow> =
                    sqlx::query_as("SELECT * FROM tenants WHERE slug = $1")
                        .bind(slug)
                        .fetch_optional(&mut *self.conn().await?)
                        .await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(name = "store.tenants", level = "debug", skip_all)]
            async fn tenants(&self, page: &$crate::store::Page<String>) -> $crate::store::StoreResult<Vec<$crate::domain::Tenant>> {
                let rows: Vec<$crate::store::rows::TenantRow> =
                    sqlx::query_as("SELECT * FROM tenants WHERE slug > $1 ORDER BY slug LIMIT $2")
                        .bind(page.after_key())
                        .bind(page.limit)
                        .fetch_all(&mut *self.conn().await?)
                        .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(name = "store.update_tenant_lifetimes", level = "debug", skip_all)]
            async fn update_tenant_lifetimes(&self, t: &$crate::domain::Tenant) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query("UPDATE tenants SET refresh_idle_ttl = $1, refresh_absolute_ttl = $2, pat_max_ttl = $3, decision_cache_max_seconds = $5, \
                             dynamic_registration = $6, client_id_metadata_documents = $7 WHERE slug = $4")
                    .bind(t.refresh_idle_ttl)
                    .bind(t.refresh_absolute_ttl)
                    .bind(t.pat_max_ttl)
                    .bind(&t.slug)
                    .bind(t.decision_cache_max_seconds)
                    .bind(t.dynamic_registration)
                    .bind(t.client_id_metadata_documents)
                    .execute(&mut *tx)
                    .await?;
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::tenant(&t.slug));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.create_client", level = "debug", skip_all)]
            async fn create_client(
                &self,
                c: &$crate::domain::Client,
                deliveries: &[$crate::store::Delivery],
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                $crate::store::sql::insert_client!(&mut *tx, c);
                $crate::store::sql::insert_deliveries!(&mut *tx, deliveries);
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::client(&c.client_id));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.client", level = "debug", skip_all)]
            async fn client(&self, client_id: &str) -> $crate::store::StoreResult<Option<$crate::domain::Client>> {
                let row: Option<$crate::store::rows::ClientRow> =
                    sqlx::query_as("SELECT * FROM clients WHERE client_id = $1")
                        .bind(client_id)
                        .fetch_optional(&mut *self.conn().await?)
                        .await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(name = "store.clients", level = "debug", skip_all)]
            async fn clients(
                &self,
                tenant: &str,
                page: &$crate::store::Page<(i64, String)>,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::Client>> {
                let (at, id) = page.pair(i64::MIN);
                let rows: Vec<$crate::store::rows::ClientRow> = sqlx::query_as(
                    "SELECT * FROM clients WHERE tenant = $1 AND (created_at, client_id) > ($2, $3) \
                     ORDER BY created_at, client_id LIMIT $4",
                )
                        .bind(tenant)
                        .bind(at)
                        .bind(id)
                        .bind(page.limit)
                        .fetch_all(&mut *self.conn().await?)
                        .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(name = "store.rotate_client_secret", level = "debug", skip_all)]
            async fn rotate_client_secret(
                &self,
                client_id: &str,
                new_hash: &[u8; 32],
                previous_expires_at: i64,
                deliveries: &[$crate::store::Delivery],
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE clients SET previous_secret_hash = secret_hash, \
                     previous_secret_expires_at = $1, secret_hash = $2 WHERE client_id = $3",
                )
                .bind(previous_expires_at)
                .bind(&new_hash[..])
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("client"));
                }
                $crate::store::sql::insert_deliveries!(&mut *tx, deliveries);
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::client(client_id));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.update_client_metadata", level = "debug", skip_all)]
            async fn update_client_metadata(
                &self,
                c: &$crate::domain::Client,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE clients SET name = $1, grant_types = $2, scopes = $3, default_scopes = $4, \
                     redirect_uris = $5, metadata = $6 WHERE client_id = $7",
                )
                .bind(&c.name)
                .bind(c.grant_types.join(" "))
                .bind(c.scopes.to_string())
                .bind(c.default_scopes.to_string())
                .bind(c.redirect_uris.join(" "))
                .bind(c.metadata.to_string())
                .bind(&c.client_id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("client"));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::client(&c.client_id));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.delete_client", level = "debug", skip_all)]
            async fn delete_client(
                &self,
                client_id: &str,
                deliveries: &[$crate::store::Delivery],
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("DELETE FROM clients WHERE client_id = $1")
                    .bind(client_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("client"));
                }
                $crate::store::sql::insert_deliveries!(&mut *tx, deliveries);
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::client(client_id));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.signing_keys", level = "debug", skip_all)]
            async fn signing_keys(
                &self,
                tenant: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StoredKey>> {
                let keys: Vec<$crate::store::StoredKey> = sqlx::query_as(
                    "SELECT * FROM signing_keys WHERE tenant = $1 \
                     AND (retired_at IS NULL OR publish_until > $2) \
                     ORDER BY created_at DESC, kid",
                )
                .bind(tenant)
                .bind(now)
                .fetch_all(&mut *self.conn().await?)
                .await?;
                Ok(keys)
            }

            #[tracing::instrument(name = "store.rotate_signing_key", level = "debug", skip_all)]
            async fn rotate_signing_key(
                &self,
                key: &$crate::store::StoredKey,
                now: i64,
                publish_until: i64,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                // Write first, so SQLite takes its write lock at the start.
                sqlx::query(
                    "UPDATE signing_keys SET retired_at = $1, publish_until = $2 \
                     WHERE tenant = $3 AND retired_at IS NULL",
                )
                .bind(now)
                .bind(publish_until)
                .bind(&key.tenant)
                .execute(&mut *tx)
                .await?;
                $crate::store::sql::insert_key!(&mut *tx, key);
                sqlx::query("UPDATE tenants SET signing_alg = $1 WHERE slug = $2")
                    .bind(&key.alg)
                    .bind(&key.tenant)
                    .execute(&mut *tx)
                    .await?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::tenant(&key.tenant));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.revoke_token", level = "debug", skip_all)]
            async fn revoke_token(&self, jti: &str, tenant: &str, expires_at: i64) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO revoked_tokens (jti, tenant, expires_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (jti) DO NOTHING",
                )
                .bind(jti)
                .bind(tenant)
                .bind(expires_at)
                .execute(&mut *self.conn().await?)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.is_token_revoked", level = "debug", skip_all)]
            async fn is_token_revoked(&self, jti: &str) -> $crate::store::StoreResult<bool> {
                let row: Option<(String,)> = sqlx::query_as("SELECT jti FROM revoked_tokens WHERE jti = $1")
                    .bind(jti)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?;
                Ok(row.is_some())
            }

            #[tracing::instrument(name = "store.add_plugin", level = "debug", skip_all)]
            async fn add_plugin(
                &self,
                name: &str,
                sha256: &str,
                hook: &str,
                wit: &str,
                wasm: &[u8],
                now: i64,
            ) -> $crate::store::StoreResult<$crate::store::PluginRecord> {
                let mut tx = self.begin().await?;
                sqlx::query("INSERT INTO plugin_blobs (sha256, wasm) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING")
                    .bind(sha256)
                    .bind(wasm)
                    .execute(&mut *tx)
                    .await?;
                let record: $crate::store::PluginRecord = sqlx::query_as(
                    "INSERT INTO plugins (name, version, sha256, hook, created_at, wit) \
                     SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5 FROM plugins WHERE name = $1 \
                     RETURNING name, version, sha256, hook, created_at, wit",
                )
                .bind(name)
                .bind(sha256)
                .bind(hook)
                .bind(now)
                .bind(wit)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "plugin version"))?;
                tx.commit().await?;
                Ok(record)
            }

            #[tracing::instrument(name = "store.plugins", level = "debug", skip_all)]
            async fn plugins(
                &self,
                page: &$crate::store::Page<(String, i64)>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::PluginRecord>> {
                let (name, version) = match &page.after {
                    Some((n, v)) => (n.as_str(), *v),
                    None => ("", i64::MIN),
                };
                Ok(sqlx::query_as(
                    "SELECT * FROM plugins WHERE (name, version) > ($1, $2) ORDER BY name, version LIMIT $3",
                )
                    .bind(name)
                    .bind(version)
                    .bind(page.limit)
                    .fetch_all(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.plugin", level = "debug", skip_all)]
            async fn plugin(
                &self,
                name: &str,
                version: Option<i64>,
            ) -> $crate::store::StoreResult<Option<$crate::store::PluginRecord>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM plugins WHERE name = $1 AND ($2 IS NULL OR version = $2) \
                     ORDER BY version DESC LIMIT 1",
                )
                .bind(name)
                .bind(version)
                .fetch_optional(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.plugin_wasm", level = "debug", skip_all)]
            async fn plugin_wasm(&self, sha256: &str) -> $crate::store::StoreResult<Option<Vec<u8>>> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT wasm FROM plugin_blobs WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?;
                Ok(row.map(|(w,)| w))
            }

            #[tracing::instrument(name = "store.bind_plugin", level = "debug", skip_all)]
            async fn bind_plugin(
                &self,
                b: &$crate::store::Binding,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let sql = format!(
                    "INSERT INTO {} (tenant, hook, plugin_name, plugin_version, config, deadline_ms, memory_mib, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (tenant, hook) DO UPDATE SET plugin_name = excluded.plugin_name, \
                     plugin_version = excluded.plugin_version, config = excluded.config, \
                     deadline_ms = excluded.deadline_ms, memory_mib = excluded.memory_mib, created_at = excluded.created_at",
                    $crate::store::sql::binding_table(&b.tenant)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&b.tenant)
                    .bind(&b.hook)
                    .bind(&b.plugin_name)
                    .bind(b.plugin_version)
                    .bind(&b.config)
                    .bind(b.deadline_ms)
                    .bind(b.memory_mib)
                    .bind(b.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::store::sql::conflict(e, "binding"))?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::bindings_of(&b.tenant));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.unbind_plugin", level = "debug", skip_all)]
            async fn unbind_plugin(
                &self,
                tenant: &str,
                hook: &str,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let sql = format!(
                    "DELETE FROM {} WHERE tenant = $1 AND hook = $2",
                    $crate::store::sql::binding_table(tenant)
                );
                let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant)
                    .bind(hook)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("binding"));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::bindings_of(tenant));
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.bindings", level = "debug", skip_all)]
            async fn bindings(&self, tenant: &str) -> $crate::store::StoreResult<Vec<$crate::store::BoundPluginRow>> {
                let sql = format!(
                    "SELECT b.*, p.sha256 FROM {} b \
                     JOIN plugins p ON p.name = b.plugin_name AND p.version = b.plugin_version \
                     WHERE b.tenant = $1 ORDER BY b.hook",
                    $crate::store::sql::binding_table(tenant)
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant).fetch_all(&mut *self.conn().await?).await?)
            }

            #[tracing::instrument(name = "store.create_delivery_secret", level = "debug", skip_all)]
            async fn create_delivery_secret(
                &self,
                tenant: &str,
                sealed: &[u8],
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO delivery_secrets (tenant, secret, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (tenant) DO NOTHING",
                )
                .bind(tenant)
                .bind(sealed)
                .bind(now)
                .execute(&mut *self.conn().await?)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "delivery secret"))?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(name = "store.delivery_secrets", level = "debug", skip_all)]
            async fn delivery_secrets(
                &self,
                tenant: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::DeliverySecrets>> {
                Ok(sqlx::query_as(
                    "SELECT secret, previous_secret, previous_expires_at FROM delivery_secrets WHERE tenant = $1",
                )
                .bind(tenant)
                .fetch_optional(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.rotate_delivery_secret", level = "debug", skip_all)]
            async fn rotate_delivery_secret(
                &self,
                tenant: &str,
                sealed: &[u8],
                previous_expires_at: i64,
                now: i64,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE delivery_secrets SET previous_secret = secret, previous_expires_at = $3, \
                     secret = $2, created_at = $4 WHERE tenant = $1",
                )
                .bind(tenant)
                .bind(sealed)
                .bind(previous_expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("delivery signing secret"));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.claim_deliveries", level = "debug", skip_all)]
            async fn claim_deliveries(
                &self,
                now_ms: i64,
                lease_ms: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Delivery>> {
                // The outer lease check makes a row claimed concurrently by
                // another replica drop out even without row locks.
                Ok(sqlx::query_as(concat!(
                    "UPDATE deliveries SET locked_until_ms = $1 + $2, attempts = attempts + 1 \
                     WHERE status = 'pending' AND (locked_until_ms IS NULL OR locked_until_ms <= $1) \
                     AND id IN (SELECT id FROM deliveries d WHERE status = 'pending' AND next_attempt_ms <= $1 \
                     AND (locked_until_ms IS NULL OR locked_until_ms <= $1) \
                     AND (d.installation_id IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries e \
                          WHERE e.installation_id = d.installation_id AND e.sequence < d.sequence \
                          AND e.status = 'pending')) \
                     ORDER BY next_attempt_ms LIMIT $3 ",
                    $claim_lock,
                    ") RETURNING *"
                ))
                .bind(now_ms)
                .bind(lease_ms)
                .bind(limit)
                .fetch_all(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.finish_delivery", level = "debug", skip_all)]
            async fn finish_delivery(
                &self,
                id: &str,
                outcome: &$crate::store::DeliveryOutcome,
            ) -> $crate::store::StoreResult<()> {
                use $crate::store::DeliveryOutcome;
                let mut tx = self.begin().await?;
                match outcome {
                    DeliveryOutcome::Delivered { at } => {
                        sqlx::query(
                            "UPDATE deliveries SET status = 'delivered', request = NULL, locked_until_ms = NULL, \
                             last_error = NULL, finished_at = $1 WHERE id = $2",
                        )
                        .bind(at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        // An app's required install hook answered: the installation is usable.
                        let confirmed: Option<(String,)> = sqlx::query_as(
                            "UPDATE installations SET awaiting_hook = FALSE WHERE awaiting_hook AND id = \
                             (SELECT installation_id FROM deliveries WHERE id = $1 AND event = 'installation.created') \
                             RETURNING id",
                        )
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if let Some((installation,)) = confirmed {
                            $crate::store::sql::bump!(&mut *tx, $crate::store::Change::Installation(installation));
                        }
                    }
                    DeliveryOutcome::Retry { next_attempt_ms, error } => {
                        sqlx::query(
                            "UPDATE deliveries SET next_attempt_ms = $1, last_error = $2, locked_until_ms = NULL WHERE id = $3",
                        )
                        .bind(next_attempt_ms)
                        .bind(error)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    DeliveryOutcome::Dead { at, error, audit } => {
                        sqlx::query(
                            "UPDATE deliveries SET status = 'dead', last_error = $1, locked_until_ms = NULL, \
                             finished_at = $2 WHERE id = $3",
                        )
                        .bind(error)
                        .bind(at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        $crate::store::sql::insert_audit!(&mut *tx, audit);
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.deliveries", level = "debug", skip_all)]
            async fn deliveries(
                &self,
                tenant: &str,
                page: &$crate::store::Page<(i64, String)>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Delivery>> {
                // Newest first: the key is the row before, read downwards.
                let (at, id) = page.pair(i64::MAX);
                Ok(sqlx::query_as(
                    "SELECT * FROM deliveries WHERE tenant = $1 AND (created_at, id) < ($2, $3) \
                     ORDER BY created_at DESC, id DESC LIMIT $4",
                )
                .bind(tenant)
                .bind(at)
                .bind(id)
                .bind(page.limit)
                .fetch_all(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.retry_delivery", level = "debug", skip_all)]
            async fn retry_delivery(
                &self,
                tenant: &str,
                id: &str,
                now_ms: i64,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_ms = $1, finished_at = NULL \
                     WHERE id = $2 AND tenant = $3 AND status = 'dead' AND request IS NOT NULL",
                )
                .bind(now_ms)
                .bind(id)
                .bind(tenant)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("dead-lettered delivery"));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.audit", level = "debug", skip_all)]
            async fn audit(&self, event: &$crate::store::AuditEvent) -> $crate::store::StoreResult<()> {
                $crate::store::sql::insert_audit!(&mut *self.conn().await?, event);
                Ok(())
            }

            #[tracing::instrument(name = "store.audit_events", level = "debug", skip_all)]
            async fn audit_events(
                &self,
                tenant: &str,
                page: &$crate::store::Page<i64>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AuditRecord>> {
                Ok(sqlx::query_as(
                    "SELECT id, tenant, action, detail, created_at FROM audit_events \
                     WHERE tenant = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                )
                .bind(tenant)
                .bind(page.after.unwrap_or(i64::MAX))
                .bind(page.limit)
                .fetch_all(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.maintain", level = "debug", skip_all)]
            async fn maintain(&self) -> $crate::store::StoreResult<()> {
                Ok(self.checkpoint_wal().await?)
            }

            fn pools(&self) -> Vec<$crate::metrics::PoolUse> {
                self.pool_use()
            }

            #[tracing::instrument(name = "store.outbox_depth", level = "debug", skip_all)]
            async fn outbox_depth(&self) -> $crate::store::StoreResult<(i64, Option<i64>)> {
                Ok(sqlx::query_as(
                    "SELECT COUNT(*), MIN(created_at) FROM deliveries WHERE status = 'pending'",
                )
                .fetch_one(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.purge_expired_revocations", level = "debug", skip_all)]
            async fn purge_expired_revocations(&self, now: i64) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *self.conn().await?)
                    .await?;
                let assertions = sqlx::query("DELETE FROM client_assertions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *self.conn().await?)
                    .await?;
                let pushed = sqlx::query("DELETE FROM pushed_requests WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *self.conn().await?)
                    .await?;
                let devices = sqlx::query("DELETE FROM device_codes WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *self.conn().await?)
                    .await?;
                Ok(done.rows_affected()
                    + assertions.rows_affected()
                    + pushed.rows_affected()
                    + devices.rows_affected())
            }

            #[tracing::instrument(name = "store.use_client_assertion", level = "debug", skip_all)]
            async fn use_client_assertion(
                &self,
                key: &str,
                expires_at: i64,
            ) -> $crate::store::StoreResult<bool> {
                self.group_commits
                    .assertions
                    .call((key.to_string(), expires_at))
                    .await
            }
        }
    };
}

macro_rules! insert_key {
    ($conn:expr, $key:expr) => {
        sqlx::query(
            "INSERT INTO signing_keys (kid, tenant, alg, private_key, public_jwk, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&$key.kid)
        .bind(&$key.tenant)
        .bind(&$key.alg)
        .bind(&$key.private_key)
        .bind(&$key.public_jwk)
        .bind($key.created_at)
        .execute($conn)
        .await
        .map_err(|e| $crate::store::sql::conflict(e, "signing key"))?
    };
}

macro_rules! insert_client {
    ($conn:expr, $c:expr) => {
        sqlx::query(
            "INSERT INTO clients (client_id, tenant, name, grant_types, scopes, default_scopes, \
             resources, access_token_ttl, secret_hash, metadata, created_at, redirect_uris, public_client, \
             post_logout_redirect_uris, installation_id, jwks, require_pushed_authorization_requests, \
             dpop_bound_access_tokens, authorization_details_types, registration, registration_token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        )
        .bind(&$c.client_id)
        .bind(&$c.tenant)
        .bind(&$c.name)
        .bind($c.grant_types.join(" "))
        .bind($c.scopes.to_string())
        .bind($c.default_scopes.to_string())
        .bind($c.resources.join(" "))
        .bind($c.access_token_ttl)
        .bind(&$c.secret_hash[..])
        .bind($c.metadata.to_string())
        .bind($c.created_at)
        .bind($c.redirect_uris.join(" "))
        .bind($c.public)
        .bind($c.post_logout_redirect_uris.join(" "))
        .bind(&$c.installation)
        .bind($c.jwks.as_ref().map(|j| j.to_string()))
        .bind($c.require_pushed_authorization_requests)
        .bind($c.dpop_bound_access_tokens)
        .bind($c.authorization_details_types.join(" "))
        .bind(&$c.registration)
        .bind($c.registration_token_hash.as_ref().map(|h| h.to_vec()))
        .execute($conn)
        .await
        .map_err(|e| $crate::store::sql::conflict(e, "client"))?
    };
}

/// Records changes for replicas' caches: each bumps the generation and logs
/// what it touched (`cache_changes`), in the caller's transaction.
macro_rules! bump {
    ($conn:expr, $($change:expr),+ $(,)?) => {
        for change in [$($change),+] {
            let change: $crate::store::Change = change;
            let (generation,): (i64,) = sqlx::query_as(
                "UPDATE cache_generation SET value = value + 1 WHERE id = 1 RETURNING value",
            )
            .fetch_one($conn)
            .await?;
            sqlx::query("INSERT INTO cache_changes (generation, scope, key) VALUES ($1, $2, $3)")
                .bind(generation)
                .bind(change.scope())
                .bind(change.key())
                .execute($conn)
                .await?;
            if generation % 100 == 0 {
                sqlx::query("DELETE FROM cache_changes WHERE generation <= $1")
                    .bind(generation - $crate::store::KEPT_CHANGES)
                    .execute($conn)
                    .await?;
            }
        }
    };
}

macro_rules! insert_deliveries {
    ($conn:expr, $deliveries:expr) => {
        for d in $deliveries {
            sqlx::query(
                "INSERT INTO deliveries (id, event_id, event, tenant, client_id, url, request, status, \
                 attempts, next_attempt_ms, created_at, app, installation_id, sequence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&d.id)
            .bind(&d.event_id)
            .bind(&d.event)
            .bind(&d.tenant)
            .bind(&d.client_id)
            .bind(&d.url)
            .bind(&d.request)
            .bind(&d.status)
            .bind(d.attempts)
            .bind(d.next_attempt_ms)
            .bind(d.created_at)
            .bind(&d.app)
            .bind(&d.installation_id)
            .bind(d.sequence)
            .execute(&mut *$conn)
            .await
            .map_err(|e| $crate::store::sql::conflict(e, "delivery"))?;
        }
    };
}

macro_rules! insert_audit {
    ($conn:expr, $event:expr) => {
        sqlx::query(
            "INSERT INTO audit_events (tenant, action, detail, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&$event.tenant)
        .bind(&$event.action)
        .bind(&$event.detail)
        .bind($event.created_at)
        .execute($conn)
        .await?
    };
}

pub(crate) use {bump, insert_audit, insert_client, insert_deliveries, insert_key};

/// Where a tenant's bindings live: the platform's defaults (`PLATFORM`) have
/// their own table, since they belong to no tenant.
pub fn binding_table(tenant: &str) -> &'static str {
    if tenant == super::PLATFORM {
        "platform_bindings"
    } else {
        "plugin_bindings"
    }
}

/// Maps unique and foreign-key violations to what they mean to a caller.
pub fn conflict(e: sqlx::Error, what: &'static str) -> super::StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => super::StoreError::Conflict(what),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            super::StoreError::NotFound("tenant")
        }
        _ => e.into(),
    }
}
