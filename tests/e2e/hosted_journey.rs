//! A hosted journey end to end, and the ways it can go wrong that every
//! integrator meets first.

use std::time::Duration;

use gbg_go_host::{ApiError, Error, JourneyStatus};
use gbg_go_simulator::end_user;
use serde_json::Value;

use crate::support::{self, count_requests};

const STATE_FETCH: &str = "/v2/captain/journey/state/fetch";
const TOKEN: &str = "/as/token.oauth2";

#[tokio::test(flavor = "multi_thread")]
async fn hosted_journey_completes_with_the_decision() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;

    let token = client.authenticate().await.unwrap();
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.expires_in_s, 3600);

    let started = support::start_hosted(&mut client, simulator.resource_id()).await;
    assert_eq!(started.status, "started");
    let url = started.instance_url.clone().expect("a hosted URL");
    assert_eq!(
        url,
        format!("{}/journey/{}", simulator.origin(), started.instance_id),
        "the relative instanceUrl is resolved against the API origin"
    );

    let pending = client
        .fetch_journey_state(&started.instance_id, &[])
        .await
        .unwrap();
    assert_eq!(pending.status, JourneyStatus::InProgress);
    assert!(pending.completed_at.is_none());

    end_user::complete_hosted_page(&url).await.unwrap();
    let done = support::ended(&mut client, &started.instance_id, 100).await;
    assert_eq!(done.status, JourneyStatus::Completed);
    assert_eq!(done.status_text, "Completed");
    assert!(done.completed_at.is_some());
    let document: Value = serde_json::from_str(&done.document).unwrap();
    assert_eq!(document["instanceId"], started.instance_id.as_str());
    assert_eq!(document["context"]["result"]["outcome"], "Decision: Accept");
    assert_eq!(
        document["context"]["subject"]["identity"]["firstName"], "Jane",
        "the state carries what the end user entered"
    );

    // One token served the whole journey: it is cached in the component.
    assert_eq!(count_requests(&simulator, TOKEN), 1);
    let start = support::first_request(&simulator, "/v2/captain/journey/start");
    assert_eq!(start.body["context"]["config"]["delivery"], "page");
    assert_eq!(start.body["context"]["subject"], serde_json::json!({}));
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_are_unauthorized_without_echoing_the_secret() {
    let simulator = support::simulator().await;
    let mut settings = support::settings(&simulator);
    settings.grant = gbg_go_host::Grant::client_credentials(
        simulator.credentials().client_id.clone(),
        gbg_go_host::Secret::new("not-the-secret-5fd1"),
    );
    let mut client = support::runtime().open(settings).await.unwrap();

    let error = client.authenticate().await.unwrap_err();
    match error.api() {
        Some(ApiError::Unauthorized(failure)) => {
            assert_eq!(failure.status, 401);
            assert!(failure.request_id.is_some(), "the request id is kept");
        }
        other => panic!("expected unauthorized, got {other:?}"),
    }
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("refused the credentials"), "{shown}");
    assert!(!shown.contains("not-the-secret-5fd1"));
    // A journey call with bad credentials fails the same way, after one try.
    let error = client
        .start_journey(&support::hosted(simulator.resource_id()))
        .await
        .unwrap_err();
    assert!(
        matches!(error.api(), Some(ApiError::Unauthorized(_))),
        "{error}"
    );
    assert_eq!(count_requests(&simulator, "/v2/captain/journey/start"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_instance_is_not_found() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;

    let error = client
        .fetch_journey_state("Pq_hhIX6-sHUy9FLSDzPLu", &[])
        .await
        .unwrap_err();
    let Some(ApiError::NotFound(failure)) = error.api() else {
        panic!("expected not-found, got {error:?}");
    };
    assert_eq!(failure.status, 404);
    assert!(
        !failure.problems.is_empty(),
        "GBG's errors[] entries are carried"
    );
    assert!(error.to_string().starts_with("not found"), "{error}");
    // Not found is final: it is not retried.
    assert_eq!(count_requests(&simulator, STATE_FETCH), 1);

    let error = client
        .wait_for_completion("Pq_hhIX6-sHUy9FLSDzPLu", support::wait_polling(100))
        .await
        .unwrap_err();
    support::assert_not_found(&error);
}

#[tokio::test(flavor = "multi_thread")]
async fn token_revoked_mid_wait_is_replaced_once() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    let started = support::start_hosted(&mut client, simulator.resource_id()).await;
    let id = started.instance_id.clone();
    let waiting = tokio::spawn(async move {
        let state = client
            .wait_for_completion(&id, support::wait_polling(100))
            .await;
        (client, state)
    });

    // Let a few polls succeed, then make the cached token invalid.
    wait_until(|| count_requests(&simulator, STATE_FETCH) >= 2).await;
    simulator.expire_all_tokens();
    wait_until(|| count_requests(&simulator, TOKEN) >= 2).await;
    end_user::complete_hosted_page(started.instance_url.as_deref().unwrap())
        .await
        .unwrap();

    let (_client, state) = waiting.await.unwrap();
    assert_eq!(state.unwrap().status, JourneyStatus::Completed);
    let refused = simulator
        .request_log()
        .iter()
        .filter(|r| r.path == STATE_FETCH && r.status == Some(401))
        .count();
    assert_eq!(refused, 1, "one refused poll, then a fresh token");
    assert_eq!(count_requests(&simulator, TOKEN), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn short_lived_tokens_are_refreshed_before_they_expire() {
    let simulator = support::simulator().await;
    simulator.faults().update(|f| f.token_lifetime_s = 2);
    let mut client = support::client(&simulator).await;
    let slow = simulator.journey_resource_id("slow").unwrap();
    let started = support::start_hosted(&mut client, slow).await;
    end_user::complete_hosted_page(started.instance_url.as_deref().unwrap())
        .await
        .unwrap();
    let state = support::ended(&mut client, &started.instance_id, 500).await;
    assert_eq!(state.status, JourneyStatus::Completed);
    let log = simulator.request_log();
    assert!(
        log.iter().all(|r| r.status != Some(401)),
        "no call was made with an expired token"
    );
    assert!(
        count_requests(&simulator, TOKEN) >= 2,
        "the token was renewed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_is_refused_before_anything_is_sent() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    let mut request = support::hosted(simulator.resource_id());
    request.subject = Some("[1, 2]".into());
    let error = client.start_journey(&request).await.unwrap_err();
    let Some(ApiError::InvalidInput(input)) = error.api() else {
        panic!("expected invalid input, got {error:?}");
    };
    assert_eq!(input.field, "subject");
    let error = client
        .start_journey(&support::hosted("no-version".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(error.api(), Some(ApiError::InvalidInput(_))),
        "{error}"
    );
    assert!(simulator.request_log().is_empty());
    assert!(matches!(error, Error::Api { .. }));
}

/// Polls `condition` every 20 ms for up to 10 s.
async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition not met within 10 s");
}
