//! The `wasi:http` hooks that put the egress policy between the component and
//! the network.

use std::io;
use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime_wasi_http::p2::bindings::http::types::{DnsErrorPayload, ErrorCode};
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

use crate::policy::EgressPolicy;

/// Checks every outgoing request against the policy, clamps its timeouts and
/// sends it; a refused request fails with `HTTP-request-denied` before any
/// byte leaves the host.
pub(crate) struct PolicyHooks {
    policy: Arc<EgressPolicy>,
}

impl PolicyHooks {
    pub(crate) fn new(policy: Arc<EgressPolicy>) -> Self {
        Self { policy }
    }
}

type SendResult = wasmtime_wasi_http::Result<(
    http::Response<WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

impl WasiHttpHooks for PolicyHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _body_done: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let policy = Arc::clone(&self.policy);
        Box::new(async move {
            if let Err(denial) = policy.check(request.uri()) {
                tracing::warn!(
                    authority = %denial.authority,
                    reason = denial.reason,
                    "egress denied"
                );
                return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
            }
            tracing::debug!(
                method = %request.method(),
                authority = request.uri().authority().map(|a| a.as_str()).unwrap_or(""),
                path = request.uri().path(),
                "outgoing request"
            );
            let options = policy.clamp(options);
            let (response, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }

    fn p2_error_from_connect(&mut self, err: &io::Error) -> ErrorCode {
        tracing::debug!(error = %err, "connect failed");
        connect_error_code(err)
    }

    fn p2_error_from_hyper(&mut self, err: &hyper::Error) -> ErrorCode {
        tracing::debug!(error = %err, "HTTP exchange failed");
        hyper_error_code(err)
    }
}

/// Tells a connection cut short and a timeout apart from a malformed answer;
/// wasmtime's default reports every hyper error as `HTTP-protocol-error`, so
/// a dropped connection would look like a broken server and not be retried.
fn hyper_error_code(err: &hyper::Error) -> ErrorCode {
    if err.is_timeout() {
        return ErrorCode::HttpResponseTimeout;
    }
    if err.is_incomplete_message() || err.is_canceled() || err.is_closed() {
        return ErrorCode::ConnectionTerminated;
    }
    let cause = std::error::Error::source(err).and_then(|c| c.downcast_ref::<io::Error>());
    match cause.map(io::Error::kind) {
        Some(
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof,
        ) => ErrorCode::ConnectionTerminated,
        Some(io::ErrorKind::TimedOut) => ErrorCode::ConnectionReadTimeout,
        _ => ErrorCode::HttpProtocolError,
    }
}

/// Tells a failed name lookup and a timeout apart from a refusal; wasmtime's
/// default reports every connect error as `connection-refused`.
fn connect_error_code(err: &io::Error) -> ErrorCode {
    match err.kind() {
        io::ErrorKind::TimedOut => ErrorCode::ConnectionTimeout,
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            ErrorCode::ConnectionTerminated
        }
        io::ErrorKind::ConnectionRefused => ErrorCode::ConnectionRefused,
        _ if err.to_string().contains("lookup") => ErrorCode::DnsError(DnsErrorPayload {
            rcode: Some(err.to_string()),
            info_code: None,
        }),
        _ => ErrorCode::ConnectionRefused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_connect_errors() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(matches!(
            connect_error_code(&refused),
            ErrorCode::ConnectionRefused
        ));
        let lookup =
            io::Error::other("failed to lookup address information: Name or service not known");
        assert!(matches!(
            connect_error_code(&lookup),
            ErrorCode::DnsError(_)
        ));
        let slow = io::Error::from(io::ErrorKind::TimedOut);
        assert!(matches!(
            connect_error_code(&slow),
            ErrorCode::ConnectionTimeout
        ));
    }
}
