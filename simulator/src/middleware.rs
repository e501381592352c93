//! The front door every request passes: request id, tracing span, request log, body
//! limit and the fault knobs.

use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use tracing::Instrument;

use crate::body::MAX_BODY_BYTES;
use crate::errors::{ApiError, OAuthError};
use crate::faults::FaultAction;
use crate::ids;
use crate::paths;
use crate::request_log::{self, LoggedRequest};
use crate::state::AppState;

/// The response header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// The largest answer body the request log records, in bytes.
const MAX_RECORDED_ANSWER: u64 = 1024 * 1024;

/// Marks a response whose connection must be closed without sending it.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("connection dropped by a fault knob")]
pub struct DropConnection;

/// Gives the request an id (answered as `X-Request-ID`) and a tracing span, records it
/// in the request log, then applies the fault knobs or passes it on.
pub async fn front_door(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = ids::request_id();
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
        status = tracing::field::Empty,
    );
    async move {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        let read = Limited::new(body, MAX_BODY_BYTES)
            .collect()
            .await
            .map(|collected| collected.to_bytes());
        let bytes = read.as_ref().cloned().unwrap_or_default();
        state.log.push(LoggedRequest {
            request_id: request_id.clone(),
            method: parts.method.to_string(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_owned),
            headers: request_log::headers(&parts.headers),
            body: request_log::body(&parts.headers, &bytes),
            status: None,
            response: Value::Null,
        });
        let response = match read {
            Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
                ApiError::payload_too_large(MAX_BODY_BYTES).into_response()
            }
            Err(_) => ApiError::unreadable_body().into_response(),
            Ok(_) => {
                let decision = state.faults.decide(&path);
                if !decision.latency.is_zero() {
                    tokio::time::sleep(decision.latency).await;
                }
                let is_token = paths::is_token_path(&path);
                match decision.action {
                    Some(FaultAction::Drop) => {
                        let mut response = Response::new(Body::empty());
                        response.extensions_mut().insert(DropConnection);
                        response
                    }
                    Some(FaultAction::RateLimit(retry)) if is_token => {
                        OAuthError::too_many_requests(retry).into_response()
                    }
                    Some(FaultAction::RateLimit(retry)) => {
                        ApiError::too_many_requests(retry).into_response()
                    }
                    Some(FaultAction::ServerError(status)) if is_token => {
                        OAuthError::server_error(status).into_response()
                    }
                    Some(FaultAction::ServerError(status)) => {
                        ApiError::server_error(status).into_response()
                    }
                    None => {
                        next.run(Request::from_parts(parts, Body::from(bytes)))
                            .await
                    }
                }
            }
        };
        if response.extensions().get::<DropConnection>().is_some() {
            state.log.answered(&request_id, None, Value::Null);
            tracing::warn!("connection dropped by a fault knob");
            return response;
        }
        let status = response.status().as_u16();
        let (mut response, recorded) = record_answer(response).await;
        state.log.answered(&request_id, Some(status), recorded);
        tracing::Span::current().record("status", status);
        tracing::info!("answered");
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }
    .instrument(span)
    .await
}

/// The answer's body as the request log records it, and the answer itself, rebuilt from
/// the bytes read. Only bodies of a known length up to [`MAX_RECORDED_ANSWER`] are read;
/// others (a stream) pass untouched and are recorded as `null`.
async fn record_answer(response: Response) -> (Response, Value) {
    let small = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|length| length <= MAX_RECORDED_ANSWER);
    if !small {
        return (response, Value::Null);
    }
    let (parts, body) = response.into_parts();
    match body.collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            let recorded = request_log::body(&parts.headers, &bytes);
            (Response::from_parts(parts, Body::from(bytes)), recorded)
        }
        Err(error) => {
            tracing::warn!(%error, "reading an answer's body failed");
            (Response::from_parts(parts, Body::empty()), Value::Null)
        }
    }
}
