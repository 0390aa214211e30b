//! RFC 7591 §2 client metadata fields, read the same way for dynamic
//! registration and client ID metadata documents.

use serde_json::{Map, Value};

/// Fields kept on a self-described client for people to read (never used
/// to decide anything).
pub const KEPT: &[&str] = &[
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "contacts",
    "software_id",
    "software_version",
];
const MAX_NAME: usize = 100;

/// An array of strings, if the field is there (null counts as absent).
pub fn strings(m: &Map<String, Value>, field: &str) -> Result<Option<Vec<String>>, String> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(Some(
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        )),
        Some(_) => Err(format!("{field} must be an array of strings")),
    }
}

/// A string, if the field is there (null counts as absent).
pub fn text(m: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{field} must be a string")),
    }
}

/// `client_name`, trimmed, or `default`.
pub fn client_name(m: &Map<String, Value>, default: &str) -> Result<String, String> {
    let name = text(m, "client_name")?.unwrap_or_else(|| default.to_string());
    let name = name.trim().to_string();
    if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!(
            "client_name must be 1-{MAX_NAME} characters without control characters"
        ));
    }
    Ok(name)
}

/// The fields in [`KEPT`].
pub fn kept(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .filter(|(k, _)| KEPT.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
