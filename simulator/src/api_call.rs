//! The journey API's request extractor: [`ApiCall`] checks a call's bearer token and JSON
//! body before the endpoint's handler runs, so each handler starts from a valid call.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use serde_json::Value;

use crate::auth::{Access, Bearer, authorize};
use crate::body::json_object;
use crate::errors::ApiError;
use crate::schema::{RequestBody, check};
use crate::state::AppState;

/// One journey API endpoint: the tokens it accepts and the body it takes.
pub trait Endpoint {
    /// The schema its body must satisfy.
    const BODY: RequestBody;

    /// The tokens it accepts under `state`'s configuration: customer access tokens
    /// unless it says otherwise.
    fn access(_state: &AppState) -> Access {
        Access::Customer
    }

    /// Checks made before the schema's, for the problems GBG words in its own way.
    fn precheck(_body: &Value) -> Result<(), ApiError> {
        Ok(())
    }
}

/// A call to endpoint `E` that passed, in this order: the bearer token check (401/403),
/// the JSON object check (415/400), `E`'s own prechecks, then `E`'s schema (400).
pub struct ApiCall<E> {
    /// The accepted bearer token.
    pub bearer: Bearer,
    /// The body: a JSON object valid for `E`.
    pub body: Value,
    endpoint: PhantomData<E>,
}

impl<E> ApiCall<E> {
    /// The body's `instanceId` (empty when the body has none).
    pub fn instance_id(&self) -> &str {
        self.body["instanceId"].as_str().unwrap_or_default()
    }
}

impl<E: Endpoint> FromRequest<Arc<AppState>> for ApiCall<E> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bearer = authorize(&state.tokens, &parts.headers, E::access(state))?;
        // The front door has read the body already, within the body cap.
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|_| ApiError::unreadable_body())?;
        let body = json_object(&parts.headers, &bytes)?;
        E::precheck(&body)?;
        check(E::BODY, &body, "")?;
        Ok(ApiCall {
            bearer,
            body,
            endpoint: PhantomData,
        })
    }
}
