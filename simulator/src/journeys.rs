//! Journey lifecycle endpoints: `journey/start`, `journey/state/fetch`,
//! `journey/state/delete` and `journey/health`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_call::{ApiCall, Endpoint};
use crate::errors::ApiError;
use crate::instances::{Delivery, Instance};
use crate::schema::RequestBody;
use crate::state::AppState;
use crate::{paths, state_document};

/// `journey/start`.
pub struct Start;

impl Endpoint for Start {
    const BODY: RequestBody = RequestBody::Start;

    fn precheck(body: &Value) -> Result<(), ApiError> {
        if body.get("resourceId").is_none() {
            return Err(ApiError::missing_field(
                "Either resourceId or deliveryId is required",
                "Please provide resourceId (e.g., 'my-delivery@latest') or deliveryId",
            ));
        }
        Ok(())
    }
}

/// `journey/state/fetch`.
pub struct StateFetch;

impl Endpoint for StateFetch {
    const BODY: RequestBody = RequestBody::StateFetch;
}

/// `journey/state/delete`.
pub struct StateDelete;

impl Endpoint for StateDelete {
    const BODY: RequestBody = RequestBody::StateDelete;
}

/// `GET journey/health`: `{"message":"OK"}`, no token needed.
pub async fn health() -> Json<Value> {
    Json(json!({"message": "OK"}))
}

/// `POST journey/start`: 201 `{instanceId, instanceUrl, status, message}`.
pub async fn start(
    State(state): State<Arc<AppState>>,
    ApiCall { body, .. }: ApiCall<Start>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let resource_id = body["resourceId"].as_str().unwrap_or_default();
    let journey = state
        .registry
        .resolve(resource_id)
        .ok_or_else(|| ApiError::resource_not_found(resource_id))?;
    let delivery = match body["context"]["config"]["delivery"].as_str() {
        Some("api") => Delivery::Api,
        _ => Delivery::Page,
    };
    let subject = body["context"]
        .get("subject")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let instance = Instance::new(journey, delivery, subject);
    let id = instance.id.clone();
    tracing::info!(instance_id = %id, journey = %instance.journey.name, "journey started");
    state.instances.insert(instance);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "instanceId": id,
            "instanceUrl": paths::hosted_page(&id),
            "status": "started",
            "message": format!("Journey {id} started successfully"),
        })),
    ))
}

/// `POST journey/state/fetch`: the state document; counts as one fetch.
pub async fn fetch_state(
    State(state): State<Arc<AppState>>,
    call: ApiCall<StateFetch>,
) -> Result<Json<Value>, ApiError> {
    state
        .with_instance(call.instance_id(), |instance| {
            instance.observe();
            state_document::render(instance)
        })
        .map(Json)
}

/// `POST journey/state/delete`: forgets the instance; 200 `{instanceId}`.
pub async fn delete_state(
    State(state): State<Arc<AppState>>,
    call: ApiCall<StateDelete>,
) -> Result<Json<Value>, ApiError> {
    let id = call.instance_id();
    state.remove_instance(id)?;
    Ok(Json(json!({"instanceId": id})))
}
