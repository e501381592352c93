//! The fault matrix (`tests/e2e/FAULTS.md`): every fault a network and a
//! misbehaving server can produce, end to end through the component, against
//! the simulator or the purpose-built [`hostile`](crate::hostile) server.
//!
//! Each test asserts the outcome (a typed error naming the cause, or correct
//! recovery) and that the call ended well before anything could hang: elapsed
//! times are only checked as generous upper bounds against the configured
//! deadlines, since the tests share two cores.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use gbg_go_host::contract::spellings::ErrorKind;
use gbg_go_host::{
    ApiError, ApiFailure, ApiProblem, Client, ClientSettings, ComponentSource, EgressPolicy,
    Endpoint, Error, JourneyStatus, RetryPolicy, Runtime, RuntimeOptions, SandboxLimits, Timeouts,
    TransportKind, WaitOptions, error_kind,
};
use gbg_go_simulator::{
    FaultHandle, InteractionAuth, ServerErrorStatus, Simulator, SimulatorConfig,
};

use crate::hostile::{self, Hostile, Received, Reply};
use crate::trace;
use crate::{spin_guest, support};

const TOKEN: &str = "/as/token.oauth2";
const START: &str = "/v2/captain/journey/start";
const STATE_FETCH: &str = "/v2/captain/journey/state/fetch";
const INTERACTION_FETCH: &str = "/v2/captain/journey/interaction/fetch";

/// Fast retries: three attempts, short backoff, and a maximum backoff that
/// still honours a `Retry-After` of one second.
const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    initial_backoff_ms: 20,
    max_backoff_ms: 2_000,
    max_elapsed_ms: 20_000,
};

/// The host's timeout clamps for these tests (the client asks for 30 s).
const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(2),
    first_byte: Duration::from_millis(500),
    between_bytes: Duration::from_millis(500),
    total: Duration::from_secs(10),
};

/// One attempt per call, to time a single exchange.
const ONE_ATTEMPT: RetryPolicy = RetryPolicy {
    max_attempts: 1,
    ..RETRY
};

/// What "did not hang" means here: the configured deadline plus this much.
const SLACK: Duration = Duration::from_secs(5);

fn limits() -> SandboxLimits {
    SandboxLimits {
        call_budget: Duration::from_secs(60),
        timeouts: TIMEOUTS,
        ..SandboxLimits::default()
    }
}

fn runtime_with(limits: SandboxLimits) -> Runtime {
    Runtime::new(RuntimeOptions {
        compile_cache: Some(support::compile_cache()),
        limits,
        ..RuntimeOptions::default()
    })
    .expect("the embedded component loads")
}

/// The embedded component under [`limits`], shared by the fault tests.
fn runtime() -> Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| runtime_with(limits())).clone()
}

async fn open(mut settings: ClientSettings) -> Client {
    settings.retry = Some(RETRY);
    runtime().open(settings).await.expect("the client opens")
}

/// The simulator of a fault test, started after the log capture that the
/// secret-leak check may ask for; dropping it at the end of the test records
/// its credentials and every token it issued for that check.
struct Recorded(Simulator);

impl Recorded {
    /// A simulator with the demo configuration.
    async fn start() -> Self {
        Self::with(|_| {}).await
    }

    /// A simulator with the demo configuration changed by `configure`.
    async fn with(configure: impl FnOnce(&mut SimulatorConfig)) -> Self {
        trace::capture_if_requested();
        let mut config = SimulatorConfig::default();
        configure(&mut config);
        Self(support::simulator_with(config).await)
    }

    /// A client of the simulator, with the fault tests' retry policy.
    async fn client(&self) -> Client {
        open(support::settings(self)).await
    }
}

impl std::ops::Deref for Recorded {
    type Target = Simulator;

    fn deref(&self) -> &Simulator {
        &self.0
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        trace::record_simulator_secrets(self);
    }
}

/// A hostile API server answering with `api`, and a client of it; the log
/// capture the secret-leak check may ask for starts first.
async fn hostile_api(
    api: impl Fn(&Received) -> Reply + Send + Sync + 'static,
) -> (Hostile, Client) {
    trace::capture_if_requested();
    let server = Hostile::api(api).await;
    let client = open(server.settings()).await;
    (server, client)
}

/// Starts the simulator's `scenario` and returns the instance id.
async fn start(client: &mut Client, simulator: &Simulator, scenario: &str) -> String {
    let resource_id = simulator.journey_resource_id(scenario).unwrap();
    support::start_hosted(client, resource_id).await.instance_id
}

/// A simulator, a client of it and an `accept` journey started there, with
/// the simulator's fault knobs aimed at state fetches and set by `arm`.
async fn journey_with_faulty_state_fetches(
    arm: impl FnOnce(&FaultHandle),
) -> (Recorded, Client, String) {
    let (simulator, client, id) = started("accept").await;
    let faults = simulator.faults();
    faults.target(Some("journey/state/fetch"));
    arm(&faults);
    (simulator, client, id)
}

/// A simulator, a client of it and its `scenario` started there.
async fn started(scenario: &str) -> (Recorded, Client, String) {
    let simulator = Recorded::start().await;
    let mut client = simulator.client().await;
    let id = start(&mut client, &simulator, scenario).await;
    (simulator, client, id)
}

/// The error of a call that must fail, logged for the secret-leak check.
fn failed<T: std::fmt::Debug>(result: Result<T, Error>) -> Error {
    trace::show(result.expect_err("the call fails"))
}

/// The HTTP failure inside `error`, which must be an API error of `kind`.
fn failure_of(error: &Error, kind: ErrorKind) -> &ApiFailure {
    assert_eq!(error.api().map(error_kind), Some(kind), "{error:?}");
    failure(error)
}

/// The HTTP failure inside an API error.
fn failure(error: &Error) -> &ApiFailure {
    match error.api() {
        Some(
            ApiError::BadRequest(f)
            | ApiError::Unauthorized(f)
            | ApiError::Forbidden(f)
            | ApiError::NotFound(f)
            | ApiError::ServerError(f),
        ) => f,
        Some(ApiError::RateLimited(r)) => &r.failure,
        _ => panic!("expected an HTTP failure, got {error:?}"),
    }
}

fn transport(error: &Error) -> (TransportKind, &str) {
    match error.api() {
        Some(ApiError::Transport(t)) => (t.kind, t.authority.as_str()),
        _ => panic!("expected a transport error, got {error:?}"),
    }
}

fn invalid_response(error: &Error) -> (u16, Option<&str>, &str) {
    match error.api() {
        Some(ApiError::InvalidResponse(r)) => (r.status, r.request_id.as_deref(), &r.reason),
        _ => panic!("expected an invalid response, got {error:?}"),
    }
}

/// The first line of `log` that contains `text`.
fn line_with<'a>(log: &'a str, text: &str) -> &'a str {
    log.lines()
        .find(|line| line.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?} logged:\n{log}"))
}

/// Checks that the sentence `error` shows starts with `start`.
fn assert_says(error: &Error, start: &str) {
    let said = error.to_string();
    assert!(said.starts_with(start), "{said}");
}

fn within(began: Instant, deadline: Duration) {
    let elapsed = began.elapsed();
    assert!(
        elapsed < deadline + SLACK,
        "took {elapsed:?}, past the deadline {deadline:?} (+{SLACK:?})"
    );
}

// 1. The token expires between polls.

#[tokio::test(flavor = "multi_thread")]
async fn token_expiring_between_polls_is_refreshed_once() {
    let simulator = Recorded::start().await;
    // The client replaces a token halfway through its life: after 4 s.
    simulator.faults().update(|f| f.token_lifetime_s = 8);
    let mut client = simulator.client().await;
    let id = start(&mut client, &simulator, "auto").await;
    let first = client.fetch_journey_state(&id, &[]).await.unwrap();
    assert_eq!(first.status, JourneyStatus::InProgress);

    tokio::time::sleep(Duration::from_millis(8_200)).await;
    let second = client.fetch_journey_state(&id, &[]).await.unwrap();
    assert_eq!(second.status, JourneyStatus::InProgress);
    let done = client.fetch_journey_state(&id, &[]).await.unwrap();
    assert_eq!(done.status, JourneyStatus::Completed);

    assert_eq!(support::count_requests(&simulator, TOKEN), 2, "one refresh");
    assert!(
        simulator
            .request_log()
            .iter()
            .all(|r| r.status != Some(401)),
        "the expired token was never presented"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn token_revoked_between_polls_is_replaced_after_one_401() {
    let (simulator, mut client, id) = started("auto").await;
    client.fetch_journey_state(&id, &[]).await.unwrap();

    simulator.expire_all_tokens();
    let second = client.fetch_journey_state(&id, &[]).await.unwrap();
    assert_eq!(second.status, JourneyStatus::InProgress);
    let done = client.fetch_journey_state(&id, &[]).await.unwrap();
    assert_eq!(done.status, JourneyStatus::Completed);

    assert_eq!(
        support::statuses(&simulator, STATE_FETCH),
        [Some(200), Some(401), Some(200), Some(200)]
    );
    assert_eq!(support::count_requests(&simulator, TOKEN), 2);
}

// 2. A 401 that persists after re-authentication.

#[tokio::test(flavor = "multi_thread")]
async fn persistent_401_is_reauthenticated_once_then_unauthorized() {
    let (server, mut client) = hostile_api(|_| {
        Reply::json(
            401,
            r#"{"errors":[{"code":"4010","name":"UNAUTHORIZED","location":"Authorization",
                "problem":"The bearer token is not valid","action":"Authenticate again"}]}"#,
        )
    })
    .await;

    let error = failed(client.fetch_journey_state(hostile::INSTANCE_ID, &[]).await);
    let failure = failure_of(&error, ErrorKind::Unauthorized);
    assert_eq!(failure.status, 401);
    assert_eq!(failure.request_id.as_deref(), Some("hostile-401"));
    assert_eq!(failure.problems[0].name, "UNAUTHORIZED");
    assert!(
        error
            .to_string()
            .contains("refused the credentials or access token")
    );

    assert_eq!(server.count(TOKEN), 2, "the first token and one re-auth");
    let calls: Vec<_> = server
        .received()
        .into_iter()
        .filter(|r| r.path == STATE_FETCH)
        .collect();
    assert_eq!(calls.len(), 2, "one call per token");
    let bearer = format!("Bearer {}", hostile::ACCESS_TOKEN);
    assert!(
        calls
            .iter()
            .all(|r| r.header("authorization") == Some(&bearer)),
        "a valid-looking token was presented"
    );
}

// 3. 400 with GBG's errors[].

#[tokio::test(flavor = "multi_thread")]
async fn bad_request_surfaces_every_gbg_error_with_the_request_id() {
    trace::capture_if_requested();
    let problem =
        |code: &str, name: &str, location: &str, problem: &str, action: &str| ApiProblem {
            code: code.into(),
            name: name.into(),
            location: location.into(),
            problem: problem.into(),
            action: action.into(),
        };
    let expected = vec![
        problem(
            "4002",
            "MISSING_FIELD",
            "Body",
            "context.subject.identity.dateOfBirth: Invalid date",
            "Send YYYY-MM-DD",
        ),
        problem(
            "4002",
            "MISSING_FIELD",
            "Body",
            "context.subject.identity.currentAddress.country: Invalid",
            "Send an ISO 3166 code",
        ),
        problem(
            "4006",
            "UNKNOWN_FIELD",
            "Body",
            "context.extra: Unknown",
            "",
        ),
    ];
    let body = serde_json::json!({
        "errors": expected.iter().map(|p| serde_json::json!({
            "code": p.code, "name": p.name, "location": p.location,
            "problem": p.problem, "action": p.action,
        })).collect::<Vec<_>>()
    });
    let server = Hostile::api(move |_| Reply::json(400, body.to_string())).await;
    let mut client = open(server.settings()).await;

    let error = failed(
        client
            .start_journey(&support::hosted("abc@latest".into()))
            .await,
    );
    let failure = failure_of(&error, ErrorKind::BadRequest);
    assert_eq!(failure.status, 400);
    assert_eq!(failure.problems, expected, "every entry, in order");
    assert_eq!(failure.request_id.as_deref(), Some("hostile-400"));
    let shown = error.to_string();
    for p in &expected {
        assert!(shown.contains(&p.problem), "{shown}");
    }
    assert!(shown.contains("[request id hostile-400]"), "{shown}");
    assert_eq!(server.count(START), 1, "a 400 is never retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn simulator_schema_violation_is_a_bad_request_naming_the_field() {
    let simulator = Recorded::start().await;
    let mut client = simulator.client().await;
    let mut request = support::hosted(simulator.resource_id());
    request.subject = Some(r#"{"identity":{"dateOfBirth":"31/12/1990"}}"#.into());

    let error = failed(client.start_journey(&request).await);
    let failure = failure(&error);
    assert_eq!(failure.status, 400);
    assert_eq!(failure.problems.len(), 1);
    assert_eq!(failure.problems[0].code, "4002");
    assert!(
        failure.problems[0].problem.contains("dateOfBirth"),
        "{:?}",
        failure.problems
    );
    let logged = support::first_request(&simulator, START);
    assert_eq!(
        failure.request_id.as_deref(),
        Some(logged.request_id.as_str())
    );
}

// 4. 403 and 404.

#[tokio::test(flavor = "multi_thread")]
async fn wrong_kind_of_token_is_forbidden() {
    let simulator = Recorded::with(|c| c.interaction_auth = InteractionAuth::EndUser).await;
    // The client presents its customer token, which this service refuses
    // for interactions.
    let mut client = simulator.client().await;
    let id = support::start_api_kyc(&mut client, &simulator).await;

    let error = failed(client.fetch_interaction(&id).await);
    assert_eq!(failure_of(&error, ErrorKind::Forbidden).status, 403);
    assert_eq!(failure(&error).problems[0].code, "4030");
    assert_says(&error, "these credentials may not use this resource");
    assert_eq!(
        support::statuses(&simulator, INTERACTION_FETCH),
        [Some(403)],
        "not retried"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_instance_is_not_found_without_retry() {
    let (simulator, mut client, id) = started("accept").await;
    simulator.faults().update(|f| f.instance_ttl_s = Some(0));

    let error = failed(client.fetch_journey_state(&id, &[]).await);
    assert_eq!(failure_of(&error, ErrorKind::NotFound).status, 404);
    assert!(failure(&error).request_id.is_some());
    assert!(error.to_string().contains("unknown or expired"), "{error}");
    assert_eq!(support::statuses(&simulator, STATE_FETCH), [Some(404)]);
}

// 5. 429, with and without Retry-After.

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_with_retry_after_waits_that_long_then_succeeds() {
    let (simulator, mut client, id) =
        journey_with_faulty_state_fetches(|faults| faults.rate_limit_next(1, Some(1))).await;

    let began = Instant::now();
    let state = client.fetch_journey_state(&id, &[]).await.unwrap();
    assert_eq!(state.status, JourneyStatus::InProgress);
    assert!(
        began.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    within(began, Duration::from_secs(1));
    assert_eq!(
        support::statuses(&simulator, STATE_FETCH),
        [Some(429), Some(200)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_retry_after_beyond_the_maximum_backoff_is_not_waited() {
    let (simulator, mut client, id) =
        journey_with_faulty_state_fetches(|faults| faults.rate_limit_next(1, Some(3_600))).await;

    let began = Instant::now();
    let error = failed(client.fetch_journey_state(&id, &[]).await);
    within(began, Duration::ZERO);
    match error.api() {
        Some(ApiError::RateLimited(limited)) => {
            assert_eq!(limited.retry_after_ms, Some(3_600_000));
            assert_eq!(limited.failure.status, 429);
        }
        _ => panic!("expected rate-limited, got {error:?}"),
    }
    assert!(
        error.to_string().contains("retry after 3600.0 s"),
        "{error}"
    );
    assert_eq!(support::statuses(&simulator, STATE_FETCH), [Some(429)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_without_retry_after_backs_off_then_succeeds() {
    let (simulator, mut client, id) =
        journey_with_faulty_state_fetches(|faults| faults.rate_limit_next(2, None)).await;

    let statuses = support::fetched_statuses(&simulator, &mut client, &id).await;
    assert_eq!(statuses, [Some(429), Some(429), Some(200)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_rate_limit_is_rate_limited_after_the_retry_budget() {
    let (simulator, mut client, id) =
        journey_with_faulty_state_fetches(|faults| faults.rate_limit_next(10, None)).await;

    let error = failed(client.fetch_journey_state(&id, &[]).await);
    match error.api() {
        Some(ApiError::RateLimited(limited)) => assert_eq!(limited.retry_after_ms, None),
        _ => panic!("expected rate-limited, got {error:?}"),
    }
    assert_eq!(support::statuses(&simulator, STATE_FETCH), [Some(429); 3]);
    assert_eq!(simulator.faults().get().rate_limit.count, 7);
}

// 6. 5xx bursts.

#[tokio::test(flavor = "multi_thread")]
async fn server_error_burst_within_the_retry_budget_succeeds() {
    let (simulator, mut client, id) = journey_with_faulty_state_fetches(|faults| {
        faults.fail_next(2, ServerErrorStatus::ServiceUnavailable)
    })
    .await;

    let statuses = support::fetched_statuses(&simulator, &mut client, &id).await;
    assert_eq!(statuses, [Some(503), Some(503), Some(200)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_error_burst_beyond_the_retry_budget_is_a_server_error() {
    let (simulator, mut client, id) = journey_with_faulty_state_fetches(|faults| {
        faults.fail_next(10, ServerErrorStatus::InternalServerError)
    })
    .await;

    let error = failed(client.fetch_journey_state(&id, &[]).await);
    assert_eq!(failure_of(&error, ErrorKind::ServerError).status, 500);
    assert_eq!(failure(&error).problems[0].name, "INTERNAL_ERROR");
    assert_says(&error, "GBG GO had a server error (HTTP 500");
    assert_eq!(support::statuses(&simulator, STATE_FETCH), [Some(500); 3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn ambiguous_500_on_start_is_not_repeated_but_503_is() {
    let simulator = Recorded::start().await;
    let mut client = simulator.client().await;
    client.authenticate().await.unwrap();
    simulator.faults().target(Some("journey/start"));

    // A 500 may have started the journey: starting again could duplicate it.
    simulator
        .faults()
        .fail_next(1, ServerErrorStatus::InternalServerError);
    let error = failed(
        client
            .start_journey(&support::hosted(simulator.resource_id()))
            .await,
    );
    assert_eq!(failure(&error).status, 500);
    assert_eq!(support::statuses(&simulator, START), [Some(500)]);

    // A 503 certainly did not: it is retried.
    simulator
        .faults()
        .fail_next(1, ServerErrorStatus::ServiceUnavailable);
    support::start_hosted(&mut client, simulator.resource_id()).await;
    assert_eq!(
        support::statuses(&simulator, START),
        [Some(500), Some(503), Some(201)]
    );
}

// 7. Connection refused, dropped, reset mid-body.

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_is_a_transport_error_naming_the_authority() {
    trace::capture_if_requested();
    let vacant = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let authority = vacant.local_addr().unwrap().to_string();
    drop(vacant);
    let mut client = open(hostile::settings_for(&format!("http://{authority}"))).await;

    let began = Instant::now();
    let error = failed(client.authenticate().await);
    within(began, Duration::ZERO);
    assert_eq!(
        transport(&error),
        (TransportKind::ConnectionRefused, authority.as_str())
    );
    assert_eq!(
        error.to_string(),
        format!("cannot exchange a request with {authority}: connection refused")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_does_not_resolve_is_a_sentence_naming_the_host() {
    trace::capture_if_requested();
    // `.invalid` never resolves (RFC 6761); https makes it an allowed authority.
    let mut client = open(hostile::settings_for("https://gbg-go.invalid")).await;

    let error = failed(client.authenticate().await);
    assert_eq!(transport(&error), (TransportKind::Dns, "gbg-go.invalid"));
    let message = error.to_string();
    assert!(
        message.starts_with("cannot exchange a request with gbg-go.invalid: name lookup failed"),
        "{message}"
    );
    assert!(
        !message.contains("ErrorCode") && !message.contains("Payload"),
        "the cause reads as words, not as a Rust value: {message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_connection_is_retried() {
    let (simulator, mut client, id) =
        journey_with_faulty_state_fetches(|faults| faults.drop_next(1)).await;

    let statuses = support::fetched_statuses(&simulator, &mut client, &id).await;
    assert_eq!(statuses, [None, Some(200)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_reset_before_the_answer_is_a_connection_reset() {
    state_fetch_reset_is_a_connection_reset(|| Reply::Reset).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_reset_mid_body_is_a_connection_reset() {
    state_fetch_reset_is_a_connection_reset(|| Reply::ResetMidBody {
        declared: 400,
        sent: br#"{"instanceId":"Hx4_hostileInstance-01","sta"#.to_vec(),
    })
    .await;
}

/// A state fetch whose every answer is `reset` is retried as a read, then
/// fails at once as a `connection-reset` naming the server.
async fn state_fetch_reset_is_a_connection_reset(reset: fn() -> Reply) {
    let (server, mut client) = hostile_api(move |_| reset()).await;

    let began = Instant::now();
    let error = failed(client.fetch_journey_state(hostile::INSTANCE_ID, &[]).await);
    within(began, Duration::ZERO);
    assert_eq!(
        transport(&error),
        (TransportKind::ConnectionReset, server.authority().as_str())
    );
    assert_eq!(server.count(STATE_FETCH), 3, "a read is retried");
}

// 8. Slow first byte, stalled body.

#[tokio::test(flavor = "multi_thread")]
async fn slow_first_byte_times_out_at_the_host_limit() {
    // The client asks for 30 s per request; the host clamps it to 500 ms.
    let (server, mut client) = hostile_api(|_| {
        Reply::Delayed(Duration::from_secs(30), Box::new(Reply::state("Completed")))
    })
    .await;

    let began = Instant::now();
    let error = failed(client.fetch_journey_state(hostile::INSTANCE_ID, &[]).await);
    within(began, TIMEOUTS.first_byte * RETRY.max_attempts);
    assert_eq!(transport(&error).0, TransportKind::Timeout);
    assert!(error.to_string().contains("timed out"), "{error}");
    assert_eq!(server.count(STATE_FETCH), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn stalled_body_times_out_at_the_host_limit() {
    let (server, mut client) = hostile_api(|_| Reply::Stall {
        declared: 400,
        sent: br#"{"instanceId":"Hx4_hos"#.to_vec(),
    })
    .await;

    let began = Instant::now();
    let error = failed(client.fetch_journey_state(hostile::INSTANCE_ID, &[]).await);
    within(began, TIMEOUTS.between_bytes * RETRY.max_attempts);
    assert_eq!(transport(&error).0, TransportKind::Timeout);
    assert_eq!(server.count(STATE_FETCH), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn dripping_body_is_cut_at_the_total_deadline() {
    trace::capture_if_requested();
    // A byte every 200 ms: never silent for the 500 ms between-bytes timeout.
    let server = Hostile::api(|_| Reply::Drip {
        declared: 400,
        every: Duration::from_millis(200),
    })
    .await;
    let total = Duration::from_millis(1_500);
    let runtime = runtime_with(SandboxLimits {
        timeouts: Timeouts { total, ..TIMEOUTS },
        ..limits()
    });
    let mut settings = server.settings();
    settings.retry = Some(ONE_ATTEMPT);
    let mut client = runtime.open(settings).await.unwrap();

    let began = Instant::now();
    let error = failed(client.fetch_journey_state(hostile::INSTANCE_ID, &[]).await);
    assert!(began.elapsed() >= total, "cut before the deadline");
    within(began, total);
    assert_eq!(transport(&error).0, TransportKind::Timeout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policys_own_connect_timeout_applies() {
    trace::capture_if_requested();
    let (_listener, _queued, address) = listener_that_never_accepts().await;
    let mut settings = hostile::settings_for(&format!("http://{address}"));
    settings.retry = Some(ONE_ATTEMPT);
    // The runtime allows 2 s to connect; this client's policy 300 ms, and
    // more than the runtime for everything else.
    let connect = Duration::from_millis(300);
    let policy = EgressPolicy::allowing(&settings.reachable_urls()).timeouts(Timeouts {
        connect,
        first_byte: Duration::from_secs(10),
        between_bytes: Duration::from_secs(10),
        total: Duration::from_secs(10),
    });
    let mut client = runtime().open_with_policy(settings, policy).await.unwrap();

    let began = Instant::now();
    let error = failed(client.authenticate().await);
    let elapsed = began.elapsed();
    assert_eq!(transport(&error).0, TransportKind::Timeout, "{error:?}");
    assert!(
        elapsed >= connect && elapsed < TIMEOUTS.connect,
        "timed out after {elapsed:?}, not at the policy's {connect:?}"
    );
}

/// A loopback listener whose accept queue is full, so that a new connection
/// hangs in its handshake; the queued connections are kept open.
async fn listener_that_never_accepts() -> (
    tokio::net::TcpListener,
    Vec<std::net::TcpStream>,
    std::net::SocketAddr,
) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
    let listener = socket.listen(0).unwrap();
    let address = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    while let Ok(stream) =
        std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200))
    {
        queued.push(stream);
        assert!(queued.len() < 16, "the accept queue never filled");
    }
    (listener, queued, address)
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_for_completion_against_a_silent_server_ends_at_its_deadline() {
    let (_server, mut client) = hostile_api(|_| Reply::Stall {
        declared: 400,
        sent: Vec::new(),
    })
    .await;
    let options = WaitOptions {
        poll_interval_ms: 100,
        timeout_ms: 2_000,
    };

    let began = Instant::now();
    let error = failed(
        client
            .wait_for_completion(hostile::INSTANCE_ID, options)
            .await,
    );
    within(began, Duration::from_millis(options.timeout_ms.into()));
    match error.api() {
        Some(ApiError::Timeout(wait)) => {
            assert_eq!(wait.instance_id, hostile::INSTANCE_ID);
            assert_eq!(wait.last_status, None);
        }
        _ => panic!("expected a wait timeout, got {error:?}"),
    }
}

// 9. Malformed answers.

#[tokio::test(flavor = "multi_thread")]
async fn malformed_answers_are_invalid_responses_naming_the_defect() {
    trace::capture_if_requested();
    let id = hostile::INSTANCE_ID;
    let cases = [
        (
            "malformed JSON",
            "application/json",
            r#"{"instanceId":,}"#.to_owned(),
            "body is not JSON",
        ),
        (
            "truncated JSON",
            "application/json",
            format!(r#"{{"instanceId":"{id}","sta"#),
            "body is not JSON",
        ),
        (
            "wrong type",
            "application/json",
            format!(r#"{{"instanceId":"{id}","status":7}}"#),
            "field status is not a string",
        ),
        (
            "missing field",
            "application/json",
            format!(r#"{{"instanceId":"{id}"}}"#),
            "missing field status",
        ),
        (
            "not an object",
            "application/json",
            "[]".to_owned(),
            "body is not a JSON object",
        ),
        (
            "200 with HTML",
            "text/html",
            "<!DOCTYPE html><html><body>Maintenance</body></html>".to_owned(),
            "body is not JSON",
        ),
    ];
    for (case, content_type, body, reason) in cases {
        let server =
            Hostile::api(move |_| Reply::body(200, content_type, body.clone().into_bytes())).await;
        let mut client = open(server.settings()).await;
        let error = failed(client.fetch_journey_state(id, &[]).await);
        assert_eq!(
            invalid_response(&error),
            (200, Some("hostile-200"), reason),
            "{case}"
        );
        assert!(
            error
                .to_string()
                .starts_with("unexpected answer from GBG GO (HTTP 200)"),
            "{case}: {error}"
        );
        assert_eq!(server.count(STATE_FETCH), 1, "{case}: not retried");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn html_from_the_token_endpoint_is_an_invalid_response() {
    trace::capture_if_requested();
    let server =
        Hostile::start(|_| Reply::body(200, "text/html", "<html><body>Sign in</body></html>"))
            .await;
    let mut client = open(server.settings()).await;

    let error = failed(client.authenticate().await);
    assert_eq!(
        invalid_response(&error),
        (200, Some("hostile-200"), "body is not JSON")
    );
    assert!(
        !format!("{error:?}").contains("Sign in"),
        "the body is not copied"
    );
}

// 10. Oversized bodies.

#[tokio::test(flavor = "multi_thread")]
async fn body_over_the_cap_is_refused_with_bounded_memory() {
    trace::capture_if_requested();
    const CAP: usize = 8 << 20;
    let reason = format!("response body exceeds {CAP} bytes");
    // Declared too large: refused from the head. Streamed without a length,
    // and far larger than the store's 64 MiB: refused once the cap is
    // passed, so the component never holds more than the cap.
    for (total, declare_length) in [(9 << 20, true), (9 << 20, false), (256 << 20, false)] {
        let server = Hostile::api(move |_| Reply::Huge {
            total,
            declare_length,
        })
        .await;
        let mut client = open(server.settings()).await;
        let error = failed(client.fetch_journey_state(hostile::INSTANCE_ID, &[]).await);
        assert_eq!(
            invalid_response(&error),
            (200, Some("hostile-200"), reason.as_str()),
            "{total} bytes, length declared: {declare_length}"
        );
        assert_eq!(server.count(STATE_FETCH), 1);
        // The client is intact: it did not trap.
        let error = failed(client.fetch_journey_state(hostile::INSTANCE_ID, &[]).await);
        assert!(matches!(error, Error::Api { .. }), "{error:?}");
    }
}

// 11. Redirects.

#[tokio::test(flavor = "multi_thread")]
async fn redirect_to_another_host_is_not_followed() {
    trace::capture_if_requested();
    let elsewhere = Hostile::start(|_| Reply::state("Completed")).await;
    let target = format!("{}{STATE_FETCH}?session=abc", elsewhere.origin());
    let server = Hostile::api(move |_| Reply::redirect(&target)).await;
    let mut client = open(server.settings()).await;

    let error = failed(client.fetch_journey_state(hostile::INSTANCE_ID, &[]).await);
    let (status, _, reason) = invalid_response(&error);
    assert_eq!(status, 302);
    assert_eq!(
        reason,
        format!(
            "redirect to {}{STATE_FETCH} not followed",
            elsewhere.origin()
        )
    );
    assert_eq!(elsewhere.connections(), 0, "nothing reached the other host");
}

// 12. Egress policy.

#[tokio::test]
async fn api_base_off_the_allow_list_is_denied_before_any_byte_and_logged() {
    trace::capture_if_requested();
    let tokens = Hostile::api(|_| Reply::state("Completed")).await;
    let api = Hostile::api(|_| Reply::state("Completed")).await;
    let mut settings = tokens.settings();
    settings.endpoint = Endpoint::BaseUrl(support::url(&format!(
        "{}{}",
        api.origin(),
        hostile::API_PATH
    )));
    let policy = EgressPolicy::allowing(&[settings.effective_token_url()]);
    settings.retry = Some(RETRY);
    let mut client = runtime().open_with_policy(settings, policy).await.unwrap();

    // This test runs on one thread, so the capture sees the host's log.
    let (logs, capture) = trace::capture_here(tracing::Level::TRACE);
    let error = failed(client.fetch_journey_state(hostile::INSTANCE_ID, &[]).await);
    drop(capture);
    assert_eq!(
        transport(&error),
        (TransportKind::Denied, api.authority().as_str())
    );
    assert_eq!(api.connections(), 0, "no byte reached the API");
    assert_eq!(
        tokens.count(TOKEN),
        1,
        "the allowed token endpoint was used"
    );
    let logged = logs.text();
    let denial = line_with(&logged, "egress denied");
    assert!(
        denial.contains(&format!("authority={}", api.authority())),
        "{denial}"
    );
    assert!(denial.contains("WARN"), "{denial}");
    for secret in [hostile::CLIENT_SECRET, hostile::ACCESS_TOKEN] {
        assert!(!logged.contains(secret), "a secret was logged");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_a_non_loopback_authority_is_denied_before_resolving_it() {
    trace::capture_if_requested();
    // `.invalid` never resolves: a denial, not a DNS error, shows the policy
    // refused the request before any lookup or connection.
    let mut client = open(hostile::settings_for("http://gbg-go.invalid:8080")).await;

    let error = failed(client.authenticate().await);
    assert_eq!(
        transport(&error),
        (TransportKind::Denied, "gbg-go.invalid:8080")
    );
    assert_eq!(
        error.to_string(),
        "the host's egress policy denied a request to gbg-go.invalid:8080"
    );
}

// 13. A guest that computes past its time budget.

#[tokio::test(flavor = "multi_thread")]
async fn spinning_guest_is_stopped_by_epoch_interruption() {
    trace::capture_if_requested();
    let budget = Duration::from_millis(300);
    let runtime = Runtime::new(RuntimeOptions {
        component: ComponentSource::File(spin_guest::component()),
        compile_cache: None,
        limits: SandboxLimits {
            call_budget: budget,
            ..SandboxLimits::default()
        },
        ..RuntimeOptions::default()
    })
    .expect("the spinning component loads");
    // The spinning component never sends a request.
    let settings = || {
        ClientSettings::new(
            Endpoint::BaseUrl(support::url("http://127.0.0.1:9/v2/captain")),
            gbg_go_host::Grant::client_credentials("id", gbg_go_host::Secret::new("unused")),
        )
    };
    let mut spinning = runtime.open(settings()).await.unwrap();
    assert_eq!(spinning.health().await.unwrap(), "OK");

    let began = Instant::now();
    let error = trace::show(
        spinning
            .authenticate()
            .await
            .expect_err("the budget stops it"),
    );
    within(began, budget);
    assert!(
        matches!(error, Error::BudgetExceeded(b) if b == budget),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("exceeded its time budget"),
        "{error}"
    );
    assert!(
        matches!(spinning.health().await, Err(Error::Poisoned)),
        "the stopped client refuses further calls"
    );

    // The runtime, the engine and the process are fine.
    let mut fresh = runtime.open(settings()).await.unwrap();
    assert_eq!(fresh.health().await.unwrap(), "OK");
    let simulator = Recorded::start().await;
    let mut real = simulator.client().await;
    assert_eq!(real.health().await.unwrap(), "OK");
}

// 14. A guest over its memory limit.

#[tokio::test(flavor = "multi_thread")]
async fn guest_over_its_memory_limit_traps_and_only_that_client_is_lost() {
    trace::capture_if_requested();
    let runtime = runtime_with(SandboxLimits {
        memory_bytes: 8 << 20,
        ..limits()
    });
    // A 7 MiB answer is under the 8 MiB body cap but over what is left of
    // the store's 8 MiB.
    let large = format!(
        r#"{{"instanceId":"{}","status":"Completed","padding":"{}"}}"#,
        hostile::INSTANCE_ID,
        "x".repeat(7 << 20)
    );
    let server = Hostile::api(move |request| {
        if request.body.windows(5).any(|w| w == b"large") {
            Reply::json(200, large.clone())
        } else {
            Reply::state("Completed")
        }
    })
    .await;

    // The server answers other fetches with a completed state.
    let fetch_completed = async |client: &mut Client| {
        let state = client
            .fetch_journey_state(hostile::INSTANCE_ID, &[])
            .await
            .unwrap();
        assert_eq!(state.status, JourneyStatus::Completed);
    };
    let mut small = runtime.open(server.settings()).await.unwrap();
    fetch_completed(&mut small).await;

    let mut greedy = runtime.open(server.settings()).await.unwrap();
    let error = trace::show(
        greedy
            .fetch_journey_state(hostile::INSTANCE_ID, &["large".into()])
            .await
            .expect_err("the store's memory limit stops it"),
    );
    assert!(matches!(error, Error::Trap(_)), "{error:?}");
    assert_says(&error, "the component failed");
    assert!(matches!(
        greedy.fetch_journey_state(hostile::INSTANCE_ID, &[]).await,
        Err(Error::Poisoned)
    ));

    // Other clients of the same runtime, old and new, carry on.
    fetch_completed(&mut small).await;
    let mut fresh = runtime.open(server.settings()).await.unwrap();
    fresh
        .fetch_journey_state(hostile::INSTANCE_ID, &[])
        .await
        .unwrap();
}

// 16. A certificate the client does not trust.

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error_logged_and_not_retried() {
    trace::capture_if_requested();
    let (address, handshakes) = untrusted_tls_server().await;
    let mut settings = hostile::settings_for(&format!("https://{address}"));
    settings.retry = Some(RETRY);
    let mut client = runtime().open(settings).await.unwrap();

    // This test runs on one thread, so the capture sees the host's log.
    let (logs, capture) = trace::capture_here(tracing::Level::TRACE);
    let error = failed(client.authenticate().await);
    drop(capture);
    assert_eq!(
        transport(&error),
        (TransportKind::Tls, address.to_string().as_str())
    );
    assert_eq!(
        handshakes.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a certificate failure is not retried"
    );
    let logged = logs.text();
    let warning = line_with(&logged, "TLS handshake failed");
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains(&address.to_string()), "{warning}");
    assert!(warning.contains("certificate"), "{warning}");
}

/// A TLS server on loopback with a self-signed certificate no client trusts;
/// counts the handshakes it was asked for.
async fn untrusted_tls_server() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let certificate =
        CertificateDer::from(include_bytes!("fixtures/untrusted-tls/cert.der").to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        include_bytes!("fixtures/untrusted-tls/key.der").to_vec(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certificate], key)
    .expect("the test certificate and key");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let address = listener.local_addr().unwrap();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            // The client gives up on the certificate: the handshake fails.
            tokio::spawn(async move { drop(acceptor.accept(stream).await) });
        }
    });
    (address, handshakes)
}

// 15. The service restarted mid-journey.

#[tokio::test(flavor = "multi_thread")]
async fn simulator_restarted_mid_journey_reports_the_unknown_instance() {
    trace::capture_if_requested();
    let before = support::simulator().await;
    let mut client = open(support::settings(&before)).await;
    let id = start(&mut client, &before, "accept").await;
    client.fetch_journey_state(&id, &[]).await.unwrap();
    let address: std::net::SocketAddr = before
        .origin()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    trace::record_simulator_secrets(&before);
    before.shutdown().await;
    let after = Simulator::start(SimulatorConfig::default(), address)
        .await
        .expect("the simulator restarts on the same port");

    let options = WaitOptions {
        poll_interval_ms: 100,
        timeout_ms: 10_000,
    };
    let began = Instant::now();
    let error = failed(client.wait_for_completion(&id, options).await);
    within(began, Duration::from_millis(options.timeout_ms.into()));
    support::assert_not_found(&error);
    assert!(error.to_string().contains("unknown or expired"), "{error}");
    // The restarted service knew neither the token nor the instance: one
    // refused token, one new token, then the answer that ends the wait.
    assert_eq!(
        support::statuses(&after, STATE_FETCH),
        [Some(401), Some(404)]
    );
    assert_eq!(support::count_requests(&after, TOKEN), 1);
    trace::record_simulator_secrets(&after);
}
