//! Bearer-token checks for the journey API.

use axum::http::{HeaderMap, header};

use crate::config::InteractionAuth;
use crate::errors::ApiError;
use crate::tokens::{Lookup, TokenKind, TokenStore};

/// Which tokens an endpoint accepts.
#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// A customer access token (start, state, device/start).
    Customer,
    /// The tokens the configuration allows for interaction calls.
    Interaction(InteractionAuth),
    /// A connect token (device/connect).
    Connect,
}

/// Checks the `Authorization: Bearer` header: 401 when missing, malformed, unknown or
/// expired; 403 when the token is of a kind `access` does not accept.
pub fn authorize(
    tokens: &TokenStore,
    headers: &HeaderMap,
    access: Access,
) -> Result<Bearer, ApiError> {
    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("The Authorization header with a bearer token is missing")
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|text| text.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized("The Authorization header must be 'Bearer <token>'")
        })?;
    let kind = match tokens.lookup(token) {
        Lookup::Valid(kind) => kind,
        Lookup::Expired => return Err(ApiError::unauthorized("The bearer token has expired")),
        Lookup::Unknown => return Err(ApiError::unauthorized("The bearer token is not valid")),
    };
    let accepted = match (access, &kind) {
        (Access::Customer, TokenKind::Customer) | (Access::Connect, TokenKind::Connect { .. }) => {
            true
        }
        (Access::Interaction(allowed), TokenKind::Customer) => allowed != InteractionAuth::EndUser,
        (Access::Interaction(allowed), TokenKind::EndUser { .. }) => {
            allowed != InteractionAuth::Customer
        }
        _ => false,
    };
    if !accepted {
        return Err(ApiError::forbidden(match access {
            Access::Customer => {
                "This endpoint needs a customer access token from the token endpoint"
            }
            Access::Interaction(InteractionAuth::Customer) => {
                "Interaction calls need a customer access token"
            }
            Access::Interaction(InteractionAuth::EndUser) => {
                "Interaction calls need an end-user token from journey/device/connect"
            }
            Access::Interaction(InteractionAuth::Either) => {
                "Interaction calls need a customer access token or an end-user token"
            }
            Access::Connect => {
                "journey/device/connect needs the connect token from journey/device/start"
            }
        }));
    }
    Ok(Bearer {
        kind,
        token: token.to_owned(),
    })
}

/// An accepted bearer token (no `Debug`: it holds the token).
pub struct Bearer {
    /// What it is.
    pub kind: TokenKind,
    /// The token itself (never logged).
    pub token: String,
}

impl Bearer {
    /// 403 unless the token may act on `instance_id` (customer tokens may act on any).
    pub fn check_instance(&self, instance_id: &str) -> Result<(), ApiError> {
        match &self.kind {
            TokenKind::Customer => Ok(()),
            TokenKind::Connect { instance_id: bound }
            | TokenKind::EndUser { instance_id: bound } => {
                if bound == instance_id {
                    Ok(())
                } else {
                    Err(ApiError::forbidden(
                        "The token was issued for another journey instance",
                    ))
                }
            }
        }
    }
}
