//! API-journey interactions: fetch and submit, the device flow that yields
//! end-user tokens, and the per-instance end-user token cache.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::errors::for_status;
use crate::http::Response;
use crate::journey::status;
use crate::json::Body;
use crate::token::{DEFAULT_LIFETIME_S, Lease};
use crate::types::{
    ApiFailure, ElementInput, ElementRequirement, Error, Interaction, InteractionStep,
    JourneyStatus, Submission,
};
use crate::validate;
use gbg_go_contract::{Secret, spellings};

/// The longest accepted `domain-element-id` of a participant.
const MAX_ELEMENT_ID_LEN: usize = 256;
/// The most end-user tokens kept at once.
const MAX_CACHED_END_USER_TOKENS: usize = 256;

/// The `code` of GBG's in-body error answer that an interaction fetch reads as "no
/// interaction is ready". GBG's in-body codes are HTTP statuses (the OpenAPI file's only
/// example is `500`, "Internal server error"), and a 200 answer means the instance was
/// found (an unknown one is an HTTP 404), so an in-body 404 can only say that no
/// interaction was; the state fetch that follows confirms it ([`Fetched::NotReadyUnstated`]).
pub const NOT_READY_CODE: u16 = 404;

/// What a `journey/interaction/fetch` answer says.
#[derive(Debug, PartialEq)]
pub enum Fetched {
    /// An interaction, or none and the journey's status.
    Step(InteractionStep),
    /// No interaction, and the answer does not say the journey's status: GBG's in-body
    /// error answer with [`NOT_READY_CODE`], an empty answer, or an interaction that asks
    /// for nothing and names no status. The journey state says it.
    NotReadyUnstated,
}

/// Parses the `journey/interaction/fetch` answer for `instance_id`. No interaction is
/// ready when the answer says `processing: true`, has no `interactionId`, or offers an
/// interaction that collects nothing and has nothing outstanding; in-body error answers
/// other than [`NOT_READY_CODE`] are errors, as for submit.
pub fn parse_step(response: &Response, instance_id: &str) -> Result<Fetched, Error> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Fetched::NotReadyUnstated);
    }
    let body = Body::parse(response)?;
    let root = body.root();
    if body.opt::<&str>(root, "status", "status")? == Some("error") {
        return match in_body_error(&body, response)? {
            (NOT_READY_CODE, _) => Ok(Fetched::NotReadyUnstated),
            (_, error) => Err(error),
        };
    }
    let journey = body.opt::<&Map<String, Value>>(root, "journey", "journey")?;
    let journey_status = match journey {
        Some(j) => body.opt::<&str>(j, "status", "journey.status")?,
        None => None,
    };
    let not_ready = |text: Option<&str>| match text {
        Some(text) => Fetched::Step(InteractionStep::NotReady(status(text))),
        None => Fetched::NotReadyUnstated,
    };
    if body.opt::<bool>(root, "processing", "processing")? == Some(true) {
        return Ok(not_ready(journey_status.or(Some(spellings::IN_PROGRESS))));
    }
    let interaction_id = body
        .opt::<&str>(root, "interactionId", "interactionId")?
        .filter(|id| !id.is_empty());
    let Some(interaction_id) = interaction_id else {
        return Ok(not_ready(journey_status));
    };
    let detail = body.opt::<&Map<String, Value>>(root, "interaction", "interaction")?;
    let empty = Map::new();
    let detail = detail.unwrap_or(&empty);
    let collects = requirements(&body, detail, "collects")?;
    let consumes = requirements(&body, detail, "consumes")?;
    let outstanding = outstanding(&body)?;
    if collects.is_empty() && outstanding.is_empty() {
        return Ok(not_ready(journey_status));
    }
    Ok(Fetched::Step(InteractionStep::Ready(Interaction {
        instance_id: body
            .opt::<&str>(root, "instanceId", "instanceId")?
            .filter(|id| !id.is_empty())
            .unwrap_or(instance_id)
            .to_owned(),
        interaction_id: interaction_id.to_owned(),
        journey_status: journey_status.map_or(JourneyStatus::InProgress, status),
        collects,
        consumes,
        outstanding,
        document: body.text(),
    })))
}

fn requirements(
    body: &Body<'_>,
    detail: &Map<String, Value>,
    key: &str,
) -> Result<Vec<ElementRequirement>, Error> {
    let path = format!("interaction.{key}");
    each_object(body, detail, key, &path, |item, path| {
        let inputs = each_object(
            body,
            item,
            "inputs",
            &format!("{path}.inputs"),
            |input, path| element(body, input, path),
        )?;
        Ok(ElementRequirement {
            element: element(body, item, path)?,
            combinator: body
                .opt::<&str>(item, "combinator", &format!("{path}.combinator"))?
                .map(str::to_owned),
            inputs,
        })
    })
}

/// Parses each entry of the array at `key` of `object` with `parse`, in
/// order. Every entry must be an object; it is named `path[i]` in errors.
fn each_object<T>(
    body: &Body<'_>,
    object: &Map<String, Value>,
    key: &str,
    path: &str,
    mut parse: impl FnMut(&Map<String, Value>, &str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    body.opt_array(object, key, path)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{path}[{i}]");
            parse(body.cast(item, &path)?, &path)
        })
        .collect()
}

fn element(body: &Body<'_>, item: &Map<String, Value>, path: &str) -> Result<ElementInput, Error> {
    Ok(ElementInput {
        ref_: body
            .req::<&str>(item, "ref", &format!("{path}.ref"))?
            .to_owned(),
        spec: body
            .req::<&str>(item, "spec", &format!("{path}.spec"))?
            .to_owned(),
        recommended: body.opt::<bool>(item, "recommended", &format!("{path}.recommended"))?,
    })
}

fn outstanding(body: &Body<'_>) -> Result<Vec<String>, Error> {
    body.opt_array(body.root(), "outstanding", "outstanding")?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            body.cast(item, &format!("outstanding[{i}]"))
                .map(str::to_owned)
        })
        .collect()
}

/// The `journey/interaction/submit` body.
pub fn submit_body(submission: &Submission) -> Result<Vec<u8>, Error> {
    validate::instance_id("instance-id", &submission.instance_id)?;
    validate::plain_text(
        "interaction-id",
        &submission.interaction_id,
        validate::MAX_INTERACTION_ID_LEN,
    )?;
    let subject = validate::json_object("subject", &submission.subject)?;
    let participants = submission
        .participants
        .iter()
        .map(|p| {
            validate::plain_text("participants", &p.domain_element_id, MAX_ELEMENT_ID_LEN)?;
            let mut entry = json!({ "domainElementId": p.domain_element_id });
            if let Some(instruction) = &p.instruction {
                entry["instruction"] = json!(instruction);
            }
            Ok(entry)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(json!({
        "instanceId": submission.instance_id,
        "interactionId": submission.interaction_id,
        "participants": participants,
        "context": { "subject": subject },
    })
    .to_string()
    .into_bytes())
}

/// Parses the submit answer: `{"status":"success"}` is success;
/// `{"status":"error","code":n,"message":m}` is the error for status `n`.
pub fn parse_submit(response: &Response) -> Result<(), Error> {
    let body = Body::parse(response)?;
    match body.req::<&str>(body.root(), "status", "status")? {
        "success" => Ok(()),
        "error" => Err(in_body_error(&body, response)?.1),
        _ => Err(body.invalid("field status is neither success nor error")),
    }
}

/// GBG's in-body error answer `{"status":"error","code":n,"message":m}`: its code and
/// the error for status `n`.
fn in_body_error(body: &Body<'_>, response: &Response) -> Result<(u16, Error), Error> {
    let root = body.root();
    let code = match root.get("code") {
        Some(Value::Number(n)) => n.as_u64().and_then(|c| u16::try_from(c).ok()),
        None | Some(Value::Null) => None,
        Some(_) => return Err(body.invalid("field code is not a number")),
    }
    .ok_or_else(|| body.invalid("error answer without a valid code"))?;
    let failure = ApiFailure {
        status: code,
        request_id: response.request_id(),
        problems: Vec::new(),
        message: body
            .opt::<&str>(root, "message", "message")?
            .map(str::to_owned),
    };
    let error = for_status(code, failure, None).ok_or_else(|| {
        body.invalid(format!(
            "error answer with code {code}, which is not an error status"
        ))
    })?;
    Ok((code, error))
}

/// The `journey/device/start` body.
pub fn device_start_body(instance_id: &str) -> Result<Vec<u8>, Error> {
    validate::instance_id("instance-id", instance_id)?;
    Ok(json!({ "instanceId": instance_id, "scope": ["any"] })
        .to_string()
        .into_bytes())
}

/// Parses the `connectToken` of the device start answer.
pub fn parse_connect_token(response: &Response) -> Result<Secret, Error> {
    let body = Body::parse(response)?;
    Ok(Secret::new(body.req_non_empty(
        body.root(),
        "connectToken",
        "connectToken",
    )?))
}

/// The `journey/device/connect` body.
pub fn device_connect_body(connect_token: &Secret, device_id: &str) -> Vec<u8> {
    json!({ "connectToken": connect_token.expose(), "deviceInfo": { "deviceId": device_id } })
        .to_string()
        .into_bytes()
}

/// Parses the device connect answer into the end-user token and its
/// lifetime in seconds.
pub fn parse_end_user_token(response: &Response) -> Result<(Secret, u64), Error> {
    let body = Body::parse(response)?;
    let root = body.root();
    let token = Secret::new(body.req_non_empty(root, "endUserToken", "endUserToken")?);
    Ok((token, body.seconds(root, "expiresIn", DEFAULT_LIFETIME_S)?))
}

/// A device id of 32 lowercase hex characters from two random numbers.
pub fn device_id(first: u64, second: u64) -> String {
    format!("{first:016x}{second:016x}")
}

/// End-user tokens per instance id.
#[derive(Debug, Default)]
pub struct EndUserTokens {
    leases: HashMap<String, Lease>,
}

impl EndUserTokens {
    /// The cached token of `instance_id` if it is fresh at `now_ms`.
    pub fn fresh(&self, instance_id: &str, now_ms: u64, margin_ms: u64) -> Option<&Secret> {
        self.leases
            .get(instance_id)
            .filter(|lease| lease.is_fresh(now_ms, margin_ms))
            .map(Lease::secret)
    }

    /// Caches `lease` for `instance_id`, evicting expired tokens and, when
    /// the cache is full, the one expiring first.
    pub fn insert(&mut self, instance_id: &str, lease: Lease, now_ms: u64) {
        self.leases.retain(|_, l| !l.is_expired(now_ms));
        if self.leases.len() >= MAX_CACHED_END_USER_TOKENS && !self.leases.contains_key(instance_id)
        {
            let first = self
                .leases
                .iter()
                .min_by_key(|(_, l)| l.expires_at_ms())
                .map(|(id, _)| id.clone());
            if let Some(id) = first {
                self.leases.remove(&id);
            }
        }
        self.leases.insert(instance_id.to_owned(), lease);
    }

    /// Forgets the token of `instance_id`.
    pub fn remove(&mut self, instance_id: &str) {
        self.leases.remove(instance_id);
    }

    /// Every cached token, for scrubbing them from error text.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.leases.values().map(|l| l.secret().expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{invalid_reason, refused_field, response};
    use crate::types::Participant;

    fn ok(body: &str) -> Response {
        response(200, &[("X-Request-ID", "rq-1")], body)
    }

    const READY: &str = r#"{
        "instanceId": "Pq_hhIX6-sHUy9FLSDzPLu",
        "interactionId": "grn:::gbg:design:interaction:segment1@latest",
        "journey": {"status": "InProgress"},
        "interaction": {
            "grId": "grn:::gbg:design:interaction:segment1@latest",
            "collects": [
                {"ref": "FullName", "spec": "required"},
                {"ref": "Identity", "spec": "optional", "recommended": true,
                 "combinator": "oneOf",
                 "inputs": [{"ref": "SSN", "spec": "optional"},
                            {"ref": "Passport", "spec": "optional", "recommended": false}]}
            ],
            "consumes": [{"ref": "DateOfBirth", "spec": "required"}]
        },
        "outstanding": ["FullName", "Identity"]
    }"#;

    fn step(body: &str) -> Fetched {
        parse_step(&ok(body), "inst").unwrap()
    }

    fn not_ready(status: JourneyStatus) -> Fetched {
        Fetched::Step(InteractionStep::NotReady(status))
    }

    #[test]
    fn ready_interaction_is_parsed() {
        let Fetched::Step(InteractionStep::Ready(i)) = parse_step(&ok(READY), "other").unwrap()
        else {
            panic!("not ready")
        };
        assert_eq!(i.instance_id, "Pq_hhIX6-sHUy9FLSDzPLu");
        assert_eq!(
            i.interaction_id,
            "grn:::gbg:design:interaction:segment1@latest"
        );
        assert_eq!(i.journey_status, JourneyStatus::InProgress);
        assert_eq!(i.collects.len(), 2);
        assert_eq!(
            i.collects[0],
            ElementRequirement {
                element: ElementInput {
                    ref_: "FullName".into(),
                    spec: "required".into(),
                    recommended: None,
                },
                combinator: None,
                inputs: Vec::new(),
            }
        );
        assert_eq!(i.collects[1].element.recommended, Some(true));
        assert_eq!(i.collects[1].combinator.as_deref(), Some("oneOf"));
        assert_eq!(i.collects[1].inputs[1].ref_, "Passport");
        assert_eq!(i.collects[1].inputs[1].recommended, Some(false));
        assert_eq!(i.consumes[0].element.ref_, "DateOfBirth");
        assert_eq!(i.outstanding, vec!["FullName", "Identity"]);
        assert_eq!(i.document, READY);
    }

    #[test]
    fn sparse_ready_interaction_uses_defaults() {
        let Fetched::Step(InteractionStep::Ready(i)) =
            step(r#"{"interactionId":"x","outstanding":["FullName"]}"#)
        else {
            panic!("not ready")
        };
        assert_eq!(i.instance_id, "inst");
        assert_eq!(i.journey_status, JourneyStatus::InProgress);
        assert!(i.collects.is_empty() && i.consumes.is_empty());
        assert_eq!(i.outstanding, ["FullName"]);
    }

    #[test]
    fn no_interaction_id_is_not_ready() {
        for (body, expected) in [
            (
                r#"{"journey":{"status":"InProgress"}}"#,
                JourneyStatus::InProgress,
            ),
            (
                r#"{"instanceId":"i","journey":{"status":"Completed"},"processing":false}"#,
                JourneyStatus::Completed,
            ),
            (
                r#"{"interactionId":"","journey":{"status":"Completed"}}"#,
                JourneyStatus::Completed,
            ),
            (
                r#"{"interactionId":null,"journey":{"status":"Error"}}"#,
                JourneyStatus::Other("Error".into()),
            ),
        ] {
            assert_eq!(step(body), not_ready(expected), "{body}");
        }
    }

    #[test]
    fn processing_and_interactions_that_ask_for_nothing_are_not_ready() {
        for (body, expected) in [
            (
                r#"{"instanceId":"i","journey":{"status":"InProgress"},"processing":true}"#,
                JourneyStatus::InProgress,
            ),
            (r#"{"processing":true}"#, JourneyStatus::InProgress),
            (
                r#"{"interactionId":"x","journey":{"status":"InProgress"},"processing":true,"outstanding":["A"]}"#,
                JourneyStatus::InProgress,
            ),
            (
                r#"{"interactionId":"x","journey":{"status":"Completed"},"interaction":{"collects":[],"consumes":[{"ref":"FullName","spec":"required"}]},"outstanding":[]}"#,
                JourneyStatus::Completed,
            ),
        ] {
            assert_eq!(step(body), not_ready(expected), "{body}");
        }
    }

    #[test]
    fn not_ready_answers_without_a_status_leave_it_to_the_state() {
        for body in [
            "",
            " \n",
            "{}",
            r#"{"instanceId":"i"}"#,
            r#"{"status":"error","code":404,"message":"No interaction is ready"}"#,
            r#"{"interactionId":"x","interaction":{"collects":[]},"outstanding":[]}"#,
        ] {
            assert_eq!(step(body), Fetched::NotReadyUnstated, "{body:?}");
        }
    }

    #[test]
    fn other_in_body_errors_of_a_fetch_are_errors() {
        let error = parse_step(
            &ok(r#"{"status":"error","code":500,"message":"Internal server error"}"#),
            "i",
        )
        .unwrap_err();
        assert!(
            matches!(&error, Error::ServerError(f) if f.status == 500
                && f.request_id.as_deref() == Some("rq-1")
                && f.message.as_deref() == Some("Internal server error")),
            "{error:?}"
        );
        assert!(matches!(
            parse_step(&ok(r#"{"status":"error","code":403,"message":"no"}"#), "i"),
            Err(Error::Forbidden(_))
        ));
        assert_eq!(
            invalid_reason(parse_step(&ok(r#"{"status":"error"}"#), "i")),
            "error answer without a valid code"
        );
    }

    #[test]
    fn bad_interaction_answers() {
        for (body, reason) in [
            (r#"{"journey":"x"}"#, "field journey is not an object"),
            (
                r#"{"interactionId":5}"#,
                "field interactionId is not a string",
            ),
            (
                r#"{"processing":"yes"}"#,
                "field processing is not a boolean",
            ),
            (r#"{"status":5}"#, "field status is not a string"),
            (
                r#"{"interactionId":"x","interaction":{"collects":[{"spec":"required"}]}}"#,
                "missing field interaction.collects[0].ref",
            ),
            (
                r#"{"interactionId":"x","interaction":{"consumes":{}}}"#,
                "field interaction.consumes is not an array",
            ),
            (
                r#"{"interactionId":"x","interaction":{"collects":[{"ref":"A","spec":"o","inputs":[{"ref":"B"}]}]}}"#,
                "missing field interaction.collects[0].inputs[0].spec",
            ),
            (
                r#"{"interactionId":"x","interaction":{"collects":[{"ref":"A","spec":"o","recommended":"yes"}]}}"#,
                "field interaction.collects[0].recommended is not a boolean",
            ),
            (
                r#"{"interactionId":"x","outstanding":[1]}"#,
                "field outstanding[0] is not a string",
            ),
            ("<html/>", "body is not JSON"),
        ] {
            assert_eq!(invalid_reason(parse_step(&ok(body), "i")), reason, "{body}");
        }
    }

    #[test]
    fn submit_body_shape() {
        let submission = Submission {
            instance_id: "abc".into(),
            interaction_id: "grn:::gbg:design:interaction:segment1@latest".into(),
            participants: vec![
                Participant {
                    domain_element_id: "FullName".into(),
                    instruction: None,
                },
                Participant {
                    domain_element_id: "PrimaryDocument/side1Image".into(),
                    instruction: Some("open".into()),
                },
            ],
            subject: r#"{"identity":{"firstName":"Jane"}}"#.into(),
        };
        let body: Value = serde_json::from_slice(&submit_body(&submission).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "instanceId": "abc",
                "interactionId": "grn:::gbg:design:interaction:segment1@latest",
                "participants": [
                    {"domainElementId": "FullName"},
                    {"domainElementId": "PrimaryDocument/side1Image", "instruction": "open"}
                ],
                "context": {"subject": {"identity": {"firstName": "Jane"}}}
            })
        );
    }

    #[test]
    fn submit_body_refuses_bad_arguments() {
        let good = Submission {
            instance_id: "abc".into(),
            interaction_id: "x".into(),
            participants: vec![Participant {
                domain_element_id: "FullName".into(),
                instruction: None,
            }],
            subject: "{}".into(),
        };
        let mut s = good.clone();
        s.subject = "[]".into();
        assert_eq!(refused_field(submit_body(&s)), "subject");
        let mut s = good.clone();
        s.instance_id = "a b".into();
        assert_eq!(refused_field(submit_body(&s)), "instance-id");
        let mut s = good.clone();
        s.interaction_id = String::new();
        assert_eq!(refused_field(submit_body(&s)), "interaction-id");
        let mut s = good;
        s.participants[0].domain_element_id = String::new();
        assert_eq!(refused_field(submit_body(&s)), "participants");
    }

    #[test]
    fn submit_answers() {
        assert_eq!(parse_submit(&ok(r#"{"status":"success"}"#)), Ok(()));
        let error = parse_submit(&ok(
            r#"{"status":"error","code":500,"message":"Internal server error"}"#,
        ))
        .unwrap_err();
        match error {
            Error::ServerError(f) => {
                assert_eq!(f.status, 500);
                assert_eq!(f.request_id.as_deref(), Some("rq-1"));
                assert_eq!(f.message.as_deref(), Some("Internal server error"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_submit(&ok(r#"{"status":"error","code":404,"message":"gone"}"#)),
            Err(Error::NotFound(_))
        ));
        for (body, reason) in [
            (
                r#"{"status":"done"}"#,
                "field status is neither success nor error",
            ),
            (r#"{"status":"error"}"#, "error answer without a valid code"),
            (
                r#"{"status":"error","code":"500"}"#,
                "field code is not a number",
            ),
            (
                r#"{"status":"error","code":200}"#,
                "error answer with code 200, which is not an error status",
            ),
            (r#"{"ok":true}"#, "missing field status"),
            ("", "body is not JSON"),
        ] {
            assert_eq!(invalid_reason(parse_submit(&ok(body))), reason, "{body}");
        }
    }

    #[test]
    fn device_flow_bodies_and_answers() {
        let start: Value = serde_json::from_slice(&device_start_body("abc").unwrap()).unwrap();
        assert_eq!(start, json!({"instanceId":"abc","scope":["any"]}));
        let connect = parse_connect_token(&ok(
            r#"{"connectToken":"ct-1","tokenType":"connect","expiresIn":120,"scope":["any"]}"#,
        ))
        .unwrap();
        assert_eq!(connect.expose(), "ct-1");
        let id = device_id(1, u64::MAX);
        assert_eq!(id, "0000000000000001ffffffffffffffff");
        let body: Value = serde_json::from_slice(&device_connect_body(&connect, &id)).unwrap();
        assert_eq!(
            body,
            json!({"connectToken":"ct-1","deviceInfo":{"deviceId":id}})
        );
        let (token, lifetime) = parse_end_user_token(&ok(
            r#"{"endUserToken":"a.b.c","tokenType":"end-user","expiresIn":86399}"#,
        ))
        .unwrap();
        assert_eq!((token.expose(), lifetime), ("a.b.c", 86399));
        assert_eq!(
            invalid_reason(parse_end_user_token(&ok(r#"{"tokenType":"end-user"}"#))),
            "missing field endUserToken"
        );
        assert_eq!(
            invalid_reason(parse_connect_token(&ok(r#"{"connectToken":""}"#))),
            "field connectToken is empty"
        );
    }

    #[test]
    fn end_user_cache_evicts_expired_and_caps_size() {
        let mut cache = EndUserTokens::default();
        cache.insert("a", Lease::new(Secret::new("ta"), 100, 0), 0);
        cache.insert("b", Lease::new(Secret::new("tb"), 1000, 0), 0);
        assert_eq!(
            cache.fresh("a", 10_000, 30_000).map(Secret::expose),
            Some("ta")
        );
        assert_eq!(cache.fresh("a", 70_000, 30_000), None);
        cache.insert("c", Lease::new(Secret::new("tc"), 1000, 100_000), 100_000);
        assert_eq!(cache.secrets().count(), 2, "a expired and was evicted");
        cache.remove("b");
        assert_eq!(cache.secrets().collect::<Vec<_>>(), vec!["tc"]);

        let mut cache = EndUserTokens::default();
        for i in 0..MAX_CACHED_END_USER_TOKENS {
            let lifetime = 1000 + i as u64;
            cache.insert(
                &format!("i{i}"),
                Lease::new(Secret::new("t"), lifetime, 0),
                0,
            );
        }
        cache.insert("new", Lease::new(Secret::new("t"), 5000, 0), 0);
        assert_eq!(cache.secrets().count(), MAX_CACHED_END_USER_TOKENS);
        assert!(
            cache.fresh("i0", 0, 0).is_none(),
            "the earliest expiry was evicted"
        );
        assert!(cache.fresh("new", 0, 0).is_some());
    }
}
