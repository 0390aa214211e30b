//! OAuth endpoint handlers and the single place OAuth errors become responses.

use super::{State, form};
use crate::oauth::{ErrorCode, OAuthError, Params, PresentedAuth};
use axum::Json;
use axum::body::Body;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An OAuth error as its RFC 6749 (section 5.2) response, written here once for
/// every OAuth endpoint (`OAuthError` lives below HTTP, in the core crate).
pub trait IntoOAuthResponse {
    fn into_response(self) -> Response;
}

impl IntoOAuthResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body = json!({"error": self.code.as_str(), "error_description": self.description});
        let mut response = (status, no_store(), Json(body)).into_response();
        let challenge = match self.code {
            ErrorCode::InvalidToken => Some("Bearer error=\"invalid_token\""),
            // RFC 9449 §7.1, at a resource server.
            ErrorCode::InvalidDpopProof if status == StatusCode::UNAUTHORIZED => {
                Some("DPoP error=\"invalid_dpop_proof\"")
            }
            ErrorCode::UseDpopNonce if status == StatusCode::UNAUTHORIZED => {
                Some("DPoP error=\"use_dpop_nonce\"")
            }
            _ if status == StatusCode::UNAUTHORIZED => Some("Basic realm=\"warden\""),
            _ => None,
        };
        if let Some(c) = challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub(super) fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

fn tenant(path: Result<Path<String>, PathRejection>) -> Result<String, OAuthError> {
    let Path(t) = path.map_err(|_| OAuthError::unknown_tenant())?;
    tracing::Span::current().record("tenant", t.as_str());
    Ok(t)
}

/// Tenant, client credentials and form of a POSTed OAuth request.
async fn read_request(
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, PresentedAuth, Params), OAuthError> {
    let tenant = tenant(path)?;
    let (auth, params) = form::read(headers, body).await?;
    Ok((tenant, auth, params))
}

type TenantPath = Result<Path<String>, PathRejection>;

pub async fn token(
    axum::extract::State(s): State,
    path: TenantPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let tenant_slug = path.as_ref().map(|Path(t)| t.clone()).ok();
    let request = match dpop_proof(&headers) {
        Ok(proof) => read_request(path, &headers, body)
            .await
            .map(|(tenant, auth, params)| (tenant, auth, params, proof)),
        Err(e) => Err(e),
    };
    let mut response = match request {
        Ok((tenant, auth, params, proof)) => match s
            .oauth
            .token(&tenant, auth, &params, proof.as_deref())
            .await
        {
            Ok(t) => {
                let deprecation = t.deprecation.clone();
                let mut r = (no_store(), Json(t)).into_response();
                if let Some(d) = deprecation {
                    deprecation_headers(&mut r, &d);
                }
                r
            }
            Err(e) => e.into_response(),
        },
        Err(e) => e.into_response(),
    };
    if let Some(tenant) = tenant_slug {
        cors(&s, &tenant, &headers, &mut response).await;
    }
    response
}

/// The request's one RFC 9449 `DPoP` header, if any.
fn dpop_proof(headers: &HeaderMap) -> Result<Option<String>, OAuthError> {
    let mut proofs = headers.get_all("dpop").iter();
    let proof = match (proofs.next(), proofs.next()) {
        (None, _) => return Ok(None),
        (Some(p), None) => p,
        (Some(_), Some(_)) => return Err(crate::oauth::dpop::invalid("send one DPoP header")),
    };
    proof
        .to_str()
        .map(|p| Some(p.to_string()))
        .map_err(|_| crate::oauth::dpop::invalid("the DPoP header is not a JWT"))
}

/// RFC 9745 `Deprecation` and RFC 8594 `Sunset` (with a `Link` to the
/// migration guide) on a legacy client's tokens.
fn deprecation_headers(response: &mut Response, d: &crate::oauth::Deprecation) {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("@{}", d.since)) {
        h.insert("deprecation", v);
    }
    if let Ok(v) = HeaderValue::from_str(&crate::clock::http_date(d.sunset_at)) {
        h.insert("sunset", v);
    }
    if let Some(link) = &d.link
        && let Ok(v) = HeaderValue::from_str(&format!("<{link}>; rel=\"sunset\""))
    {
        h.insert(header::LINK, v);
    }
}

/// CORS preflight for the token endpoint.
pub async fn token_preflight(
    axum::extract::State(s): State,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if cors(&s, &tenant, &headers, &mut response).await {
        let h = response.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            // DPoP: a browser app's proofs (RFC 9449 §4.1).
            HeaderValue::from_static("content-type, dpop"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    response
}

/// Browsers may call the token endpoint only from the origin of a public
/// client's registered redirect URI (SPAs); nothing else gets CORS headers.
async fn cors(
    s: &super::AppState,
    tenant: &str,
    headers: &HeaderMap,
    response: &mut Response,
) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    let Ok(clients) = s.store.clients(tenant, &crate::store::Page::all()).await else {
        return false;
    };
    let allowed = clients
        .iter()
        .filter(|c| c.public)
        .flat_map(|c| &c.redirect_uris)
        .any(|uri| {
            url::Url::parse(uri).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https") && u.origin().ascii_serialization() == origin
            })
        });
    if allowed && let Ok(v) = HeaderValue::from_str(origin) {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        // A browser app reads the next DPoP nonce (RFC 9449 §8).
        response.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("dpop-nonce"),
        );
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("origin"));
    }
    allowed
}

/// RFC 9126 pushed authorization request: 201 with the `request_uri`.
pub async fn par(
    axum::extract::State(s): State,
    path: TenantPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match read_request(path, &headers, body).await {
        Ok((tenant, auth, params)) => {
            match s
                .oauth
                .push_authorization_request(&tenant, auth, &params)
                .await
            {
                Ok(p) => (StatusCode::CREATED, no_store(), Json(p)).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => e.into_response(),
    }
}

/// RFC 8628 §3.1 device authorization request.
pub async fn device_authorization(
    axum::extract::State(s): State,
    path: TenantPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match read_request(path, &headers, body).await {
        Ok((tenant, auth, params)) => {
            match s.oauth.device_authorization(&tenant, auth, &params).await {
                Ok(d) => (no_store(), Json(d)).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => e.into_response(),
    }
}

pub async fn introspect(
    axum::extract::State(s): State,
    path: TenantPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match read_request(path, &headers, body).await {
        Ok((tenant, auth, params)) => match s.oauth.introspect(&tenant, auth, &params).await {
            Ok(v) => (no_store(), Json(v)).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => e.into_response(),
    }
}

pub async fn revoke(
    axum::extract::State(s): State,
    path: TenantPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match read_request(path, &headers, body).await {
        Ok((tenant, auth, params)) => match s.oauth.revoke(&tenant, auth, &params).await {
            Ok(()) => (no_store(), StatusCode::OK).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => e.into_response(),
    }
}

pub async fn metadata(axum::extract::State(s): State, path: TenantPath) -> Response {
    let result = async { s.oauth.metadata(&tenant(path)?).await };
    match result.await {
        Ok(v) => ([(header::CACHE_CONTROL, "public, max-age=300")], Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// GET `{issuer}/resource-metadata?resource=…`: RFC 9728 metadata for one
/// of the tenant's resource servers to publish.
pub async fn resource_metadata(
    axum::extract::State(s): State,
    path: TenantPath,
    query: axum::extract::RawQuery,
) -> Response {
    let result = async {
        let tenant = tenant(path)?;
        let pairs = form::parse_urlencoded(query.0.as_deref().unwrap_or_default().as_bytes())?;
        let params = Params::from_pairs(pairs).map_err(|name| {
            OAuthError::invalid_request(format!("the parameter {name} appears more than once"))
        })?;
        s.oauth
            .resource_metadata(&tenant, params.get("resource"))
            .await
    };
    match result.await {
        Ok(v) => ([(header::CACHE_CONTROL, "public, max-age=300")], Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn jwks(axum::extract::State(s): State, path: TenantPath) -> Response {
    let result = async { s.oauth.jwks(&tenant(path)?).await };
    match result.await {
        Ok(jwks) => (
            [
                (header::CONTENT_TYPE, "application/jwk-set+json"),
                (header::CACHE_CONTROL, "public, max-age=60"),
            ],
            jwks,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// GET `/.well-known/webhook-keys`: the public keys that verify the `v1a`
/// (Ed25519) signature of every delivery to an app's hook.
pub async fn webhook_keys(axum::extract::State(s): State) -> Response {
    match s.store.webhook_signing_keys().await {
        Ok(keys) => (
            [(header::CACHE_CONTROL, "public, max-age=300")],
            axum::Json(crate::delivery::webhook_keys::published(&keys)),
        )
            .into_response(),
        Err(e) => crate::oauth::OAuthError::from(e).into_response(),
    }
}

/// The access token and JSON body of an access-evaluation request.
async fn read_access_request(
    path: TenantPath,
    headers: &HeaderMap,
    body: Body,
) -> Result<
    (
        String,
        Option<crate::oauth::dpop::Presented>,
        serde_json::Value,
    ),
    OAuthError,
> {
    let tenant = tenant(path)?;
    let bearer = form::access_token(headers)?;
    let body = form::read_json(headers, body).await?;
    Ok((tenant, bearer, body))
}

pub async fn evaluation(
    axum::extract::State(s): State,
    path: TenantPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match read_access_request(path, &headers, body).await {
        Ok((tenant, bearer, body)) => match s
            .oauth
            .evaluate_access(&tenant, bearer.as_ref(), body)
            .await
        {
            Ok(v) => Json(v).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => e.into_response(),
    }
}

pub async fn evaluations(
    axum::extract::State(s): State,
    path: TenantPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match read_access_request(path, &headers, body).await {
        Ok((tenant, bearer, body)) => match s
            .oauth
            .evaluate_access_batch(&tenant, bearer.as_ref(), body)
            .await
        {
            Ok(v) => Json(v).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => e.into_response(),
    }
}

/// RFC 9449 §8.2: where nonces are required, every answer to a request
/// that carried a DPoP proof names the nonce to use next.
pub async fn dpop_nonce(
    axum::extract::State(s): State,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let proved = request.headers().contains_key("dpop");
    let mut response = next.run(request).await;
    if proved
        && let Some(nonce) = s.oauth.dpop_nonce()
        && let Ok(v) = HeaderValue::from_str(&nonce)
    {
        response.headers_mut().insert("dpop-nonce", v);
    }
    response
}
