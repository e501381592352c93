//! The hosted journey page.

use reqwest::header::HeaderMap;
use serde_json::json;

use crate::support::{Harness, PERSON};

/// The value of header `name`, which must be there and be text.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers[name].to_str().unwrap()
}

fn without(field: &str) -> Vec<(&'static str, &'static str)> {
    PERSON
        .iter()
        .copied()
        .filter(|(name, _)| *name != field)
        .collect()
}

#[tokio::test]
async fn the_page_shows_one_form_with_the_named_inputs() {
    let (h, _, id) = Harness::with_journey("accept", "page").await;
    let (status, headers, html) = h.get_page(&format!("/journey/{id}")).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert!(header(&headers, "content-security-policy").contains("default-src 'none'"));
    assert!(headers.contains_key("x-request-id"));
    assert!(html.contains("<h1>Identity check (accept)</h1>"));
    assert_eq!(html.matches("<form").count(), 1);
    assert!(html.contains(&format!(
        r#"<form id="journey-form" method="post" action="/journey/{id}""#
    )));
    for (number, step) in ["Personal details", "Address", "Review"].iter().enumerate() {
        assert!(
            html.contains(&format!("<li>{} {step}</li>", number + 1)),
            "step {step}"
        );
    }
    for (name, _) in PERSON {
        assert!(html.contains(&format!(r#"name="{name}""#)), "input {name}");
    }
    assert!(html.contains(r#"name="dateOfBirth" type="date""#));
    let button = &html[html.find("<button").unwrap()..];
    let button = &button[..button.find('>').unwrap()];
    assert!(
        button.contains(r#"type="submit""#) && button.contains(r#"id="submit""#),
        "{button}"
    );
}

#[tokio::test]
async fn submitting_the_form_records_the_subject_and_completes() {
    let (h, token, id) = Harness::with_journey("accept", "page").await;
    let (status, html) = h.submit_page(&id, &PERSON).await;
    assert_eq!(status, 200);
    assert!(html.contains("Thank you"));
    assert!(html.contains("You can close this window"));
    assert!(html.contains(r#"id="outcome""#));
    let state = h.state(&token, &id).await;
    assert_eq!(state["status"], "Completed");
    assert_eq!(
        state["context"]["subject"],
        json!({"identity": {"firstName": "Jane", "lastNames": ["Doe"], "dateOfBirth": "1992-10-01",
               "currentAddress": {"lines": ["12 Example Street"], "locality": "London",
                                  "postalCode": "SW1A 1AA", "country": "GB"}}})
    );
    let (again, html) = h.submit_page(&id, &PERSON).await;
    assert_eq!(again, 409);
    assert!(html.contains(r#"id="outcome""#));
    let (status, _, html) = h.get_page(&format!("/journey/{id}")).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<form"), "no form once submitted");
}

#[tokio::test]
async fn a_missing_or_malformed_field_re_renders_the_form_with_422() {
    let (h, token, id) = Harness::with_journey("accept", "page").await;
    let (status, html) = h.submit_page(&id, &without("locality")).await;
    assert_eq!(status, 422);
    assert!(html.contains("There is a problem"));
    assert!(html.contains("Enter your town or city."));
    assert!(html.contains(r#"value="Jane""#), "values are kept");
    let mut bad_date = without("dateOfBirth");
    bad_date.push(("dateOfBirth", "1990-02-30"));
    let (status, html) = h.submit_page(&id, &bad_date).await;
    assert_eq!(status, 422);
    assert!(html.contains("real date"));
    let mut bad_country = without("country");
    bad_country.push(("country", "Britain"));
    assert_eq!(h.submit_page(&id, &bad_country).await.0, 422);
    let state = h.state(&token, &id).await;
    assert_eq!(state["status"], "InProgress");
    assert_eq!(state["context"]["subject"], json!({}));
}

#[tokio::test]
async fn everything_shown_is_escaped() {
    let (h, token) = Harness::signed_in_with(|c| {
        for journey in &mut c.journeys {
            journey.title = format!("<b>Bank & \"Co\"</b> {}", journey.name);
        }
    })
    .await;
    let id = h.start_journey(&token, "accept", "page").await;
    let (_, _, html) = h.get_page(&format!("/journey/{id}")).await;
    assert!(html.contains("&lt;b&gt;Bank &amp; &quot;Co&quot;&lt;/b&gt;"));
    assert!(!html.contains("<b>Bank"));
    let mut hostile = without("firstName");
    hostile.push(("firstName", "\"><script>alert(1)</script>"));
    hostile.retain(|(name, _)| *name != "postalCode");
    let (status, html) = h.submit_page(&id, &hostile).await;
    assert_eq!(status, 422);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&quot;&gt;&lt;script&gt;"));
    let (status, _, html) = h
        .get_page("/journey/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(status, 404);
    assert!(!html.contains("<script>"));
}

#[tokio::test]
async fn unknown_expired_and_wrongly_encoded_requests() {
    let (h, token) = Harness::signed_in().await;
    let (status, headers, html) = h.get_page("/journey/Pq_hhIX6-sHUy9FLSDzPLu").await;
    assert_eq!(status, 404);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert!(html.contains("not valid or has expired"));
    assert_eq!(
        h.submit_page("Pq_hhIX6-sHUy9FLSDzPLu", &PERSON).await.0,
        404
    );
    let id = h.start_journey(&token, "accept", "page").await;
    let json_post = h
        .http
        .post(format!("{}/journey/{id}", h.sim.origin()))
        .json(&json!({"firstName": "Jane"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_post.status().as_u16(), 415);
    h.sim.faults().update(|f| f.instance_ttl_s = Some(0));
    let (status, _, _) = h.get_page(&format!("/journey/{id}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_prefilled_subject_fills_the_form() {
    let (h, token) = Harness::signed_in().await;
    let body = json!({"resourceId": h.sim.resource_id(), "context": {"config": {"delivery": "page"},
        "subject": {"identity": {"firstName": "Red", "lastNames": ["Hawk", "Jr"],
                    "currentAddress": {"lines": ["99 STATE ST"], "country": "US"}}}}});
    let id = h.post("journey/start", Some(&token), &body).await.body["instanceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, _, html) = h.get_page(&format!("/journey/{id}")).await;
    assert!(html.contains(r#"value="Red""#));
    assert!(html.contains(r#"value="Hawk, Jr""#));
    assert!(html.contains(r#"value="99 STATE ST""#));
}

#[tokio::test]
async fn the_end_user_stand_in_completes_a_hosted_journey() {
    use gbg_go_simulator::end_user::complete_hosted_page;
    let (h, token, id) = Harness::with_journey("accept", "page").await;
    complete_hosted_page(&format!("{}/journey/{id}", h.sim.origin()))
        .await
        .unwrap();
    assert_eq!(h.state(&token, &id).await["status"], "Completed");
    let unknown = format!("{}/journey/Pq_hhIX6-sHUy9FLSDzPLu", h.sim.origin());
    assert!(complete_hosted_page(&unknown).await.is_err());
}
