//! Node and Python next to Rust: where their tools are, the component file
//! and jco bindings they load, and each embedding guide's example, run as a
//! user would run it against a simulator.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use gbg_go_host::{GUEST_COMPONENT, JourneyStatus};
use gbg_go_simulator::{Simulator, end_user};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::{rust_guide_example, support};

/// What to do when the Node or Python packages are missing.
const SET_UP: &str = "run `bash .ci/run` once: it runs `npm ci` in tests/node and \
                      creates tests/python/.venv from tests/python/requirements.txt";

fn repository() -> &'static Path {
    support::repository()
}

/// `tests/python`.
pub fn python_dir() -> PathBuf {
    repository().join("tests/python")
}

/// The interpreter of `tests/python/.venv`; fails the test when it is missing.
pub fn python() -> PathBuf {
    let python = python_dir().join(".venv/bin/python");
    assert!(python.is_file(), "tests/python/.venv is missing: {SET_UP}");
    python
}

/// The embedded component as a file the other runtimes load, written once
/// per target directory (and again when the component changes).
pub fn component_file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gbg_go_client.wasm");
        if std::fs::read(&path).ok().as_deref() != Some(GUEST_COMPONENT) {
            let partial = path.with_extension(format!("partial-{}", std::process::id()));
            std::fs::write(&partial, GUEST_COMPONENT).expect("writing the component");
            std::fs::rename(&partial, &path).expect("writing the component");
        }
        path
    })
}

/// `tests/node`, with jco bindings of the embedded component in
/// `generated/`, made by the guide's own `npm run transpile` when they are
/// missing or stale; fails the test when `node_modules` is missing.
pub fn node_bindings() -> PathBuf {
    static TRANSPILED: OnceLock<Result<(), String>> = OnceLock::new();
    let dir = repository().join("tests/node");
    assert!(
        dir.join("node_modules/@bytecodealliance/jco").is_dir(),
        "tests/node/node_modules is missing: {SET_UP}"
    );
    if let Err(e) = TRANSPILED.get_or_init(|| transpile(&dir)) {
        panic!("{e}");
    }
    dir
}

/// Runs `npm run transpile` unless `generated/` already holds bindings of
/// this very component (`generated/component.wasm` records which).
fn transpile(dir: &Path) -> Result<(), String> {
    let stamp = dir.join("generated/component.wasm");
    if std::fs::read(&stamp).ok().as_deref() == Some(GUEST_COMPONENT) {
        return Ok(());
    }
    let output = Command::new("npm")
        .current_dir(dir)
        .args(["run", "--silent", "transpile", "--"])
        .arg(component_file())
        .output()
        .map_err(|e| format!("cannot run npm (is Node installed?): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "npm run transpile failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::copy(component_file(), &stamp).map_err(|e| e.to_string())?;
    Ok(())
}

/// The gbg-go command's configuration variables for `simulator`.
fn example_env(simulator: &Simulator) -> Vec<(&'static str, String)> {
    let mut env = support::cli_env(simulator).to_vec();
    env.push(("GBG_GO_RESOURCE_ID", simulator.resource_id()));
    env.push(("GBG_GO_COMPONENT", component_file().display().to_string()));
    env
}

/// Runs an example app as a user would: reads the hosted page's URL from its
/// output, plays the end user on that page, and returns the app's last line
/// once it has exited successfully.
async fn run_example(mut command: tokio::process::Command) -> String {
    let mut child = command
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

#[tokio::test(flavor = "multi_thread")]
async fn the_node_guide_example_runs_a_hosted_journey() {
    let dir = node_bindings();
    let simulator = support::simulator().await;
    let mut command = tokio::process::Command::new("node");
    command
        .current_dir(dir)
        .arg("example.mjs")
        .env_remove("GBG_GO_REGION")
        .envs(example_env(&simulator));
    let last = run_example(command).await;
    assert!(last.ends_with("Completed: Decision: Accept"), "{last}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_guide_example_runs_a_hosted_journey() {
    let simulator = support::simulator().await;
    let mut command = tokio::process::Command::new(python());
    command
        .current_dir(python_dir())
        .arg("example.py")
        .env_remove("GBG_GO_REGION")
        .envs(example_env(&simulator));
    let last = run_example(command).await;
    assert!(last.ends_with("Completed: Decision: Accept"), "{last}");
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
fn the_node_wrapper_types_match_the_jco_bindings() {
    // tsc checks gbg-go.d.ts against the types jco generated from the
    // component, and the example against gbg-go.d.ts.
    let output = Command::new("npm")
        .current_dir(node_bindings())
        .args(["run", "--silent", "typecheck"])
        .output()
        .expect("npm runs");
    assert!(
        output.status.success(),
        "tsc found errors:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
