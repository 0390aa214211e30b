//! Project permission check (Procore's developer-managed service accounts:
//! an app holds tool permissions, and an admin picks the projects it may use).
//!
//! The subject carries what was granted at installation:
//!
//! ```json
//! {"type": "app", "id": "cl_…", "properties": {"permissions": ["documents:read"], "projects": ["42", "43"]}}
//! ```
//!
//! Access is permitted when the action is one of `permissions` and the
//! resource's project is one of `projects`. The project is the resource's id
//! when its type is `project`, else its `properties.project`.
//!
//! When the subject is an app installation's service account
//! (`{"type": "service_account", "id": "usr_…"}`), what its tenant admin
//! approved counts instead: the installation's permissions, and its
//! selected projects (all of them when the admin chose all resources).
//!
//! The decision depends only on the evaluation, so the binding may let the
//! host reuse it: `{"cache_for_seconds": 60}` (0, the default, calls the
//! plugin every time).

wit_bindgen::generate!({ world: "permission-check", path: "../../wit" });

use serde_json::Value;
use warden::plugin::types::Resources;

struct ProjectPermission;

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string).or_else(|| x.as_i64().map(|n| n.to_string()))).collect())
        .unwrap_or_default()
}

fn deny(reason: String) -> (bool, String) {
    (false, reason)
}

impl Guest for ProjectPermission {
    fn check(request: Evaluation, config: String) -> PermissionAnswer {
        let cache_for = serde_json::from_str::<Value>(&config)
            .ok()
            .and_then(|c| c.get("cache_for_seconds")?.as_u64())
            .map_or(0, |s| s.min(u64::from(u32::MAX)) as u32);
        let (decision, reason) = decide(request);
        PermissionAnswer { decision, reason: Some(reason), cache_for }
    }
}

fn decide(request: Evaluation) -> (bool, String) {
    let subject: Value = serde_json::from_str(&request.subject.properties).unwrap_or(Value::Null);
    let resource: Value = serde_json::from_str(&request.resource.properties).unwrap_or(Value::Null);
    let (permissions, projects) = match &request.installation {
        Some(i) => {
            let projects = match &i.resources {
                Resources::All => None,
                Resources::Selected(types) => {
                    Some(types.iter().filter(|t| t.type_ == "project").flat_map(|t| t.ids.clone()).collect())
                }
            };
            (i.permissions.clone(), projects)
        }
        None => (strings(subject.get("permissions")), Some(strings(subject.get("projects")))),
    };
    let project = if request.resource.type_ == "project" {
        Some(request.resource.id.clone())
    } else {
        match resource.get("project") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    };
    if !permissions.contains(&request.action.name) {
        return deny(format!("{} was not granted {}", request.subject.id, request.action.name));
    }
    let Some(project) = project else {
        return deny(format!("{} {} belongs to no project", request.resource.type_, request.resource.id));
    };
    if projects.is_some_and(|p| !p.contains(&project)) {
        return deny(format!("{} may not touch project {project}", request.subject.id));
    }
    (true, format!("{} holds {} in project {project}", request.subject.id, request.action.name))
}

export!(ProjectPermission);
