//! Load: 1,000 concurrent journeys through one engine and one pre-linked
//! component, each in its own store, with nothing lost or duplicated.
//!
//! Ignored in the ordinary run and run alone by `.ci/run`
//! (`cargo test ... -- --ignored load::`), so that the peak memory it reports
//! is that of these journeys, not of every other test in the binary.

use std::collections::HashSet;
use std::time::Instant;

use gbg_go_host::{Delivery, Error, JourneyStatus, StartRequest, WaitOptions};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::support;

const JOURNEYS: usize = 1_000;
const START: &str = "/v2/captain/journey/start";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "heavy: run alone by .ci/run so that the reported peak RSS is its own"]
async fn thousand_concurrent_journeys_complete_with_nothing_lost_or_duplicated() {
    let simulator = support::simulator().await;
    let runtime = support::runtime();
    let resource_id = simulator.journey_resource_id("auto").unwrap();
    let rss_before = memory("VmRSS");

    let began = Instant::now();
    let mut journeys = JoinSet::new();
    for n in 0..JOURNEYS {
        let runtime = runtime.clone();
        let settings = support::settings(&simulator);
        let request = StartRequest {
            resource_id: resource_id.clone(),
            delivery: Delivery::Page,
            subject: Some(format!(r#"{{"identity":{{"firstName":"Load{n}"}}}}"#)),
        };
        journeys.spawn(async move {
            let mut client = runtime.open(settings).await?;
            let started = client.start_journey(&request).await?;
            let state = client
                .wait_for_completion(
                    &started.instance_id,
                    WaitOptions {
                        poll_interval_ms: 200,
                        timeout_ms: 120_000,
                    },
                )
                .await?;
            Ok::<_, Error>((n, started.instance_id, state))
        });
    }

    let mut finished = Vec::with_capacity(JOURNEYS);
    let mut failures = Vec::new();
    while let Some(joined) = journeys.join_next().await {
        match joined.expect("no journey task panicked") {
            Ok(done) => finished.push(done),
            Err(error) => failures.push(error.to_string()),
        }
    }
    let wall = began.elapsed();
    let peak = memory("VmHWM");
    println!(
        "load: {JOURNEYS} concurrent journeys in {:.1} s; host process peak RSS {} MiB \
         (RSS {} MiB before the journeys)",
        wall.as_secs_f64(),
        peak >> 20,
        rss_before >> 20
    );

    assert!(
        failures.is_empty(),
        "{} failed: {failures:?}",
        failures.len()
    );
    assert_eq!(finished.len(), JOURNEYS, "no journey lost");
    let ids: HashSet<&str> = finished.iter().map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), JOURNEYS, "no instance shared or duplicated");
    for (n, id, state) in &finished {
        assert_eq!(state.status, JourneyStatus::Completed, "journey {n}");
        assert_eq!(&state.instance_id, id, "journey {n}");
        let document: Value = serde_json::from_str(&state.document).unwrap();
        assert_eq!(
            document["context"]["subject"]["identity"]["firstName"],
            format!("Load{n}"),
            "journey {n} saw its own instance"
        );
        let kept = simulator.instance(id).expect("the simulator knows it");
        assert_eq!(kept["status"], "Completed", "journey {n}");
    }
    assert_eq!(
        instances_started(&simulator),
        JOURNEYS,
        "exactly one instance per journey"
    );
    // Each store touches a few MiB, far below its 64 MiB limit; a leak of
    // whole stores or memories would show here.
    assert!(
        peak < 1 << 30,
        "peak RSS {} MiB for {JOURNEYS} journeys",
        peak >> 20
    );
}

/// How many journey instances the simulator started.
fn instances_started(simulator: &gbg_go_simulator::Simulator) -> usize {
    simulator
        .request_log()
        .iter()
        .filter(|r| r.path == START && r.status == Some(201))
        .count()
}

/// A `/proc/self/status` figure (`VmRSS`, `VmHWM`) in bytes.
fn memory(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// The journey service under `wasmtime serve`: 1,000 journeys started and
/// polled concurrently over HTTP, each request in a fresh instance, sharing
/// one token through a `--dir` folder.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "heavy: run alone by .ci/run so that the reported peak RSS is its own"]
async fn thousand_concurrent_journeys_through_wasmtime_serve_with_nothing_lost() {
    use crate::engines::{Engine, SERVICE_KEY, service_env, token_folder};

    let simulator = support::simulator().await;
    let (_tokens, dir) = token_folder();
    let mut env = service_env(&simulator);
    env.push(("GBG_GO_TOKEN_STORE", "dir:/tokens".to_owned()));
    env.retain(|(name, _)| *name != "GBG_GO_RESOURCE_ID");
    env.push((
        "GBG_GO_RESOURCE_ID",
        simulator.journey_resource_id("auto").unwrap(),
    ));
    // wasmtime serve's pooling allocator holds 1,000 core instances, and a
    // request takes three (the service's module and two of wit-component's):
    // beyond that, wasmtime itself answers 500. Requests past the cap wait
    // for a permit instead, as an operator would configure it.
    // Its connections are capped too (1,000 by default), and a connection
    // past the cap waits unaccepted until another closes. 1,000 callers keep
    // 1,000 connections alive, and reqwest opens another whenever none of
    // its own is back in its pool at the moment it needs one; that one would
    // wait for an idle connection to time out (90 s). So the cap is set
    // above the callers, as the README says to.
    let caps = [
        "--max-concurrent-requests=250".to_owned(),
        "--max-concurrent-connections=2000".to_owned(),
    ];
    let engine = Engine::wasmtime(&env, &[&[dir], &caps[..]].concat()).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(JOURNEYS)
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap();
    let bearer = format!("Bearer {SERVICE_KEY}");
    // Readiness fetches the token that every instance then shares, as a
    // deployment's readiness probe does.
    let ready = http
        .get(engine.url("/ready"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert!(ready.status().is_success());

    let began = Instant::now();
    let mut journeys = JoinSet::new();
    for n in 0..JOURNEYS {
        let (http, bearer) = (http.clone(), bearer.clone());
        let (start, state) = (engine.url("/journeys"), engine.url("/journeys/"));
        journeys.spawn(async move {
            let body = json!({"subject": {"identity": {"firstName": format!("Load{n}")}}});
            let request = http
                .post(&start)
                .header("authorization", &bearer)
                .json(&body);
            let started = json_of(request, n).await?;
            let id = started["instance_id"]
                .as_str()
                .ok_or_else(|| format!("journey {n} did not start: {started}"))?
                .to_owned();
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                let request = http
                    .get(format!("{state}{id}"))
                    .header("authorization", &bearer);
                let body = json_of(request, n).await?;
                if body["status"] != "InProgress" {
                    return Ok((n, id, body));
                }
            }
        });
    }
    let mut finished = Vec::with_capacity(JOURNEYS);
    let mut failures: Vec<String> = Vec::new();
    while let Some(joined) = journeys.join_next().await {
        match joined.expect("no journey task panicked") {
            Ok(done) => finished.push(done),
            Err(error) => failures.push(error),
        }
    }
    let wall = began.elapsed();
    let tokens = support::count_requests(&simulator, "/as/token.oauth2");
    println!(
        "load: {JOURNEYS} concurrent journeys through wasmtime serve in {:.1} s; \
         wasmtime serve peak RSS {} MiB; {tokens} token request(s)",
        wall.as_secs_f64(),
        engine.peak_rss() >> 20,
    );
    assert!(
        failures.is_empty(),
        "{} failed, for example {:?}; the engine logged:\n{}",
        failures.len(),
        &failures[..failures.len().min(5)],
        engine
            .log()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(finished.len(), JOURNEYS, "no journey lost");
    let ids: HashSet<&str> = finished.iter().map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), JOURNEYS, "no instance shared or duplicated");
    for (n, id, state) in &finished {
        assert_eq!(state["status"], "Completed", "journey {n}");
        assert_eq!(state["instance_id"], id.as_str(), "journey {n}");
        assert_eq!(
            state["state"]["context"]["subject"]["identity"]["firstName"],
            format!("Load{n}"),
            "journey {n} saw its own instance"
        );
    }
    assert_eq!(
        instances_started(&simulator),
        JOURNEYS,
        "exactly one instance per journey"
    );
    assert_eq!(tokens, 1, "one token shared by every instance");
}

/// The JSON body of `request`'s answer, which must be 2xx; else what
/// journey `n` got instead.
async fn json_of(request: reqwest::RequestBuilder, n: usize) -> Result<Value, String> {
    let answer = request
        .send()
        .await
        .map_err(|e| format!("journey {n}: {e:?}"))?;
    let status = answer.status();
    let text = answer
        .text()
        .await
        .map_err(|e| format!("journey {n}: {status}, body {e:?}"))?;
    match serde_json::from_str(&text) {
        Ok(body) if status.is_success() => Ok(body),
        _ => Err(format!(
            "journey {n}: {status}: {}",
            text.chars().take(300).collect::<String>()
        )),
    }
}
