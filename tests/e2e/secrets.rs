//! Secrets never leak: the client secret, the password, access tokens and
//! end-user tokens appear in no log line at any level, no error message, no
//! `Debug` output and no CLI output, through full journeys and every fault of
//! the matrix.
//!
//! The library check re-runs the fault tests and the journeys below in a
//! child process whose every tracing event and `log` record (the host's,
//! wasmtime's, hyper's, the simulator's) is captured at TRACE level (see
//! [`trace`]); the tests there record each secret they handle, and this test
//! then searches the capture for every one of them.

use std::path::Path;
use std::process::{Command, Output};

use gbg_go_host::{
    Grant, InteractionAuth, InteractionStep, JourneyStatus, Participant, Secret, Submission,
};
use gbg_go_simulator::{Credentials, Simulator, SimulatorConfig, end_user};
use serde_json::{Value, json};

use crate::hostile::{self, Hostile, Reply};
use crate::support;
use crate::trace::{self, CAPTURE_VAR, SECRETS_VAR};

const GBG_GO: &str = env!("CARGO_BIN_EXE_gbg-go");

/// Distinctive credentials, so that any occurrence in output is a leak.
fn credentials() -> Credentials {
    support::distinctive_credentials("leak-check")
}

/// A wrong password the CLI is also given: a secret too.
const WRONG_PASSWORD: &str = "wrong-password-Qa62Ue9Lk3Bp";

async fn simulator() -> Simulator {
    support::simulator_with(SimulatorConfig {
        credentials: credentials(),
        ..SimulatorConfig::default()
    })
    .await
}

/// Asserts that none of `secrets` occurs in `text`.
fn assert_no_secret(text: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} reveals a secret ({} characters, starting {:?})",
            secret.len(),
            &secret[..4]
        );
    }
}

// The CLI.

/// `gbg-go` with the most verbose logging, configured through the
/// environment for `base_url`/`token_url`.
fn cli(base_url: &str, token_url: &str, client_secret: &str) -> Command {
    let mut command = Command::new(GBG_GO);
    command
        .env_clear()
        .env("GBG_GO_LOG", "trace")
        .envs(support::compile_cache_env())
        .env("GBG_GO_BASE_URL", base_url)
        .env("GBG_GO_TOKEN_URL", token_url)
        .env("GBG_GO_CLIENT_ID", credentials().client_id)
        .env("GBG_GO_CLIENT_SECRET", client_secret);
    command
}

/// Runs `command` with `args`, appends everything it printed to `printed`
/// and returns its exit status and stdout.
fn run(command: &mut Command, args: &[&str], printed: &mut String) -> (i32, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.args(args).output().expect("gbg-go runs");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    printed.push_str(&stdout);
    printed.push_str(&String::from_utf8_lossy(&stderr));
    (status.code().expect("gbg-go exited"), stdout)
}

fn json_line(stdout: &str) -> Value {
    stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_output_at_trace_level_holds_no_secret() {
    support::runtime(); // fills the compile cache, so the CLI does not log compiling
    let simulator = simulator().await;
    let faults = simulator.faults();
    let secret = credentials().client_secret;
    let sim = |printed: &mut String, args: &[&str]| {
        run(
            &mut cli(&simulator.base_url(), &simulator.token_url(), &secret),
            args,
            printed,
        )
    };
    let mut printed = String::new();
    let resource_id = simulator.resource_id();

    // A full journey.
    assert_eq!(sim(&mut printed, &["auth"]).0, 0, "{printed}");
    assert_eq!(sim(&mut printed, &["health"]).0, 0, "{printed}");
    let (code, stdout) = sim(
        &mut printed,
        &["start", "--json", "--resource-id", &resource_id],
    );
    assert_eq!(code, 0, "{printed}");
    let started = json_line(&stdout);
    let id = started["instance_id"].as_str().unwrap().to_owned();
    assert_eq!(sim(&mut printed, &["state", &id]).0, 0);
    end_user::complete_hosted_page(started["instance_url"].as_str().unwrap())
        .await
        .unwrap();
    let wait = ["wait", id.as_str(), "--interval", "0.1", "--timeout", "30"];
    assert_eq!(sim(&mut printed, &wait).0, 0, "{printed}");
    assert_eq!(sim(&mut printed, &["delete", &id]).0, 0);

    // The password grant, right and wrong.
    let password = |password: &str, printed: &mut String| {
        let mut command = cli(&simulator.base_url(), &simulator.token_url(), &secret);
        command
            .env("GBG_GO_USERNAME", credentials().username)
            .env("GBG_GO_PASSWORD", password);
        run(&mut command, &["auth", "--json"], printed).0
    };
    assert_eq!(password(&credentials().password, &mut printed), 0);
    assert_eq!(password(WRONG_PASSWORD, &mut printed), 4);

    // Faults, each ending in recovery or a typed failure.
    faults.rate_limit_next(1, Some(1));
    assert_eq!(sim(&mut printed, &["health"]).0, 0, "429 then success");
    faults.fail_next(2, gbg_go_simulator::ServerErrorStatus::ServiceUnavailable);
    assert_eq!(sim(&mut printed, &["auth"]).0, 0, "503 burst then success");
    faults.drop_next(1);
    assert_eq!(sim(&mut printed, &["health"]).0, 0, "dropped, then success");
    faults.update(|f| f.token_lifetime_s = 0);
    let refused = sim(
        &mut printed,
        &["start", "--json", "--resource-id", &resource_id],
    );
    assert_eq!(refused.0, 4, "expired tokens only: unauthorized");
    faults.reset();
    faults.fail_next(10, gbg_go_simulator::ServerErrorStatus::BadGateway);
    assert_eq!(sim(&mut printed, &["--json", "health"]).0, 7);
    faults.reset();
    assert_eq!(
        sim(&mut printed, &["state", &id]).0,
        6,
        "deleted: not found"
    );
    let dir = tempfile::tempdir().unwrap();
    let subject = dir.path().join("subject.json");
    std::fs::write(&subject, r#"{"identity":{"dateOfBirth":"31/12/1990"}}"#).unwrap();
    let subject = subject.to_str().unwrap();
    let rejected = sim(
        &mut printed,
        &["start", "--resource-id", &resource_id, "--subject", subject],
    );
    assert_eq!(rejected.0, 8, "{printed}");

    // A server that echoes the credentials and the token into its errors.
    let echo = echoing_server().await;
    let mut command = cli(
        &format!("{}{}", echo.origin(), hostile::API_PATH),
        &format!("{}{}", echo.origin(), hostile::TOKEN_PATH),
        hostile::CLIENT_SECRET,
    );
    let (code, _) = run(&mut command, &["state", hostile::INSTANCE_ID], &mut printed);
    assert_eq!(code, 8, "{printed}");
    assert!(printed.contains("[redacted]"), "the echo is scrubbed");

    // Token endpoints and APIs echoing an odd secret in every spelling.
    for echo in Echo::ALL {
        for at in [EchoAt::TokenEndpoint, EchoAt::Api] {
            let server = echoing(echo, at).await;
            let mut command = cli(
                &format!("{}{}", server.origin(), hostile::API_PATH),
                &format!("{}{}", server.origin(), hostile::TOKEN_PATH),
                ODD_SECRET,
            );
            let mut shown = String::new();
            let (code, _) = run(&mut command, &["state", hostile::INSTANCE_ID], &mut shown);
            assert_eq!(code, at.exit(), "{echo:?} at {at:?}: {shown}");
            assert!(shown.contains(at.shows()), "{echo:?} at {at:?}: {shown}");
            printed.push_str(&shown);
        }
    }

    assert!(
        printed.contains("TRACE") && printed.contains("outgoing request"),
        "logging was at its most verbose"
    );
    let mut secrets = vec![
        credentials().client_secret,
        credentials().password,
        WRONG_PASSWORD.to_owned(),
        hostile::CLIENT_SECRET.to_owned(),
        hostile::ACCESS_TOKEN.to_owned(),
    ];
    secrets.extend(simulator.issued_tokens());
    assert!(secrets.len() > 10, "tokens were issued");
    secrets.extend(echoed_spellings());
    assert_no_secret(&printed, &secrets, "gbg-go output");
}

/// A client secret with a space and every character that the form, percent
/// and JSON encodings treat specially.
const ODD_SECRET: &str = r#"Zq7 odd+/=&%"\ secret-Kd52"#;

/// How a hostile server echoes a secret: the rows of the security review's
/// table (the form body, after 990 characters of padding, upper case) and
/// the other encodings a server could use.
#[derive(Clone, Copy, Debug)]
enum Echo {
    /// The form body it received, as it received it.
    FormBody,
    /// 990 characters, then the secret: a cut at 1,000 characters before
    /// redaction would leave its first 10 characters.
    AfterPadding,
    /// The secret in upper case.
    UpperCase,
    /// Percent-encoded with upper-case hex (`%20` for a space).
    PercentUpperHex,
    /// Percent-encoded with lower-case hex.
    PercentLowerHex,
    /// JSON-escaped, as a server quoting a JSON copy would.
    JsonEscaped,
}

impl Echo {
    const ALL: [Echo; 6] = [
        Echo::FormBody,
        Echo::AfterPadding,
        Echo::UpperCase,
        Echo::PercentUpperHex,
        Echo::PercentLowerHex,
        Echo::JsonEscaped,
    ];

    /// `secret` echoed this way by a server that received `request`.
    fn of(self, secret: &str, request: &hostile::Received) -> String {
        match self {
            Echo::FormBody if request.path == hostile::TOKEN_PATH => {
                String::from_utf8_lossy(&request.body).into_owned()
            }
            Echo::FormBody => format!("client_secret={}&scope=gbg.token", form(secret)),
            Echo::AfterPadding => format!("{}{secret}", "x".repeat(990)),
            Echo::UpperCase => secret.to_uppercase(),
            Echo::PercentUpperHex => percent(secret, true),
            Echo::PercentLowerHex => percent(secret, false),
            Echo::JsonEscaped => json_escaped(secret),
        }
    }
}

/// Which endpoint of the hostile server echoes.
#[derive(Clone, Copy, Debug)]
enum EchoAt {
    /// The token endpoint, in a 401 OAuth error (and `message`, `errors[]`).
    TokenEndpoint,
    /// The API, in a 400 with GBG's `errors[]`, after issuing a token; it
    /// echoes the bearer token the same way.
    Api,
}

impl EchoAt {
    /// The CLI's exit status for the echoing answer.
    fn exit(self) -> i32 {
        match self {
            EchoAt::TokenEndpoint => 4,
            EchoAt::Api => 8,
        }
    }

    /// What the error shows instead of the echo.
    fn shows(self) -> &'static str {
        match self {
            EchoAt::TokenEndpoint => "(HTTP 401; invalid_client) [request id hostile-401]",
            EchoAt::Api => "at Body: [redacted]",
        }
    }
}

/// A hostile server whose `at` endpoint echoes [`ODD_SECRET`] `echo`'s way.
async fn echoing(echo: Echo, at: EchoAt) -> Hostile {
    Hostile::start(move |request| {
        let secret = echo.of(ODD_SECRET, request);
        match (at, request.path == hostile::TOKEN_PATH) {
            (EchoAt::TokenEndpoint, true) => Reply::json(
                401,
                json!({"error": "invalid_client", "error_description": secret,
                       "message": secret, "errors": [{"problem": secret}]})
                .to_string(),
            ),
            (EchoAt::Api, true) => Reply::token(),
            (_, false) => {
                let bearer = echo.of(hostile::ACCESS_TOKEN, request);
                Reply::json(
                    400,
                    json!({"message": format!("echo {secret} {bearer}"), "errors": [{
                        "code": "4000", "name": "ECHO", "location": "Body",
                        "problem": secret, "action": bearer}]})
                    .to_string(),
                )
            }
        }
    })
    .await
}

/// What no output may show of the echoed secrets: every spelling of
/// [`ODD_SECRET`] and of the hostile access token, and the odd secret's first
/// six characters (what a cut before redaction kept).
fn echoed_spellings() -> Vec<String> {
    let prefix: String = ODD_SECRET.chars().take(6).collect();
    let mut hidden = spellings(ODD_SECRET);
    hidden.extend(spellings(hostile::ACCESS_TOKEN));
    hidden.extend([prefix.to_uppercase(), prefix]);
    hidden
}

/// Every spelling of `secret`: each encoding and each case.
fn spellings(secret: &str) -> Vec<String> {
    vec![
        secret.to_owned(),
        secret.to_uppercase(),
        secret.to_lowercase(),
        form(secret),
        percent(secret, true),
        percent(secret, false),
        json_escaped(secret),
    ]
}

/// `secret` form-encoded (`+` for a space).
fn form(secret: &str) -> String {
    url::form_urlencoded::byte_serialize(secret.as_bytes()).collect()
}

/// `secret` percent-encoded, with upper- or lower-case hex.
fn percent(secret: &str, upper_hex: bool) -> String {
    secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => char::from(b).to_string(),
            _ if upper_hex => format!("%{b:02X}"),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

/// `secret` JSON-escaped, without the quotes.
fn json_escaped(secret: &str) -> String {
    let quoted = serde_json::to_string(secret).expect("a string serialises");
    quoted[1..quoted.len() - 1].to_owned()
}

/// A hostile API that answers every journey call 400, quoting the request's
/// `Authorization` header and the client secret back in its errors.
async fn echoing_server() -> Hostile {
    Hostile::api(|request| {
        let bearer = request.header("authorization").unwrap_or_default();
        let body = json!({"errors": [{
            "code": "4000", "name": "ECHO", "location": "Authorization",
            "problem": format!("bad header {bearer} for {}", hostile::CLIENT_SECRET),
            "action": "",
        }], "message": bearer});
        Reply::json(400, body.to_string())
    })
    .await
}

// The library.

#[tokio::test(flavor = "multi_thread")]
async fn library_logs_at_trace_level_hold_no_secret() {
    if std::env::var_os(CAPTURE_VAR).is_some() {
        return; // the child process below: do not recurse
    }
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("trace.log");
    let recorded = dir.path().join("secrets.txt");
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["faults::", "secrets::library_", "--test-threads", "2"])
        .env(CAPTURE_VAR, &capture)
        .env(SECRETS_VAR, &recorded)
        .output()
        .expect("the test binary runs again");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the child run failed:\n{printed}");
    let ran = printed.lines().filter(|l| l.ends_with("... ok")).count();
    assert!(ran >= 30, "only {ran} tests ran in the child:\n{printed}");
    assert!(
        printed.contains("secrets::library_errors_scrub_odd_secrets_echoed_in_any_spelling ... ok"),
        "the echo test ran in the child:\n{printed}"
    );

    let logged = std::fs::read_to_string(&capture).expect("the capture was written");
    for expected in [" TRACE ", " DEBUG ", "outgoing request", "call failed"] {
        assert!(logged.contains(expected), "no {expected:?} in the capture");
    }
    let defaults = SimulatorConfig::default().credentials;
    let mut secrets = vec![
        defaults.client_secret,
        defaults.password,
        credentials().client_secret,
        credentials().password,
        hostile::CLIENT_SECRET.to_owned(),
        hostile::ACCESS_TOKEN.to_owned(),
    ];
    secrets.extend(lines(&recorded));
    secrets.extend(echoed_spellings());
    secrets.sort();
    secrets.dedup();
    assert!(
        secrets.len() >= 20,
        "only {} secrets were recorded",
        secrets.len()
    );
    assert_no_secret(&logged, &secrets, "the TRACE capture");
    assert_no_secret(&printed, &secrets, "the child's output");
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn library_hosted_journey_with_the_password_grant() {
    trace::capture_if_requested();
    let simulator = simulator().await;
    let settings = support::password_settings(&simulator);
    let shown = format!("{settings:?}");
    assert_no_secret(
        &shown,
        &[credentials().client_secret, credentials().password],
        "ClientSettings' Debug output",
    );
    tracing::info!(settings = ?settings, "opening a client");
    let mut client = support::runtime().open(settings).await.unwrap();

    let token = client.authenticate().await.unwrap();
    tracing::info!(token = ?token, "authenticated");
    let started = support::start_hosted(&mut client, simulator.resource_id()).await;
    tracing::info!(started = ?started, "started");
    end_user::complete_hosted_page(started.instance_url.as_deref().unwrap())
        .await
        .unwrap();
    let state = support::ended(&mut client, &started.instance_id, 100).await;
    assert_eq!(state.status, JourneyStatus::Completed);
    tracing::info!(state = ?state, "completed");
    client.delete_instance(&started.instance_id).await.unwrap();
    trace::show(
        client
            .fetch_journey_state(&started.instance_id, &[])
            .await
            .unwrap_err(),
    );
    trace::record_simulator_secrets(&simulator);
}

#[tokio::test(flavor = "multi_thread")]
async fn library_api_journey_with_end_user_tokens() {
    trace::capture_if_requested();
    let simulator = simulator().await;
    let mut settings = support::settings(&simulator);
    settings.interaction_auth = Some(InteractionAuth::EndUserToken);
    let mut client = support::runtime().open(settings).await.unwrap();
    let id = support::start_api_kyc(&mut client, &simulator).await;

    let answers = [
        (
            vec!["FullName", "DateOfBirth", "CurrentAddress"],
            json!({"identity": {
                "firstName": "Jane", "lastNames": ["Doe"], "dateOfBirth": "1992-10-01",
                "currentAddress": {"lines": ["12 Example Street"], "locality": "London",
                                   "postalCode": "SW1A 1AA", "country": "GB"}}}),
        ),
        (
            vec!["PrimaryDocument"],
            json!({"documents": [{"type": "primary", "side1Image": "aGVsbG8gZG9jdW1lbnQ="}]}),
        ),
    ];
    for (elements, subject) in answers {
        let interaction = loop {
            match client.fetch_interaction(&id).await.unwrap() {
                InteractionStep::Ready(interaction) => break interaction,
                InteractionStep::NotReady(status) => {
                    assert_eq!(status, JourneyStatus::InProgress)
                }
            }
        };
        tracing::info!(interaction = ?interaction, "interaction ready");
        client
            .submit_interaction(&Submission {
                instance_id: id.clone(),
                interaction_id: interaction.interaction_id,
                participants: elements
                    .into_iter()
                    .map(|e| Participant {
                        domain_element_id: e.into(),
                        instruction: None,
                    })
                    .collect(),
                subject: subject.to_string(),
            })
            .await
            .unwrap();
    }
    let state = support::ended(&mut client, &id, 100).await;
    assert_eq!(state.status, JourneyStatus::Completed);
    let device = "/v2/captain/journey/device/connect";
    assert!(
        support::count_requests(&simulator, device) >= 1,
        "end-user tokens were used"
    );
    trace::record_simulator_secrets(&simulator);
}

#[tokio::test(flavor = "multi_thread")]
async fn library_errors_scrub_secrets_a_server_echoes() {
    trace::capture_if_requested();
    let echo = echoing_server().await;
    let shown = state_error(echo.settings()).await;
    assert!(
        shown.contains("bad header Bearer [redacted] for [redacted]"),
        "{shown}"
    );
    assert_no_secret(
        &shown,
        &[
            hostile::CLIENT_SECRET.to_owned(),
            hostile::ACCESS_TOKEN.to_owned(),
        ],
        "the error",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn library_errors_scrub_odd_secrets_echoed_in_any_spelling() {
    trace::capture_if_requested();
    let hidden = echoed_spellings();
    for echo in Echo::ALL {
        for at in [EchoAt::TokenEndpoint, EchoAt::Api] {
            let server = echoing(echo, at).await;
            let mut settings = server.settings();
            settings.grant = Grant::client_credentials(hostile::CLIENT_ID, Secret::new(ODD_SECRET));
            let shown = state_error(settings).await;
            assert!(shown.contains(at.shows()), "{echo:?} at {at:?}: {shown}");
            assert_no_secret(&shown, &hidden, &format!("the error ({echo:?} at {at:?})"));
        }
    }
}

/// The error (`Display` and `Debug`) of fetching a state with `settings`,
/// logged for the TRACE capture.
async fn state_error(settings: gbg_go_host::ClientSettings) -> String {
    let mut client = support::runtime().open(settings).await.unwrap();
    let error = trace::show(
        client
            .fetch_journey_state(hostile::INSTANCE_ID, &[])
            .await
            .unwrap_err(),
    );
    format!("{error} {error:?}")
}
