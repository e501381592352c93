//! The `wasi:http/incoming-handler` export: reads the request's head,
//! resolves the settings, answers through [`api::handle`] (which reads the
//! body only for an admitted caller, within the body deadline), and writes
//! the answer.

use std::cell::RefCell;

use gbg_go_core::http::Clock;
use gbg_go_core::session::Session;
use gbg_go_core::types::ClientConfig;
use gbg_go_core::wasi_clock::WasiClock;
use gbg_go_core::wasi_transport::WasiTransport;
use wasi::clocks::monotonic_clock;
use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{
    Fields, IncomingBody, IncomingRequest as WasiRequest, Method, OutgoingBody, OutgoingResponse,
    ResponseOutparam,
};
use wasi::io::poll;
use wasi::io::streams::StreamError;

use crate::answers::Response;
use crate::api;
use crate::engine::{Engine, Kept};
use crate::http::{Body, IncomingRequest};
use crate::log;
use crate::problem::Problem;
use crate::settings::{Config, StoreChoice};
use crate::stores::{DirStore, InstanceStore, Store};
use crate::wasi_config::EngineSettings;
use crate::wasi_keyvalue::KeyValueStore;

/// The most bytes written to the answer's body stream at once.
const WRITE_CHUNK: usize = 4096;
/// The most bytes asked for per body read.
const READ_CHUNK: u64 = 64 * 1024;

struct Handler;

impl Guest for Handler {
    fn handle(request: WasiRequest, out: ResponseOutparam) {
        let arrived_ns = monotonic_clock::now();
        let head = head(&request);
        let config = Config::resolve(&EngineSettings::read());
        let mut body = WasiBody {
            request,
            arrived_ns,
            state: BodyState::Unread,
        };
        let response = api::handle(&head, &mut body, &config, &WasiEngine);
        body.release(&head);
        write(out, response);
    }
}

wasi::http::proxy::export!(Handler);

/// The engine's HTTP client, clocks and stores.
struct WasiEngine;

thread_local! {
    /// The session of this instance's last request that had one. An engine
    /// that reuses instances (`wasmtime serve --max-instance-reuse-count`,
    /// `jco serve`) so serves the next request with the same settings
    /// without loading and unsealing the token again.
    static KEPT: RefCell<Option<Kept<WasiTransport, WasiClock>>> = const { RefCell::new(None) };
}

impl Engine for WasiEngine {
    type Transport = WasiTransport;
    type Clock = WasiClock;

    fn transport(&self) -> WasiTransport {
        WasiTransport
    }

    fn clock(&self) -> WasiClock {
        WasiClock
    }

    /// The store `choice` names; the instance's memory when the engine
    /// refuses the bucket, which costs a token per instance, not a failed
    /// request.
    fn store(&self, choice: &StoreChoice) -> Box<dyn Store> {
        match choice {
            StoreChoice::KeyValue(bucket) => match KeyValueStore::open(bucket) {
                Ok(store) => Box::new(store),
                Err(reason) => {
                    log::once("store-open", || {
                        format!(
                            "cannot open {choice} ({reason}): tokens and idempotency records \
                             are not shared between instances; see GBG_GO_TOKEN_STORE"
                        )
                    });
                    Box::new(InstanceStore)
                }
            },
            StoreChoice::Directory(path) => Box::new(DirStore::new(path, WasiClock.random_u64())),
            StoreChoice::Instance => Box::new(InstanceStore),
        }
    }

    fn kept_session(
        &self,
        client: &ClientConfig,
        store: &StoreChoice,
    ) -> Option<Session<WasiTransport, WasiClock>> {
        // A session for other settings than now goes.
        KEPT.with(|kept| kept.borrow_mut().take()?.for_settings(client, store))
    }

    fn keep_session(&self, kept: Kept<WasiTransport, WasiClock>) {
        KEPT.with(|slot| *slot.borrow_mut() = Some(kept));
    }
}

/// The request's method, path and headers.
fn head(request: &WasiRequest) -> IncomingRequest {
    let method = match request.method() {
        Method::Get => "GET".to_owned(),
        Method::Head => "HEAD".to_owned(),
        Method::Post => "POST".to_owned(),
        Method::Put => "PUT".to_owned(),
        Method::Delete => "DELETE".to_owned(),
        Method::Connect => "CONNECT".to_owned(),
        Method::Options => "OPTIONS".to_owned(),
        Method::Trace => "TRACE".to_owned(),
        Method::Patch => "PATCH".to_owned(),
        Method::Other(other) => other,
    };
    let path = request.path_with_query().unwrap_or_else(|| "/".to_owned());
    let headers: Vec<(String, String)> = request
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    let borrowed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    IncomingRequest::new(&method, &path, &borrowed)
}

/// How long the engine is given to see that a body was left unread before
/// the answer is set.
const UNREAD_NOTICE_NS: u64 = 1_000_000;

/// The request's body stream, read on demand.
struct WasiBody {
    request: WasiRequest,
    /// When the request arrived (monotonic nanoseconds): the body deadline
    /// counts from here.
    arrived_ns: u64,
    state: BodyState,
}

/// How much of a body was read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyState {
    Unread,
    /// All of it.
    Complete,
    /// Part of it, before a limit or the deadline stopped the reading.
    Abandoned,
}

impl Body for WasiBody {
    fn read(&mut self, limit: u64, timeout_ms: u64) -> Result<Vec<u8>, Problem> {
        let unreadable =
            |what: &str| Problem::malformed(None, format!("cannot read the request body: {what}"));
        self.state = BodyState::Abandoned;
        let body = self
            .request
            .consume()
            .map_err(|()| unreadable("already taken"))?;
        let stream = body.stream().map_err(|()| unreadable("no stream"))?;
        let deadline = self
            .arrived_ns
            .saturating_add(timeout_ms.saturating_mul(1_000_000));
        let timer = monotonic_clock::subscribe_instant(deadline);
        // Dropped before `stream`, whose child it is (locals drop in reverse).
        let readable = stream.subscribe();
        let mut bytes = Vec::new();
        loop {
            let room = limit + 1 - bytes.len() as u64;
            match stream.read(room.min(READ_CHUNK)) {
                // Nothing yet: wait for bytes, or the deadline.
                Ok(chunk) if chunk.is_empty() => {
                    if !poll::poll(&[&readable, &timer]).contains(&0) {
                        return Err(Problem::too_slow(timeout_ms));
                    }
                }
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() as u64 > limit {
                        return Err(Problem::too_large(limit));
                    }
                }
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(unreadable(&e.to_debug_string()));
                }
            }
        }
        drop(readable);
        drop(stream);
        drop(IncomingBody::finish(body));
        self.state = BodyState::Complete;
        Ok(bytes)
    }
}

impl WasiBody {
    /// Lets go of the request before the answer is set. When a body was
    /// left unread (a refused caller's, say), the engine deals with the
    /// rest: it discards what has arrived (`jco serve` all of it, `wasmtime
    /// serve` what it holds) and, if that was not all, closes the
    /// connection after the answer. `wasmtime serve` then says `Connection:
    /// close` in the answer, provided it has seen the body go before the
    /// answer is set, so it is given a moment for that. Set at once, the
    /// answer can go out promising a connection the engine closes right
    /// after, which fails the caller's next request on it (wasmtime 48).
    fn release(self, head: &IncomingRequest) {
        let declares_body = match head.declared_length() {
            Some(length) => length > 0,
            // A chunked body (the engine hides `Transfer-Encoding`).
            None => matches!(head.method.as_str(), "POST" | "PUT" | "PATCH"),
        };
        let left_unread = declares_body && self.state != BodyState::Complete;
        drop(self);
        if left_unread {
            monotonic_clock::subscribe_duration(UNREAD_NOTICE_NS).block();
        }
    }
}

/// Sends `response`. Should the engine refuse part of it there is no one
/// left to tell but its log.
fn write(out: ResponseOutparam, response: Response) {
    let entries: Vec<(String, Vec<u8>)> = response
        .headers
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    let headers = match Fields::from_list(&entries) {
        Ok(headers) => headers,
        Err(e) => {
            log::once("answer", || {
                format!("the engine refused the answer's headers: {e:?}")
            });
            Fields::new()
        }
    };
    let outgoing = OutgoingResponse::new(headers);
    let _ = outgoing.set_status_code(response.status);
    let Ok(body) = outgoing.body() else {
        log::once("answer", || "the answer has no body stream".to_owned());
        return;
    };
    ResponseOutparam::set(out, Ok(outgoing));
    let Ok(stream) = body.write() else {
        log::once("answer", || {
            "the answer's body stream is unavailable".to_owned()
        });
        return;
    };
    for chunk in response.body.chunks(WRITE_CHUNK) {
        if let Err(e) = stream.blocking_write_and_flush(chunk) {
            log::once("answer", || format!("writing the answer failed: {e:?}"));
            return;
        }
    }
    drop(stream);
    if let Err(e) = OutgoingBody::finish(body, None) {
        log::once("answer", || format!("finishing the answer failed: {e:?}"));
    }
}
