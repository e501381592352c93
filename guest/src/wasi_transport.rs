//! [`Transport`] over `wasi:http/outgoing-handler`.
//!
//! The body is written and finished before `handle` is called, which every
//! tested host (wasmtime, jco, wasmtime-py) supports. Only if the host stops
//! accepting body bytes before the request is sent (wasmtime buffers two
//! write chunks by default) is the request sent first and the rest of the
//! body streamed after it, since waiting would never end.

use url::{Position, Url};
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingResponse, Method as WasiMethod,
    OutgoingBody, OutgoingRequest, RequestOptions, Scheme, http_error_code,
};
use wasi::io::streams::{OutputStream, StreamError};

use crate::http::{Limits, Method, Request, Response, SendError, Transport};
use crate::types::{InvalidResponse, TransportError, TransportKind};

/// The most bytes asked for per body read.
const READ_CHUNK: u64 = 64 * 1024;

/// The host's `wasi:http` client.
pub struct WasiTransport;

impl Transport for WasiTransport {
    fn send(&self, request: &Request, limits: &Limits) -> Result<Response, SendError> {
        let authority = authority(&request.url);
        exchange(request, limits, &authority).map_err(|failure| {
            let transport = |kind, message| {
                SendError::Transport(TransportError {
                    kind,
                    authority: authority.clone(),
                    message,
                })
            };
            match failure {
                ExchangeError::Code(code) => transport(kind_of(&code), cause(&code)),
                ExchangeError::Other(message) => transport(TransportKind::Other, message),
                ExchangeError::BodyRead(message) => transport(body_read_kind(&message), message),
                ExchangeError::TooLarge(head) => SendError::InvalidResponse(InvalidResponse {
                    status: head.status,
                    request_id: head.request_id(),
                    reason: format!("response body exceeds {} bytes", limits.max_response_bytes),
                }),
            }
        })
    }
}

/// Why an exchange failed.
enum ExchangeError {
    /// The host's error code.
    Code(ErrorCode),
    /// Anything else, for people.
    Other(String),
    /// The status and headers of an answer whose body is too large.
    TooLarge(Response),
    /// Reading the body failed without an error code (wasmtime reports body
    /// errors as plain I/O errors), with the host's message.
    BodyRead(String),
}

impl From<StreamError> for ExchangeError {
    fn from(error: StreamError) -> Self {
        match error {
            StreamError::Closed => ExchangeError::Other("stream closed".to_owned()),
            StreamError::LastOperationFailed(e) => match http_error_code(&e) {
                Some(code) => ExchangeError::Code(code),
                None => ExchangeError::Other(e.to_debug_string()),
            },
        }
    }
}

/// The error for a part of an exchange the host did not hand out.
fn unavailable(what: &'static str) -> impl FnOnce(()) -> ExchangeError {
    move |()| ExchangeError::Other(format!("{what} unavailable"))
}

fn exchange(
    request: &Request,
    limits: &Limits,
    authority: &str,
) -> Result<Response, ExchangeError> {
    let outgoing = outgoing_request(request, authority).map_err(ExchangeError::Other)?;
    let body = outgoing.body().map_err(unavailable("request body"))?;
    let send = |outgoing| {
        outgoing_handler::handle(outgoing, Some(options(limits))).map_err(ExchangeError::Code)
    };
    let future = if request.body.is_empty() {
        // Every host call counts (under jco each is a hand-off to its I/O
        // thread): an empty body is finished without opening its stream.
        OutgoingBody::finish(body, None).map_err(ExchangeError::Code)?;
        send(outgoing)?
    } else {
        write_and_send(outgoing, body, &request.body, send)?
    };
    let response = incoming_response(&future)?;
    read_response(&response, limits.max_response_bytes)
}

/// Writes `bytes` into `body` and sends `outgoing` with `send`: after the
/// body is finished when the host buffers all of it, else first, streaming
/// the rest after it.
fn write_and_send(
    outgoing: OutgoingRequest,
    body: OutgoingBody,
    bytes: &[u8],
    send: impl FnOnce(OutgoingRequest) -> Result<FutureIncomingResponse, ExchangeError>,
) -> Result<FutureIncomingResponse, ExchangeError> {
    let stream = body.write().map_err(unavailable("request body stream"))?;
    let mut rest = bytes;
    write_buffered(&stream, &mut rest)?;
    if rest.is_empty() {
        drop(stream);
        OutgoingBody::finish(body, None).map_err(ExchangeError::Code)?;
        return send(outgoing);
    }
    let future = send(outgoing)?;
    match write_all(&stream, rest) {
        Ok(()) => {
            drop(stream);
            OutgoingBody::finish(body, None).map_err(ExchangeError::Code)?;
        }
        // The server stopped reading: its answer says why.
        Err(StreamError::Closed) => drop(stream),
        Err(error) => return Err(error.into()),
    }
    Ok(future)
}

/// `host[:port]` of `url`.
fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn outgoing_request(request: &Request, authority: &str) -> Result<OutgoingRequest, String> {
    let mut entries: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.as_bytes().to_vec()))
        .collect();
    if request.method == Method::Post {
        entries.push((
            "content-length".to_owned(),
            request.body.len().to_string().into_bytes(),
        ));
    }
    // The error names the kind of refusal only, never a header value.
    let headers =
        Fields::from_list(&entries).map_err(|e| format!("request headers refused: {e:?}"))?;
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method {
        Method::Get => WasiMethod::Get,
        Method::Post => WasiMethod::Post,
    };
    outgoing
        .set_method(&method)
        .map_err(|()| "request method refused".to_owned())?;
    let scheme = match request.url.scheme() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => Scheme::Other(other.to_owned()),
    };
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| "request scheme refused".to_owned())?;
    outgoing
        .set_authority(Some(authority))
        .map_err(|()| "request authority refused".to_owned())?;
    let path = &request.url[Position::BeforePath..Position::AfterQuery];
    let path = if path.is_empty() { "/" } else { path };
    outgoing
        .set_path_with_query(Some(path))
        .map_err(|()| "request path refused".to_owned())?;
    Ok(outgoing)
}

fn options(limits: &Limits) -> RequestOptions {
    let nanos = u64::from(limits.timeout_ms).saturating_mul(1_000_000);
    let options = RequestOptions::new();
    // A host that does not support a timeout refuses to set it and applies
    // its own instead.
    let _ = options.set_connect_timeout(Some(nanos));
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_between_bytes_timeout(Some(nanos));
    options
}

/// Writes from `rest` as long as the host accepts bytes without waiting.
/// No flush: finishing the body sends what was written.
fn write_buffered(stream: &OutputStream, rest: &mut &[u8]) -> Result<(), StreamError> {
    while !rest.is_empty() {
        let permitted = usize::try_from(stream.check_write()?).unwrap_or(usize::MAX);
        if permitted == 0 {
            return Ok(());
        }
        let (now, later) = rest.split_at(permitted.min(rest.len()));
        stream.write(now)?;
        *rest = later;
    }
    Ok(())
}

/// Writes all of `bytes`, waiting for the host as needed.
fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    while !bytes.is_empty() {
        stream.subscribe().block();
        let permitted = usize::try_from(stream.check_write()?).unwrap_or(usize::MAX);
        let (now, later) = bytes.split_at(permitted.min(bytes.len()));
        stream.write(now)?;
        bytes = later;
    }
    stream.blocking_flush()
}

/// Waits for the response head. The head of a request just sent is never
/// there yet, so the wait comes before the first look.
fn incoming_response(future: &FutureIncomingResponse) -> Result<IncomingResponse, ExchangeError> {
    loop {
        future.subscribe().block();
        match future.get() {
            Some(Ok(Ok(response))) => return Ok(response),
            Some(Ok(Err(code))) => return Err(ExchangeError::Code(code)),
            Some(Err(())) => return Err(ExchangeError::Other("response already taken".to_owned())),
            None => {}
        }
    }
}

/// Reads status, headers and at most `max_bytes` of body.
fn read_response(response: &IncomingResponse, max_bytes: u32) -> Result<Response, ExchangeError> {
    let fields = response.headers();
    let headers = fields
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    drop(fields);
    let mut answer = Response {
        status: response.status(),
        headers,
        body: Vec::new(),
    };
    let max = u64::from(max_bytes);
    let declared = answer
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > max) {
        return Err(ExchangeError::TooLarge(answer));
    }
    let body = response.consume().map_err(unavailable("response body"))?;
    let stream = body.stream().map_err(unavailable("response body stream"))?;
    loop {
        let read = answer.body.len() as u64;
        match stream.blocking_read(READ_CHUNK.min(max - read + 1)) {
            Ok(chunk) if read + chunk.len() as u64 > max => {
                answer.body.clear();
                return Err(ExchangeError::TooLarge(answer));
            }
            Ok(chunk) => answer.body.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(match http_error_code(&e) {
                    Some(code) => ExchangeError::Code(code),
                    None => ExchangeError::BodyRead(e.to_debug_string()),
                });
            }
        }
    }
    // Dropping the body after its end is finishing it, without the
    // trailers' future that `finish` would hand back to drop.
    drop(stream);
    drop(body);
    Ok(answer)
}

/// The kind of a body read that failed without an error code: a timeout
/// when the host's message says so, else the connection ended before the
/// answer was complete.
fn body_read_kind(message: &str) -> TransportKind {
    let message = message.to_ascii_lowercase();
    if message.contains("timeout") || message.contains("timed out") {
        TransportKind::Timeout
    } else {
        TransportKind::ConnectionReset
    }
}

/// The host's error code as words, for the error's `message`: what the
/// kind (which `describe` already names) does not say, or nothing.
fn cause(code: &ErrorCode) -> String {
    use ErrorCode as E;
    let size = |what: &str, size: &Option<u64>| match size {
        Some(bytes) => format!("{what} too large ({bytes} bytes)"),
        None => format!("{what} too large"),
    };
    match code {
        E::DnsTimeout => "the resolver did not answer in time".into(),
        E::DnsError(dns) => match (&dns.rcode, dns.info_code) {
            (Some(rcode), Some(info)) if info != 0 => format!("{rcode} (info code {info})"),
            (Some(rcode), _) => rcode.clone(),
            (None, Some(info)) => format!("info code {info}"),
            (None, None) => String::new(),
        },
        E::DestinationNotFound => "no such destination".into(),
        E::DestinationUnavailable => "the destination is unavailable".into(),
        E::DestinationIpProhibited => "the destination address is prohibited".into(),
        E::DestinationIpUnroutable => "the destination address is unroutable".into(),
        E::ConnectionTimeout => "while connecting".into(),
        E::ConnectionReadTimeout => "waiting for the answer".into(),
        E::ConnectionWriteTimeout => "while sending the request".into(),
        E::HttpResponseTimeout => "waiting for the answer's head".into(),
        E::ConnectionLimitReached => "the host's connection limit was reached".into(),
        E::TlsCertificateError => "the server's certificate was refused".into(),
        E::TlsAlertReceived(alert) => match (&alert.alert_message, alert.alert_id) {
            (Some(message), _) => format!("the server sent the alert {message}"),
            (None, Some(id)) => format!("the server sent alert {id}"),
            (None, None) => "the server sent an alert".into(),
        },
        E::HttpResponseIncomplete => "the answer ended early".into(),
        E::HttpRequestBodySize(bytes) => size("request body", bytes),
        E::HttpResponseBodySize(bytes) => size("answer body", bytes),
        E::HttpRequestHeaderSectionSize(_) | E::HttpRequestHeaderSize(_) => {
            "request headers too large".into()
        }
        E::HttpResponseHeaderSectionSize(_) => "answer headers too large".into(),
        E::HttpResponseHeaderSize(payload) => match payload.field_name.as_deref() {
            Some(name) => format!("answer header {name} too large"),
            None => "an answer header too large".into(),
        },
        E::HttpRequestTrailerSectionSize(_) | E::HttpRequestTrailerSize(_) => {
            "request trailers too large".into()
        }
        E::HttpResponseTrailerSectionSize(_) | E::HttpResponseTrailerSize(_) => {
            "answer trailers too large".into()
        }
        E::HttpRequestMethodInvalid => "invalid request method".into(),
        E::HttpRequestUriInvalid => "invalid request URI".into(),
        E::HttpRequestUriTooLong => "request URI too long".into(),
        E::HttpRequestLengthRequired => "the server requires a request length".into(),
        E::HttpResponseTransferCoding(coding) | E::HttpResponseContentCoding(coding) => {
            match coding {
                Some(coding) => format!("unsupported answer coding {coding}"),
                None => "unsupported answer coding".into(),
            }
        }
        E::HttpUpgradeFailed => "the protocol upgrade failed".into(),
        E::LoopDetected => "the host detected a request loop".into(),
        E::ConfigurationError => "the host's HTTP client is misconfigured".into(),
        E::InternalError(Some(message)) => message.clone(),
        E::ConnectionRefused
        | E::ConnectionTerminated
        | E::HttpRequestDenied
        | E::TlsProtocolError
        | E::HttpProtocolError
        | E::InternalError(None) => String::new(),
    }
}

/// Maps the host's error code to a transport kind.
fn kind_of(code: &ErrorCode) -> TransportKind {
    use ErrorCode as E;
    match code {
        E::DnsTimeout | E::DnsError(_) => TransportKind::Dns,
        E::DestinationNotFound
        | E::DestinationUnavailable
        | E::DestinationIpProhibited
        | E::DestinationIpUnroutable
        | E::ConnectionRefused => TransportKind::ConnectionRefused,
        E::ConnectionTerminated | E::HttpResponseIncomplete => TransportKind::ConnectionReset,
        E::ConnectionTimeout
        | E::ConnectionReadTimeout
        | E::ConnectionWriteTimeout
        | E::HttpResponseTimeout => TransportKind::Timeout,
        E::HttpRequestDenied => TransportKind::Denied,
        E::TlsProtocolError | E::TlsCertificateError | E::TlsAlertReceived(_) => TransportKind::Tls,
        E::HttpRequestLengthRequired
        | E::HttpRequestBodySize(_)
        | E::HttpRequestMethodInvalid
        | E::HttpRequestUriInvalid
        | E::HttpRequestUriTooLong
        | E::HttpRequestHeaderSectionSize(_)
        | E::HttpRequestHeaderSize(_)
        | E::HttpRequestTrailerSectionSize(_)
        | E::HttpRequestTrailerSize(_)
        | E::HttpResponseHeaderSectionSize(_)
        | E::HttpResponseHeaderSize(_)
        | E::HttpResponseBodySize(_)
        | E::HttpResponseTrailerSectionSize(_)
        | E::HttpResponseTrailerSize(_)
        | E::HttpResponseTransferCoding(_)
        | E::HttpResponseContentCoding(_)
        | E::HttpUpgradeFailed
        | E::HttpProtocolError => TransportKind::Protocol,
        E::ConnectionLimitReached
        | E::LoopDetected
        | E::ConfigurationError
        | E::InternalError(_) => TransportKind::Other,
    }
}
