//! The legacy sunset's rules: where a legacy client stands at a given time.

/// The platform-wide sunset of legacy credentials.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LegacyPolicy {
    /// From then on, legacy clients get `invalid_client`.
    pub sunset_at: i64,
    /// From then on, their tokens carry `Deprecation`/`Sunset` headers and a
    /// warning is audited.
    pub warn_from: Option<i64>,
    /// What integrators read in every warning and refusal.
    pub message: String,
    pub migration_url: Option<String>,
    /// Windows before the sunset in which legacy clients are refused already.
    pub brownouts: Vec<Brownout>,
    pub updated_at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Brownout {
    pub from: i64,
    pub until: i64,
}

/// What a legacy client's token request meets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before the warning phase, or exempt: the token is issued (and counted).
    Allowed,
    /// The token is issued with `Deprecation` and `Sunset` headers.
    Warning,
    /// A brownout window: refused until `until`.
    Brownout { until: i64 },
    /// Past the sunset: refused for good.
    Retired,
}

/// Where a legacy client stands at `now`, with its tenant's exemption (if any).
pub fn phase(policy: Option<&LegacyPolicy>, exempt_until: Option<i64>, now: i64) -> Phase {
    let Some(p) = policy else {
        return Phase::Allowed;
    };
    if exempt_until.is_some_and(|until| now < until) {
        return Phase::Warning;
    }
    if now >= p.sunset_at {
        return Phase::Retired;
    }
    if let Some(b) = p.brownouts.iter().find(|b| b.from <= now && now < b.until) {
        return Phase::Brownout { until: b.until };
    }
    if p.warn_from.is_some_and(|w| now >= w) {
        Phase::Warning
    } else {
        Phase::Allowed
    }
}

/// A time given as Unix seconds or as an RFC 3339 UTC date-time
/// (`2027-03-24T00:00:00Z`) or date (`2027-03-24`).
pub fn parse_time(v: &serde_json::Value) -> Result<i64, String> {
    if let Some(n) = v.as_i64() {
        return Ok(n);
    }
    let s = v
        .as_str()
        .ok_or("must be Unix seconds or an RFC 3339 date such as 2027-03-24T00:00:00Z")?;
    parse_time_str(s)
}

pub fn parse_time_str(s: &str) -> Result<i64, String> {
    let bad = || {
        format!("{s:?} is not Unix seconds or an RFC 3339 UTC date such as 2027-03-24T00:00:00Z")
    };
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z').ok_or_else(bad)?)),
        None => (s, None),
    };
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [y, m, day] = d[..] else {
        return Err(bad());
    };
    // A real calendar day (no 31 February), in years the arithmetic holds.
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let days = crate::clock::days_from_civil(y, m, day);
    if crate::clock::civil_from_days(days) != (y, m as u32, day as u32) {
        return Err(bad());
    }
    let secs = match time {
        None => 0,
        Some(t) => {
            let t: Vec<i64> = t
                .split(':')
                .map(|p| p.parse().map_err(|_| bad()))
                .collect::<Result<_, _>>()?;
            let [h, mi, sec] = t[..] else {
                return Err(bad());
            };
            if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..61).contains(&sec) {
                return Err(bad());
            }
            h * 3600 + mi * 60 + sec
        }
    };
    Ok(days * 86_400 + secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_the_calendar_and_exemptions() {
        let p = LegacyPolicy {
            sunset_at: 1000,
            warn_from: Some(500),
            message: "m".into(),
            migration_url: None,
            brownouts: vec![Brownout {
                from: 700,
                until: 710,
            }],
            updated_at: 0,
        };
        assert_eq!(phase(Some(&p), None, 100), Phase::Allowed);
        assert_eq!(phase(Some(&p), None, 600), Phase::Warning);
        assert_eq!(phase(Some(&p), None, 705), Phase::Brownout { until: 710 });
        assert_eq!(phase(Some(&p), None, 1000), Phase::Retired);
        assert_eq!(phase(Some(&p), Some(2000), 1500), Phase::Warning, "exempt");
        assert_eq!(
            phase(Some(&p), Some(1200), 1500),
            Phase::Retired,
            "exemption over"
        );
        assert_eq!(phase(None, None, 5000), Phase::Allowed);
    }

    #[test]
    fn times_parse_as_seconds_or_rfc3339() {
        assert_eq!(parse_time_str("2025-03-24").unwrap(), 1_742_774_400);
        assert_eq!(
            parse_time_str("2021-02-25T15:02:10Z").unwrap(),
            1_614_265_330
        );
        assert_eq!(parse_time(&serde_json::json!(42)).unwrap(), 42);
        for bad in [
            "2025-13-01",
            "2025-02-31",
            "999999999999999999-01-01",
            "yesterday",
            "2025-03-24T10:00:00+02:00",
            "2025-03",
        ] {
            assert!(parse_time_str(bad).is_err(), "{bad}");
        }
    }
}
