//! The client against a scripted transport on virtual time.

use std::fmt::Debug;

use super::*;
use crate::http::SendError;
use crate::testing::paths::{DELETE, FETCH, HEALTH, START, STATE, SUBMIT};
use crate::testing::{
    CLIENT_SECRET, EPOCH_MS, FakeClock, FakeTransport, MARKER, MemoryStore, ODD_SECRET, Scripted,
    TOKEN_PATH, answer, answer_with, api_failure_of, broken, config, echoes, problem,
};
use crate::types::{
    ClientCredentialsGrant, Delivery, Grant, InteractionAuth, Participant, RetryPolicy,
    TransportKind,
};

const BASE: &str = "https://api.test/v2/captain";
const DEVICE_START: &str = "/v2/captain/journey/device/start";
const DEVICE_CONNECT: &str = "/v2/captain/journey/device/connect";
const INSTANCE: &str = "Pq_hhIX6-sHUy9FLSDzPLu";

struct Harness {
    clock: FakeClock,
    net: FakeTransport,
    client: Session<FakeTransport, FakeClock>,
}

fn harness(configure: impl FnOnce(&mut ClientConfig)) -> Harness {
    let clock = FakeClock::default();
    let net = FakeTransport::new(&clock);
    let mut c = config(BASE);
    configure(&mut c);
    let client = Session::open(c, net.clone(), clock.clone()).unwrap();
    Harness { clock, net, client }
}

fn default_harness() -> Harness {
    harness(|_| {})
}

/// A [`default_harness`] whose requests to `path` get `answers`.
fn scripted(path: &str, answers: impl IntoIterator<Item = Scripted>) -> Harness {
    let h = default_harness();
    h.net.script(path, answers);
    h
}

/// A [`default_harness`] whose state fetches get `answers`, and the error
/// of fetching the state.
fn failed_fetch(answers: impl IntoIterator<Item = Scripted>) -> (Harness, Error) {
    let mut h = scripted(STATE, answers);
    let error = err(h.fetch_state());
    (h, error)
}

impl Harness {
    /// `fetch-journey-state` of [`INSTANCE`] without filter keys.
    fn fetch_state(&mut self) -> Result<JourneyState, Error> {
        self.client.fetch_journey_state(INSTANCE, &[])
    }

    /// `wait-for-completion` of [`INSTANCE`].
    fn wait(&mut self, poll_interval_ms: u32, timeout_ms: u32) -> Result<JourneyState, Error> {
        self.client
            .wait_for_completion(INSTANCE, wait_options(poll_interval_ms, timeout_ms))
    }

    /// `start-journey` of [`start_request`].
    fn start(&mut self) -> Result<StartedJourney, Error> {
        self.client.start_journey(&start_request())
    }

    /// How many requests went to `path`.
    fn sent(&self, path: &str) -> usize {
        self.net.seen_at(path).len()
    }
}

/// The server's message in `error`.
fn message(error: &Error) -> Option<&str> {
    api_failure_of(error).message.as_deref()
}

/// The error of `result`, after checking that neither its `Debug` nor its
/// `Display` output contains a secret. Every error in these tests passes
/// through here.
fn err<T: Debug>(result: Result<T, Error>) -> Error {
    let error = result.expect_err("expected an error");
    for text in [format!("{error:?}"), format!("{error}")] {
        assert!(!text.contains(MARKER), "secret in error output: {text}");
    }
    error
}

fn state(status: &str) -> String {
    format!(r#"{{"instanceId":"{INSTANCE}","status":"{status}"}}"#)
}

/// A 429 asking to retry after `retry_after`, then a state with `status`.
fn limited_then(retry_after: &str, status: &str) -> [Scripted; 2] {
    [
        answer_with(429, &[("Retry-After", retry_after)], "{}"),
        answer(200, &state(status)),
    ]
}

fn states(status: &str, n: usize) -> Vec<Result<Response, SendError>> {
    (0..n).map(|_| answer(200, &state(status))).collect()
}

fn bearers(h: &Harness, path: &str) -> Vec<String> {
    h.net
        .seen_at(path)
        .iter()
        .map(|s| s.bearer().unwrap_or("<none>").to_owned())
        .collect()
}

fn start_request() -> StartRequest {
    StartRequest {
        resource_id: "97c8b0c5@latest".into(),
        delivery: Delivery::Page,
        subject: None,
    }
}

fn started(body: &str) -> Result<Response, SendError> {
    answer(201, body)
}

/// A harness whose first `journey/start` is answered by `first` and the
/// next one starts `abc`.
fn start_after(first: Result<Response, SendError>) -> Harness {
    let h = default_harness();
    h.net
        .script(START, [first, started(r#"{"instanceId":"abc"}"#)]);
    h
}

/// Checks that a start whose first attempt gets `failed` is sent again and
/// starts the journey.
fn assert_start_retried(failed: Scripted) {
    let mut h = start_after(failed);
    assert_eq!(h.start().unwrap().instance_id, "abc");
    assert_eq!(h.sent(START), 2);
}

/// Checks that after `fresh_ms` more the token is still used, and one
/// millisecond later a new one is fetched.
fn assert_token_renewed_after(h: &mut Harness, fresh_ms: u64) {
    h.clock.advance(fresh_ms);
    h.fetch_state().unwrap();
    assert_eq!(h.sent(TOKEN_PATH), 1);
    h.clock.advance(1);
    h.fetch_state().unwrap();
    assert_eq!(h.sent(TOKEN_PATH), 2);
}

// ---- tokens -------------------------------------------------------------

#[test]
fn token_is_cached_and_refreshed_margin_before_expiry() {
    let mut h = scripted(STATE, states("InProgress", 4));
    h.fetch_state().unwrap();
    h.fetch_state().unwrap();
    assert_eq!(h.sent(TOKEN_PATH), 1);
    // Issued at 0 for 3600 s with a 60 s margin: fresh until 3 540 000 ms.
    assert_token_renewed_after(&mut h, 3_539_999);
    assert_eq!(
        bearers(&h, STATE),
        ["at-SECRET-1", "at-SECRET-1", "at-SECRET-1", "at-SECRET-2"]
    );
}

#[test]
fn authenticate_forces_a_new_token_and_reports_its_lifetime() {
    let mut h = default_harness();
    h.clock.advance(500);
    let info = h.client.authenticate().unwrap();
    assert_eq!(
        info,
        TokenInfo {
            token_type: "Bearer".into(),
            expires_in_s: 3600,
            expires_at_ms: EPOCH_MS + 500 + 3_600_000,
        }
    );
    h.client.authenticate().unwrap();
    let tokens = h.net.seen_at(TOKEN_PATH);
    assert_eq!(tokens.len(), 2);
    let request = &tokens[0].request;
    assert_eq!(request.url.as_str(), "https://auth.test/as/token.oauth2");
    assert_eq!(request.header("authorization"), None);
    let body = String::from_utf8(request.body.clone()).unwrap();
    assert!(body.starts_with("grant_type=client_credentials&client_id=client-id"));
    h.net.script(STATE, states("InProgress", 1));
    h.fetch_state().unwrap();
    assert_eq!(bearers(&h, STATE), ["at-SECRET-2"]);
}

#[test]
fn short_lived_tokens_are_reused_for_half_their_life() {
    let mut h = scripted(
        TOKEN_PATH,
        [answer(
            200,
            r#"{"access_token":"at-SECRET-short","expires_in":60}"#,
        )],
    );
    h.net.script(STATE, states("InProgress", 3));
    h.fetch_state().unwrap();
    assert_token_renewed_after(&mut h, 29_999);
}

#[test]
fn bad_credentials_are_unauthorized_without_retry() {
    let mut h = scripted(
        TOKEN_PATH,
        [answer(
            401,
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        )],
    );
    let error = err(h.fetch_state());
    let Error::Unauthorized(f) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        f.message.as_deref(),
        Some("invalid_client"),
        "a token endpoint's free text is not copied"
    );
    assert_eq!(f.request_id.as_deref(), Some("req-401"));
    assert_eq!(h.net.seen().len(), 1, "no retry, no API call");
}

#[test]
fn malformed_token_answer_is_invalid_response() {
    let mut h = scripted(TOKEN_PATH, [answer(200, r#"{"token_type":"Bearer"}"#)]);
    let error = err(h.client.authenticate());
    assert_eq!(
        error,
        Error::InvalidResponse(crate::types::InvalidResponse {
            status: 200,
            request_id: Some("req-200".into()),
            reason: "missing field access_token".into(),
        })
    );
}

// ---- tokens shared through a store ---------------------------------------

/// A client like [`default_harness`]'s, on its transport and clock, sharing
/// tokens through `store`: another instance of the same component.
fn instance(h: &Harness, store: &MemoryStore) -> Session<FakeTransport, FakeClock> {
    Session::open(config(BASE), h.net.clone(), h.clock.clone())
        .unwrap()
        .with_token_store(Box::new(store.clone()))
}

#[test]
fn instances_sharing_a_store_fetch_one_token_per_lifetime() {
    let h = default_harness();
    let store = MemoryStore::default();
    h.net.script(STATE, states("InProgress", 4));
    for _ in 0..3 {
        instance(&h, &store)
            .fetch_journey_state(INSTANCE, &[])
            .unwrap();
        h.clock.advance(1_000_000);
    }
    assert_eq!(h.sent(TOKEN_PATH), 1, "one token for three instances");
    // At 3 000 s the token is inside its 60 s margin after 540 s more.
    h.clock.advance(540_000);
    instance(&h, &store)
        .fetch_journey_state(INSTANCE, &[])
        .unwrap();
    assert_eq!(h.sent(TOKEN_PATH), 2);
    assert_eq!(
        bearers(&h, STATE),
        ["at-SECRET-1", "at-SECRET-1", "at-SECRET-1", "at-SECRET-2"]
    );
    assert_eq!(store.entries().len(), 1, "the new token replaced the old");
}

#[test]
fn prepare_fetches_a_token_only_when_none_is_fresh() {
    let h = default_harness();
    let store = MemoryStore::default();
    instance(&h, &store).prepare().unwrap();
    instance(&h, &store).prepare().unwrap();
    assert_eq!(h.sent(TOKEN_PATH), 1);
    h.clock.advance(3_540_000);
    instance(&h, &store).prepare().unwrap();
    assert_eq!(h.sent(TOKEN_PATH), 2);
}

#[test]
fn a_token_refused_with_a_401_is_replaced_in_the_store() {
    let h = default_harness();
    let store = MemoryStore::default();
    h.net.script(
        STATE,
        [
            answer(200, &state("InProgress")),
            answer(401, "{}"),
            answer(200, &state("InProgress")),
            answer(200, &state("InProgress")),
        ],
    );
    instance(&h, &store)
        .fetch_journey_state(INSTANCE, &[])
        .unwrap();
    instance(&h, &store)
        .fetch_journey_state(INSTANCE, &[])
        .unwrap();
    instance(&h, &store)
        .fetch_journey_state(INSTANCE, &[])
        .unwrap();
    assert_eq!(
        bearers(&h, STATE),
        ["at-SECRET-1", "at-SECRET-1", "at-SECRET-2", "at-SECRET-2"]
    );
    assert_eq!(h.sent(TOKEN_PATH), 2);
}

#[test]
fn a_store_holding_another_credential_sets_token_is_not_used() {
    let h = default_harness();
    let store = MemoryStore::default();
    let mut other = config(BASE);
    other.grant = Grant::ClientCredentials(ClientCredentialsGrant {
        client_id: "client-id".into(),
        client_secret: "rotated-SECRET".into(),
        scope: None,
    });
    h.net.script(STATE, states("InProgress", 2));
    Session::open(other, h.net.clone(), h.clock.clone())
        .unwrap()
        .with_token_store(Box::new(store.clone()))
        .fetch_journey_state(INSTANCE, &[])
        .unwrap();
    instance(&h, &store)
        .fetch_journey_state(INSTANCE, &[])
        .unwrap();
    assert_eq!(bearers(&h, STATE), ["at-SECRET-1", "at-SECRET-2"]);
    assert_eq!(store.entries().len(), 2, "one entry per credential set");
}

// ---- 401 handling -------------------------------------------------------

#[test]
fn a_401_reauthenticates_once_and_retries_once() {
    let mut h = scripted(STATE, [answer(401, "{}"), answer(200, &state("Completed"))]);
    let s = h.fetch_state().unwrap();
    assert_eq!(s.status, JourneyStatus::Completed);
    assert_eq!(h.sent(TOKEN_PATH), 2);
    assert_eq!(bearers(&h, STATE), ["at-SECRET-1", "at-SECRET-2"]);
}

#[test]
fn a_second_401_is_unauthorized() {
    let (h, error) = failed_fetch([answer(401, "{}"), answer(401, "{}"), answer(200, "{}")]);
    assert!(
        matches!(&error, Error::Unauthorized(f) if f.status == 401),
        "{error:?}"
    );
    assert_eq!(h.sent(TOKEN_PATH), 2);
    assert_eq!(h.sent(STATE), 2);
}

#[test]
fn start_journey_is_retried_once_after_a_401() {
    assert_start_retried(answer(401, "{}"));
}

// ---- retries ------------------------------------------------------------

#[test]
fn a_429_with_retry_after_waits_exactly_that_long() {
    let mut h = scripted(STATE, limited_then("2", "InProgress"));
    h.fetch_state().unwrap();
    assert_eq!(h.clock.sleeps(), [2_000]);
    assert_eq!(h.clock.now(), 2_000);
    let seen = h.net.seen_at(STATE);
    assert_eq!(seen[1].at_ms - seen[0].at_ms, 2_000);
}

#[test]
fn a_429_with_an_http_date_retry_after_waits_until_then() {
    let mut h = default_harness();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(EPOCH_MS + 3_000);
    let date = httpdate::fmt_http_date(at);
    h.net.script(STATE, limited_then(&date, "InProgress"));
    h.fetch_state().unwrap();
    assert_eq!(h.clock.sleeps(), [3_000]);
}

#[test]
fn a_429_without_retry_after_backs_off() {
    let mut h = default_harness();
    h.clock.set_random(200);
    h.net.script(
        STATE,
        [
            answer(429, "{}"),
            answer(429, "{}"),
            answer(200, &state("InProgress")),
        ],
    );
    h.fetch_state().unwrap();
    // Full jitter: 200 % (250 + 1) and 200 % (500 + 1).
    assert_eq!(h.clock.sleeps(), [200, 200]);
    h.clock.set_random(u64::MAX);
    h.net.script(
        STATE,
        [answer(429, "{}"), answer(200, &state("InProgress"))],
    );
    h.fetch_state().unwrap();
    assert!(h.clock.sleeps()[2] <= 250);
}

#[test]
fn a_retry_after_beyond_max_backoff_returns_rate_limited_at_once() {
    let (h, error) = failed_fetch(limited_then("60", "Completed"));
    let Error::RateLimited(limited) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(limited.retry_after_ms, Some(60_000));
    assert_eq!(limited.failure.status, 429);
    assert!(h.clock.sleeps().is_empty());
    assert_eq!(h.sent(STATE), 1);
}

#[test]
fn server_error_bursts_within_the_attempts_succeed() {
    for status in [500, 502, 503, 504] {
        let mut h = default_harness();
        h.clock.set_random(100);
        h.net.script(STATE, (0..3).map(|_| answer(status, "{}")));
        h.net.script(STATE, states("Completed", 1));
        let s = h.fetch_state().unwrap();
        assert_eq!(s.status, JourneyStatus::Completed, "{status}");
        assert_eq!(h.sent(STATE), 4);
        assert_eq!(h.clock.sleeps(), [100, 100, 100]);
    }
}

#[test]
fn longer_server_error_bursts_return_server_error_after_max_attempts() {
    for status in [500, 503] {
        let (h, error) =
            failed_fetch((0..5).map(|_| answer(status, r#"{"message":"Internal server error"}"#)));
        let Error::ServerError(f) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(f.status, status);
        assert_eq!(f.message.as_deref(), Some("Internal server error"));
        assert_eq!(h.sent(STATE), 4);
    }
}

#[test]
fn retries_stop_when_the_next_wait_would_pass_the_budget() {
    let mut h = harness(|c| {
        c.retry = Some(RetryPolicy {
            max_attempts: 10,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 1_000,
            max_elapsed_ms: 2_500,
        });
    });
    h.clock.set_random(1_000);
    h.net.script(STATE, (0..10).map(|_| answer(502, "{}")));
    let error = err(h.fetch_state());
    assert!(matches!(error, Error::ServerError(_)));
    assert_eq!(h.sent(STATE), 3);
    assert_eq!(h.clock.now(), 2_000);
}

#[test]
fn transient_transport_failures_are_retried_for_reads() {
    for kind in [
        TransportKind::ConnectionRefused,
        TransportKind::ConnectionReset,
        TransportKind::Timeout,
        TransportKind::Dns,
    ] {
        let mut h = scripted(STATE, [broken(kind), answer(200, &state("Failed"))]);
        assert_eq!(h.fetch_state().unwrap().status, JourneyStatus::Failed);
    }
    for kind in [
        TransportKind::Denied,
        TransportKind::Tls,
        TransportKind::Protocol,
    ] {
        let (h, error) = failed_fetch([broken(kind), answer(200, &state("Failed"))]);
        assert!(
            matches!(&error, Error::Transport(t) if t.kind == kind),
            "{error:?}"
        );
        assert_eq!(h.sent(STATE), 1);
    }
}

#[test]
fn start_journey_is_retried_only_when_the_request_was_certainly_not_processed() {
    // It may have been processed: not sent again.
    for failed in [
        broken(TransportKind::Timeout),
        broken(TransportKind::ConnectionReset),
        answer(500, "{}"),
        answer(502, "{}"),
        answer(504, "{}"),
    ] {
        let mut h = start_after(failed);
        err(h.start());
        assert_eq!(h.sent(START), 1);
    }
    for failed in [
        broken(TransportKind::Dns),
        broken(TransportKind::ConnectionRefused),
        answer(503, "{}"),
        answer(429, "{}"),
    ] {
        assert_start_retried(failed);
    }
}

#[test]
fn submit_is_not_retried_after_a_timeout() {
    let mut h = scripted(
        SUBMIT,
        [
            broken(TransportKind::Timeout),
            answer(200, r#"{"status":"success"}"#),
        ],
    );
    let error = err(h.client.submit_interaction(&submission()));
    assert!(matches!(&error, Error::Transport(t) if t.kind == TransportKind::Timeout));
    assert_eq!(h.sent(SUBMIT), 1);
}

#[test]
fn redirects_and_oversized_bodies_are_invalid_responses_without_retry() {
    let (mut h, error) = failed_fetch([answer_with(
        307,
        &[("Location", "https://elsewhere.test/x")],
        "",
    )]);
    assert!(matches!(&error, Error::InvalidResponse(r)
        if r.reason == "redirect to https://elsewhere.test/x not followed"));
    let too_large = Err(SendError::InvalidResponse(crate::types::InvalidResponse {
        status: 200,
        request_id: None,
        reason: "response body exceeds 8388608 bytes".into(),
    }));
    h.net
        .script(STATE, [too_large, answer(200, &state("Completed"))]);
    let error = err(h.fetch_state());
    assert!(matches!(&error, Error::InvalidResponse(r) if r.reason.contains("exceeds")));
    assert_eq!(h.sent(STATE), 2);
    assert_eq!(h.net.seen()[1].limits.max_response_bytes, 8 * 1024 * 1024);
}

// ---- error answers and invalid answers ---------------------------------

#[test]
fn a_400_surfaces_every_problem_and_the_request_id() {
    let mut h = scripted(
        START,
        [answer(
            400,
            r#"{"errors":[
                {"code":"4002","name":"MISSING_FIELD","location":"Body",
                 "problem":"Either resourceId or deliveryId is required","action":"Provide one"},
                {"code":"4002","name":"MISSING_FIELD","location":"Body",
                 "problem":"context.subject: Invalid input","action":"Fix it"}]}"#,
        )],
    );
    let error = err(h.start());
    let Error::BadRequest(f) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(f.status, 400);
    assert_eq!(f.request_id.as_deref(), Some("req-400"));
    assert_eq!(f.problems.len(), 2);
    assert_eq!(
        f.problems[1],
        problem(
            "4002",
            "MISSING_FIELD",
            "Body",
            "context.subject: Invalid input",
            "Fix it"
        )
    );
}

#[test]
fn statuses_map_to_error_variants_through_the_client() {
    for (status, check) in [
        (
            403,
            (|e: &Error| matches!(e, Error::Forbidden(_))) as fn(&Error) -> bool,
        ),
        (404, |e| matches!(e, Error::NotFound(_))),
        (410, |e| matches!(e, Error::NotFound(_))),
        (409, |e| matches!(e, Error::BadRequest(_))),
        (422, |e| matches!(e, Error::BadRequest(_))),
    ] {
        let (h, error) = failed_fetch([answer(status, "{}")]);
        assert!(check(&error), "{status}: {error:?}");
        assert_eq!(api_failure_of(&error).status, status);
        assert_eq!(h.sent(STATE), 1);
    }
}

#[test]
fn malformed_success_bodies_are_invalid_responses() {
    for (body, reason) in [
        (
            "<!DOCTYPE html><html><body>Gateway</body></html>",
            "body is not JSON",
        ),
        (r#"{"instanceId":"abc","status":"Comp"#, "body is not JSON"),
        ("", "body is not JSON"),
        (
            r#"{"instanceId":7,"status":"Completed"}"#,
            "field instanceId is not a string",
        ),
        (
            r#"{"instanceId":"abc","status":["Completed"]}"#,
            "field status is not a string",
        ),
        (r#"{"instanceId":"abc"}"#, "missing field status"),
        ("[]", "body is not a JSON object"),
    ] {
        let (h, error) = failed_fetch([answer(200, body)]);
        assert_eq!(
            error,
            Error::InvalidResponse(crate::types::InvalidResponse {
                status: 200,
                request_id: Some("req-200".into()),
                reason: reason.into(),
            }),
            "{body}"
        );
        assert_eq!(h.sent(STATE), 1, "not retried");
    }
}

// ---- journeys -----------------------------------------------------------

#[test]
fn start_journey_request_and_relative_instance_url() {
    let mut h = harness(|c| c.source = Some("gbg-go-tests".into()));
    h.net.script(
        START,
        [started(
            r#"{"instanceId":"abc","instanceUrl":"/journey/abc","status":"started",
                "message":"Journey abc started successfully"}"#,
        )],
    );
    let journey = h
        .client
        .start_journey(&StartRequest {
            resource_id: "97c8b0c5@y5z6bj7o".into(),
            delivery: Delivery::Api,
            subject: Some(r#"{"identity":{"firstName":"Jane"}}"#.into()),
        })
        .unwrap();
    assert_eq!(
        journey,
        StartedJourney {
            instance_id: "abc".into(),
            instance_url: Some("https://api.test/journey/abc".into()),
            status: "started".into(),
            message: Some("Journey abc started successfully".into()),
        }
    );
    let seen = &h.net.seen_at(START)[0];
    assert_eq!(seen.request.method, Method::Post);
    assert_eq!(
        seen.request.header("content-type"),
        Some("application/json")
    );
    assert_eq!(seen.request.header("accept"), Some("application/json"));
    assert_eq!(seen.request.header("x-gbg-source"), Some("gbg-go-tests"));
    assert_eq!(seen.bearer(), Some("at-SECRET-1"));
    assert_eq!(
        seen.json(),
        serde_json::json!({"resourceId":"97c8b0c5@y5z6bj7o",
            "context":{"config":{"delivery":"api"},"subject":{"identity":{"firstName":"Jane"}}}})
    );
    assert_eq!(seen.limits.timeout_ms, 30_000);
}

#[test]
fn instance_urls_use_the_hosted_base_or_stay_absolute() {
    let mut h = harness(|c| c.hosted_base_url = Some("https://hosted.test/".into()));
    h.net.script(
        START,
        [
            started(r#"{"instanceId":"abc","instanceUrl":"/journey/abc"}"#),
            started(r#"{"instanceId":"abc","instanceUrl":"https://other.test/j/abc"}"#),
            started(r#"{"instanceId":"abc"}"#),
        ],
    );
    let url = |h: &mut Harness| h.start().unwrap().instance_url;
    assert_eq!(
        url(&mut h).as_deref(),
        Some("https://hosted.test/journey/abc")
    );
    assert_eq!(url(&mut h).as_deref(), Some("https://other.test/j/abc"));
    assert_eq!(url(&mut h), None);
}

#[test]
fn start_journey_refuses_bad_input_without_sending() {
    let mut h = default_harness();
    let mut request = start_request();
    request.subject = Some("not json".into());
    assert!(matches!(err(h.client.start_journey(&request)),
        Error::InvalidInput(i) if i.field == "subject"));
    request.subject = None;
    request.resource_id = "no-version".into();
    assert!(matches!(err(h.client.start_journey(&request)),
        Error::InvalidInput(i) if i.field == "resource-id"));
    assert!(h.net.seen().is_empty());
}

#[test]
fn fetch_state_maps_statuses_and_sends_filter_keys() {
    let mut h = scripted(
        STATE,
        [
            answer(200, &state("Paused")),
            answer(200, &state("ERROR")),
            answer(200, &state("in_progress")),
        ],
    );
    let s = h
        .client
        .fetch_journey_state(INSTANCE, &["/.*/".into()])
        .unwrap();
    assert_eq!(
        (s.status, s.status_text.as_str()),
        (JourneyStatus::Paused, "Paused")
    );
    let s = h.fetch_state().unwrap();
    assert_eq!(s.status, JourneyStatus::Other("ERROR".into()));
    let s = h.fetch_state().unwrap();
    assert_eq!(s.status, JourneyStatus::InProgress);
    let seen = h.net.seen_at(STATE);
    assert_eq!(
        seen[0].json(),
        serde_json::json!({"instanceId": INSTANCE, "filterKeys": ["/.*/"]})
    );
    assert_eq!(seen[1].json(), serde_json::json!({"instanceId": INSTANCE}));
}

#[test]
fn instance_ids_are_checked_before_sending() {
    let mut h = default_harness();
    for bad in ["", "a b", "../x", &"x".repeat(129)] {
        assert!(matches!(err(h.client.fetch_journey_state(bad, &[])),
            Error::InvalidInput(i) if i.field == "instance-id"));
        assert!(matches!(
            err(h.client.delete_instance(bad)),
            Error::InvalidInput(_)
        ));
        assert!(matches!(
            err(h.client.fetch_interaction(bad)),
            Error::InvalidInput(_)
        ));
    }
    assert!(h.net.seen().is_empty());
}

#[test]
fn delete_and_health() {
    let mut h = harness(|c| c.source = Some("src".into()));
    h.net.script(
        DELETE,
        [answer(200, &format!(r#"{{"instanceId":"{INSTANCE}"}}"#))],
    );
    h.net.script(HEALTH, [answer(200, r#"{"message":"OK"}"#)]);
    h.client.delete_instance(INSTANCE).unwrap();
    assert_eq!(h.client.health().unwrap(), "OK");
    let delete = &h.net.seen_at(DELETE)[0];
    assert_eq!(delete.json(), serde_json::json!({"instanceId": INSTANCE}));
    let health = &h.net.seen_at(HEALTH)[0];
    assert_eq!(health.request.method, Method::Get);
    assert_eq!(health.request.header("authorization"), None);
    assert_eq!(health.request.header("content-type"), None);
    assert_eq!(health.request.header("x-gbg-source"), Some("src"));
    assert!(health.request.body.is_empty());
    assert_eq!(h.sent(TOKEN_PATH), 1, "only delete needed a token");
}

#[test]
fn every_request_names_the_client() {
    let mut h = default_harness();
    h.net.script(HEALTH, [answer(200, r#"{"message":"OK"}"#)]);
    h.net.script(
        DELETE,
        [answer(200, &format!(r#"{{"instanceId":"{INSTANCE}"}}"#))],
    );
    h.client.health().unwrap();
    h.client.delete_instance(INSTANCE).unwrap();
    let client = format!("gbg-go/{}", env!("CARGO_PKG_VERSION"));
    let seen = h.net.seen();
    assert_eq!(seen.len(), 3, "health, token, delete");
    for exchange in &seen {
        let path = exchange.path();
        assert_eq!(
            exchange.request.header("user-agent"),
            Some(client.as_str()),
            "{path}"
        );
        // Without a configured source, X-GBG-Source names the client too.
        assert_eq!(
            exchange.request.header("x-gbg-source"),
            Some(client.as_str()),
            "{path}"
        );
    }
    // A configured source replaces X-GBG-Source only.
    let mut h = harness(|c| c.source = Some("my-app/2.1".into()));
    h.net.script(HEALTH, [answer(200, r#"{"message":"OK"}"#)]);
    h.client.health().unwrap();
    let health = &h.net.seen_at(HEALTH)[0];
    assert_eq!(health.request.header("user-agent"), Some(client.as_str()));
    assert_eq!(health.request.header("x-gbg-source"), Some("my-app/2.1"));
}

// ---- wait-for-completion ------------------------------------------------

fn wait_options(poll_interval_ms: u32, timeout_ms: u32) -> WaitOptions {
    WaitOptions {
        poll_interval_ms,
        timeout_ms,
    }
}

#[test]
fn wait_returns_the_first_state_that_is_not_in_progress() {
    for (text, status) in [
        ("Completed", JourneyStatus::Completed),
        ("Failed", JourneyStatus::Failed),
        ("Paused", JourneyStatus::Paused),
        ("Error", JourneyStatus::Other("Error".into())),
    ] {
        let mut h = scripted(STATE, states("InProgress", 2));
        h.net.script(STATE, [answer(200, &state(text))]);
        let s = h.wait(500, 10_000).unwrap();
        assert_eq!(s.status, status);
        assert_eq!(h.clock.sleeps(), [500, 500]);
        assert_eq!(h.sent(STATE), 3);
    }
}

#[test]
fn wait_times_out_with_the_last_status() {
    let mut h = scripted(STATE, states("InProgress", 10));
    let error = err(h.wait(300, 1_000));
    assert_eq!(
        error,
        Error::Timeout(WaitTimeout {
            instance_id: INSTANCE.into(),
            last_status: Some(JourneyStatus::InProgress),
            waited_ms: 1_000,
        })
    );
    assert_eq!(h.clock.sleeps(), [300, 300, 300, 100]);
    assert_eq!(h.sent(STATE), 4);
}

#[test]
fn wait_shortens_request_timeouts_to_the_deadline() {
    let mut h = scripted(STATE, states("InProgress", 10));
    err(h.wait(400, 1_000));
    let limits: Vec<u32> = h
        .net
        .seen_at(STATE)
        .iter()
        .map(|s| s.limits.timeout_ms)
        .collect();
    assert_eq!(limits, [1_000, 600, 200]);
}

#[test]
fn wait_returns_not_found_at_once() {
    let mut h = scripted(
        STATE,
        [answer(
            404,
            r#"{"errors":[{"code":"4040","name":"NOT_FOUND"}]}"#,
        )],
    );
    let error = err(h.wait(100, 10_000));
    assert!(matches!(&error, Error::NotFound(f) if f.problems[0].name == "NOT_FOUND"));
    assert!(h.clock.sleeps().is_empty());
    assert_eq!(h.sent(STATE), 1);
}

#[test]
fn wait_keeps_polling_through_transient_failures() {
    let mut h = scripted(STATE, (0..4).map(|_| answer(502, "{}")));
    h.net.script(STATE, [answer(200, &state("Completed"))]);
    let s = h.wait(1_000, 60_000).unwrap();
    assert_eq!(s.status, JourneyStatus::Completed);
    assert_eq!(h.sent(STATE), 5);
    assert_eq!(h.clock.sleeps().last(), Some(&1_000));
}

#[test]
fn wait_retry_budget_never_passes_the_deadline() {
    let mut h = scripted(STATE, limited_then("2", "Completed"));
    let error = err(h.wait(100, 1_000));
    assert_eq!(
        error,
        Error::Timeout(WaitTimeout {
            instance_id: INSTANCE.into(),
            last_status: None,
            waited_ms: 1_000,
        })
    );
    assert_eq!(h.sent(STATE), 1);
}

#[test]
fn wait_refuses_bad_options_without_sending() {
    let mut h = default_harness();
    let field = |e: Error| match e {
        Error::InvalidInput(i) => i.field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(err(h.wait(5, 1_000))), "poll-interval-ms");
    assert_eq!(field(err(h.wait(100, 0))), "timeout-ms");
    assert_eq!(
        field(err(h
            .client
            .wait_for_completion("a b", wait_options(100, 10)))),
        "instance-id"
    );
    assert!(h.net.seen().is_empty());
}

// ---- interactions -------------------------------------------------------

const READY: &str = r#"{"instanceId":"Pq_hhIX6-sHUy9FLSDzPLu","interactionId":"grn:::gbg:design:interaction:segment1@latest",
    "journey":{"status":"InProgress"},"interaction":{"collects":[{"ref":"FullName","spec":"required"}],"consumes":[]},
    "outstanding":["FullName"]}"#;

fn submission() -> Submission {
    Submission {
        instance_id: INSTANCE.into(),
        interaction_id: "grn:::gbg:design:interaction:segment1@latest".into(),
        participants: vec![Participant {
            domain_element_id: "FullName".into(),
            instruction: None,
        }],
        subject: r#"{"identity":{"firstName":"Jane","lastNames":["Doe"]}}"#.into(),
    }
}

fn device_flow(net: &FakeTransport, n: u32, expires_in: u32) {
    net.script(
        DEVICE_START,
        [answer(
            200,
            &format!(r#"{{"connectToken":"ct-SECRET-{n}","tokenType":"connect","expiresIn":120,"scope":["any"]}}"#),
        )],
    );
    net.script(
        DEVICE_CONNECT,
        [answer(
            200,
            &format!(r#"{{"endUserToken":"eu-SECRET-{n}","tokenType":"end-user","expiresIn":{expires_in}}}"#),
        )],
    );
}

#[test]
fn interactions_use_the_customer_token_by_default() {
    let mut h = scripted(
        FETCH,
        [
            answer(200, READY),
            answer(200, r#"{"journey":{"status":"InProgress"}}"#),
        ],
    );
    h.net
        .script(SUBMIT, [answer(200, r#"{"status":"success"}"#)]);
    let InteractionStep::Ready(i) = h.client.fetch_interaction(INSTANCE).unwrap() else {
        panic!("not ready")
    };
    assert_eq!(i.outstanding, ["FullName"]);
    h.client.submit_interaction(&submission()).unwrap();
    assert_eq!(
        h.client.fetch_interaction(INSTANCE).unwrap(),
        InteractionStep::NotReady(JourneyStatus::InProgress)
    );
    assert_eq!(bearers(&h, FETCH), ["at-SECRET-1", "at-SECRET-1"]);
    assert_eq!(bearers(&h, SUBMIT), ["at-SECRET-1"]);
    assert!(h.net.seen_at(DEVICE_START).is_empty());
    assert_eq!(
        h.net.seen_at(SUBMIT)[0].json(),
        serde_json::json!({
            "instanceId": INSTANCE,
            "interactionId": "grn:::gbg:design:interaction:segment1@latest",
            "participants": [{"domainElementId": "FullName"}],
            "context": {"subject": {"identity": {"firstName": "Jane", "lastNames": ["Doe"]}}}
        })
    );
}

#[test]
fn a_not_ready_answer_without_a_status_takes_it_from_the_state() {
    let mut h = scripted(
        FETCH,
        [
            answer(
                200,
                r#"{"status":"error","code":404,"message":"No interaction is ready"}"#,
            ),
            answer(200, ""),
            answer(
                200,
                r#"{"journey":{"status":"InProgress"},"processing":true}"#,
            ),
            answer(
                200,
                r#"{"status":"error","code":503,"message":"Service unavailable"}"#,
            ),
        ],
    );
    h.net.script(
        STATE,
        [
            answer(200, &state("Completed")),
            answer(200, &state("Paused")),
        ],
    );
    for expected in [JourneyStatus::Completed, JourneyStatus::Paused] {
        assert_eq!(
            h.client.fetch_interaction(INSTANCE).unwrap(),
            InteractionStep::NotReady(expected)
        );
    }
    assert_eq!(
        h.client.fetch_interaction(INSTANCE).unwrap(),
        InteractionStep::NotReady(JourneyStatus::InProgress)
    );
    assert_eq!(
        h.sent(STATE),
        2,
        "only answers without a status ask the state"
    );
    let error = err(h.client.fetch_interaction(INSTANCE));
    assert!(
        matches!(&error, Error::ServerError(f) if f.status == 503),
        "{error:?}"
    );
    assert_eq!(h.sent(FETCH), 4, "in-body errors are not retried");
    assert_eq!(
        h.net.seen_at(STATE)[0].json(),
        serde_json::json!({"instanceId": INSTANCE})
    );
}

#[test]
fn submit_error_bodies_are_errors() {
    let mut h = scripted(
        SUBMIT,
        [
            answer(
                200,
                r#"{"status":"error","code":500,"message":"Internal server error"}"#,
            ),
            answer(200, r#"{"status":"error","code":409,"message":"Conflict"}"#),
        ],
    );
    let error = err(h.client.submit_interaction(&submission()));
    assert!(matches!(&error, Error::ServerError(f)
        if f.status == 500 && f.message.as_deref() == Some("Internal server error")));
    let error = err(h.client.submit_interaction(&submission()));
    assert!(matches!(&error, Error::BadRequest(f) if f.status == 409));
    assert_eq!(h.sent(SUBMIT), 2, "in-body errors are not retried");
}

#[test]
fn end_user_tokens_come_from_the_device_flow_and_are_cached() {
    let mut h = harness(|c| c.interaction_auth = Some(InteractionAuth::EndUserToken));
    device_flow(&h.net, 1, 86_399);
    h.net.script(FETCH, [answer(200, READY)]);
    h.net
        .script(SUBMIT, [answer(200, r#"{"status":"success"}"#)]);
    h.client.fetch_interaction(INSTANCE).unwrap();
    h.client.submit_interaction(&submission()).unwrap();
    assert_eq!(bearers(&h, DEVICE_START), ["at-SECRET-1"]);
    assert_eq!(bearers(&h, DEVICE_CONNECT), ["ct-SECRET-1"]);
    assert_eq!(bearers(&h, FETCH), ["eu-SECRET-1"]);
    assert_eq!(bearers(&h, SUBMIT), ["eu-SECRET-1"]);
    let start = &h.net.seen_at(DEVICE_START)[0];
    assert_eq!(
        start.json(),
        serde_json::json!({"instanceId": INSTANCE, "scope": ["any"]})
    );
    let connect = h.net.seen_at(DEVICE_CONNECT)[0].json();
    assert_eq!(connect["connectToken"], "ct-SECRET-1");
    let device_id = connect["deviceInfo"]["deviceId"].as_str().unwrap();
    assert_eq!(device_id.len(), 32);
    assert!(device_id.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn end_user_tokens_are_renewed_before_expiry_and_after_a_401() {
    let mut h = harness(|c| c.interaction_auth = Some(InteractionAuth::EndUserToken));
    device_flow(&h.net, 1, 120);
    device_flow(&h.net, 2, 120);
    device_flow(&h.net, 3, 120);
    h.net.script(
        FETCH,
        [
            answer(200, READY),
            answer(200, READY),
            answer(401, "{}"),
            answer(200, READY),
        ],
    );
    h.client.fetch_interaction(INSTANCE).unwrap();
    // 120 s lifetime: the margin is min(60 s, 60 s), so renewal at 60 s.
    h.clock.advance(60_000);
    h.client.fetch_interaction(INSTANCE).unwrap();
    h.client.fetch_interaction(INSTANCE).unwrap();
    assert_eq!(
        bearers(&h, FETCH),
        ["eu-SECRET-1", "eu-SECRET-2", "eu-SECRET-2", "eu-SECRET-3"]
    );
    assert_eq!(h.sent(DEVICE_CONNECT), 3);
    assert_eq!(h.sent(TOKEN_PATH), 1, "the customer token stayed valid");
}

#[test]
fn a_refused_connect_token_is_unauthorized() {
    let mut h = harness(|c| c.interaction_auth = Some(InteractionAuth::EndUserToken));
    h.net.script(
        DEVICE_START,
        [answer(
            200,
            r#"{"connectToken":"ct-SECRET-9","expiresIn":120}"#,
        )],
    );
    h.net.script(
        DEVICE_CONNECT,
        [answer(401, r#"{"message":"bad ct-SECRET-9"}"#)],
    );
    let error = err(h.client.fetch_interaction(INSTANCE));
    assert!(
        matches!(&error, Error::Unauthorized(f) if f.message.as_deref() == Some("bad [redacted]"))
    );
    assert!(h.net.seen_at(FETCH).is_empty());
}

// ---- secrets -----------------------------------------------------------

#[test]
fn secrets_echoed_by_the_server_are_scrubbed_from_errors() {
    let mut h = harness(|c| {
        c.grant = crate::types::Grant::Password(crate::types::PasswordGrant {
            client_id: "org".into(),
            client_secret: CLIENT_SECRET.into(),
            username: "api@example.com".into(),
            password: "pw-SECRET-1".into(),
            scope: None,
        });
    });
    h.net.script(
        TOKEN_PATH,
        [answer(
            400,
            &format!(r#"{{"error":"invalid_grant","error_description":"bad {CLIENT_SECRET} / pw-SECRET-1"}}"#),
        )],
    );
    let error = err(h.client.authenticate());
    assert_eq!(message(&error), Some("invalid_grant"));

    h.net.script(
        STATE,
        [answer(
            400,
            &format!(
                r#"{{"message":"token at-SECRET-1 rejected","errors":[{{"problem":"at-SECRET-1","action":"x"}},{{"problem":"{}"}}]}}"#,
                CLIENT_SECRET.to_uppercase()
            ),
        )],
    );
    let error = err(h.fetch_state());
    assert_eq!(message(&error), Some("token [redacted] rejected"));
    assert_eq!(api_failure_of(&error).problems[0].problem, "[redacted]");
    assert_eq!(api_failure_of(&error).problems[1].problem, "[redacted]");

    h.net.script(
        SUBMIT,
        [answer(
            200,
            r#"{"status":"error","code":500,"message":"echo at-SECRET-1"}"#,
        )],
    );
    err(h.client.submit_interaction(&submission()));

    h.net.script(
        STATE,
        [Err(SendError::Transport(crate::types::TransportError {
            kind: TransportKind::Protocol,
            authority: "api.test".into(),
            message: "header Authorization: Bearer at-SECRET-1".into(),
        }))],
    );
    err(h.fetch_state());
}

#[test]
fn odd_secrets_echoed_in_any_spelling_are_scrubbed() {
    for echo in echoes(ODD_SECRET) {
        let mut h = harness(|c| {
            c.grant =
                crate::types::Grant::ClientCredentials(crate::types::ClientCredentialsGrant {
                    client_id: "client-id".into(),
                    client_secret: ODD_SECRET.into(),
                    scope: None,
                });
        });
        let body = serde_json::json!({
            "message": format!("echo {echo}"),
            "errors": [{"problem": echo}],
        });
        h.net.script(STATE, [answer(400, &body.to_string())]);
        let error = err(h.fetch_state());
        let failure = api_failure_of(&error);
        assert_eq!(
            failure.message.as_deref(),
            Some("echo [redacted]"),
            "{echo}"
        );
        assert_eq!(failure.problems[0].problem, "[redacted]", "{echo}");
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains("Sup3") && !shown.contains("SUP3"),
            "{shown}"
        );

        let echoed = serde_json::json!({"error": "invalid_client", "error_description": echo});
        h.net.script(TOKEN_PATH, [answer(401, &echoed.to_string())]);
        let error = err(h.client.authenticate());
        assert_eq!(message(&error), Some("invalid_client"));
    }
}

#[test]
fn long_server_messages_are_shortened_after_redaction() {
    let mut h = default_harness();
    let message = format!("{} {CLIENT_SECRET} {}", "p".repeat(985), "q".repeat(5000));
    h.net.script(
        STATE,
        [answer(
            400,
            &serde_json::json!({"message": message}).to_string(),
        )],
    );
    let error = err(h.fetch_state());
    let shown = api_failure_of(&error).message.clone().unwrap();
    assert_eq!(shown.chars().count(), crate::redact::MAX_TEXT_CHARS);
    assert!(shown.ends_with(" [redacted] qqq"), "{shown}");
}

#[test]
fn a_replaced_token_echoed_after_a_401_is_scrubbed() {
    let (_, error) = failed_fetch([
        answer(401, r#"{"message":"expired at-SECRET-1"}"#),
        answer(401, r#"{"message":"expired at-SECRET-2"}"#),
    ]);
    assert_eq!(message(&error), Some("expired [redacted]"));
}

#[test]
fn wait_counts_request_time_against_the_deadline() {
    let mut h = default_harness();
    h.net.set_latency(400);
    h.net.script(STATE, states("InProgress", 10));
    let error = err(h.wait(100, 1_000));
    assert!(matches!(&error, Error::Timeout(t) if t.waited_ms == 1_000));
    // The token request took 400 ms, so the first poll started at 400; the
    // second, at 900, had 100 ms left and timed out at the deadline.
    let seen = h.net.seen_at(STATE);
    let polls: Vec<(u64, u32)> = seen
        .iter()
        .map(|s| (s.at_ms, s.limits.timeout_ms))
        .collect();
    assert_eq!(polls, [(400, 600), (900, 100)]);
    assert_eq!(h.clock.sleeps(), [100]);
}
