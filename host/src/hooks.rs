//! The `wasi:http` hooks that put the egress policy between the component and
//! the network.

use std::sync::Arc;

use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

use crate::policy::EgressPolicy;
use crate::pool::{self, ConnectionPool};

/// Checks every outgoing request against the policy, clamps its timeouts and
/// sends it through the runtime's connection pool; a refused request fails
/// with `HTTP-request-denied` before any byte leaves the host.
pub(crate) struct PolicyHooks {
    policy: Arc<EgressPolicy>,
    pool: Arc<ConnectionPool>,
}

impl PolicyHooks {
    pub(crate) fn new(policy: Arc<EgressPolicy>, pool: Arc<ConnectionPool>) -> Self {
        Self { policy, pool }
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
        let pool = Arc::clone(&self.pool);
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
            let response = pool.send(request, policy.clamp(options)).await?;
            // The pool drives its connections itself; there is no per-request
            // I/O task to hand back.
            let io: Box<dyn Future<Output = _> + Send> = Box::new(async { Ok(()) });
            Ok((response, io))
        })
    }

    fn p2_error_from_hyper(&mut self, err: &hyper::Error) -> ErrorCode {
        tracing::debug!(error = %err, "HTTP exchange failed");
        pool::hyper_error_code(err)
    }
}
