//! End users of a tenant: the people apps act for.

use std::fmt;

#[derive(Clone)]
pub struct User {
    /// Stable and opaque: the `sub` of the user's tokens.
    pub id: String,
    pub tenant: String,
    pub username: String,
    /// Argon2id, PHC string format.
    pub password_hash: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// May use administrative scopes; never through a personal access token.
    pub is_admin: bool,
    pub created_at: i64,
    /// Set for an installation's service account: a directory entry the app
    /// acts as, which never signs in and is not edited or deleted by hand.
    pub installation: Option<String>,
    /// When they last signed in (a session created), if ever.
    pub last_sign_in_at: Option<i64>,
}

impl User {
    pub fn is_service_account(&self) -> bool {
        self.installation.is_some()
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Usernames: 1-64 characters from a conservative set, compared exactly.
pub fn validate_username(u: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@+".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid username {u:?}: use 1-64 letters, digits and . _ - @ +"
        ))
    }
}

/// Passwords: long enough to matter, short enough not to be a hashing DoS.
pub fn validate_password(p: &str) -> Result<(), String> {
    match p.chars().count() {
        0..=9 => Err("passwords must be at least 10 characters".into()),
        10..=256 => Ok(()),
        _ => Err("passwords must be at most 256 characters".into()),
    }
}
