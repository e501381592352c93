//! The service's view of an HTTP exchange: a request read whole, and the
//! answer ([`Response`], the protocol core's plain answer value).

use std::fmt;

pub use gbg_go_core::http::Response;

/// The largest request body the service reads; larger ones are refused
/// with `413`.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// An answer with `body` of `content_type`. No answer may be cached: they
/// carry identity data.
pub fn answer(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    Response {
        status,
        headers: vec![
            ("content-type".to_owned(), content_type.to_owned()),
            ("cache-control".to_owned(), "no-store".to_owned()),
        ],
        body,
    }
}

/// A JSON answer.
pub fn json(status: u16, value: &serde_json::Value) -> Response {
    answer(status, "application/json", value.to_string().into_bytes())
}

/// An answer without a body.
pub fn empty(status: u16) -> Response {
    Response {
        status,
        headers: vec![("cache-control".to_owned(), "no-store".to_owned())],
        body: Vec::new(),
    }
}

/// A request, read whole. Its `Debug` output shows header names but no
/// header values or body, which may carry credentials.
pub struct IncomingRequest {
    /// The method, upper case, e.g. `GET`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query, without the `?`.
    pub query: Option<String>,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body; empty for none.
    pub body: Vec<u8>,
}

impl IncomingRequest {
    /// A request for `path_with_query`.
    pub fn new(
        method: &str,
        path_with_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Self {
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
            body,
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
}

impl fmt::Debug for IncomingRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("IncomingRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
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
            &[("Authorization", "Bearer s3cret")],
            b"body-s3cret".to_vec(),
        );
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/journeys/abc");
        assert_eq!(request.query_values("filter_key"), ["a", "b c"]);
        assert_eq!(request.header("AUTHORIZATION"), Some("Bearer s3cret"));
        let debug = format!("{request:?}");
        assert!(
            debug.contains("authorization") && !debug.contains("s3cret"),
            "{debug}"
        );
    }
}
