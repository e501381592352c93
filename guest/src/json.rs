//! Reading the JSON body of a 2xx answer; every defect becomes
//! `error::invalid-response` naming what was wrong.

use serde_json::{Map, Value};

use crate::errors::invalid_response;
use crate::http::Response;
use crate::types::Error;

/// A JSON type a field can be read as.
pub trait Kind<'v>: Sized {
    /// How errors name the type: `a string`, `an object`, ...
    const NAME: &'static str;

    /// `value` as this type, if it is one.
    fn cast(value: &'v Value) -> Option<Self>;
}

impl<'v> Kind<'v> for &'v str {
    const NAME: &'static str = "a string";

    fn cast(value: &'v Value) -> Option<Self> {
        value.as_str()
    }
}

impl<'v> Kind<'v> for bool {
    const NAME: &'static str = "a boolean";

    fn cast(value: &'v Value) -> Option<Self> {
        value.as_bool()
    }
}

impl<'v> Kind<'v> for &'v Map<String, Value> {
    const NAME: &'static str = "an object";

    fn cast(value: &'v Value) -> Option<Self> {
        value.as_object()
    }
}

impl<'v> Kind<'v> for &'v [Value] {
    const NAME: &'static str = "an array";

    fn cast(value: &'v Value) -> Option<Self> {
        value.as_array().map(Vec::as_slice)
    }
}

/// A 2xx answer's body parsed as a JSON object.
pub struct Body<'a> {
    response: &'a Response,
    root: Map<String, Value>,
}

impl<'a> Body<'a> {
    /// Parses the body, which must be a JSON object.
    pub fn parse(response: &'a Response) -> Result<Self, Error> {
        match serde_json::from_slice::<Value>(&response.body) {
            Ok(Value::Object(root)) => Ok(Self { response, root }),
            Ok(_) => Err(invalid_response(response, "body is not a JSON object")),
            Err(_) => Err(invalid_response(response, "body is not JSON")),
        }
    }

    /// The top-level object.
    pub fn root(&self) -> &Map<String, Value> {
        &self.root
    }

    /// The body as text (valid UTF-8, since it parsed as JSON).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.response.body).into_owned()
    }

    /// An `invalid-response` error for this answer.
    pub fn invalid(&self, reason: impl Into<String>) -> Error {
        invalid_response(self.response, reason)
    }

    /// `value` as a `T`; `path` names it in the error when it is not one.
    pub fn cast<'v, T: Kind<'v>>(&self, value: &'v Value, path: &str) -> Result<T, Error> {
        T::cast(value).ok_or_else(|| self.invalid(format!("field {path} is not {}", T::NAME)))
    }

    /// The `T` at `key` of `object`; `path` names it in errors. Absent or
    /// `null` is `None`; a value of another type is an error.
    pub fn opt<'v, T: Kind<'v>>(
        &self,
        object: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<T>, Error> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => self.cast(value, path).map(Some),
        }
    }

    /// The `T` at `key` of `object`, which must be present.
    pub fn req<'v, T: Kind<'v>>(
        &self,
        object: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<T, Error> {
        self.opt(object, key, path)?
            .ok_or_else(|| self.invalid(format!("missing field {path}")))
    }

    /// The non-empty string at `key` of `object`, which must be present.
    pub fn req_non_empty<'v>(
        &self,
        object: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<&'v str, Error> {
        let value: &str = self.req(object, key, path)?;
        if value.is_empty() {
            return Err(self.invalid(format!("field {path} is empty")));
        }
        Ok(value)
    }

    /// The array at `key` of `object`; absent or `null` is empty.
    pub fn opt_array<'v>(
        &self,
        object: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<&'v [Value], Error> {
        Ok(self.opt(object, key, path)?.unwrap_or_default())
    }

    /// A lifetime in seconds at `key` of `object`: a non-negative number
    /// (fractions are dropped), or `default_s` when absent or `null`.
    pub fn seconds(
        &self,
        object: &Map<String, Value>,
        key: &str,
        default_s: u64,
    ) -> Result<u64, Error> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(default_s),
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.is_finite() && *f >= 0.0)
                        // Saturating float-to-int conversion.
                        .map(|f| f as u64)
                })
                .ok_or_else(|| self.invalid(format!("field {key} is negative"))),
            Some(_) => Err(self.invalid(format!("field {key} is not a number"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::InvalidResponse;

    fn response(body: &str) -> Response {
        crate::testing::response(200, &[("X-Request-ID", "rid")], body)
    }

    fn reason(error: Error) -> String {
        match error {
            Error::InvalidResponse(InvalidResponse {
                status,
                request_id,
                reason,
            }) => {
                assert_eq!(status, 200);
                assert_eq!(request_id.as_deref(), Some("rid"));
                reason
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bodies_that_are_not_objects() {
        for (body, expected) in [
            ("", "body is not JSON"),
            ("{\"a\":", "body is not JSON"),
            ("<html>oops</html>", "body is not JSON"),
            ("[1]", "body is not a JSON object"),
            ("\"s\"", "body is not a JSON object"),
        ] {
            let r = response(body);
            assert_eq!(reason(Body::parse(&r).err().unwrap()), expected, "{body}");
        }
    }

    #[test]
    fn field_accessors_name_the_field() {
        let r = response(r#"{"s":"x","n":1,"e":"","b":true,"o":{},"a":[1],"z":null}"#);
        let body = Body::parse(&r).unwrap();
        let root = body.root();
        assert_eq!(body.req::<&str>(root, "s", "s").unwrap(), "x");
        assert_eq!(body.opt::<&str>(root, "z", "z").unwrap(), None);
        assert_eq!(
            reason(body.req::<&str>(root, "n", "top.n").unwrap_err()),
            "field top.n is not a string"
        );
        assert_eq!(
            reason(body.req::<&str>(root, "m", "top.m").unwrap_err()),
            "missing field top.m"
        );
        assert_eq!(
            reason(body.req_non_empty(root, "e", "e").unwrap_err()),
            "field e is empty"
        );
        assert_eq!(body.opt::<bool>(root, "b", "b").unwrap(), Some(true));
        assert_eq!(
            reason(body.opt::<bool>(root, "s", "s").unwrap_err()),
            "field s is not a boolean"
        );
        assert!(
            body.opt::<&Map<String, Value>>(root, "o", "o")
                .unwrap()
                .is_some()
        );
        assert_eq!(
            reason(body.opt::<&Map<String, Value>>(root, "a", "a").unwrap_err()),
            "field a is not an object"
        );
        assert_eq!(body.opt_array(root, "a", "a").unwrap().len(), 1);
        assert!(
            body.opt_array(root, "missing", "missing")
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            reason(body.opt_array(root, "o", "o").unwrap_err()),
            "field o is not an array"
        );
    }

    #[test]
    fn seconds_accept_numbers_only() {
        let r = response(r#"{"i":3600,"f":12.9,"neg":-1,"s":"3600"}"#);
        let body = Body::parse(&r).unwrap();
        let root = body.root();
        assert_eq!(body.seconds(root, "i", 300).unwrap(), 3600);
        assert_eq!(body.seconds(root, "f", 300).unwrap(), 12);
        assert_eq!(body.seconds(root, "absent", 300).unwrap(), 300);
        assert_eq!(
            reason(body.seconds(root, "neg", 300).unwrap_err()),
            "field neg is negative"
        );
        assert_eq!(
            reason(body.seconds(root, "s", 300).unwrap_err()),
            "field s is not a number"
        );
    }
}
