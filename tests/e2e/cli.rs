//! The `gbg-go` command, run as a user would: a simulator in one process,
//! commands in others.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use gbg_go_simulator::{Simulator, end_user};
use serde_json::{Value, json};

use crate::hostile::{self, Hostile, Reply};
use crate::support;

const GBG_GO: &str = env!("CARGO_BIN_EXE_gbg-go");

/// The first line that `pipe` carries.
fn first_line(pipe: impl std::io::Read) -> String {
    let mut line = String::new();
    BufReader::new(pipe).read_line(&mut line).unwrap();
    line
}

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
        let line = first_line(child.stdout.take().unwrap());
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
            .envs(support::compile_cache_env())
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
        .envs(support::compile_cache_env()));
    assert_eq!(code, 0, "{printed}");
    assert!(printed.contains("Completed"), "{printed}");
    assert!(printed.contains("Decision: Accept"), "{printed}");
}

/// `gbg-go` with a clean environment holding `simulator`'s variables, as a
/// user who followed the `simulate` banner has them exported.
fn exported(simulator: &Simulator, args: &[&str]) -> Command {
    let mut command = Command::new(GBG_GO);
    command
        .args(args)
        .env_clear()
        .envs(support::compile_cache_env())
        .envs(support::cli_env(simulator));
    command
}

/// `gbg-go auth --json` with `flags` and `simulator`'s variables exported.
fn auth_json(simulator: &Simulator, flags: &[&str]) -> (i32, Value, String) {
    run(&mut exported(
        simulator,
        &[&["auth", "--json"], flags].concat(),
    ))
}

/// The incident of the review: with a simulator's variables exported,
/// `auth --region eu` must use GBG's hosts, never the exported token URL,
/// and say that it ignored them. (No secret is given, so nothing is sent to
/// GBG from the tests.)
#[tokio::test(flavor = "multi_thread")]
async fn a_region_flag_is_not_combined_with_an_exported_token_url() {
    let simulator = support::simulator().await;
    let (code, _, printed) =
        run(exported(&simulator, &["auth", "--region", "eu"]).env_remove("GBG_GO_CLIENT_SECRET"));
    assert_eq!(code, 2, "{printed}");
    assert!(
        printed.contains(
            "note: ignoring GBG_GO_BASE_URL and GBG_GO_TOKEN_URL from the environment: \
             the endpoint flags given are used alone"
        ),
        "{printed}"
    );
    assert!(printed.contains("no client secret"), "{printed}");
    assert!(
        !printed.contains("not one of GBG's"),
        "GBG's hosts: {printed}"
    );
    assert!(simulator.request_log().is_empty());
}

/// Flags beat the environment: the two simulators' log shows which was used,
/// and stderr says where each host came from.
#[tokio::test(flavor = "multi_thread")]
async fn endpoint_flags_beat_the_environment_and_name_their_source() {
    let exported_one = support::simulator().await;
    let flagged = support::simulator().await;
    let (code, token, printed) = auth_json(
        &exported_one,
        &[
            "--base-url",
            &flagged.base_url(),
            "--token-url",
            &flagged.token_url(),
        ],
    );
    assert_eq!(code, 0, "{printed}");
    assert_eq!(token["token_type"], "Bearer");
    assert!(
        exported_one.request_log().is_empty(),
        "the exported simulator"
    );
    assert_eq!(support::count_requests(&flagged, "/as/token.oauth2"), 1);
    assert!(
        !printed.contains("ignoring"),
        "each flag replaced its variable: {printed}"
    );
    for note in [
        format!(
            "note: the API host {} is not one of GBG's; it comes from the --base-url flag",
            flagged.origin()
        ),
        format!(
            "note: the token endpoint {} is not GBG's, and receives the credentials; it comes \
             from the --token-url flag",
            flagged.origin()
        ),
    ] {
        assert!(
            printed.contains(&note),
            "{note} (in JSON mode too): {printed}"
        );
    }

    // The environment alone: the notes name the variables.
    let (code, _, printed) = run(&mut exported(&exported_one, &["health"]));
    assert_eq!(code, 0, "{printed}");
    assert!(!printed.contains("ignoring"), "{printed}");
    assert!(
        printed.contains(&format!(
            "note: the API host {} is not one of GBG's; it comes from GBG_GO_BASE_URL in the \
             environment",
            exported_one.origin()
        )),
        "{printed}"
    );
    assert_eq!(
        support::count_requests(&exported_one, "/v2/captain/journey/health"),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_and_a_base_url_from_the_same_source_conflict() {
    let simulator = support::simulator().await;
    let (code, json, printed) = auth_json(
        &simulator,
        &["--region", "eu", "--base-url", &simulator.base_url()],
    );
    assert_eq!(code, 2, "{printed}");
    assert_eq!(
        json["error"]["message"],
        "--region and --base-url both choose the API endpoint: give one"
    );
    let (code, _, printed) = run(exported(&simulator, &["auth"]).env("GBG_GO_REGION", "eu"));
    assert_eq!(code, 2, "{printed}");
    assert!(
        printed.contains(
            "GBG_GO_REGION and GBG_GO_BASE_URL are both set and both choose the API endpoint: \
             unset one"
        ),
        "{printed}"
    );
    let (code, _, printed) = run(&mut exported(
        &simulator,
        &["auth", "--token-url", &simulator.token_url()],
    ));
    assert_eq!(code, 2, "{printed}");
    assert!(
        printed.contains("--token-url needs --region or --base-url beside it"),
        "{printed}"
    );
    assert!(simulator.request_log().is_empty());
}

/// Server text with terminal escape sequences and line breaks cannot forge
/// output: the human output escapes them, JSON carries them escaped.
#[tokio::test(flavor = "multi_thread")]
async fn control_characters_in_server_text_are_escaped() {
    let forged = "bad\u{1b}[2K\r\nerror: forged line\u{7}\u{202e}";
    let server = Hostile::api(move |_| {
        Reply::json(
            400,
            json!({"message": forged, "errors": [{"code": "4000",
            "name": "ECHO", "location": "Body", "problem": forged, "action": ""}]})
            .to_string(),
        )
    })
    .await;
    let command = |args: &[&str]| {
        let mut command = Command::new(GBG_GO);
        command
            .args(args)
            .env_clear()
            .envs(support::compile_cache_env())
            .env(
                "GBG_GO_BASE_URL",
                format!("{}{}", server.origin(), hostile::API_PATH),
            )
            .env(
                "GBG_GO_TOKEN_URL",
                format!("{}{}", server.origin(), hostile::TOKEN_PATH),
            )
            .env("GBG_GO_CLIENT_ID", hostile::CLIENT_ID)
            .env("GBG_GO_CLIENT_SECRET", hostile::CLIENT_SECRET);
        command
    };
    let (code, _, printed) = run(&mut command(&["state", hostile::INSTANCE_ID]));
    assert_eq!(code, 8, "{printed}");
    assert!(
        !printed.contains(['\u{1b}', '\r', '\u{7}', '\u{202e}']),
        "raw control characters: {printed:?}"
    );
    assert!(
        !printed
            .lines()
            .any(|line| line.starts_with("error: forged")),
        "{printed}"
    );
    assert!(
        printed.contains(r"bad\u{1b}[2K\u{d}\u{a}error: forged line\u{7}\u{202e}"),
        "{printed}"
    );

    let (code, json, printed) = run(&mut command(&["state", "--json", hostile::INSTANCE_ID]));
    assert_eq!(code, 8, "{printed}");
    assert!(
        !printed.contains(['\u{1b}', '\r', '\u{7}', '\u{202e}']),
        "raw control characters: {printed:?}"
    );
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(forged),
        "JSON carries the text, escaped: {message:?}"
    );
}

/// `simulate --listen 0.0.0.0:0` names the address bound, not loopback, and
/// warns that it is not loopback, since its banner prints credentials.
#[test]
fn the_simulator_names_its_real_address_and_warns_off_loopback() {
    let mut child = Command::new(GBG_GO)
        .args(["simulate", "--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gbg-go simulate starts");
    let banner = first_line(child.stdout.take().unwrap());
    let warning = first_line(child.stderr.take().unwrap());
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        banner.starts_with("GBG GO simulator listening on 0.0.0.0:")
            && banner.contains("(every interface; from this machine: http://127.0.0.1:"),
        "{banner}"
    );
    assert!(
        warning.starts_with("warning: 0.0.0.0:") && warning.contains("is not a loopback address"),
        "{warning}"
    );

    let simulator = SimulatorProcess::start();
    let listen = simulator.get("listen");
    assert!(listen.starts_with("127.0.0.1:"), "{listen}");
    assert!(simulator.get("base_url").contains(listen));
}

#[test]
fn component_writes_the_embedded_builds_with_their_digest() {
    let dir = tempfile::tempdir().unwrap();
    for (which, embedded) in [
        ("client", gbg_go_host::GUEST_COMPONENT),
        ("service", gbg_go_host::SERVICE_COMPONENT),
        ("service-spin", gbg_go_host::SERVICE_SPIN_COMPONENT),
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
