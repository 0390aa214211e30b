//! A tenant's own settings: how its pages look (branding) and who may
//! install apps. Plain types and their validation, no I/O.

use super::manifest::{ManifestError, web_url};
use serde::{Deserialize, Serialize};

/// How the tenant's login, consent, account and console pages look.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Branding {
    /// Shown instead of the tenant's slug.
    #[serde(default)]
    pub display_name: Option<String>,
    /// An https image URL; the pages' CSP admits exactly its origin.
    #[serde(default)]
    pub logo_url: Option<String>,
    /// `#rrggbb`: the header bar and primary buttons.
    #[serde(default)]
    pub accent_color: Option<String>,
    /// Where people get help: https URL or `mailto:`.
    #[serde(default)]
    pub support_url: Option<String>,
}

/// Who may install apps from the catalog (Procore's "Allow User Installs").
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UserInstalls {
    /// Only the tenant's admins install apps.
    #[default]
    Admins,
    /// Users ask; an admin approves or declines in the console.
    Request,
    /// Users install apps whose every permission is one they hold
    /// themselves (a scope the tenant offers its users); others they request.
    Permitted,
}

impl UserInstalls {
    pub fn as_str(self) -> &'static str {
        match self {
            UserInstalls::Admins => "admins",
            UserInstalls::Request => "request",
            UserInstalls::Permitted => "permitted",
        }
    }

    pub fn parse(s: &str) -> Option<UserInstalls> {
        match s {
            "admins" => Some(UserInstalls::Admins),
            "request" => Some(UserInstalls::Request),
            "permitted" => Some(UserInstalls::Permitted),
            _ => None,
        }
    }
}

/// Everything a tenant sets for itself.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct TenantSettings {
    #[serde(flatten)]
    pub branding: Branding,
    pub user_installs: UserInstalls,
    /// An IANA time zone (`Europe/Helsinki`) the console shows times in;
    /// unset is UTC.
    pub time_zone: Option<String>,
}

/// A time zone setting as saved: blank is unset, anything else must be an
/// IANA name, saved as the database spells it.
pub fn time_zone(name: Option<&str>) -> Result<Option<String>, ManifestError> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let bad = || ManifestError {
        field: "time_zone".into(),
        message: format!("{name:?} is not a time zone; use an IANA name like Europe/Helsinki"),
    };
    if name.len() > 64 {
        return Err(bad());
    }
    let zone = jiff::tz::TimeZone::get(name).map_err(|_| bad())?;
    Ok(Some(zone.iana_name().unwrap_or(name).to_string()))
}

/// The zone named by a saved setting (UTC when unset or no longer known).
pub fn zone(name: Option<&str>) -> jiff::tz::TimeZone {
    name.and_then(|n| jiff::tz::TimeZone::get(n).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

const MAX_DISPLAY_NAME: usize = 100;

impl Branding {
    /// Blank fields become unset; the error names the field.
    pub fn normalize(mut self) -> Result<Branding, ManifestError> {
        for v in [
            &mut self.display_name,
            &mut self.logo_url,
            &mut self.accent_color,
            &mut self.support_url,
        ] {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *v = None;
            } else if let Some(s) = v {
                *s = s.trim().to_string();
            }
        }
        let bad = |field: &str, message: &str| {
            Err(ManifestError {
                field: field.into(),
                message: message.into(),
            })
        };
        if let Some(name) = &self.display_name {
            if name.chars().count() > MAX_DISPLAY_NAME {
                return bad("display_name", "is longer than 100 characters");
            }
            if name.chars().any(char::is_control) {
                return bad("display_name", "contains control characters");
            }
        }
        if let Some(logo) = &self.logo_url {
            web_url("logo_url", logo, false)?;
        }
        if let Some(c) = &self.accent_color {
            let hex =
                c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
            if !hex {
                return bad("accent_color", "must be a colour like #1a5fb4");
            }
            self.accent_color = Some(c.to_ascii_lowercase());
        }
        if let Some(link) = &self.support_url {
            match link.strip_prefix("mailto:") {
                Some(address) => {
                    let ok = address.contains('@')
                        && address.len() <= 200
                        && !address.chars().any(|c| c.is_control() || c.is_whitespace());
                    if !ok {
                        return bad(
                            "support_url",
                            "must be an https URL or mailto: an e-mail address",
                        );
                    }
                }
                None => web_url("support_url", link, false)?,
            }
        }
        Ok(self)
    }

    /// The accent colour, and the text colour (black or white) that reads
    /// best on it (WCAG contrast).
    pub fn accent(&self) -> (String, &'static str) {
        let accent = self
            .accent_color
            .clone()
            .unwrap_or_else(|| DEFAULT_ACCENT.to_string());
        let on = if contrast_with_white(&accent) >= 4.5 {
            "#fff"
        } else {
            "#000"
        };
        (accent, on)
    }
}

/// The accent when a tenant sets none: a blue that passes AA with white.
pub const DEFAULT_ACCENT: &str = "#1a5fb4";

/// `https://host[:port]` of an image URL, for a CSP source list.
pub fn image_origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    (u.scheme() == "https" && u.host().is_some()).then(|| u.origin().ascii_serialization())
}

fn channel(v: u8) -> f64 {
    let c = f64::from(v) / 255.0;
    if c <= 0.039_28 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// WCAG 2 contrast ratio of `#rrggbb` against white.
fn contrast_with_white(hex: &str) -> f64 {
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    let l = 0.2126 * channel(byte(1)) + 0.7152 * channel(byte(3)) + 0.0722 * channel(byte(5));
    1.05 / (l + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branding(json: serde_json::Value) -> Result<Branding, ManifestError> {
        serde_json::from_value::<Branding>(json)
            .unwrap()
            .normalize()
    }

    #[test]
    fn fields_are_checked_and_blank_ones_cleared() {
        let b = branding(serde_json::json!({
            "display_name": " Acme Builders ", "logo_url": "https://cdn.acme.test/logo.png",
            "accent_color": "#AA3300", "support_url": "mailto:help@acme.test"
        }))
        .unwrap();
        assert_eq!(b.display_name.as_deref(), Some("Acme Builders"));
        assert_eq!(b.accent_color.as_deref(), Some("#aa3300"));
        assert_eq!(
            image_origin(b.logo_url.as_deref().unwrap()).as_deref(),
            Some("https://cdn.acme.test")
        );
        assert_eq!(
            branding(serde_json::json!({"display_name": "  "}))
                .unwrap()
                .display_name,
            None
        );
        for (json, field) in [
            (
                serde_json::json!({"logo_url": "http://cdn.acme.test/l.png"}),
                "logo_url",
            ),
            (
                serde_json::json!({"logo_url": "javascript:alert(1)"}),
                "logo_url",
            ),
            (serde_json::json!({"accent_color": "red"}), "accent_color"),
            (
                serde_json::json!({"accent_color": "#12345"}),
                "accent_color",
            ),
            (
                serde_json::json!({"support_url": "mailto:nobody"}),
                "support_url",
            ),
            (
                serde_json::json!({"support_url": "ftp://x.test"}),
                "support_url",
            ),
            (
                serde_json::json!({"display_name": "a\u{7}b"}),
                "display_name",
            ),
        ] {
            assert_eq!(branding(json.clone()).unwrap_err().field, field, "{json}");
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(time_zone(Some("  ")).unwrap(), None);
        assert_eq!(time_zone(None).unwrap(), None);
        assert_eq!(
            time_zone(Some(" Europe/Helsinki ")).unwrap().as_deref(),
            Some("Europe/Helsinki")
        );
        let e = time_zone(Some("Mars/Olympus")).unwrap_err();
        assert_eq!(e.field, "time_zone");
        assert!(e.message.contains("Europe/Helsinki"), "{}", e.message);
        assert_eq!(zone(Some("Mars/Olympus")), jiff::tz::TimeZone::UTC);
    }

    #[test]
    fn text_on_the_accent_stays_readable() {
        let with = |c: &str| {
            Branding {
                accent_color: Some(c.into()),
                ..Default::default()
            }
            .accent()
            .1
        };
        assert_eq!(with("#1a5fb4"), "#fff");
        assert_eq!(with("#ffee00"), "#000");
        assert_eq!(with("#000000"), "#fff");
        assert_eq!(Branding::default().accent().0, DEFAULT_ACCENT);
    }
}
