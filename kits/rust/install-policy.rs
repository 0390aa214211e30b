//! {{name}}: a Warden install policy.
//!
//! Binding configuration, e.g. `{"listed_only": true, "withheld_permissions": ["files:write"]}`:
//! refuses apps that are not in the platform's catalog when `listed_only`, and
//! leaves the optional permissions on `withheld_permissions` out of what is approved.

wit_bindgen::generate!({ world: "install-policy", path: "wit" });

use serde_json::Value;

struct Review;

impl Guest for Review {
    fn review(request: InstallRequest, config: String) -> InstallDecision {
        let settings: Value = serde_json::from_str(&config).unwrap_or(Value::Null);
        if settings["listed_only"].as_bool() == Some(true) && !request.listed {
            return InstallDecision::Deny(format!(
                "{} is not in the platform's catalog; this tenant installs listed apps only",
                request.app_name
            ));
        }
        let withheld: Vec<&str> = settings["withheld_permissions"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let optional: Vec<&str> = request.permissions.iter().filter(|p| !p.required).map(|p| p.name.as_str()).collect();
        InstallDecision::Allow(
            request.approving.into_iter().filter(|p| withheld.contains(&p.as_str()) && optional.contains(&p.as_str())).collect(),
        )
    }
}

export!(Review);
