//! {{name}}: a Warden permission check (AuthZEN).
//!
//! Permits an app's service account an action it was granted, on a resource
//! the tenant's admin selected for it; denies everything else, saying why.

wit_bindgen::generate!({ world: "permission-check", path: "wit" });

use warden::plugin::types::Resources;

struct Check;

fn decide(decision: bool, reason: String) -> PermissionDecision {
    PermissionDecision { decision, reason: Some(reason) }
}

impl Guest for Check {
    fn check(request: Evaluation, _config: String) -> PermissionDecision {
        let (action, resource) = (&request.action.name, &request.resource);
        let Some(installation) = &request.installation else {
            return decide(false, format!("{} is not an app's service account", request.subject.id));
        };
        if !installation.permissions.contains(action) {
            return decide(false, format!("{} was not granted {action}", installation.app));
        }
        if let Resources::Selected(types) = &installation.resources {
            let selected = types.iter().filter(|t| t.type_ == resource.type_).any(|t| t.ids.contains(&resource.id));
            if !selected {
                return decide(false, format!("{} may not touch {} {}", installation.app, resource.type_, resource.id));
            }
        }
        decide(true, format!("{} holds {action} on {} {}", installation.app, resource.type_, resource.id))
    }
}

export!(Check);
