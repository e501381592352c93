//! The API against a scripted GBG GO (and event receiver), on the native
//! target.

use std::cell::Cell;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gbg_go_core::http::Request;
use gbg_go_core::testing::paths::{DELETE, FETCH, HEALTH, START, STATE, SUBMIT};
use gbg_go_core::testing::{
    EPOCH_MS, FakeClock, FakeTransport, TOKEN_PATH as TOKEN, answer_with, broken,
};
use gbg_go_core::types::TransportKind;
use serde_json::{Value, json};

use super::*;
use crate::engine::Kept;
use crate::events::SigningKey;
use crate::settings::tests::{EVENTS_KEY, Given, given};
use crate::settings::{
    BASE_URL, BODY_TIMEOUT_MS, EVENTS_INCLUDE_STATE, EVENTS_SECRET, EVENTS_URL, SERVICE_KEY,
    StoreChoice, TOKEN_URL, WEBHOOK_HEADER, WEBHOOK_KEY, WEBHOOK_PASSWORD, WEBHOOK_USERNAME,
};
use crate::stores::{InstanceStore, Store};
use gbg_go_core::session::Session;

const KEY: &str = "Bearer service-key-SECRET";
/// Where the tests' event receiver listens.
const RECEIVER: &str = "/gbg-events";

/// GBG GO as the protocol core's tests script it, on virtual time, with the
/// instance's memory as the store.
#[derive(Clone)]
struct Gbg {
    clock: FakeClock,
    net: FakeTransport,
}

impl Engine for Gbg {
    type Transport = FakeTransport;
    type Clock = FakeClock;

    fn transport(&self) -> FakeTransport {
        self.net.clone()
    }

    fn clock(&self) -> FakeClock {
        self.clock.clone()
    }

    fn store(&self, _: &StoreChoice) -> Box<dyn Store> {
        Box::new(InstanceStore)
    }
}

/// A body that has not arrived: reading it times out, and says it was read.
#[derive(Default)]
struct Stalled {
    read: Cell<bool>,
}

impl Body for &Stalled {
    fn read(&mut self, _limit: u64, timeout_ms: u64) -> Result<Vec<u8>, Problem> {
        self.read.set(true);
        Err(Problem::too_slow(timeout_ms))
    }
}

impl Default for Gbg {
    fn default() -> Self {
        let clock = FakeClock::default();
        let net = FakeTransport::new(&clock);
        Self { clock, net }
    }
}

impl Gbg {
    fn script(&self, path: &str, status: u16, headers: &[(&str, &str)], body: &str) {
        self.net.script(path, [answer_with(status, headers, body)]);
    }

    fn sent(&self, path: &str) -> Vec<Request> {
        self.net
            .seen_at(path)
            .into_iter()
            .map(|s| s.request)
            .collect()
    }

    fn nothing_sent(&self) -> bool {
        self.net.seen().is_empty()
    }
}

/// A request with a body.
struct Sent {
    head: IncomingRequest,
    body: Vec<u8>,
}

impl IncomingRequest {
    /// This head with `body`.
    fn with(self, body: impl Into<Vec<u8>>) -> Sent {
        Sent {
            head: self,
            body: body.into(),
        }
    }
}

/// Sends `request` to the service under the settings `given` describes.
fn call_with(gbg: &Gbg, given: &Given, request: Sent) -> (u16, Response, Value) {
    let Sent { head, mut body } = request;
    answered(handle(&head, &mut body, &Config::resolve(given), gbg))
}

/// The status, answer and JSON body of `response`, which must hold no
/// secret.
fn answered(response: Response) -> (u16, Response, Value) {
    let text = String::from_utf8_lossy(&response.body).into_owned();
    assert!(!text.contains("SECRET"), "a secret in the answer: {text}");
    for (name, value) in &response.headers {
        assert!(!value.contains("SECRET"), "a secret in header {name}");
    }
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (response.status, response, body)
}

fn call(gbg: &Gbg, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    let (status, _, body) = call_with(
        gbg,
        &given(),
        IncomingRequest::new(method, path, headers).with(body),
    );
    (status, body)
}

fn authorized(gbg: &Gbg, method: &str, path: &str, body: &str) -> (u16, Value) {
    call(gbg, method, path, &[("authorization", KEY)], body)
}

/// A problem's `kind`.
fn kind(problem: &Value) -> &str {
    problem["kind"].as_str().unwrap_or_default()
}

/// The setting or field a problem names.
fn field(problem: &Value) -> Option<&str> {
    problem["field"].as_str()
}

/// GBG GO's answer to a start of instance `id`.
fn started(id: &str) -> String {
    format!(r#"{{"instanceId":"{id}","status":"started"}}"#)
}

fn state_answer(status: &str) -> String {
    format!(
        r#"{{"instanceId":"abc","status":"{status}","metaData":{{"createdTime":"2025-01-01T00:00:00Z"}}}}"#
    )
}

#[test]
fn liveness_needs_no_key_and_no_gbg() {
    let gbg = Gbg::default();
    let mut nothing = given();
    nothing.0.clear();
    let (status, _, body) = call_with(
        &gbg,
        &nothing,
        IncomingRequest::new("GET", "/health", &[]).with(Vec::new()),
    );
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    assert!(gbg.nothing_sent());
}

#[test]
fn without_a_service_key_every_protected_route_is_closed() {
    let gbg = Gbg::default();
    let mut no_key = given();
    no_key.0.remove(SERVICE_KEY.env);
    for (method, path) in [
        ("GET", "/ready"),
        ("POST", "/journeys"),
        ("GET", "/journeys/abc"),
        ("DELETE", "/journeys/abc"),
        ("GET", "/journeys/abc/interaction"),
        ("POST", "/journeys/abc/interaction"),
    ] {
        let request =
            IncomingRequest::new(method, path, &[("authorization", KEY)]).with(Vec::new());
        let (status, _, body) = call_with(&gbg, &no_key, request);
        assert_eq!(status, 503, "{method} {path}");
        assert_eq!(body["kind"], "not-configured");
        assert_eq!(body["field"], "GBG_GO_SERVICE_KEY");
    }
    assert!(gbg.nothing_sent(), "nothing reached GBG GO");
}

#[test]
fn a_missing_or_wrong_key_is_401() {
    let gbg = Gbg::default();
    for headers in [
        vec![],
        vec![("authorization", "Bearer wrong")],
        vec![("authorization", "Basic c2VydmljZS1rZXk=")],
    ] {
        let (status, response, body) = call_with(
            &gbg,
            &given(),
            IncomingRequest::new("GET", "/journeys/abc", &headers).with(Vec::new()),
        );
        assert_eq!(status, 401, "{headers:?}");
        assert_eq!(body["kind"], "unauthenticated");
        assert_eq!(
            response.header("www-authenticate"),
            Some(r#"Bearer realm="gbg-go""#)
        );
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
    }
    assert!(gbg.nothing_sent());
}

#[test]
fn starting_a_journey() {
    let gbg = Gbg::default();
    gbg.script(
        START,
        201,
        &[],
        r#"{"instanceId":"abc","instanceUrl":"/journey/abc","status":"started"}"#,
    );
    let request = IncomingRequest::new(
        "POST",
        "/journeys",
        &[
            ("authorization", KEY),
            ("content-type", "application/json; charset=utf-8"),
        ],
    )
    .with(
        br#"{"delivery":"page","subject":{"identity":{"height":1.10, "firstName":"Ann"}}}"#
            .to_vec(),
    );
    let (status, response, body) = call_with(&gbg, &given(), request);
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body,
        json!({
            "instance_id": "abc",
            "instance_url": "http://127.0.0.1:9/journey/abc",
            "status": "started",
            "message": null,
        })
    );
    assert_eq!(response.header("location"), Some("/journeys/abc"));
    let sent = &gbg.sent(START)[0];
    let text = String::from_utf8(sent.body.clone()).unwrap();
    assert!(text.contains(r#""resourceId":"journey@latest""#), "{text}");
    let sent: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        sent["context"]["subject"],
        json!({"identity": {"height": 1.10, "firstName": "Ann"}})
    );
}

#[test]
fn an_empty_start_body_starts_the_configured_journey() {
    let gbg = Gbg::default();
    gbg.script(START, 201, &[], &started("abc"));
    assert_eq!(authorized(&gbg, "POST", "/journeys", "").0, 201);
    let mut no_default = given();
    no_default.0.remove(crate::settings::RESOURCE_ID.env);
    let request =
        IncomingRequest::new("POST", "/journeys", &[("authorization", KEY)]).with(b"{}".to_vec());
    let (status, _, body) = call_with(&gbg, &no_default, request);
    assert_eq!(status, 400);
    assert_eq!(body["field"], "resource_id");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("GBG_GO_RESOURCE_ID")
    );
}

#[test]
fn bad_bodies_are_400_naming_the_field() {
    let gbg = Gbg::default();
    for (body, field) in [
        (r#"{"delivery":"web"}"#, Some("delivery")),
        (r#"{"resource_id":7}"#, Some("resource_id")),
        (r#"{"colour":"red"}"#, Some("colour")),
        ("{not json", None),
        (r#"{"resource_id":"a@1"} trailing"#, None),
    ] {
        let (status, problem) = authorized(&gbg, "POST", "/journeys", body);
        assert_eq!(status, 400, "{body}");
        assert_eq!(problem["kind"], "malformed-request", "{body}");
        assert_eq!(problem["field"].as_str(), field, "{body}: {problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .starts_with("the body is not a start request")
        );
    }
    // The core checks what the service passes on.
    let (status, problem) = authorized(&gbg, "POST", "/journeys", r#"{"subject":[1]}"#);
    assert_eq!(
        (status, problem["field"].as_str()),
        (400, Some("subject")),
        "{problem}"
    );
    let (status, problem) =
        authorized(&gbg, "POST", "/journeys", r#"{"resource_id":"no-version"}"#);
    assert_eq!(
        (status, problem["field"].as_str()),
        (400, Some("resource-id")),
        "{problem}"
    );
    assert!(gbg.nothing_sent(), "nothing was sent");
}

#[test]
fn only_json_bodies_are_read() {
    let gbg = Gbg::default();
    let request = IncomingRequest::new(
        "POST",
        "/journeys",
        &[("authorization", KEY), ("content-type", "text/plain")],
    )
    .with(b"{}".to_vec());
    let (status, _, body) = call_with(&gbg, &given(), request);
    assert_eq!((status, kind(&body)), (415, "unsupported-media-type"));
}

#[test]
fn state_delete_and_filter_keys() {
    let gbg = Gbg::default();
    gbg.script(STATE, 200, &[], &state_answer("Completed"));
    let (status, body) = authorized(&gbg, "GET", "/journeys/abc?filter_key=status", "");
    assert_eq!(status, 200);
    assert_eq!(body["status"], "Completed");
    assert_eq!(body["created_at"], "2025-01-01T00:00:00Z");
    assert_eq!(body["state"]["instanceId"], "abc");
    let sent: Value = serde_json::from_slice(&gbg.sent(STATE)[0].body).unwrap();
    assert_eq!(sent["filterKeys"], json!(["status"]));

    gbg.script(DELETE, 200, &[], "{}");
    let (status, _, _) = call_with(
        &gbg,
        &given(),
        IncomingRequest::new("DELETE", "/journeys/abc", &[("authorization", KEY)]).with(Vec::new()),
    );
    assert_eq!(status, 204);
}

#[test]
fn gbg_failures_become_problems() {
    let gbg = Gbg::default();
    gbg.script(
        STATE,
        404,
        &[],
        r#"{"errors":[{"code":"4004","name":"NOT_FOUND","location":"Body","problem":"no such instance","action":"check"}]}"#,
    );
    let (status, body) = authorized(&gbg, "GET", "/journeys/abc", "");
    assert_eq!(status, 404);
    assert_eq!(body["kind"], "not-found");
    assert_eq!(body["request_id"], "req-404");
    assert_eq!(body["problems"][0]["name"], "NOT_FOUND");

    let (status, body) = authorized(&gbg, "GET", "/journeys/bad%20id", "");
    assert_eq!((status, field(&body)), (400, Some("instance-id")));

    for _ in 0..4 {
        gbg.script(STATE, 429, &[("retry-after", "2")], "{}");
    }
    let (status, response, body) = call_with(
        &gbg,
        &given(),
        IncomingRequest::new("GET", "/journeys/abc", &[("authorization", KEY)]).with(Vec::new()),
    );
    assert_eq!((status, kind(&body)), (429, "rate-limited"));
    assert_eq!(response.header("retry-after"), Some("2"));
}

#[test]
fn refused_credentials_are_502_without_the_secret() {
    let gbg = Gbg::default();
    gbg.script(
        TOKEN,
        401,
        &[],
        r#"{"error":"invalid_client","error_description":"bad secret client-SECRET"}"#,
    );
    let (status, body) = authorized(&gbg, "GET", "/journeys/abc", "");
    assert_eq!((status, kind(&body)), (502, "unauthorized"));
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("refused the credentials")
    );
}

#[test]
fn an_invalid_configuration_is_503_naming_the_setting() {
    let gbg = Gbg::default();
    let mut bad = given();
    bad.0
        .insert(crate::settings::BASE_URL.env, "ftp://x".into());
    let request =
        IncomingRequest::new("GET", "/journeys/abc", &[("authorization", KEY)]).with(Vec::new());
    let (status, _, body) = call_with(&gbg, &bad, request);
    assert_eq!(status, 503);
    assert_eq!(body["field"], "GBG_GO_BASE_URL");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("must be an http or https URL")
    );
}

#[test]
fn readiness_reuses_the_token_of_the_instance() {
    let gbg = Gbg::default();
    gbg.script(HEALTH, 200, &[], r#"{"message":"ok"}"#);
    gbg.script(HEALTH, 200, &[], r#"{"message":"ok"}"#);
    let (status, body) = authorized(&gbg, "GET", "/ready", "");
    assert_eq!(
        (status, body),
        (200, json!({"ready": true, "message": "ok"}))
    );
    assert_eq!(authorized(&gbg, "GET", "/ready", "").0, 200);
    assert_eq!(
        gbg.sent(TOKEN).len(),
        1,
        "the instance store kept the token"
    );
}

#[test]
fn interactions_fetch_and_submit() {
    let gbg = Gbg::default();
    gbg.script(
        FETCH,
        200,
        &[],
        r#"{"instanceId":"abc","interactionId":"x1","journey":{"status":"InProgress"},
            "interaction":{"collects":[{"ref":"FullName","spec":"required"}]},"outstanding":["FullName"]}"#,
    );
    let (status, body) = authorized(&gbg, "GET", "/journeys/abc/interaction", "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ready"], true, "{body}");
    assert_eq!(body["interaction_id"], "x1");

    gbg.script(SUBMIT, 200, &[], r#"{"status":"success"}"#);
    let (status, body) = authorized(
        &gbg,
        "POST",
        "/journeys/abc/interaction",
        r#"{"interaction_id":"x1","elements":["FullName"],"subject":{"identity":{"firstName":"Ann"}}}"#,
    );
    assert_eq!((status, body), (200, json!({"submitted": "FullName"})));
    let sent: Value = serde_json::from_slice(&gbg.sent(SUBMIT)[0].body).unwrap();
    assert_eq!(sent["instanceId"], "abc");
    let (status, body) = authorized(
        &gbg,
        "POST",
        "/journeys/abc/interaction",
        r#"{"elements":[]}"#,
    );
    assert_eq!((status, body["field"].as_str()), (400, None), "{body}");
}

#[test]
fn a_submission_planned_from_answers() {
    let gbg = Gbg::default();
    let interaction = r#"{"instanceId":"abc","interactionId":"x1","journey":{"status":"InProgress"},
        "interaction":{"collects":[{"ref":"FullName","spec":"required"},{"ref":"PersonalEmail","spec":"optional"}]},
        "outstanding":["FullName"]}"#;
    let answers = json!({
        "FullName": {"identity": {"firstName": "Ann"}},
        "PersonalEmail": {"identity": {"emails": [{"type": "personal", "email": "a@example.com"}]}},
    });
    gbg.script(FETCH, 200, &[], interaction);
    gbg.script(SUBMIT, 200, &[], r#"{"status":"success"}"#);
    let planned = json!({"answers": answers}).to_string();
    let (status, body) = authorized(&gbg, "POST", "/journeys/abc/interaction", &planned);
    assert_eq!(
        (status, body),
        (200, json!({"submitted": "FullName, PersonalEmail"}))
    );
    let sent: Value = serde_json::from_slice(&gbg.sent(SUBMIT)[0].body).unwrap();
    assert_eq!(sent["interactionId"], "x1");
    assert_eq!(
        sent["context"]["subject"]["identity"],
        json!({"firstName": "Ann", "emails": [{"type": "personal", "email": "a@example.com"}]})
    );

    // Everything accepted already: nothing is sent.
    gbg.script(FETCH, 200, &[], interaction);
    let accepted = json!({"answers": answers, "accepted": [
        {"interaction_id": "x1", "element": "FullName"},
        {"interaction_id": "x1", "element": "PersonalEmail"},
    ]});
    let (status, body) = authorized(
        &gbg,
        "POST",
        "/journeys/abc/interaction",
        &accepted.to_string(),
    );
    assert_eq!((status, body), (200, json!({"submitted": ""})));
    assert_eq!(gbg.sent(SUBMIT).len(), 1, "nothing more was submitted");

    // Answers that lack an outstanding element are the caller's mistake.
    gbg.script(FETCH, 200, &[], interaction);
    let lacking = json!({"answers": {"PersonalEmail": answers["PersonalEmail"]}});
    let (status, body) = authorized(
        &gbg,
        "POST",
        "/journeys/abc/interaction",
        &lacking.to_string(),
    );
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("answers")),
        "{body}"
    );
    assert_eq!(body["kind"], "invalid-input");

    // Both forms at once are refused before anything is fetched.
    let both = json!({"answers": answers, "interaction_id": "x1"});
    let fetched = gbg.sent(FETCH).len();
    let (status, body) = authorized(&gbg, "POST", "/journeys/abc/interaction", &both.to_string());
    assert_eq!(
        (status, body["kind"].as_str()),
        (400, Some("malformed-request"))
    );
    assert_eq!(gbg.sent(FETCH).len(), fetched);
}

fn notification(
    gbg: &Gbg,
    given: &Given,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Response, Value) {
    call_with(
        gbg,
        given,
        IncomingRequest::new("POST", "/webhooks/gbg", headers).with(body.as_bytes().to_vec()),
    )
}

const WEBHOOK_BASIC: &str = "gbg:webhook-password-SECRET";

fn basic(credentials: &str) -> String {
    format!("Basic {}", STANDARD.encode(credentials))
}

/// The settings with events to [`RECEIVER`].
fn with_events() -> Given {
    let mut given = given();
    given
        .0
        .insert(EVENTS_URL.env, format!("http://127.0.0.1:9{RECEIVER}"));
    given.0.insert(EVENTS_SECRET.env, EVENTS_KEY.into());
    given
}

fn completed_state() -> String {
    r#"{"instanceId":"abc","status":"Completed","metaData":{"createdTime":"2025-01-01T00:00:00Z"},
        "context":{"subject":{"identity":{"firstName":"Ann-PERSONAL"}},
                   "result":{"status":"completed","outcome":"Decision: Accept"}}}"#
        .to_owned()
}

#[test]
fn the_webhook_receiver_checks_credentials_then_answers_no_state() {
    let gbg = Gbg::default();
    let body = r#"{"instanceId":"abc","status":"Completed"}"#;

    let (status, response, problem) = notification(&gbg, &given(), &[], body);
    assert_eq!((status, kind(&problem)), (401, "unauthenticated"));
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Basic realm="gbg-go webhook""#)
    );
    let wrong = basic("gbg:guess");
    let (status, _, _) = notification(&gbg, &given(), &[("authorization", &wrong)], body);
    assert_eq!(status, 401);
    // The service key is no webhook credential.
    let (status, _, _) = notification(&gbg, &given(), &[("authorization", KEY)], body);
    assert_eq!(status, 401);
    assert!(gbg.nothing_sent());

    let right = basic(WEBHOOK_BASIC);
    let (status, _, problem) = notification(
        &gbg,
        &given(),
        &[("authorization", &right)],
        r#"{"status":"Completed"}"#,
    );
    assert_eq!((status, kind(&problem)), (400, "missing-instance-id"));

    // Without events configured: the instance is checked, nothing answered.
    gbg.script(STATE, 200, &[], &completed_state());
    let (status, response, _) = notification(&gbg, &given(), &[("authorization", &right)], body);
    assert_eq!((status, response.body.len()), (204, 0));
    assert_eq!(gbg.sent(STATE).len(), 1);
    gbg.script(
        STATE,
        404,
        &[],
        r#"{"errors":[{"code":"4004","name":"NOT_FOUND","location":"Body","problem":"no such instance","action":"check"}]}"#,
    );
    let (status, _, problem) = notification(&gbg, &given(), &[("authorization", &right)], body);
    assert_eq!((status, kind(&problem)), (404, "not-found"));
    assert!(!problem.to_string().contains("PERSONAL"));
}

#[test]
fn a_notification_becomes_a_signed_event_without_personal_data() {
    let gbg = Gbg::default();
    gbg.clock.advance(5_000);
    gbg.script(STATE, 200, &[], &completed_state());
    gbg.script(RECEIVER, 204, &[], "");
    let right = basic(WEBHOOK_BASIC);
    let notice = r#"{"instanceId":"abc"}"#;
    let (status, response, _) =
        notification(&gbg, &with_events(), &[("authorization", &right)], notice);
    assert_eq!((status, response.body.len()), (204, 0), "no state answered");

    let sent = &gbg.sent(RECEIVER)[0];
    let header = |name| sent.header(name).unwrap().to_owned();
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    assert_eq!(timestamp, ((EPOCH_MS + 5_000) / 1000).to_string());
    assert_eq!(header("content-type"), "application/json");
    let key = SigningKey::parse(EVENTS_KEY).unwrap();
    assert_eq!(
        header("webhook-signature"),
        key.sign(&id, timestamp.parse().unwrap(), &sent.body)
    );
    let event: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(event["type"], "journey.completed");
    assert_eq!(event["data"]["instance_id"], "abc");
    assert_eq!(event["data"]["decision"]["outcome"], "Decision: Accept");
    assert!(event["data"].get("state").is_none(), "{event}");
    assert!(!String::from_utf8_lossy(&sent.body).contains("PERSONAL"));

    // The same notice again: the same event id, signed anew.
    gbg.clock.advance(2_000);
    gbg.script(STATE, 200, &[], &completed_state());
    gbg.script(RECEIVER, 204, &[], "");
    notification(&gbg, &with_events(), &[("authorization", &right)], notice);
    let again = &gbg.sent(RECEIVER)[1];
    assert_eq!(again.header("webhook-id"), Some(id.as_str()));
    assert_ne!(
        again.header("webhook-signature"),
        sent.header("webhook-signature")
    );

    // With the state asked for, it is all there.
    let mut include = with_events();
    include.0.insert(EVENTS_INCLUDE_STATE.env, "true".into());
    gbg.script(STATE, 200, &[], &completed_state());
    gbg.script(RECEIVER, 200, &[], "");
    notification(&gbg, &include, &[("authorization", &right)], notice);
    let event: Value = serde_json::from_slice(&gbg.sent(RECEIVER)[2].body).unwrap();
    assert_eq!(
        event["data"]["state"]["context"]["subject"]["identity"]["firstName"],
        "Ann-PERSONAL"
    );
}

#[test]
fn a_receiver_that_refuses_or_is_down_makes_the_sender_retry() {
    let gbg = Gbg::default();
    let right = basic(WEBHOOK_BASIC);
    let notice = r#"{"instanceId":"abc"}"#;
    gbg.script(STATE, 200, &[], &completed_state());
    gbg.script(RECEIVER, 500, &[], "{}");
    let (status, _, problem) =
        notification(&gbg, &with_events(), &[("authorization", &right)], notice);
    assert_eq!((status, kind(&problem)), (502, "event-refused"));
    assert!(
        problem["detail"].as_str().unwrap().contains("answered 500"),
        "{problem}"
    );

    gbg.script(STATE, 200, &[], &completed_state());
    gbg.net
        .script(RECEIVER, [broken(TransportKind::ConnectionRefused)]);
    let (status, _, problem) =
        notification(&gbg, &with_events(), &[("authorization", &right)], notice);
    assert_eq!((status, kind(&problem)), (502, "event-undelivered"));
    assert!(!problem.to_string().contains("PERSONAL"));
}

#[test]
fn the_webhook_receiver_takes_a_key_header_and_fails_closed_without_one() {
    let gbg = Gbg::default();
    let mut header = given();
    header.0.remove(WEBHOOK_USERNAME.env);
    header.0.remove(WEBHOOK_PASSWORD.env);
    header.0.insert(WEBHOOK_HEADER.env, "X-Webhook-Key".into());
    header
        .0
        .insert(WEBHOOK_KEY.env, "webhook-key-SECRET".into());
    gbg.script(STATE, 200, &[], &state_answer("Completed"));
    let body = r#"{"data":{"instanceId":"abc"}}"#;
    let key = [("x-webhook-key", "webhook-key-SECRET")];
    let (status, _, _) = notification(&gbg, &header, &key, body);
    assert_eq!(status, 204);
    let (status, _, problem) = notification(&gbg, &header, &[("x-webhook-key", "nope")], body);
    assert_eq!(status, 401, "{problem}");

    let mut none = given();
    none.0.remove(WEBHOOK_USERNAME.env);
    none.0.remove(WEBHOOK_PASSWORD.env);
    let (status, _, problem) = notification(&gbg, &none, &key, body);
    assert_eq!((status, kind(&problem)), (503, "not-configured"));
}

#[test]
fn credentials_are_checked_before_any_body_is_read() {
    let gbg = Gbg::default();
    let wrong = basic("gbg:guess");
    for (path, headers) in [
        ("/journeys", vec![]),
        ("/journeys", vec![("authorization", "Bearer wrong")]),
        ("/journeys/abc/interaction", vec![]),
        ("/webhooks/gbg", vec![("authorization", wrong.as_str())]),
    ] {
        let stalled = Stalled::default();
        let head = IncomingRequest::new("POST", path, &headers);
        let (status, _, _) = answered(handle(
            &head,
            &mut &stalled,
            &Config::resolve(&given()),
            &gbg,
        ));
        assert_eq!(status, 401, "{path}");
        assert!(!stalled.read.get(), "{path}: the body was read");
    }
    // An admitted caller whose body stalls gets 408 at the deadline.
    let right = basic(WEBHOOK_BASIC);
    for (path, headers) in [
        ("/journeys", vec![("authorization", KEY)]),
        ("/webhooks/gbg", vec![("authorization", right.as_str())]),
    ] {
        let stalled = Stalled::default();
        let mut slow = given();
        slow.0.insert(BODY_TIMEOUT_MS.env, "250".into());
        let head = IncomingRequest::new("POST", path, &headers);
        let (status, _, problem) =
            answered(handle(&head, &mut &stalled, &Config::resolve(&slow), &gbg));
        assert_eq!(
            (status, problem["kind"].as_str()),
            (408, Some("request-timeout")),
            "{path}"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains("250 ms"),
            "{problem}"
        );
    }
    // A declared length over the cap is refused unread.
    let stalled = Stalled::default();
    let head = IncomingRequest::new(
        "POST",
        "/journeys",
        &[("authorization", KEY), ("content-length", "1048577")],
    );
    let (status, _, _) = answered(handle(
        &head,
        &mut &stalled,
        &Config::resolve(&given()),
        &gbg,
    ));
    assert_eq!(status, 413);
    assert!(!stalled.read.get());
    assert!(gbg.nothing_sent());
}

fn start_with_key(gbg: &Gbg, key: &str, body: &str) -> (u16, Response, Value) {
    call_with(
        gbg,
        &given(),
        IncomingRequest::new(
            "POST",
            "/journeys",
            &[("authorization", KEY), ("idempotency-key", key)],
        )
        .with(body),
    )
}

#[test]
fn one_idempotency_key_starts_one_journey() {
    let gbg = Gbg::default();
    gbg.script(START, 201, &[], &started("abc"));
    let (status, first, body) = start_with_key(&gbg, "order-1", r#"{"delivery":"page"}"#);
    assert_eq!(status, 201, "{body}");
    let (status, again, _) = start_with_key(&gbg, "order-1", r#"{"delivery":"page"}"#);
    assert_eq!(status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), Some("/journeys/abc"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(gbg.sent(START).len(), 1, "started once");

    let (status, _, problem) = start_with_key(&gbg, "order-1", r#"{"delivery":"api"}"#);
    assert_eq!((status, kind(&problem)), (422, "idempotency-key-reused"));
    assert_eq!(gbg.sent(START).len(), 1);

    // A start that failed leaves the key free for a retry.
    gbg.script(START, 400, &[], r#"{"errors":[]}"#);
    assert_eq!(start_with_key(&gbg, "order-2", "").0, 400);
    gbg.script(START, 201, &[], &started("abd"));
    let (status, _, body) = start_with_key(&gbg, "order-2", "");
    assert_eq!((status, body["instance_id"].as_str()), (201, Some("abd")));
    assert_eq!(gbg.sent(START).len(), 3);

    let (status, _, problem) = start_with_key(&gbg, "", "");
    assert_eq!((status, field(&problem)), (400, Some("Idempotency-Key")));
}

#[test]
fn plain_http_off_this_machine_is_refused_before_any_connection() {
    let gbg = Gbg::default();
    for (setting, url) in [
        (BASE_URL, "http://api.example.com/v2/captain"),
        (TOKEN_URL, "http://auth.example.com/as/token.oauth2"),
    ] {
        let mut given = given();
        given.0.insert(setting.env, url.into());
        let request =
            IncomingRequest::new("GET", "/ready", &[("authorization", KEY)]).with(Vec::new());
        let (status, _, problem) = call_with(&gbg, &given, request);
        assert_eq!(
            (status, problem["field"].as_str()),
            (503, Some(setting.env)),
            "{problem}"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains("plain http"),
            "{problem}"
        );
    }
    let mut events = with_events();
    events
        .0
        .insert(EVENTS_URL.env, "http://hooks.example.com/gbg".into());
    let right = basic(WEBHOOK_BASIC);
    let (status, _, problem) = notification(
        &gbg,
        &events,
        &[("authorization", &right)],
        r#"{"instanceId":"abc"}"#,
    );
    assert_eq!((status, field(&problem)), (503, Some("GBG_GO_EVENTS_URL")));
    assert!(gbg.nothing_sent(), "no connection was made");
}

#[test]
fn short_keys_close_the_routes_they_guard() {
    let gbg = Gbg::default();
    let mut short = given();
    short.0.insert(SERVICE_KEY.env, "a".into());
    let request =
        IncomingRequest::new("GET", "/ready", &[("authorization", "Bearer a")]).with(Vec::new());
    let (status, _, problem) = call_with(&gbg, &short, request);
    assert_eq!((status, field(&problem)), (503, Some("GBG_GO_SERVICE_KEY")));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("16 characters"),
        "{problem}"
    );
    let mut short = given();
    short.0.insert(WEBHOOK_PASSWORD.env, "pw".into());
    let (status, _, problem) =
        notification(&gbg, &short, &[("authorization", &basic("gbg:pw"))], "{}");
    assert_eq!(
        (status, field(&problem)),
        (503, Some("GBG_GO_WEBHOOK_PASSWORD"))
    );
    assert!(gbg.nothing_sent());
}

/// A store that keeps nothing.
struct Forgetful;

impl gbg_go_core::token_store::TokenStore for Forgetful {
    fn get(&mut self, _: &str) -> Option<Vec<u8>> {
        None
    }

    fn set(&mut self, _: &str, _: &[u8]) {}
}

impl Store for Forgetful {
    fn insert_new(&mut self, _: &str, _: &[u8]) -> Result<bool, String> {
        Ok(true)
    }

    fn remove(&mut self, _: &str) {}
}

/// An engine that reuses its instance: it keeps the last session, and its
/// store keeps nothing.
#[derive(Default)]
struct Reused {
    gbg: Gbg,
    kept: std::cell::RefCell<Option<Kept<FakeTransport, FakeClock>>>,
}

impl Engine for Reused {
    type Transport = FakeTransport;
    type Clock = FakeClock;

    fn transport(&self) -> FakeTransport {
        self.gbg.net.clone()
    }

    fn clock(&self) -> FakeClock {
        self.gbg.clock.clone()
    }

    fn store(&self, _: &StoreChoice) -> Box<dyn Store> {
        Box::new(Forgetful)
    }

    fn kept_session(
        &self,
        client: &gbg_go_core::types::ClientConfig,
        store: &StoreChoice,
    ) -> Option<Session<FakeTransport, FakeClock>> {
        self.kept.take()?.for_settings(client, store)
    }

    fn keep_session(&self, kept: Kept<FakeTransport, FakeClock>) {
        *self.kept.borrow_mut() = Some(kept);
    }
}

#[test]
fn a_reused_instance_keeps_its_session_for_the_same_settings() {
    let engine = Reused::default();
    let ready = |given: &Given| {
        engine.gbg.script(HEALTH, 200, &[], r#"{"message":"ok"}"#);
        let head = IncomingRequest::new("GET", "/ready", &[("authorization", KEY)]);
        answered(handle(
            &head,
            &mut Vec::new(),
            &Config::resolve(given),
            &engine,
        ))
        .0
    };
    assert_eq!(ready(&given()), 200);
    assert_eq!(ready(&given()), 200);
    assert_eq!(engine.gbg.sent(TOKEN).len(), 1, "the kept session's token");
    // Other settings: a new session, a new token.
    let mut rotated = given();
    rotated
        .0
        .insert(crate::settings::CLIENT_SECRET.env, "client-SECRET-2".into());
    assert_eq!(ready(&rotated), 200);
    assert_eq!(engine.gbg.sent(TOKEN).len(), 2);
}
