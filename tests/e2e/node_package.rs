//! The npm package as its users get it (the tarball installed into an empty
//! project, see [`runtimes::node_project`]): bad arguments, cancellation,
//! the shared worker pool, completion events, the facts it copies from the
//! contract crate, what the tarball carries, and a build without its tools.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gbg_go_host::contract::{defaults, hosts, identity, spellings};
use gbg_go_simulator::Simulator;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::runtimes::{example_env, json_report, node_project, run};
use crate::support;

/// `node <tests/node/script>` in the Node project, with the gbg-go
/// command's variables for `simulator`.
fn node_script(script: &str, simulator: &Simulator) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("node");
    command
        .current_dir(node_project())
        .arg(support::repository().join("tests/node").join(script))
        .envs(example_env(simulator))
        .kill_on_drop(true);
    command
}

/// Runs a script that prints `N passed, N failed`; fails the test with its
/// output unless it passed every case, and at least `fewest`.
async fn passes_every_case(mut command: tokio::process::Command, fewest: usize) {
    let output = command.output().await.expect("the script starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    println!("{report}");
    assert!(output.status.success(), "{report}");
    let passed = stdout
        .lines()
        .filter(|line| line.starts_with("PASS "))
        .count();
    assert!(passed >= fewest, "only {passed} cases passed:\n{report}");
    assert!(
        stdout.contains(&format!("{passed} passed, 0 failed")),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_are_refused_with_a_typed_error_and_the_client_carries_on() {
    let simulator = support::simulator().await;
    passes_every_case(node_script("arguments.mjs", &simulator), 45).await;
    // The refusals sent nothing: the script's one good start is the only
    // start, and no submission was sent.
    let api = |path: &str| support::count_requests(&simulator, &format!("/v2/captain/{path}"));
    assert_eq!(api("journey/start"), 1);
    assert_eq!(api("journey/interaction/submit"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn completion_events_signed_by_the_reference_library_verify() {
    let simulator = support::simulator().await;
    let mut command = node_script("events.mjs", &simulator);
    let dev_package = support::repository().join("bindings/node/package.json");
    command.env("GBG_GO_DEV_PACKAGE", dev_package);
    passes_every_case(command, 16).await;
}

/// State fetches the simulator received for `instance_id`.
fn state_fetches(simulator: &Simulator, instance_id: &str) -> usize {
    simulator
        .request_log()
        .iter()
        .filter(|r| r.path.ends_with("/journey/state/fetch"))
        .filter(|r| r.body["instanceId"] == instance_id)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn aborts_timeouts_and_close_stop_the_component_work() {
    // State fetches take 1.5 s to answer, so every stop below lands while
    // one is in flight.
    let simulator = support::simulator().await;
    simulator.faults().target(Some("journey/state/fetch"));
    simulator.faults().set_latency_ms(1_500);
    let mut child = node_script("cancel.mjs", &simulator)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the script starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut fetches_at_abort = None;
    let mut done = None;
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let event: Value = serde_json::from_str(&line).expect("the script prints JSON");
            match event["event"].as_str() {
                Some("aborted") => {
                    let id = event["instanceId"].as_str().unwrap().to_owned();
                    fetches_at_abort = Some((id.clone(), state_fetches(&simulator, &id)));
                }
                Some("quiet") => {
                    let (id, then) = fetches_at_abort.clone().expect("the abort came first");
                    assert_eq!(
                        state_fetches(&simulator, &id),
                        then,
                        "the aborted wait went on fetching"
                    );
                    assert_eq!(then, 1, "one fetch was in flight when the wait was aborted");
                }
                Some("done") => done = Some(event["results"].clone()),
                _ => panic!("unexpected line {line}"),
            }
        }
        child.wait().await.unwrap()
    };
    // A guard against a hang, not a timing assertion.
    let status = tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the script finished within 60 s");
    assert!(status.success());
    let results = done.expect("the script reported its results");
    println!("{results:#}");

    // Each stopped call rejected with its own class, a GbgGoError.
    for (case, name, kind) in [
        ("abort", "AbortError", "aborted"),
        ("alreadyAborted", "AbortError", "aborted"),
        ("timeout", "BudgetExceededError", "budget-exceeded"),
        ("closed", "ClientClosedError", "closed"),
        ("afterClose", "ClientClosedError", "closed"),
    ] {
        let got = &results[case];
        assert_eq!(
            (&got["name"], &got["kind"], &got["isGbgGoError"]),
            (&json!(name), &json!(kind), &json!(true)),
            "{case}: {got}"
        );
    }
    assert_eq!(results["abort"]["isAbortError"], true);
    assert_eq!(
        results["abort"]["causeIsReason"], true,
        "the cause is the signal's reason"
    );
    assert_eq!(results["timeout"]["budgetMs"], 300);
    assert_eq!(results["closed"]["isClientClosedError"], true);
    // After each stop the client served the next call.
    assert_eq!(results["afterAbort"], "OK");
    assert_eq!(results["afterTimeout"], "OK");
    // The call made with an aborted signal sent nothing, nor did the one
    // after close: the two health checks are the ones that succeeded.
    assert_eq!(
        support::count_requests(&simulator, "/v2/captain/journey/health"),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_share_the_worker_pool() {
    let simulator = support::simulator().await;
    let report = json_report(node_script("pool.mjs", &simulator), "pool.mjs").await;
    println!("{report}");
    let threads: Vec<u64> = report["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert!(
        threads.iter().all(|&n| n == threads[0]),
        "opening further clients started threads: {threads:?}"
    );
    assert!(
        report["concurrent"].as_u64().unwrap() > threads[0],
        "three concurrent calls ran on the one worker: {report}"
    );
}

#[test]
fn the_package_facts_are_the_contract_crates() {
    let project = node_project();
    let facts = project.join("node_modules/gbg-go/src/facts.js");
    let script = r#"
        const facts = await import(process.argv[1]);
        const { VERSION } = await import('gbg-go');
        const manifest = JSON.parse((await import('node:fs')).readFileSync('node_modules/gbg-go/package.json', 'utf8'));
        console.log(JSON.stringify({
            ...facts,
            regionBaseUrls: facts.REGIONS.map(facts.regionBaseUrl),
            kindOrder: Object.keys(facts.ERROR_KINDS),
            exported: VERSION,
            manifest: manifest.version,
        }));
    "#;
    let output = run(
        Command::new("node")
            .current_dir(project)
            .args(["--input-type=module", "-e", script])
            .arg(&facts),
        "printing the package's facts",
    );
    let facts: Value = serde_json::from_str(output.trim()).expect("JSON");
    assert_eq!(facts["VERSION"], identity::VERSION);
    assert_eq!(facts["exported"], identity::VERSION);
    assert_eq!(
        facts["manifest"],
        identity::VERSION,
        "package.json's version"
    );
    assert_eq!(facts["CALL_BUDGET_MS"], defaults::CALL_BUDGET_MS);
    assert_eq!(facts["MAX_CONCURRENCY"], defaults::MAX_CONCURRENCY);
    assert_eq!(facts["POLL_INTERVAL_MS"], defaults::POLL_INTERVAL_MS);
    assert_eq!(facts["WAIT_TIMEOUT_MS"], defaults::WAIT_TIMEOUT_MS);
    assert_eq!(
        facts["RETRY"],
        json!({
            "maxAttempts": defaults::RETRY_MAX_ATTEMPTS,
            "initialBackoffMs": defaults::RETRY_INITIAL_BACKOFF_MS,
            "maxBackoffMs": defaults::RETRY_MAX_BACKOFF_MS,
            "maxElapsedMs": defaults::RETRY_MAX_ELAPSED_MS,
        })
    );
    assert_eq!(facts["TOKEN_URL"], hosts::TOKEN_URL);
    assert_eq!(facts["REGIONS"], json!(hosts::REGIONS));
    let bases: Vec<String> = hosts::REGIONS
        .iter()
        .map(|r| hosts::region_base_url(r))
        .collect();
    assert_eq!(facts["regionBaseUrls"], json!(bases));
    assert_eq!(
        facts["STATUSES"],
        json!({
            "in-progress": spellings::IN_PROGRESS,
            "completed": spellings::COMPLETED,
            "failed": spellings::FAILED,
            "paused": spellings::PAUSED,
        })
    );
    let kinds = &facts["ERROR_KINDS"];
    let expected: Vec<&str> = spellings::ErrorKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        facts["kindOrder"],
        json!(expected),
        "the kinds, in the WIT's order"
    );
    for kind in spellings::ErrorKind::ALL {
        assert_eq!(
            kinds[kind.as_str()]["retryable"],
            kind.retryable(),
            "{kind} retryable"
        );
    }
}

#[test]
fn the_tarball_carries_the_licence_and_its_metadata() {
    let installed = node_project().join("node_modules/gbg-go");
    let licence = std::fs::read(installed.join("LICENSE")).expect("the tarball has a LICENSE");
    assert_eq!(
        licence,
        std::fs::read(support::repository().join("LICENSE")).unwrap(),
        "the repository's LICENSE"
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(installed.join("package.json")).unwrap()).unwrap();
    assert_eq!(manifest["license"], "Apache-2.0");
    assert_eq!(
        manifest["repository"]["url"],
        "git+https://github.com/gbg-go-wasm/gbg-go-component.git"
    );
    assert!(
        manifest["keywords"]
            .as_array()
            .is_some_and(|k| k.contains(&json!("identity-verification")))
    );
    for path in ["src/index.js", "src/index.d.ts", "generated/gbg-go.js"] {
        assert!(installed.join(path).is_file(), "the tarball lacks {path}");
    }
}

#[test]
fn packing_without_the_build_tools_fails_at_once_and_says_what_to_run() {
    // The package's files without node_modules, as on a fresh clone.
    let dir = tempfile::tempdir().unwrap();
    let package = support::repository().join("bindings/node");
    copy(
        &package.join("package.json"),
        &dir.path().join("package.json"),
    );
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    copy(
        &package.join("scripts/build.mjs"),
        &dir.path().join("scripts/build.mjs"),
    );
    let output = Command::new("npm")
        .current_dir(dir.path())
        .args(["pack", "--dry-run", "--offline"])
        .output()
        .expect("npm starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "npm pack went on without jco");
    assert!(stderr.contains("Run `npm ci`"), "{stderr}");
    assert!(
        !stderr.contains("Compiling") && !stderr.contains("npx"),
        "the build ran something: {stderr}"
    );
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
}
