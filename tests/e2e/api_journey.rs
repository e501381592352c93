//! API journeys (`delivery: "api"`): the interaction loop through the
//! component, its documented edge cases, and the `interact` command.

use std::process::Command;

use gbg_go_host::{
    ApiError, Interaction, InteractionAuth, InteractionStep, JourneyStatus, Participant, Submission,
};
use gbg_go_simulator::{
    Completion, InteractionAuth as SimulatorAuth, NotReadyAnswer, Outcome, Outstanding, Simulator,
    SimulatorConfig,
};
use serde_json::{Value, json};

use crate::support;

/// The answers of the `api-kyc` example, which also answer every hosted
/// journey's form interaction.
pub const ANSWERS: &str = include_str!("../../simulator/examples/api-kyc-answers.json");
const SUBMIT: &str = "/v2/captain/journey/interaction/submit";
const FETCH: &str = "/v2/captain/journey/interaction/fetch";

/// Fetches until an interaction is ready or the journey ends (processing
/// gaps answer `not-ready` with `InProgress`).
async fn next(client: &mut gbg_go_host::Client, id: &str) -> InteractionStep {
    for _ in 0..50 {
        match client.fetch_interaction(id).await.unwrap() {
            InteractionStep::NotReady(JourneyStatus::InProgress) => continue,
            step => return step,
        }
    }
    panic!("no interaction became ready");
}

/// The submission of everything `interaction` asks for, from `answers`,
/// as the component plans it.
async fn plan(
    client: &mut gbg_go_host::Client,
    answers: &str,
    interaction: &Interaction,
) -> Submission {
    let step = InteractionStep::Ready(interaction.clone());
    client
        .plan_submission(&step, answers, &[])
        .await
        .unwrap()
        .expect("something to submit")
}

/// Answers every interaction of instance `id` from `answers` until the
/// journey ends, never submitting an element twice; returns what was
/// submitted.
pub async fn answer_interactions(
    client: &mut gbg_go_host::Client,
    id: &str,
    answers: &str,
) -> Vec<Submission> {
    let mut accepted = Vec::new();
    let mut submitted = Vec::new();
    for _ in 0..100 {
        let step = client.fetch_interaction(id).await.unwrap();
        let planned = client.plan_submission(&step, answers, &accepted).await;
        match (step, planned.unwrap()) {
            (InteractionStep::Ready(_), Some(submission)) => {
                client.submit_interaction(&submission).await.unwrap();
                accepted.extend(submission.accepted());
                submitted.push(submission);
            }
            (InteractionStep::Ready(_), None)
            | (InteractionStep::NotReady(JourneyStatus::InProgress), _) => {}
            (InteractionStep::NotReady(_), _) => return submitted,
        }
    }
    panic!("journey {id} did not end");
}

fn ready(step: InteractionStep) -> Interaction {
    match step {
        InteractionStep::Ready(interaction) => interaction,
        other => panic!("expected an interaction, got {other:?}"),
    }
}

/// A simulator, a client of it and an `api-kyc` journey there at its first
/// interaction, the personal details.
async fn at_personal_details() -> (Simulator, gbg_go_host::Client, String, Interaction) {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    let id = support::start_api_kyc(&mut client, &simulator).await;
    let personal = ready(next(&mut client, &id).await);
    (simulator, client, id, personal)
}

fn submission(interaction: &Interaction, elements: &[&str], subject: Value) -> Submission {
    Submission {
        instance_id: interaction.instance_id.clone(),
        interaction_id: interaction.interaction_id.clone(),
        participants: elements
            .iter()
            .map(|e| Participant {
                domain_element_id: (*e).into(),
                instruction: None,
            })
            .collect(),
        subject: subject.to_string(),
    }
}

fn problem_names(error: &gbg_go_host::Error) -> Vec<String> {
    match error.api() {
        Some(ApiError::BadRequest(failure)) => {
            failure.problems.iter().map(|p| p.name.clone()).collect()
        }
        other => panic!("expected a rejected request, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_interaction_api_journey_completes_with_partial_submissions() {
    let (simulator, mut client, id, personal) = at_personal_details().await;
    assert!(
        personal.interaction_id.contains("personal-details"),
        "{}",
        personal.interaction_id
    );
    assert_eq!(
        personal.outstanding,
        ["FullName", "DateOfBirth", "CurrentAddress"]
    );
    let email = personal
        .collects
        .iter()
        .find(|c| c.element.ref_ == "PersonalEmail")
        .expect("collects lists the optional element");
    assert_eq!(email.element.spec, "optional");

    // A partial submission: the name only. `outstanding` shrinks.
    let name = json!({"identity": {"firstName": "Jane", "lastNames": ["Doe"]}});
    client
        .submit_interaction(&submission(&personal, &["FullName"], name))
        .await
        .unwrap();
    let rest = ready(next(&mut client, &id).await);
    assert_eq!(rest.interaction_id, personal.interaction_id);
    assert_eq!(rest.outstanding, ["DateOfBirth", "CurrentAddress"]);

    // The rest, planned from the answers file.
    let planned = plan(&mut client, ANSWERS, &rest).await;
    client.submit_interaction(&planned).await.unwrap();

    // A processing gap, then the document capture interaction.
    assert_eq!(
        client.fetch_interaction(&id).await.unwrap(),
        InteractionStep::NotReady(JourneyStatus::InProgress),
        "no interaction while the modules run"
    );
    let document = ready(next(&mut client, &id).await);
    assert!(document.interaction_id.contains("document-capture"));
    assert_eq!(document.outstanding, ["PrimaryDocument/side1Image"]);

    // A wrong interaction id is rejected and changes nothing.
    let mut wrong = plan(&mut client, ANSWERS, &document).await;
    wrong.interaction_id = personal.interaction_id.clone();
    let error = client.submit_interaction(&wrong).await.unwrap_err();
    assert_eq!(problem_names(&error), ["INTERACTION_MISMATCH"]);

    // No participants: GBG answers success but nothing advances.
    let idle = submission(&document, &[], json!({"documents": []}));
    client.submit_interaction(&idle).await.unwrap();
    assert_eq!(
        ready(next(&mut client, &id).await).outstanding,
        document.outstanding
    );

    let planned = plan(&mut client, ANSWERS, &document).await;

    client.submit_interaction(&planned).await.unwrap();
    assert_eq!(
        next(&mut client, &id).await,
        InteractionStep::NotReady(JourneyStatus::Completed)
    );
    let state = client.fetch_journey_state(&id, &[]).await.unwrap();
    assert_eq!(state.status, JourneyStatus::Completed);
    let document_state: Value = serde_json::from_str(&state.document).unwrap();
    assert_eq!(
        document_state["context"]["subject"]["identity"]["firstName"],
        "Jane"
    );

    // A submission after completion is refused.
    let planned = plan(&mut client, ANSWERS, &document).await;
    let error = client.submit_interaction(&planned).await.unwrap_err();
    assert_eq!(problem_names(&error), ["JOURNEY_NOT_ACTIVE"]);

    // Every submission the component sent carried participants and context.subject.
    for request in simulator.request_log().iter().filter(|r| r.path == SUBMIT) {
        assert!(request.body["participants"].is_array(), "{}", request.body);
        assert!(
            request.body["context"]["subject"].is_object(),
            "{}",
            request.body
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn data_the_journey_cannot_use_is_rejected_with_the_reason() {
    let (_simulator, mut client, id, personal) = at_personal_details().await;

    // Participants whose data is missing from the subject.
    let error = client
        .submit_interaction(&submission(&personal, &["DateOfBirth"], json!({})))
        .await
        .unwrap_err();
    assert_eq!(problem_names(&error), ["MISSING_FIELD"]);
    // Data that breaks GBG's schema (a country must be an ISO code).
    let bad_country =
        json!({"identity": {"currentAddress": {"lines": ["1 A St"], "country": "England"}}});
    let error = client
        .submit_interaction(&submission(&personal, &["CurrentAddress"], bad_country))
        .await
        .unwrap_err();
    assert_eq!(problem_names(&error), ["MISSING_FIELD"]);
    assert!(error.to_string().contains("country"), "{error}");
    assert_eq!(
        ready(next(&mut client, &id).await).outstanding,
        personal.outstanding
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn end_user_tokens_are_obtained_when_the_service_requires_them() {
    let simulator = support::simulator_with(SimulatorConfig {
        interaction_auth: SimulatorAuth::EndUser,
        ..SimulatorConfig::default()
    })
    .await;

    // Without an end-user token, interaction calls are refused: the
    // customer token is valid, but not for this operation.
    let mut customer = support::client(&simulator).await;
    let id = support::start_api_kyc(&mut customer, &simulator).await;
    let error = customer.fetch_interaction(&id).await.unwrap_err();
    assert!(
        matches!(error.api(), Some(ApiError::Forbidden(_))),
        "{error}"
    );
    assert!(error.to_string().contains("end-user token"), "{error}");

    // Configured for end-user tokens, the client connects a device first.
    let mut settings = support::settings(&simulator);
    settings.interaction_auth = Some(InteractionAuth::EndUserToken);
    let mut end_user = support::runtime().open(settings).await.unwrap();
    let personal = ready(next(&mut end_user, &id).await);
    assert_eq!(personal.outstanding.len(), 3);
    let planned = plan(&mut end_user, ANSWERS, &personal).await;
    end_user.submit_interaction(&planned).await.unwrap();
    let count = |path: &str| support::count_requests(&simulator, path);
    assert_eq!(
        count("/v2/captain/journey/device/start"),
        1,
        "one device per instance"
    );
    assert_eq!(count("/v2/captain/journey/device/connect"), 1);
}

#[test]
fn the_interact_command_runs_an_api_journey_from_an_answers_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let simulator = runtime.block_on(support::simulator());
    let answers = support::repository().join("simulator/examples/api-kyc-answers.json");
    let output = Command::new(env!("CARGO_BIN_EXE_gbg-go"))
        .args(["interact", "--json", "--interval", "0.1", "--answers"])
        .arg(&answers)
        .args([
            "--resource-id",
            &simulator.journey_resource_id("api-kyc").unwrap(),
        ])
        .envs(support::compile_cache_env())
        .envs(support::cli_env(&simulator))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(result["status"], "Completed");
    let steps = result["interactions"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        steps[0]["outstanding"],
        json!(["FullName", "DateOfBirth", "CurrentAddress"])
    );
    assert_eq!(
        steps[0]["submitted"],
        json!(["FullName", "DateOfBirth", "CurrentAddress", "PersonalEmail"])
    );
    assert_eq!(steps[1]["submitted"], json!(["PrimaryDocument"]));
}

/// The simulator's two ways of answering without an interaction and of
/// listing `outstanding`: the default (status answer, shrinking) and GBG's
/// OpenAPI in-body error with a list that never shrinks.
pub fn modes() -> [SimulatorConfig; 2] {
    [
        SimulatorConfig::default(),
        SimulatorConfig {
            not_ready_answer: NotReadyAnswer::Error,
            outstanding: Outstanding::Static,
            ..SimulatorConfig::default()
        },
    ]
}

/// Asserts that no interaction of an instance was sent an element twice, and
/// that every submission was accepted.
pub fn assert_each_element_submitted_once(simulator: &Simulator) {
    let mut seen = std::collections::BTreeSet::new();
    for request in simulator.request_log().iter().filter(|r| r.path == SUBMIT) {
        assert_eq!(request.status, Some(200), "{}", request.response);
        let body = &request.body;
        let text = |value: &Value| value.as_str().unwrap().to_owned();
        let (instance, interaction) = (text(&body["instanceId"]), text(&body["interactionId"]));
        for participant in body["participants"].as_array().unwrap() {
            let element = text(&participant["domainElementId"]);
            assert!(
                seen.insert((instance.clone(), interaction.clone(), element.clone())),
                "{element} was submitted twice to {interaction} of {instance}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outstanding_list_that_never_shrinks_gets_each_element_once() {
    let [_, config] = modes();
    let simulator = support::simulator_with(config).await;
    let mut client = support::client(&simulator).await;
    let id = support::start_api_kyc(&mut client, &simulator).await;
    let mut accepted = Vec::new();

    let personal = ready(client.fetch_interaction(&id).await.unwrap());
    let mut name = plan(&mut client, ANSWERS, &personal).await;
    name.participants.truncate(1);
    client.submit_interaction(&name).await.unwrap();
    accepted.extend(name.accepted());
    let again = ready(client.fetch_interaction(&id).await.unwrap());
    assert_eq!(again.interaction_id, personal.interaction_id);
    assert_eq!(again.outstanding, personal.outstanding, "it never shrinks");

    let again = InteractionStep::Ready(again);
    let rest = client
        .plan_submission(&again, ANSWERS, &accepted)
        .await
        .unwrap()
        .unwrap();
    let rest_elements: Vec<_> = rest
        .participants
        .iter()
        .map(|p| p.domain_element_id.as_str())
        .collect();
    assert_eq!(
        rest_elements,
        ["DateOfBirth", "CurrentAddress", "PersonalEmail"]
    );
    client.submit_interaction(&rest).await.unwrap();
    accepted.extend(rest.accepted());
    // Shown again while its data is processed: nothing is left to send.
    let processing = ready(client.fetch_interaction(&id).await.unwrap());
    assert_eq!(processing.interaction_id, personal.interaction_id);
    let processing = InteractionStep::Ready(processing);
    assert_eq!(
        client
            .plan_submission(&processing, ANSWERS, &accepted)
            .await
            .unwrap(),
        None
    );

    let submitted = answer_interactions(&mut client, &id, ANSWERS).await;
    assert_eq!(submitted.len(), 1, "the document, once");
    assert_eq!(
        submitted[0].participants[0].domain_element_id,
        "PrimaryDocument"
    );
    assert_each_element_submitted_once(&simulator);
    let state = client.fetch_journey_state(&id, &[]).await.unwrap();
    assert_eq!(state.status, JourneyStatus::Completed);
}

#[test]
fn the_interact_command_reaches_every_scenario_outcome_in_either_mode() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answers = support::repository().join("simulator/examples/api-kyc-answers.json");
    for config in modes() {
        let mode = format!("{:?}, {:?}", config.not_ready_answer, config.outstanding);
        let simulator = runtime.block_on(support::simulator_with(config.clone()));
        for journey in &config.journeys {
            let name = &journey.name;
            let output = Command::new(env!("CARGO_BIN_EXE_gbg-go"))
                .args(["interact", "--json", "--interval", "0.05", "--answers"])
                .arg(&answers)
                .args(["--resource-id", &journey.pinned_resource_id()])
                .env("GBG_GO_CACHE_DIR", support::compile_cache())
                .envs(support::cli_env(&simulator))
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
                panic!(
                    "{name} ({mode}): {stdout}{}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
            let (status, decision, exit) = match journey.outcome {
                Outcome::Accept => ("Completed", Some("Decision: Accept"), 0),
                Outcome::Reject => ("Completed", Some("Decision: Reject"), 0),
                Outcome::Refer => ("Completed", Some("Decision: Manual review"), 0),
                Outcome::Fail => ("Failed", None, 3),
                Outcome::Pause => ("Paused", None, 5),
            };
            assert_eq!(result["status"], status, "{name} ({mode})");
            assert_eq!(output.status.code(), Some(exit), "{name} ({mode})");
            if let Some(decision) = decision {
                assert_eq!(
                    result["state"]["context"]["result"]["outcome"], decision,
                    "{name} ({mode})"
                );
            }
            let interactions = match &journey.completion {
                Completion::HostedPage { .. } => 1,
                Completion::Interactions { interactions, .. } => interactions.len(),
                Completion::Polls { .. } => 0,
            };
            let steps = result["interactions"].as_array().unwrap();
            assert_eq!(
                steps.len(),
                interactions,
                "{name} ({mode}): one submission each"
            );
        }
        assert_each_element_submitted_once(&simulator);
        // Each interaction was answered in one submission; with a list that
        // never shrinks, answered interactions were also shown again.
        let log = simulator.request_log();
        let shown = log
            .iter()
            .filter(|r| r.path == FETCH && r.response.get("interactionId").is_some())
            .count();
        let submitted = log.iter().filter(|r| r.path == SUBMIT).count();
        match config.outstanding {
            Outstanding::Shrinking => assert_eq!(shown, submitted, "{mode}"),
            Outstanding::Static => assert!(shown > submitted, "{mode}: {shown} shown"),
        }
    }
}
