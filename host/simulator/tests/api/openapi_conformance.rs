//! The simulator's answers validated against GBG's OpenAPI response schemas (the
//! derived copy in `schema/openapi-derived.json`), minus the documented differences.

use gbg_go_simulator::schema::compile;
use serde_json::{Value, json};

use crate::support::{Harness, PERSON};

fn assert_valid(definition: &str, value: &Value) {
    let validator = compile(definition).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
        .collect();
    assert!(errors.is_empty(), "{definition}: {errors:?}\n{value}");
}

/// The state document without the docs' `context.process` and `context.result`, which
/// the OpenAPI file does not describe (README, deliberate differences).
fn openapi_view(state: &Value) -> Value {
    let mut state = state.clone();
    let context = state["context"].as_object_mut().unwrap();
    context.remove("process");
    context.remove("result");
    state
}

#[tokio::test]
async fn hosted_journey_answers_match_the_openapi_schemas() {
    let h = Harness::start().await;
    let token_answer = {
        let c = h.sim.credentials();
        h.token_request(
            "/as/token.oauth2",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &c.client_id),
                ("client_secret", &c.client_secret),
                ("scope", "gbg.token"),
            ],
        )
        .await
    };
    assert_valid("tokenResponse", &token_answer.body);
    let token = token_answer.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let health = h
        .http
        .get(format!("{}/journey/health", h.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_valid("healthResponse", &health.json().await.unwrap());
    let start = json!({"resourceId": h.sim.journey_resource_id("accept").unwrap(),
                       "context": {"config": {"delivery": "page"}, "subject": {}}});
    let started = h.post("journey/start", Some(&token), &start).await;
    assert_valid("startResponse", &started.body);
    let id = started.body["instanceId"].as_str().unwrap().to_owned();
    assert_valid(
        "stateFetchResponse",
        &openapi_view(&h.state(&token, &id).await),
    );
    h.submit_page(&id, &PERSON).await;
    assert_valid(
        "stateFetchResponse",
        &openapi_view(&h.state(&token, &id).await),
    );
    let deleted = h
        .post(
            "journey/state/delete",
            Some(&token),
            &json!({"instanceId": id}),
        )
        .await;
    assert_valid("stateDeleteResponse", &deleted.body);
}

#[tokio::test]
async fn api_journey_answers_match_the_openapi_schemas() {
    let h = Harness::start().await;
    let token = h.token().await;
    let id = h.start_journey(&token, "api-kyc", "api").await;
    let device = h
        .post(
            "journey/device/start",
            Some(&token),
            &json!({"instanceId": id, "scope": ["any"]}),
        )
        .await;
    assert_valid("deviceStartResponse", &device.body);
    let connect = device.body["connectToken"].as_str().unwrap().to_owned();
    let connected = h
        .post(
            "journey/device/connect",
            Some(&connect),
            &json!({"connectToken": connect, "deviceInfo": {"deviceId": "device-0123456789"}}),
        )
        .await;
    assert_valid("deviceConnectResponse", &connected.body);
    let interaction = h
        .post(
            "journey/interaction/fetch",
            Some(&token),
            &json!({"instanceId": id}),
        )
        .await;
    assert_valid("interactionFetchResponse", &interaction.body);
    let submit = json!({"instanceId": id, "interactionId": interaction.body["interactionId"],
        "participants": [{"domainElementId": "FullName"}],
        "context": {"subject": {"identity": {"firstName": "A", "lastNames": ["B"]}}}});
    let submitted = h
        .post("journey/interaction/submit", Some(&token), &submit)
        .await;
    assert_valid("interactionSubmitResponse", &submitted.body);
    let partial = h
        .post(
            "journey/interaction/fetch",
            Some(&token),
            &json!({"instanceId": id}),
        )
        .await;
    assert_valid("interactionFetchResponse", &partial.body);
}
