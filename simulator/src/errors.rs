//! Error answers: GBG's `errors[]` envelope for the journey API and OAuth-style bodies
//! for the token endpoint. The codes the simulator uses are listed in its README.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::faults::ServerErrorStatus;

/// Where in the request a problem is (GBG's `location`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Location {
    /// The JSON body.
    Body,
    /// The `Authorization` header.
    Authorization,
    /// The URL path or method.
    Path,
    /// The service itself.
    Service,
}

/// One entry of GBG's `errors[]` envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Numeric text, e.g. `4002`.
    pub code: &'static str,
    /// Machine name, e.g. `MISSING_FIELD`.
    pub name: &'static str,
    /// Where the problem is.
    pub location: Location,
    /// What went wrong.
    pub problem: String,
    /// What to do.
    pub action: String,
}

/// A journey API error answer: a status and GBG's `errors[]` envelope.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    problem: Problem,
    retry_after_s: Option<u64>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &'static str,
        name: &'static str,
        location: Location,
        problem: impl Into<String>,
        action: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            problem: Problem {
                code,
                name,
                location,
                problem: problem.into(),
                action: action.into(),
            },
            retry_after_s: None,
        }
    }

    /// The `problem` text.
    pub fn problem(&self) -> &str {
        &self.problem.problem
    }

    /// 400 `4002 MISSING_FIELD` (GBG uses it for every body validation failure).
    pub fn missing_field(problem: impl Into<String>, action: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "4002",
            "MISSING_FIELD",
            Location::Body,
            problem,
            action,
        )
    }

    /// 400 `4002 MISSING_FIELD` for a body that breaks the API schema.
    pub fn invalid_field(problem: impl Into<String>) -> Self {
        Self::missing_field(
            problem,
            "Correct the request body so that it matches the API schema, then retry",
        )
    }

    /// 400 `4000 INVALID_JSON`: the body is not a JSON object.
    pub fn invalid_json(problem: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "4000",
            "INVALID_JSON",
            Location::Body,
            problem,
            "Send a JSON object with Content-Type: application/json",
        )
    }

    /// 400 `4000 INVALID_JSON`: the body could not be read.
    pub fn unreadable_body() -> Self {
        Self::invalid_json("The request body could not be read")
    }

    /// 400 `4004 INTERACTION_MISMATCH`: the `interactionId` is not the current one.
    pub fn interaction_mismatch(sent: &str, current: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "4004",
            "INTERACTION_MISMATCH",
            Location::Body,
            format!("interactionId '{sent}' is not the interaction the journey is waiting for"),
            format!("Fetch the interaction again and submit to '{current}'"),
        )
    }

    /// 400 `4005 UNKNOWN_DOMAIN_ELEMENT`: a participant the interaction does not collect.
    pub fn unknown_domain_element(element: &str, interaction: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "4005",
            "UNKNOWN_DOMAIN_ELEMENT",
            Location::Body,
            format!("Domain element '{element}' is not collected by interaction '{interaction}'"),
            "Name only domain elements from the interaction's collects or outstanding lists",
        )
    }

    /// 401 `4010 UNAUTHORIZED`.
    pub fn unauthorized(problem: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "4010",
            "UNAUTHORIZED",
            Location::Authorization,
            problem,
            "Request a new access token from the token endpoint and send it as 'Authorization: Bearer <token>'",
        )
    }

    /// 403 `4030 FORBIDDEN`: a valid token that may not do this.
    pub fn forbidden(problem: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "4030",
            "FORBIDDEN",
            Location::Authorization,
            problem,
            "Use a token issued for this operation and journey instance",
        )
    }

    /// 404 `4040 NOT_FOUND` for an unknown journey resource.
    pub fn resource_not_found(resource_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "4040",
            "NOT_FOUND",
            Location::Body,
            format!("Journey resource '{resource_id}' was not found"),
            "Check the resource id and version on the GO Dashboard (or use @latest)",
        )
    }

    /// 404 `4040 NOT_FOUND` for an unknown, deleted or expired instance.
    pub fn instance_not_found(instance_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "4040",
            "NOT_FOUND",
            Location::Body,
            format!("Journey instance '{instance_id}' was not found"),
            "Check the instanceId; instances that were deleted or expired cannot be used",
        )
    }

    /// 404 `4040 NOT_FOUND` for a path the API does not have.
    pub fn route_not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "4040",
            "NOT_FOUND",
            Location::Path,
            format!("No endpoint at '{path}'"),
            "Check the API base URL and the endpoint path",
        )
    }

    /// 405 `4050 METHOD_NOT_ALLOWED`.
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "4050",
            "METHOD_NOT_ALLOWED",
            Location::Path,
            format!("Method {method} is not supported by '{path}'"),
            "Use the method the API reference documents (POST for journey endpoints)",
        )
    }

    /// 409 `4090 JOURNEY_NOT_ACTIVE`: the journey has ended or is paused.
    pub fn journey_not_active(instance_id: &str, status: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "4090",
            "JOURNEY_NOT_ACTIVE",
            Location::Body,
            format!("Journey instance '{instance_id}' is {status} and accepts no more data"),
            "Fetch the journey state for its results",
        )
    }

    /// 409 `4091 INTERACTION_NOT_READY`: no interaction is waiting (modules running, or
    /// the journey waits for its hosted page).
    pub fn interaction_not_ready(instance_id: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "4091",
            "INTERACTION_NOT_READY",
            Location::Body,
            format!("Journey instance '{instance_id}' is not waiting for interaction data"),
            "Fetch the interaction until an interactionId appears, then submit",
        )
    }

    /// 413 `4130 PAYLOAD_TOO_LARGE`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "4130",
            "PAYLOAD_TOO_LARGE",
            Location::Body,
            format!("The request body is larger than {limit} bytes"),
            "Send a smaller body",
        )
    }

    /// 415 `4150 UNSUPPORTED_MEDIA_TYPE`.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "4150",
            "UNSUPPORTED_MEDIA_TYPE",
            Location::Body,
            "The request body must be JSON",
            "Send the body with Content-Type: application/json",
        )
    }

    /// 429 `4290 TOO_MANY_REQUESTS`, with `Retry-After` when given.
    pub fn too_many_requests(retry_after_s: Option<u64>) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "4290",
            "TOO_MANY_REQUESTS",
            Location::Service,
            "Too many requests",
            "Wait before retrying (see Retry-After when present)",
        );
        error.retry_after_s = retry_after_s;
        error
    }

    /// An injected 5xx: `5000 INTERNAL_ERROR`, `5020 BAD_GATEWAY`,
    /// `5030 SERVICE_UNAVAILABLE` or `5040 GATEWAY_TIMEOUT`.
    pub fn server_error(status: ServerErrorStatus) -> Self {
        let (code, name, problem) = match status {
            ServerErrorStatus::InternalServerError => {
                ("5000", "INTERNAL_ERROR", "Internal server error")
            }
            ServerErrorStatus::BadGateway => (
                "5020",
                "BAD_GATEWAY",
                "An upstream service gave an invalid answer",
            ),
            ServerErrorStatus::ServiceUnavailable => (
                "5030",
                "SERVICE_UNAVAILABLE",
                "The service is temporarily unavailable",
            ),
            ServerErrorStatus::GatewayTimeout => (
                "5040",
                "GATEWAY_TIMEOUT",
                "An upstream service did not answer in time",
            ),
        };
        let status =
            StatusCode::from_u16(status.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(
            status,
            code,
            name,
            Location::Service,
            problem,
            "Retry after a few moments; contact GBG support with the X-Request-ID if it persists",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "errors": [self.problem] }))).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after_s {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A token endpoint error answer: `{"error", "error_description"}` (RFC 6749 §5.2).
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    retry_after_s: Option<u64>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            retry_after_s: None,
        }
    }

    /// 400 `invalid_request`: a malformed request.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 400 `unsupported_grant_type`.
    pub fn unsupported_grant_type(grant_type: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!(
                "Grant type '{grant_type}' is not supported; use client_credentials or password"
            ),
        )
    }

    /// 400 `invalid_scope`.
    pub fn invalid_scope() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "The client_credentials grant requires the scope gbg.token",
        )
    }

    /// 401 `invalid_client`: unknown client or wrong secret.
    pub fn invalid_client() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        )
    }

    /// 401 `invalid_grant`: wrong username or password.
    pub fn invalid_grant() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
            "Invalid user credentials",
        )
    }

    /// 405 `invalid_request` for a method other than POST.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "The token endpoint accepts POST only",
        )
    }

    /// 429 `temporarily_unavailable`, with `Retry-After` when given.
    pub fn too_many_requests(retry_after_s: Option<u64>) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            "Too many requests",
        );
        error.retry_after_s = retry_after_s;
        error
    }

    /// An injected 5xx: `server_error` (500) or `temporarily_unavailable`.
    pub fn server_error(status: ServerErrorStatus) -> Self {
        let code = StatusCode::from_u16(status.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match status {
            ServerErrorStatus::InternalServerError => {
                Self::new(code, "server_error", "Internal server error")
            }
            _ => Self::new(
                code,
                "temporarily_unavailable",
                "The service is temporarily unavailable",
            ),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = self.retry_after_s {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
