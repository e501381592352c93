//! The simulator's published scenarios and its fault knobs, each driven
//! through the component: what an integrator sees for every outcome, and
//! proof that each knob reaches the client.

use std::time::{Duration, Instant};

use gbg_go_host::{
    ApiError, Client, Delivery, Error, JourneyState, JourneyStatus, RetryPolicy, StartRequest,
    TransportKind,
};
use gbg_go_simulator::scenarios::{AUTO_POLLS, SLOW_POLLS};
use gbg_go_simulator::{Completion, JourneyConfig, ServerErrorStatus, Simulator, end_user};
use serde_json::Value;

use crate::api_journey::{ANSWERS, answer_interactions, modes};
use crate::support;

const STATE_FETCH: &str = "/v2/captain/journey/state/fetch";
const TOKEN: &str = "/as/token.oauth2";

/// A client that tries each call once, so a fault knob's answer surfaces.
async fn single_attempt_client(simulator: &Simulator) -> Client {
    let mut settings = support::settings(simulator);
    settings.retry = Some(RetryPolicy {
        max_attempts: 1,
        initial_backoff_ms: 100,
        max_backoff_ms: 5_000,
        max_elapsed_ms: 30_000,
    });
    support::runtime().open(settings).await.unwrap()
}

/// Starts hosted journey `resource_id`; returns the instance id and its URL.
async fn start(client: &mut Client, resource_id: String) -> (String, String) {
    let started = support::start_hosted(client, resource_id).await;
    (started.instance_id, started.instance_url.unwrap())
}

/// A simulator whose fault knobs aim at state fetches, a client of it and
/// its default journey started there.
async fn journey_with_faulty_state_fetches() -> (Simulator, Client, String) {
    let simulator = support::simulator().await;
    simulator.faults().target(Some("journey/state/fetch"));
    let mut client = support::client(&simulator).await;
    let (id, _) = start(&mut client, simulator.resource_id()).await;
    (simulator, client, id)
}

/// Runs scenario `name` as a person would (hosted page submitted) and waits.
async fn run(simulator: &Simulator, name: &str) -> (JourneyState, Value) {
    let mut client = support::client(simulator).await;
    let (id, url) = start(&mut client, simulator.journey_resource_id(name).unwrap()).await;
    end_user::complete_hosted_page(&url).await.unwrap();
    let state = support::ended(&mut client, &id, 50).await;
    let document = serde_json::from_str(&state.document).unwrap();
    (state, document)
}

/// The journey statuses the state fetches answered, in order.
fn polled_statuses(simulator: &Simulator) -> Vec<String> {
    simulator
        .request_log()
        .iter()
        .filter(|r| r.path == STATE_FETCH && r.status == Some(200))
        .map(|r| r.response["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn hosted_page_status(url: &str) -> u16 {
    reqwest::get(url).await.unwrap().status().as_u16()
}

/// Runs scenario `name` with `delivery` as an integrator would (the person
/// sends the hosted page when there is one to send, or each interaction is
/// answered) and waits; returns the status, `context.result.status` and
/// `context.result.outcome`.
async fn outcome(
    simulator: &Simulator,
    journey: &JourneyConfig,
    delivery: Delivery,
) -> (JourneyStatus, Value, Value) {
    let mut client = support::client(simulator).await;
    let request = StartRequest {
        resource_id: journey.pinned_resource_id(),
        delivery,
        subject: None,
    };
    let started = client.start_journey(&request).await.unwrap();
    let id = started.instance_id;
    match delivery {
        Delivery::Page if !matches!(journey.completion, Completion::Polls { .. }) => {
            end_user::complete_hosted_page(started.instance_url.as_deref().unwrap())
                .await
                .unwrap();
        }
        Delivery::Page => {}
        Delivery::Api => {
            answer_interactions(&mut client, &id, ANSWERS).await;
        }
    }
    let state = support::ended(&mut client, &id, 50).await;
    let document: Value = serde_json::from_str(&state.document).unwrap();
    let result = &document["context"]["result"];
    (
        state.status,
        result["status"].clone(),
        result["outcome"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_scenario_reaches_the_same_outcome_with_either_delivery() {
    for config in modes() {
        let simulator = support::simulator_with(config.clone()).await;
        for journey in &config.journeys {
            let hosted = outcome(&simulator, journey, Delivery::Page).await;
            let api = outcome(&simulator, journey, Delivery::Api).await;
            assert_eq!(hosted, api, "{} ({:?})", journey.name, config.outstanding);
            assert_ne!(hosted.0, JourneyStatus::InProgress, "{}", journey.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn decided_journeys_complete_with_accept_reject_or_refer() {
    let simulator = support::simulator().await;
    for (name, decision, outcome) in [
        ("accept", "Decision: Accept", "Match"),
        ("reject", "Decision: Reject", "No Match"),
        ("refer", "Decision: Manual review", "Match"),
    ] {
        let (state, document) = run(&simulator, name).await;
        assert_eq!(state.status, JourneyStatus::Completed, "{name}");
        assert!(state.completed_at.is_some(), "{name}");
        let result = &document["context"]["result"];
        assert_eq!(result["status"], "completed", "{name}");
        assert_eq!(result["outcome"], decision, "{name}");
        let steps = document["context"]["process"]["steps"].as_array().unwrap();
        assert_eq!(steps[0]["result"]["outcome"], outcome, "{name}");
        assert_eq!(steps.last().unwrap()["nodeId"], "evaluation-decision");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_ends_failed_with_module_errors_in_the_documented_shape() {
    let simulator = support::simulator().await;
    let (state, document) = run(&simulator, "fail").await;
    assert_eq!(state.status, JourneyStatus::Failed);
    assert_eq!(state.status_text, "Failed");
    assert!(state.completed_at.is_some());
    assert_eq!(document["context"]["result"]["status"], "failed");
    let step = &document["context"]["process"]["steps"][0]["result"];
    assert_eq!(step["status"], "error");
    let error = &step["error"];
    assert!(
        error["correlationId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let entry = &error["errors"][0];
    assert_eq!(entry["error"], "MODULE_EXECUTION_FAILED");
    for field in ["location", "problem", "action", "code"] {
        assert!(
            entry[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_ends_the_wait_paused_and_pending() {
    let simulator = support::simulator().await;
    let (state, document) = run(&simulator, "pause").await;
    assert_eq!(state.status, JourneyStatus::Paused);
    assert!(
        state.completed_at.is_none(),
        "a paused journey has not ended"
    );
    assert_eq!(document["context"]["result"]["status"], "pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_and_auto_stay_in_progress_for_their_polls_then_complete() {
    let simulator = support::simulator().await;
    let (state, _) = run(&simulator, "slow").await;
    assert_eq!(state.status, JourneyStatus::Completed);
    let mut expected = vec!["InProgress".to_owned(); SLOW_POLLS as usize];
    expected.push("Completed".to_owned());
    assert_eq!(polled_statuses(&simulator), expected);

    // `auto` needs no page at all.
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    let (id, _) = start(&mut client, simulator.journey_resource_id("auto").unwrap()).await;
    let state = support::ended(&mut client, &id, 50).await;
    assert_eq!(state.status, JourneyStatus::Completed);
    assert_eq!(polled_statuses(&simulator).len(), AUTO_POLLS as usize + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn latest_resolves_to_the_published_version() {
    let simulator = support::simulator().await;
    let pinned = simulator.journey_resource_id("refer").unwrap();
    let (resource, version) = pinned.rsplit_once('@').unwrap();
    let mut client = support::client(&simulator).await;
    let (id, _) = start(&mut client, format!("{resource}@latest")).await;
    let state = client.fetch_journey_state(&id, &[]).await.unwrap();
    let document: Value = serde_json::from_str(&state.document).unwrap();
    let journey = &document["context"]["process"]["journey"];
    assert_eq!(journey["id"], resource);
    assert_eq!(
        journey["version"], version,
        "a concrete version, not latest"
    );
    assert_eq!(journey["name"], "Identity check (refer)");
    let unknown = client
        .start_journey(&support::hosted(format!("{resource}@0000000")))
        .await
        .unwrap_err();
    support::assert_not_found(&unknown);
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_are_kept_for_the_retention_time_then_not_found() {
    let simulator = support::simulator().await;
    simulator
        .faults()
        .update(|f| f.instance_ttl_s = Some(3_600));
    let mut client = support::client(&simulator).await;
    let (id, url) = start(&mut client, simulator.resource_id()).await;
    client.fetch_journey_state(&id, &[]).await.unwrap();
    assert_eq!(hosted_page_status(&url).await, 200);

    // The instance is now older than the retention time.
    simulator.faults().update(|f| f.instance_ttl_s = Some(0));
    let error = client
        .wait_for_completion(&id, support::wait_polling(50))
        .await
        .unwrap_err();
    support::assert_not_found(&error);
    assert_eq!(hosted_page_status(&url).await, 404);
    assert_eq!(
        support::statuses(&simulator, STATE_FETCH),
        [Some(200), Some(404)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_removes_the_instance() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    let (id, url) = start(&mut client, simulator.resource_id()).await;
    client.delete_instance(&id).await.unwrap();
    for error in [
        client.fetch_journey_state(&id, &[]).await.unwrap_err(),
        client.delete_instance(&id).await.unwrap_err(),
    ] {
        support::assert_not_found(&error);
    }
    assert_eq!(hosted_page_status(&url).await, 404);
    assert!(simulator.instance(&id).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn latency_knob_delays_answers_up_to_the_clients_timeout() {
    let simulator = support::simulator().await;
    simulator.faults().target(Some("journey/health"));
    simulator.faults().set_latency_ms(300);
    let mut client = support::client(&simulator).await;
    let began = Instant::now();
    client.health().await.unwrap();
    assert!(
        began.elapsed() >= Duration::from_millis(300),
        "the answer was delayed"
    );

    simulator.faults().set_latency_ms(3_000);
    let mut settings = support::settings(&simulator);
    settings.request_timeout = Some(Duration::from_millis(500));
    settings.retry = Some(RetryPolicy {
        max_attempts: 1,
        initial_backoff_ms: 100,
        max_backoff_ms: 1_000,
        max_elapsed_ms: 10_000,
    });
    let mut impatient = support::runtime().open(settings).await.unwrap();
    let error = impatient.health().await.unwrap_err();
    assert!(
        matches!(&error, Error::Api { error: ApiError::Transport(t), .. } if t.kind == TransportKind::Timeout),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_knob_with_retry_after() {
    let (simulator, mut client, id) = journey_with_faulty_state_fetches().await;

    simulator.faults().rate_limit_next(1, Some(1));
    let began = Instant::now();
    client.fetch_journey_state(&id, &[]).await.unwrap();
    assert!(
        began.elapsed() >= Duration::from_secs(1),
        "Retry-After was waited"
    );
    assert_eq!(
        support::statuses(&simulator, STATE_FETCH),
        [Some(429), Some(200)]
    );

    simulator.faults().rate_limit_next(1, Some(4));
    let mut once = single_attempt_client(&simulator).await;
    let error = once.fetch_journey_state(&id, &[]).await.unwrap_err();
    let Some(ApiError::RateLimited(limited)) = error.api() else {
        panic!("expected rate-limited, got {error:?}");
    };
    assert_eq!(limited.retry_after_ms, Some(4_000));
    assert_eq!(limited.failure.problems[0].code, "4290");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_knob_without_retry_after() {
    let (simulator, mut client, id) = journey_with_faulty_state_fetches().await;

    simulator.faults().rate_limit_next(1, None);
    let statuses = support::fetched_statuses(&simulator, &mut client, &id).await;
    assert_eq!(statuses, [Some(429), Some(200)]);

    simulator.faults().rate_limit_next(1, None);
    let mut once = single_attempt_client(&simulator).await;
    let error = once.fetch_journey_state(&id, &[]).await.unwrap_err();
    let Some(ApiError::RateLimited(limited)) = error.api() else {
        panic!("expected rate-limited, got {error:?}");
    };
    assert_eq!(limited.retry_after_ms, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_error_burst_knob() {
    let (simulator, mut client, id) = journey_with_faulty_state_fetches().await;

    // A burst the retry policy (4 attempts) absorbs.
    simulator
        .faults()
        .fail_next(3, ServerErrorStatus::InternalServerError);
    let statuses = support::fetched_statuses(&simulator, &mut client, &id).await;
    assert_eq!(statuses, [Some(500), Some(500), Some(500), Some(200)]);

    simulator
        .faults()
        .fail_next(2, ServerErrorStatus::ServiceUnavailable);
    let mut once = single_attempt_client(&simulator).await;
    let error = once.fetch_journey_state(&id, &[]).await.unwrap_err();
    let Some(ApiError::ServerError(failure)) = error.api() else {
        panic!("expected a server error, got {error:?}");
    };
    assert_eq!(failure.status, 503);
    assert_eq!(simulator.faults().get().server_error.count, 1, "one taken");
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_connection_knob() {
    let (simulator, mut client, id) = journey_with_faulty_state_fetches().await;

    simulator.faults().drop_next(1);
    let statuses = support::fetched_statuses(&simulator, &mut client, &id).await;
    assert_eq!(statuses, [None, Some(200)]);

    simulator.faults().drop_next(1);
    let mut once = single_attempt_client(&simulator).await;
    let error = once.fetch_journey_state(&id, &[]).await.unwrap_err();
    assert!(
        matches!(&error, Error::Api { error: ApiError::Transport(t), .. } if t.kind != TransportKind::Denied),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn token_lifetime_knob() {
    let simulator = support::simulator().await;
    simulator.faults().update(|f| f.token_lifetime_s = 120);
    let mut client = support::client(&simulator).await;
    assert_eq!(client.authenticate().await.unwrap().expires_in_s, 120);

    // A one-second token is stale after half its life: the next call mints
    // a new one rather than sending it.
    simulator.faults().update(|f| f.token_lifetime_s = 1);
    assert_eq!(client.authenticate().await.unwrap().expires_in_s, 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    start(&mut client, simulator.resource_id()).await;
    assert_eq!(support::count_requests(&simulator, TOKEN), 3);
    let log = simulator.request_log();
    assert!(
        log.iter().all(|r| r.status != Some(401)),
        "no expired token was sent"
    );
}
