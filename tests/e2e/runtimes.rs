//! Node and Python next to Rust, as their users get them: the npm package
//! packed (`npm pack`) and installed into an empty project, the wheel built
//! (`pip wheel`) and installed into a fresh venv, both carrying the embedded
//! component. Each package's example runs there against a simulator, and a
//! 10 ms timer must keep ticking while a wait runs into its timeout.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use gbg_go_host::{GUEST_COMPONENT, JourneyStatus};
use gbg_go_simulator::{Simulator, end_user};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::{rust_guide_example, support};

mod python;
mod python_temporal;

/// What to do when the packages' build tools are missing.
const SET_UP: &str = "run `bash .ci/run` once: it runs `npm ci` in bindings/node and \
                      downloads the Python wheels the package needs into bindings/python/.wheels";

fn repository() -> &'static Path {
    support::repository()
}

/// Runs `command`, failing the test with its output when it fails.
pub fn run(command: &mut Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start it: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// A fresh directory under the test target directory.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a directory");
    dir
}

/// The embedded component as a file, for the packages' builds, written once
/// per target directory (and again when the component changes).
pub fn component_file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gbg_go_client.wasm");
        if std::fs::read(&path).ok().as_deref() != Some(GUEST_COMPONENT) {
            support::write_atomically(&path, GUEST_COMPONENT);
        }
        path
    })
}

/// An empty Node project with the `gbg-go` tarball installed, packed once
/// per run by `npm pack` in `bindings/node`, whose `prepack` transpiles the
/// embedded component.
pub fn node_project() -> &'static Path {
    static PROJECT: OnceLock<PathBuf> = OnceLock::new();
    PROJECT.get_or_init(|| {
        let package = repository().join("bindings/node");
        assert!(
            package
                .join("node_modules/@bytecodealliance/jco-transpile")
                .is_dir(),
            "bindings/node/node_modules is missing: {SET_UP}"
        );
        let project = fresh_dir("node-project");
        let packed = run(
            Command::new("npm")
                .current_dir(&package)
                .args(["pack", "--silent", "--pack-destination"])
                .arg(&project)
                .env("GBG_GO_COMPONENT", component_file()),
            "npm pack",
        );
        let tarball = packed.lines().last().expect("npm pack names the tarball");
        std::fs::write(
            project.join("package.json"),
            r#"{"name": "gbg-go-e2e", "private": true, "type": "module"}"#,
        )
        .unwrap();
        run(
            Command::new("npm")
                .current_dir(&project)
                .args(["install", "--no-audit", "--no-fund", "--offline"])
                .arg(format!("./{}", tarball.trim())),
            "npm install of the packed tarball",
        );
        project
    })
}

/// The interpreter of a fresh venv with the `gbg-go` wheel installed, with
/// its `temporal` extra and the test tools (standardwebhooks, mypy), built
/// once per run by `pip wheel bindings/python`, whose build hook copies the
/// embedded component into it. Offline: every dependency comes from
/// `bindings/python/.wheels`.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let package = repository().join("bindings/python");
        let wheels = package.join(".wheels");
        assert!(
            wheels.is_dir(),
            "bindings/python/.wheels is missing: {SET_UP}"
        );
        let dir = fresh_dir("python-venv");
        let venv = dir.join("venv");
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv",
        );
        let python = venv.join("bin/python");
        let pip = |args: &[&str]| {
            let mut command = Command::new(&python);
            command
                .args(["-m", "pip", "--disable-pip-version-check", "--quiet"])
                .args(args);
            command
        };
        let offline = ["--no-index", "--find-links", wheels.to_str().unwrap()];
        run(
            pip(&["install", "--upgrade"])
                .args(offline)
                .arg("setuptools"),
            "pip install setuptools",
        );
        let built = dir.join("wheel");
        run(
            pip(&["wheel", "--no-deps", "--no-build-isolation", "-w"])
                .arg(&built)
                .arg(&package)
                .env("GBG_GO_COMPONENT", component_file()),
            "pip wheel bindings/python",
        );
        let wheel = std::fs::read_dir(&built)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|e| e == "whl"))
            .expect("pip wheel made a wheel");
        let with_extra = format!("{}[temporal]", wheel.display());
        run(
            pip(&["install"])
                .args(offline)
                .args([&with_extra, "standardwebhooks", "mypy"]),
            "pip install of the wheel",
        );
        python
    })
}

/// The gbg-go command's configuration variables for `simulator`, and its
/// demo journey.
pub fn example_env(simulator: &Simulator) -> Vec<(&'static str, String)> {
    let mut env = support::cli_env(simulator).to_vec();
    env.push(("GBG_GO_RESOURCE_ID", simulator.resource_id()));
    env
}

/// Runs an example app as a user would: reads the hosted page's URL from its
/// output, plays the end user on that page, and returns the app's last line
/// once it has exited successfully.
pub async fn run_example(mut command: tokio::process::Command) -> String {
    let mut child = command
        .env_remove("GBG_GO_REGION")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the example starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = String::new();
    let run = async {
        let mut last = String::new();
        while let Some(line) = stdout.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("Send the end user to: ") {
                end_user::complete_hosted_page(url).await.unwrap();
            }
            last = line;
        }
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .await
            .unwrap();
        (child.wait().await.unwrap(), last)
    };
    // A guard against a hang, not a timing assertion.
    let (status, last) = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the example finished within 120 s");
    assert!(status.success(), "the example failed ({status}):\n{stderr}");
    last
}

/// `node <the installed package's example>`, in the Node project.
fn node_example(name: &str) -> tokio::process::Command {
    let project = node_project();
    let mut command = tokio::process::Command::new("node");
    command
        .current_dir(project)
        .arg(project.join("node_modules/gbg-go/examples").join(name));
    command
}

/// `python <bindings/python/examples/name>` with the fresh venv's interpreter.
fn python_example(name: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(python());
    command.arg(repository().join("bindings/python/examples").join(name));
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn the_node_package_example_runs_a_hosted_journey() {
    let simulator = support::simulator().await;
    let mut command = node_example("hosted-journey.mjs");
    command.envs(example_env(&simulator));
    let last = run_example(command).await;
    assert!(last.ends_with("Completed: Decision: Accept"), "{last}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_node_package_example_runs_an_api_journey() {
    completes_an_api_journey(|| node_example("api-journey.mjs")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_package_example_runs_a_hosted_journey() {
    let simulator = support::simulator().await;
    let mut command = python_example("hosted_journey.py");
    command.envs(example_env(&simulator));
    let last = run_example(command).await;
    assert!(last.ends_with("Completed: Decision: Accept"), "{last}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_package_example_runs_an_api_journey() {
    completes_an_api_journey(|| python_example("api_journey.py")).await;
}

/// Runs an API-journey example with the simulator's answers file against
/// its `api-kyc` journey in each of the simulator's modes: the journey must
/// complete with every element submitted once.
async fn completes_an_api_journey(example: impl Fn() -> tokio::process::Command) {
    // Both modes: `outstanding` shrinking as elements are accepted, and
    // coming back unchanged after a submit as a live tenant answers.
    for config in crate::api_journey::modes() {
        let simulator = support::simulator_with(config).await;
        let mut command = example();
        command
            .arg(repository().join("simulator/examples/api-kyc-answers.json"))
            .envs(example_env(&simulator))
            .env(
                "GBG_GO_RESOURCE_ID",
                simulator
                    .journey_resource_id("api-kyc")
                    .expect("the simulator publishes api-kyc"),
            );
        let last = run_example(command).await;
        assert!(last.ends_with("Completed: Decision: Accept"), "{last}");
        crate::api_journey::assert_each_element_submitted_once(&simulator);
    }
}

/// How long the tick checks wait, and the fewest 10 ms ticks that shows the
/// event loop ran throughout (a blocked loop manages one or none).
const TICK_WAIT_MS: u64 = 2_000;
const FEWEST_TICKS: u64 = TICK_WAIT_MS / 10 / 4;

/// Runs a tick check (`tests/node/ticks.mjs`, `tests/python/ticks.py`):
/// a wait for a journey nobody completes, with a 10 ms timer beside it.
/// Returns its report: `{ticks, kind, message}`.
async fn tick_check(mut command: tokio::process::Command, simulator: &Simulator) -> Value {
    command
        .envs(example_env(simulator))
        .env("GBG_GO_WAIT_MS", TICK_WAIT_MS.to_string());
    json_report(command, "the tick check").await
}

/// Runs a script that prints one JSON value; fails the test with its output
/// unless it succeeds.
pub async fn json_report(mut command: tokio::process::Command, what: &str) -> Value {
    let output = command
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{what} cannot start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{what} failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|_| panic!("{what} prints JSON: {stdout}"))
}

fn assert_kept_ticking(report: &Value) {
    println!("tick check: {report}");
    assert_eq!(report["kind"], "timeout", "{report}");
    let message = report["message"].as_str().unwrap_or_default();
    assert!(
        message.ends_with("(last status InProgress)"),
        "the message names the last status: {message}"
    );
    let ticks = report["ticks"].as_u64().unwrap_or_default();
    assert!(
        ticks >= FEWEST_TICKS,
        "the timer ticked {ticks} times in {TICK_WAIT_MS} ms: the wait blocked the event loop"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_timer_keeps_ticking_while_a_wait_times_out() {
    let simulator = support::simulator().await;
    let mut command = tokio::process::Command::new("node");
    command
        .current_dir(node_project())
        .arg(repository().join("tests/node/ticks.mjs"));
    assert_kept_ticking(&tick_check(command, &simulator).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_asyncio_task_keeps_ticking_while_a_wait_times_out() {
    let simulator = support::simulator().await;
    let mut command = tokio::process::Command::new(python());
    command.arg(repository().join("tests/python/ticks.py"));
    assert_kept_ticking(&tick_check(command, &simulator).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rust_guide_example_runs_a_hosted_journey() {
    let simulator = support::simulator().await;
    let credentials = simulator.credentials();
    let settings = rust_guide_example::settings(
        support::url(&simulator.base_url()),
        support::url(&simulator.token_url()),
        &credentials.client_id,
        gbg_go_host::Secret::new(credentials.client_secret.clone()),
    );
    let state = rust_guide_example::verify_identity(
        &support::runtime(),
        settings,
        &simulator.resource_id(),
        |url| {
            let url = url.to_owned();
            tokio::spawn(async move { end_user::complete_hosted_page(&url).await.unwrap() });
        },
    )
    .await
    .unwrap();
    assert_eq!(state.status, JourneyStatus::Completed);
    let document: Value = serde_json::from_str(&state.document).unwrap();
    assert_eq!(document["context"]["result"]["outcome"], "Decision: Accept");
}

#[test]
fn the_node_package_examples_type_check() {
    // tsc checks index.d.ts, and the examples (// @ts-check) against it.
    let package = repository().join("bindings/node");
    run(
        Command::new("npm")
            .current_dir(&package)
            .args(["run", "--silent", "typecheck"]),
        "tsc",
    );
}
