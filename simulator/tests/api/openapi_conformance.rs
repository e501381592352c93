//! Every exchange with the simulator, both directions, checked against the contract:
//! GBG's OpenAPI file (the derived copy in `schema/openapi-derived.json`) with the
//! documented deviations of `schema/deviations.json` applied.

use std::collections::BTreeSet;

use gbg_go_simulator::contract::contract;
use gbg_go_simulator::scenarios::SLOW_POLLS;
use gbg_go_simulator::{Credentials, NOT_READY_CODE, NotReadyAnswer, Outstanding, Simulator};
use serde_json::{Value, json};

use crate::support::{Harness, PERSON};

/// Checks every exchange in the log: every answer must conform, and every request
/// except `refused` ones the test sent invalid on purpose, which must have been answered
/// 400. Returns the OpenAPI paths of the operations seen.
fn assert_log_conforms(sim: &Simulator, refused: usize) -> BTreeSet<String> {
    let contract = contract().unwrap();
    let mut seen = BTreeSet::new();
    let mut violations = Vec::new();
    let mut invalid_requests = 0;
    for exchange in sim.request_log() {
        let Some(checked) = contract.check_exchange(&exchange) else {
            continue;
        };
        if !checked.request.is_empty() && exchange.status == Some(400) {
            invalid_requests += 1;
        } else {
            violations.extend(checked.request);
        }
        violations.extend(checked.answer);
        seen.extend(checked.operation.map(|operation| operation.path.clone()));
    }
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(invalid_requests, refused, "requests refused as invalid");
    seen
}

#[tokio::test]
async fn hosted_journey_exchanges_match_the_contract() {
    let h = Harness::start().await;
    let c = h.sim.credentials().clone();
    for path in [
        "/as/token.oauth2",
        "/auth/realms/go/protocol/openid-connect/token",
    ] {
        let answer = h.token_request(path, &c.password_form()).await;
        assert_eq!(answer.status, 200);
    }
    let wrong = Credentials {
        client_secret: "wrong".into(),
        ..c
    };
    let refused = h
        .token_request("/as/token.oauth2", &wrong.client_credentials_form())
        .await;
    assert_eq!(refused.status, 401);
    let token = h.token().await;
    assert_eq!(h.get("journey/health").await.status, 200);
    let resource_id = h.sim.journey_resource_id("accept").unwrap();
    let id = h.start_journey(&token, "accept", "page").await;
    h.state(&token, &id).await;
    h.submit_page(&id, &PERSON).await;
    h.state(&token, &id).await;
    let bad_prefill = json!({"resourceId": resource_id, "context": {"config": {"delivery": "page"},
        "subject": {"identity": {"dateOfBirth": "01/02/1990"}}}});
    let answer = h.post("journey/start", Some(&token), &bad_prefill).await;
    assert_eq!(answer.status, 400);
    let deleted = json!({"instanceId": id});
    assert_eq!(h.delete_state(&token, &id).await.status, 200);
    assert_eq!(h.fetch_state(&token, &id).await.status, 404);
    assert_eq!(
        h.post("journey/state/fetch", None, &deleted).await.status,
        401
    );
    for failed in ["fail", "pause", "reject", "refer"] {
        let id = h.start_journey(&token, failed, "page").await;
        h.submit_page(&id, &PERSON).await;
        h.state(&token, &id).await;
    }
    let seen = assert_log_conforms(&h.sim, 1);
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        [
            "/auth/realms/go/protocol/openid-connect/token",
            "/journey/health",
            "/journey/start",
            "/journey/state/delete",
            "/journey/state/fetch",
        ]
    );
}

#[tokio::test]
async fn api_journey_exchanges_match_the_contract() {
    let (h, token, id) = Harness::with_journey("api-kyc", "api").await;
    let device = h.device_start(&token, &id, json!(["any"])).await;
    let connect = device.body["connectToken"].as_str().unwrap().to_owned();
    let connected = h
        .device_connect(
            &connect,
            &json!({"connectToken": connect, "deviceInfo": {"deviceId": "device-0123456789"}}),
        )
        .await;
    assert_eq!(connected.status, 200);
    let interaction = h.fetch_interaction(&token, &id).await;
    let submit = json!({"instanceId": id, "interactionId": interaction.body["interactionId"],
        "participants": [{"domainElementId": "FullName"}],
        "context": {"subject": {"identity": {"firstName": "A", "lastNames": ["B"]}}}});
    let submitted = h
        .post("journey/interaction/submit", Some(&token), &submit)
        .await;
    assert_eq!(submitted.body["status"], "success");
    let mismatch = json!({"instanceId": id, "interactionId": "grn:::gbg:design:interaction:x@latest",
        "participants": [], "context": {"subject": {}}});
    let refused = h
        .post("journey/interaction/submit", Some(&token), &mismatch)
        .await;
    assert_eq!(refused.status, 400);
    h.fetch_interaction(&token, &id).await;
    let seen = assert_log_conforms(&h.sim, 0);
    assert!(
        seen.contains("/journey/device/connect") && seen.contains("/journey/interaction/submit")
    );
}

/// Every interaction fetch answer without an interaction in `sim`'s log.
fn not_ready_answers(sim: &Simulator) -> Vec<Value> {
    sim.request_log()
        .into_iter()
        .filter(|r| r.path.ends_with("/journey/interaction/fetch") && r.status == Some(200))
        .map(|r| r.response)
        .filter(|answer| answer.get("interactionId").is_none())
        .collect()
}

#[tokio::test]
async fn not_ready_answers_of_every_configuration_match_the_contract() {
    for (not_ready_answer, outstanding) in [
        (NotReadyAnswer::Status, Outstanding::Shrinking),
        (NotReadyAnswer::Error, Outstanding::Static),
    ] {
        let (h, token) = Harness::signed_in_with(|c| {
            c.not_ready_answer = not_ready_answer;
            c.outstanding = outstanding;
        })
        .await;
        // Waiting for its hosted page, then processing, then ended.
        let hosted = h.start_journey(&token, "api-kyc", "page").await;
        h.fetch_interaction(&token, &hosted).await;
        let id = h.start_journey(&token, "slow", "api").await;
        let form = h.fetch_interaction(&token, &id).await.body;
        let submit = json!({"instanceId": id, "interactionId": form["interactionId"],
            "participants": form["outstanding"].as_array().unwrap().iter()
                .map(|e| json!({"domainElementId": e})).collect::<Vec<_>>(),
            "context": {"subject": {"identity": {"firstName": "A", "lastNames": ["B"],
                "dateOfBirth": "1990-01-02", "currentAddress": {"lines": ["1 A St"], "country": "GB"}}}}});
        let submitted = h
            .post("journey/interaction/submit", Some(&token), &submit)
            .await;
        assert_eq!(submitted.status, 200, "{}", submitted.body);
        for _ in 0..=SLOW_POLLS {
            h.fetch_interaction(&token, &id).await;
        }
        assert_log_conforms(&h.sim, 0);
        let answers = not_ready_answers(&h.sim);
        let expected = match (not_ready_answer, outstanding) {
            (NotReadyAnswer::Status, _) => vec![
                json!({"instanceId": hosted, "journey": {"status": "InProgress"}, "processing": false}),
                json!({"instanceId": id, "journey": {"status": "InProgress"}, "processing": true}),
                json!({"instanceId": id, "journey": {"status": "InProgress"}, "processing": true}),
                json!({"instanceId": id, "journey": {"status": "InProgress"}, "processing": true}),
                json!({"instanceId": id, "journey": {"status": "Completed"}, "processing": false}),
            ],
            // The gap shows the form again; only the page wait and the end have none.
            (NotReadyAnswer::Error, _) => ["InProgress", "Completed"]
                .into_iter()
                .zip([&hosted, &id])
                .map(|(status, instance)| json!({"status": "error", "code": NOT_READY_CODE,
                    "message": format!("No interaction is ready for journey instance '{instance}' (the journey is {status})")}))
                .collect(),
        };
        assert_eq!(answers, expected, "{not_ready_answer:?}, {outstanding:?}");
    }
}

#[tokio::test]
async fn fault_answers_match_the_contract() {
    let (h, token) = Harness::signed_in().await;
    h.sim.faults().rate_limit_next(1, Some(1));
    h.sim
        .faults()
        .fail_next(1, gbg_go_simulator::ServerErrorStatus::BadGateway);
    let unknown = "Pq_hhIX6-sHUy9FLSDzPLu";
    assert_eq!(h.fetch_state(&token, unknown).await.status, 429);
    assert_eq!(h.fetch_state(&token, unknown).await.status, 502);
    h.sim.faults().rate_limit_next(1, None);
    assert_eq!(h.request_token().await.status, 429);
    assert_log_conforms(&h.sim, 0);
}

#[test]
fn the_readme_table_lists_exactly_the_deviations() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## Deliberate differences from GBG's OpenAPI file")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has the deviation table");
    let rows: Vec<&str> = section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|row| row.split_once('`').map(|(id, _)| id))
        .collect();
    let ids: Vec<&str> = contract()
        .unwrap()
        .deviations()
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(rows, ids, "README rows and schema/deviations.json");
}
