//! Property tests of every response parser and of the argument validation
//! (the prefill subject above all): arbitrary bytes and arbitrary JSON never
//! panic and only ever produce the documented error, and valid documents
//! round-trip.
//!
//! Bounded for CI: proptest's default of 256 cases per property, or
//! `PROPTEST_CASES`.

use gbg_go_core::errors::{Answerer, api_failure, classify, failure_of, retry_after_ms};
use gbg_go_core::http::Response;
use gbg_go_core::interaction::{
    Fetched, parse_connect_token, parse_end_user_token, parse_step, parse_submit, submit_body,
};
use gbg_go_core::journey::{parse_health, parse_started, parse_state, start_body, status};
use gbg_go_core::redact::{MAX_TEXT_CHARS, scrub};
use gbg_go_core::token;
use gbg_go_core::types::{
    ApiProblem, Delivery, Error, InteractionStep, JourneyStatus, Participant, StartRequest,
    Submission,
};
use gbg_go_core::validate;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use url::Url;

const REQUEST_ID: &str = "rid-1";

fn answer(status: u16, body: Vec<u8>) -> Response {
    Response {
        status,
        headers: vec![("X-Request-ID".into(), REQUEST_ID.into())],
        body,
    }
}

/// A parse failure must be `invalid-response` for this answer, naming it.
fn assert_invalid_response<T: std::fmt::Debug>(result: Result<T, Error>, status: u16) {
    if let Err(error) = result {
        match error {
            Error::InvalidResponse(r) => {
                assert_eq!(r.status, status);
                assert_eq!(r.request_id.as_deref(), Some(REQUEST_ID));
                assert!(!r.reason.is_empty());
            }
            other => panic!("a parser returned {other:?}"),
        }
    }
}

/// Checks that an interaction parser failed only with `invalid-response` or the error
/// of an in-body error status.
fn in_body_error_or_invalid<T: std::fmt::Debug>(
    result: Result<T, Error>,
) -> Result<(), TestCaseError> {
    match result {
        Err(Error::InvalidResponse(r)) => {
            prop_assert_eq!(r.request_id.as_deref(), Some(REQUEST_ID))
        }
        Err(Error::RateLimited(r)) => prop_assert_eq!(r.failure.status, 429),
        Err(other) => match failure_of(&other) {
            Some(f) => prop_assert!((400..600).contains(&f.status)),
            None => prop_assert!(false, "an interaction parser returned {:?}", other),
        },
        Ok(_) => {}
    }
    Ok(())
}

/// Object keys: mostly the fields the parsers look for, so that arbitrary
/// documents reach every branch with every wrong type.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "access_token", "token_type", "expires_in", "instanceId", "instanceUrl", "status",
            "message", "metaData", "createdTime", "completedTime", "context", "process",
            "journey", "interactionId", "interaction", "collects", "consumes", "inputs", "ref",
            "spec", "recommended", "combinator", "outstanding", "code", "connectToken",
            "endUserToken", "expiresIn", "errors", "name", "location", "problem", "action",
            "error", "error_description",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z]{1,8}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec!["InProgress", "Completed", "success", "error", "x", ""])
            .prop_map(Value::from),
        ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(key(), json_value(), 0..8).prop_map(|m| m.into_iter().collect())
}

/// Raw bytes, JSON documents of any shape, and JSON cut short.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        json_object().prop_map(|o| Value::Object(o).to_string().into_bytes()),
        (json_object(), any::<prop::sample::Index>()).prop_map(|(o, cut)| {
            let text = Value::Object(o).to_string().into_bytes();
            let end = cut.index(text.len() + 1);
            text[..end].to_vec()
        }),
    ]
}

fn instance_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,128}"
}

fn hosted_base() -> Url {
    Url::parse("https://eu.platform.go.gbgplc.com/").unwrap()
}

proptest! {
    #[test]
    fn response_parsers_never_panic(body in body(), status in 200u16..300) {
        let response = answer(status, body);
        assert_invalid_response(token::parse(&response), status);
        assert_invalid_response(parse_started(&response, &hosted_base()), status);
        assert_invalid_response(parse_state(&response), status);
        assert_invalid_response(parse_health(&response), status);
        assert_invalid_response(parse_connect_token(&response), status);
        assert_invalid_response(parse_end_user_token(&response), status);
        // Interaction answers may also carry an error status in their body.
        in_body_error_or_invalid(parse_step(&response, "fallback-id"))?;
        in_body_error_or_invalid(parse_submit(&response))?;
    }

    #[test]
    fn error_answers_are_classified_by_status_whatever_the_body(
        body in body(),
        status in 100u16..1000,
        retry_after in prop::option::of(".{0,12}"),
    ) {
        let mut response = answer(status, body);
        if let Some(value) = retry_after {
            response.headers.push(("Retry-After".into(), value));
        }
        for answerer in [Answerer::Api, Answerer::TokenEndpoint] {
            let error = classify(&response, 1_700_000_000_000, answerer);
            let expected = match status {
                401 => matches!(error, Error::Unauthorized(_)),
                403 => matches!(error, Error::Forbidden(_)),
                404 | 410 => matches!(error, Error::NotFound(_)),
                429 => matches!(error, Error::RateLimited(_)),
                400..=499 => matches!(error, Error::BadRequest(_)),
                500..=599 => matches!(error, Error::ServerError(_)),
                _ => matches!(error, Error::InvalidResponse(_)),
            };
            prop_assert!(expected, "{} classified as {:?}", status, error);
        }
        let failure = api_failure(&response);
        prop_assert_eq!(failure.status, status);
        prop_assert_eq!(failure.request_id.as_deref(), Some(REQUEST_ID));
        let Error::BadRequest(failure) = scrub(Error::BadRequest(failure), &[]) else {
            unreachable!("scrubbing keeps the variant");
        };
        prop_assert!(failure.message.is_none_or(|m| m.chars().count() <= MAX_TEXT_CHARS));
        let _ = retry_after_ms(&response, 0);
    }

    #[test]
    fn gbg_error_envelopes_round_trip(
        problems in prop::collection::vec(
            (".{0,8}", ".{0,12}", ".{0,8}", ".{0,40}", ".{0,40}"), 0..6),
        status in 400u16..600,
    ) {
        let expected: Vec<ApiProblem> = problems
            .into_iter()
            .map(|(code, name, location, problem, action)| ApiProblem { code, name, location, problem, action })
            .collect();
        let body = json!({"errors": expected.iter().map(|p| json!({
            "code": p.code, "name": p.name, "location": p.location,
            "problem": p.problem, "action": p.action,
        })).collect::<Vec<_>>()});
        let failure = api_failure(&answer(status, body.to_string().into_bytes()));
        prop_assert_eq!(failure.problems, expected);
    }

    #[test]
    fn token_answers_round_trip(
        access_token in "[!-~]{1,200}",
        token_type in prop::option::of("[A-Za-z]{1,12}"),
        expires_in in prop::option::of(0u32..=u32::MAX),
    ) {
        let mut body = json!({"access_token": access_token});
        if let Some(t) = &token_type { body["token_type"] = json!(t); }
        if let Some(e) = expires_in { body["expires_in"] = json!(e); }
        let issued = token::parse(&answer(200, body.to_string().into_bytes())).unwrap();
        prop_assert_eq!(issued.access_token.expose(), access_token.as_str());
        prop_assert_eq!(issued.token_type, token_type.unwrap_or_else(|| "Bearer".into()));
        prop_assert_eq!(issued.expires_in_s, expires_in.map_or(token::DEFAULT_LIFETIME_S, u64::from));
    }

    #[test]
    fn start_answers_round_trip(
        id in instance_id(),
        relative in any::<bool>(),
        message in prop::option::of(".{0,40}"),
    ) {
        let url = if relative {
            format!("/journey/{id}")
        } else {
            format!("https://hosted.example/journey/{id}")
        };
        let body = json!({"instanceId": id, "instanceUrl": url, "status": "started", "message": message});
        let started = parse_started(&answer(201, body.to_string().into_bytes()), &hosted_base()).unwrap();
        prop_assert_eq!(&started.instance_id, &id);
        let expected = if relative {
            format!("https://eu.platform.go.gbgplc.com/journey/{id}")
        } else {
            url
        };
        prop_assert_eq!(started.instance_url, Some(expected));
        prop_assert_eq!(started.message, message);
    }

    #[test]
    fn state_documents_round_trip(
        id in instance_id(),
        status_text in prop_oneof![
            prop::sample::select(vec!["InProgress", "Completed", "Failed", "Paused"]).prop_map(str::to_owned),
            ".{0,16}",
        ],
        created in prop::option::of("[0-9TZ:.-]{1,24}"),
        extra in json_object(),
    ) {
        let mut body = json!({
            "instanceId": id, "status": status_text,
            "metaData": {"createdTime": created.clone().unwrap_or_default(), "completedTime": ""},
        });
        body["context"] = Value::Object(extra);
        let text = body.to_string();
        let state = parse_state(&answer(200, text.clone().into_bytes())).unwrap();
        prop_assert_eq!(&state.instance_id, &id);
        prop_assert_eq!(&state.status_text, &status_text);
        prop_assert_eq!(state.status, status(&status_text));
        prop_assert_eq!(state.document, text, "the document is passed on verbatim");
        if created.is_some() {
            prop_assert_eq!(state.created_at, created);
        }
    }

    #[test]
    fn interactions_round_trip(
        id in instance_id(),
        interaction_id in "[!-~]{1,60}",
        collects in prop::collection::vec(("[A-Za-z/]{1,20}", "required|optional|conditional", prop::option::of(any::<bool>())), 0..6),
        outstanding in prop::collection::vec("[A-Za-z/]{1,20}", 0..6),
    ) {
        let body = json!({
            "instanceId": id, "interactionId": interaction_id, "journey": {"status": "InProgress"},
            "interaction": {"collects": collects.iter().map(|(r, s, rec)| {
                let mut e = json!({"ref": r, "spec": s});
                if let Some(rec) = rec { e["recommended"] = json!(rec); }
                e
            }).collect::<Vec<_>>()},
            "outstanding": outstanding,
        });
        let step = parse_step(&answer(200, body.to_string().into_bytes()), "other").unwrap();
        if collects.is_empty() && outstanding.is_empty() {
            // An interaction that asks for nothing is no interaction to answer.
            prop_assert_eq!(step, Fetched::Step(InteractionStep::NotReady(JourneyStatus::InProgress)));
            return Ok(());
        }
        let Fetched::Step(InteractionStep::Ready(interaction)) = step else {
            return Err(TestCaseError::fail("not ready"));
        };
        prop_assert_eq!(&interaction.instance_id, &id);
        prop_assert_eq!(&interaction.interaction_id, &interaction_id);
        prop_assert_eq!(interaction.journey_status, JourneyStatus::InProgress);
        prop_assert_eq!(interaction.outstanding, outstanding);
        prop_assert_eq!(interaction.collects.len(), collects.len());
        for (parsed, (r, s, rec)) in interaction.collects.iter().zip(&collects) {
            prop_assert_eq!(&parsed.element.ref_, r);
            prop_assert_eq!(&parsed.element.spec, s);
            prop_assert_eq!(parsed.element.recommended, *rec);
        }
    }

    #[test]
    fn device_tokens_round_trip(token in "[!-~]{1,200}", expires_in in 0u32..=u32::MAX) {
        let connect = json!({"connectToken": token, "tokenType": "connect", "expiresIn": 120});
        let parsed = parse_connect_token(&answer(200, connect.to_string().into_bytes())).unwrap();
        prop_assert_eq!(parsed.expose(), token.as_str());
        let end_user = json!({"endUserToken": token, "tokenType": "end-user", "expiresIn": expires_in});
        let (parsed, lifetime) = parse_end_user_token(&answer(200, end_user.to_string().into_bytes())).unwrap();
        prop_assert_eq!(parsed.expose(), token.as_str());
        prop_assert_eq!(lifetime, u64::from(expires_in));
    }

    #[test]
    fn submit_answers_map_codes_like_statuses(code in 0u64..1000, message in prop::option::of(".{0,30}")) {
        let body = json!({"status": "error", "code": code, "message": message});
        let error = parse_submit(&answer(200, body.to_string().into_bytes())).unwrap_err();
        let failure = match &error {
            Error::BadRequest(f) | Error::Unauthorized(f) | Error::Forbidden(f)
            | Error::NotFound(f) | Error::ServerError(f) => Some(f),
            Error::RateLimited(r) => Some(&r.failure),
            _ => None,
        };
        match failure {
            Some(failure) => {
                prop_assert!((400..600).contains(&code));
                prop_assert_eq!(u64::from(failure.status), code);
                prop_assert_eq!(&failure.message, &message);
            }
            None => prop_assert!(matches!(error, Error::InvalidResponse(_)) && !(400..600).contains(&code)),
        }
    }

    /// The prefill subject: any text is either refused as `invalid-input`
    /// naming `subject` (nothing sent) or, when it is a JSON object, sent as
    /// `context.subject` unchanged.
    #[test]
    fn prefill_subjects_are_validated_and_sent_unchanged(text in prop_oneof![
        ".{0,64}",
        json_value().prop_map(|v| v.to_string()),
        json_object().prop_map(|o| Value::Object(o).to_string()),
    ]) {
        let request = StartRequest {
            resource_id: "abc@latest".into(),
            delivery: Delivery::Page,
            subject: Some(text.clone()),
        };
        let parsed = serde_json::from_str::<Value>(&text).ok();
        match (start_body(&request), parsed) {
            (Ok(body), Some(Value::Object(subject))) => {
                let body: Value = serde_json::from_slice(&body).unwrap();
                prop_assert_eq!(&body["context"]["subject"], &Value::Object(subject));
                prop_assert_eq!(&body["resourceId"], "abc@latest");
            }
            (Err(Error::InvalidInput(input)), parsed) => {
                prop_assert_eq!(input.field, "subject");
                prop_assert!(!matches!(parsed, Some(Value::Object(_))), "an object was refused");
            }
            (other, _) => prop_assert!(false, "unexpected {:?}", other),
        }
        let submission = Submission {
            instance_id: "abc".into(),
            interaction_id: "grn:::gbg:design:interaction:x@latest".into(),
            participants: vec![Participant { domain_element_id: "FullName".into(), instruction: None }],
            subject: text,
        };
        match submit_body(&submission) {
            Ok(_) => {}
            Err(Error::InvalidInput(input)) => prop_assert_eq!(input.field, "subject"),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn identifiers_are_checked_without_panicking(text in ".{0,300}", id in instance_id()) {
        let _ = validate::resource_id("resource-id", &text);
        let _ = validate::instance_id("instance-id", &text);
        let _ = validate::plain_text("interaction-id", &text, validate::MAX_INTERACTION_ID_LEN);
        prop_assert!(validate::instance_id("instance-id", &id).is_ok());
        let resource = format!("{id}@latest");
        prop_assert!(validate::resource_id("resource-id", &resource).is_ok());
    }
}
