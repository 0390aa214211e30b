//! The `Accounts` SQL, shared by both backends like `sql.rs`.

/// Binds a refresh token's thirteen stored columns, in the order the insert
/// and the rotation round name them.
macro_rules! bind_refresh {
    ($query:expr, $t:expr) => {
        $query
            .bind(&$t.token_hash)
            .bind(&$t.family_id)
            .bind(&$t.tenant)
            .bind(&$t.client_id)
            .bind(&$t.user_id)
            .bind(&$t.scopes)
            .bind($t.auth_time)
            .bind($t.created_at)
            .bind($t.expires_at)
            .bind($t.family_expires_at)
            .bind($t.created_ms)
            .bind(&$t.access_jti)
            .bind($t.access_expires_at)
    };
}

pub(crate) use bind_refresh;

macro_rules! insert_refresh {
    ($conn:expr, $t:expr) => {
        $crate::store::sql_accounts::bind_refresh!(
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, family_id, tenant, client_id, user_id, scopes, auth_time, \
                 created_at, expires_at, family_expires_at, created_ms, access_jti, access_expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            ),
            $t
        )
        .execute($conn)
        .await?
    };
}

pub(crate) use insert_refresh;

macro_rules! insert_user {
    ($conn:expr, $u:expr) => {
        sqlx::query(
            "INSERT INTO users (id, tenant, username, password_hash, email, display_name, is_admin, created_at, \
             installation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&$u.id)
        .bind(&$u.tenant)
        .bind(&$u.username)
        .bind(&$u.password_hash)
        .bind(&$u.email)
        .bind(&$u.display_name)
        .bind($u.is_admin)
        .bind($u.created_at)
        .bind(&$u.installation)
        .execute($conn)
        .await
        .map_err(|e| $crate::store::sql::conflict(e, "user"))?
    };
}

pub(crate) use insert_user;

/// Why a change to a user matched no row: there is none, or it is a service
/// account (which only its installation changes).
macro_rules! missing_or_managed {
    ($conn:expr, $tenant:expr, $username:expr) => {{
        let managed: Option<(String,)> = sqlx::query_as(
            "SELECT username FROM users WHERE tenant = $1 AND username = $2 AND installation_id IS NOT NULL",
        )
        .bind($tenant)
        .bind($username)
        .fetch_optional($conn)
        .await?;
        match managed {
            Some(_) => $crate::store::StoreError::Managed(format!("user {} (a service account)", $username)),
            None => $crate::store::StoreError::NotFound("user"),
        }
    }};
}

pub(crate) use missing_or_managed;

/// Remembers as revoked the live (at `$1`) access tokens issued beside the
/// refresh tokens `condition` selects, so introspection and userinfo stop
/// accepting them with the family.
pub fn revoke_access_sql(condition: &str) -> String {
    format!(
        "INSERT INTO revoked_tokens (jti, tenant, expires_at) \
         SELECT access_jti, tenant, access_expires_at FROM refresh_tokens \
         WHERE access_jti IS NOT NULL AND access_expires_at > $1 AND {condition} \
         ON CONFLICT (jti) DO NOTHING"
    )
}

/// The `GroupCommits` of `rounds.rs`: lookups on `$pool`, rotations on
/// `$writer`, at most `$writes_in_flight` rotation rounds at once.
macro_rules! group_commits {
    ($pool:expr, $writer:expr, $writes_in_flight:expr) => {{
        use $crate::store::rounds::{self, GroupCommits, Rounds};
        let (pool, writer) = ($pool, $writer);
        let spender = writer.clone();
        GroupCommits {
            lookups: Rounds::start(
                2,
                Box::new(move |hashes: Vec<Vec<u8>>| {
                    let pool = pool.clone();
                    Box::pin(async move {
                        let sql = rounds::lookup_sql(hashes.len());
                        let mut query = sqlx::query_as::<_, $crate::store::RefreshToken>(
                            sqlx::AssertSqlSafe(sql),
                        );
                        for h in &hashes {
                            query = query.bind(h);
                        }
                        let rows = query.fetch_all(&pool).await?;
                        Ok(rounds::align_lookups(&hashes, rows))
                    })
                }),
            ),
            rotations: Rounds::start(
                $writes_in_flight,
                Box::new(move |round: Vec<rounds::Rotation>| {
                    let writer = writer.clone();
                    Box::pin(async move {
                        let sql = rounds::rotation_sql(round.len());
                        let mut query = sqlx::query_scalar::<_, Vec<u8>>(sqlx::AssertSqlSafe(sql));
                        for r in &round {
                            query = $crate::store::sql_accounts::bind_refresh!(query, r.successor)
                                .bind(&r.spent_hash);
                        }
                        let stored = query.fetch_all(&writer).await?;
                        Ok(rounds::align_rotations(&round, stored))
                    })
                }),
            ),
            assertions: Rounds::start(
                $writes_in_flight,
                Box::new(move |round: Vec<(String, i64)>| {
                    let writer = spender.clone();
                    Box::pin(async move {
                        let sql = rounds::assertion_sql(round.len());
                        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
                        for (key, expires_at) in &round {
                            query = query.bind(key).bind(expires_at);
                        }
                        let stored = query.fetch_all(&writer).await?;
                        Ok(rounds::align_assertions(&round, stored))
                    })
                }),
            ),
        }
    }};
}

pub(crate) use group_commits;

macro_rules! impl_sql_accounts {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Accounts for $store {
            #[tracing::instrument(name = "store.create_user", level = "debug", skip_all)]
            async fn create_user(&self, u: &$crate::domain::user::User, audit: &$crate::store::AuditEvent) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                $crate::store::sql_accounts::insert_user!(&mut *tx, u);
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.user", level = "debug", skip_all)]
            async fn user(&self, id: &str) -> $crate::store::StoreResult<Option<$crate::domain::user::User>> {
                let row: Option<$crate::store::rows::UserRow> =
                    sqlx::query_as("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(&mut *self.conn().await?).await?;
                Ok(row.map(Into::into))
            }

            #[tracing::instrument(name = "store.user_by_name", level = "debug", skip_all)]
            async fn user_by_name(&self, tenant: &str, username: &str) -> $crate::store::StoreResult<Option<$crate::domain::user::User>> {
                let row: Option<$crate::store::rows::UserRow> =
                    sqlx::query_as("SELECT * FROM users WHERE tenant = $1 AND username = $2")
                        .bind(tenant)
                        .bind(username)
                        .fetch_optional(&mut *self.conn().await?)
                        .await?;
                Ok(row.map(Into::into))
            }

            #[tracing::instrument(name = "store.users", level = "debug", skip_all)]
            async fn users(
                &self,
                tenant: &str,
                page: &$crate::store::Page<String>,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::user::User>> {
                let rows: Vec<$crate::store::rows::UserRow> = sqlx::query_as(
                    "SELECT * FROM users WHERE tenant = $1 AND username > $2 ORDER BY username LIMIT $3",
                )
                        .bind(tenant)
                        .bind(page.after_key())
                        .bind(page.limit)
                        .fetch_all(&mut *self.conn().await?)
                        .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(name = "store.delete_user", level = "debug", skip_all)]
            async fn delete_user(&self, tenant: &str, username: &str, now: i64, audit: &$crate::store::AuditEvent) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe($crate::store::sql_accounts::revoke_access_sql(
                    "user_id IN (SELECT id FROM users WHERE tenant = $2 AND username = $3)",
                )))
                .bind(now)
                .bind(tenant)
                .bind(username)
                .execute(&mut *tx)
                .await?;
                // Their refresh tokens die with them (sessions, consents and
                // PATs go by foreign key).
                sqlx::query(
                    "UPDATE refresh_tokens SET used_at = COALESCE(used_at, 0), expires_at = 0 \
                     WHERE user_id IN (SELECT id FROM users WHERE tenant = $1 AND username = $2)",
                )
                .bind(tenant)
                .bind(username)
                .execute(&mut *tx)
                .await?;
                let done = sqlx::query("DELETE FROM users WHERE tenant = $1 AND username = $2 AND installation_id IS NULL")
                    .bind(tenant)
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::sql_accounts::missing_or_managed!(&mut *tx, tenant, username));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.set_user_admin", level = "debug", skip_all)]
            async fn set_user_admin(&self, tenant: &str, username: &str, is_admin: bool, audit: &$crate::store::AuditEvent) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("UPDATE users SET is_admin = $1 WHERE tenant = $2 AND username = $3 AND installation_id IS NULL")
                    .bind(is_admin)
                    .bind(tenant)
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::sql_accounts::missing_or_managed!(&mut *tx, tenant, username));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.set_password", level = "debug", skip_all)]
            async fn set_password(&self, tenant: &str, username: &str, hash: &str, audit: &$crate::store::AuditEvent) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE tenant = $2 AND username = $3 AND installation_id IS NULL")
                    .bind(hash)
                    .bind(tenant)
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::sql_accounts::missing_or_managed!(&mut *tx, tenant, username));
                }
                // A new password ends every session.
                sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE tenant = $1 AND username = $2)")
                    .bind(tenant)
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.set_scope_description", level = "debug", skip_all)]
            async fn set_scope_description(&self, tenant: &str, scope: &str, description: &str, audit: &$crate::store::AuditEvent) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                // A new scope goes last; describing one again keeps its place.
                sqlx::query(
                    "INSERT INTO scope_descriptions (tenant, scope, description, position) VALUES ($1, $2, $3, \
                     (SELECT COALESCE(MAX(position), 0) + 1 FROM scope_descriptions WHERE tenant = $1)) \
                     ON CONFLICT (tenant, scope) DO UPDATE SET description = excluded.description",
                )
                .bind(tenant)
                .bind(scope)
                .bind(description)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "scope description"))?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.scope_descriptions", level = "debug", skip_all)]
            async fn scope_descriptions(&self, tenant: &str) -> $crate::store::StoreResult<Vec<(String, String)>> {
                Ok(sqlx::query_as("SELECT scope, description FROM scope_descriptions WHERE tenant = $1 ORDER BY COALESCE(position, 0), scope")
                    .bind(tenant)
                    .fetch_all(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.create_session", level = "debug", skip_all)]
            async fn create_session(&self, s: &$crate::store::Session) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query("INSERT INTO sessions (id_hash, tenant, user_id, auth_time, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&s.id_hash)
                    .bind(&s.tenant)
                    .bind(&s.user_id)
                    .bind(s.auth_time)
                    .bind(s.expires_at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
                    .bind(s.auth_time)
                    .bind(&s.user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.update_user_profile", level = "debug", skip_all)]
            async fn update_user_profile(
                &self,
                tenant: &str,
                username: &str,
                display_name: Option<&str>,
                email: Option<&str>,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("UPDATE users SET display_name = $1, email = $2 WHERE tenant = $3 AND username = $4 AND installation_id IS NULL")
                    .bind(display_name)
                    .bind(email)
                    .bind(tenant)
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::sql_accounts::missing_or_managed!(&mut *tx, tenant, username));
                }
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.create_password_reset", level = "debug", skip_all)]
            async fn create_password_reset(
                &self,
                r: &$crate::store::PasswordReset,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query("DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL")
                    .bind(&r.user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO password_resets (token_hash, tenant, user_id, created_by, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&r.token_hash)
                .bind(&r.tenant)
                .bind(&r.user_id)
                .bind(&r.created_by)
                .bind(r.created_at)
                .bind(r.expires_at)
                .execute(&mut *tx)
                .await?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.password_reset", level = "debug", skip_all)]
            async fn password_reset(
                &self,
                token_hash: &[u8],
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::PasswordReset>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut *self.conn().await?)
                .await?)
            }

            #[tracing::instrument(name = "store.use_password_reset", level = "debug", skip_all)]
            async fn use_password_reset(
                &self,
                token_hash: &[u8],
                password_hash: &str,
                now: i64,
                audit: &$crate::store::AuditEvent,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin().await?;
                // Claimed first: of two submissions of one link, one wins.
                let user: Option<(String,)> = sqlx::query_as(
                    "UPDATE password_resets SET used_at = $1 \
                     WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
                )
                .bind(now)
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((user_id,)) = user else {
                    return Ok(false);
                };
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND installation_id IS NULL")
                    .bind(password_hash)
                    .bind(&user_id)
                    .execute(&mut *tx)
                    .await?;
                // A new password ends every session.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(&user_id)
                    .execute(&mut *tx)
                    .await?;
                $crate::store::sql::insert_audit!(&mut *tx, audit);
                tx.commit().await?;
                Ok(true)
            }

            #[tracing::instrument(name = "store.session", level = "debug", skip_all)]
            async fn session(&self, id_hash: &[u8], now: i64) -> $crate::store::StoreResult<Option<$crate::store::Session>> {
                Ok(sqlx::query_as("SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2")
                    .bind(id_hash)
                    .bind(now)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.delete_session", level = "debug", skip_all)]
            async fn delete_session(&self, id_hash: &[u8]) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&mut *self.conn().await?).await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.record_login_failure", level = "debug", skip_all)]
            async fn record_login_failure(&self, key: &str, now: i64, window_start: i64) -> $crate::store::StoreResult<i64> {
                let (n,): (i64,) = sqlx::query_as(
                    "INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0) \
                     ON CONFLICT (key) DO UPDATE SET \
                     failures = CASE WHEN login_failures.window_start < $3 THEN 1 ELSE login_failures.failures + 1 END, \
                     window_start = CASE WHEN login_failures.window_start < $3 THEN $2 ELSE login_failures.window_start END \
                     RETURNING failures",
                )
                .bind(key)
                .bind(now)
                .bind(window_start)
                .fetch_one(&mut *self.conn().await?)
                .await?;
                Ok(n)
            }

            #[tracing::instrument(name = "store.lock_login", level = "debug", skip_all)]
            async fn lock_login(&self, key: &str, until: i64) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE login_failures SET locked_until = $1 WHERE key = $2")
                    .bind(until)
                    .bind(key)
                    .execute(&mut *self.conn().await?)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.login_locked_until", level = "debug", skip_all)]
            async fn login_locked_until(&self, keys: &[String]) -> $crate::store::StoreResult<Option<i64>> {
                let mut latest = None;
                for key in keys {
                    let row: Option<(i64,)> = sqlx::query_as("SELECT locked_until FROM login_failures WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&mut *self.conn().await?)
                        .await?;
                    latest = latest.max(row.map(|(t,)| t));
                }
                Ok(latest)
            }

            #[tracing::instrument(name = "store.clear_login_failures", level = "debug", skip_all)]
            async fn clear_login_failures(&self, key: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(&mut *self.conn().await?).await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.consent", level = "debug", skip_all)]
            async fn consent(&self, user_id: &str, client_id: &str) -> $crate::store::StoreResult<Option<String>> {
                let row: Option<(String,)> = sqlx::query_as("SELECT scopes FROM consents WHERE user_id = $1 AND client_id = $2")
                    .bind(user_id)
                    .bind(client_id)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?;
                Ok(row.map(|(s,)| s))
            }

            #[tracing::instrument(name = "store.grant_consent", level = "debug", skip_all)]
            async fn grant_consent(&self, tenant: &str, user_id: &str, client_id: &str, scopes: &str, now: i64) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO consents (user_id, client_id, tenant, scopes, granted_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
                )
                .bind(user_id)
                .bind(client_id)
                .bind(tenant)
                .bind(scopes)
                .bind(now)
                .execute(&mut *self.conn().await?)
                .await
                .map_err(|e| $crate::store::sql::conflict(e, "consent"))?;
                Ok(())
            }

            #[tracing::instrument(name = "store.create_code", level = "debug", skip_all)]
            async fn create_code(&self, c: &$crate::store::AuthorizationCode) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO authorization_codes (code_hash, tenant, client_id, user_id, redirect_uri, scopes, nonce, \
                     code_challenge, auth_time, expires_at, authorization_details, resources) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(&c.code_hash)
                .bind(&c.tenant)
                .bind(&c.client_id)
                .bind(&c.user_id)
                .bind(&c.redirect_uri)
                .bind(&c.scopes)
                .bind(&c.nonce)
                .bind(&c.code_challenge)
                .bind(c.auth_time)
                .bind(c.expires_at)
                .bind(&c.authorization_details)
                .bind(&c.resources)
                .execute(&mut *self.conn().await?)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.redeem_code", level = "debug", skip_all)]
            async fn redeem_code(&self, code_hash: &[u8], now: i64) -> $crate::store::StoreResult<$crate::store::Redemption> {
                let fresh: Option<$crate::store::AuthorizationCode> = sqlx::query_as(
                    "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL RETURNING *",
                )
                .bind(now)
                .bind(code_hash)
                .fetch_optional(&mut *self.conn().await?)
                .await?;
                if let Some(c) = fresh {
                    return Ok($crate::store::Redemption::Fresh(c));
                }
                let used: Option<$crate::store::AuthorizationCode> =
                    sqlx::query_as("SELECT * FROM authorization_codes WHERE code_hash = $1")
                        .bind(code_hash)
                        .fetch_optional(&mut *self.conn().await?)
                        .await?;
                Ok(used.map_or($crate::store::Redemption::Unknown, $crate::store::Redemption::Reused))
            }

            #[tracing::instrument(name = "store.record_code_tokens", level = "debug", skip_all)]
            async fn record_code_tokens(&self, code_hash: &[u8], jti: &str, expires_at: i64, family_id: Option<&str>) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE authorization_codes SET access_jti = $1, access_expires_at = $2, family_id = $3 WHERE code_hash = $4")
                    .bind(jti)
                    .bind(expires_at)
                    .bind(family_id)
                    .bind(code_hash)
                    .execute(&mut *self.conn().await?)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.create_refresh_token", level = "debug", skip_all)]
            async fn create_refresh_token(&self, t: &$crate::store::RefreshToken) -> $crate::store::StoreResult<()> {
                $crate::store::sql_accounts::insert_refresh!(self.writer(), t);
                Ok(())
            }

            #[tracing::instrument(name = "store.refresh_token", level = "debug", skip_all)]
            async fn refresh_token(&self, token_hash: &[u8]) -> $crate::store::StoreResult<Option<$crate::store::RefreshToken>> {
                self.group_commits.lookups.call(token_hash.to_vec()).await
            }

            #[tracing::instrument(name = "store.rotate_refresh_token", level = "debug", skip_all)]
            async fn rotate_refresh_token(
                &self,
                spent_hash: &[u8],
                successor: $crate::store::RefreshToken,
            ) -> $crate::store::StoreResult<bool> {
                let rotation = $crate::store::rounds::Rotation {
                    spent_hash: spent_hash.to_vec(),
                    successor,
                };
                self.group_commits.rotations.call(rotation).await
            }

            #[tracing::instrument(name = "store.revoke_refresh_family", level = "debug", skip_all)]
            async fn revoke_refresh_family(&self, family_id: &str, now: i64) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe($crate::store::sql_accounts::revoke_access_sql("family_id = $2")))
                    .bind(now)
                    .bind(family_id)
                    .execute(&mut *tx)
                    .await?;
                // Spent rows stay (as spent) so a replay is still recognised.
                sqlx::query("UPDATE refresh_tokens SET used_at = COALESCE(used_at, 0), expires_at = 0 WHERE family_id = $1")
                    .bind(family_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.consents", level = "debug", skip_all)]
            async fn consents(&self, user_id: &str) -> $crate::store::StoreResult<Vec<$crate::store::ConsentRecord>> {
                Ok(sqlx::query_as("SELECT client_id, scopes, granted_at FROM consents WHERE user_id = $1 ORDER BY granted_at DESC")
                    .bind(user_id)
                    .fetch_all(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.revoke_grant", level = "debug", skip_all)]
            async fn revoke_grant(&self, user_id: &str, client_id: &str, now: i64) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe($crate::store::sql_accounts::revoke_access_sql("user_id = $2 AND client_id = $3")))
                    .bind(now)
                    .bind(user_id)
                    .bind(client_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
                    .bind(user_id)
                    .bind(client_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE refresh_tokens SET used_at = COALESCE(used_at, 0), expires_at = 0 WHERE user_id = $1 AND client_id = $2")
                    .bind(user_id)
                    .bind(client_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.create_pat", level = "debug", skip_all)]
            async fn create_pat(&self, p: &$crate::store::PersonalAccessToken) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO personal_access_tokens (id, tenant, user_id, name, token_hash, scopes, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&p.id)
                .bind(&p.tenant)
                .bind(&p.user_id)
                .bind(&p.name)
                .bind(&p.token_hash)
                .bind(&p.scopes)
                .bind(p.created_at)
                .bind(p.expires_at)
                .execute(&mut *self.conn().await?)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "store.pats", level = "debug", skip_all)]
            async fn pats(&self, user_id: &str) -> $crate::store::StoreResult<Vec<$crate::store::PersonalAccessToken>> {
                Ok(sqlx::query_as("SELECT * FROM personal_access_tokens WHERE user_id = $1 ORDER BY created_at DESC, id")
                    .bind(user_id)
                    .fetch_all(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.use_pat", level = "debug", skip_all)]
            async fn use_pat(&self, token_hash: &[u8], now: i64) -> $crate::store::StoreResult<Option<$crate::store::PersonalAccessToken>> {
                Ok(sqlx::query_as("UPDATE personal_access_tokens SET last_used_at = $1 WHERE token_hash = $2 RETURNING *")
                    .bind(now)
                    .bind(token_hash)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?)
            }

            #[tracing::instrument(name = "store.revoke_pat", level = "debug", skip_all)]
            async fn revoke_pat(&self, user_id: &str, id: &str) -> $crate::store::StoreResult<()> {
                let done = sqlx::query("DELETE FROM personal_access_tokens WHERE user_id = $1 AND id = $2")
                    .bind(user_id)
                    .bind(id)
                    .execute(&mut *self.conn().await?)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound("personal access token"));
                }
                Ok(())
            }
        }
    };
}
