//! End-user device tokens: `journey/device/start` (customer token -> connect token) and
//! `journey/device/connect` (connect token -> end-user token).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::api_call::{ApiCall, Endpoint};
use crate::auth::Access;
use crate::clock::unix_millis;
use crate::errors::ApiError;
use crate::ids;
use crate::schema::RequestBody;
use crate::state::AppState;
use crate::tokens::TokenKind;

/// Lifetime of a connect token, in seconds (the OpenAPI example's 120).
pub const CONNECT_TOKEN_LIFETIME_S: u64 = 120;

/// Lifetime of an end-user token, in seconds (as observed on a live tenant).
pub const END_USER_TOKEN_LIFETIME_S: u64 = 86_399;

/// `journey/device/start`, with a customer token.
pub struct Start;

impl Endpoint for Start {
    const BODY: RequestBody = RequestBody::DeviceStart;
}

/// `journey/device/connect`, with the connect token.
pub struct Connect;

impl Endpoint for Connect {
    const BODY: RequestBody = RequestBody::DeviceConnect;

    fn access(_state: &AppState) -> Access {
        Access::Connect
    }
}

/// `POST journey/device/start`: `{connectToken, tokenType:"connect", expiresIn:120, scope}`.
pub async fn start(
    State(state): State<Arc<AppState>>,
    call: ApiCall<Start>,
) -> Result<Json<Value>, ApiError> {
    let id = call.instance_id();
    state.with_instance(id, |_| ())?;
    let token = ids::opaque_token();
    let kind = TokenKind::Connect {
        instance_id: id.to_owned(),
    };
    state
        .tokens
        .remember(&token, kind, Duration::from_secs(CONNECT_TOKEN_LIFETIME_S));
    Ok(Json(json!({
        "connectToken": token,
        "tokenType": "connect",
        "expiresIn": CONNECT_TOKEN_LIFETIME_S,
        "scope": call.body["scope"],
    })))
}

/// `POST journey/device/connect` with the connect token as bearer and in the body:
/// `{endUserToken, tokenType:"end-user", expiresIn}`.
pub async fn connect(
    State(state): State<Arc<AppState>>,
    ApiCall { bearer, body, .. }: ApiCall<Connect>,
) -> Result<Json<Value>, ApiError> {
    if body["connectToken"].as_str() != Some(bearer.token.as_str()) {
        return Err(ApiError::invalid_field(
            "connectToken: does not match the bearer token of the Authorization header",
        ));
    }
    let TokenKind::Connect { instance_id } = bearer.kind else {
        return Err(ApiError::forbidden(
            "journey/device/connect needs a connect token",
        ));
    };
    state.with_instance(&instance_id, |_| ())?;
    let issued_at_s = unix_millis(SystemTime::now()) / 1000;
    let token = ids::jwt_like_token(&instance_id, issued_at_s, END_USER_TOKEN_LIFETIME_S);
    state.tokens.remember(
        &token,
        TokenKind::EndUser { instance_id },
        Duration::from_secs(END_USER_TOKEN_LIFETIME_S),
    );
    Ok(Json(json!({
        "endUserToken": token,
        "tokenType": "end-user",
        "expiresIn": END_USER_TOKEN_LIFETIME_S,
    })))
}
