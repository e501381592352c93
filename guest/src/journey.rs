//! Journey request bodies and answers: start, state fetch, delete, health,
//! and the mapping of status texts.

use std::borrow::Cow;
use std::cell::OnceCell;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use url::Url;

use crate::http::Response;
use crate::json::Body;
use crate::types::{Delivery, Error, JourneyState, JourneyStatus, StartRequest, StartedJourney};
use crate::validate;

/// The `journey/start` body: resource id, delivery and subject (`{}` when
/// absent).
pub fn start_body(request: &StartRequest) -> Result<Vec<u8>, Error> {
    validate::resource_id("resource-id", &request.resource_id)?;
    let subject = match &request.subject {
        Some(text) => validate::json_object("subject", text)?,
        None => serde_json::Map::new(),
    };
    let delivery = match request.delivery {
        Delivery::Page => "page",
        Delivery::Api => "api",
    };
    Ok(json!({
        "resourceId": request.resource_id,
        "context": { "config": { "delivery": delivery }, "subject": subject },
    })
    .to_string()
    .into_bytes())
}

/// Parses the `journey/start` answer; a relative `instanceUrl` is resolved
/// against `hosted_base`.
pub fn parse_started(response: &Response, hosted_base: &Url) -> Result<StartedJourney, Error> {
    let body = Body::parse(response)?;
    let root = body.root();
    let instance_id = body.req_str(root, "instanceId", "instanceId")?;
    if validate::instance_id("instanceId", instance_id).is_err() {
        return Err(body.invalid("field instanceId is not a valid instance id"));
    }
    let instance_url = match body.opt_str(root, "instanceUrl", "instanceUrl")? {
        None | Some("") => None,
        Some(text) => Some(
            resolve_instance_url(text, hosted_base)
                .ok_or_else(|| body.invalid("field instanceUrl is not an http(s) URL or path"))?,
        ),
    };
    Ok(StartedJourney {
        instance_id: instance_id.to_owned(),
        instance_url,
        status: body
            .opt_str(root, "status", "status")?
            .unwrap_or("started")
            .to_owned(),
        message: body.opt_str(root, "message", "message")?.map(str::to_owned),
    })
}

/// An absolute `http(s)` URL as is, or a reference resolved against
/// `hosted_base`; `None` for any other scheme or an unparsable text.
fn resolve_instance_url(text: &str, hosted_base: &Url) -> Option<String> {
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => hosted_base.join(text).ok()?,
        Err(_) => return None,
    };
    matches!(url.scheme(), "http" | "https").then(|| url.into())
}

/// The `journey/state/fetch` body; `filterKeys` only when non-empty.
pub fn state_body(instance_id: &str, filter_keys: &[String]) -> Result<Vec<u8>, Error> {
    validate::instance_id("instance-id", instance_id)?;
    let mut body = json!({ "instanceId": instance_id });
    if !filter_keys.is_empty() {
        body["filterKeys"] = json!(filter_keys);
    }
    Ok(body.to_string().into_bytes())
}

/// Parses a state document.
///
/// The answer is polled again and again while a journey runs, so the few
/// fields the client reads are taken without building the rest of the
/// document ([`quick_state`]); an answer that does not fit that shape is
/// read again the general way, which names its defect.
pub fn parse_state(response: &Response) -> Result<JourneyState, Error> {
    match quick_state(&response.body) {
        Some(state) => Ok(state),
        None => parse_state_in_full(response),
    }
}

/// [`parse_state`] through the whole document, naming any defect.
fn parse_state_in_full(response: &Response) -> Result<JourneyState, Error> {
    let body = Body::parse(response)?;
    let root = body.root();
    let instance_id = body.req_str(root, "instanceId", "instanceId")?.to_owned();
    let status_text = body.req_str(root, "status", "status")?.to_owned();
    let meta = root.get("metaData");
    let journey = root
        .get("context")
        .and_then(|c| c.pointer("/process/journey"));
    let text_at = |value: Option<&Value>, key: &str| {
        value
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(JourneyState {
        instance_id,
        status: status(&status_text),
        created_at: text_at(meta, "createdTime").or_else(|| text_at(journey, "startedAt")),
        completed_at: text_at(meta, "completedTime").or_else(|| text_at(journey, "endedAt")),
        document: body.text(),
        status_text,
    })
}

/// The fields of a state answer the client reads, borrowed from the text;
/// the rest is skipped without being built.
#[derive(Deserialize)]
struct StateFields<'a> {
    #[serde(rename = "instanceId", borrow)]
    instance_id: Option<&'a RawValue>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
    #[serde(rename = "metaData", borrow)]
    meta: Option<&'a RawValue>,
    #[serde(borrow)]
    context: Option<&'a RawValue>,
}

/// The members read from the objects on the way to the times: `metaData`,
/// `context`, `context.process` and `context.process.journey`.
#[derive(Deserialize)]
struct Nested<'a> {
    #[serde(rename = "createdTime", borrow)]
    created: Option<&'a RawValue>,
    #[serde(rename = "completedTime", borrow)]
    completed: Option<&'a RawValue>,
    #[serde(rename = "startedAt", borrow)]
    started: Option<&'a RawValue>,
    #[serde(rename = "endedAt", borrow)]
    ended: Option<&'a RawValue>,
    #[serde(borrow)]
    process: Option<&'a RawValue>,
    #[serde(borrow)]
    journey: Option<&'a RawValue>,
}

/// The state in `body` when it is a well-formed answer, else `None`.
fn quick_state(body: &[u8]) -> Option<JourneyState> {
    let text = std::str::from_utf8(body).ok()?;
    let fields: StateFields = serde_json::from_str(text).ok()?;
    let instance_id = string(fields.instance_id?)?;
    let status_text = string(fields.status?)?;
    let time = |found: Option<&RawValue>| found.and_then(string).filter(|s| !s.is_empty());
    let meta = object(fields.meta);
    // The journey's own times, read (once) only when `metaData` lacks one.
    let journey = OnceCell::new();
    let journey = || {
        journey
            .get_or_init(|| object(object(object(fields.context)?.process)?.journey))
            .as_ref()
    };
    let created_at = meta
        .as_ref()
        .and_then(|meta| time(meta.created))
        .or_else(|| time(journey()?.started));
    let completed_at = meta
        .as_ref()
        .and_then(|meta| time(meta.completed))
        .or_else(|| time(journey()?.ended));
    Some(JourneyState {
        instance_id,
        status: status(&status_text),
        created_at,
        completed_at,
        document: text.to_owned(),
        status_text,
    })
}

/// The object `raw` holds; `None` for any other value, which holds no time.
fn object(raw: Option<&RawValue>) -> Option<Nested<'_>> {
    serde_json::from_str(raw?.get()).ok()
}

/// The string `raw` holds, unescaped; `None` for any other value.
fn string(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<Cow<str>>(raw.get())
        .ok()
        .map(Cow::into_owned)
}

/// The `{"instanceId"}` body of delete, interaction fetch and device start.
pub fn instance_body(instance_id: &str) -> Result<Vec<u8>, Error> {
    validate::instance_id("instance-id", instance_id)?;
    Ok(json!({ "instanceId": instance_id })
        .to_string()
        .into_bytes())
}

/// Parses the health answer's `message`.
pub fn parse_health(response: &Response) -> Result<String, Error> {
    let body = Body::parse(response)?;
    Ok(body.req_str(body.root(), "message", "message")?.to_owned())
}

/// Maps a status text, ignoring case, `_`, `-` and spaces; unknown texts
/// become `other` verbatim.
pub fn status(text: &str) -> JourneyStatus {
    let folded: String = text
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    match folded.as_str() {
        "inprogress" => JourneyStatus::InProgress,
        "completed" => JourneyStatus::Completed,
        "failed" => JourneyStatus::Failed,
        "paused" => JourneyStatus::Paused,
        _ => JourneyStatus::Other(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{invalid_reason, refused_field, response};

    fn ok(status: u16, body: &str) -> Response {
        response(status, &[], body)
    }

    fn parsed(bytes: Vec<u8>) -> Value {
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn start_body_shapes() {
        let request = StartRequest {
            resource_id: "abc@latest".into(),
            delivery: Delivery::Api,
            subject: None,
        };
        assert_eq!(
            parsed(start_body(&request).unwrap()),
            json!({"resourceId":"abc@latest","context":{"config":{"delivery":"api"},"subject":{}}})
        );
        let request = StartRequest {
            resource_id: "abc@v1".into(),
            delivery: Delivery::Page,
            subject: Some(r#"{"identity":{"firstName":"Jane"}}"#.into()),
        };
        assert_eq!(
            parsed(start_body(&request).unwrap()),
            json!({"resourceId":"abc@v1","context":{"config":{"delivery":"page"},
                   "subject":{"identity":{"firstName":"Jane"}}}})
        );
    }

    #[test]
    fn start_body_refuses_bad_arguments() {
        let request = |resource_id: &str, subject: Option<&str>| StartRequest {
            resource_id: resource_id.into(),
            delivery: Delivery::Page,
            subject: subject.map(str::to_owned),
        };
        assert_eq!(
            refused_field(start_body(&request("abc", None))),
            "resource-id"
        );
        assert_eq!(
            refused_field(start_body(&request("a@b", Some("[1]")))),
            "subject"
        );
        assert_eq!(
            refused_field(start_body(&request("a@b", Some("{")))),
            "subject"
        );
    }

    #[test]
    fn started_relative_url_is_resolved_against_the_hosted_base() {
        let base = Url::parse("https://eu.platform.go.gbgplc.com/").unwrap();
        let started = parse_started(
            &ok(
                201,
                r#"{"instanceId":"Pq_hhIX6-sHUy9FLSDzPLu","instanceUrl":"/journey/Pq_hhIX6-sHUy9FLSDzPLu",
                   "status":"started","message":"Journey started successfully"}"#,
            ),
            &base,
        )
        .unwrap();
        assert_eq!(
            started,
            StartedJourney {
                instance_id: "Pq_hhIX6-sHUy9FLSDzPLu".into(),
                instance_url: Some(
                    "https://eu.platform.go.gbgplc.com/journey/Pq_hhIX6-sHUy9FLSDzPLu".into()
                ),
                status: "started".into(),
                message: Some("Journey started successfully".into()),
            }
        );
    }

    #[test]
    fn started_absolute_url_is_kept_and_defaults_apply() {
        let base = Url::parse("http://127.0.0.1:9/").unwrap();
        let started = parse_started(
            &ok(
                200,
                r#"{"instanceId":"abc","instanceUrl":"https://hosted.example/j/abc?t=1"}"#,
            ),
            &base,
        )
        .unwrap();
        assert_eq!(
            started.instance_url.as_deref(),
            Some("https://hosted.example/j/abc?t=1")
        );
        assert_eq!(started.status, "started");
        assert_eq!(started.message, None);
        let started = parse_started(
            &ok(201, r#"{"instanceId":"abc","instanceUrl":null}"#),
            &base,
        )
        .unwrap();
        assert_eq!(started.instance_url, None);
    }

    #[test]
    fn started_refuses_bad_answers() {
        let base = Url::parse("http://127.0.0.1:9/").unwrap();
        for (body, reason) in [
            (r#"{"status":"started"}"#, "missing field instanceId"),
            (r#"{"instanceId":42}"#, "field instanceId is not a string"),
            (
                r#"{"instanceId":"a/b"}"#,
                "field instanceId is not a valid instance id",
            ),
            (
                r#"{"instanceId":"abc","instanceUrl":"javascript:alert(1)"}"#,
                "field instanceUrl is not an http(s) URL or path",
            ),
            (
                r#"{"instanceId":"abc","instanceUrl":5}"#,
                "field instanceUrl is not a string",
            ),
            ("<html>502</html>", "body is not JSON"),
            (r#"{"instanceId":"ab"#, "body is not JSON"),
        ] {
            assert_eq!(
                invalid_reason(parse_started(&ok(201, body), &base)),
                reason,
                "{body}"
            );
        }
    }

    #[test]
    fn state_body_shapes() {
        assert_eq!(
            parsed(state_body("abc", &[]).unwrap()),
            json!({"instanceId":"abc"})
        );
        assert_eq!(
            parsed(state_body("abc", &["/.*/".into()]).unwrap()),
            json!({"instanceId":"abc","filterKeys":["/.*/"]})
        );
        assert_eq!(refused_field(state_body("a b", &[])), "instance-id");
        assert_eq!(refused_field(instance_body("")), "instance-id");
    }

    #[test]
    fn state_times_prefer_metadata() {
        let body = r#"{"instanceId":"abc","status":"Completed",
            "metaData":{"createdTime":"2026-01-01T00:00:00Z","completedTime":"2026-01-01T00:01:00Z"},
            "context":{"process":{"journey":{"startedAt":"x","endedAt":"y"}}}}"#;
        let state = parse_state(&ok(200, body)).unwrap();
        assert_eq!(state.status, JourneyStatus::Completed);
        assert_eq!(state.status_text, "Completed");
        assert_eq!(state.created_at.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(state.completed_at.as_deref(), Some("2026-01-01T00:01:00Z"));
        assert_eq!(state.document, body);
    }

    #[test]
    fn state_times_fall_back_to_the_journey() {
        let body = r#"{"instanceId":"abc","status":"InProgress",
            "metaData":{"createdTime":"","completedTime":""},
            "context":{"process":{"journey":{"startedAt":"2026-03-16T23:56:04.097Z"}}}}"#;
        let state = parse_state(&ok(200, body)).unwrap();
        assert_eq!(state.status, JourneyStatus::InProgress);
        assert_eq!(
            state.created_at.as_deref(),
            Some("2026-03-16T23:56:04.097Z")
        );
        assert_eq!(state.completed_at, None);
        let state = parse_state(&ok(200, r#"{"instanceId":"a","status":"Failed"}"#)).unwrap();
        assert_eq!((state.created_at, state.completed_at), (None, None));
    }

    #[test]
    fn the_quick_read_agrees_with_the_full_one() {
        let answers = [
            r#"{"instanceId":"a","status":"Completed","metaData":{"createdTime":"c","completedTime":"d"}}"#,
            r#"{"instanceId":"a","status":"InProgress","metaData":{"createdTime":""},
               "context":{"process":{"journey":{"startedAt":"s","endedAt":"e"}},"subject":{"x":[1,{"y":"\u00e9"}]}}}"#,
            r#"{"instanceId":"a\"b","status":"Paused","metaData":[1],"context":{"process":{"journey":{"startedAt":7}}}}"#,
            r#"{"instanceId":"a","status":"Failed","metaData":{"createdTime":1},"context":"none"}"#,
            r#"{"instanceId":"a","status":"Failed","context":{"process":null}}"#,
            r#"{"instanceId":"a","instanceId":"b","status":"Completed"}"#,
            r#"{"instanceId":null,"status":"Completed"}"#,
            r#"{"instanceId":"a","status":["Completed"]}"#,
            r#"{"instanceId":"a","status":"Completed""#,
            "[]",
        ];
        for body in answers {
            let response = ok(200, body);
            match quick_state(&response.body) {
                Some(quick) => assert_eq!(Ok(quick), parse_state_in_full(&response), "{body}"),
                None => assert_eq!(
                    parse_state(&response),
                    parse_state_in_full(&response),
                    "{body}"
                ),
            }
        }
        assert!(
            quick_state(answers[0].as_bytes()).is_some(),
            "the usual answer is read quickly"
        );
        assert!(quick_state(answers[1].as_bytes()).is_some());
    }

    #[test]
    fn state_refuses_bad_answers() {
        for (body, reason) in [
            (r#"{"status":"Completed"}"#, "missing field instanceId"),
            (r#"{"instanceId":"a"}"#, "missing field status"),
            (
                r#"{"instanceId":"a","status":1}"#,
                "field status is not a string",
            ),
            ("[]", "body is not a JSON object"),
            ("<!DOCTYPE html><html></html>", "body is not JSON"),
        ] {
            assert_eq!(
                invalid_reason(parse_state(&ok(200, body))),
                reason,
                "{body}"
            );
        }
    }

    #[test]
    fn statuses_fold_case_and_separators() {
        for text in [
            "InProgress",
            "IN_PROGRESS",
            "in-progress",
            "In Progress",
            "inprogress",
        ] {
            assert_eq!(status(text), JourneyStatus::InProgress, "{text}");
        }
        assert_eq!(status("COMPLETED"), JourneyStatus::Completed);
        assert_eq!(status("Failed"), JourneyStatus::Failed);
        assert_eq!(status("paused"), JourneyStatus::Paused);
        assert_eq!(status("Error"), JourneyStatus::Other("Error".into()));
        assert_eq!(status(""), JourneyStatus::Other(String::new()));
    }

    #[test]
    fn health_message() {
        assert_eq!(parse_health(&ok(200, r#"{"message":"OK"}"#)).unwrap(), "OK");
        assert_eq!(
            invalid_reason(parse_health(&ok(200, "OK"))),
            "body is not JSON"
        );
    }
}
