//! Checks of call arguments before anything is sent.
//!
//! Argument fields are named as in the WIT (`instance-id`, `subject`, ...);
//! configuration fields carry a `config.` prefix (see [`crate::config`]).

use serde_json::{Map, Value};

use crate::errors::invalid_input;
use crate::types::Error;

/// The longest accepted instance id.
pub const MAX_INSTANCE_ID_LEN: usize = 128;
/// The longest accepted resource id (`<id>@<version>`).
pub const MAX_RESOURCE_ID_LEN: usize = 256;
/// The longest accepted interaction id.
pub const MAX_INTERACTION_ID_LEN: usize = 512;

/// Accepts 1 to 128 characters of `[A-Za-z0-9_-]`.
pub fn instance_id(field: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(invalid_input(field, "must not be empty"));
    }
    if value.len() > MAX_INSTANCE_ID_LEN {
        return Err(invalid_input(
            field,
            format!("must be at most {MAX_INSTANCE_ID_LEN} characters"),
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(invalid_input(
            field,
            "may only contain letters, digits, '_' and '-'",
        ));
    }
    Ok(())
}

/// Accepts `<id>@<version>`: both parts non-empty, one `@`, no whitespace or
/// control characters, at most 256 characters.
pub fn resource_id(field: &str, value: &str) -> Result<(), Error> {
    if value.len() > MAX_RESOURCE_ID_LEN {
        return Err(invalid_input(
            field,
            format!("must be at most {MAX_RESOURCE_ID_LEN} characters"),
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid_input(
            field,
            "must not contain whitespace or control characters",
        ));
    }
    match value.split_once('@') {
        Some((id, version)) if !id.is_empty() && !version.is_empty() && !version.contains('@') => {
            Ok(())
        }
        _ => Err(invalid_input(
            field,
            "must have the form <resource id>@<version> or <resource id>@latest",
        )),
    }
}

/// Accepts a non-empty text of at most `max` characters without control
/// characters.
pub fn plain_text(field: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(invalid_input(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(invalid_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid_input(field, "must not contain control characters"));
    }
    Ok(())
}

/// Parses JSON text that must be an object.
pub fn json_object(field: &str, text: &str) -> Result<Map<String, Value>, Error> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid_input(field, "must be a JSON object")),
        Err(e) => Err(invalid_input(
            field,
            format!(
                "is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<impl Sized, Error>) -> String {
        match result {
            Err(Error::InvalidInput(e)) => e.field,
            _ => panic!("expected invalid-input"),
        }
    }

    #[test]
    fn instance_ids() {
        assert!(instance_id("instance-id", "Pq_hhIX6-sHUy9FLSDzPLu").is_ok());
        assert!(instance_id("instance-id", &"a".repeat(128)).is_ok());
        for bad in ["", "a b", "a/b", "ä", "a\n", &"a".repeat(129)] {
            assert_eq!(field_of(instance_id("instance-id", bad)), "instance-id");
        }
    }

    #[test]
    fn resource_ids() {
        for good in ["abc@latest", "97c8b0c5@y5z6bj7o"] {
            assert!(resource_id("resource-id", good).is_ok(), "{good}");
        }
        let long = format!("{}@v", "a".repeat(255));
        for bad in [
            "",
            "abc",
            "@v",
            "abc@",
            "a@b@c",
            "a b@v",
            "a@v\t",
            long.as_str(),
        ] {
            assert_eq!(
                field_of(resource_id("resource-id", bad)),
                "resource-id",
                "{bad}"
            );
        }
    }

    #[test]
    fn json_objects() {
        assert!(json_object("subject", r#"{"a":1}"#).is_ok());
        for bad in ["", "[]", "1", "\"x\"", "{", "{\"a\":}", "null"] {
            assert_eq!(field_of(json_object("subject", bad)), "subject", "{bad}");
        }
    }

    #[test]
    fn plain_texts() {
        assert!(plain_text("interaction-id", "grn:::gbg:x@latest", 64).is_ok());
        for bad in ["", "  ", "a\u{7}", "abcdef"] {
            assert_eq!(
                field_of(plain_text("interaction-id", bad, 5)),
                "interaction-id"
            );
        }
    }
}
