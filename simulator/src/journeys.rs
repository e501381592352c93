//! Journey lifecycle endpoints: `journey/start`, `journey/state/fetch`,
//! `journey/state/delete` and `journey/health`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::auth::{Access, authorize};
use crate::body::json_object;
use crate::errors::ApiError;
use crate::instances::{Delivery, Instance};
use crate::schema::{RequestBody, check};
use crate::state::AppState;
use crate::{paths, state_document};

/// `GET journey/health`: `{"message":"OK"}`, no token needed.
pub async fn health() -> Json<Value> {
    Json(json!({"message": "OK"}))
}

/// `POST journey/start`: 201 `{instanceId, instanceUrl, status, message}`.
pub async fn start(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state.tokens, &headers, Access::Customer)?;
    let body = json_object(&headers, &body)?;
    if body.get("resourceId").is_none() {
        return Err(ApiError::missing_field(
            "Either resourceId or deliveryId is required",
            "Please provide resourceId (e.g., 'my-delivery@latest') or deliveryId",
        ));
    }
    check(RequestBody::Start, &body, "")?;
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
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    authorize(&state.tokens, &headers, Access::Customer)?;
    let body = json_object(&headers, &body)?;
    check(RequestBody::StateFetch, &body, "")?;
    let id = body["instanceId"].as_str().unwrap_or_default();
    state
        .with_instance(id, |instance| {
            instance.observe();
            state_document::render(instance)
        })
        .map(Json)
}

/// `POST journey/state/delete`: forgets the instance; 200 `{instanceId}`.
pub async fn delete_state(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    authorize(&state.tokens, &headers, Access::Customer)?;
    let body = json_object(&headers, &body)?;
    check(RequestBody::StateDelete, &body, "")?;
    let id = body["instanceId"].as_str().unwrap_or_default();
    state.remove_instance(id)?;
    Ok(Json(json!({"instanceId": id})))
}
