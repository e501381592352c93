//! The Python package as its users get it (the wheel in a fresh venv):
//! its facts pinned to the contract crate, its examples type-checked, and
//! the checks of `tests/python/checks.py` against a simulator, whose log
//! shows what really went over the wire.

use std::process::Command;

use gbg_go_host::contract::{defaults, hosts, settings, spellings};
use gbg_go_simulator::Simulator;
use serde_json::{Value, json};

use super::{example_env, json_report, python, repository, run};
use crate::support;

/// Runs `tests/python/checks.py <check>` against `simulator`; returns what
/// it printed.
async fn check(name: &str, simulator: &Simulator) -> Value {
    let mut command = tokio::process::Command::new(python());
    command
        .arg(repository().join("tests/python/checks.py"))
        .arg(name)
        .envs(example_env(simulator));
    let report = json_report(command, &format!("checks.py {name}")).await;
    println!("checks.py {name}: {report}");
    report
}

/// How many requests the simulator saw for `path`.
fn requests(simulator: &Simulator, path: &str) -> usize {
    simulator
        .request_log()
        .iter()
        .filter(|r| r.path == path)
        .count()
}

#[test]
fn the_wheel_carries_the_licence() {
    let printed = run(
        Command::new(python()).args([
            "-c",
            "import importlib.metadata as m\n\
             dist = m.distribution('gbg-go')\n\
             [licence] = [f for f in dist.files if f.name == 'LICENSE']\n\
             print(dist.metadata['License-Expression'])\n\
             print(licence.read_text())",
        ]),
        "python: the installed wheel's licence",
    );
    let (expression, text) = printed.split_once('\n').unwrap();
    assert_eq!(expression, "Apache-2.0");
    let licence = std::fs::read_to_string(repository().join("LICENSE")).unwrap();
    assert_eq!(text.trim_end(), licence.trim_end());
}

#[test]
fn the_python_package_facts_match_the_contract() {
    let printed = run(
        Command::new(python()).args([
            "-c",
            "import json, importlib.metadata as m, gbg_go, gbg_go._facts as f\n\
             names = [n for n in dir(f) if n.isupper()]\n\
             facts = {n: getattr(f, n) for n in names}\n\
             facts['region_base_urls'] = [f.region_base_url(r) for r in f.REGIONS]\n\
             facts['package'] = [gbg_go.__version__, m.version('gbg-go')]\n\
             facts['classes'] = {c.kind: c.retryable for c in map(gbg_go.__dict__.get, gbg_go.__all__)\n\
                                 if isinstance(c, type) and issubclass(c, gbg_go.GbgGoError) and c.kind}\n\
             print(json.dumps(facts))",
        ]),
        "python: the package's facts",
    );
    let facts: Value = serde_json::from_str(printed.trim()).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let kinds: serde_json::Map<String, Value> = spellings::ErrorKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), json!(k.retryable())))
        .collect();
    let expected = json!({
        "VERSION": version,
        "WIT_PACKAGE": format!("gbg:go@{version}"),
        "MEMORY_BYTES": defaults::MEMORY_BYTES,
        "CALL_BUDGET_MS": defaults::CALL_BUDGET_MS,
        "MAX_CONCURRENCY": defaults::MAX_CONCURRENCY,
        "CONNECT_TIMEOUT_MS": defaults::CONNECT_TIMEOUT_MS,
        "FIRST_BYTE_TIMEOUT_MS": defaults::FIRST_BYTE_TIMEOUT_MS,
        "BETWEEN_BYTES_TIMEOUT_MS": defaults::BETWEEN_BYTES_TIMEOUT_MS,
        "EXCHANGE_DEADLINE_MS": defaults::EXCHANGE_DEADLINE_MS,
        "POLL_INTERVAL_MS": defaults::POLL_INTERVAL_MS,
        "WAIT_TIMEOUT_MS": defaults::WAIT_TIMEOUT_MS,
        "TOKEN_URL": hosts::TOKEN_URL,
        "REGIONS": hosts::REGIONS,
        "API_PREFIX": hosts::API_PREFIX,
        "region_base_urls": hosts::REGIONS.map(hosts::region_base_url),
        "IN_PROGRESS": spellings::IN_PROGRESS,
        "COMPLETED": spellings::COMPLETED,
        "FAILED": spellings::FAILED,
        "PAUSED": spellings::PAUSED,
        "STATUSES": {
            "in-progress": spellings::IN_PROGRESS,
            "completed": spellings::COMPLETED,
            "failed": spellings::FAILED,
            "paused": spellings::PAUSED,
        },
        "ERROR_KINDS": kinds,
        "REGION_SETTING": settings::REGION.env,
        "BASE_URL_SETTING": settings::BASE_URL.env,
        "TOKEN_URL_SETTING": settings::TOKEN_URL.env,
        "CLIENT_ID_SETTING": settings::CLIENT_ID.env,
        "CLIENT_SECRET_SETTING": settings::CLIENT_SECRET.env,
        "USERNAME_SETTING": settings::USERNAME.env,
        "PASSWORD_SETTING": settings::PASSWORD.env,
        "SCOPE_SETTING": settings::SCOPE.env,
        "HOSTED_BASE_URL_SETTING": settings::HOSTED_BASE_URL.env,
        "SOURCE_SETTING": settings::SOURCE.env,
        "INTERACTION_AUTH_SETTING": settings::INTERACTION_AUTH.env,
        "package": [version, version],
    });
    for (name, value) in expected.as_object().unwrap() {
        assert_eq!(&facts[name], value, "gbg_go._facts.{name}");
    }
    for name in facts.as_object().unwrap().keys() {
        assert!(
            expected.get(name).is_some() || name == "classes",
            "gbg_go._facts.{name} is not pinned"
        );
    }
    // Every WIT error kind has its class, with the contract's `retryable`.
    for (kind, retryable) in &kinds {
        assert_eq!(&facts["classes"][kind], retryable, "the class of {kind}");
    }
}

#[test]
fn the_python_package_and_its_examples_pass_mypy_strict() {
    let mypy = || {
        let mut command = Command::new(python());
        command.args(["-m", "mypy", "--strict", "--no-incremental"]);
        command
    };
    run(
        mypy().arg(repository().join("bindings/python/examples")),
        "mypy --strict bindings/python/examples",
    );
    run(
        mypy().args(["-p", "gbg_go"]),
        "mypy --strict -p gbg_go (installed)",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_argument_never_breaks_a_python_client() {
    let simulator = support::simulator().await;
    let seen = check("arguments", &simulator).await;
    let bad_calls = seen["bad_calls"].as_u64().unwrap() as usize;
    assert!(bad_calls >= 20, "{seen}");
    // Nothing of a bad call was sent: one journey started, and each bad
    // call's good successor (sync and asyncio) fetched the state once.
    assert_eq!(requests(&simulator, "/v2/captain/journey/start"), 1);
    assert_eq!(
        requests(&simulator, "/v2/captain/journey/state/fetch"),
        2 * bad_calls
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_a_python_call_stops_it_and_discards_its_store() {
    let simulator = support::simulator().await;
    let seen = check("cancellation", &simulator).await;
    // Each stopped store was discarded: a cancelled wait, a wait past its
    // timeout, then the sync client's; every fresh store authenticated anew.
    assert_eq!(requests(&simulator, "/as/token.oauth2"), 4, "{seen}");
    // Four waits and one fetch, each polled once: none kept polling.
    assert_eq!(
        requests(&simulator, "/v2/captain/journey/state/fetch"),
        5,
        "{seen}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_python_compile_cache_entry_never_runs() {
    let simulator = support::simulator().await;
    let seen = check("cache", &simulator).await;
    let warnings = seen["warnings"].as_object().unwrap();
    assert_eq!(warnings.len(), 5, "{seen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn python_verify_event_accepts_what_standardwebhooks_signs() {
    let simulator = support::simulator().await;
    let seen = check("events", &simulator).await;
    assert_eq!(seen["refused"].as_array().unwrap().len(), 9, "{seen}");
}
