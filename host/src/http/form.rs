//! Strict reading of OAuth requests: content type, size, UTF-8, repeats,
//! and the `Authorization: Basic` header. Every failure is `invalid_request`.

use crate::oauth::{OAuthError, Params, PresentedAuth};
use axum::body::Body;
use axum::http::{HeaderMap, header};
use base64::Engine;
use http_body_util::BodyExt;
use std::time::Duration;

/// Largest body accepted: OAuth forms are a few hundred bytes, AuthZEN
/// batches a few KiB.
pub const MAX_BODY: usize = 64 * 1024;
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn read(headers: &HeaderMap, body: Body) -> Result<(PresentedAuth, Params), OAuthError> {
    let auth = basic_auth(headers)?;
    let pairs = read_pairs(headers, body).await?;
    let params = Params::from_pairs(pairs).map_err(|name| {
        OAuthError::invalid_request(format!("parameter {name} must not be repeated"))
    })?;
    Ok((auth, params))
}

/// A form body's pairs, repeats kept (for checkboxes), with the size and
/// time limits of every form.
pub async fn read_pairs(
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(String, String)>, OAuthError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(OAuthError::invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let bytes = read_body(body).await?;
    parse_urlencoded(&bytes)
}

/// A JSON request body (AuthZEN), with the same size and time limits.
pub async fn read_json(headers: &HeaderMap, body: Body) -> Result<serde_json::Value, OAuthError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(OAuthError::invalid_request(
            "Content-Type must be application/json",
        ));
    }
    let bytes = read_body(body).await?;
    serde_json::from_slice(&bytes)
        .map_err(|_| OAuthError::invalid_request("the request body is not valid JSON"))
}

/// `Authorization: Bearer <token>` (RFC 6750 §2.1), if present.
/// The access token of a resource request: `Authorization: Bearer`, or
/// `Authorization: DPoP` with the request's one `DPoP` proof (RFC 9449 §7.1).
pub fn access_token(
    headers: &HeaderMap,
) -> Result<Option<crate::oauth::dpop::Presented>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| OAuthError::invalid_request("malformed Authorization header"))?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .filter(|(_, t)| !t.trim().is_empty())
        .ok_or_else(|| {
            OAuthError::invalid_request("expected Authorization: Bearer (or DPoP) <access token>")
        })?;
    let dpop_scheme = scheme.eq_ignore_ascii_case("dpop");
    if !dpop_scheme && !scheme.eq_ignore_ascii_case("bearer") {
        return Err(OAuthError::invalid_request(
            "expected Authorization: Bearer (or DPoP) <access token>",
        ));
    }
    let mut proofs = headers.get_all("dpop").iter();
    let proof = match (proofs.next(), proofs.next()) {
        (None, _) => None,
        (Some(p), None) => Some(
            p.to_str()
                .map_err(|_| crate::oauth::dpop::invalid("the DPoP header is not a JWT"))?
                .to_string(),
        ),
        (Some(_), Some(_)) => return Err(crate::oauth::dpop::invalid("send one DPoP header")),
    };
    Ok(Some(crate::oauth::dpop::Presented {
        token: token.trim().to_string(),
        dpop_scheme,
        proof,
    }))
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, OAuthError> {
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(
            OAuthError::invalid_request(format!("request body exceeds {MAX_BODY} bytes")),
        ),
        Ok(Err(_)) => Err(OAuthError::invalid_request(
            "could not read the request body",
        )),
        Err(_) => Err(OAuthError::invalid_request(
            "request body was not received in time",
        )),
    }
}

/// `application/x-www-form-urlencoded`, refusing what lenient decoders accept
/// silently: invalid UTF-8 and malformed percent escapes.
pub fn parse_urlencoded(body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let mut pairs = Vec::new();
    for part in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match part.iter().position(|&b| b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &b""[..]),
        };
        let name = decode_component(name)?;
        if name.is_empty() {
            return Err(OAuthError::invalid_request(
                "form has a parameter without a name",
            ));
        }
        pairs.push((name, decode_component(value)?));
    }
    Ok(pairs)
}

fn decode_component(raw: &[u8]) -> Result<String, OAuthError> {
    let bad =
        || OAuthError::invalid_request("form is not valid UTF-8 application/x-www-form-urlencoded");
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3).ok_or_else(bad)?;
                let s = std::str::from_utf8(hex).map_err(|_| bad())?;
                out.push(u8::from_str_radix(s, 16).map_err(|_| bad())?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// RFC 6749 §2.3.1: Basic credentials whose parts are form-urlencoded.
fn basic_auth(headers: &HeaderMap) -> Result<PresentedAuth, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(PresentedAuth::None);
    };
    let bad = || {
        OAuthError::invalid_request(
            "malformed Authorization header: expected Basic base64(client_id:client_secret)",
        )
    };
    if values.next().is_some() {
        return Err(OAuthError::invalid_request(
            "more than one Authorization header",
        ));
    }
    let value = value.to_str().map_err(|_| bad())?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_request(
            "unsupported Authorization scheme; clients authenticate with Basic",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let (id, secret) = decoded
        .iter()
        .position(|&b| b == b':')
        .map(|i| (&decoded[..i], &decoded[i + 1..]))
        .ok_or_else(bad)?;
    let client_id = decode_component(id).map_err(|_| bad())?;
    let secret = decode_component(secret).map_err(|_| bad())?;
    if client_id.is_empty() {
        return Err(bad());
    }
    Ok(PresentedAuth::Basic { client_id, secret })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent_and_rejects_bad_input() {
        let pairs = parse_urlencoded(b"a=b+c&d=%41%2b&e").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "b c".into()),
                ("d".into(), "A+".into()),
                ("e".into(), "".into())
            ]
        );
        assert!(parse_urlencoded(b"a=%ff").is_err());
        assert!(parse_urlencoded(b"a=%4").is_err());
        assert!(parse_urlencoded(b"a=%zz").is_err());
        assert!(parse_urlencoded(b"=x").is_err());
    }

    #[test]
    fn basic_header_forms() {
        let mut h = HeaderMap::new();
        let enc = base64::engine::general_purpose::STANDARD.encode("my%20id:s%3Acret");
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {enc}").parse().unwrap(),
        );
        match basic_auth(&h).unwrap() {
            PresentedAuth::Basic { client_id, secret } => {
                assert_eq!(client_id, "my id");
                assert_eq!(secret, "s:cret");
            }
            _ => panic!(),
        }
        for bad in ["Basic", "Basic !!!", "Bearer abc", "Basic Zm9v"] {
            h.insert(header::AUTHORIZATION, bad.parse().unwrap());
            assert!(basic_auth(&h).is_err(), "{bad}");
        }
    }
}
