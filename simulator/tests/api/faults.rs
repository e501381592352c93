//! The fault knobs.

use std::time::{Duration, Instant};

use gbg_go_simulator::{Faults, RateLimitFault, ServerErrorStatus, SimulatorConfig};
use serde_json::json;

use crate::support::{Harness, PERSON};

#[tokio::test]
async fn rate_limits_with_and_without_retry_after() {
    let (h, token, id) = Harness::with_journey("accept", "page").await;
    h.sim.faults().rate_limit_next(2, Some(7));
    for _ in 0..2 {
        let answer = h.fetch_state(&token, &id).await;
        assert_eq!(answer.status, 429);
        assert_eq!(answer.headers["retry-after"], "7");
        assert_eq!(answer.problem()["name"], "TOO_MANY_REQUESTS");
        assert_eq!(answer.problem()["location"], "Service");
        assert!(answer.headers.contains_key("x-request-id"));
    }
    assert_eq!(h.fetch_state(&token, &id).await.status, 200);
    h.sim.faults().rate_limit_next(1, None);
    let answer = h.fetch_state(&token, &id).await;
    assert_eq!(answer.status, 429);
    assert!(!answer.headers.contains_key("retry-after"));
    assert_eq!(h.sim.faults().get().rate_limit.count, 0);
}

#[tokio::test]
async fn server_errors_of_each_status() {
    let (h, token, id) = Harness::with_journey("accept", "page").await;
    for (status, code, name) in [
        (
            ServerErrorStatus::InternalServerError,
            "5000",
            "INTERNAL_ERROR",
        ),
        (ServerErrorStatus::BadGateway, "5020", "BAD_GATEWAY"),
        (
            ServerErrorStatus::ServiceUnavailable,
            "5030",
            "SERVICE_UNAVAILABLE",
        ),
        (ServerErrorStatus::GatewayTimeout, "5040", "GATEWAY_TIMEOUT"),
    ] {
        h.sim.faults().fail_next(1, status);
        let answer = h.fetch_state(&token, &id).await;
        assert_eq!(answer.status, status.code());
        assert_eq!(answer.problem()["code"], code);
        assert_eq!(answer.problem()["name"], name);
        assert_eq!(h.fetch_state(&token, &id).await.status, 200);
    }
}

#[tokio::test]
async fn dropped_connections_get_no_answer() {
    let (h, token, id) = Harness::with_journey("accept", "page").await;
    h.sim.faults().drop_next(1);
    let url = format!("{}/journey/state/fetch", h.sim.base_url());
    let dropped = h
        .http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"instanceId": id}))
        .send()
        .await;
    let error = dropped.expect_err("the connection is closed without an answer");
    assert!(!error.is_timeout());
    assert!(error.status().is_none());
    assert_eq!(h.fetch_state(&token, &id).await.status, 200);
    let log = h.sim.request_log();
    let entries: Vec<_> = log
        .iter()
        .filter(|e| e.path.ends_with("state/fetch"))
        .collect();
    assert_eq!(entries[0].status, None);
    assert_eq!(entries[1].status, Some(200));
}

#[tokio::test]
async fn a_path_prefix_targets_the_faults() {
    let (h, token) = Harness::signed_in().await;
    h.sim.faults().target(Some("journey/state/fetch"));
    h.sim
        .faults()
        .fail_next(3, ServerErrorStatus::ServiceUnavailable);
    let id = h.start_journey(&token, "accept", "page").await;
    h.token().await; // asserts a 200: the token endpoint is not targeted
    assert_eq!(h.submit_page(&id, &PERSON).await.0, 200);
    assert_eq!(h.fetch_state(&token, &id).await.status, 503);
    assert_eq!(h.sim.faults().get().server_error.count, 2);
}

#[tokio::test]
async fn hosted_pages_are_spared_unless_targeted() {
    let (h, _, id) = Harness::with_journey("accept", "page").await;
    h.sim.faults().rate_limit_next(1, None);
    assert_eq!(h.get_page(&format!("/journey/{id}")).await.0, 200);
    h.sim.faults().target(Some(&format!("journey/{id}")));
    assert_eq!(h.get_page(&format!("/journey/{id}")).await.0, 429);
}

#[tokio::test]
async fn the_token_endpoint_gets_oauth_style_fault_answers() {
    let h = Harness::start().await;
    h.sim.faults().target(Some("as/token.oauth2"));
    h.sim.faults().rate_limit_next(1, Some(1));
    let limited = h.request_token().await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body["error"], "temporarily_unavailable");
    assert_eq!(limited.headers["retry-after"], "1");
    h.sim
        .faults()
        .fail_next(1, ServerErrorStatus::InternalServerError);
    let failed = h.request_token().await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.body["error"], "server_error");
    assert_eq!(h.request_token().await.status, 200);
}

#[tokio::test]
async fn latency_delays_the_selected_answers() {
    let h = Harness::start().await;
    h.sim.faults().set_latency_ms(60);
    let started = Instant::now();
    assert_eq!(h.get("journey/health").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(60));
}

#[tokio::test]
async fn instances_expire_after_the_ttl() {
    let (h, token, id) = Harness::with_journey("accept", "page").await;
    h.sim.faults().update(|f| f.instance_ttl_s = Some(3600));
    assert_eq!(h.fetch_state(&token, &id).await.status, 200);
    h.sim.faults().update(|f| f.instance_ttl_s = Some(0));
    let expired = h.fetch_state(&token, &id).await;
    assert_eq!(expired.status, 404);
    assert_eq!(expired.problem()["name"], "NOT_FOUND");
    h.sim.faults().update(|f| f.instance_ttl_s = None);
    assert_eq!(
        h.fetch_state(&token, &id).await.status,
        404,
        "expired stays gone"
    );
}

#[tokio::test]
async fn configured_faults_apply_from_the_start_and_reset_restores_them() {
    let configured = Faults {
        path_prefix: Some("journey/health".to_owned()),
        rate_limit: RateLimitFault {
            count: 1,
            retry_after_s: None,
        },
        ..Faults::default()
    };
    let h = Harness::with(SimulatorConfig {
        faults: configured.clone(),
        ..SimulatorConfig::default()
    })
    .await;
    assert_eq!(h.get("journey/health").await.status, 429);
    assert_eq!(h.get("journey/health").await.status, 200);
    h.sim.faults().set(Faults::default());
    assert_eq!(h.sim.faults().get(), Faults::default());
    h.sim.faults().reset();
    assert_eq!(h.sim.faults().get(), configured);
    assert_eq!(h.get("journey/health").await.status, 429);
}
