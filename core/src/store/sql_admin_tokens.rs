//! The admin token SQL both backends share.

macro_rules! impl_sql_admin_tokens {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::AdminTokens for $store {
            #[tracing::instrument(name = "store.create_admin_token", level = "debug", skip_all)]
            async fn create_admin_token(
                &self,
                t: &$crate::store::AdminTokenRecord,
                hash: &[u8; 32],
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "INSERT INTO admin_tokens (name, scopes, token_hash, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&t.name)
                .bind(&t.scopes)
                .bind(&hash[..])
                .bind(t.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "admin token"))?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.admin_token_by_hash", level = "debug", skip_all)]
            async fn admin_token_by_hash(
                &self,
                hash: &[u8; 32],
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::AdminTokenRecord>> {
                Ok(sqlx::query_as(
                    "SELECT name, scopes, created_at, rotated_at, previous_until, revoked_at FROM admin_tokens \
                     WHERE revoked_at IS NULL AND (token_hash = $1 OR (previous_hash = $1 AND previous_until > $2))",
                )
                .bind(&hash[..])
                .bind(now)
                .fetch_optional(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.admin_tokens", level = "debug", skip_all)]
            async fn admin_tokens(&self) -> $crate::store::StoreResult<Vec<$crate::store::AdminTokenRecord>> {
                Ok(sqlx::query_as(
                    "SELECT name, scopes, created_at, rotated_at, previous_until, revoked_at FROM admin_tokens ORDER BY name",
                )
                .fetch_all(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.any_admin_token", level = "debug", skip_all)]
            async fn any_admin_token(&self) -> $crate::store::StoreResult<bool> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM admin_tokens")
                    .fetch_one(&mut *self.conn().await?)
                    .await?;
                Ok(n > 0)
            }

            #[tracing::instrument(name = "store.rotate_admin_token", level = "debug", skip_all)]
            async fn rotate_admin_token(
                &self,
                name: &str,
                hash: &[u8; 32],
                previous_until: i64,
                audit: &$crate::store::AuditEvent,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE admin_tokens SET previous_hash = token_hash, previous_until = $2, token_hash = $3, rotated_at = $4 \
                     WHERE name = $1 AND revoked_at IS NULL",
                )
                .bind(name)
                .bind(previous_until)
                .bind(&hash[..])
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("admin token"));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.revoke_admin_token", level = "debug", skip_all)]
            async fn revoke_admin_token(
                &self,
                name: &str,
                audit: &$crate::store::AuditEvent,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE admin_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                )
                .bind(name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("admin token"));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
