//! The `gbg-go` command, run as a user would: a simulator in one process,
//! commands in others.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use gbg_go_simulator::end_user;
use serde_json::Value;

use crate::support;

const GBG_GO: &str = env!("CARGO_BIN_EXE_gbg-go");

/// `gbg-go simulate --json` in the background; killed on drop.
struct SimulatorProcess {
    child: Child,
    info: Value,
}

impl SimulatorProcess {
    fn start() -> Self {
        let mut child = Command::new(GBG_GO)
            .args(["simulate", "--json", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("gbg-go simulate starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: Value = serde_json::from_str(&line).expect("the first line is JSON");
        Self { child, info }
    }

    fn get(&self, key: &str) -> &str {
        self.info[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {}", self.info))
    }

    /// A `gbg-go` command configured for this simulator through the
    /// environment, as the README shows.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(GBG_GO);
        command
            .args(args)
            .env_clear()
            .env("GBG_GO_CACHE_DIR", support::compile_cache())
            .env("GBG_GO_BASE_URL", self.get("base_url"))
            .env("GBG_GO_TOKEN_URL", self.get("token_url"))
            .env("GBG_GO_CLIENT_ID", self.get("client_id"))
            .env("GBG_GO_CLIENT_SECRET", self.get("client_secret"));
        command
    }
}

impl Drop for SimulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(command: &mut Command) -> (i32, Value, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("gbg-go runs");
    let stdout = String::from_utf8(stdout).unwrap();
    let stderr = String::from_utf8(stderr).unwrap();
    let json = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or(Value::Null);
    (
        status.code().expect("exited"),
        json,
        format!("{stdout}{stderr}"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn start_state_and_wait_against_a_simulator_in_another_process() {
    let simulator = SimulatorProcess::start();
    for key in [
        "base_url",
        "token_url",
        "resource_id",
        "client_id",
        "client_secret",
    ] {
        assert!(
            simulator.info[key].is_string(),
            "simulate --json prints {key}"
        );
    }
    let secret = simulator.get("client_secret").to_owned();

    let (code, started, printed) = run(&mut simulator.command(&[
        "start",
        "--json",
        "--resource-id",
        simulator.get("resource_id"),
    ]));
    assert_eq!(code, 0, "{printed}");
    assert_eq!(started["status"], "started");
    let id = started["instance_id"].as_str().unwrap().to_owned();
    let url = started["instance_url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with(&id),
        "{url}"
    );
    assert!(!printed.contains(&secret));

    let (code, state, printed) = run(&mut simulator.command(&["state", "--json", &id]));
    assert_eq!(code, 0, "{printed}");
    assert_eq!(state["status"], "InProgress");
    assert_eq!(state["instance_id"], id.as_str());
    assert_eq!(state["state"]["instanceId"], id.as_str());

    end_user::complete_hosted_page(&url).await.unwrap();
    let (code, waited, printed) = run(&mut simulator.command(&[
        "wait",
        "--json",
        "--interval",
        "0.2",
        "--timeout",
        "30",
        &id,
    ]));
    assert_eq!(code, 0, "{printed}");
    assert_eq!(waited["status"], "Completed");
    assert_eq!(
        waited["state"]["context"]["result"]["outcome"],
        "Decision: Accept"
    );
    assert!(!printed.contains(&secret));
}

#[test]
fn failures_have_distinct_exit_statuses_and_name_their_cause() {
    let simulator = SimulatorProcess::start();

    let (code, json, printed) =
        run(&mut simulator.command(&["state", "--json", "Pq_hhIX6-sHUy9FLSDzPLu"]));
    assert_eq!(code, 6, "not found: {printed}");
    assert_eq!(json["error"]["kind"], "not-found");
    assert!(printed.contains("error: not found"), "{printed}");

    let (code, _, printed) = run(simulator
        .command(&["auth"])
        .env("GBG_GO_CLIENT_SECRET", "wrong-secret-8c2e"));
    assert_eq!(code, 4, "auth: {printed}");
    assert!(printed.contains("refused the credentials"), "{printed}");
    assert!(!printed.contains("wrong-secret-8c2e"));

    let (code, _, printed) = run(simulator
        .command(&["auth"])
        .env_remove("GBG_GO_CLIENT_SECRET"));
    assert_eq!(code, 2, "usage: {printed}");
    assert!(printed.contains("no client secret"), "{printed}");

    let (code, _, printed) = run(&mut simulator.command(&[
        "wait",
        "--interval",
        "0.1",
        "--timeout",
        "0.5",
        "Pq_hhIX6-sHUy9FLSDzPLu",
    ]));
    assert_eq!(code, 6, "{printed}");

    // A secret is never accepted on the command line.
    let (code, _, printed) = run(&mut simulator.command(&["auth", "--client-secret", "x"]));
    assert_eq!(code, 2, "{printed}");
}

#[test]
fn a_journey_still_running_at_the_deadline_exits_not_completed() {
    let simulator = SimulatorProcess::start();
    let (_, started, _) = run(&mut simulator.command(&[
        "start",
        "--json",
        "--resource-id",
        simulator.get("resource_id"),
    ]));
    let id = started["instance_id"].as_str().unwrap();
    let (code, json, printed) = run(&mut simulator.command(&[
        "wait",
        "--json",
        "--interval",
        "0.1",
        "--timeout",
        "0.5",
        id,
    ]));
    assert_eq!(code, 5, "{printed}");
    assert_eq!(json["error"]["kind"], "timeout");
    assert!(printed.contains("last status InProgress"), "{printed}");
}

#[test]
fn demo_completes_a_journey_with_no_set_up() {
    let (code, _, printed) = run(Command::new(GBG_GO)
        .arg("demo")
        .env("GBG_GO_CACHE_DIR", support::compile_cache()));
    assert_eq!(code, 0, "{printed}");
    assert!(printed.contains("Completed"), "{printed}");
    assert!(printed.contains("Decision: Accept"), "{printed}");
}

#[test]
fn component_writes_the_embedded_builds_with_their_digest() {
    let dir = tempfile::tempdir().unwrap();
    for (which, embedded) in [
        ("client", gbg_go_host::GUEST_COMPONENT),
        ("service", gbg_go_host::SERVICE_COMPONENT),
    ] {
        let path = dir.path().join(format!("{which}.wasm"));
        let (code, json, stderr) = run(Command::new(GBG_GO)
            .args(["--json", "component", which, "--out"])
            .arg(&path));
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(std::fs::read(&path).unwrap(), embedded, "{which}");
        assert_eq!(json["component"], which);
        assert_eq!(json["bytes"], embedded.len());
        let sha256: String = <sha2::Sha256 as sha2::Digest>::digest(embedded)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(json["sha256"], sha256);
    }
    let (code, json, _) = run(Command::new(GBG_GO).args([
        "--json",
        "component",
        "service",
        "--out",
        "/nonexistent-folder/service.wasm",
    ]));
    assert_eq!(code, 2);
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot write the service component to /nonexistent-folder/service.wasm"),
        "{json}"
    );
}
