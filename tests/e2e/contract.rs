//! GBG's OpenAPI file, both directions: every request the component sent and
//! every answer it received, as the simulator recorded them, checked with a
//! JSON Schema validator against the contract (GBG's OpenAPI file plus the
//! documented deviations of `host/simulator/schema/deviations.json`, one per
//! row of the simulator README's table). A renamed field fails either way.

use std::collections::BTreeSet;

use gbg_go_host::{ApiError, Client, Delivery, InteractionAuth, JourneyStatus, StartRequest};
use gbg_go_simulator::contract::contract;
use gbg_go_simulator::{LoggedRequest, Simulator, end_user};
use serde_json::{Value, json};

use crate::api_journey::{ANSWERS, answer_interactions, modes};
use crate::support;

/// A valid prefill, as an integrator would send it.
const PREFILL: &str = r#"{"identity": {"firstName": "Jane", "lastNames": ["Doe"],
    "dateOfBirth": "1992-10-01", "emails": [{"type": "personal", "email": "jane@example.com"}]}}"#;

/// The violations of one exchange, request side and answer side.
fn check(exchange: &LoggedRequest) -> (Vec<String>, Vec<String>) {
    let checked = contract()
        .unwrap()
        .check_exchange(exchange)
        .unwrap_or_else(|| panic!("{} is not an API call", exchange.path));
    (checked.request, checked.answer)
}

/// Asserts that every API exchange in the log conforms in both directions;
/// returns the OpenAPI paths of the operations called.
fn assert_every_exchange_conforms(simulator: &Simulator) -> BTreeSet<String> {
    let contract = contract().unwrap();
    let mut seen = BTreeSet::new();
    let mut violations = Vec::new();
    for exchange in simulator.request_log() {
        if let Some(checked) = contract.check_exchange(&exchange) {
            violations.extend(checked.violations().cloned());
            seen.extend(checked.operation.map(|operation| operation.path.clone()));
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
    seen
}

/// A hosted journey with a prefill, every state call, delete and health.
async fn hosted_journey(simulator: &Simulator, client: &mut Client) {
    assert_eq!(client.health().await.unwrap(), "OK");
    let started = client
        .start_journey(&StartRequest {
            resource_id: simulator.resource_id(),
            delivery: Delivery::Page,
            subject: Some(PREFILL.into()),
        })
        .await
        .unwrap();
    let id = started.instance_id;
    client
        .fetch_journey_state(&id, &["/.*/".into()])
        .await
        .unwrap();
    end_user::complete_hosted_page(started.instance_url.as_deref().unwrap())
        .await
        .unwrap();
    let done = support::ended(client, &id, 50).await;
    assert_eq!(done.status, JourneyStatus::Completed);
    client.delete_instance(&id).await.unwrap();
    let gone = client.fetch_journey_state(&id, &[]).await.unwrap_err();
    support::assert_not_found(&gone);
}

/// The API journey through its interactions, with end-user tokens.
async fn api_journey(simulator: &Simulator) {
    let mut settings = support::settings(simulator);
    settings.interaction_auth = Some(InteractionAuth::EndUserToken);
    let mut client = support::runtime().open(settings).await.unwrap();
    let id = support::start_api_kyc(&mut client, simulator).await;
    answer_interactions(&mut client, &id, ANSWERS).await;
    let done = support::ended(&mut client, &id, 50).await;
    assert_eq!(done.status, JourneyStatus::Completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_exchange_of_the_component_matches_gbg_openapi_file() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    hosted_journey(&simulator, &mut client).await;
    api_journey(&simulator).await;
    let settings = support::password_settings(&simulator);
    let mut password_client = support::runtime().open(settings).await.unwrap();
    password_client.authenticate().await.unwrap();

    let seen = assert_every_exchange_conforms(&simulator);
    let every_operation: BTreeSet<String> =
        contract().unwrap().operations().keys().cloned().collect();
    assert_eq!(
        seen, every_operation,
        "the component called every operation"
    );
    let grants: BTreeSet<String> = simulator
        .request_log()
        .iter()
        .filter(|r| r.path == "/as/token.oauth2")
        .filter_map(|r| r.body["grant_type"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        grants,
        ["client_credentials", "password"].map(String::from).into()
    );
}

/// What each interaction fetch answered: an interaction, a status answer
/// while processing or not, or GBG's in-body error.
fn fetch_answer_shapes(simulator: &Simulator) -> BTreeSet<&'static str> {
    simulator
        .request_log()
        .iter()
        .filter(|r| r.path == "/v2/captain/journey/interaction/fetch")
        .map(|r| match &r.response {
            answer if answer.get("interactionId").is_some() => "interaction",
            answer if answer["status"] == "error" => "in-body error",
            answer if answer["processing"] == true => "processing",
            _ => "not processing",
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_not_ready_answer_and_a_static_outstanding_match_the_contract() {
    for (config, shapes) in modes().into_iter().zip([
        ["interaction", "not processing", "processing"].as_slice(),
        ["in-body error", "interaction"].as_slice(),
    ]) {
        let simulator = support::simulator_with(config).await;
        let mut client = support::client(&simulator).await;
        for name in ["slow", "api-kyc"] {
            let resource_id = simulator.journey_resource_id(name).unwrap();
            let started = client
                .start_journey(&support::api_journey(resource_id))
                .await
                .unwrap();
            answer_interactions(&mut client, &started.instance_id, ANSWERS).await;
        }
        assert_every_exchange_conforms(&simulator);
        assert_eq!(
            fetch_answer_shapes(&simulator),
            shapes.iter().copied().collect()
        );
    }
}

/// `exchange` with the key at the dotted `path` renamed to `to` (its last
/// segment); the path starts at the exchange's `body` or `response`.
fn renamed(exchange: &LoggedRequest, path: &str, to: &str) -> LoggedRequest {
    let mut changed = exchange.clone();
    let keys: Vec<&str> = path.split('.').collect();
    let (last, parents) = keys.split_last().unwrap();
    let mut object = match parents[0] {
        "body" => &mut changed.body,
        "response" => &mut changed.response,
        other => panic!("an exchange has no {other}"),
    };
    for key in &parents[1..] {
        object = &mut object[*key];
    }
    let object = object.as_object_mut().expect("an object");
    let moved = object.remove(*last).expect("the field is there");
    object.insert(to.to_owned(), moved);
    changed
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_field_fails_the_check_in_either_direction() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    hosted_journey(&simulator, &mut client).await;
    let log = simulator.request_log();
    let exchange = |path: &str, status: u16| {
        log.iter()
            .find(|r| r.path == path && r.status == Some(status))
            .unwrap_or_else(|| panic!("{path} answered {status}"))
            .clone()
    };
    let token = exchange("/as/token.oauth2", 200);
    let start = exchange("/v2/captain/journey/start", 201);
    let state = exchange("/v2/captain/journey/state/fetch", 200);
    let delete = exchange("/v2/captain/journey/state/delete", 200);
    let not_found = exchange("/v2/captain/journey/state/fetch", 404);
    for original in [&token, &start, &state, &delete, &not_found] {
        assert_eq!(check(original), (vec![], vec![]), "{}", original.path);
    }

    // What the component sent (the body) or received (the response), with
    // one field renamed: the check fails on that side and passes on the
    // other.
    let renames = [
        (&token, "body.client_id", "clientId"),
        (&token, "body.scope", "scopes"),
        (&start, "body.resourceId", "resourceID"),
        (&start, "body.context.config.delivery", "deliveryMode"),
        (&start, "body.context.subject.identity.dateOfBirth", "dob"),
        (&state, "body.instanceId", "instanceID"),
        (&delete, "body.instanceId", "id"),
        (&token, "response.expires_in", "expiresIn"),
        (&token, "response.token_type", "tokenType"),
        (&start, "response.instanceUrl", "instanceURL"),
        (&start, "response.instanceId", "instance_id"),
        (&state, "response.status", "state"),
        (&state, "response.metaData.completedTime", "completedAt"),
        (&state, "response.context.result", "results"),
        (
            &state,
            "response.context.process.journey.version",
            "revision",
        ),
        (&delete, "response.instanceId", "id"),
        (&not_found, "response.errors", "error"),
    ];
    for (original, path, to) in renames {
        let (request, answer) = check(&renamed(original, path, to));
        let (broken, intact) = if path.starts_with("body.") {
            (request, answer)
        } else {
            (answer, request)
        };
        assert!(
            !broken.is_empty(),
            "{} {path} -> {to} passed",
            original.path
        );
        assert!(intact.is_empty(), "{intact:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_prefill_is_refused_with_a_gbg_error_entry() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    let mut refused = async |subject: Value| {
        let request = StartRequest {
            resource_id: simulator.resource_id(),
            delivery: Delivery::Page,
            subject: Some(subject.to_string()),
        };
        client.start_journey(&request).await.unwrap_err()
    };
    let error = refused(json!({"identity": {"dateOfBirth": "01/10/1992"}})).await;
    let Some(ApiError::BadRequest(failure)) = error.api() else {
        panic!("expected a rejected request, got {error:?}");
    };
    assert_eq!(failure.status, 400);
    let problem = &failure.problems[0];
    assert_eq!(
        (
            problem.code.as_str(),
            problem.name.as_str(),
            problem.location.as_str()
        ),
        ("4002", "MISSING_FIELD", "Body")
    );
    assert!(
        problem
            .problem
            .starts_with("context.subject.identity.dateOfBirth: "),
        "{}",
        problem.problem
    );
    assert!(!problem.action.is_empty());
    assert!(failure.request_id.is_some());
    let unknown_field = refused(json!({"identity": {"nickname": "JD"}})).await;
    assert!(
        matches!(unknown_field.api(), Some(ApiError::BadRequest(f)) if f.problems[0].problem.contains("nickname")),
        "{unknown_field:?}"
    );
    // Both requests broke the contract, and the answers kept to it.
    let answers: Vec<(Vec<String>, Vec<String>)> = simulator
        .request_log()
        .iter()
        .filter(|r| r.path == "/v2/captain/journey/start")
        .map(check)
        .collect();
    assert_eq!(answers.len(), 2, "a 400 is not retried");
    assert!(
        answers
            .iter()
            .all(|(request, answer)| !request.is_empty() && answer.is_empty())
    );
}
