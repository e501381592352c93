//! One set of scenarios (`tests/conformance/scenarios.json`), run by every
//! runtime that embeds the component: the Rust host here, in-process; Node
//! (jco) and Python (wasmtime-py) through their own runners, as subprocesses.
//!
//! For each scenario this module starts the simulators it names (its
//! `simulator` configuration, faults included, applied first), hands the
//! runner the scenario's variables, and afterwards checks the simulators'
//! request logs, so every runtime is held to what the service really saw.

use std::path::Path;
use std::time::Instant;

use gbg_go_host::{
    AcceptedElement, ApiError, ApiFailure, ClientSettings, EgressPolicy, ElementInput,
    ElementRequirement, Endpoint, Error, Grant, Interaction, InteractionStep, JourneyState,
    JourneyStatus, Participant, Secret, StartRequest, StartedJourney, Submission, TokenInfo,
    TransportKind, WaitOptions,
};
use gbg_go_simulator::{Simulator, SimulatorConfig};
use serde_json::{Map, Value, json};
use tokio::process::Command;

use crate::{runtimes, support};

/// The runtime names the scenario file uses in `expect_by_runtime` and
/// `log_by_runtime`.
const RUST: &str = "rust";
const NODE: &str = "node";
const PYTHON: &str = "python";

/// The scenario file.
fn suite() -> Value {
    serde_json::from_str(include_str!("../conformance/scenarios.json"))
        .expect("tests/conformance/scenarios.json is JSON")
}

fn scenarios(suite: &Value) -> &Vec<Value> {
    suite["scenarios"].as_array().expect("a scenarios array")
}

/// The simulators one scenario runs against: `api`, and `other` when the
/// scenario lists it in `servers`.
struct Servers {
    api: Simulator,
    other: Option<Simulator>,
}

impl Servers {
    async fn start(scenario: &Value) -> Self {
        let config: SimulatorConfig =
            serde_json::from_value(scenario.get("simulator").cloned().unwrap_or(json!({})))
                .expect("a valid simulator configuration");
        let wants_other = scenario["servers"]
            .as_array()
            .is_some_and(|servers| servers.contains(&json!("other")));
        Self {
            api: support::simulator_with(config).await,
            other: match wants_other {
                true => Some(support::simulator().await),
                false => None,
            },
        }
    }

    /// The scenario's variables, for `${name}` in the scenario file.
    fn variables(&self) -> Map<String, Value> {
        let credentials = self.api.credentials();
        let mut vars = Map::new();
        vars.insert("base_url".into(), self.api.base_url().into());
        vars.insert("token_url".into(), self.api.token_url().into());
        vars.insert("client_id".into(), credentials.client_id.clone().into());
        vars.insert(
            "client_secret".into(),
            credentials.client_secret.clone().into(),
        );
        vars.insert("resource_id".into(), self.api.resource_id().into());
        let api_kyc = self.api.journey_resource_id("api-kyc");
        vars.insert("api_kyc_resource_id".into(), api_kyc.into());
        if let Some(other) = &self.other {
            vars.insert("other_base_url".into(), other.base_url().into());
            let https = other.base_url().replacen("http://", "https://", 1);
            vars.insert("other_https_base_url".into(), https.into());
            let authority = other.origin().trim_start_matches("http://").to_owned();
            vars.insert("other_authority".into(), authority.into());
        }
        vars
    }

    /// Checks the scenario's `log` (or `log_by_runtime[runtime]`): for each
    /// entry, the statuses the server answered to the requests for `path`
    /// (every request when absent), in order.
    fn check_log(&self, scenario: &Value, runtime: &str) -> Result<(), String> {
        let expected = scenario
            .pointer(&format!("/log_by_runtime/{runtime}"))
            .or_else(|| scenario.get("log"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for entry in expected {
            let server = match entry["server"].as_str() {
                Some("other") => self.other.as_ref().ok_or("no `other` server")?,
                _ => &self.api,
            };
            let path = entry["path"].as_str();
            let statuses: Vec<Value> = server
                .request_log()
                .iter()
                .filter(|r| path.is_none_or(|p| r.path == p))
                .map(|r| json!(r.status))
                .collect();
            if statuses != entry["statuses"].as_array().cloned().unwrap_or_default() {
                return Err(format!(
                    "{}: the {} server answered {statuses:?} to {}, expected {}",
                    scenario["name"],
                    entry["server"],
                    path.unwrap_or("all requests"),
                    entry["statuses"]
                ));
            }
        }
        Ok(())
    }
}

/// The client part of the scenario: the file's defaults, overridden by the
/// scenario's `client`.
fn client_spec(suite: &Value, scenario: &Value, vars: &Map<String, Value>) -> Value {
    let mut spec = suite["client"].clone();
    if let (Some(spec), Some(overrides)) = (spec.as_object_mut(), scenario["client"].as_object()) {
        spec.extend(overrides.clone());
    }
    substitute(&spec, vars)
}

/// Replaces every `${name}` in the strings of `template` by the variable.
fn substitute(template: &Value, vars: &Map<String, Value>) -> Value {
    match template {
        Value::String(text) => {
            let mut out = String::new();
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${") {
                let end = rest[start..].find('}').expect("a closed ${...}") + start;
                let name = &rest[start + 2..end];
                let value = vars
                    .get(name)
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("unknown variable {name}"));
                out.push_str(&rest[..start]);
                out.push_str(value);
                rest = &rest[end + 1..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(items) => items.iter().map(|t| substitute(t, vars)).collect(),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), substitute(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Why `actual` does not match `expected`: objects match when every expected
/// field matches, arrays entry by entry with the same length, `"$string"`
/// any non-empty string, anything else only itself.
fn mismatch(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    let here = || if path.is_empty() { "." } else { path }.to_owned();
    match expected {
        Value::String(s) if s == "$string" => match actual {
            Value::String(a) if !a.is_empty() => None,
            _ => Some(format!("{}: expected a string", here())),
        },
        Value::Array(items) => match actual.as_array() {
            Some(actual) if actual.len() == items.len() => items
                .iter()
                .zip(actual)
                .enumerate()
                .find_map(|(i, (e, a))| mismatch(e, a, &format!("{path}[{i}]"))),
            _ => Some(format!("{}: expected {} entries", here(), items.len())),
        },
        Value::Object(fields) => match actual.as_object() {
            Some(actual) => fields.iter().find_map(|(key, e)| {
                mismatch(
                    e,
                    actual.get(key).unwrap_or(&Value::Null),
                    &format!("{path}.{key}"),
                )
            }),
            None => Some(format!("{}: expected an object", here())),
        },
        _ if expected == actual => None,
        _ => Some(format!("{}: expected {expected}", here())),
    }
}

/// Whether `message` reads as `pattern`, where `*` stands for any text.
fn reads(message: &str, pattern: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = message.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// Runs one scenario through the Rust host.
async fn run_in_rust(
    suite: &Value,
    scenario: &Value,
    mut vars: Map<String, Value>,
) -> Result<(), String> {
    let spec = client_spec(suite, scenario, &vars);
    let text = |key: &str| spec[key].as_str().unwrap_or_default().to_owned();
    let mut settings = ClientSettings::new(
        Endpoint::BaseUrl(support::url(&text("base-url"))),
        Grant::client_credentials(text("client-id"), Secret::new(text("client-secret"))),
    );
    settings.token_url = Some(support::url(&text("token-url")));
    let runtime = support::runtime();
    let opened = match scenario.get("egress") {
        Some(egress) => {
            let urls: Vec<_> = substitute(egress, &vars)
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(support::url)
                .collect();
            runtime
                .open_with_policy(settings, EgressPolicy::allowing(&urls))
                .await
        }
        None => runtime.open(settings).await,
    };
    let mut client = opened.map_err(|e| format!("opening the client: {e}"))?;

    for (index, template) in scenario["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let step = substitute(template, &vars);
        if step.get("end-user").is_some() {
            submit_hosted_page(&step).await?;
            continue;
        }
        let call = step["call"].as_str().unwrap_or_default();
        let where_ = format!("step {index} ({call})");
        let outcome = perform(&mut client, &step).await;
        let (shown, message) = match &outcome {
            Err(error) => (format!("{error} {error:?}"), Some(error.to_string())),
            Ok(_) => (String::new(), None),
        };
        let observed = match outcome {
            Ok(value) => json!({ "ok": value }),
            Err(Error::Api { error, .. }) => json!({ "err": api_error(&error) }),
            Err(other) => return Err(format!("{where_}: the host failed: {other}")),
        };
        let expected = step
            .pointer(&format!("/expect_by_runtime/{RUST}"))
            .unwrap_or(&step["expect"]);
        if let Some(why) = mismatch(expected, &observed, "") {
            return Err(format!("{where_}: {why}; observed {observed}"));
        }
        let by_runtime = step.pointer(&format!("/expect_by_runtime/{RUST}"));
        if let (Some(pattern), None) = (step["message"].as_str(), by_runtime) {
            let message = message.unwrap_or_default();
            if !reads(&message, pattern) {
                return Err(format!(
                    "{where_}: the message {message:?} does not read {pattern:?}"
                ));
            }
        }
        let text = format!("{observed} {shown}");
        for secret in scenario["forbid"].as_array().into_iter().flatten() {
            if text.contains(secret.as_str().unwrap_or_default()) {
                return Err(format!("{where_}: the outcome shows a secret"));
            }
        }
        for (name, pointer) in step["save"].as_object().into_iter().flatten() {
            let value = observed.pointer(pointer.as_str().unwrap_or_default());
            vars.insert(name.clone(), value.cloned().unwrap_or(Value::Null));
        }
    }
    Ok(())
}

/// Calls the component for one step; the result in the canonical form.
async fn perform(client: &mut gbg_go_host::Client, step: &Value) -> Result<Value, Error> {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let number = |value: &Value| {
        value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    match step["call"].as_str().unwrap_or_default() {
        "authenticate" => client.authenticate().await.map(|t| token_info(&t)),
        "start-journey" => {
            let request = &step["request"];
            let delivery = match request["delivery"].as_str() {
                Some("api") => gbg_go_host::Delivery::Api,
                _ => gbg_go_host::Delivery::Page,
            };
            let request = StartRequest {
                resource_id: text(&request["resource-id"]),
                delivery,
                subject: request["subject"].as_str().map(str::to_owned),
            };
            client.start_journey(&request).await.map(|s| started(&s))
        }
        "fetch-journey-state" => {
            let keys: Vec<String> = step["filter-keys"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect();
            let id = text(&step["instance-id"]);
            client
                .fetch_journey_state(&id, &keys)
                .await
                .map(|s| state(&s))
        }
        "wait-for-completion" => {
            let options = WaitOptions {
                poll_interval_ms: number(&step["options"]["poll-interval-ms"]),
                timeout_ms: number(&step["options"]["timeout-ms"]),
            };
            let id = text(&step["instance-id"]);
            client
                .wait_for_completion(&id, options)
                .await
                .map(|s| state(&s))
        }
        "fetch-interaction" => {
            let id = text(&step["instance-id"]);
            client
                .fetch_interaction(&id)
                .await
                .map(|step| interaction_step(&step))
        }
        "submit-interaction" => {
            let submission = &step["submission"];
            let participants = submission["participants"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| Participant {
                    domain_element_id: text(&p["domain-element-id"]),
                    instruction: p["instruction"].as_str().map(str::to_owned),
                })
                .collect();
            let submission = Submission {
                instance_id: text(&submission["instance-id"]),
                interaction_id: text(&submission["interaction-id"]),
                participants,
                subject: text(&submission["subject"]),
            };
            client
                .submit_interaction(&submission)
                .await
                .map(|()| Value::Null)
        }
        "plan-submission" => {
            let accepted: Vec<AcceptedElement> = step["accepted"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| AcceptedElement {
                    interaction_id: text(&a["interaction-id"]),
                    domain_element_id: text(&a["domain-element-id"]),
                })
                .collect();
            client
                .plan_submission(
                    &step_of(&step["step"]),
                    &step["answers"].to_string(),
                    &accepted,
                )
                .await
                .map(|planned| planned.as_ref().map_or(Value::Null, submission))
        }
        other => panic!("unknown call {other} in the scenario file"),
    }
}

fn token_info(t: &TokenInfo) -> Value {
    json!({"token-type": t.token_type, "expires-in-s": t.expires_in_s, "expires-at-ms": t.expires_at_ms})
}

fn started(s: &StartedJourney) -> Value {
    json!({"instance-id": s.instance_id, "instance-url": s.instance_url, "status": s.status, "message": s.message})
}

fn state(s: &JourneyState) -> Value {
    json!({
        "instance-id": s.instance_id,
        "status": journey_status(&s.status),
        "status-text": s.status_text,
        "created-at": s.created_at,
        "completed-at": s.completed_at,
        "document": serde_json::from_str::<Value>(&s.document).unwrap_or(Value::Null),
    })
}

fn interaction_step(step: &InteractionStep) -> Value {
    let requirements = |list: &[ElementRequirement]| -> Vec<Value> {
        list.iter()
            .map(|r| {
                let inputs: Vec<Value> = r.inputs.iter().map(element).collect();
                json!({"element": element(&r.element), "combinator": r.combinator, "inputs": inputs})
            })
            .collect()
    };
    match step {
        InteractionStep::Ready(i) => json!({"ready": {
            "instance-id": i.instance_id,
            "interaction-id": i.interaction_id,
            "journey-status": journey_status(&i.journey_status),
            "collects": requirements(&i.collects),
            "consumes": requirements(&i.consumes),
            "outstanding": i.outstanding,
            "document": serde_json::from_str::<Value>(&i.document).unwrap_or(Value::Null),
        }}),
        InteractionStep::NotReady(status) => json!({ "not-ready": journey_status(status) }),
    }
}

/// A canonical interaction step (as `interaction_step` writes it) as the
/// host's value.
fn step_of(value: &Value) -> InteractionStep {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let status = |v: &Value| match v {
        Value::String(case) => match case.as_str() {
            "in-progress" => JourneyStatus::InProgress,
            "completed" => JourneyStatus::Completed,
            "failed" => JourneyStatus::Failed,
            _ => JourneyStatus::Paused,
        },
        other => JourneyStatus::Other(text(&other["other"])),
    };
    let input = |e: &Value| ElementInput {
        ref_: text(&e["ref"]),
        spec: text(&e["spec"]),
        recommended: e["recommended"].as_bool(),
    };
    let requirements = |list: &Value| -> Vec<ElementRequirement> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|r| ElementRequirement {
                element: input(&r["element"]),
                combinator: r["combinator"].as_str().map(str::to_owned),
                inputs: r["inputs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(input)
                    .collect(),
            })
            .collect()
    };
    match value.get("ready") {
        Some(i) => InteractionStep::Ready(Interaction {
            instance_id: text(&i["instance-id"]),
            interaction_id: text(&i["interaction-id"]),
            journey_status: status(&i["journey-status"]),
            collects: requirements(&i["collects"]),
            consumes: requirements(&i["consumes"]),
            outstanding: i["outstanding"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect(),
            document: i["document"].to_string(),
        }),
        None => InteractionStep::NotReady(status(&value["not-ready"])),
    }
}

/// A submission in the canonical form, its subject parsed.
fn submission(s: &Submission) -> Value {
    let participants: Vec<Value> = s
        .participants
        .iter()
        .map(|p| json!({"domain-element-id": p.domain_element_id, "instruction": p.instruction}))
        .collect();
    json!({
        "instance-id": s.instance_id,
        "interaction-id": s.interaction_id,
        "participants": participants,
        "subject": serde_json::from_str::<Value>(&s.subject).unwrap_or(Value::Null),
    })
}

fn element(e: &ElementInput) -> Value {
    json!({"ref": e.ref_, "spec": e.spec, "recommended": e.recommended})
}

fn journey_status(status: &JourneyStatus) -> Value {
    match status {
        JourneyStatus::InProgress => json!("in-progress"),
        JourneyStatus::Completed => json!("completed"),
        JourneyStatus::Failed => json!("failed"),
        JourneyStatus::Paused => json!("paused"),
        JourneyStatus::Other(text) => json!({ "other": text }),
    }
}

fn failure(f: &ApiFailure) -> Value {
    let problems: Vec<Value> = f
        .problems
        .iter()
        .map(|p| json!({"code": p.code, "name": p.name, "location": p.location, "problem": p.problem, "action": p.action}))
        .collect();
    json!({"status": f.status, "request-id": f.request_id, "problems": problems, "message": f.message})
}

/// The WIT error in the canonical form: `{case: payload}`.
fn api_error(error: &ApiError) -> Value {
    match error {
        ApiError::InvalidInput(i) => {
            json!({"invalid-input": {"field": i.field, "reason": i.reason}})
        }
        ApiError::BadRequest(f) => json!({ "bad-request": failure(f) }),
        ApiError::Unauthorized(f) => json!({ "unauthorized": failure(f) }),
        ApiError::Forbidden(f) => json!({ "forbidden": failure(f) }),
        ApiError::NotFound(f) => json!({ "not-found": failure(f) }),
        ApiError::RateLimited(r) => json!({"rate-limited": {
            "retry-after-ms": r.retry_after_ms, "failure": failure(&r.failure)}}),
        ApiError::ServerError(f) => json!({ "server-error": failure(f) }),
        ApiError::Transport(t) => json!({"transport": {
            "kind": transport_kind(t.kind), "authority": t.authority, "message": t.message}}),
        ApiError::InvalidResponse(r) => json!({"invalid-response": {
            "status": r.status, "request-id": r.request_id, "reason": r.reason}}),
        ApiError::Timeout(w) => json!({"timeout": {
            "instance-id": w.instance_id,
            "last-status": w.last_status.as_ref().map(journey_status),
            "waited-ms": w.waited_ms}}),
    }
}

fn transport_kind(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Dns => "dns",
        TransportKind::ConnectionRefused => "connection-refused",
        TransportKind::ConnectionReset => "connection-reset",
        TransportKind::Timeout => "timeout",
        TransportKind::Denied => "denied",
        TransportKind::Tls => "tls",
        TransportKind::Protocol => "protocol",
        TransportKind::Other => "other",
    }
}

/// Plays the end user: submits the hosted page's form, as a browser would.
async fn submit_hosted_page(step: &Value) -> Result<(), String> {
    let url = step["url"].as_str().unwrap_or_default();
    let form: Vec<(String, String)> = step["form"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let answer = reqwest::Client::new()
        .post(url)
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("submitting the hosted page {url}: {e}"))?;
    let status = answer.status();
    let page = answer.text().await.unwrap_or_default();
    match status.as_u16() == 200 && page.contains("id=\"outcome\"") {
        true => Ok(()),
        false => Err(format!(
            "submitting the hosted page {url} answered {status}"
        )),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rust_host_passes_every_conformance_scenario() {
    let suite = suite();
    support::runtime(); // compiled before the clock starts
    let started = Instant::now();
    let mut failures = Vec::new();
    for scenario in scenarios(&suite) {
        let servers = Servers::start(scenario).await;
        let outcome = run_in_rust(&suite, scenario, servers.variables())
            .await
            .and_then(|()| servers.check_log(scenario, RUST));
        if let Err(why) = outcome {
            failures.push(format!("{}: {why}", scenario["name"]));
        }
    }
    println!("rust conformance: {:?}", started.elapsed());
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Starts every scenario's simulators, runs `runner` (given the targets file)
/// once for all of them, and checks that it passed each scenario and that the
/// simulators saw what the scenarios expect.
async fn run_external(runtime: &str, runner: impl FnOnce(&Path) -> Command) {
    let suite = suite();
    let mut targets = Map::new();
    let mut started_servers = Vec::new();
    for scenario in scenarios(&suite) {
        let servers = Servers::start(scenario).await;
        let name = scenario["name"].as_str().unwrap_or_default().to_owned();
        targets.insert(name, Value::Object(servers.variables()));
        started_servers.push(servers);
    }
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), json!({ "scenarios": targets }).to_string()).unwrap();

    let clock = Instant::now();
    let output = runner(file.path())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("the {runtime} runner could not be started: {e}"));
    println!(
        "{runtime} conformance: {:?} (process included)",
        clock.elapsed()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    println!("{report}");
    assert!(
        output.status.success(),
        "the {runtime} runner failed:\n{report}"
    );
    for (scenario, servers) in scenarios(&suite).iter().zip(&started_servers) {
        let name = scenario["name"].as_str().unwrap_or_default();
        assert!(
            stdout
                .lines()
                .any(|line| line.starts_with(&format!("PASS {name} "))),
            "the {runtime} runner did not pass {name}:\n{report}"
        );
        if let Err(why) = servers.check_log(scenario, runtime) {
            panic!("{runtime}: {why}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn node_passes_every_conformance_scenario() {
    let project = runtimes::node_project();
    let runner = support::repository().join("tests/node/conformance.mjs");
    run_external(NODE, |targets| {
        let mut command = Command::new("node");
        command.current_dir(project).arg(&runner).arg(targets);
        command
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_passes_every_conformance_scenario() {
    let python = runtimes::python();
    let runner = support::repository().join("tests/python/conformance.py");
    run_external(PYTHON, |targets| {
        let mut command = Command::new(python);
        command.arg(&runner).arg(targets);
        command
    })
    .await;
}
