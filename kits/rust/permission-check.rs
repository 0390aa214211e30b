//! {{name}}: a Warden permission check (AuthZEN).
//!
//! Permits an app's service account an action it was granted, on a resource
//! the tenant's admin selected for it; denies everything else, saying why.
//! `{"cache_for_seconds": 60}` lets the host reuse a decision for the same
//! evaluation that long without calling the plugin.

wit_bindgen::generate!({ world: "permission-check", path: "wit" });

use warden::plugin::types::Resources;

struct Check;

impl Guest for Check {
    fn check(request: Evaluation, config: String) -> PermissionAnswer {
        let settings: serde_json::Value = serde_json::from_str(&config).unwrap_or_default();
        let cache_for = settings["cache_for_seconds"].as_u64().unwrap_or(0).min(u32::MAX.into()) as u32;
        let (decision, reason) = evaluate(request);
        PermissionAnswer { decision, reason: Some(reason), cache_for }
    }
}

fn evaluate(request: Evaluation) -> (bool, String) {
    let (action, resource) = (&request.action.name, &request.resource);
    let Some(installation) = &request.installation else {
        return (false, format!("{} is not an app's service account", request.subject.id));
    };
    if !installation.permissions.contains(action) {
        return (false, format!("{} was not granted {action}", installation.app));
    }
    if let Resources::Selected(types) = &installation.resources {
        let selected = types.iter().filter(|t| t.type_ == resource.type_).any(|t| t.ids.contains(&resource.id));
        if !selected {
            return (false, format!("{} may not touch {} {}", installation.app, resource.type_, resource.id));
        }
    }
    (true, format!("{} holds {action} on {} {}", installation.app, resource.type_, resource.id))
}

export!(Check);
