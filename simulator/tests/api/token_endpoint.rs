//! The OAuth token endpoint.

use serde_json::json;

use gbg_go_simulator::Credentials;

use crate::support::Harness;

const KEYCLOAK_PATH: &str = "/auth/realms/go/protocol/openid-connect/token";

#[tokio::test]
async fn client_credentials_grant_issues_a_bearer_token() {
    let h = Harness::start().await;
    let answer = h.request_token().await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 3600);
    assert!(answer.body["access_token"].as_str().unwrap().len() >= 32);
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert!(!answer.request_id().is_empty());
    assert!(h.sim.token_url().ends_with("/as/token.oauth2"));
}

#[tokio::test]
async fn password_grant_works_on_both_token_paths() {
    let h = Harness::start().await;
    let c = h.sim.credentials().clone();
    for path in ["/as/token.oauth2", KEYCLOAK_PATH] {
        let answer = h.token_request(path, &c.password_form()).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let token = answer.body["access_token"].as_str().unwrap();
        let unknown_instance = h.fetch_state(token, "0123456789abcdefXYZ").await;
        assert_eq!(
            unknown_instance.status, 404,
            "the token is accepted by the API"
        );
    }
}

#[tokio::test]
async fn bad_credentials_are_401() {
    let h = Harness::start().await;
    let c = h.sim.credentials().clone();
    let path = "/as/token.oauth2";
    let client_credentials = async |wrong: Credentials| {
        h.token_request(path, &wrong.client_credentials_form())
            .await
    };
    let wrong_secret = client_credentials(Credentials {
        client_secret: "nope".into(),
        ..c.clone()
    })
    .await;
    assert_eq!(wrong_secret.status, 401);
    assert_eq!(wrong_secret.body["error"], "invalid_client");
    let wrong_client = client_credentials(Credentials {
        client_id: "other".into(),
        ..c.clone()
    })
    .await;
    assert_eq!(wrong_client.body["error"], "invalid_client");
    let other_password = Credentials {
        password: "wrong".into(),
        ..c
    };
    let wrong_password = h.token_request(path, &other_password.password_form()).await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.body["error"], "invalid_grant");
    assert!(
        !wrong_password.body.to_string().contains("wrong"),
        "no secret echoed"
    );
}

#[tokio::test]
async fn malformed_token_requests_are_400() {
    let h = Harness::start().await;
    let c = h.sim.credentials().clone();
    let (id, secret) = (c.client_id.as_str(), c.client_secret.as_str());
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("client_id", id), ("client_secret", secret)],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", id),
                ("client_secret", secret),
            ],
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
                ("scope", "openid"),
            ],
            "invalid_scope",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_secret", secret),
                ("scope", "gbg.token"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", id),
                ("client_secret", secret),
                ("password", "x"),
            ],
            "invalid_request",
        ),
        (
            vec![("grant_type", "password"), ("grant_type", "password")],
            "invalid_request",
        ),
    ];
    for (form, error) in cases {
        let answer = h.token_request("/as/token.oauth2", &form).await;
        assert_eq!(answer.status, 400, "{form:?}");
        assert_eq!(answer.body["error"], error, "{form:?}");
        assert!(answer.body["error_description"].is_string());
    }
}

#[tokio::test]
async fn json_token_requests_and_other_methods_are_refused() {
    let h = Harness::start().await;
    let c = h.sim.credentials();
    let json_body = json!({"grant_type": "client_credentials", "client_id": c.client_id,
                           "client_secret": c.client_secret, "scope": "gbg.token"});
    let response = h
        .http
        .post(h.sim.token_url())
        .json(&json_body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let (status, headers, _) = h.get_page("/as/token.oauth2").await;
    assert_eq!(status, 405);
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn token_lifetime_knob_sets_expires_in_and_zero_expires_at_once() {
    let h = Harness::start().await;
    h.sim.faults().update(|f| f.token_lifetime_s = 120);
    let token = h.token().await;
    let answer = h.request_token().await;
    assert_eq!(answer.body["expires_in"], 120);
    let resource = h.sim.resource_id();
    let start =
        json!({"resourceId": resource, "context": {"config": {"delivery": "page"}, "subject": {}}});
    assert_eq!(
        h.post("journey/start", Some(&token), &start).await.status,
        201
    );

    h.sim.faults().update(|f| f.token_lifetime_s = 0);
    let expired = h.token().await;
    let answer = h.post("journey/start", Some(&expired), &start).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.problem()["problem"], "The bearer token has expired");
}

#[tokio::test]
async fn the_request_log_never_holds_secrets() {
    let h = Harness::start().await;
    let c = h.sim.credentials().clone();
    let token = h.token().await;
    h.fetch_state(&token, "0123456789abcdefXYZ").await;
    let log = h.sim.request_log();
    let text = format!("{log:?}");
    assert!(!text.contains(&c.client_secret));
    assert!(!text.contains(&token));
    assert_eq!(log[0].body["client_secret"], gbg_go_simulator::REDACTED);
    assert_eq!(log[0].body["client_id"], c.client_id.as_str());
    assert_eq!(
        log[1].header("authorization"),
        Some(gbg_go_simulator::REDACTED)
    );
    assert!(!format!("{c:?}").contains(&c.client_secret));
    assert!(!format!("{c:?}").contains(&c.password));
}
