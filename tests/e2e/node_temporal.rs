//! `gbg-go/temporal` on a real Temporal server: the packed tarball and
//! @temporalio/* installed into an empty project, a `temporal server
//! start-dev` of its own per test, the simulator as GBG GO. Each test runs
//! one scenario of `tests/node/temporal.mjs` and holds what it reports
//! against the simulator's request log.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use gbg_go_simulator::{Simulator, SimulatorConfig, end_user};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::runtimes::{example_env, node_project, run, run_example};
use crate::temporal::DevServer;
use crate::{api_journey, support};

/// An empty Node project with the `gbg-go` tarball (the one [`node_project`]
/// packed) installed, and bindings/node's @temporalio packages (installed
/// by `npm ci` from its lock file) linked in as the optional peers.
fn temporal_project() -> &'static Path {
    static PROJECT: OnceLock<PathBuf> = OnceLock::new();
    PROJECT.get_or_init(|| {
        let tarball = std::fs::read_dir(node_project())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|e| e == "tgz"))
            .expect("the Node project holds the packed tarball");
        let project = Path::new(env!("CARGO_TARGET_TMPDIR")).join("node-temporal-project");
        let _ = std::fs::remove_dir_all(&project);
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(
            project.join("package.json"),
            r#"{"name": "gbg-go-temporal-e2e", "private": true, "type": "module"}"#,
        )
        .unwrap();
        run(
            Command::new("npm")
                .current_dir(&project)
                .args(["install", "--no-audit", "--no-fund", "--offline"])
                .arg(&tarball),
            "npm install of the packed tarball",
        );
        let temporal = support::repository().join("bindings/node/node_modules/@temporalio");
        assert!(
            temporal.join("worker").is_dir(),
            "bindings/node/node_modules/@temporalio is missing: run `bash .ci/run` once"
        );
        std::os::unix::fs::symlink(temporal, project.join("node_modules/@temporalio")).unwrap();
        project
    })
}

/// Runs scenario `name` of tests/node/temporal.mjs against `server` and
/// `simulator`, playing the end user whenever it asks; returns its report.
async fn scenario(name: &str, server: &DevServer, simulator: &Simulator) -> Value {
    scenario_with(name, server, simulator, &[], false).await
}

/// Like [`scenario`], with more variables; with `after_first_check`, the end
/// user finishes only once the workflow has checked the state once.
async fn scenario_with(
    name: &str,
    server: &DevServer,
    simulator: &Simulator,
    env: &[(&str, String)],
    after_first_check: bool,
) -> Value {
    let mut child = tokio::process::Command::new("node")
        .current_dir(temporal_project())
        .arg(support::repository().join("tests/node/temporal.mjs"))
        .arg(name)
        .envs(example_env(simulator))
        .env("TEMPORAL_ADDRESS", server.address())
        .envs(env.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the scenario starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let read = async {
        // The SDK's native core may log to stdout too: only events count.
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(event) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            match event["event"].as_str() {
                Some("end-user") => {
                    let url = event["url"].as_str().unwrap();
                    let id = url.rsplit('/').next().unwrap();
                    while after_first_check
                        && requests_about(simulator, "journey/state/fetch", id).is_empty()
                    {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    end_user::complete_hosted_page(url).await.unwrap();
                    stdin.write_all(b"done\n").await.unwrap();
                }
                Some("done") => return Some(event),
                _ => {}
            }
        }
        None
    };
    // A guard against a hang, not a timing assertion.
    let report = tokio::time::timeout(Duration::from_secs(120), read)
        .await
        .unwrap_or_else(|_| panic!("scenario {name} did not finish within 120 s"));
    let status = child.wait().await.unwrap();
    let report = report.unwrap_or_else(|| panic!("scenario {name} reported nothing ({status})"));
    println!("{name}: {report}");
    assert!(status.success(), "scenario {name} failed ({status})");
    report
}

/// The requests the simulator received below the API base for `path`
/// about `instance_id`.
fn requests_about(simulator: &Simulator, path: &str, instance_id: &str) -> Vec<Option<u16>> {
    simulator
        .request_log()
        .iter()
        .filter(|r| r.path == format!("/v2/captain/{path}"))
        .filter(|r| r.body["instanceId"] == instance_id)
        .map(|r| r.status)
        .collect()
}

/// The simulator deleted the reported journey's instance, once.
fn assert_deleted_once(simulator: &Simulator, report: &Value) {
    let id = report["journey"]["instanceId"].as_str().unwrap();
    let deletes = requests_about(simulator, "journey/state/delete", id);
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(deletes[0].is_some_and(|s| (200..300).contains(&s)));
}

fn assert_completed(report: &Value) {
    let result = &report["result"];
    assert_eq!(result["status"], "Completed", "{report}");
    assert_eq!(
        result["state"]["context"]["result"]["outcome"],
        "Decision: Accept"
    );
    assert_eq!(result["instanceId"], report["journey"]["instanceId"]);
    assert!(
        result.get("raw").is_none(),
        "the document once, not its text too"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hosted_journey_completes_in_the_workflow() {
    let (server, simulator) = (DevServer::start(), support::simulator().await);
    assert_completed(&scenario("hosted", &server, &simulator).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_worker_resumes_a_workflow_whose_worker_stopped_while_it_waited() {
    let (server, simulator) = (DevServer::start(), support::simulator().await);
    assert_completed(&scenario("resume", &server, &simulator).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_journey_event_signal_cuts_an_hour_long_poll_short() {
    let (server, simulator) = (DevServer::start(), support::simulator().await);
    let report = scenario_with("signal", &server, &simulator, &[], true).await;
    assert_completed(&report);
    // One check after the start (before the end user finished), one on the
    // signal: the hour never passed.
    let id = report["journey"]["instanceId"].as_str().unwrap();
    assert_eq!(
        requests_about(&simulator, "journey/state/fetch", id).len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_fails_the_workflow_at_once_as_unauthorized() {
    let (server, simulator) = (DevServer::start(), support::simulator().await);
    let report = scenario("unauthorized", &server, &simulator).await;
    let failure = &report["failure"];
    assert_eq!(failure["type"], "unauthorized", "{report}");
    assert_eq!(failure["nonRetryable"], true);
    assert_eq!(failure["details"][0]["status"], 401);
    assert_eq!(report["attempts"]["attempt"], 1, "no activity retry");
    let statuses = support::statuses(&simulator, "/as/token.oauth2");
    assert_eq!(statuses, [Some(401)], "one token request, no retries");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_start_is_retried_after_retry_after() {
    let server = DevServer::start();
    let simulator = support::simulator_with(SimulatorConfig::default()).await;
    // Four 429s: as many as the client's own attempts, so the activity
    // fails rate-limited and Temporal retries it.
    simulator.faults().target(Some("journey/start"));
    simulator.faults().rate_limit_next(4, Some(1));
    let report = scenario("rate-limited", &server, &simulator).await;
    let attempts = &report["attempts"];
    assert_eq!(attempts["attempt"], 2, "{report}");
    assert_eq!(attempts["lastFailureType"], "rate-limited");
    assert_eq!(attempts["lastRetryDelayMs"], 1000, "Retry-After: 1");
    let statuses = support::statuses(&simulator, "/v2/captain/journey/start");
    let expected = [Some(429), Some(429), Some(429), Some(429), Some(201)];
    assert_eq!(statuses, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_journey_is_driven_through_the_update_to_completed() {
    let server = DevServer::start();
    for config in api_journey::modes() {
        let simulator = support::simulator_with(config).await;
        let env = [
            (
                "GBG_GO_API_RESOURCE_ID",
                simulator.journey_resource_id("api-kyc").unwrap(),
            ),
            (
                "GBG_GO_ANSWERS",
                support::repository()
                    .join("simulator/examples/api-kyc-answers.json")
                    .display()
                    .to_string(),
            ),
        ];
        let report = scenario_with("api", &server, &simulator, &env, false).await;
        assert_eq!(report["result"]["status"], "Completed", "{report}");
        assert_eq!(
            report["result"]["state"]["context"]["result"]["outcome"],
            "Decision: Accept"
        );
        let updates = report["updates"].as_array().unwrap();
        assert!(updates.len() >= 2, "an update per interaction: {report}");
        api_journey::assert_each_element_submitted_once(&simulator);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journey_past_its_timeout_fails_the_workflow_and_is_deleted() {
    let (server, simulator) = (DevServer::start(), support::simulator().await);
    let report = scenario("timeout", &server, &simulator).await;
    assert_eq!(report["failure"]["type"], "timeout", "{report}");
    assert_eq!(report["failure"]["nonRetryable"], true);
    assert_deleted_once(&simulator, &report);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_workflow_deletes_its_instance() {
    let (server, simulator) = (DevServer::start(), support::simulator().await);
    let report = scenario("cancel", &server, &simulator).await;
    assert_eq!(report["failure"]["name"], "CancelledFailure", "{report}");
    assert_deleted_once(&simulator, &report);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_workflow_example_runs_a_hosted_journey() {
    // The README's Node example is the package's example, word for word.
    let example = "bindings/node/examples/temporal-journey.mjs";
    let code = std::fs::read_to_string(support::repository().join(example)).unwrap();
    let readme = std::fs::read_to_string(support::repository().join("README.md")).unwrap();
    let section = readme
        .split_once("## In workflow engines")
        .expect("the README has the section")
        .1;
    let block = section
        .split_once("```js\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a js block")
        .0;
    assert_eq!(
        block, code,
        "README.md's Node workflow example is {example}"
    );

    let (server, simulator) = (DevServer::start(), support::simulator().await);
    let mut command = tokio::process::Command::new("node");
    command
        .current_dir(temporal_project())
        .arg(temporal_project().join("node_modules/gbg-go/examples/temporal-journey.mjs"))
        .envs(example_env(&simulator))
        .env("TEMPORAL_ADDRESS", server.address());
    let last = run_example(command).await;
    assert!(last.ends_with("Completed: Decision: Accept"), "{last}");
}
