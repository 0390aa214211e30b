//! Redirect URIs: what may be registered, and whether a requested one matches
//! a registered one (exactly, except the port of an RFC 8252 loopback URI).

/// Checks a redirect URI a client registers.
pub fn validate_redirect_uri(uri: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("redirect URI {uri:?} {why}"));
    let Ok(u) = url::Url::parse(uri) else {
        return bad("is not an absolute URI");
    };
    if u.fragment().is_some() || uri.contains('#') {
        return bad("must not have a fragment (RFC 6749 §3.1.2)");
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&u) => Ok(()),
        "http" => bad("must use https (http only for 127.0.0.1 or [::1], RFC 8252 §7.3)"),
        // RFC 8252 §7.1: private-use schemes are reverse domain names.
        s if s.contains('.') => Ok(()),
        _ => bad(
            "must be https, a loopback http URI or a private-use scheme like com.example.app:/callback",
        ),
    }
}

fn is_loopback(u: &url::Url) -> bool {
    matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
}

/// A redirect URI from an authorization request that matched a registered one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUri(pub String);

impl RedirectUri {
    /// Finds the registered URI `requested` matches: the exact string, or for
    /// loopback http URIs the same URI with any port (RFC 8252 §7.3). With no
    /// `requested` URI, the one registered URI (if there is exactly one).
    pub fn matching(registered: &[String], requested: Option<&str>) -> Option<RedirectUri> {
        let Some(requested) = requested else {
            return match registered {
                [only] => Some(RedirectUri(only.clone())),
                _ => None,
            };
        };
        if registered.iter().any(|r| r == requested) {
            return Some(RedirectUri(requested.to_string()));
        }
        let req = url::Url::parse(requested).ok()?;
        if req.scheme() != "http" || !is_loopback(&req) || requested.contains('#') {
            return None;
        }
        registered.iter().find_map(|r| {
            let mut reg = url::Url::parse(r).ok()?;
            if reg.scheme() != "http" || !is_loopback(&reg) || reg.host() != req.host() {
                return None;
            }
            reg.set_port(req.port()).ok()?;
            (reg == req).then(|| RedirectUri(requested.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Vec<String> {
        vec![
            "https://app.example.com/cb".into(),
            "http://127.0.0.1/cb".into(),
            "com.example.app:/oauth".into(),
        ]
    }

    #[test]
    fn exact_match_only_except_loopback_ports() {
        assert!(RedirectUri::matching(&reg(), Some("https://app.example.com/cb")).is_some());
        assert!(RedirectUri::matching(&reg(), Some("http://127.0.0.1:51234/cb")).is_some());
        assert!(RedirectUri::matching(&reg(), Some("com.example.app:/oauth")).is_some());
        for bad in [
            "https://app.example.com/cb/",
            "https://app.example.com/cb?x=1",
            "https://app.example.com.evil.test/cb",
            "https://app.example.com/cb#frag",
            "https://APP.example.com/cb",
            "http://app.example.com/cb",
            "http://127.0.0.1:5000/other",
            "http://localhost:5000/cb",
            "http://[::1]:5000/cb",
            "com.example.app:/oauth2",
        ] {
            assert!(
                RedirectUri::matching(&reg(), Some(bad)).is_none(),
                "{bad} matched"
            );
        }
        assert!(
            RedirectUri::matching(&reg(), None).is_none(),
            "several registered: must name one"
        );
        assert!(RedirectUri::matching(&reg()[..1], None).is_some());
    }

    #[test]
    fn registration_rules() {
        for ok in [
            "https://a.example/cb",
            "http://127.0.0.1:8000/cb",
            "http://[::1]/cb",
            "com.example.app:/cb",
        ] {
            assert!(validate_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://a.example/cb",
            "https://a.example/cb#x",
            "/relative",
            "javascript:alert(1)",
            "myapp:/cb",
        ] {
            assert!(validate_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
