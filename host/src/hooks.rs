//! The `wasi:http` hooks that put the egress policy between the component and
//! the network.

use std::sync::Arc;

use tokio::sync::Semaphore;
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi_http::p2::bindings::http::outgoing_handler;
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks, WasiHttpView};

use crate::policy::EgressPolicy;
use crate::pool::{self, ConnectionPool, PoolKey};

/// The most the component may write into a request body in one call, and
/// so the most one unsent body holds in the host (wasmtime's default is
/// 1 MiB).
const REQUEST_CHUNK_BYTES: usize = 64 << 10;

/// Checks every outgoing request against the policy, clamps its timeouts and
/// sends it through the runtime's connection pool; a refused request fails
/// with `HTTP-request-denied` before any byte leaves the host. At most
/// `concurrent` requests of one client are open at once: one more fails with
/// `connection-limit-reached` without a connection.
pub(crate) struct PolicyHooks {
    policy: Arc<EgressPolicy>,
    pool: Arc<ConnectionPool>,
    open_requests: Arc<Semaphore>,
    concurrent: usize,
}

impl PolicyHooks {
    pub(crate) fn new(
        policy: Arc<EgressPolicy>,
        pool: Arc<ConnectionPool>,
        concurrent: usize,
    ) -> Self {
        Self {
            policy,
            pool,
            open_requests: Arc::new(Semaphore::new(concurrent)),
            concurrent,
        }
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
        // Taken now, not when the spawned exchange first runs, so that a
        // guest issuing requests in a loop is refused at once.
        let Ok(open) = Arc::clone(&self.open_requests).try_acquire_owned() else {
            tracing::warn!(
                limit = self.concurrent,
                "request refused: the component has as many requests open as it may"
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::ConnectionLimitReached) });
        };
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
            let key = PoolKey::of(&policy);
            let total = policy.timeout_bounds().total;
            let response = pool
                .send(key, request, policy.clamp(options), total, open)
                .await?;
            // The pool drives its connections itself; there is no per-request
            // I/O task to hand back.
            let io: Box<dyn Future<Output = _> + Send> = Box::new(async { Ok(()) });
            Ok((response, io))
        })
    }

    fn p2_outgoing_body_chunk_size(&mut self) -> usize {
        REQUEST_CHUNK_BYTES
    }

    fn p2_error_from_hyper(&mut self, err: &hyper::Error) -> ErrorCode {
        tracing::debug!(error = %err, "HTTP exchange failed");
        pool::hyper_error_code(err)
    }
}

/// The `wasi:http/outgoing-handler` this host provides: any 0.2 import
/// resolves to it.
const OUTGOING_HANDLER: &str = "wasi:http/outgoing-handler@0.2.12";

/// Adds `wasi:http/outgoing-handler`: wasmtime's `handle`, which then drops
/// the `request-options` the guest handed over. wasmtime 48 reads them but
/// leaves them in the resource table, one entry per request, so that a
/// client making requests would fill its bounded table and trap.
pub(crate) fn add_outgoing_handler<T: WasiHttpView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    type Arguments = (
        Resource<HostOutgoingRequest>,
        Option<Resource<RequestOptions>>,
    );
    type Answer = (Result<Resource<HostFutureIncomingResponse>, ErrorCode>,);
    linker.instance(OUTGOING_HANDLER)?.func_wrap(
        "handle",
        |mut store: StoreContextMut<'_, T>,
         (request, options): Arguments|
         -> wasmtime::Result<Answer> {
            let mut http = store.data_mut().http();
            let handed_over = options
                .as_ref()
                .map(|options| Resource::<RequestOptions>::new_own(options.rep()));
            let future = outgoing_handler::Host::handle(&mut http, request, options);
            if let Some(options) = handed_over {
                http.table.delete(options)?;
            }
            // An error code is the guest's to handle; anything else traps.
            let answer = match future {
                Ok(future) => Ok(future),
                Err(error) => Err(error.downcast()?),
            };
            Ok((answer,))
        },
    )
}
