//! The probes: `GET /health` (liveness) and `GET /ready` (readiness).

use serde_json::json;

use crate::answers::{Response, json};
use crate::call::Call;
use crate::engine::Engine;
use crate::problem::Problem;

/// `GET /health`: the service runs. No key, no GBG GO call.
pub fn health() -> Response {
    json(200, &json!({"status": "ok"}))
}

/// `GET /ready`: the settings are complete, a token can be had (from the
/// store or GBG GO) and GBG GO's health check answers.
pub fn ready<E: Engine>(call: &mut Call<'_, E>) -> Result<Response, Problem> {
    let mut session = call.session()?;
    session.prepare()?;
    let message = session.health()?;
    Ok(json(200, &json!({"ready": true, "message": message})))
}
