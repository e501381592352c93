//! Outgoing HTTP connections, shared by every client of a runtime.
//!
//! wasmtime's default `send_request` opens a new TCP (and TLS) connection for
//! every request. The pool keeps connections alive and reuses them per
//! authority, with a bounded number of idle connections each and a bound on
//! the exchanges in flight across all clients, while the egress policy and
//! the timeout clamps still apply to every request.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use crate::policy::{EgressPolicy, PlainHttp};

/// How connections are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionOptions {
    /// Idle connections kept per authority; 0 opens a connection per request.
    pub max_idle_per_authority: usize,
    /// How long an idle connection is kept.
    pub idle_timeout: Duration,
    /// Exchanges in flight across every client of the runtime, each on one
    /// connection; more wait for a slot within their first-byte timeout, then
    /// fail with `connection-limit-reached`. Open connections are at most
    /// this plus the idle ones.
    pub max_connections: usize,
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        Self {
            max_idle_per_authority: 32,
            idle_timeout: Duration::from_secs(60),
            max_connections: 256,
        }
    }
}

/// The most of a response the host buffers per exchange: hyper's read
/// buffer (which also bounds the response head) and one body frame.
const READ_BUFFER_BYTES: usize = 64 << 10;

/// How a client's connections are made. Connections are pooled per key, so
/// one made under a looser policy is never reused under a stricter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    /// Plain `http` only when the address actually connected to is loopback.
    loopback_only: bool,
    /// The policy's own connect timeout.
    connect_timeout: Duration,
}

impl PoolKey {
    /// The key of `policy`'s requests.
    pub(crate) fn of(policy: &EgressPolicy) -> Self {
        Self {
            loopback_only: policy.plain_http_rule() == PlainHttp::LoopbackOnly,
            connect_timeout: policy.timeout_bounds().connect,
        }
    }
}

type HttpClient = Client<HttpsConnector<PeerCheck>, WasiBody>;

/// Keep-alive HTTP/1.1 clients over plain TCP or TLS (webpki roots), one per
/// key, sharing the bound on exchanges in flight.
pub(crate) struct ConnectionPool {
    options: ConnectionOptions,
    clients: Mutex<HashMap<PoolKey, HttpClient>>,
    in_flight: Arc<Semaphore>,
}

impl ConnectionPool {
    pub(crate) fn new(options: ConnectionOptions) -> Self {
        Self {
            options,
            clients: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Semaphore::new(options.max_connections)),
        }
    }

    /// The client of `key`, made on first use. Keys come from the host's
    /// policies, never from the guest, so there are few.
    fn client(&self, key: PoolKey) -> HttpClient {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(key)
            .or_insert_with(|| {
                let mut tcp = HttpConnector::new();
                tcp.enforce_http(false);
                tcp.set_nodelay(true);
                tcp.set_connect_timeout(Some(key.connect_timeout));
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_webpki_roots()
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(PeerCheck {
                        tcp,
                        loopback_only: key.loopback_only,
                    });
                Client::builder(TokioExecutor::new())
                    .pool_max_idle_per_host(self.options.max_idle_per_authority)
                    .pool_idle_timeout(self.options.idle_timeout)
                    .http1_max_buf_size(READ_BUFFER_BYTES)
                    .build(connector)
            })
            .clone()
    }

    /// Sends `request` (absolute URI) with the connections of `key` under the clamped `options`:
    /// a slot in the pool and the response head must come within the
    /// first-byte timeout, each body chunk within the between-bytes timeout,
    /// and the whole exchange within `total`. `open` (the client's slot) and
    /// the pool's slot are held until the body ends or is dropped.
    pub(crate) async fn send(
        &self,
        key: PoolKey,
        request: http::Request<WasiBody>,
        options: RequestOptions,
        total: Duration,
        open: OwnedSemaphorePermit,
    ) -> Result<http::Response<WasiBody>, Error> {
        let started = Instant::now();
        let deadline = started + total;
        let first_byte = options.first_byte_timeout.unwrap_or(total);
        let head_deadline = deadline.min(started + first_byte);
        let between_bytes = options.between_bytes_timeout.unwrap_or(total);
        let authority = request
            .uri()
            .authority()
            .map_or_else(String::new, |a| a.as_str().to_owned());

        let Ok(Ok(slot)) =
            timeout_at(head_deadline, Arc::clone(&self.in_flight).acquire_owned()).await
        else {
            tracing::warn!(
                %authority,
                limit = self.options.max_connections,
                "request refused: every connection of the pool stayed busy"
            );
            return Err(Error::ConnectionLimitReached);
        };
        let response = timeout_at(head_deadline, self.client(key).request(request))
            .await
            .map_err(|_elapsed| Error::ConnectionReadTimeout)?
            .map_err(|e| client_error(&e, &authority))?;
        let (head, incoming) = response.into_parts();
        let (frames, frames_rx) = mpsc::channel(1);
        let (failure, failure_rx) = oneshot::channel();
        let relay = Relay {
            incoming,
            frames,
            between_bytes,
            deadline,
        };
        tokio::spawn(async move {
            if let Err(error) = relay.run().await {
                let _ = failure.send(error);
            }
            drop((open, slot));
        });
        let body = RelayedBody {
            frames: frames_rx,
            failure: failure_rx,
        };
        Ok(http::Response::from_parts(head, body.boxed_unsync()))
    }
}

/// Reads a response body off its connection whether or not the component
/// reads it, one frame ahead, so that the between-bytes and total deadlines
/// end the exchange (and free its connection and slots) in any case.
struct Relay {
    incoming: Incoming,
    frames: mpsc::Sender<Frame<Bytes>>,
    between_bytes: Duration,
    deadline: Instant,
}

impl Relay {
    /// Relays until the body ends, the component drops it, or a deadline or
    /// the connection fails.
    async fn run(mut self) -> Result<(), Error> {
        loop {
            // Waiting for the component to take the previous frame counts
            // against the total deadline only.
            let room = match timeout_at(self.deadline, self.frames.reserve()).await {
                Err(_elapsed) => return Err(Error::HttpResponseTimeout),
                Ok(Err(_closed)) => return Ok(()),
                Ok(Ok(room)) => room,
            };
            let frame = tokio::select! {
                () = self.frames.closed() => return Ok(()),
                () = sleep_until(self.deadline) => return Err(Error::HttpResponseTimeout),
                frame = timeout(self.between_bytes, self.incoming.frame()) => frame,
            };
            match frame {
                Err(_elapsed) => return Err(Error::ConnectionReadTimeout),
                Ok(None) => return Ok(()),
                // Hyper's errors are classified by the hooks'
                // `p2_error_from_hyper` when the guest reads them.
                Ok(Some(Err(error))) => return Err(Error::from(error)),
                Ok(Some(Ok(frame))) => room.send(frame),
            }
        }
    }
}

/// The component's side of a [`Relay`]: its frames, then its failure if any.
struct RelayedBody {
    frames: mpsc::Receiver<Frame<Bytes>>,
    failure: oneshot::Receiver<Error>,
}

impl Body for RelayedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match self.frames.poll_recv(cx) {
            Poll::Ready(Some(frame)) => Poll::Ready(Some(Ok(frame))),
            // The relay sends its failure before it lets go of `frames`.
            Poll::Ready(None) => match Pin::new(&mut self.failure).poll(cx) {
                Poll::Ready(Ok(error)) => Poll::Ready(Some(Err(error))),
                Poll::Ready(Err(_finished)) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The TCP connector, which for plain `http` with a loopback-only key checks
/// the address actually connected to, not the name asked for: a name that
/// resolves elsewhere gets no byte.
#[derive(Clone)]
struct PeerCheck {
    tcp: HttpConnector,
    loopback_only: bool,
}

type BoxError = Box<dyn StdError + Send + Sync>;

impl tower_service::Service<Uri> for PeerCheck {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let check = self.loopback_only && uri.scheme() == Some(&http::uri::Scheme::HTTP);
        let connecting = self.tcp.call(uri);
        Box::pin(async move {
            let stream = connecting.await?;
            if check {
                let peer = stream.inner().peer_addr()?;
                if !peer.ip().to_canonical().is_loopback() {
                    return Err(Box::new(NotLoopback(peer)) as BoxError);
                }
            }
            Ok(stream)
        })
    }
}

/// A plain-`http` connection that reached a non-loopback address.
#[derive(Debug)]
struct NotLoopback(SocketAddr);

impl fmt::Display for NotLoopback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plain http reached {}, not a loopback address", self.0)
    }
}

impl StdError for NotLoopback {}

/// The `wasi:http` error for a failed exchange with `authority`, from the
/// cause hyper-util reports (its error wraps the connector's or hyper's).
/// Hyper's errors are classified by [`hyper_error_code`], as they are when a
/// body read fails. A refused peer and a TLS failure are logged at WARN: the
/// first is the egress policy at work, the second may be an interception.
fn client_error(error: &hyper_util::client::legacy::Error, authority: &str) -> Error {
    if let Some(peer) = find_cause::<NotLoopback>(error) {
        tracing::warn!(%authority, peer = %peer.0, "egress denied: plain http needs a loopback address");
        return Error::HttpRequestDenied;
    }
    if let Some(tls) = find_cause::<rustls::Error>(error) {
        tracing::warn!(%authority, error = %tls, "TLS handshake failed");
        return tls_error(tls);
    }
    let mut source = StdError::source(error);
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

/// The first `T` among the causes of `error`, looking inside `io::Error`s
/// too (whose `source` skips the error they wrap).
fn find_cause<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(cause) = next {
        if let Some(found) = cause.downcast_ref::<T>() {
            return Some(found);
        }
        next = match cause
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => cause.source(),
        };
    }
    None
}

/// A certificate the client does not trust is `TLS-certificate-error`, an
/// alert from the server `TLS-alert-received`, anything else
/// `TLS-protocol-error`.
fn tls_error(error: &rustls::Error) -> Error {
    match error {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            Error::TlsCertificateError
        }
        rustls::Error::AlertReceived(alert) => Error::TlsAlertReceived {
            alert_id: Some(u8::from(*alert)),
            alert_message: Some(format!("{alert:?}")),
        },
        _ => Error::TlsProtocolError,
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
    let cause = StdError::source(err).and_then(|c| c.downcast_ref::<io::Error>());
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

    /// Sends a GET to `uri` with a loopback-only key.
    async fn strict_get(uri: &str) -> Result<http::Response<WasiBody>, Error> {
        let empty = http_body_util::Empty::new().map_err(|never| match never {});
        let request = http::Request::get(uri).body(empty.boxed_unsync()).unwrap();
        let strict = PoolKey {
            loopback_only: true,
            connect_timeout: Duration::from_secs(5),
        };
        let client_slot = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
        ConnectionPool::new(ConnectionOptions::default())
            .send(
                strict,
                request,
                RequestOptions::default(),
                Duration::from_secs(5),
                client_slot,
            )
            .await
    }

    /// This machine's address on its default route: not loopback, yet local.
    fn non_loopback_address() -> std::net::IpAddr {
        let socket = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        socket
            .connect("192.0.2.1:9")
            .expect("a default route, to find this machine's own non-loopback address");
        let address = socket.local_addr().unwrap().ip();
        assert!(!address.is_loopback(), "{address}");
        address
    }

    #[tokio::test]
    async fn plain_http_reaching_a_non_loopback_address_is_denied_before_any_byte() {
        use tokio::io::AsyncReadExt;

        let address = non_loopback_address();
        let listener = tokio::net::TcpListener::bind((address, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut bytes = Vec::new();
            let _ = stream.read_to_end(&mut bytes).await;
            bytes
        });
        let error = strict_get(&format!("http://{address}:{port}/"))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::HttpRequestDenied), "{error:?}");
        assert!(received.await.unwrap().is_empty(), "no byte was sent");
    }

    #[tokio::test]
    async fn plain_http_reaching_loopback_is_sent() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 1024];
            let _ = stream.read(&mut head).await;
            let _ = stream
                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .await;
        });
        let response = strict_get(&format!("http://{address}/")).await.unwrap();
        assert_eq!(response.status(), 204);
    }

    #[test]
    fn finds_a_tls_failure_inside_the_io_errors_that_carry_it() {
        // hyper-rustls wraps tokio-rustls' `io::Error`, which wraps rustls'.
        let certificate =
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = io::Error::other(io::Error::new(io::ErrorKind::InvalidData, certificate));
        let found = find_cause::<rustls::Error>(&wrapped).expect("found");
        assert!(matches!(tls_error(found), Error::TlsCertificateError));
        let plain = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(find_cause::<rustls::Error>(&plain).is_none());
    }
}
