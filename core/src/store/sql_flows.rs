//! The `Flows` SQL, shared by both backends like `sql.rs`.

macro_rules! impl_sql_flows {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Flows for $store {
            #[tracing::instrument(name = "store.create_pushed_request", level = "debug", skip_all)]
            async fn create_pushed_request(&self, r: &$crate::store::PushedRequest) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO pushed_requests (uri_hash, tenant, client_id, params, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&r.uri_hash)
                .bind(&r.tenant)
                .bind(&r.client_id)
                .bind(&r.params)
                .bind(r.expires_at)
                .execute(&mut *self.conn().await?)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.pushed_request", level = "debug", skip_all)]
            async fn pushed_request(&self, uri_hash: &[u8]) -> $crate::store::StoreResult<Option<$crate::store::PushedRequest>> {
                Ok(sqlx::query_as("SELECT * FROM pushed_requests WHERE uri_hash = $1")
                    .bind(uri_hash)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.spend_pushed_request", level = "debug", skip_all)]
            async fn spend_pushed_request(&self, uri_hash: &[u8], now: i64) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE pushed_requests SET used_at = $1 WHERE uri_hash = $2 AND used_at IS NULL AND expires_at > $1",
                )
                .bind(now)
                .bind(uri_hash)
                .execute(&mut *self.conn().await?)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(name = "store.create_device_code", level = "debug", skip_all)]
            async fn create_device_code(&self, c: &$crate::store::DeviceCode) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO device_codes (device_hash, user_code, tenant, client_id, scopes, created_at, expires_at, interval_s, \
                     authorization_details, resources) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&c.device_hash)
                .bind(&c.user_code)
                .bind(&c.tenant)
                .bind(&c.client_id)
                .bind(&c.scopes)
                .bind(c.created_at)
                .bind(c.expires_at)
                .bind(c.interval_s)
                .bind(&c.authorization_details)
                .bind(&c.resources)
                .execute(&mut *self.conn().await?)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "user code"))?;
                Ok(())
            }

            #[tracing::instrument(name = "store.device_code", level = "debug", skip_all)]
            async fn device_code(&self, device_hash: &[u8]) -> $crate::store::StoreResult<Option<$crate::store::DeviceCode>> {
                Ok(sqlx::query_as("SELECT * FROM device_codes WHERE device_hash = $1")
                    .bind(device_hash)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.device_code_by_user_code", level = "debug", skip_all)]
            async fn device_code_by_user_code(&self, tenant: &str, user_code: &str) -> $crate::store::StoreResult<Option<$crate::store::DeviceCode>> {
                Ok(sqlx::query_as("SELECT * FROM device_codes WHERE tenant = $1 AND user_code = $2")
                    .bind(tenant)
                    .bind(user_code)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.decide_device_code", level = "debug", skip_all)]
            async fn decide_device_code(
                &self,
                tenant: &str,
                user_code: &str,
                approval: Option<(&str, &str, i64)>,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let done = match approval {
                    Some((user_id, scopes, auth_time)) => sqlx::query(
                        "UPDATE device_codes SET status = 'approved', user_id = $1, scopes = $2, auth_time = $3 \
                         WHERE tenant = $4 AND user_code = $5 AND status = 'pending' AND expires_at > $6",
                    )
                    .bind(user_id)
                    .bind(scopes)
                    .bind(auth_time)
                    .bind(tenant)
                    .bind(user_code)
                    .bind(now)
                    .execute(&mut *self.conn().await?)
                    .await?,
                    None => sqlx::query(
                        "UPDATE device_codes SET status = 'denied' \
                         WHERE tenant = $1 AND user_code = $2 AND status = 'pending' AND expires_at > $3",
                    )
                    .bind(tenant)
                    .bind(user_code)
                    .bind(now)
                    .execute(&mut *self.conn().await?)
                    .await?,
                };
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(name = "store.slow_down_device_code", level = "debug", skip_all)]
            async fn slow_down_device_code(&self, device_hash: &[u8]) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE device_codes SET interval_s = interval_s + 5 WHERE device_hash = $1",
                )
                .bind(device_hash)
                .execute(&mut *self.conn().await?)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.spend_device_code", level = "debug", skip_all)]
            async fn spend_device_code(&self, device_hash: &[u8]) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE device_codes SET status = 'used' WHERE device_hash = $1 AND status = 'approved'",
                )
                .bind(device_hash)
                .execute(&mut *self.conn().await?)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(name = "store.bind_refresh_family", level = "debug", skip_all)]
            async fn bind_refresh_family(&self, family_id: &str, jkt: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("INSERT INTO dpop_bound_families (family_id, jkt) VALUES ($1, $2)")
                    .bind(family_id)
                    .bind(jkt)
                    .execute(&mut *self.conn().await?)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.start_family_target", level = "debug", skip_all)]
            async fn start_family_target(
                &self,
                family_id: &str,
                authorization_details: Option<&str>,
                resources: &str,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("INSERT INTO refresh_family_grants (family_id, authorization_details, resources) VALUES ($1, $2, $3)")
                    .bind(family_id)
                    .bind(authorization_details)
                    .bind(resources)
                    .execute(&mut *self.conn().await?)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.refresh_family_key", level = "debug", skip_all)]
            async fn refresh_family_key(&self, family_id: &str) -> $crate::store::StoreResult<Option<String>> {
                let row: Option<(String,)> = sqlx::query_as("SELECT jkt FROM dpop_bound_families WHERE family_id = $1")
                    .bind(family_id)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?;
                Ok(row.map(|(k,)| k))
            }
        }
    };
}
