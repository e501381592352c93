//! The API against a scripted GBG GO, on the native target.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gbg_go_core::http::Request;
use gbg_go_core::testing::paths::{DELETE, FETCH, HEALTH, START, STATE, SUBMIT};
use gbg_go_core::testing::{FakeClock, FakeTransport, TOKEN_PATH as TOKEN, answer_with};
use serde_json::Value;

use super::*;
use crate::settings::tests::{Given, given};
use crate::settings::{
    SERVICE_KEY, WEBHOOK_HEADER, WEBHOOK_KEY, WEBHOOK_PASSWORD, WEBHOOK_USERNAME,
};
use crate::stores::InstanceStore;

const KEY: &str = "Bearer service-key-SECRET";

/// GBG GO as the protocol core's tests script it, on virtual time.
#[derive(Clone)]
struct Gbg {
    clock: FakeClock,
    net: FakeTransport,
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

/// Sends `request` to the service under the settings `given` describes.
fn call_with(gbg: &Gbg, given: &Given, request: IncomingRequest) -> (u16, Response, Value) {
    let config = Config::resolve(given);
    let response = handle(&request, &config, |client, _| {
        Session::open(client, gbg.net.clone(), gbg.clock.clone())
            .map(|c| c.with_token_store(Box::new(InstanceStore)))
    });
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
        IncomingRequest::new(method, path, headers, body.as_bytes().to_vec()),
    );
    (status, body)
}

fn authorized(gbg: &Gbg, method: &str, path: &str, body: &str) -> (u16, Value) {
    call(gbg, method, path, &[("authorization", KEY)], body)
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
        IncomingRequest::new("GET", "/health", &[], Vec::new()),
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
        let request = IncomingRequest::new(method, path, &[("authorization", KEY)], Vec::new());
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
            IncomingRequest::new("GET", "/journeys/abc", &headers, Vec::new()),
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
    gbg.script(
        START,
        201,
        &[],
        r#"{"instanceId":"abc","status":"started"}"#,
    );
    assert_eq!(authorized(&gbg, "POST", "/journeys", "").0, 201);
    let mut no_default = given();
    no_default.0.remove(crate::settings::RESOURCE_ID.env);
    let request = IncomingRequest::new(
        "POST",
        "/journeys",
        &[("authorization", KEY)],
        b"{}".to_vec(),
    );
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
        b"{}".to_vec(),
    );
    let (status, _, body) = call_with(&gbg, &given(), request);
    assert_eq!(
        (status, body["kind"].as_str()),
        (415, Some("unsupported-media-type"))
    );
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
        IncomingRequest::new(
            "DELETE",
            "/journeys/abc",
            &[("authorization", KEY)],
            Vec::new(),
        ),
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
    assert_eq!((status, body["field"].as_str()), (400, Some("instance-id")));

    for _ in 0..4 {
        gbg.script(STATE, 429, &[("retry-after", "2")], "{}");
    }
    let (status, response, body) = call_with(
        &gbg,
        &given(),
        IncomingRequest::new(
            "GET",
            "/journeys/abc",
            &[("authorization", KEY)],
            Vec::new(),
        ),
    );
    assert_eq!((status, body["kind"].as_str()), (429, Some("rate-limited")));
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
    assert_eq!((status, body["kind"].as_str()), (502, Some("unauthorized")));
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
    let request = IncomingRequest::new(
        "GET",
        "/journeys/abc",
        &[("authorization", KEY)],
        Vec::new(),
    );
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

fn notification(
    gbg: &Gbg,
    given: &Given,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Response, Value) {
    call_with(
        gbg,
        given,
        IncomingRequest::new("POST", "/webhooks/gbg", headers, body.as_bytes().to_vec()),
    )
}

#[test]
fn the_webhook_receiver_checks_credentials_then_answers_the_state() {
    let gbg = Gbg::default();
    let basic = format!("Basic {}", STANDARD.encode("gbg:webhook-SECRET"));
    let wrong = format!("Basic {}", STANDARD.encode("gbg:guess"));
    let body = r#"{"instanceId":"abc","status":"Completed"}"#;

    let (status, response, problem) = notification(&gbg, &given(), &[], body);
    assert_eq!(
        (status, problem["kind"].as_str()),
        (401, Some("unauthenticated"))
    );
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Basic realm="gbg-go webhook""#)
    );
    let (status, _, _) = notification(&gbg, &given(), &[("authorization", &wrong)], body);
    assert_eq!(status, 401);
    // The service key is no webhook credential.
    let (status, _, _) = notification(&gbg, &given(), &[("authorization", KEY)], body);
    assert_eq!(status, 401);
    assert!(gbg.nothing_sent());

    let (status, _, problem) = notification(
        &gbg,
        &given(),
        &[("authorization", &basic)],
        r#"{"status":"Completed"}"#,
    );
    assert_eq!(
        (status, problem["kind"].as_str()),
        (400, Some("missing-instance-id"))
    );

    gbg.script(STATE, 200, &[], &state_answer("Completed"));
    let (status, _, state) = notification(&gbg, &given(), &[("authorization", &basic)], body);
    assert_eq!(status, 200);
    assert_eq!(state["instance_id"], "abc");
    assert_eq!(state["status"], "Completed");
}

#[test]
fn the_webhook_receiver_takes_a_key_header_and_fails_closed_without_one() {
    let gbg = Gbg::default();
    let mut header = given();
    header.0.remove(WEBHOOK_USERNAME.env);
    header.0.remove(WEBHOOK_PASSWORD.env);
    header.0.insert(WEBHOOK_HEADER.env, "X-Webhook-Key".into());
    header.0.insert(WEBHOOK_KEY.env, "hook-SECRET".into());
    gbg.script(STATE, 200, &[], &state_answer("Completed"));
    let body = r#"{"data":{"instanceId":"abc"}}"#;
    let (status, _, _) = notification(&gbg, &header, &[("x-webhook-key", "hook-SECRET")], body);
    assert_eq!(status, 200);
    let (status, _, problem) = notification(&gbg, &header, &[("x-webhook-key", "nope")], body);
    assert_eq!(status, 401, "{problem}");

    let mut none = given();
    none.0.remove(WEBHOOK_USERNAME.env);
    none.0.remove(WEBHOOK_PASSWORD.env);
    let (status, _, problem) = notification(&gbg, &none, &[("x-webhook-key", "hook-SECRET")], body);
    assert_eq!(
        (status, problem["kind"].as_str()),
        (503, Some("not-configured"))
    );
}
