//! API journeys: the interaction loop, the submit rules and end-user tokens.

use gbg_go_simulator::scenarios::{API_KYC_PROCESSING_FETCHES, SLOW_POLLS};
use gbg_go_simulator::{InteractionAuth, NOT_READY_CODE, NotReadyAnswer, Outstanding};
use serde_json::{Value, json};

use crate::support::{Answer, Harness};

const PERSONAL: &str = "grn:::gbg:design:interaction:personal-details@latest";
const DOCUMENT: &str = "grn:::gbg:design:interaction:document-capture@latest";
const FORM: &str = "grn:::gbg:design:interaction:identity-form@latest";

fn identity() -> Value {
    json!({"identity": {"firstName": "RED", "lastNames": ["HAWK"], "dateOfBirth": "2007-11-22",
           "currentAddress": {"lines": ["99 STATE ST"], "locality": "TUPELO", "postalCode": "38801", "country": "US"}}})
}

fn document() -> Value {
    json!({"documents": [{"type": "primary", "side1Image": "aW1hZ2U="}]})
}

fn submission(id: &str, interaction: &str, participants: &[&str], subject: Option<Value>) -> Value {
    let mut body = json!({
        "instanceId": id,
        "interactionId": interaction,
        "participants": participants.iter().map(|p| json!({"domainElementId": p})).collect::<Vec<_>>(),
    });
    if let Some(subject) = subject {
        body["context"] = json!({"subject": subject});
    }
    body
}

async fn submit(h: &Harness, token: &str, body: &Value) -> Answer {
    h.post("journey/interaction/submit", Some(token), body)
        .await
}

/// Fetches through a processing gap, asserting it has no interaction.
async fn through_gap(h: &Harness, token: &str, id: &str) {
    for _ in 0..API_KYC_PROCESSING_FETCHES {
        let gap = h.fetch_interaction(token, id).await;
        assert_eq!(gap.status, 200);
        assert_eq!(
            gap.body,
            json!({"instanceId": id, "journey": {"status": "InProgress"}, "processing": true})
        );
    }
}

/// The required elements of the personal details interaction (and of the
/// hosted page's form).
const IDENTITY: [&str; 3] = ["FullName", "DateOfBirth", "CurrentAddress"];

/// The personal details after the name, which complete the interaction.
fn rest_of_personal_details(id: &str) -> Value {
    let rest = ["DateOfBirth", "CurrentAddress"];
    submission(id, PERSONAL, &rest, Some(identity()))
}

/// Starts api-kyc and answers its first interaction; its processing gap
/// begins.
async fn personal_details_answered(h: &Harness, token: &str) -> String {
    let id = h.start_journey(token, "api-kyc", "api").await;
    let body = submission(&id, PERSONAL, &IDENTITY, Some(identity()));
    assert_eq!(submit(h, token, &body).await.status, 200);
    id
}

/// Starts api-kyc and completes its first interaction.
async fn at_document_capture(h: &Harness, token: &str) -> String {
    let id = personal_details_answered(h, token).await;
    through_gap(h, token, &id).await;
    id
}

#[tokio::test]
async fn the_api_journey_loop_runs_to_completion() {
    let (h, token, id) = Harness::with_journey("api-kyc", "api").await;

    let first = h.fetch_interaction(&token, &id).await;
    assert_eq!(first.status, 200);
    let doc = &first.body;
    assert_eq!(doc["instanceId"], id.as_str());
    assert_eq!(doc["interactionId"], PERSONAL);
    assert_eq!(doc["journey"], json!({"status": "InProgress"}));
    assert_eq!(doc["interaction"]["grId"], PERSONAL);
    let resource = &doc["interaction"]["resource"];
    assert_eq!(resource["type"], "interaction");
    assert_eq!(resource["id"], "personal-details");
    assert_eq!(resource["version"], "latest");
    assert_eq!(
        resource["data"]["pages"][0]["cards"][0],
        json!({"id": "NameCard"})
    );
    assert_eq!(
        doc["interaction"]["collects"][0],
        json!({"ref": "FullName", "spec": "required"})
    );
    assert_eq!(
        doc["interaction"]["collects"][3],
        json!({"ref": "PersonalEmail", "spec": "optional"})
    );
    assert_eq!(doc["interaction"]["consumes"], json!([]));
    assert_eq!(
        doc["outstanding"],
        json!(["FullName", "DateOfBirth", "CurrentAddress"])
    );
    assert_eq!(doc["context"], json!({"subject": {}}));

    let name_only = json!({"identity": {"firstName": "RED", "lastNames": ["HAWK"]}});
    assert_eq!(
        submit(
            &h,
            &token,
            &submission(&id, PERSONAL, &["FullName"], Some(name_only))
        )
        .await
        .body,
        json!({"status": "success"})
    );
    let partial = h.fetch_interaction(&token, &id).await;
    assert_eq!(
        partial.body["outstanding"],
        json!(["DateOfBirth", "CurrentAddress"])
    );
    assert_eq!(
        partial.body["context"]["subject"]["identity"]["firstName"],
        "RED"
    );

    let rest = rest_of_personal_details(&id);
    assert_eq!(submit(&h, &token, &rest).await.status, 200);
    through_gap(&h, &token, &id).await;

    let second = h.fetch_interaction(&token, &id).await;
    assert_eq!(second.body["interactionId"], DOCUMENT);
    assert_eq!(
        second.body["outstanding"],
        json!(["PrimaryDocument/side1Image"])
    );
    assert_eq!(
        second.body["interaction"]["collects"],
        json!([{"ref": "PrimaryDocument", "spec": "required"}])
    );
    assert_eq!(
        second.body["interaction"]["consumes"],
        json!([{"ref": "FullName", "spec": "required"}])
    );

    let doc_submit = submission(
        &id,
        DOCUMENT,
        &["PrimaryDocument/side1Image"],
        Some(document()),
    );
    assert_eq!(submit(&h, &token, &doc_submit).await.status, 200);
    through_gap(&h, &token, &id).await;
    let ended = h.fetch_interaction(&token, &id).await;
    assert_eq!(
        ended.body,
        json!({"instanceId": id, "journey": {"status": "Completed"}, "processing": false})
    );

    let state = h.state(&token, &id).await;
    assert_eq!(state["status"], "Completed");
    assert_eq!(state["context"]["result"]["outcome"], "Decision: Accept");
    assert_eq!(
        state["context"]["subject"]["identity"]["currentAddress"]["locality"],
        "TUPELO"
    );
    assert_eq!(
        state["context"]["subject"]["documents"][0]["side1Image"],
        "aW1hZ2U="
    );
    let steps = state["context"]["process"]["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["name"] == "Document Authentication"));

    let late = submit(&h, &token, &doc_submit).await;
    assert_eq!(late.status, 409);
    assert_eq!(late.problem()["code"], "4090");
    assert_eq!(late.problem()["name"], "JOURNEY_NOT_ACTIVE");
}

#[tokio::test]
async fn the_last_gap_also_counts_state_fetches() {
    let (h, token) = Harness::signed_in().await;
    let id = at_document_capture(&h, &token).await;
    let doc_submit = submission(&id, DOCUMENT, &["PrimaryDocument"], Some(document()));
    assert_eq!(submit(&h, &token, &doc_submit).await.status, 200);
    for _ in 0..API_KYC_PROCESSING_FETCHES {
        assert_eq!(h.state(&token, &id).await["status"], "InProgress");
    }
    assert_eq!(h.state(&token, &id).await["status"], "Completed");
}

#[tokio::test]
async fn a_subject_only_submission_succeeds_but_changes_nothing() {
    let (h, token, id) = Harness::with_journey("api-kyc", "api").await;
    for body in [submission(&id, PERSONAL, &[], Some(identity())), {
        let mut b = submission(&id, PERSONAL, &[], Some(identity()));
        b.as_object_mut().unwrap().remove("participants");
        b
    }] {
        let answer = submit(&h, &token, &body).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, json!({"status": "success"}));
    }
    let doc = h.fetch_interaction(&token, &id).await.body;
    assert_eq!(
        doc["outstanding"],
        json!(["FullName", "DateOfBirth", "CurrentAddress"])
    );
    assert_eq!(doc["context"]["subject"], json!({}));
}

#[tokio::test]
async fn participants_without_a_subject_are_400() {
    let (h, token, id) = Harness::with_journey("api-kyc", "api").await;
    let mut with_empty_context = submission(&id, PERSONAL, &["FullName"], None);
    with_empty_context["context"] = json!({});
    for body in [
        submission(&id, PERSONAL, &["FullName"], None),
        with_empty_context,
    ] {
        let answer = submit(&h, &token, &body).await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.problem()["code"], "4002");
        assert_eq!(answer.problem()["name"], "MISSING_FIELD");
        assert_eq!(
            answer.problem()["problem"],
            "context.subject: Invalid input"
        );
    }
}

#[tokio::test]
async fn submit_rule_violations() {
    let (h, token, id) = Harness::with_journey("api-kyc", "api").await;
    let submit_subject = async |interaction: &str, participants: &[&str], subject: Value| {
        let body = submission(&id, interaction, participants, Some(subject));
        submit(&h, &token, &body).await
    };

    let wrong = submit_subject(DOCUMENT, &["FullName"], identity()).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.problem()["code"], "4004");
    assert_eq!(wrong.problem()["name"], "INTERACTION_MISMATCH");

    let unknown = submit_subject(PERSONAL, &["Selfie"], identity()).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.problem()["name"], "UNKNOWN_DOMAIN_ELEMENT");

    let no_data = submit_subject(PERSONAL, &["DateOfBirth"], json!({"uid": "x"})).await;
    assert_eq!(no_data.status, 400);
    assert_eq!(
        no_data.problem()["problem"],
        "Required domain element 'DateOfBirth' data is missing from context"
    );

    let mut bad_country = identity();
    bad_country["identity"]["currentAddress"]["country"] = json!("usa");
    let country = submit_subject(PERSONAL, &["CurrentAddress"], bad_country).await;
    assert_eq!(country.status, 400);
    assert!(
        country
            .problem_text()
            .starts_with("context.subject.identity.currentAddress.country: ")
    );

    let mut bad_date = identity();
    bad_date["identity"]["dateOfBirth"] = json!("22/11/2007");
    let date = submit_subject(PERSONAL, &["DateOfBirth"], bad_date).await;
    assert_eq!(date.status, 400);
    assert!(
        date.problem_text()
            .starts_with("context.subject.identity.dateOfBirth: ")
    );

    let mut nameless = submission(&id, PERSONAL, &[], Some(identity()));
    nameless["participants"] = json!([{"instruction": "open"}]);
    let answer = submit(&h, &token, &nameless).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.problem()["problem"],
        "participants.0.domainElementId: Required"
    );

    let missing_interaction = submit(&h, &token, &json!({"instanceId": id})).await;
    assert_eq!(missing_interaction.status, 400);
    assert_eq!(missing_interaction.problem()["name"], "MISSING_FIELD");

    let unknown_instance = submit(
        &h,
        &token,
        &submission("Pq_hhIX6-sHUy9FLSDzPLu", PERSONAL, &[], None),
    )
    .await;
    assert_eq!(unknown_instance.status, 404);

    let doc = h.fetch_interaction(&token, &id).await.body;
    assert_eq!(
        doc["outstanding"],
        json!(["FullName", "DateOfBirth", "CurrentAddress"]),
        "nothing changed"
    );
    assert_eq!(doc["context"]["subject"], json!({}));
}

#[tokio::test]
async fn submitting_during_a_processing_gap_is_409() {
    let (h, token) = Harness::signed_in().await;
    let id = personal_details_answered(&h, &token).await;
    let early = submit(
        &h,
        &token,
        &submission(&id, DOCUMENT, &["PrimaryDocument"], Some(document())),
    )
    .await;
    assert_eq!(early.status, 409);
    assert_eq!(early.problem()["name"], "INTERACTION_NOT_READY");
}

#[tokio::test]
async fn hosted_journeys_offer_their_form_as_an_interaction_and_api_journeys_can_be_hosted() {
    let (h, token) = Harness::signed_in().await;
    let hosted = h.start_journey(&token, "slow", "api").await;
    let form = h.fetch_interaction(&token, &hosted).await.body;
    assert_eq!(form["interactionId"], FORM);
    assert_eq!(
        form["interaction"]["resource"]["name"],
        "Identity Verification"
    );
    assert_eq!(
        form["interaction"]["collects"],
        json!([{"ref": "FullName", "spec": "required"}, {"ref": "DateOfBirth", "spec": "required"},
               {"ref": "CurrentAddress", "spec": "required"}])
    );
    assert_eq!(
        form["outstanding"],
        json!(["FullName", "DateOfBirth", "CurrentAddress"])
    );
    // The page tells the person to go on in the app; it has no form to send.
    let (_, _, page) = h.get_page(&format!("/journey/{hosted}")).await;
    assert!(page.contains("continues in the app") && !page.contains("<form"));
    assert_eq!(h.submit_page(&hosted, &crate::support::PERSON).await.0, 409);
    let answer = submit(
        &h,
        &token,
        &submission(&hosted, FORM, &IDENTITY, Some(identity())),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    for _ in 0..SLOW_POLLS {
        assert_eq!(h.state(&token, &hosted).await["status"], "InProgress");
    }
    let state = h.state(&token, &hosted).await;
    assert_eq!(state["status"], "Completed");
    assert_eq!(state["context"]["subject"]["identity"]["firstName"], "RED");

    let kyc = h.start_journey(&token, "api-kyc", "page").await;
    let waiting = h.fetch_interaction(&token, &kyc).await.body;
    assert_eq!(
        waiting,
        json!({"instanceId": kyc, "journey": {"status": "InProgress"}, "processing": false}),
        "waiting for the page is not processing"
    );
    assert_eq!(h.submit_page(&kyc, &crate::support::PERSON).await.0, 200);
    for _ in 0..API_KYC_PROCESSING_FETCHES {
        assert_eq!(h.state(&token, &kyc).await["status"], "InProgress");
    }
    assert_eq!(h.state(&token, &kyc).await["status"], "Completed");
    assert_eq!(
        h.fetch_interaction(&token, "Pq_hhIX6-sHUy9FLSDzPLu")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn the_not_ready_answer_can_be_gbg_openapi_in_body_error() {
    let (h, token) = Harness::signed_in_with(|c| c.not_ready_answer = NotReadyAnswer::Error).await;
    let not_ready = |id: &str, status: &str| {
        json!({"status": "error", "code": NOT_READY_CODE,
               "message": format!("No interaction is ready for journey instance '{id}' (the journey is {status})")})
    };
    let kyc = h.start_journey(&token, "api-kyc", "page").await;
    assert_eq!(
        h.fetch_interaction(&token, &kyc).await.body,
        not_ready(&kyc, "InProgress")
    );
    let id = personal_details_answered(&h, &token).await;
    let gap = h.fetch_interaction(&token, &id).await;
    assert_eq!(gap.status, 200);
    assert_eq!(gap.body, not_ready(&id, "InProgress"));
    assert_eq!(
        h.fetch_interaction(&token, &id).await.body["interactionId"],
        DOCUMENT
    );
    let doc_submit = submission(&id, DOCUMENT, &["PrimaryDocument"], Some(document()));
    submit(&h, &token, &doc_submit).await;
    h.fetch_interaction(&token, &id).await;
    assert_eq!(
        h.fetch_interaction(&token, &id).await.body,
        not_ready(&id, "Completed")
    );
    // Only the answer changes: an unknown instance is still an HTTP 404.
    let unknown = h.fetch_interaction(&token, "Pq_hhIX6-sHUy9FLSDzPLu").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.problem()["name"], "NOT_FOUND");
}

#[tokio::test]
async fn static_outstanding_never_shrinks_and_shows_the_interaction_while_it_is_processed() {
    let (h, token) = Harness::signed_in_with(|c| c.outstanding = Outstanding::Static).await;
    let id = h.start_journey(&token, "api-kyc", "api").await;
    let first = h.fetch_interaction(&token, &id).await.body;
    assert_eq!(first["outstanding"], json!(IDENTITY));

    // A partial submission is accepted, and `outstanding` comes back identical.
    let name_only = json!({"identity": {"firstName": "RED", "lastNames": ["HAWK"]}});
    let name = submission(&id, PERSONAL, &["FullName"], Some(name_only));
    assert_eq!(submit(&h, &token, &name).await.status, 200);
    let again = h.fetch_interaction(&token, &id).await.body;
    assert_eq!(again["interactionId"], PERSONAL);
    assert_eq!(again["outstanding"], first["outstanding"]);

    // The rest completes the interaction, which takes no more data; while its data is
    // processed the fetch shows it again, unchanged.
    let rest = rest_of_personal_details(&id);
    assert_eq!(submit(&h, &token, &rest).await.status, 200);
    let resubmitted = submit(&h, &token, &rest).await;
    assert_eq!(resubmitted.status, 409);
    assert_eq!(resubmitted.problem()["name"], "INTERACTION_NOT_READY");
    for _ in 0..API_KYC_PROCESSING_FETCHES {
        let gap = h.fetch_interaction(&token, &id).await.body;
        assert_eq!(gap["interactionId"], PERSONAL);
        assert_eq!(gap["journey"]["status"], "InProgress");
        assert_eq!(gap["outstanding"], first["outstanding"]);
    }
    let second = h.fetch_interaction(&token, &id).await.body;
    assert_eq!(second["interactionId"], DOCUMENT);
    assert_eq!(second["outstanding"], json!(["PrimaryDocument/side1Image"]));
    let doc_submit = submission(&id, DOCUMENT, &["PrimaryDocument"], Some(document()));
    assert_eq!(submit(&h, &token, &doc_submit).await.status, 200);
    for _ in 0..API_KYC_PROCESSING_FETCHES {
        let gap = h.fetch_interaction(&token, &id).await.body;
        assert_eq!(gap["outstanding"], second["outstanding"]);
    }
    assert_eq!(
        h.fetch_interaction(&token, &id).await.body,
        json!({"instanceId": id, "journey": {"status": "Completed"}, "processing": false})
    );
}

/// device/start then device/connect; returns the end-user token.
async fn end_user_token(h: &Harness, token: &str, id: &str) -> String {
    let started = h.device_start(token, id, json!(["any"])).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!(started.body["tokenType"], "connect");
    assert_eq!(started.body["expiresIn"], 120);
    assert_eq!(started.body["scope"], json!(["any"]));
    let connect = started.body["connectToken"].as_str().unwrap().to_owned();
    let body = json!({"connectToken": connect, "deviceInfo": {"deviceId": "device-0123456789"}});
    let connected = h.device_connect(&connect, &body).await;
    assert_eq!(connected.status, 200, "{}", connected.body);
    assert_eq!(connected.body["tokenType"], "end-user");
    assert_eq!(connected.body["expiresIn"], 86399);
    connected.body["endUserToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn end_user_tokens_drive_their_own_instance_only() {
    let (h, token, id) = Harness::with_journey("api-kyc", "api").await;
    let other = h.start_journey(&token, "api-kyc", "api").await;
    let end_user = end_user_token(&h, &token, &id).await;
    assert_eq!(end_user.split('.').count(), 3);
    assert!(end_user.split('.').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }));
    assert_eq!(h.fetch_interaction(&end_user, &id).await.status, 200);
    let all = ["FullName", "DateOfBirth", "CurrentAddress"];
    assert_eq!(
        submit(
            &h,
            &end_user,
            &submission(&id, PERSONAL, &all, Some(identity()))
        )
        .await
        .status,
        200
    );
    let foreign = h.fetch_interaction(&end_user, &other).await;
    assert_eq!(foreign.status, 403);
    assert_eq!(foreign.problem()["name"], "FORBIDDEN");
    let start = json!({"resourceId": h.sim.resource_id()});
    assert_eq!(
        h.post("journey/start", Some(&end_user), &start)
            .await
            .status,
        403
    );
    assert_eq!(h.fetch_state(&end_user, &id).await.status, 403);
}

#[tokio::test]
async fn device_endpoints_validate_their_tokens_and_bodies() {
    let (h, token, id) = Harness::with_journey("api-kyc", "api").await;
    let scope_string = h.device_start(&token, &id, json!("any")).await;
    assert_eq!(scope_string.status, 400);
    assert!(scope_string.problem_text().starts_with("scope: "));
    let unknown = h
        .device_start(&token, "Pq_hhIX6-sHUy9FLSDzPLu", json!(["any"]))
        .await;
    assert_eq!(unknown.status, 404);
    let started = h.device_start(&token, &id, json!(["mobile"])).await;
    let connect = started.body["connectToken"].as_str().unwrap().to_owned();
    let good = json!({"connectToken": connect, "deviceInfo": {"deviceId": "device-0123456789"}});
    assert_eq!(
        h.device_connect(&token, &good).await.status,
        403,
        "customer token refused"
    );
    let short = json!({"connectToken": connect, "deviceInfo": {"deviceId": "short"}});
    let answer = h.device_connect(&connect, &short).await;
    assert_eq!(answer.status, 400);
    assert!(answer.problem_text().starts_with("deviceInfo.deviceId: "));
    let mismatch = json!({"connectToken": "someOtherToken123", "deviceInfo": {"deviceId": "device-0123456789"}});
    assert_eq!(h.device_connect(&connect, &mismatch).await.status, 400);
    assert_eq!(
        h.fetch_interaction(&connect, &id).await.status,
        403,
        "a connect token is no interaction token"
    );
    h.sim.expire_all_tokens();
    assert_eq!(h.device_connect(&connect, &good).await.status, 401);
}

#[tokio::test]
async fn interaction_auth_can_demand_one_kind_of_token() {
    for (mode, customer_status, end_user_status) in [
        (InteractionAuth::Customer, 200, 403),
        (InteractionAuth::EndUser, 403, 200),
        (InteractionAuth::Either, 200, 200),
    ] {
        let (h, token) = Harness::signed_in_with(|c| c.interaction_auth = mode).await;
        let id = h.start_journey(&token, "api-kyc", "api").await;
        let end_user = end_user_token(&h, &token, &id).await;
        assert_eq!(
            h.fetch_interaction(&token, &id).await.status,
            customer_status,
            "{mode:?} customer"
        );
        assert_eq!(
            h.fetch_interaction(&end_user, &id).await.status,
            end_user_status,
            "{mode:?} end user"
        );
    }
}
