//! RFC 9396 rich authorization requests: `authorization_details` as a client
//! asks for them, checked against the types the tenant's resources take and
//! the client may ask for, and put in the tenant's words for the consent page.

use super::resource_server::ResourceServer;
use serde_json::{Map, Value};

/// Past this a request's details are refused, not stored.
const MAX_BYTES: usize = 8 * 1024;
const MAX_ENTRIES: usize = 10;
/// A field's value shown on the consent page is cut here.
const MAX_SHOWN: usize = 200;

/// Checked details and the resources they are for (the tokens' audience).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Requested {
    pub details: Vec<Map<String, Value>>,
    pub resources: Vec<String>,
}

/// Parses and checks `authorization_details` (RFC 9396 §2, §5): every entry
/// an object of a `type` one of `resources` takes and `client_types` lists,
/// with the common fields well formed. The error is the description of an
/// `invalid_authorization_details` answer.
pub fn parse(
    text: &str,
    resources: &[ResourceServer],
    client_types: &[String],
) -> Result<Requested, String> {
    if text.len() > MAX_BYTES {
        return Err(format!(
            "authorization_details is longer than {MAX_BYTES} bytes"
        ));
    }
    let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(text) else {
        return Err("authorization_details must be a JSON array of objects".into());
    };
    if entries.is_empty() || entries.len() > MAX_ENTRIES {
        return Err(format!(
            "authorization_details must hold 1-{MAX_ENTRIES} objects"
        ));
    }
    let mut requested = Requested::default();
    for entry in entries {
        let Value::Object(detail) = entry else {
            return Err("each authorization detail must be a JSON object".into());
        };
        let audience = check(&detail, resources, client_types)?;
        for r in audience {
            if !requested.resources.contains(&r) {
                requested.resources.push(r);
            }
        }
        requested.details.push(detail);
    }
    Ok(requested)
}

/// One entry's checks; the resources it is for.
fn check(
    detail: &Map<String, Value>,
    resources: &[ResourceServer],
    client_types: &[String],
) -> Result<Vec<String>, String> {
    let Some(Value::String(kind)) = detail.get("type") else {
        return Err("each authorization detail needs a string type".into());
    };
    let owner = resources
        .iter()
        .find(|r| r.detail_type(kind).is_some())
        .filter(|_| client_types.iter().any(|t| t == kind))
        .ok_or_else(|| {
            format!("this client may not ask for authorization details of type {kind:?}")
        })?;
    let declared = owner.detail_type(kind).expect("found above");
    for field in ["locations", "actions", "datatypes", "privileges"] {
        if let Some(v) = detail.get(field)
            && !v
                .as_array()
                .is_some_and(|a| a.iter().all(|s| s.as_str().is_some_and(|s| !s.is_empty())))
        {
            return Err(format!("{field} of {kind:?} must be an array of strings"));
        }
    }
    if detail.get("identifier").is_some_and(|v| !v.is_string()) {
        return Err(format!("identifier of {kind:?} must be a string"));
    }
    let strings = |field: &str| -> Vec<String> {
        detail
            .get(field)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    if !declared.actions.is_empty()
        && let Some(a) = strings("actions")
            .into_iter()
            .find(|a| !declared.actions.contains(a))
    {
        return Err(format!(
            "action {a:?} is not one of {kind:?}'s: {}",
            declared.actions.join(", ")
        ));
    }
    // RFC 9396 §2.2: `locations` name the resource servers; here each must
    // be a registered resource that takes this type.
    let locations = strings("locations");
    if let Some(l) = locations.iter().find(|l| {
        !resources
            .iter()
            .any(|r| &r.identifier == *l && r.detail_type(kind).is_some())
    }) {
        return Err(format!(
            "location {l:?} is not a resource that takes {kind:?}"
        ));
    }
    Ok(if locations.is_empty() {
        vec![owner.identifier.clone()]
    } else {
        locations
    })
}

/// Reads stored details back (written by [`Requested::to_json`]).
pub fn from_stored(stored: Option<&str>) -> Vec<Map<String, Value>> {
    stored
        .and_then(|s| serde_json::from_str::<Vec<Map<String, Value>>>(s).ok())
        .unwrap_or_default()
}

/// One detail as the consent page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    /// The tenant's description of the type.
    pub title: String,
    /// `label: value` lines for what the request names.
    pub lines: Vec<(String, String)>,
}

/// The details in the tenant's words: its description of each type, then
/// what the request names, the common fields first.
pub fn describe(details: &[Map<String, Value>], resources: &[ResourceServer]) -> Vec<Shown> {
    details
        .iter()
        .map(|d| {
            let kind = d.get("type").and_then(Value::as_str).unwrap_or_default();
            let title = resources
                .iter()
                .find_map(|r| r.detail_type(kind))
                .map(|t| t.description.clone())
                .unwrap_or_else(|| kind.to_string());
            let mut lines = Vec::new();
            for (field, label) in [
                ("actions", "Actions"),
                ("identifier", "Which"),
                ("locations", "Where"),
                ("datatypes", "Data"),
                ("privileges", "Privileges"),
            ] {
                if let Some(v) = d.get(field) {
                    lines.push((label.to_string(), shown(v)));
                }
            }
            let common = [
                "type",
                "actions",
                "identifier",
                "locations",
                "datatypes",
                "privileges",
            ];
            for (k, v) in d.iter().filter(|(k, _)| !common.contains(&k.as_str())) {
                lines.push((k.clone(), shown(v)));
            }
            Shown { title, lines }
        })
        .collect()
}

fn shown(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Array(a) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_SHOWN {
        let cut: String = text.chars().take(MAX_SHOWN).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Scope;
    use crate::domain::resource_server::DetailType;

    fn resources() -> Vec<ResourceServer> {
        vec![ResourceServer {
            id: "rs_1".into(),
            tenant: "acme".into(),
            identifier: "https://api.acme.test/".into(),
            name: "Projects API".into(),
            scopes: Scope::default(),
            authorization_details_types: vec![DetailType {
                kind: "project_access".into(),
                description: "Work on your projects".into(),
                actions: vec!["read".into(), "write".into()],
            }],
            created_at: 0,
        }]
    }

    fn types() -> Vec<String> {
        vec!["project_access".into()]
    }

    #[test]
    fn a_registered_type_the_client_may_ask_for_is_accepted_with_its_audience() {
        let r = parse(
            r#"[{"type":"project_access","actions":["read"],"identifier":"p-7","budget":{"eur":5}}]"#,
            &resources(),
            &types(),
        )
        .unwrap();
        assert_eq!(r.resources, vec!["https://api.acme.test/".to_string()]);
        assert_eq!(r.details[0]["identifier"], "p-7");
        let shown = describe(&r.details, &resources());
        assert_eq!(shown[0].title, "Work on your projects");
        assert_eq!(
            shown[0].lines,
            vec![
                ("Actions".to_string(), "read".to_string()),
                ("Which".to_string(), "p-7".to_string()),
                ("budget".to_string(), r#"{"eur":5}"#.to_string()),
            ]
        );
        let stored = Value::from(r.details.clone()).to_string();
        assert_eq!(from_stored(Some(&stored)), r.details);
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let refuse = |text: &str, client: &[String]| parse(text, &resources(), client).unwrap_err();
        assert!(refuse("{}", &types()).contains("JSON array"));
        assert!(refuse("[]", &types()).contains("1-10"));
        assert!(refuse("[1]", &types()).contains("object"));
        assert!(refuse(r#"[{"actions":["read"]}]"#, &types()).contains("type"));
        assert!(refuse(r#"[{"type":"payment"}]"#, &types()).contains("may not ask"));
        assert!(refuse(r#"[{"type":"project_access"}]"#, &[]).contains("may not ask"));
        assert!(
            refuse(
                r#"[{"type":"project_access","actions":["delete"]}]"#,
                &types()
            )
            .contains("not one of")
        );
        assert!(
            refuse(r#"[{"type":"project_access","actions":"read"}]"#, &types())
                .contains("array of strings")
        );
        assert!(
            refuse(
                r#"[{"type":"project_access","locations":["https://evil.test/"]}]"#,
                &types()
            )
            .contains("location")
        );
        let long = format!(
            r#"[{{"type":"project_access","x":"{}"}}]"#,
            "a".repeat(9000)
        );
        assert!(refuse(&long, &types()).contains("longer"));
    }
}
