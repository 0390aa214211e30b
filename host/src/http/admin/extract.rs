//! What every admin handler shares: the RFC 9457 problem document its
//! errors are, and extractors that refuse bad input with one (a path or
//! query that does not parse, a body that is not JSON, too big, too slow or
//! holding a NUL).

use crate::admin::AdminError;
use crate::domain::Scope;
use crate::store::StoreError;
use axum::Json;
use axum::body::Body;
use axum::extract::{
    FromRequestParts,
    rejection::{PathRejection, QueryRejection},
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Duration;

const MAX_JSON: usize = 64 * 1024;
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) type Result<T> = std::result::Result<T, Problem>;

/// An RFC 9457 problem document; `field` names the bad input, if one is.
pub struct Problem {
    status: StatusCode,
    detail: String,
    field: Option<String>,
}

impl Problem {
    pub(super) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            status,
            detail: detail.into(),
            field: None,
        }
    }

    /// 422: the body parsed but a field's value cannot be accepted.
    pub(super) fn unprocessable(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Problem {
            field: Some(field.into()),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
        }
    }
    pub(super) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        let mut r = (self.status, body.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"warden-admin\""),
            );
        }
        r
    }
}

impl From<AdminError> for Problem {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid(m) => Problem::bad_request(m),
            AdminError::Conflict(m) => Problem::new(StatusCode::CONFLICT, m),
            AdminError::Unprocessable(m) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            AdminError::Plugin { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            AdminError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, e.to_string()),
            StoreError::Conflict(_) | StoreError::Concurrent(_) | StoreError::Managed(_) => {
                Problem::new(StatusCode::CONFLICT, e.to_string())
            }
            StoreError::Corrupt(_)
            | StoreError::Backend(_)
            | StoreError::Shared(_)
            | StoreError::Stopped
            | StoreError::TimedOut => {
                tracing::error!(error = %e, "admin API storage failure");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database could not complete the request; try again",
                )
            }
        }
    }
}

pub(super) async fn body_bytes(body: Body, limit: usize) -> Result<axum::body::Bytes> {
    let limited = http_body_util::Limited::new(body, limit);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Ok(Ok(c)) => Ok(c.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body exceeds {limit} bytes"),
        )),
        Ok(Err(_)) => Err(Problem::bad_request("could not read the request body")),
        Err(_) => Err(Problem::bad_request(
            "request body was not received in time",
        )),
    }
}

/// axum's `Path`, refusing a bad path segment (not UTF-8, not a number
/// where one is wanted) with a problem document rather than plain text.
pub(super) struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    axum::extract::Path<T>: FromRequestParts<S, Rejection = PathRejection>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        no_nul(parts.uri.path())?;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => Err(Problem::bad_request(e.body_text())),
        }
    }
}

/// axum's `Query`, refusing a bad query string (a repeated or out-of-range
/// parameter) with a problem document rather than plain text.
pub(super) struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    axum::extract::Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        no_nul(parts.uri.query().unwrap_or(""))?;
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(e) => Err(Problem::bad_request(e.body_text())),
        }
    }
}

/// No text the API takes may hold U+0000: PostgreSQL cannot store it, and
/// no slug, name or id means it.
fn no_nul(percent_encoded: &str) -> Result<()> {
    if percent_encoded.contains("%00") {
        return Err(Problem::bad_request("the URL holds a NUL character (%00)"));
    }
    Ok(())
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// A JSON body of type `T`; an empty body reads as `{}`. An array is
/// refused: serde would read one as a struct's fields in order.
pub(super) async fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> Result<T> {
    let bytes = json_bytes(headers, body).await?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(Problem::bad_request(
            "the body must be a JSON object, not an array",
        ));
    }
    parse_json(&bytes)
}

/// A JSON body that is a list of `T`.
pub(super) async fn json_list<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<T>> {
    parse_json(&json_bytes(headers, body).await?)
}

/// JSON Schema counts `5.0` and `5e0` as the integer 5 and the contract
/// says so; serde's `i64` does not. Whole numbers written that way are
/// rewritten as integers before the body is read.
fn whole_numbers(bytes: Vec<u8>) -> Vec<u8> {
    fn rewrite(v: &mut Value) -> bool {
        match v {
            Value::Number(n) if n.is_f64() => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                    *v = Value::from(f as i64);
                    true
                }
                _ => false,
            },
            Value::Array(items) => items.iter_mut().fold(false, |any, x| rewrite(x) | any),
            Value::Object(map) => map.values_mut().fold(false, |any, x| rewrite(x) | any),
            _ => false,
        }
    }
    if !bytes.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return bytes;
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut v) => {
            if rewrite(&mut v) {
                serde_json::to_vec(&v).unwrap_or(bytes)
            } else {
                bytes
            }
        }
        Err(_) => bytes,
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::bad_request(format!("invalid JSON body: {e}")))
}

/// The bytes of a JSON body (at most 64 KiB; an empty body reads as `{}`,
/// but a body of blanks is no JSON text and is refused like any other).
pub(super) async fn json_bytes(headers: &HeaderMap, body: Body) -> Result<Vec<u8>> {
    let bytes = body_bytes(body, MAX_JSON).await?;
    let bytes: Vec<u8> = if bytes.is_empty() {
        b"{}".to_vec()
    } else {
        bytes.to_vec()
    };
    // Only an escape can put a NUL in a JSON string; look closer only then.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
        && serde_json::from_slice::<Value>(&bytes).is_ok_and(|v| holds_nul(&v))
    {
        return Err(Problem::bad_request(
            "the body holds a NUL character (\\u0000)",
        ));
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
    if !is_json {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as application/json",
        ));
    }
    Ok(whole_numbers(bytes))
}

pub(super) fn now(s: &crate::http::AppState) -> i64 {
    s.oauth.clock.now()
}

pub(super) fn created(value: Value) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

pub(super) fn scope(text: &str, what: &str) -> Result<Scope> {
    Scope::parse(text).map_err(|e| Problem::bad_request(format!("{what}: {e}")))
}

pub(super) fn empty_object() -> Value {
    json!({})
}
