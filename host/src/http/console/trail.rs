//! The audit trail read as sentences ("Ada Lovelace approved Budget
//! Insights version 3 — it may now view site photos"), and the raw record
//! with its times in the tenant's zone.

use super::Visitor;
use super::names::Names;
use crate::store::AuditEvent;
use serde_json::Value;

/// One audit record, read once.
pub(super) struct Entry<'a> {
    pub event: &'a AuditEvent,
    pub detail: Value,
    pub app: Option<String>,
    pub installation: Option<String>,
    pub actor: Option<String>,
}

impl<'a> Entry<'a> {
    pub fn of(event: &'a AuditEvent) -> Entry<'a> {
        let detail: Value = serde_json::from_str(&event.detail).unwrap_or(Value::Null);
        let s = |v: &Value| v.as_str().map(str::to_string);
        let app = s(&detail["app"])
            .or_else(|| s(&detail["after"]["app"]))
            .or_else(|| s(&detail["before"]["app"]));
        let installation = s(&detail["installation"]).or_else(|| s(&detail["after"]["id"]));
        let actor = s(&detail["actor"]);
        Entry {
            event,
            detail,
            app,
            installation,
            actor,
        }
    }

    /// The app version an upgrade record is about.
    pub fn upgrade_version(&self) -> Option<i64> {
        self.detail["upgrade"]["version"]
            .as_i64()
            .or_else(|| self.detail["after"]["version"].as_i64())
    }

    /// What happened, as a sentence.
    pub fn sentence(&self, names: &Names, v: &Visitor) -> String {
        let d = &self.detail;
        let who = self
            .actor
            .as_deref()
            .map_or_else(|| "Someone".to_string(), |a| names.actor(a));
        let slug = self.app.as_deref().unwrap_or_default();
        let app = names.app(slug);
        let version = self.upgrade_version();
        let version_text = version.map_or(String::new(), |n| format!(" version {n}"));
        let perms = |list: &Value, at: Option<i64>| -> Vec<String> {
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|p| names.permission(slug, at, p))
                .collect()
        };
        let added = || {
            let before: Vec<&str> = d["before"]["permissions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let after: Vec<Value> = d["after"]["permissions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p.as_str().is_some_and(|p| !before.contains(&p)))
                .cloned()
                .collect();
            perms(&Value::Array(after), version)
        };
        let person = |key: &str| {
            d[key]
                .as_str()
                .map_or_else(String::new, |u| names.person(u))
        };
        match self.event.action.as_str() {
            "installation.created" => format!("{who} installed {app}{version_text}"),
            "installation.deleted" => format!("{who} uninstalled {app}"),
            "installation.suspended" => format!("{who} suspended {app}: it gets no tokens"),
            "installation.resumed" => format!("{who} resumed {app}"),
            "installation.resources_changed" => match d["removed_resource"]["type"].as_str() {
                Some(kind) => format!(
                    "{app} lost one of its {}: it was removed from the organisation",
                    names.resource_kind(slug, kind)
                ),
                None => format!("{who} changed where {app} may work"),
            },
            "installation.upgrade_requested" => {
                let asks = perms(&d["upgrade"]["added_permissions"], version);
                format!(
                    "{app}{version_text} asks for approval — it would also {}",
                    list(&asks)
                )
            }
            "installation.upgrade_approved" => {
                let added = added();
                let lead = if d["upgrade"]["approved_by"] == "automatic" {
                    format!("{app} moved to{version_text} by itself, asking for nothing new")
                } else {
                    format!("{who} approved {app}{version_text}")
                };
                if added.is_empty() {
                    lead
                } else {
                    format!("{lead} — it may now {}", list(&added))
                }
            }
            "installation.upgrade_declined" => {
                let pending = d["before"]["pending_version"].as_i64();
                let n = pending.map_or(String::new(), |n| format!(" version {n}"));
                format!("{who} declined {app}{n}; it keeps what was approved before")
            }
            "installation.credentials_rotated" => format!("{who} rotated {app}'s credentials"),
            "installation.quota_set" => match d["after"].as_i64() {
                Some(q) => format!("{who} limited {app} to {} tokens an hour", thousands(q)),
                None => format!("{who} removed {app}'s hourly token limit"),
            },
            "install_request.created" => format!("{who} asked to install {app}"),
            "install_request.approved" => format!("{who} approved the request to install {app}"),
            "install_request.declined" => format!("{who} declined the request to install {app}"),
            "user.created" if d["admin"] == true => {
                format!("{who} added {} as an administrator", person("user"))
            }
            "user.created" => format!("{who} added {}", person("user")),
            "user.admin_granted" => format!("{who} made {} an administrator", person("user")),
            "user.admin_removed" => {
                format!("{who} removed {} as an administrator", person("user"))
            }
            "user.deleted" => format!("{who} deleted {}", person("user")),
            "user.password_reset" => {
                format!("{who} made a one-time password link for {}", person("user"))
            }
            "user.password_set" if d["actor"] == d["user"] => {
                format!("{} set a new password with their link", person("user"))
            }
            "user.password_set" => format!("{who} set a new password for {}", person("user")),
            "scope.described" => format!(
                "{who} described the scope {} as \u{201c}{}\u{201d}",
                d["scope"].as_str().unwrap_or("?"),
                d["description"].as_str().unwrap_or_default()
            ),
            "user.updated" => format!("{who} changed {}'s details", person("user")),
            "tenant.settings_changed" => format!("{who} changed the organisation's settings"),
            "legacy.warning" => {
                let client = d["client_id"].as_str().unwrap_or("a legacy client");
                match d["sunset_at"].as_i64() {
                    Some(t) => format!(
                        "The legacy credential {client} was used; it stops working on {}",
                        v.day(t)
                    ),
                    None => format!("The legacy credential {client} was used"),
                }
            }
            "legacy.client_marked" => "A client was marked as a legacy credential".into(),
            "legacy.client_unmarked" => "A client is no longer marked as legacy".into(),
            "legacy.exempted" => match d["until"].as_i64() {
                Some(t) => format!(
                    "The organisation may use legacy credentials until {}",
                    v.day(t)
                ),
                None => "The organisation was exempted from the legacy sunset".into(),
            },
            "legacy.exemption_lifted" => "The exemption from the legacy sunset was lifted".into(),
            "delivery.dead_lettered" => {
                let n = d["attempts"].as_i64().unwrap_or(0);
                format!(
                    "A message to {} could not be delivered after {n} attempt{}",
                    d["url"].as_str().unwrap_or("an app"),
                    if n == 1 { "" } else { "s" }
                )
            }
            "delivery.retried" => format!("{who} sent a failed delivery again"),
            "tenant.created" => "The organisation was created".into(),
            "tenant.key_rotated" => "The organisation's token signing key was rotated".into(),
            "client.created" if d["registration"] == "dynamic" => format!(
                "The client {} registered itself",
                d["name"].as_str().unwrap_or("?")
            ),
            "client.created" => format!(
                "{who} registered the client {}",
                d["name"].as_str().unwrap_or("?")
            ),
            "resource_server.registered" => format!(
                "{who} registered the API {}",
                d["identifier"].as_str().unwrap_or("?")
            ),
            "resource_server.removed" => format!(
                "{who} removed the API {}",
                d["identifier"].as_str().unwrap_or("?")
            ),
            "client.updated" => format!(
                "The client {} updated its registration",
                d["name"].as_str().unwrap_or("?")
            ),
            "client.secret_rotated" => format!(
                "{who} rotated the secret of client {}",
                d["client_id"].as_str().unwrap_or("?")
            ),
            "client.deleted" => format!(
                "{who} deleted the client {}",
                d["name"].as_str().unwrap_or("?")
            ),
            "plugin.bound" => format!(
                "{who} set the organisation's {} plugin to {} version {}",
                d["hook"].as_str().unwrap_or("").replace('-', " "),
                d["plugin"].as_str().unwrap_or("?"),
                d["version"].as_i64().unwrap_or(0)
            ),
            "plugin.unbound" => format!(
                "{who} removed the organisation's {} plugin",
                d["hook"].as_str().unwrap_or("").replace('-', " ")
            ),
            "delivery.signing_secret_rotated" => {
                "The secret that signs deliveries was rotated".into()
            }
            "delivery.plugin_failed" => "The credential delivery plugin failed".into(),
            "install_policy.plugin_failed" => "The install policy plugin failed".into(),
            "grant_policy.plugin_failed" => "The grant policy plugin failed".into(),
            "permission_check.plugin_failed" => "The permission check plugin failed".into(),
            "registration_policy.plugin_failed" => "The registration policy plugin failed".into(),
            other => format!("Recorded: {other}"),
        }
    }

    /// The record as saved, pretty, with every time (`…_at`, `…_until`)
    /// also written out in the tenant's zone.
    pub fn raw(&self, v: &Visitor) -> String {
        let mut d = self.detail.clone();
        annotate_times(&mut d, v);
        let record = serde_json::json!({
            "action": self.event.action,
            "at": v.moment(self.event.created_at),
            "detail": d,
        });
        serde_json::to_string_pretty(&record).unwrap_or_default()
    }
}

fn annotate_times(value: &mut Value, v: &Visitor) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let timed = key.ends_with("_at") || key.ends_with("_until") || key == "until";
                match item.as_i64() {
                    Some(t) if timed && t > 0 => {
                        *item = Value::String(format!("{} ({t})", v.moment(t)));
                    }
                    _ => annotate_times(item, v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| annotate_times(i, v)),
        _ => {}
    }
}

/// "a", "a and b", "a, b and c".
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// 5426 → "5,426".
pub(super) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(5426), "5,426");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(-12345), "-12,345");
    }

    #[test]
    fn lists_read_as_english() {
        let s = |v: &[&str]| list(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&["a"]), "a");
        assert_eq!(s(&["a", "b"]), "a and b");
        assert_eq!(s(&["a", "b", "c"]), "a, b and c");
    }
}
