//! API journeys: `journey/interaction/fetch` and `journey/interaction/submit`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::api_call::{ApiCall, Endpoint};
use crate::auth::Access;
use crate::config::{ElementConfig, NotReadyAnswer, Outstanding};
use crate::errors::ApiError;
use crate::instances::Instance;
use crate::schema::RequestBody;
use crate::state::AppState;

/// The `code` of the in-body error answer [`NotReadyAnswer::Error`]: GBG's in-body codes
/// are HTTP statuses (the OpenAPI's example is `500`, "Internal server error"), and 404 is
/// the one the OpenAPI lists for this operation that says "nothing found".
pub const NOT_READY_CODE: u16 = 404;

/// `journey/interaction/fetch`, with the tokens the configuration allows.
pub struct Fetch;

impl Endpoint for Fetch {
    const BODY: RequestBody = RequestBody::InteractionFetch;

    fn access(state: &AppState) -> Access {
        Access::Interaction(state.interaction_auth)
    }
}

/// `journey/interaction/submit`, with the tokens the configuration allows.
pub struct Submit;

impl Endpoint for Submit {
    const BODY: RequestBody = RequestBody::InteractionSubmit;

    fn access(state: &AppState) -> Access {
        Access::Interaction(state.interaction_auth)
    }

    /// Participants need the data they name: a `context.subject`.
    fn precheck(body: &Value) -> Result<(), ApiError> {
        let has_participants = body["participants"]
            .as_array()
            .is_some_and(|p| !p.is_empty());
        if has_participants && body["context"].get("subject").is_none() {
            return Err(ApiError::missing_field(
                "context.subject: Invalid input",
                "Send the collected data in context.subject together with participants",
            ));
        }
        Ok(())
    }
}

/// `POST journey/interaction/fetch`: the interaction shown (see
/// [`Instance::shown_interaction`]), else the configured not-ready answer (while modules
/// run, while the journey waits for its hosted page, and after the end). Counts as one
/// fetch.
pub async fn fetch(
    State(state): State<Arc<AppState>>,
    call: ApiCall<Fetch>,
) -> Result<Json<Value>, ApiError> {
    let id = call.instance_id();
    call.bearer.check_instance(id)?;
    state
        .with_instance(id, |instance| {
            instance.observe();
            document(instance, state.outstanding)
                .unwrap_or_else(|| not_ready(instance, state.not_ready_answer))
        })
        .map(Json)
}

/// `POST journey/interaction/submit`: 200 `{"status":"success"}` (the rules are in
/// [`Instance::submit_interaction`] and the README).
pub async fn submit(
    State(state): State<Arc<AppState>>,
    ApiCall {
        bearer, mut body, ..
    }: ApiCall<Submit>,
) -> Result<Json<Value>, ApiError> {
    let participants = participants(&body)?;
    // Taken, not copied: it may carry document images.
    let subject = body
        .pointer_mut("/context/subject")
        .map(Value::take)
        .unwrap_or_default();
    let id = body["instanceId"].as_str().unwrap_or_default();
    let interaction_id = body["interactionId"].as_str().unwrap_or_default();
    bearer.check_instance(id)?;
    state.with_instance(id, |instance| {
        instance.submit_interaction(interaction_id, &participants, subject)
    })??;
    Ok(Json(json!({"status": "success"})))
}

/// The `domainElementId`s of `participants`; each entry must have one.
fn participants(body: &Value) -> Result<Vec<String>, ApiError> {
    let entries = body["participants"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            entry["domainElementId"]
                .as_str()
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::invalid_field(format!(
                        "participants.{index}.domainElementId: Required"
                    ))
                })
        })
        .collect()
}

/// What an interaction fetch answers when `instance` shows no interaction.
fn not_ready(instance: &Instance, answer: NotReadyAnswer) -> Value {
    let status = instance.status().as_str();
    match answer {
        NotReadyAnswer::Status => json!({
            "instanceId": instance.id,
            "journey": {"status": status},
            "processing": instance.is_processing(),
        }),
        NotReadyAnswer::Error => json!({
            "status": "error",
            "code": NOT_READY_CODE,
            "message": format!(
                "No interaction is ready for journey instance '{}' (the journey is {status})",
                instance.id
            ),
        }),
    }
}

/// The interaction document of `instance` (API notes §5.3), if it shows one.
fn document(instance: &Instance, outstanding: Outstanding) -> Option<Value> {
    let (interaction, outstanding) = instance.shown_interaction(outstanding)?;
    let gr_id = interaction.gr_id();
    let pages: Vec<Value> = interaction
        .pages
        .iter()
        .map(|page| {
            let cards: Vec<Value> = page.cards.iter().map(|card| json!({"id": card})).collect();
            json!({"id": page.id, "label": page.label, "cards": cards})
        })
        .collect();
    Some(json!({
        "instanceId": instance.id,
        "interactionId": gr_id,
        "journey": {"status": instance.status().as_str()},
        "interaction": {
            "grId": gr_id,
            "resource": {
                "id": interaction.id,
                "name": interaction.name,
                "version": "latest",
                "type": "interaction",
                "data": {"pages": pages},
            },
            "collects": requirements(&interaction.collects),
            "consumes": requirements(&interaction.consumes),
        },
        "context": {"subject": instance.subject},
        "outstanding": outstanding,
    }))
}

fn requirements(elements: &[ElementConfig]) -> Vec<Value> {
    elements
        .iter()
        .map(|element| json!({"ref": element.element, "spec": element.spec}))
        .collect()
}
