//! The journey service component on real engines, `wasmtime serve` and
//! `jco serve`, against the simulator on loopback: a hosted journey with
//! the end user on the hosted page, an API journey, the webhook receiver,
//! refusals and bad input, the token count across many requests, and no
//! secret in any answer or engine log.

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gbg_go_simulator::{Credentials, Simulator, SimulatorConfig, end_user};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

use crate::engines::{
    Engine, SERVICE_KEY, WEBHOOK_PASSWORD, WEBHOOK_USERNAME, service_env, token_folder,
};
use crate::support;

const TOKEN: &str = "/as/token.oauth2";
const START: &str = "/v2/captain/journey/start";
const ANSWERS: &str = include_str!("../../simulator/examples/api-kyc-answers.json");

/// Distinctive credentials, so that any occurrence in output is a leak.
fn credentials() -> Credentials {
    Credentials {
        client_id: "service-test-client".into(),
        client_secret: "service-client-secret-Zp31Wq8Ke5".into(),
        username: "service-test@example.com".into(),
        password: "service-password-Bv62Tn4Lc9".into(),
    }
}

async fn simulator() -> Simulator {
    support::simulator_with(SimulatorConfig {
        credentials: credentials(),
        ..SimulatorConfig::default()
    })
    .await
}

/// One answer of the service.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

/// Sends requests to one engine and keeps every answer for the secret
/// search.
struct Caller<'a> {
    http: reqwest::Client,
    engine: &'a Engine,
    calls: usize,
    seen: String,
    /// Token requests that others (the CLI) made meanwhile.
    others_tokens: usize,
}

impl<'a> Caller<'a> {
    fn new(engine: &'a Engine) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            engine,
            calls: 0,
            seen: String::new(),
            others_tokens: 0,
        }
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = self.http.request(method, self.engine.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("the engine answers");
        self.calls += 1;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        self.seen.push_str(&format!("{headers:?}\n{text}\n"));
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A request with the caller key and, if given, a JSON body.
    async fn authorized(&mut self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let bearer = format!("Bearer {SERVICE_KEY}");
        let mut headers = vec![("authorization", bearer.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let body = body.map(|b| b.to_string().into_bytes());
        self.send(method, path, &headers, body).await
    }

    async fn state(&mut self, id: &str) -> Answer {
        self.authorized(Method::GET, &format!("/journeys/{id}"), None)
            .await
    }

    /// What `gbg-go <args> --json` prints against `simulator` (its own token
    /// request is counted apart from the service's).
    fn cli(&mut self, simulator: &Simulator, args: &[&str]) -> Value {
        let tokens_before = support::count_requests(simulator, TOKEN);
        let output = Command::new(env!("CARGO_BIN_EXE_gbg-go"))
            .arg("--json")
            .args(args)
            .envs(support::cli_env(simulator))
            .env("GBG_GO_CACHE_DIR", support::compile_cache())
            .output()
            .unwrap();
        self.others_tokens += support::count_requests(simulator, TOKEN) - tokens_before;
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// Polls `GET /journeys/{id}` until the journey leaves `InProgress`.
    async fn wait(&mut self, id: &str) -> Value {
        let began = Instant::now();
        loop {
            let answer = self.state(id).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            if answer.body["status"] != "InProgress" {
                return answer.body;
            }
            assert!(
                began.elapsed() < Duration::from_secs(60),
                "journey {id} did not end"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Asserts that a problem answer has `status` and `kind`.
fn problem(answer: &Answer, status: u16, kind: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["kind"], kind, "{}", answer.body);
    assert_eq!(answer.body["status"], status);
    assert_eq!(
        answer.headers["content-type"], "application/problem+json",
        "{}",
        answer.body
    );
}

/// The submission for an interaction, from the example answers file: the
/// pieces for every outstanding element, merged.
fn submission(interaction: &Value) -> Value {
    let answers: Map<String, Value> = serde_json::from_str(ANSWERS).unwrap();
    let mut elements: Vec<String> = Vec::new();
    let mut subject = Value::Object(Map::new());
    for outstanding in interaction["outstanding"].as_array().unwrap() {
        let key = outstanding.as_str().unwrap().split('/').next().unwrap();
        if !elements.iter().any(|e| e == key) {
            elements.push(key.to_owned());
            merge(&mut subject, &answers[key]);
        }
    }
    json!({
        "interaction_id": interaction["interaction_id"],
        "elements": elements,
        "subject": subject,
    })
}

fn merge(into: &mut Value, piece: &Value) {
    match (into, piece) {
        (Value::Object(into), Value::Object(piece)) => {
            for (key, value) in piece {
                merge(into.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (into, piece) => *into = piece.clone(),
    }
}

/// Everything the issue asks of the API, on one engine. Returns the caller,
/// whose `seen` holds every answer.
async fn drive_the_api<'a>(engine: &'a Engine, simulator: &Simulator) -> Caller<'a> {
    let mut c = Caller::new(engine);

    // Liveness needs no key and calls nothing; readiness needs the key.
    let live = c.send(Method::GET, "/health", &[], None).await;
    assert_eq!(
        (live.status, live.body.clone()),
        (200, json!({"status": "ok"}))
    );
    let ready = c.authorized(Method::GET, "/ready", None).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["ready"], true);

    // Caller-key refusals.
    for headers in [
        vec![],
        vec![("authorization", "Bearer not-the-key")],
        vec![("authorization", "Basic c2VydmljZQ==")],
    ] {
        let refused = c.send(Method::GET, "/journeys/abc", &headers, None).await;
        problem(&refused, 401, "unauthenticated");
        assert_eq!(
            refused.headers["www-authenticate"],
            r#"Bearer realm="gbg-go""#
        );
    }

    // A hosted journey: start, the end user on the hosted page, poll.
    let started = c
        .authorized(Method::POST, "/journeys", Some(json!({"delivery": "page"})))
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    let id = started.body["instance_id"].as_str().unwrap().to_owned();
    assert_eq!(started.headers["location"], format!("/journeys/{id}"));
    assert_eq!(started.body["status"], "started");
    let url = started.body["instance_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&simulator.origin()), "absolute: {url}");
    end_user::complete_hosted_page(&url).await.unwrap();
    let state = c.wait(&id).await;
    assert_eq!(state["status"], "Completed", "{state}");
    assert_eq!(state["instance_id"], id.as_str());
    assert!(
        state["created_at"].is_string() && state["state"].is_object(),
        "{state}"
    );

    // One vocabulary: the same JSON as `gbg-go state --json`.
    assert_eq!(c.cli(simulator, &["state", &id]), state);

    // An API journey, answered from the example answers file.
    let api_kyc = simulator.journey_resource_id("api-kyc").unwrap();
    let started = c
        .authorized(
            Method::POST,
            "/journeys",
            Some(json!({"resource_id": api_kyc, "delivery": "api"})),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    let api_id = started.body["instance_id"].as_str().unwrap().to_owned();
    let interaction_path = format!("/journeys/{api_id}/interaction");
    let mut submitted = 0;
    let began = Instant::now();
    loop {
        let step = c.authorized(Method::GET, &interaction_path, None).await;
        assert_eq!(step.status, 200, "{}", step.body);
        if step.body["ready"] == true {
            let cli = c.cli(simulator, &["interaction", "fetch", &api_id]);
            assert_eq!(cli, step.body, "as `gbg-go interaction fetch --json`");
            let answer = c
                .authorized(
                    Method::POST,
                    &interaction_path,
                    Some(submission(&step.body)),
                )
                .await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            assert!(answer.body["submitted"].is_string(), "{}", answer.body);
            submitted += 1;
        } else if step.body["journey_status"] != "InProgress" {
            break;
        } else {
            assert!(
                began.elapsed() < Duration::from_secs(60),
                "stuck: {}",
                step.body
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(submitted >= 2, "both interactions were answered");
    assert_eq!(c.wait(&api_id).await["status"], "Completed");

    // The webhook receiver: refused without or with wrong credentials,
    // accepted with the right ones, answering the instance's state.
    let notice = json!({"instanceId": id, "status": "Completed"})
        .to_string()
        .into_bytes();
    let right = format!(
        "Basic {}",
        STANDARD.encode(format!("{WEBHOOK_USERNAME}:{WEBHOOK_PASSWORD}"))
    );
    let wrong = format!(
        "Basic {}",
        STANDARD.encode(format!("{WEBHOOK_USERNAME}:guess"))
    );
    let service_key = format!("Bearer {SERVICE_KEY}");
    for headers in [
        vec![],
        vec![("authorization", wrong.as_str())],
        vec![("authorization", service_key.as_str())],
    ] {
        let refused = c
            .send(
                Method::POST,
                "/webhooks/gbg",
                &headers,
                Some(notice.clone()),
            )
            .await;
        problem(&refused, 401, "unauthenticated");
    }
    let accepted = c
        .send(
            Method::POST,
            "/webhooks/gbg",
            &[("authorization", &right)],
            Some(notice),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(accepted.body, state, "the notified instance's state");
    let nameless = c
        .send(
            Method::POST,
            "/webhooks/gbg",
            &[("authorization", &right)],
            Some(br#"{"status":"Completed"}"#.to_vec()),
        )
        .await;
    problem(&nameless, 400, "missing-instance-id");

    // Bad input, unknown things, and the body cap.
    let bearer = format!("Bearer {SERVICE_KEY}");
    let malformed = c
        .send(
            Method::POST,
            "/journeys",
            &[
                ("authorization", &bearer),
                ("content-type", "application/json"),
            ],
            Some(b"{\"delivery\": ".to_vec()),
        )
        .await;
    problem(&malformed, 400, "malformed-request");
    let bad_field = c
        .authorized(Method::POST, "/journeys", Some(json!({"delivery": "web"})))
        .await;
    problem(&bad_field, 400, "malformed-request");
    assert_eq!(bad_field.body["field"], "delivery");
    let unknown = c.state("UnknownInstance000000000").await;
    problem(&unknown, 404, "not-found");
    assert!(
        unknown.body["request_id"].is_string(),
        "GBG's request id: {}",
        unknown.body
    );
    problem(&c.state("not%20an%20id").await, 400, "invalid-input");
    problem(
        &c.authorized(Method::GET, "/nowhere", None).await,
        404,
        "no-route",
    );
    let wrong_method = c
        .authorized(Method::PUT, &format!("/journeys/{id}"), None)
        .await;
    problem(&wrong_method, 405, "method-not-allowed");
    assert_eq!(wrong_method.headers["allow"], "GET, DELETE");
    let huge = vec![b' '; 1024 * 1024 + 1];
    let too_large = c
        .send(
            Method::POST,
            "/journeys",
            &[
                ("authorization", &bearer),
                ("content-type", "application/json"),
            ],
            Some(huge),
        )
        .await;
    problem(&too_large, 413, "too-large");

    // Delete, after which the instance is unknown.
    let deleted = c
        .authorized(Method::DELETE, &format!("/journeys/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    problem(&c.state(&id).await, 404, "not-found");
    c
}

/// `n` state fetches of one instance.
async fn fetch_states(c: &mut Caller<'_>, n: usize) {
    let started = c.authorized(Method::POST, "/journeys", None).await;
    assert_eq!(started.status, 201, "{}", started.body);
    let id = started.body["instance_id"].as_str().unwrap().to_owned();
    for _ in 0..n {
        assert_eq!(c.state(&id).await.status, 200);
    }
}

/// Asserts that no secret of the test (credentials, keys, every token the
/// simulator issued) occurs in `text`.
fn assert_no_secret(text: &str, simulator: &Simulator, what: &str) {
    let credentials = credentials();
    let mut secrets = vec![
        credentials.client_secret,
        credentials.password,
        SERVICE_KEY.to_owned(),
        WEBHOOK_PASSWORD.to_owned(),
    ];
    secrets.extend(simulator.issued_tokens());
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} reveals a secret ({} characters, starting {:?})",
            secret.len(),
            &secret[..4]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wasmtime_serve_runs_the_service_with_one_token_for_every_instance() {
    let simulator = simulator().await;
    let (tokens, dir) = token_folder();
    let mut env = service_env(&simulator);
    env.push(("GBG_GO_TOKEN_STORE", "dir:/tokens".to_owned()));
    // The config store wins over the environment: the default journey
    // comes from `-S config-var`.
    let accept = simulator.journey_resource_id("accept").unwrap();
    let reject = simulator.journey_resource_id("reject").unwrap();
    env.retain(|(name, _)| *name != "GBG_GO_RESOURCE_ID");
    env.push(("GBG_GO_RESOURCE_ID", reject));
    let engine = Engine::wasmtime(
        &env,
        &[
            dir,
            "-S".into(),
            format!("config-var=gbg_go_resource_id={accept}"),
        ],
    )
    .await;

    let mut c = drive_the_api(&engine, &simulator).await;
    let started = simulator
        .request_log()
        .into_iter()
        .find(|r| r.path == START)
        .unwrap();
    assert_eq!(
        started.body["resourceId"],
        accept.as_str(),
        "from the config store"
    );

    fetch_states(&mut c, 50).await;
    let token_requests = support::count_requests(&simulator, TOKEN) - c.others_tokens;
    println!(
        "wasmtime serve: {token_requests} token request(s) for {} service calls, \
         each in a fresh instance, tokens shared through a --dir folder",
        c.calls
    );
    assert_eq!(token_requests, 1, "one token for every instance");
    let files: Vec<_> = std::fs::read_dir(tokens.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "one entry, no temporary files left");

    assert_no_secret(&c.seen, &simulator, "an answer");
    assert_no_secret(&engine.log(), &simulator, "the wasmtime serve log");
}

#[tokio::test(flavor = "multi_thread")]
async fn jco_serve_runs_the_service_with_the_keyvalue_shim() {
    let simulator = simulator().await;
    // The shims as users get them: from the installed npm package.
    let shims = crate::runtimes::node_project().join("node_modules/gbg-go/serve");
    let engine = Engine::jco(&shims, &service_env(&simulator), &[]).await;
    let mut c = drive_the_api(&engine, &simulator).await;
    fetch_states(&mut c, 50).await;
    let token_requests = support::count_requests(&simulator, TOKEN) - c.others_tokens;
    println!(
        "jco serve: {token_requests} token request(s) for {} service calls \
         (one instance for all requests)",
        c.calls
    );
    assert_eq!(token_requests, 1);
    assert_no_secret(&c.seen, &simulator, "an answer");
    assert_no_secret(&engine.log(), &simulator, "the jco serve log");
}

#[tokio::test(flavor = "multi_thread")]
async fn wasmtime_serve_keyvalue_does_not_outlive_an_instance() {
    // wasmtime 48's `-S keyvalue` gives each instance a fresh copy of its
    // preloaded data (and knows only the bucket ""), so it cannot share a
    // token; the README says to use `dir:` there. Should that change, this
    // test says so.
    let simulator = simulator().await;
    let mut env = service_env(&simulator);
    env.push(("GBG_GO_TOKEN_STORE", "keyvalue:".to_owned()));
    let engine = Engine::wasmtime(&env, &[]).await;
    let mut c = Caller::new(&engine);
    for _ in 0..5 {
        assert_eq!(c.authorized(Method::GET, "/ready", None).await.status, 200);
    }
    assert_eq!(support::count_requests(&simulator, TOKEN), 5);
    assert!(
        !engine.log().contains("cannot open"),
        "the bucket opens: {}",
        engine.log()
    );

    // The default bucket, which Spin and wasmCloud have, is refused by
    // wasmtime: the service says so in the log and still answers.
    let engine = Engine::wasmtime(&service_env(&simulator), &[]).await;
    let ready = Caller::new(&engine)
        .authorized(Method::GET, "/ready", None)
        .await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert!(
        engine
            .log()
            .contains(r#"cannot open the wasi:keyvalue bucket "default""#),
        "{}",
        engine.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_service_key_only_liveness_answers() {
    let simulator = simulator().await;
    let mut env = service_env(&simulator);
    env.retain(|(name, _)| *name != "GBG_GO_SERVICE_KEY");
    let engine = Engine::wasmtime(&env, &[]).await;
    let mut c = Caller::new(&engine);
    assert_eq!(c.send(Method::GET, "/health", &[], None).await.status, 200);
    for (method, path) in [
        (Method::GET, "/ready"),
        (Method::POST, "/journeys"),
        (Method::GET, "/journeys/abc"),
    ] {
        let closed = c.authorized(method, path, None).await;
        problem(&closed, 503, "not-configured");
        assert_eq!(closed.body["field"], "GBG_GO_SERVICE_KEY");
    }
    assert!(simulator.request_log().is_empty(), "nothing reached GBG GO");
}
