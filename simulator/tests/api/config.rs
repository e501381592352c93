//! Configuration files, validation and the simulator's lifecycle.

use std::path::Path;

use gbg_go_simulator::{
    ConfigError, Credentials, NotReadyAnswer, Outstanding, Simulator, SimulatorConfig,
};
use serde_json::json;

use crate::support::Harness;

fn example_path() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/config.json"))
}

#[tokio::test]
async fn the_example_config_file_loads_and_is_served() {
    let config = SimulatorConfig::from_json_file(example_path()).unwrap();
    assert_eq!(config.default_journey, "kyc-hosted");
    let h = Harness::with(config).await;
    assert_eq!(h.sim.credentials().client_id, "example-client");
    assert!(h.sim.resource_id().ends_with("@y5z6bj7o"));
    let token = h.token().await;
    let answer = h.request_token().await;
    assert_eq!(answer.body["expires_in"], 300);
    let id = h.start_journey(&token, "batch", "page").await;
    let first = h.fetch_state(&token, &id).await;
    assert_eq!(
        first.status, 429,
        "the configured rate limit hits the first state fetch"
    );
    assert_eq!(first.headers["retry-after"], "1");
    let state = h.state(&token, &id).await;
    assert_eq!(state["context"]["result"]["outcome"], "Decision: Reject");
    let api = h.start_journey(&token, "kyc-api", "api").await;
    let doc = h.fetch_interaction(&token, &api).await;
    assert_eq!(
        doc.body["interactionId"],
        "grn:::gbg:design:interaction:segment1@latest"
    );
}

#[test]
fn partial_files_take_the_demo_defaults() {
    let config = SimulatorConfig::from_json_str(r#"{"faults": {"latency_ms": 5}}"#).unwrap();
    assert_eq!(config.faults.latency_ms, 5);
    assert_eq!(config.journeys, SimulatorConfig::default().journeys);
    let knobs =
        SimulatorConfig::from_json_str(r#"{"not_ready_answer": "error", "outstanding": "static"}"#)
            .unwrap();
    assert_eq!(
        (knobs.not_ready_answer, knobs.outstanding),
        (NotReadyAnswer::Error, Outstanding::Static)
    );
    assert!(SimulatorConfig::from_json_str(r#"{"outstanding": "never"}"#).is_err());
    let text = serde_json::to_string(&SimulatorConfig::default()).unwrap();
    assert_eq!(
        SimulatorConfig::from_json_str(&text).unwrap(),
        SimulatorConfig::default()
    );
}

#[test]
fn invalid_configurations_are_refused() {
    let mut journeys = serde_json::to_value(SimulatorConfig::default().journeys).unwrap();
    let with = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut copy = journeys.clone();
        change(&mut copy);
        SimulatorConfig::from_json_str(&json!({"journeys": copy}).to_string())
    };
    let invalid = [
        with(&|j| j[1]["name"] = json!("accept")),
        with(&|j| j[1]["resource_id"] = j[0]["resource_id"].clone()),
        with(&|j| j[0]["resource_id"] = json!("ABC")),
        with(&|j| j[0]["version"] = json!("latest")),
        with(&|j| j[7]["completion"]["interactions"][0]["collects"][0]["ref"] = json!("Nickname")),
        with(&|j| j[7]["completion"]["interactions"] = json!([])),
    ];
    for result in invalid {
        assert!(matches!(result, Err(ConfigError::Invalid(_))), "{result:?}");
    }
    journeys[0]["colour"] = json!("red");
    let unknown_field = SimulatorConfig::from_json_str(&json!({"journeys": journeys}).to_string());
    assert!(matches!(unknown_field, Err(ConfigError::Parse(_))));
    let bad_status = SimulatorConfig::from_json_str(
        r#"{"faults": {"server_error": {"count": 1, "status": 501}}}"#,
    );
    assert!(matches!(bad_status, Err(ConfigError::Parse(_))));
    let no_default = SimulatorConfig::from_json_str(r#"{"default_journey": "nope"}"#);
    assert!(matches!(no_default, Err(ConfigError::Invalid(_))));
    assert!(matches!(
        SimulatorConfig::from_json_file(Path::new("no/such/file.json")),
        Err(ConfigError::Read(_))
    ));
}

#[tokio::test]
async fn start_refuses_an_invalid_config() {
    let config = SimulatorConfig {
        credentials: Credentials {
            client_secret: String::new(),
            ..Credentials::default()
        },
        ..SimulatorConfig::default()
    };
    let error = Simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let h = Harness::start().await;
    let health = format!("{}/journey/health", h.sim.base_url());
    assert!(h.sim.origin().starts_with("http://127.0.0.1:"));
    assert_eq!(
        h.http.get(&health).send().await.unwrap().status().as_u16(),
        200
    );
    h.sim.shutdown().await;
    assert!(h.http.get(&health).send().await.is_err());

    let other = Harness::start().await;
    let health = format!("{}/journey/health", other.sim.base_url());
    drop(other.sim);
    tokio::task::yield_now().await;
    assert!(other.http.get(&health).send().await.is_err());
}
