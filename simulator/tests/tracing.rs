//! Every request gets a tracing span with method, path, status and request id, and no
//! secret reaches the log output. A binary of its own: tracing caches callsite interest
//! per process, which tests without a subscriber running in parallel would disturb.

use std::io::Write;
use std::sync::{Arc, Mutex};

use gbg_go_simulator::{Simulator, SimulatorConfig};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn spans_name_the_request_but_never_a_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = Simulator::start(SimulatorConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let c = sim.credentials().clone();
    let token: Value = http
        .post(sim.token_url())
        .form(&c.client_credentials_form())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let answer = http
        .post(format!("{}/journey/state/fetch", sim.base_url()))
        .bearer_auth(token)
        .json(&json!({"instanceId": "Pq_hhIX6-sHUy9FLSDzPLu"}))
        .send()
        .await
        .unwrap();
    let request_id = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();

    let line = output
        .lines()
        .find(|line| line.contains(&request_id))
        .unwrap_or_else(|| panic!("no line names the request id:\n{output}"));
    assert!(line.contains("method=POST"), "{line}");
    assert!(
        line.contains("path=/v2/captain/journey/state/fetch"),
        "{line}"
    );
    assert!(line.contains("status=404"), "{line}");
    assert!(output.contains("path=/as/token.oauth2"));
    for secret in [token, c.client_secret.as_str()] {
        assert!(!output.contains(secret), "a secret reached the log");
    }
}
