//! Named admin API tokens: created, listed, rotated with an overlap and
//! revoked through the CLI, each audited (tenant `*`) in the same
//! transaction. Tokens are shown once and stored as SHA-256 hashes; every
//! replica looks them up per request, so a revocation holds at once.

use crate::admin::{Admin, AdminError};
use crate::domain::admin_scope::AdminScope;
use crate::store::{AdminTokenRecord, AuditEvent, PLATFORM};
use serde_json::json;
use subtle::ConstantTimeEq;

/// The operator credential, kept only as its SHA-256.
#[derive(Clone)]
pub struct AdminToken([u8; 32]);

impl AdminToken {
    pub fn new(token: &str) -> anyhow::Result<Self> {
        if token.trim().len() < 32 {
            anyhow::bail!(
                "admin_token / WARDEN_ADMIN_TOKEN must be at least 32 characters (e.g. from `openssl rand -base64 32`)"
            );
        }
        Ok(AdminToken(crate::tokens::secret::hash(token.trim())))
    }

    pub fn verify(&self, presented: &str) -> bool {
        crate::tokens::secret::hash(presented).ct_eq(&self.0).into()
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

type Result<T> = std::result::Result<T, AdminError>;

/// The longest a rotated token keeps working beside its successor.
pub const MAX_OVERLAP: i64 = 30 * 86_400;

fn audit(action: &str, detail: serde_json::Value, now: i64) -> AuditEvent {
    AuditEvent {
        tenant: PLATFORM.into(),
        action: action.into(),
        detail: detail.to_string(),
        created_at: now,
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(AdminError::Invalid(
            "an admin token's name is 1-64 letters, digits, '-', '_' or '.'".into(),
        ))
    }
}

impl Admin {
    /// A new token named `name` with `scopes` (read is always included);
    /// returns the token, shown this once.
    pub async fn create_admin_token(
        &self,
        name: &str,
        scopes: &[AdminScope],
        now: i64,
    ) -> Result<(AdminTokenRecord, String)> {
        check_name(name)?;
        let token = crate::tokens::secret::generate("wat_", &self.rng);
        let record = AdminTokenRecord {
            name: name.into(),
            scopes: AdminScope::join(scopes),
            created_at: now,
            rotated_at: None,
            previous_until: None,
            revoked_at: None,
        };
        let event = audit(
            "admin_token.created",
            json!({"name": name, "scopes": record.scopes}),
            now,
        );
        self.store
            .create_admin_token(&record, &crate::tokens::secret::hash(&token), &event)
            .await?;
        Ok((record, token))
    }

    pub async fn admin_tokens(&self) -> Result<Vec<AdminTokenRecord>> {
        Ok(self.store.admin_tokens().await?)
    }

    /// A new token for `name`; the old one keeps working for `overlap` seconds.
    pub async fn rotate_admin_token(&self, name: &str, overlap: i64, now: i64) -> Result<String> {
        if !(0..=MAX_OVERLAP).contains(&overlap) {
            return Err(AdminError::Invalid(format!(
                "the overlap must be 0 to {MAX_OVERLAP} seconds (30 days)"
            )));
        }
        let token = crate::tokens::secret::generate("wat_", &self.rng);
        let event = audit(
            "admin_token.rotated",
            json!({"name": name, "previous_until": now + overlap}),
            now,
        );
        self.store
            .rotate_admin_token(
                name,
                &crate::tokens::secret::hash(&token),
                now + overlap,
                &event,
                now,
            )
            .await?;
        Ok(token)
    }

    pub async fn revoke_admin_token(&self, name: &str, now: i64) -> Result<()> {
        let event = audit("admin_token.revoked", json!({"name": name}), now);
        Ok(self.store.revoke_admin_token(name, &event, now).await?)
    }
}
