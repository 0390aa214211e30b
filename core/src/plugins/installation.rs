//! An app's installation as plugins see it (`installation` in the WIT),
//! shared by the grant-policy, permission-check and credential-delivery hooks.

use super::bindings::types as wit;
use crate::domain::installation::{Installation, Selection};
use serde::{Deserialize, Serialize};

/// What the admin approved for an installation (mirrors `installation`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstallationInfo {
    pub id: String,
    pub app: String,
    pub version: u32,
    pub service_account: String,
    pub service_account_name: String,
    pub permissions: Vec<String>,
    /// `"all"` or `{"project": ["p1", …]}`.
    pub resources: Selection,
}

impl From<&Installation> for InstallationInfo {
    fn from(i: &Installation) -> Self {
        InstallationInfo {
            id: i.id.clone(),
            app: i.app.clone(),
            version: i.version.clamp(0, u32::MAX as i64) as u32,
            service_account: i.service_account.clone(),
            service_account_name: i.service_account_name.clone(),
            permissions: i.permissions.clone(),
            resources: i.resources.clone(),
        }
    }
}

pub fn resources(s: &Selection) -> wit::Resources {
    match s {
        Selection::All => wit::Resources::All,
        Selection::Some(map) => wit::Resources::Selected(
            map.iter()
                .map(|(kind, ids)| wit::ResourceSelection {
                    type_: kind.clone(),
                    ids: ids.clone(),
                })
                .collect(),
        ),
    }
}

impl InstallationInfo {
    pub fn to_wit(&self) -> wit::Installation {
        wit::Installation {
            id: self.id.clone(),
            app: self.app.clone(),
            version: self.version,
            service_account: self.service_account.clone(),
            service_account_name: self.service_account_name.clone(),
            permissions: self.permissions.clone(),
            resources: resources(&self.resources),
        }
    }
}
