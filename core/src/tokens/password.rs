//! Password hashing with Argon2id (RFC 9106; OWASP's 19 MiB, 2 passes, 1 lane).
//! Hashing is slow on purpose: callers run it on the blocking pool.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("argon2 params"),
    )
}

pub fn hash(password: &str) -> String {
    let salt = super::random_bytes::<16>(&ring::rand::SystemRandom::new());
    argon2()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .expect("argon2 hash")
        .to_string()
}

/// Checks `password` against a stored hash; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    argon2()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// A hash of a random password, verified against when the username does not
/// exist so that a wrong username takes as long as a wrong password.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash(&super::b64url(&super::random_bytes::<16>(
            &ring::rand::SystemRandom::new(),
        )))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_only_the_right_password() {
        let h = super::hash("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(super::verify("correct horse battery", &h));
        assert!(!super::verify("wrong horse battery", &h));
        assert!(!super::verify("x", "not a hash"));
    }

    #[test]
    fn hashes_stored_before_the_argon2_upgrade_still_verify() {
        // Made by the reference C implementation (argon2-cffi) with Warden's
        // parameters: the PHC string users' rows hold from argon2 0.5 on.
        let stored = "$argon2id$v=19$m=19456,t=2,p=1$oEz7yfUoQ/mz+h47dlPqjg$NHRqfs/W0DmgXJXdWw8j/cJM4BXEMr16M3eb8CNBrHA";
        assert!(super::verify("correct horse battery staple", stored));
        assert!(!super::verify("correct horse battery stapler", stored));
    }
}
