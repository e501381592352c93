//! The OAuth token endpoint: form-encoded `client_credentials` (scope `gbg.token`) and
//! `password` grants, answering `{access_token, token_type, expires_in}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::body::is_form;
use crate::config::SCOPE;
use crate::errors::OAuthError;
use crate::ids;
use crate::state::AppState;
use crate::tokens::TokenKind;

/// `POST` handler of both token paths.
pub async fn issue(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    if !is_form(&headers) {
        return Err(OAuthError::invalid_request(
            "The token request must be form-encoded (Content-Type: application/x-www-form-urlencoded)",
        ));
    }
    let form = parse_form(&body)?;
    let field = |name: &str| {
        form.get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };
    let required = |name: &str| {
        field(name).ok_or_else(|| OAuthError::invalid_request(format!("Missing parameter: {name}")))
    };

    let grant_type = required("grant_type")?;
    if grant_type != "client_credentials" && grant_type != "password" {
        return Err(OAuthError::unsupported_grant_type(grant_type));
    }
    let client_id = required("client_id")?;
    let client_secret = required("client_secret")?;
    if grant_type == "client_credentials" {
        let scope = required("scope")?;
        if !scope.split_whitespace().any(|s| s == SCOPE) {
            return Err(OAuthError::invalid_scope());
        }
    }
    let user = if grant_type == "password" {
        Some((required("username")?, required("password")?))
    } else {
        None
    };
    let expected = &state.credentials;
    if client_id != expected.client_id || client_secret != expected.client_secret {
        return Err(OAuthError::invalid_client());
    }
    if let Some((username, password)) = user
        && (username != expected.username || password != expected.password)
    {
        return Err(OAuthError::invalid_grant());
    }

    let lifetime = state.faults.token_lifetime();
    let token = ids::opaque_token();
    state.tokens.remember(&token, TokenKind::Customer, lifetime);
    let body = json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
    });
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The form fields; a repeated field is malformed (RFC 6749 §3.2).
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| OAuthError::invalid_request("The form body could not be parsed"))?;
    let mut form = HashMap::new();
    for (name, value) in pairs {
        if form.contains_key(&name) {
            return Err(OAuthError::invalid_request(format!(
                "Parameter {name} is repeated"
            )));
        }
        form.insert(name, value);
    }
    Ok(form)
}
