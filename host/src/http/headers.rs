//! Security headers on every response — pages, JSON, errors and the 404 —
//! set in this one layer so no route can forget them.

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// Nothing on any response may load scripts, frame it, or be sniffed as
/// another type; pages style themselves inline. (No `form-action`: the
/// consent form's answer redirects to the app, which it would block.)
const HEADERS: &[(HeaderName, &str)] = &[
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// The exact https origins a page's images come from (a tenant's or an
/// app's logo): the only addition a page may make to the policy.
#[derive(Clone, Debug)]
pub struct ImageSources(pub Vec<String>);

/// `https`: the public URL is https, so browsers are told to stay on it.
pub async fn security_headers(State(https): State<bool>, mut response: Response) -> Response {
    let images = response.extensions_mut().remove::<ImageSources>();
    let h = response.headers_mut();
    for (name, value) in HEADERS {
        h.insert(name.clone(), HeaderValue::from_static(value));
    }
    if let Some(ImageSources(origins)) = images {
        let mut list: Vec<&str> = origins
            .iter()
            .map(String::as_str)
            .filter(|o| {
                o.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
            })
            .collect();
        list.sort_unstable();
        list.dedup();
        if !list.is_empty() {
            let policy = format!("{}; img-src {}", HEADERS[0].1, list.join(" "));
            if let Ok(v) = HeaderValue::from_str(&policy) {
                h.insert(header::CONTENT_SECURITY_POLICY, v);
            }
        }
    }
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}
