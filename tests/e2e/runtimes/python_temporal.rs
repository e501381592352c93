//! `gbg_go.temporal` from the installed wheel on a real Temporal dev
//! server, against simulators: the README's example, then the checks of
//! `tests/python/temporal_checks.py`, whose effects the simulators' logs
//! show.

use gbg_go_simulator::{Simulator, SimulatorConfig};
use serde_json::{Value, json};

use super::{example_env, json_report, python, python_example, repository, run_example};
use crate::support;
use crate::temporal::DevServer;

/// Runs `temporal_checks.py <name>` on `server` against `simulator`.
async fn check(name: &str, server: &DevServer, simulator: &Simulator) -> Value {
    let mut command = tokio::process::Command::new(python());
    command
        .arg(repository().join("tests/python/temporal_checks.py"))
        .arg(name)
        .env("TEMPORAL_ADDRESS", server.address());
    if let Some(api_kyc) = simulator.journey_resource_id("api-kyc") {
        command.env("GBG_GO_API_RESOURCE_ID", api_kyc);
    }
    command.env(
        "GBG_GO_ANSWERS",
        repository().join("simulator/examples/api-kyc-answers.json"),
    );
    command.envs(example_env(simulator));
    let report = json_report(command, &format!("temporal_checks.py {name}")).await;
    println!("temporal_checks.py {name}: {report}");
    report
}

/// The statuses the simulator answered to `path`, in order.
fn statuses(simulator: &Simulator, path: &str) -> Vec<Value> {
    simulator
        .request_log()
        .iter()
        .filter(|r| r.path == path)
        .map(|r| json!(r.status))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_temporal_example_runs_a_hosted_journey() {
    let server = DevServer::start();
    let simulator = support::simulator().await;
    let mut command = python_example("temporal_journey.py");
    command
        .envs(example_env(&simulator))
        .env("TEMPORAL_ADDRESS", server.address());
    let last = run_example(command).await;
    assert!(last.ends_with("Completed: Decision: Accept"), "{last}");
}

/// One dev server for the checks, which run one after the other, each
/// against simulators of its own.
#[tokio::test(flavor = "multi_thread")]
async fn python_verify_identity_workflows_on_a_temporal_dev_server() {
    let server = DevServer::start();

    // A worker stops while the journey waits; a new one resumes it.
    let simulator = support::simulator().await;
    check("resume", &server, &simulator).await;
    assert_eq!(statuses(&simulator, "/v2/captain/journey/start"), [201]);

    // The signal cuts an hour-long poll interval short.
    let simulator = support::simulator().await;
    let seen = check("signal", &server, &simulator).await;
    assert!(seen["after_signal_s"].as_f64().unwrap() < 3600.0, "{seen}");

    // A wrong secret: one refused token request, never retried, no journey.
    let simulator = support::simulator().await;
    check("wrong-secret", &server, &simulator).await;
    assert_eq!(statuses(&simulator, "/as/token.oauth2"), [401]);
    assert!(statuses(&simulator, "/v2/captain/journey/start").is_empty());

    // journey/start answers 429 six times with Retry-After: 1; the component
    // gives up after its four attempts, Temporal retries the activity after
    // GBG's delay, and the journey starts.
    let faults = json!({"faults": {"path_prefix": "journey/start",
        "rate_limit": {"count": 6, "retry_after_s": 1}}});
    let config: SimulatorConfig = serde_json::from_value(faults).unwrap();
    let simulator = support::simulator_with(config).await;
    check("rate-limited", &server, &simulator).await;
    let expected: Vec<Value> = [429; 6]
        .into_iter()
        .chain([201])
        .map(|s| json!(s))
        .collect();
    assert_eq!(statuses(&simulator, "/v2/captain/journey/start"), expected);

    // The api-kyc journey through the Update, in both of the simulator's modes.
    for config in crate::api_journey::modes() {
        let simulator = support::simulator_with(config).await;
        check("api-update", &server, &simulator).await;
        crate::api_journey::assert_each_element_submitted_once(&simulator);
    }

    // A timeout and a cancellation each delete their instance.
    for name in ["timeout", "cancel"] {
        let simulator = support::simulator().await;
        check(name, &server, &simulator).await;
        assert_eq!(
            statuses(&simulator, "/v2/captain/journey/state/delete"),
            [200],
            "{name}"
        );
    }
}

#[test]
fn the_readme_shows_the_python_temporal_example_as_the_tests_run_it() {
    let read = |path: &str| std::fs::read_to_string(repository().join(path)).unwrap();
    let readme = read("README.md");
    let section = &readme[readme.find("### In workflow engines").expect("the section")..];
    let block = section
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a Python block");
    assert!(
        read("bindings/python/examples/temporal_journey.py").contains(block),
        "the README's Python block differs from examples/temporal_journey.py:\n{block}"
    );
}
