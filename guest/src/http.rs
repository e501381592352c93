//! Plain HTTP request and response values, and the two seams to the outside
//! world: [`Transport`] (exchanging one request) and [`Clock`] (time and
//! randomness).

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::types::{Error, InvalidResponse, TransportError};

/// The HTTP methods the client uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
}

/// A request to send. Its `Debug` output shows header names but no header
/// values or body, which may carry credentials.
#[derive(Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute `http` or `https` URL.
    pub url: Url,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body; empty for none.
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A complete answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names and values (values decoded lossily as UTF-8).
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Response {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `X-Request-ID` header, when present.
    pub fn request_id(&self) -> Option<String> {
        self.header("x-request-id").map(str::to_owned)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Per-request limits the transport enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Timeout for connecting, for the first byte and between body bytes.
    pub timeout_ms: u32,
    /// The largest body accepted.
    pub max_response_bytes: u32,
}

/// Why a request could not be exchanged.
#[derive(Clone, Debug, PartialEq)]
pub enum SendError {
    /// A failure below HTTP.
    Transport(TransportError),
    /// An answer that arrived but is unusable, such as one whose body exceeds
    /// [`Limits::max_response_bytes`].
    InvalidResponse(InvalidResponse),
}

impl From<SendError> for Error {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Transport(e) => Error::Transport(e),
            SendError::InvalidResponse(e) => Error::InvalidResponse(e),
        }
    }
}

/// Exchanges one HTTP request for one answer. No redirects are followed.
pub trait Transport {
    /// Sends `request` and reads the whole answer within `limits`.
    fn send(&self, request: &Request, limits: &Limits) -> Result<Response, SendError>;
}

/// Time and randomness.
pub trait Clock {
    /// Wall-clock time in milliseconds since the Unix epoch.
    fn now_unix_ms(&self) -> u64;
    /// Monotonic time in milliseconds from an arbitrary origin.
    fn monotonic_ms(&self) -> u64;
    /// Blocks for `duration`.
    fn sleep(&self, duration: Duration);
    /// A random number, for backoff jitter and the device id.
    fn random_u64(&self) -> u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_ignores_case() {
        let response = Response {
            status: 200,
            headers: vec![("X-Request-ID".into(), "abc".into())],
            body: Vec::new(),
        };
        assert_eq!(response.request_id().as_deref(), Some("abc"));
        assert_eq!(response.header("X-REQUEST-ID"), Some("abc"));
        assert_eq!(response.header("location"), None);
    }

    #[test]
    fn request_debug_hides_header_values_and_body() {
        let request = Request {
            method: Method::Post,
            url: Url::parse("https://example.com/x").unwrap(),
            headers: vec![("Authorization".into(), "Bearer tok-123".into())],
            body: b"client_secret=s3cr3t".to_vec(),
        };
        let text = format!("{request:?}");
        assert!(text.contains("Authorization"));
        assert!(!text.contains("tok-123"));
        assert!(!text.contains("s3cr3t"));
    }

    #[test]
    fn success_is_2xx() {
        let mut response = Response {
            status: 201,
            headers: Vec::new(),
            body: Vec::new(),
        };
        assert!(response.is_success());
        response.status = 302;
        assert!(!response.is_success());
    }
}
