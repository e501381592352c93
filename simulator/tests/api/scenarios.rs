//! The built-in scenarios, driven as a client would.

use gbg_go_simulator::scenarios::{AUTO_POLLS, SLOW_POLLS};
use gbg_go_simulator::{Completion, SimulatorConfig};
use serde_json::{Value, json};

use crate::support::{Harness, PERSON};

/// Starts `name`, submits the hosted page and fetches the state once.
async fn run(h: &Harness, token: &str, name: &str) -> Value {
    let id = h.start_journey(token, name, "page").await;
    assert_eq!(
        h.state(token, &id).await["status"],
        "InProgress",
        "{name} waits for the page"
    );
    assert_eq!(h.submit_page(&id, &PERSON).await.0, 200);
    h.state(token, &id).await
}

fn step<'a>(state: &'a Value, node: &str) -> &'a Value {
    state["context"]["process"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["nodeId"] == node)
        .unwrap_or_else(|| panic!("no step {node} in {state}"))
}

/// What an end user gives for each interaction: the identity, or the document.
fn answer_for(outstanding: &[Value]) -> Value {
    if outstanding.iter().any(|entry| {
        entry
            .as_str()
            .is_some_and(|e| e.starts_with("PrimaryDocument"))
    }) {
        json!({"documents": [{"type": "primary", "side1Image": "aW1hZ2U="}]})
    } else {
        json!({"identity": {"firstName": "Jane", "lastNames": ["Doe"], "dateOfBirth": "1992-10-01",
               "currentAddress": {"lines": ["12 Example Street"], "locality": "London",
                                  "postalCode": "SW1A 1AA", "country": "GB"}}})
    }
}

/// Drives instance `id`, started with `delivery`, to its end as an integrator would:
/// under `page` the person sends the hosted page's form (when it has one), under `api`
/// every interaction is answered; the state is polled until it is no longer
/// `InProgress`, and returned.
async fn drive(h: &Harness, token: &str, id: &str, delivery: &str) -> Value {
    if delivery == "page" {
        let (_, _, html) = h.get_page(&format!("/journey/{id}")).await;
        if html.contains("<form") {
            assert_eq!(h.submit_page(id, &PERSON).await.0, 200);
        }
    }
    for _ in 0..20 {
        if delivery == "api" {
            let fetched = h.fetch_interaction(token, id).await.body;
            if let Some(interaction) = fetched["interactionId"].as_str() {
                let outstanding = fetched["outstanding"].as_array().unwrap();
                let body = json!({"instanceId": id, "interactionId": interaction,
                    "participants": outstanding.iter().map(|e| json!({"domainElementId": e})).collect::<Vec<_>>(),
                    "context": {"subject": answer_for(outstanding)}});
                let submitted = h
                    .post("journey/interaction/submit", Some(token), &body)
                    .await;
                assert_eq!(submitted.status, 200, "{}", submitted.body);
                continue;
            }
        }
        let state = h.state(token, id).await;
        if state["status"] != "InProgress" {
            return state;
        }
    }
    panic!("{id} ({delivery}) did not end");
}

#[tokio::test]
async fn every_scenario_reaches_the_same_outcome_with_either_delivery() {
    let (h, token) = Harness::signed_in().await;
    for journey in SimulatorConfig::default().journeys {
        let name = journey.name.as_str();
        let mut ends = Vec::new();
        for delivery in ["page", "api"] {
            let id = h.start_journey(&token, name, delivery).await;
            let state = drive(&h, &token, &id, delivery).await;
            let result = &state["context"]["result"];
            ends.push((
                state["status"].clone(),
                result["status"].clone(),
                result["outcome"].clone(),
            ));
        }
        assert_eq!(ends[0], ends[1], "{name}: page, then api");
        assert_ne!(ends[0].0, "InProgress", "{name}");
    }
}

#[tokio::test]
async fn every_scenario_has_a_stable_published_resource_id() {
    let h = Harness::start().await;
    let names = [
        "accept", "reject", "refer", "fail", "pause", "slow", "auto", "api-kyc",
    ];
    let ids: Vec<String> = names
        .iter()
        .map(|n| h.sim.journey_resource_id(n).unwrap())
        .collect();
    assert_eq!(h.sim.resource_id(), ids[0]);
    assert!(h.sim.journey_resource_id("nope").is_none());
    let again = Harness::start().await;
    for (name, id) in names.iter().zip(&ids) {
        assert_eq!(
            again.sim.journey_resource_id(name).as_ref(),
            Some(id),
            "{name} is stable"
        );
        let (hex, version) = id.split_once('@').unwrap();
        assert_eq!(hex.len(), 64);
        assert!(!version.is_empty());
    }
}

#[tokio::test]
async fn decisions_of_completed_journeys() {
    let (h, token) = Harness::signed_in().await;
    for (name, decision, data_outcome) in [
        ("accept", "Decision: Accept", "Match"),
        ("reject", "Decision: Reject", "No Match"),
        ("refer", "Decision: Manual review", "Match"),
    ] {
        let state = run(&h, &token, name).await;
        assert_eq!(state["status"], "Completed", "{name}");
        let result = &state["context"]["result"];
        assert_eq!(result["status"], "completed");
        assert_eq!(result["outcome"], decision);
        assert!(result["advice"]["contains"]["gbgScore"].is_number());
        assert_ne!(state["metaData"]["completedTime"], "");
        let journey = &state["context"]["process"]["journey"];
        assert_eq!(journey["endedAt"], state["metaData"]["completedTime"]);
        assert!(journey["durationMilliSec"].is_u64());
        let data = step(&state, "data-verification");
        assert_eq!(data["name"], "Data Verification");
        assert_eq!(data["result"]["status"], "complete");
        assert_eq!(data["result"]["outcome"], data_outcome);
        assert!(data["result"]["note"].is_string());
        assert!(data["result"]["advice"].is_object());
        assert_eq!(
            step(&state, "evaluation-decision"),
            &json!({"nodeId": "evaluation-decision"})
        );
    }
}

#[tokio::test]
async fn fail_reports_module_errors() {
    let (h, token) = Harness::signed_in().await;
    let state = run(&h, &token, "fail").await;
    assert_eq!(state["status"], "Failed");
    assert_eq!(state["context"]["result"]["status"], "failed");
    assert_ne!(state["metaData"]["completedTime"], "");
    let result = &step(&state, "data-verification")["result"];
    assert_eq!(result["status"], "error");
    let error = &result["error"];
    assert!(
        error["correlationId"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    let entry = &error["errors"][0];
    assert_eq!(entry["error"], "MODULE_EXECUTION_FAILED");
    for field in ["location", "problem", "action", "code"] {
        assert!(entry[field].is_string(), "{field}");
    }
}

#[tokio::test]
async fn pause_is_paused_and_not_completed() {
    let (h, token) = Harness::signed_in().await;
    let state = run(&h, &token, "pause").await;
    assert_eq!(state["status"], "Paused");
    assert_eq!(state["metaData"]["completedTime"], "");
    assert_eq!(state["context"]["result"]["status"], "pending");
    assert_eq!(
        step(&state, "sanctions-screening")["result"]["status"],
        "pending"
    );
}

#[tokio::test]
async fn slow_stays_in_progress_for_its_polls() {
    let (h, token, id) = Harness::with_journey("slow", "page").await;
    assert_eq!(h.submit_page(&id, &PERSON).await.0, 200);
    for poll in 0..SLOW_POLLS {
        assert_eq!(
            h.state(&token, &id).await["status"],
            "InProgress",
            "poll {poll}"
        );
    }
    assert_eq!(h.state(&token, &id).await["status"], "Completed");
}

#[tokio::test]
async fn auto_completes_without_a_page_visit() {
    let (h, token, id) = Harness::with_journey("auto", "page").await;
    let (_, _, html) = h.get_page(&format!("/journey/{id}")).await;
    assert!(!html.contains("<form"), "auto needs no form");
    for _ in 0..AUTO_POLLS {
        assert_eq!(h.state(&token, &id).await["status"], "InProgress");
    }
    let state = h.state(&token, &id).await;
    assert_eq!(state["status"], "Completed");
    assert_eq!(state["context"]["result"]["outcome"], "Decision: Accept");
}

#[tokio::test]
async fn poll_counts_are_configurable_down_to_zero() {
    let (h, token) = Harness::signed_in_with(|config| {
        for journey in &mut config.journeys {
            match &mut journey.completion {
                Completion::Polls { polls } => *polls = 0,
                Completion::HostedPage { polls_after_submit } if journey.name == "slow" => {
                    *polls_after_submit = 1
                }
                _ => {}
            }
        }
    })
    .await;
    let auto = h.start_journey(&token, "auto", "page").await;
    assert_eq!(h.state(&token, &auto).await["status"], "Completed");
    let slow = h.start_journey(&token, "slow", "page").await;
    h.submit_page(&slow, &PERSON).await;
    assert_eq!(h.state(&token, &slow).await["status"], "InProgress");
    assert_eq!(h.state(&token, &slow).await["status"], "Completed");
}

#[tokio::test]
async fn the_instance_accessor_does_not_count_as_a_poll() {
    let (h, _, id) = Harness::with_journey("auto", "page").await;
    for _ in 0..5 {
        assert_eq!(h.sim.instance(&id).unwrap()["status"], "InProgress");
    }
}
