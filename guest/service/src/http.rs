//! The service's view of an HTTP request: its head ([`IncomingRequest`])
//! and its body, read only on demand ([`Body`]). Answers are in
//! [`crate::answers`].

use std::fmt;

use crate::problem::Problem;

/// The largest request body the service reads; larger ones are refused
/// with `413`.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// A request's head: method, path, query and headers. Its body is read apart
/// ([`Body`]), and only once the caller's credentials have been checked. Its
/// `Debug` output shows header names but no header values, which may carry
/// credentials.
pub struct IncomingRequest {
    /// The method, upper case, e.g. `GET`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query, without the `?`.
    pub query: Option<String>,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
}

impl IncomingRequest {
    /// A request for `path_with_query`.
    pub fn new(method: &str, path_with_query: &str, headers: &[(&str, &str)]) -> Self {
        let (path, query) = match path_with_query.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (path_with_query, None),
        };
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
                .collect(),
        }
    }

    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The values of query parameter `name`, decoded.
    pub fn query_values(&self, name: &str) -> Vec<String> {
        let query = self.query.as_deref().unwrap_or_default();
        url::form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .collect()
    }

    /// The body length the caller declared (`Content-Length`), if any.
    pub fn declared_length(&self) -> Option<u64> {
        self.header("content-length")?.trim().parse().ok()
    }
}

impl fmt::Debug for IncomingRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("IncomingRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &names)
            .finish()
    }
}

/// A request's body, read when a route needs it: after the caller's
/// credentials have been checked, so a caller without them never holds an
/// instance while it sends (or stalls) a body.
pub trait Body {
    /// The whole body: `413` past `limit` bytes, `408` when it has not all
    /// arrived within `timeout_ms` of the request.
    fn read(&mut self, limit: u64, timeout_ms: u64) -> Result<Vec<u8>, Problem>;
}

/// A body already in memory.
impl Body for Vec<u8> {
    fn read(&mut self, limit: u64, _timeout_ms: u64) -> Result<Vec<u8>, Problem> {
        if self.len() as u64 > limit {
            return Err(Problem::too_large(limit));
        }
        Ok(std::mem::take(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_query_and_headers() {
        let request = IncomingRequest::new(
            "get",
            "/journeys/abc?filter_key=a&filter_key=b%20c&x=1",
            &[
                ("Authorization", "Bearer s3cret"),
                ("Content-Length", " 12 "),
            ],
        );
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/journeys/abc");
        assert_eq!(request.query_values("filter_key"), ["a", "b c"]);
        assert_eq!(request.header("AUTHORIZATION"), Some("Bearer s3cret"));
        assert_eq!(request.declared_length(), Some(12));
        let debug = format!("{request:?}");
        assert!(
            debug.contains("authorization") && !debug.contains("s3cret"),
            "{debug}"
        );
    }

    #[test]
    fn a_body_in_memory_is_capped() {
        assert_eq!(b"{}".to_vec().read(2, 0), Ok(b"{}".to_vec()));
        assert_eq!(b"{} ".to_vec().read(2, 0).unwrap_err().status, 413);
    }
}
