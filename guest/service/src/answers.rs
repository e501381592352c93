//! The service's answers: the protocol core's plain answer value, with the
//! headers every answer carries.

pub use gbg_go_core::http::Response;

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
