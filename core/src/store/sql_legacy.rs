//! The `Legacy` SQL, shared by both backends like `sql.rs`.

macro_rules! impl_sql_legacy {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Legacy for $store {
            #[tracing::instrument(name = "store.legacy_policy", level = "debug", skip_all)]
            async fn legacy_policy(
                &self,
            ) -> $crate::store::StoreResult<Option<$crate::store::LegacyPolicy>> {
                let row: Option<(i64, Option<i64>, String, Option<String>, String, i64)> = sqlx::query_as(
                    "SELECT sunset_at, warn_from, message, migration_url, brownouts, updated_at FROM legacy_policy WHERE id = 1",
                )
                .fetch_optional(&mut *self.conn().await?)
                .await?;
                row.map(|(sunset_at, warn_from, message, migration_url, brownouts, updated_at)| {
                    Ok($crate::store::LegacyPolicy {
                        sunset_at,
                        warn_from,
                        message,
                        migration_url,
                        brownouts: serde_json::from_str(&brownouts).map_err(|e| {
                            $crate::store::StoreError::Corrupt(format!("legacy brownouts: {e}"))
                        })?,
                        updated_at,
                    })
                })
                .transpose()
            }

            #[tracing::instrument(name = "store.set_legacy_policy", level = "debug", skip_all)]
            async fn set_legacy_policy(
                &self,
                p: &$crate::store::LegacyPolicy,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "INSERT INTO legacy_policy (id, sunset_at, warn_from, message, migration_url, brownouts, updated_at) \
                     VALUES (1, $1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (id) DO UPDATE SET sunset_at = excluded.sunset_at, warn_from = excluded.warn_from, \
                     message = excluded.message, migration_url = excluded.migration_url, \
                     brownouts = excluded.brownouts, updated_at = excluded.updated_at",
                )
                .bind(p.sunset_at)
                .bind(p.warn_from)
                .bind(&p.message)
                .bind(&p.migration_url)
                .bind(serde_json::to_string(&p.brownouts).unwrap_or_else(|_| "[]".into()))
                .bind(p.updated_at)
                .execute(&mut *tx)
                .await?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::Legacy);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.legacy_clients", level = "debug", skip_all)]
            async fn legacy_clients(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::LegacyClient>> {
                Ok(sqlx::query_as("SELECT * FROM legacy_clients ORDER BY tenant, client_id")
                    .fetch_all(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.mark_legacy", level = "debug", skip_all)]
            async fn mark_legacy(
                &self,
                client_id: &str,
                mark: Option<&$crate::store::LegacyClient>,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                match mark {
                    Some(m) => {
                        sqlx::query(
                            "INSERT INTO legacy_clients (client_id, tenant, replaced_by, marked_at) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (client_id) DO UPDATE SET replaced_by = excluded.replaced_by",
                        )
                        .bind(&m.client_id)
                        .bind(&m.tenant)
                        .bind(&m.replaced_by)
                        .bind(m.marked_at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM legacy_clients WHERE client_id = $1")
                            .bind(client_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::Legacy);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.exemptions", level = "debug", skip_all)]
            async fn exemptions(&self) -> $crate::store::StoreResult<Vec<$crate::store::Exemption>> {
                Ok(sqlx::query_as("SELECT * FROM legacy_exemptions ORDER BY tenant")
                    .fetch_all(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.set_exemption", level = "debug", skip_all)]
            async fn set_exemption(
                &self,
                tenant: &str,
                exemption: Option<&$crate::store::Exemption>,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                match exemption {
                    Some(e) => {
                        sqlx::query(
                            "INSERT INTO legacy_exemptions (tenant, until, reason, created_at) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (tenant) DO UPDATE SET until = excluded.until, reason = excluded.reason",
                        )
                        .bind(&e.tenant)
                        .bind(e.until)
                        .bind(&e.reason)
                        .bind(e.created_at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM legacy_exemptions WHERE tenant = $1")
                            .bind(tenant)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                $crate::store::sql::bump!(&mut *tx, $crate::store::Change::Legacy);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.add_legacy_use", level = "debug", skip_all)]
            async fn add_legacy_use(
                &self,
                uses: &[$crate::store::LegacyUse],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                for u in uses {
                    sqlx::query(
                        "INSERT INTO legacy_usage (client_id, day, uses, last_used_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (client_id, day) DO UPDATE SET uses = legacy_usage.uses + excluded.uses, \
                         last_used_at = CASE WHEN legacy_usage.last_used_at IS NULL \
                             OR excluded.last_used_at > legacy_usage.last_used_at \
                             THEN excluded.last_used_at ELSE legacy_usage.last_used_at END",
                    )
                    .bind(&u.client_id)
                    .bind(u.day)
                    .bind(u.uses)
                    .bind(u.last_used_at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.legacy_uses", level = "debug", skip_all)]
            async fn legacy_uses(
                &self,
                since_day: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::LegacyUse>> {
                Ok(sqlx::query_as("SELECT * FROM legacy_usage WHERE day >= $1 ORDER BY client_id, day")
                    .bind(since_day)
                    .fetch_all(&mut *self.conn().await?)
                    .await?)
            }
        }
    };
}
