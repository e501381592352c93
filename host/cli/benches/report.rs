//! The performance report: what the sandbox costs, measured side by side.
//!
//! `cargo bench -p gbg-go-host --bench report` runs every measurement against
//! an in-process simulator on loopback and prints a Markdown report (also
//! written to `target/bench-report.md`):
//!
//! - A: a native Rust client (reqwest, pooled) sending exactly the requests the
//!   component sends for one journey: token, start, N state polls;
//! - B: the same journey through the component, one instance reused;
//! - B without the connection pool (a connection per request, wasmtime's default);
//! - C: a fresh instance per call (pooling allocator + `InstancePre`);
//! - instantiation, component load from the compile cache, sizes, memory per
//!   concurrent client, state-fetch throughput with 1,000 concurrent clients,
//!   and `gbg-go state` from a cold process;
//! - the journey service: `GET /journeys/{id}` through `wasmtime serve` (a
//!   fresh instance per request, and instances reused) and `jco serve` beside
//!   the in-process state fetch (latency and throughput), the token requests
//!   per 1,000 service calls, and a notification's round trip to a signed
//!   event.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gbg_go_host::{
    Allocation, Client, ClientSettings, ConnectionOptions, Delivery, Endpoint, GUEST_COMPONENT,
    Grant, Runtime, RuntimeOptions, Secret, StartRequest,
};
use gbg_go_simulator::{
    Completion, Credentials, JourneyConfig, Outcome, Simulator, SimulatorConfig,
};
use serde_json::{Value, json};

// The engines the tests run the service on, started the same way here.
#[path = "../../../tests/e2e/engines.rs"]
#[allow(dead_code)]
mod engines;
#[path = "../../../tests/e2e/event_receiver.rs"]
#[allow(dead_code)]
mod event_receiver;
#[path = "../../../tests/e2e/support.rs"]
#[allow(dead_code)]
mod support;

/// State polls per journey.
const POLLS: u32 = 10;
/// Journeys per client variant.
const JOURNEYS: usize = 100;
/// Concurrent clients for the throughput run.
const CONCURRENT: usize = 1_000;
/// How long a throughput run lasts.
const THROUGHPUT_RUN: Duration = Duration::from_secs(5);
/// Turns the component's and the native throughput runs take.
const THROUGHPUT_TURNS: u32 = 5;
/// Sequential state fetches per latency measurement of the service.
const SERVICE_CALLS: usize = 1_000;
/// Concurrent callers of the service throughput runs.
const SERVICE_CALLERS: usize = 32;
/// Sequential notifications per latency measurement of the webhook.
const NOTIFICATIONS: usize = 300;
/// Requests one `wasmtime serve` instance serves in the reuse row.
const REUSE: usize = 1000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = runtime.block_on(report());
    print!("{report}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-report.md");
    std::fs::write(&path, &report).expect("writing the report");
    eprintln!("written to {}", path.display());
}

/// A simulator publishing `bench` (completes after `POLLS` polls) and `idle`
/// (never completes within the run).
async fn simulator() -> Simulator {
    let mut config = SimulatorConfig::default();
    let template = config.journeys[0].clone();
    let publish = |name: &str, hex: char, polls: u32| JourneyConfig {
        name: name.into(),
        resource_id: hex.to_string().repeat(64),
        completion: Completion::Polls { polls },
        outcome: Outcome::Accept,
        ..template.clone()
    };
    config.journeys.push(publish("bench", 'b', POLLS));
    config.journeys.push(publish("idle", 'e', u32::MAX));
    Simulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("simulator")
}

fn settings(simulator: &Simulator) -> ClientSettings {
    let credentials = simulator.credentials();
    let mut settings = ClientSettings::new(
        Endpoint::BaseUrl(simulator.base_url().parse().unwrap()),
        Grant::client_credentials(
            credentials.client_id.clone(),
            Secret::new(credentials.client_secret.clone()),
        ),
    );
    settings.token_url = Some(simulator.token_url().parse().unwrap());
    settings
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-cache")
}

fn runtime(connections: ConnectionOptions, allocation: Allocation) -> Runtime {
    Runtime::new(RuntimeOptions {
        compile_cache: Some(cache_dir()),
        connections,
        allocation,
        ..RuntimeOptions::default()
    })
    .expect("runtime")
}

fn start_request(simulator: &Simulator, name: &str) -> StartRequest {
    StartRequest {
        resource_id: simulator.journey_resource_id(name).unwrap(),
        delivery: Delivery::Page,
        subject: None,
    }
}

/// The median time of `$samples` runs of `$run`, after two warm-up runs.
macro_rules! median {
    ($samples:expr, $run:expr) => {{
        let mut times = Vec::with_capacity($samples);
        for round in 0..$samples + 2 {
            let began = Instant::now();
            $run;
            if round >= 2 {
                times.push(began.elapsed());
            }
        }
        median_of(times)
    }};
}

/// Calls per second of one task per item of `$items`, each running `$call`
/// with its item as `$item` until `$run` has passed, and the items back, for
/// another run.
macro_rules! per_second {
    ($run:expr, $items:expr, |$item:ident| $call:block) => {{
        let (began, run) = (Instant::now(), $run);
        let tasks: Vec<_> = $items
            .into_iter()
            // Mutable for the callers whose `$call` needs it.
            .map(|#[allow(unused_mut)] mut $item| {
                tokio::spawn(async move {
                    let mut calls = 0u64;
                    while began.elapsed() < run {
                        $call;
                        calls += 1;
                    }
                    (calls, $item)
                })
            })
            .collect();
        let (mut calls, mut items) = (0, Vec::with_capacity(tasks.len()));
        for task in tasks {
            let (made, item) = task.await.unwrap();
            calls += made;
            items.push(item);
        }
        (calls as f64 / began.elapsed().as_secs_f64(), items)
    }};
}

/// How long `work` takes.
async fn timed(work: impl std::future::Future<Output = ()>) -> Duration {
    let began = Instant::now();
    work.await;
    began.elapsed()
}

fn median_of(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// A: the component's requests, sent natively.
#[derive(Clone)]
struct Native {
    http: reqwest::Client,
    token_url: String,
    base_url: String,
    credentials: Credentials,
}

impl Native {
    /// A customer access token, fetched as the component fetches it.
    async fn token(&self) -> String {
        let request = self
            .http
            .post(&self.token_url)
            .form(&self.credentials.client_credentials_form());
        let token = json_answer(request).await;
        token["access_token"].as_str().unwrap().to_owned()
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        let request = self
            .http
            .post(format!("{}/{path}", self.base_url))
            .bearer_auth(token)
            .json(&body);
        json_answer(request).await
    }

    async fn journey(&self, resource_id: &str) {
        let token = self.token().await;
        let body = json!({"resourceId": resource_id, "context": {"config": {"delivery": "page"}, "subject": {}}});
        let started = self.post("journey/start", &token, body).await;
        let id = started["instanceId"].as_str().unwrap();
        for _ in 0..POLLS {
            let state = self
                .post("journey/state/fetch", &token, json!({"instanceId": id}))
                .await;
            assert!(state["status"].is_string());
        }
    }
}

/// The JSON answer to `request`, which asks for JSON as the component does.
async fn json_answer(request: reqwest::RequestBuilder) -> Value {
    request
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// State fetches per second of the component's `pollers` (a client and
/// the instance it polls) and of as many native tasks polling the same
/// instances. The two take `THROUGHPUT_TURNS` turns each, so that drift in
/// the machine's load, and whatever one leaves behind for the next, affect
/// both alike.
async fn throughputs(native: &Native, mut pollers: Vec<(Client, String)>) -> (f64, f64) {
    let token = native.token().await;
    let turn = THROUGHPUT_RUN / THROUGHPUT_TURNS;
    let (mut component, mut natively) = (0.0, 0.0);
    for _ in 0..THROUGHPUT_TURNS {
        let (rate, back) = per_second!(turn, pollers, |poller| {
            let (client, id) = &mut poller;
            client.fetch_journey_state(id, &[]).await.unwrap();
        });
        pollers = back;
        component += rate / f64::from(THROUGHPUT_TURNS);

        let natives = pollers.iter().map(|(_, id)| {
            let body = json!({"instanceId": id});
            (native.clone(), token.clone(), body)
        });
        let (rate, _) = per_second!(turn, natives, |poller| {
            let (native, token, body) = &poller;
            let state = native
                .post("journey/state/fetch", token, body.clone())
                .await;
            assert!(state["status"].is_string());
        });
        natively += rate / f64::from(THROUGHPUT_TURNS);
    }
    (component, natively)
}

/// B: one instance for every journey.
async fn component_journey(client: &mut Client, request: &StartRequest) {
    client.authenticate().await.unwrap();
    let id = client.start_journey(request).await.unwrap().instance_id;
    for _ in 0..POLLS {
        client.fetch_journey_state(&id, &[]).await.unwrap();
    }
}

/// C: a new instance for every call (each must fetch its own token).
async fn fresh_instance_journey(
    runtime: &Runtime,
    settings: &ClientSettings,
    request: &StartRequest,
) {
    let fresh = || async { runtime.open(settings.clone()).await.unwrap() };
    fresh().await.authenticate().await.unwrap();
    let id = fresh()
        .await
        .start_journey(request)
        .await
        .unwrap()
        .instance_id;
    for _ in 0..POLLS {
        fresh().await.fetch_journey_state(&id, &[]).await.unwrap();
    }
}

/// The median and 99th percentile of `times`.
fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    (at(0.50), at(0.99))
}

/// What one way of fetching a journey's state costs.
struct StateFetch {
    /// Median and 99th percentile of `SERVICE_CALLS` sequential fetches.
    latency: (Duration, Duration),
    /// Fetches per second by `SERVICE_CALLERS` concurrent callers.
    per_second: f64,
    /// Token requests GBG GO saw per 1,000 fetches, the engine's first
    /// included; `None` in-process.
    tokens_per_1000: Option<f64>,
}

/// The id of the latest request `simulator` logged: a mark to count from.
fn mark(simulator: &Simulator) -> Option<String> {
    simulator.request_log().last().map(|r| r.request_id.clone())
}

/// Token requests `simulator` logged after `mark`. The log keeps the
/// latest 10,000 requests only, so counts of the whole log taken before and
/// after a run are no measure (their difference once wrapped below zero).
fn token_requests_since(simulator: &Simulator, mark: Option<&str>) -> usize {
    let log = simulator.request_log();
    let start = mark.map_or(0, |mark| {
        log.iter()
            .position(|r| r.request_id == mark)
            .expect("the mark is still in the simulator's log")
            + 1
    });
    log[start..]
        .iter()
        .filter(|r| r.path == "/as/token.oauth2")
        .count()
}

/// The median and 99th percentile of `requests` sequential calls of `call`.
async fn sequential<R: std::future::Future<Output = ()>>(
    requests: usize,
    call: impl Fn() -> R,
) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        times.push(timed(call()).await);
    }
    percentiles(times)
}

/// Calls of `call` per second by `SERVICE_CALLERS` concurrent callers.
async fn rate<F, R>(call: F) -> f64
where
    F: Fn() -> R + Clone + Send + 'static,
    R: std::future::Future<Output = ()> + Send,
{
    let callers = (0..SERVICE_CALLERS).map(|_| call.clone());
    per_second!(THROUGHPUT_RUN, callers, |call| {
        call().await;
    })
    .0
}

/// `GET /journeys/{id}` through `engine`.
async fn through_service(engine: &engines::Engine, simulator: &Simulator, id: &str) -> StateFetch {
    let http = reqwest::Client::new();
    let url = engine.url(&format!("/journeys/{id}"));
    let bearer = format!("Bearer {}", engines::SERVICE_KEY);
    let fetch = move || {
        let (http, url, bearer) = (http.clone(), url.clone(), bearer.clone());
        async move {
            let answer = http
                .get(&url)
                .header("authorization", &bearer)
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "{}", answer.status());
            answer.bytes().await.unwrap();
        }
    };
    let before = mark(simulator);
    let latency = sequential(SERVICE_CALLS, &fetch).await;
    let tokens = token_requests_since(simulator, before.as_deref());
    StateFetch {
        latency,
        per_second: rate(fetch).await,
        tokens_per_1000: Some(tokens as f64 * 1_000.0 / SERVICE_CALLS as f64),
    }
}

/// Notifications of instance `id` to `POST /webhooks/gbg` of `engine`, each
/// answered once the signed event reached `receiver`.
async fn notifications_to_events(
    engine: &engines::Engine,
    receiver: &event_receiver::Receiver,
    id: &str,
) -> StateFetch {
    let http = reqwest::Client::new();
    let url = engine.url("/webhooks/gbg");
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!(
                "{}:{}",
                engines::WEBHOOK_USERNAME,
                engines::WEBHOOK_PASSWORD
            )
        )
    );
    let notice = json!({"instanceId": id}).to_string();
    let before = receiver.deliveries().len();
    let notify = move || {
        let (http, url, basic, notice) = (http.clone(), url.clone(), basic.clone(), notice.clone());
        async move {
            let answer = http
                .post(&url)
                .header("authorization", &basic)
                .header("content-type", "application/json")
                .body(notice)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 204);
        }
    };
    let latency = sequential(NOTIFICATIONS, &notify).await;
    assert_eq!(
        receiver.deliveries().len(),
        before + NOTIFICATIONS,
        "every event arrived"
    );
    StateFetch {
        latency,
        per_second: rate(notify).await,
        tokens_per_1000: None,
    }
}

/// The same fetch in-process, through the reference host's client.
async fn in_process(runtime: &Runtime, settings: &ClientSettings, id: &str) -> StateFetch {
    let mut client = runtime.open(settings.clone()).await.unwrap();
    client.fetch_journey_state(id, &[]).await.unwrap();
    let mut times = Vec::with_capacity(SERVICE_CALLS);
    for _ in 0..SERVICE_CALLS {
        times.push(
            timed(async {
                client.fetch_journey_state(id, &[]).await.unwrap();
            })
            .await,
        );
    }
    let mut clients = Vec::with_capacity(SERVICE_CALLERS);
    for _ in 0..SERVICE_CALLERS {
        clients.push((runtime.open(settings.clone()).await.unwrap(), id.to_owned()));
    }
    let (per_second, _) = per_second!(THROUGHPUT_RUN, clients, |poller| {
        let (client, id) = &mut poller;
        client.fetch_journey_state(id, &[]).await.unwrap();
    });
    StateFetch {
        latency: percentiles(times),
        per_second,
        tokens_per_1000: None,
    }
}

/// The service's rows of the report.
async fn service_rows(
    out: &mut String,
    simulator: &Simulator,
    runtime: &Runtime,
    settings: &ClientSettings,
) {
    let idle = start_request(simulator, "idle");
    let id = runtime
        .open(settings.clone())
        .await
        .unwrap()
        .start_journey(&idle)
        .await
        .unwrap()
        .instance_id;
    let receiver = event_receiver::Receiver::answering(204).await;
    let (_tokens, dir) = engines::token_folder();
    let mut env = engines::service_env(simulator);
    env.extend([
        ("GBG_GO_TOKEN_STORE", "dir:/tokens".to_owned()),
        ("GBG_GO_EVENTS_URL", receiver.url.clone()),
        ("GBG_GO_EVENTS_SECRET", event_receiver::SECRET.to_owned()),
    ]);
    let wasmtime = engines::Engine::wasmtime(&env, std::slice::from_ref(&dir)).await;
    let served_by_wasmtime = through_service(&wasmtime, simulator, &id).await;
    let events = notifications_to_events(&wasmtime, &receiver, &id).await;
    drop(wasmtime);
    let reuse = [dir, format!("--max-instance-reuse-count={REUSE}")];
    let reusing = engines::Engine::wasmtime(&env, &reuse).await;
    let served_by_reused = through_service(&reusing, simulator, &id).await;
    drop(reusing);
    let shims = support::repository().join("bindings/node/serve");
    let jco = engines::Engine::jco(&shims, &engines::service_env(simulator), &[]).await;
    let served_by_jco = through_service(&jco, simulator, &id).await;
    drop(jco);
    let local = in_process(runtime, settings, &id).await;

    let _ = writeln!(
        out,
        "\n### The journey service\n\n`GET /journeys/{{id}}` of one journey: {SERVICE_CALLS} sequential fetches \
         (p50, p99), then {SERVICE_CALLERS} concurrent callers for {} s; the last row posts \
         {NOTIFICATIONS} notifications of that journey to `POST /webhooks/gbg`, each answered \
         once its signed event reached a receiver on loopback.\n",
        THROUGHPUT_RUN.as_secs()
    );
    let _ = writeln!(
        out,
        "| Measure | p50 | p99 | Per second (× in-process) | Token requests per 1,000 calls |\n| --- | --- | --- | --- | --- |"
    );
    for (name, fetch) in [
        (
            "In-process state fetch (reference host, one client per caller)".to_owned(),
            &local,
        ),
        (
            "`wasmtime serve`, a fresh instance per request, tokens shared in a `--dir` folder"
                .to_owned(),
            &served_by_wasmtime,
        ),
        (
            format!("`wasmtime serve --max-instance-reuse-count={REUSE}`, the same folder"),
            &served_by_reused,
        ),
        (
            "`jco serve`, one instance, key-value shim".to_owned(),
            &served_by_jco,
        ),
        (
            "Notification to signed event, `wasmtime serve`, a fresh instance per request"
                .to_owned(),
            &events,
        ),
    ] {
        let tokens = fetch
            .tokens_per_1000
            .map_or("n/a".to_owned(), |t| format!("{t:.0}"));
        let (p50, p99) = fetch.latency;
        row(
            out,
            &[
                name,
                ms(p50),
                ms(p99),
                format!(
                    "{:.0} ({:.2})",
                    fetch.per_second,
                    fetch.per_second / local.per_second
                ),
                tokens,
            ],
        );
    }
}

/// Writes a row of a Markdown table; an empty cell stays empty.
fn row(out: &mut String, cells: &[String]) {
    out.push('|');
    for cell in cells {
        if !cell.is_empty() {
            out.push(' ');
            out.push_str(cell);
        }
        out.push_str(" |");
    }
    out.push('\n');
}

fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix(" kB")?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

async fn report() -> String {
    let simulator = simulator().await;
    let settings = settings(&simulator);
    let request = start_request(&simulator, "bench");
    let credentials = simulator.credentials();
    let mut out = String::new();

    // Warm the compile cache, then time loading from it.
    drop(runtime(ConnectionOptions::default(), Allocation::OnDemand));
    let load = median!(
        10,
        drop(runtime(ConnectionOptions::default(), Allocation::OnDemand))
    );

    let native = Native {
        http: reqwest::Client::new(),
        token_url: simulator.token_url(),
        base_url: simulator.base_url(),
        credentials: credentials.clone(),
    };
    let pooled = runtime(ConnectionOptions::default(), Allocation::OnDemand);
    let unpooled = runtime(
        ConnectionOptions {
            max_idle_per_authority: 0,
            ..ConnectionOptions::default()
        },
        Allocation::OnDemand,
    );
    let pooling = runtime(
        ConnectionOptions::default(),
        Allocation::Pooling {
            max_instances: CONCURRENT as u32 + 16,
        },
    );
    let mut reused = pooled.open(settings.clone()).await.unwrap();
    let mut reused_unpooled = unpooled.open(settings.clone()).await.unwrap();
    let mut reused_pooling = pooling.open(settings.clone()).await.unwrap();

    // The variants take turns, journey by journey, so that drift in the
    // machine's load affects them alike. Who goes first rotates every round
    // and the stride between turns every five, so that each variant runs
    // right after each other one equally often: whoever ran just before
    // leaves the caches, the scheduler and the connections in its state.
    let mut samples: [Vec<Duration>; 5] = Default::default();
    let variants = samples.len();
    for round in 0..JOURNEYS + 2 {
        let stride = 1 + (round / variants) % (variants - 1);
        for turn in 0..variants {
            let variant = (round + turn * stride) % variants;
            let time = match variant {
                0 => timed(native.journey(&request.resource_id)).await,
                1 => timed(component_journey(&mut reused, &request)).await,
                2 => timed(component_journey(&mut reused_pooling, &request)).await,
                3 => timed(component_journey(&mut reused_unpooled, &request)).await,
                _ => timed(fresh_instance_journey(&pooling, &settings, &request)).await,
            };
            if round >= 2 {
                samples[variant].push(time);
            }
        }
    }
    let [a, b, b_pooling, b_unpooled, c] = samples.map(median_of);
    drop((reused_unpooled, reused_pooling));

    let instantiate_pooling = median!(200, drop(pooling.open(settings.clone()).await.unwrap()));
    let instantiate_on_demand = median!(200, drop(pooled.open(settings.clone()).await.unwrap()));

    // 1,000 concurrent clients, each polling an instance that never ends.
    let rss_before = rss_kib();
    let mut clients = Vec::with_capacity(CONCURRENT);
    for _ in 0..CONCURRENT {
        clients.push(pooling.open(settings.clone()).await.unwrap());
    }
    let idle = start_request(&simulator, "idle");
    let mut ids = Vec::with_capacity(CONCURRENT);
    for client in &mut clients {
        ids.push(client.start_journey(&idle).await.unwrap().instance_id);
    }
    let rss_with_clients = rss_kib();
    let pollers = clients.into_iter().zip(ids).collect();
    let (throughput, native_throughput) = throughputs(&native, pollers).await;
    let per_client_kib = rss_with_clients.saturating_sub(rss_before) / CONCURRENT as u64;

    // `gbg-go state` from a cold process with a warm compile cache.
    let started = reused.start_journey(&request).await.unwrap();
    let cli = median!(20, {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_gbg-go"))
            .args(["state", &started.instance_id])
            .env("GBG_GO_CACHE_DIR", cache_dir())
            .env("GBG_GO_BASE_URL", simulator.base_url())
            .env("GBG_GO_TOKEN_URL", simulator.token_url())
            .env("GBG_GO_CLIENT_ID", &credentials.client_id)
            .env("GBG_GO_CLIENT_SECRET", &credentials.client_secret)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    });

    let ratio = |x: Duration| format!("{:.2}", x.as_secs_f64() / a.as_secs_f64());
    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_gbg-go"))
        .map(|m| m.len())
        .unwrap_or(0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let requests = 2 + POLLS;
    let _ = writeln!(
        out,
        "## Results\n\nMachine: {cpu}, {cores} cores. One journey = token + start + {POLLS} state polls ({requests} requests); medians of {JOURNEYS} journeys.\n"
    );
    let _ = writeln!(out, "| Measure | Value | Ratio to A |\n| --- | --- | --- |");
    let results = [
        ["A: native client (reqwest, pooled)".into(), ms(a), ratio(a)],
        ["B: component, one instance reused".into(), ms(b), ratio(b)],
        [
            "B with the pooling allocator".into(),
            ms(b_pooling),
            ratio(b_pooling),
        ],
        [
            "B without the connection pool".into(),
            ms(b_unpooled),
            ratio(b_unpooled),
        ],
        [
            format!(
                "C: fresh instance per call ({} requests: each instance fetches its own token)",
                2 * (1 + POLLS)
            ),
            ms(c),
            ratio(c),
        ],
        [
            "Connection pool effect (B without pool / B)".into(),
            format!("{:.2}x", b_unpooled.as_secs_f64() / b.as_secs_f64()),
            String::new(),
        ],
        [
            "New client: store + instantiate + open, pooling allocator".into(),
            us(instantiate_pooling),
            String::new(),
        ],
        [
            "New client, on-demand allocator".into(),
            us(instantiate_on_demand),
            String::new(),
        ],
        [
            "Component load from the compile cache".into(),
            ms(load),
            String::new(),
        ],
        [
            "`gbg-go state` end to end, cold process, warm cache".into(),
            ms(cli),
            String::new(),
        ],
        [
            format!(
                "State fetches/s, {CONCURRENT} concurrent clients, {THROUGHPUT_TURNS} turns of {} s taken with native tasks",
                (THROUGHPUT_RUN / THROUGHPUT_TURNS).as_secs_f64()
            ),
            format!("{throughput:.0}"),
            format!(
                "{:.2} (native: {native_throughput:.0}/s)",
                throughput / native_throughput
            ),
        ],
        [
            format!("Memory per concurrent client (RSS growth / {CONCURRENT})"),
            format!("{per_client_kib} KiB"),
            String::new(),
        ],
        [
            "Peak RSS of the benchmark process".into(),
            format!("{} MiB", peak_rss_kib() / 1024),
            String::new(),
        ],
        [
            "Guest component (`.wasm`)".into(),
            format!("{} KiB", GUEST_COMPONENT.len() / 1024),
            String::new(),
        ],
        [
            "Host binary (`gbg-go`, release profile)".into(),
            format!("{:.1} MiB", binary as f64 / (1024.0 * 1024.0)),
            String::new(),
        ],
    ];
    for cells in &results {
        row(&mut out, cells);
    }
    service_rows(&mut out, &simulator, &pooling, &settings).await;
    let service_kib = format!("{} KiB", gbg_go_host::SERVICE_COMPONENT.len() / 1024);
    row(
        &mut out,
        &[
            "Service component (`gbg_go_service.wasm`)".into(),
            service_kib,
            String::new(),
            String::new(),
            String::new(),
        ],
    );
    simulator.shutdown().await;
    out
}
