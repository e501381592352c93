//! Outgoing HTTP connections, shared by every client of a runtime.
//!
//! wasmtime's default `send_request` opens a new TCP (and TLS) connection for
//! every request. The pool keeps connections alive and reuses them per
//! authority, with a bounded number of idle connections each, while the
//! egress policy and the timeout clamps still apply to every request.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// How connections are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionOptions {
    /// Idle connections kept per authority; 0 opens a connection per request.
    pub max_idle_per_authority: usize,
    /// How long an idle connection is kept.
    pub idle_timeout: Duration,
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        Self {
            max_idle_per_authority: 32,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// A keep-alive HTTP/1.1 client over plain TCP or TLS (webpki roots).
pub(crate) struct ConnectionPool {
    client: Client<HttpsConnector<HttpConnector>, WasiBody>,
}

impl ConnectionPool {
    /// A pool whose new connections time out after `connect_timeout`.
    pub(crate) fn new(options: ConnectionOptions, connect_timeout: Duration) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(connect_timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(options.max_idle_per_authority)
            .pool_idle_timeout(options.idle_timeout)
            .build(connector);
        Self { client }
    }

    /// Sends `request` (absolute URI) under the clamped `options`: the
    /// response head must arrive within the first-byte timeout and each body
    /// chunk within the between-bytes timeout.
    pub(crate) async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: RequestOptions,
    ) -> Result<http::Response<WasiBody>, Error> {
        let first_byte = options.first_byte_timeout.unwrap_or(Duration::MAX);
        let between_bytes = options.between_bytes_timeout.unwrap_or(Duration::MAX);
        let response = tokio::time::timeout(first_byte, self.client.request(request))
            .await
            .map_err(|_elapsed| Error::ConnectionReadTimeout)?
            .map_err(|e| client_error(&e))?;
        Ok(response.map(|incoming| {
            TimedBody {
                incoming,
                timeout: between_bytes,
                deadline: None,
            }
            .boxed_unsync()
        }))
    }
}

/// The `wasi:http` error for a failed exchange, from the cause hyper-util
/// reports (its error wraps the connector's or hyper's). Hyper's errors are
/// classified by [`hyper_error_code`], as they are when a body read fails.
fn client_error(error: &hyper_util::client::legacy::Error) -> Error {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return if error.is_connect() {
                connect_error(io)
            } else {
                Error::ConnectionTerminated
            };
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            return hyper_error_code(hyper).into();
        }
        source = cause.source();
    }
    if error.is_connect() {
        Error::ConnectionRefused
    } else {
        Error::HttpProtocolError
    }
}

/// Tells a connection cut short and a timeout apart from a malformed answer;
/// wasmtime's default reports every hyper error as `HTTP-protocol-error`, so
/// a dropped connection would look like a broken server and not be retried.
pub(crate) fn hyper_error_code(err: &hyper::Error) -> ErrorCode {
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

/// Tells a failed name lookup, a timeout and a reset apart from a refusal.
pub(crate) fn connect_error(err: &io::Error) -> Error {
    match err.kind() {
        io::ErrorKind::TimedOut => Error::ConnectionTimeout,
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            Error::ConnectionTerminated
        }
        io::ErrorKind::ConnectionRefused => Error::ConnectionRefused,
        _ if err.to_string().contains("lookup") || err.to_string().contains("dns") => {
            Error::DnsError {
                rcode: Some(err.to_string()),
                info_code: None,
            }
        }
        _ => Error::ConnectionRefused,
    }
}

/// A response body whose chunks must each arrive within `timeout`.
struct TimedBody {
    incoming: hyper::body::Incoming,
    timeout: Duration,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.deadline = None;
                // Hyper's errors are classified by the hooks'
                // `p2_error_from_hyper` when the guest reads them.
                Poll::Ready(frame.map(|frame| frame.map_err(Error::from)))
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let deadline = this
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                ready!(deadline.as_mut().poll(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_connect_errors() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(matches!(connect_error(&refused), Error::ConnectionRefused));
        let lookup =
            io::Error::other("failed to lookup address information: Name or service not known");
        assert!(matches!(connect_error(&lookup), Error::DnsError { .. }));
        let slow = io::Error::from(io::ErrorKind::TimedOut);
        assert!(matches!(connect_error(&slow), Error::ConnectionTimeout));
    }
}
