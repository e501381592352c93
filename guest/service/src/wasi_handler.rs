//! The `wasi:http/incoming-handler` export: reads the request (refusing a
//! body over [`MAX_BODY_BYTES`]), resolves the settings, answers through
//! [`api::handle`] with a client over the WASI transport, and writes the
//! answer.

use gbg_go_core::http::Clock;
use gbg_go_core::session::Session;
use gbg_go_core::token_store::TokenStore;
use gbg_go_core::wasi_clock::WasiClock;
use gbg_go_core::wasi_transport::WasiTransport;
use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{
    Fields, IncomingBody, IncomingRequest as WasiRequest, Method, OutgoingBody, OutgoingResponse,
    ResponseOutparam,
};
use wasi::io::streams::StreamError;

use crate::api;
use crate::http::{IncomingRequest, MAX_BODY_BYTES, Response};
use crate::problem::Problem;
use crate::settings::{Config, TokenStoreChoice};
use crate::stores::{DirStore, InstanceStore};
use crate::warn;
use crate::wasi_config::EngineSettings;
use crate::wasi_keyvalue::KeyValueStore;

/// The most bytes written to the answer's body stream at once.
const WRITE_CHUNK: usize = 4096;

struct Handler;

impl Guest for Handler {
    fn handle(request: WasiRequest, out: ResponseOutparam) {
        let response = match read(&request) {
            Ok(request) => {
                let config = Config::resolve(&EngineSettings);
                api::handle(&request, &config, |client, store| {
                    let client = Session::open(client, WasiTransport, WasiClock)?;
                    Ok(client.with_token_store(token_store(store)))
                })
            }
            Err(problem) => problem.into_response(),
        };
        if response.status >= 500 {
            warn(&format!(
                "answered {}: {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            ));
        }
        write(out, response);
    }
}

wasi::http::proxy::export!(Handler);

/// The store `choice` names; the instance's memory when the engine refuses
/// the bucket, which costs a token per instance, not a failed request.
fn token_store(choice: &TokenStoreChoice) -> Box<dyn TokenStore> {
    match choice {
        TokenStoreChoice::KeyValue(bucket) => match KeyValueStore::open(bucket) {
            Ok(store) => Box::new(store),
            Err(reason) => {
                warn(&format!(
                    "cannot open {choice} ({reason}): tokens are not shared between instances; \
                     see GBG_GO_TOKEN_STORE"
                ));
                Box::new(InstanceStore)
            }
        },
        TokenStoreChoice::Directory(path) => Box::new(DirStore::new(path, WasiClock.random_u64())),
        TokenStoreChoice::Instance => Box::new(InstanceStore),
    }
}

/// The request, with its whole body.
fn read(request: &WasiRequest) -> Result<IncomingRequest, Problem> {
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
    let declared = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(Problem::too_large(MAX_BODY_BYTES));
    }
    let body = read_body(request)?;
    let borrowed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    Ok(IncomingRequest::new(&method, &path, &borrowed, body))
}

/// At most [`MAX_BODY_BYTES`] of body; `413` beyond.
fn read_body(request: &WasiRequest) -> Result<Vec<u8>, Problem> {
    let unreadable =
        |what: &str| Problem::malformed(None, format!("cannot read the request body: {what}"));
    let body = request
        .consume()
        .map_err(|()| unreadable("already taken"))?;
    let stream = body.stream().map_err(|()| unreadable("no stream"))?;
    let mut bytes = Vec::new();
    loop {
        let room = MAX_BODY_BYTES + 1 - bytes.len() as u64;
        match stream.blocking_read(room.min(64 * 1024)) {
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > MAX_BODY_BYTES {
                    return Err(Problem::too_large(MAX_BODY_BYTES));
                }
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(unreadable(&e.to_debug_string()));
            }
        }
    }
    drop(stream);
    drop(IncomingBody::finish(body));
    Ok(bytes)
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
            warn(&format!("the engine refused the answer's headers: {e:?}"));
            Fields::new()
        }
    };
    let outgoing = OutgoingResponse::new(headers);
    let _ = outgoing.set_status_code(response.status);
    let Ok(body) = outgoing.body() else {
        warn("the answer has no body stream");
        return;
    };
    ResponseOutparam::set(out, Ok(outgoing));
    let Ok(stream) = body.write() else {
        warn("the answer's body stream is unavailable");
        return;
    };
    for chunk in response.body.chunks(WRITE_CHUNK) {
        if let Err(e) = stream.blocking_write_and_flush(chunk) {
            warn(&format!("writing the answer failed: {e:?}"));
            return;
        }
    }
    drop(stream);
    if let Err(e) = OutgoingBody::finish(body, None) {
        warn(&format!("finishing the answer failed: {e:?}"));
    }
}
