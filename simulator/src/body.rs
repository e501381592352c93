//! Reading request bodies: the size cap, the content type, JSON syntax and the object
//! shape.

use axum::http::{HeaderMap, header};
use serde_json::Value;

use crate::errors::ApiError;

/// The largest request body accepted, in bytes (document images travel inline).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Whether `accepts` accepts the `Content-Type` header's media type (lower-cased,
/// parameters removed).
fn has_media_type(headers: &HeaderMap, accepts: impl Fn(&str) -> bool) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| accepts(&essence.trim().to_ascii_lowercase()))
}

/// Whether the body is declared form-encoded (`application/x-www-form-urlencoded`).
pub fn is_form(headers: &HeaderMap) -> bool {
    has_media_type(headers, |essence| {
        essence == "application/x-www-form-urlencoded"
    })
}

/// The body as a JSON object: 415 unless the content type is JSON, 400 `INVALID_JSON`
/// unless the body is a JSON object.
pub fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let is_json = |essence: &str| essence == "application/json" || essence.ends_with("+json");
    if !has_media_type(headers, is_json) {
        return Err(ApiError::unsupported_media_type());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(object @ Value::Object(_)) => Ok(object),
        Ok(_) => Err(ApiError::invalid_json(
            "The request body must be a JSON object",
        )),
        Err(error) => Err(ApiError::invalid_json(format!("Malformed JSON: {error}"))),
    }
}
