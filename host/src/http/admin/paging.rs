//! Paged admin lists: `limit` and an opaque `cursor` in, `items`, `next` and
//! an RFC 8288 `Link: <…>; rel="next"` out. The cursor is the last row's
//! sort key (keyset paging), so rows added while a client walks a list
//! neither repeat nor shift a page. It is a position, not a secret: any
//! well-formed cursor names one (the rows after it), which is what lets the
//! contract's pattern say exactly which cursors are accepted.

use super::extract::Problem;
use super::extract::Query;
use crate::store::Page;
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Rows in a page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: i64 = 100;
/// The most rows a page holds.
pub const MAX_LIMIT: i64 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows in this page: 1–1000, 100 unless told.
    #[param(minimum = 1, maximum = 1000, value_type = Option<i64>)]
    limit: Option<String>,
    /// Where to go on: the `next` of the page before, as it was given.
    #[param(pattern = r"^([0-9a-f]{2}){1,600}$")]
    cursor: Option<String>,
}

/// One page of a list and, when more follow, where the next one starts.
#[derive(Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// The `cursor` of the next page; `null` on the last.
    #[schema(required = true)]
    pub next: Option<String>,
}

/// The page a request asks for, checked: the request and its path.
pub struct PageRequest {
    limit: i64,
    cursor: Option<String>,
    path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        // The admin API's own query extractor: its NUL check and problem document.
        let Query(q) = Query::<PageQuery>::from_request_parts(parts, state).await?;
        let limit = match q.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(l) => match l.parse::<i64>() {
                Ok(l) if (1..=MAX_LIMIT).contains(&l) => l,
                _ => {
                    return Err(Problem::bad_request(format!(
                        "limit must be a whole number from 1 to {MAX_LIMIT}"
                    )));
                }
            },
        };
        // Nested under the admin base, which the request's URI has lost.
        let path = format!("{}{}", super::BASE, parts.uri.path());
        Ok(PageRequest {
            limit,
            cursor: q.cursor,
            path,
        })
    }
}

impl PageRequest {
    /// The store's page: one row more than asked, to know if another follows.
    pub fn page<K: CursorKey>(&self) -> Result<Page<K>, Problem> {
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(decode(c).ok_or_else(|| {
                Problem::bad_request(
                    "cursor is not one this list gives: pass a page's `next` as it was, or leave it out to start again",
                )
            })?),
        };
        Ok(Page {
            after,
            limit: self.limit + 1,
        })
    }

    /// Answers with at most `limit` of `rows` (read with `page()`), and
    /// `next` and a `Link` header when there were more.
    pub fn respond<R, T: Serialize, K: CursorKey>(
        &self,
        mut rows: Vec<R>,
        key: impl Fn(&R) -> K,
        view: impl FnMut(R) -> T,
    ) -> Response {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let next = match rows.last() {
            Some(last) if more => Some(encode(&key(last))),
            _ => None,
        };
        let link = next.as_ref().map(|n| {
            format!(
                "<{}?limit={}&cursor={n}>; rel=\"next\"",
                self.path, self.limit
            )
        });
        let body = Paged {
            items: rows.into_iter().map(view).collect(),
            next,
        };
        let mut response = Json(body).into_response();
        if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.headers_mut().insert(header::LINK, link);
        }
        response
    }

    /// Pages a list held in memory (short ones: a tenant's bindings, the
    /// catalog) the same way, in `key` order.
    pub fn respond_all<R, T: Serialize, K: CursorKey + Ord>(
        &self,
        mut rows: Vec<R>,
        key: impl Fn(&R) -> K,
        view: impl FnMut(R) -> T,
    ) -> Result<Response, Problem> {
        let page: Page<K> = self.page()?;
        rows.sort_by_key(|r| key(r));
        if let Some(after) = &page.after {
            rows.retain(|r| key(r) > *after);
        }
        rows.truncate(page.limit as usize);
        Ok(self.respond(rows, key, view))
    }
}

/// A list's sort key as cursor bytes. Every byte string reads as some key,
/// so a well-formed cursor always names a position.
pub trait CursorKey: Sized {
    fn to_bytes(&self) -> Vec<u8>;
    fn from_bytes(bytes: &[u8]) -> Self;
}

impl CursorKey for String {
    fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
    /// No stored key holds a NUL, and PostgreSQL takes none in text.
    fn from_bytes(bytes: &[u8]) -> Self {
        String::from_utf8_lossy(bytes).replace('\0', "")
    }
}

impl CursorKey for i64 {
    fn to_bytes(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }
    /// The first eight bytes, big-endian; fewer are padded with zeros.
    fn from_bytes(bytes: &[u8]) -> Self {
        let mut b = [0u8; 8];
        let n = bytes.len().min(8);
        b[8 - n..].copy_from_slice(&bytes[..n]);
        i64::from_be_bytes(b)
    }
}

/// (time, id): the time's eight bytes, then the id.
impl CursorKey for (i64, String) {
    fn to_bytes(&self) -> Vec<u8> {
        [self.0.to_bytes(), self.1.to_bytes()].concat()
    }
    fn from_bytes(bytes: &[u8]) -> Self {
        let (at, id) = bytes.split_at(bytes.len().min(8));
        (i64::from_bytes(at), String::from_bytes(id))
    }
}

/// (name, version): the name, then the version's eight bytes.
impl CursorKey for (String, i64) {
    fn to_bytes(&self) -> Vec<u8> {
        [self.0.to_bytes(), self.1.to_bytes()].concat()
    }
    fn from_bytes(bytes: &[u8]) -> Self {
        let (name, version) = bytes.split_at(bytes.len().saturating_sub(8));
        (String::from_bytes(name), i64::from_bytes(version))
    }
}

/// (type, id), joined by a NUL neither may hold.
impl CursorKey for (String, String) {
    fn to_bytes(&self) -> Vec<u8> {
        [self.0.to_bytes(), vec![0], self.1.to_bytes()].concat()
    }
    fn from_bytes(bytes: &[u8]) -> Self {
        let (kind, id) = match bytes.iter().position(|b| *b == 0) {
            Some(i) => (&bytes[..i], &bytes[i + 1..]),
            None => (bytes, &[][..]),
        };
        (String::from_bytes(kind), String::from_bytes(id))
    }
}

fn encode<K: CursorKey>(key: &K) -> String {
    key.to_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex, two digits a byte, as `encode` writes it.
fn decode<K: CursorKey>(cursor: &str) -> Option<K> {
    let digits = cursor.as_bytes();
    if digits.is_empty() || digits.len() % 2 != 0 || digits.len() > 1200 {
        return None;
    }
    let hex = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let bytes = digits
        .chunks(2)
        .map(|p| Some(hex(p[0])? << 4 | hex(p[1])?))
        .collect::<Option<Vec<u8>>>()?;
    Some(K::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_gives_back_its_key_and_only_well_formed_ones_are_read() {
        // The contract's pattern: ^([0-9a-f]{2}){1,600}$
        let matches = |c: &str| {
            c.len() % 2 == 0
                && (2..=1200).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let keys = (
            (-5i64, "cl_x".to_string()),
            ("scopes".to_string(), 3i64),
            ("project".to_string(), "p 1".to_string()),
        );
        for c in [
            encode(&keys.0),
            encode(&keys.1),
            encode(&keys.2),
            encode(&i64::MAX),
        ] {
            assert!(matches(&c), "{c}");
        }
        assert_eq!(decode(&encode(&keys.0)), Some(keys.0));
        assert_eq!(decode(&encode(&keys.1)), Some(keys.1));
        assert_eq!(decode(&encode(&keys.2)), Some(keys.2));
        assert_eq!(decode(&encode(&i64::MIN)), Some(i64::MIN));
        // Any cursor the pattern allows names some position.
        assert_eq!(decode::<i64>("01"), Some(1));
        assert_eq!(decode::<(String, i64)>("ff"), Some((String::new(), 255)));
        assert_eq!(decode::<String>("00610062"), Some("ab".to_string()));
        for bad in ["", "0", "0g", "AB", "zz", &"00".repeat(601)] {
            assert_eq!(decode::<String>(bad), None, "{bad}");
        }
    }
}
