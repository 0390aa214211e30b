//! How some domain values look in JSON, described for the admin API's
//! contract (the values themselves are read and written by hand).

/// A moment as an operator writes it: Unix seconds or an RFC 3339 date-time.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Describes the `serde_json::Value` fields that take either.
pub enum Instant {
    Unix(i64),
    Rfc3339(String),
}

/// An installation's resources: `"all"` (now and later) or, per resource
/// type, the ids selected.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Describes `domain::app::Selection`, which serialises by hand.
pub enum Selection {
    All(AllResources),
    Some(std::collections::BTreeMap<String, Vec<String>>),
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub enum AllResources {
    #[serde(rename = "all")]
    All,
}
