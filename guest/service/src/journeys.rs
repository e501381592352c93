//! The journey routes: `POST /journeys` (once per `Idempotency-Key`), `GET
//! /journeys/{id}` and `DELETE /journeys/{id}`.

use gbg_go_core::types::{Delivery, StartRequest, StartedJourney};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::answers::{Response, empty, json};
use crate::call::{Call, parse};
use crate::engine::Engine;
use crate::idempotency::{self, Claim, Records};
use crate::problem::Problem;
use crate::settings::RESOURCE_ID;
use crate::views;

/// The body of `POST /journeys`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    /// The published journey; the configured one when absent.
    resource_id: Option<String>,
    /// `page` (the default) or `api`.
    delivery: Option<DeliveryName>,
    /// Prefill data for `context.subject`, passed on unchanged.
    subject: Option<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum DeliveryName {
    Page,
    Api,
}

/// `POST /journeys`: starts a journey. With an `Idempotency-Key`, a repeat
/// gets the first answer and starts nothing ([`idempotency`]).
pub fn start<E: Engine>(call: &mut Call<'_, E>) -> Result<Response, Problem> {
    let key = idempotency::key(call.request)?;
    let body = call.body()?;
    let start = start_request(call, &body)?;
    let Some(key) = key else {
        return Ok(started(&call.session()?.start_journey(&start)?));
    };
    let service_key = call
        .config
        .service_key
        .as_ref()
        .map_err(Problem::not_configured)?;
    let clock = call.engine.clock();
    let mut records = Records::new(call.store()?, service_key);
    match records.claim(&key, &body, &clock)? {
        Claim::Replay(answer) => Ok(answer),
        Claim::Claimed(ticket) => {
            let outcome = call
                .session()
                .and_then(|mut session| Ok(session.start_journey(&start)?));
            match outcome {
                Ok(journey) => {
                    let answer = started(&journey);
                    records.complete(ticket, &answer, &clock);
                    Ok(answer)
                }
                Err(problem) => {
                    records.release(ticket);
                    Err(problem)
                }
            }
        }
    }
}

/// The start request `body` asks for: the configured journey when it
/// names none, a hosted page unless it asks for `api`.
fn start_request<E: Engine>(call: &Call<'_, E>, body: &[u8]) -> Result<StartRequest, Problem> {
    let body: StartBody = if body.iter().all(u8::is_ascii_whitespace) {
        StartBody::default()
    } else {
        parse(call.request, body, "a start request")?
    };
    let default = call
        .config
        .gbg
        .as_ref()
        .ok()
        .and_then(|g| g.resource_id.clone());
    let resource_id = body.resource_id.or(default).ok_or_else(|| {
        Problem::malformed(
            Some("resource_id".into()),
            format!(
                "resource_id is required: the body names no journey and {RESOURCE_ID} is not set"
            ),
        )
    })?;
    Ok(StartRequest {
        resource_id,
        delivery: match body.delivery {
            None | Some(DeliveryName::Page) => Delivery::Page,
            Some(DeliveryName::Api) => Delivery::Api,
        },
        subject: body.subject.map(|raw| raw.get().to_owned()),
    })
}

/// `201` with the started journey and its `Location`.
fn started(journey: &StartedJourney) -> Response {
    let mut response = json(201, &views::started(journey));
    response.headers.push((
        "location".into(),
        format!("/journeys/{}", journey.instance_id),
    ));
    response
}

/// `GET /journeys/{id}` (`?filter_key=K`, repeatable): the journey's state.
pub fn state<E: Engine>(call: &mut Call<'_, E>, id: &str) -> Result<Response, Problem> {
    let filter_keys = call.request.query_values("filter_key");
    let state = call.session()?.fetch_journey_state(id, &filter_keys)?;
    Ok(json(200, &views::state(&state)))
}

/// `DELETE /journeys/{id}`: deletes the journey's state.
pub fn delete<E: Engine>(call: &mut Call<'_, E>, id: &str) -> Result<Response, Problem> {
    call.session()?.delete_instance(id)?;
    Ok(empty(204))
}
