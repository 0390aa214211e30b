//! Legacy-credential sunset (Procore retiring traditional service accounts,
//! Provet Cloud retiring API keys). Binding configuration:
//!
//! ```json
//! {"sunset": "2025-03-24", "marker": "legacy", "migrate_to": "Developer Managed Service Accounts (see https://developers.example.com/dmsa)"}
//! ```
//!
//! A client whose metadata has `marker` set to `true` is denied with
//! `unauthorized_client` from the sunset date (UTC midnight) on, with a
//! description that tells the integrator what to migrate to. Before the date
//! it is allowed, and each use is logged as a warning. Other clients pass.

wit_bindgen::generate!({ world: "grant-policy", path: "../../wit" });

use warden::plugin::host::{Level, log};
use warden::plugin::types::{Allow, Deny, DenyCode, GrantDecision};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    sunset: String,
    #[serde(default = "default_marker")]
    marker: String,
    migrate_to: String,
}

fn default_marker() -> String {
    "legacy".into()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_date(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d) * 86_400)
}

struct LegacySunset;

impl Guest for LegacySunset {
    // Its decision is never reused: it depends on the time (legacy-sunset)
    // or on nothing a cache could key (hostile).
    fn evaluate(request: GrantRequest, config: String) -> GrantAnswer {
        GrantAnswer { decision: LegacySunset::decide(request, config), cache_for: 0 }
    }
}

impl LegacySunset {
    fn decide(request: GrantRequest, config: String) -> GrantDecision {
        let parsed = serde_json::from_str::<Config>(&config).ok().and_then(|c| parse_date(&c.sunset).map(|t| (c, t)));
        let Some((config, sunset_at)) = parsed else {
            log(Level::Error, "bad binding configuration: need {\"sunset\": \"YYYY-MM-DD\", \"migrate_to\": \"…\"}");
            return GrantDecision::Deny(Deny {
                code: DenyCode::AccessDenied,
                description: "the tenant's legacy-credential policy is misconfigured".into(),
            });
        };
        let metadata: serde_json::Value = serde_json::from_str(&request.client.metadata).unwrap_or_default();
        let legacy = metadata.get(&config.marker).and_then(|v| v.as_bool()).unwrap_or(false);
        if legacy && request.request_time >= sunset_at {
            let description: String = format!(
                "legacy credentials were retired on {}; migrate to {}",
                config.sunset, config.migrate_to
            )
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .take(512)
            .collect();
            return GrantDecision::Deny(Deny { code: DenyCode::UnauthorizedClient, description });
        }
        if legacy {
            log(Level::Warn, &format!("legacy client {} used; it stops working on {}", request.client.id, config.sunset));
        }
        GrantDecision::Allow(Allow { scopes: request.requested_scopes, claims: vec![], lifetime_seconds: None })
    }
}

export!(LegacySunset);
