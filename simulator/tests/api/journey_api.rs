//! The journey lifecycle endpoints: start, state fetch/delete, health, auth, body
//! validation, routing and request ids.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::Harness;

fn start_body(resource_id: &str) -> Value {
    json!({"resourceId": resource_id, "context": {"config": {"delivery": "page"}, "subject": {}}})
}

const AUTHENTICATED: [&str; 7] = [
    "journey/start",
    "journey/state/fetch",
    "journey/state/delete",
    "journey/interaction/fetch",
    "journey/interaction/submit",
    "journey/device/start",
    "journey/device/connect",
];

#[tokio::test]
async fn health_needs_no_token() {
    let h = Harness::start().await;
    let answer = h.get("journey/health").await;
    assert_eq!(answer.status, 200);
    assert!(answer.headers.contains_key("x-request-id"));
    assert_eq!(answer.body, json!({"message": "OK"}));
}

#[tokio::test]
async fn start_answers_201_with_a_relative_instance_url_for_both_deliveries() {
    let (h, token) = Harness::signed_in().await;
    for delivery in ["page", "api"] {
        let body = json!({"resourceId": h.sim.resource_id(),
                          "context": {"config": {"delivery": delivery}, "subject": {}}});
        let answer = h.post("journey/start", Some(&token), &body).await;
        assert_eq!(answer.status, 201);
        let id = answer.body["instanceId"].as_str().unwrap();
        assert_eq!(id.len(), 22);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(answer.body["instanceUrl"], format!("/journey/{id}"));
        assert_eq!(answer.body["status"], "started");
        assert_eq!(
            answer.body["message"],
            format!("Journey {id} started successfully")
        );
    }
}

#[tokio::test]
async fn start_resolves_latest_and_refuses_unknown_resources() {
    let (h, token) = Harness::signed_in().await;
    let pinned = h.sim.resource_id();
    let (id, _) = pinned.split_once('@').unwrap();
    assert_eq!(id.len(), 64);
    assert_eq!(
        h.post(
            "journey/start",
            Some(&token),
            &start_body(&format!("{id}@latest"))
        )
        .await
        .status,
        201
    );
    for unknown in [
        format!("{id}@wrongver"),
        id.to_owned(),
        format!("{}@latest", "f".repeat(64)),
    ] {
        let answer = h
            .post("journey/start", Some(&token), &start_body(&unknown))
            .await;
        assert_eq!(answer.status, 404, "{unknown}");
        assert_eq!(answer.problem()["name"], "NOT_FOUND");
        assert_eq!(answer.problem()["location"], "Body");
    }
}

#[tokio::test]
async fn every_authenticated_endpoint_answers_401_without_a_valid_token() {
    let (h, token) = Harness::signed_in().await;
    h.sim.expire_all_tokens();
    for path in AUTHENTICATED {
        for (bearer, problem) in [
            (
                None,
                "The Authorization header with a bearer token is missing",
            ),
            (Some("not-a-token"), "The bearer token is not valid"),
            (Some(token.as_str()), "The bearer token has expired"),
        ] {
            let answer = h.post(path, bearer, &json!({})).await;
            assert_eq!(answer.status, 401, "{path}");
            assert_eq!(answer.problem()["code"], "4010");
            assert_eq!(answer.problem()["name"], "UNAUTHORIZED");
            assert_eq!(answer.problem()["location"], "Authorization");
            assert_eq!(answer.problem()["problem"], problem);
            assert_eq!(answer.headers["www-authenticate"], "Bearer");
            assert!(!answer.request_id().is_empty());
        }
    }
    let basic = h
        .http
        .post(format!("{}/journey/start", h.sim.base_url()))
        .header("authorization", "Basic abc")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let (h, token) = Harness::signed_in().await;
    for path in [
        "journey/start",
        "journey/state/fetch",
        "journey/state/delete",
        "journey/interaction/fetch",
    ] {
        let url = format!("{}/{path}", h.sim.base_url());
        let send = async |content_type: &str, body: &'static str| {
            h.http
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
        };
        let text = send("text/plain", "{}").await;
        assert_eq!(text.status().as_u16(), 415, "{path}");
        let broken = send("application/json", "{\"a\":").await;
        assert_eq!(broken.status().as_u16(), 400, "{path}");
        let body: Value = broken.json().await.unwrap();
        assert_eq!(body["errors"][0]["name"], "INVALID_JSON");
        let array = h.post(path, Some(&token), &json!([1])).await;
        assert_eq!(array.status, 400);
        assert_eq!(array.problem()["code"], "4000");
    }
}

#[tokio::test]
async fn start_validates_its_body() {
    let (h, token) = Harness::signed_in().await;
    let resource = h.sim.resource_id();
    let missing = h
        .post("journey/start", Some(&token), &json!({"context": {}}))
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.problem().clone(),
        json!({"code": "4002", "name": "MISSING_FIELD", "location": "Body",
               "problem": "Either resourceId or deliveryId is required",
               "action": "Please provide resourceId (e.g., 'my-delivery@latest') or deliveryId"})
    );
    let cases = [
        (
            json!({"resourceId": resource, "context": {"config": {"delivery": "email"}, "subject": {}}}),
            "context.config.delivery",
        ),
        (
            json!({"resourceId": resource, "context": {"config": {"delivery": "page"}, "subject": "Jane"}}),
            "context.subject",
        ),
        (
            json!({"resourceId": resource, "context": {"config": {"delivery": "page"}}}),
            "context",
        ),
        (json!({"resourceId": resource, "extra": 1}), "body"),
        (json!({"resourceId": 7}), "resourceId"),
        (
            json!({"resourceId": resource, "context": {"config": {"delivery": "page"},
            "subject": {"identity": {"dateOfBirth": "01/02/1990"}}}}),
            "context.subject.identity.dateOfBirth",
        ),
        (
            json!({"resourceId": resource, "context": {"config": {"delivery": "page"},
            "subject": {"identity": {"nickname": "JD"}}}}),
            "context.subject.identity",
        ),
        (
            json!({"resourceId": resource, "context": {"config": {"delivery": "page"},
            "subject": {"identity": {"currentAddress": {"country": "gb"}}}}}),
            "context.subject.identity.currentAddress.country",
        ),
    ];
    for (body, path) in cases {
        let answer = h.post("journey/start", Some(&token), &body).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.problem()["code"], "4002");
        assert_eq!(answer.problem()["name"], "MISSING_FIELD");
        assert_eq!(answer.problem()["location"], "Body");
        let problem = answer.problem_text();
        assert!(
            problem.starts_with(&format!("{path}: ")),
            "{problem} should name {path}"
        );
        assert!(
            answer.problem()["action"]
                .as_str()
                .is_some_and(|a| !a.is_empty())
        );
    }
}

#[tokio::test]
async fn a_valid_prefill_subject_is_kept_and_context_is_optional() {
    let (h, token) = Harness::signed_in().await;
    let subject = json!({"identity": {"firstName": "Jane", "lastNames": ["Doe"],
                          "emails": [{"type": "personal", "email": "jane@example.com"}]}, "uid": "customer-789"});
    let body = json!({"resourceId": h.sim.resource_id(), "context": {"config": {"delivery": "page"}, "subject": subject}});
    let answer = h.post("journey/start", Some(&token), &body).await;
    assert_eq!(answer.status, 201);
    let id = answer.body["instanceId"].as_str().unwrap();
    assert_eq!(h.state(&token, id).await["context"]["subject"], subject);
    let bare = h
        .post(
            "journey/start",
            Some(&token),
            &json!({"resourceId": h.sim.resource_id()}),
        )
        .await;
    assert_eq!(bare.status, 201);
}

#[tokio::test]
async fn a_new_instance_has_the_pending_state_document() {
    let (h, token, id) = Harness::with_journey("accept", "page").await;
    let state = h.state(&token, &id).await;
    assert_eq!(state["instanceId"], id.as_str());
    assert_eq!(state["status"], "InProgress");
    assert_eq!(state["metaData"]["completedTime"], "");
    let created = state["metaData"]["createdTime"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    let journey = &state["context"]["process"]["journey"];
    assert_eq!(journey["name"], "Identity check (accept)");
    assert_eq!(journey["startedAt"], created);
    let (resource, version) = h
        .sim
        .resource_id()
        .split_once('@')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .unwrap();
    assert_eq!(journey["id"], resource.as_str());
    assert_eq!(journey["version"], version.as_str());
    assert!(journey.get("endedAt").is_none());
    assert_eq!(
        state["context"]["process"]["instance"],
        json!({"id": id, "instanceId": id})
    );
    assert_eq!(state["context"]["process"]["steps"], json!([]));
    assert_eq!(state["context"]["subject"], json!({}));
    assert_eq!(
        state["context"]["result"],
        json!({"status": "pending", "advice": {}})
    );
    assert_eq!(h.sim.instance(&id).unwrap()["instanceId"], id.as_str());
}

#[tokio::test]
async fn state_fetch_and_delete_validate_and_404() {
    let (h, token) = Harness::signed_in().await;
    for path in ["journey/state/fetch", "journey/state/delete"] {
        let missing = h.post(path, Some(&token), &json!({})).await;
        assert_eq!(missing.status, 400);
        assert_eq!(missing.problem()["name"], "MISSING_FIELD");
        assert!(missing.problem_text().contains("instanceId"));
        let unknown = h
            .post(
                path,
                Some(&token),
                &json!({"instanceId": "Pq_hhIX6-sHUy9FLSDzPLu"}),
            )
            .await;
        assert_eq!(unknown.status, 404);
        assert_eq!(unknown.problem()["code"], "4040");
        assert!(unknown.problem_text().contains("Pq_hhIX6-sHUy9FLSDzPLu"));
    }
    let filtered = h.start_journey(&token, "accept", "page").await;
    let fetch_filtered = async |filter_keys: Value| {
        let body = json!({"instanceId": filtered, "filterKeys": filter_keys});
        h.post("journey/state/fetch", Some(&token), &body).await
    };
    let answer = fetch_filtered(json!(["/.*/"])).await;
    assert_eq!(answer.status, 200);
    let bad_filter = fetch_filtered(json!("x")).await;
    assert_eq!(bad_filter.status, 400);
}

#[tokio::test]
async fn delete_removes_the_instance() {
    let (h, token, id) = Harness::with_journey("accept", "page").await;
    let deleted = h.delete_state(&token, &id).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body, json!({"instanceId": id}));
    assert_eq!(h.fetch_state(&token, &id).await.status, 404);
    assert_eq!(h.delete_state(&token, &id).await.status, 404);
    assert!(h.sim.instance(&id).is_none());
    let (status, _, _) = h.get_page(&format!("/journey/{id}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_the_envelope() {
    let (h, token) = Harness::signed_in().await;
    let unknown = h.post("journey/nothing", Some(&token), &json!({})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.problem()["location"], "Path");
    let (status, headers, body) = h.get_page("/v2/captain/journey/start").await;
    assert_eq!(status, 405);
    assert!(headers.contains_key("x-request-id"));
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["errors"][0]["name"], "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn every_answer_has_a_unique_request_id_that_the_log_records() {
    let (h, token) = Harness::signed_in().await;
    let mut ids = HashSet::new();
    for body in [json!({}), json!({"instanceId": "Pq_hhIX6-sHUy9FLSDzPLu"})] {
        let answer = h.post("journey/state/fetch", Some(&token), &body).await;
        assert!(ids.insert(answer.request_id()));
    }
    let started = h
        .post(
            "journey/start",
            Some(&token),
            &start_body(&h.sim.resource_id()),
        )
        .await;
    assert!(ids.insert(started.request_id()));
    let log = h.sim.request_log();
    assert_eq!(log.len(), 4);
    assert_eq!(log[3].method, "POST");
    assert_eq!(log[3].path, "/v2/captain/journey/start");
    assert_eq!(log[3].status, Some(201));
    assert_eq!(log[3].request_id, started.request_id());
    assert_eq!(log[3].body, start_body(&h.sim.resource_id()));
    assert_eq!(log[1].status, Some(400));
    assert!(
        log.iter()
            .skip(1)
            .all(|entry| ids.contains(&entry.request_id))
    );
}
