//! The hooks a tenant binds plugins to: named here, below the plugin host,
//! so metrics, the store and the admin API can name them without it.

/// The hooks a tenant can bind a plugin to, one per WIT world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hook {
    GrantPolicy,
    PermissionCheck,
    CredentialDelivery,
    InstallPolicy,
    RegistrationPolicy,
}

impl Hook {
    pub const ALL: [Hook; 5] = [
        Hook::GrantPolicy,
        Hook::PermissionCheck,
        Hook::CredentialDelivery,
        Hook::InstallPolicy,
        Hook::RegistrationPolicy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Hook::GrantPolicy => "grant-policy",
            Hook::PermissionCheck => "permission-check",
            Hook::CredentialDelivery => "credential-delivery",
            Hook::InstallPolicy => "install-policy",
            Hook::RegistrationPolicy => "registration-policy",
        }
    }

    pub fn parse(s: &str) -> Result<Hook, String> {
        Hook::ALL
            .into_iter()
            .find(|h| h.as_str() == s)
            .ok_or_else(|| format!("unknown hook {s:?} (expected grant-policy, permission-check, credential-delivery, install-policy or registration-policy)"))
    }
}

/// How a plugin call can fail, as metrics and audit records name it.
pub const FAILURE_KINDS: [&str; 5] = ["load", "timeout", "memory", "trap", "invalid"];
