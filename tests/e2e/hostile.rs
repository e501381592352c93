//! A purpose-built hostile HTTP/1.1 server on loopback, written on raw tokio
//! TCP so that it can misbehave in ways a real HTTP server library will not:
//! answer slowly, stall mid-body, reset the connection, send truncated or
//! oversized bodies, redirect elsewhere.
//!
//! Each accepted connection carries one request. The server parses it, records
//! it, asks the test's script what to do, does it, and closes the connection.
//! The token endpoint is answered by the script too ([`Reply::token`]), so a
//! client can authenticate against the same server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use gbg_go_host::{ClientSettings, Endpoint, Grant, Secret};

use crate::support;

/// The path of the token endpoint below the origin.
pub const TOKEN_PATH: &str = "/as/token.oauth2";
/// The API base path below the origin.
pub const API_PATH: &str = "/v2/captain";
/// The client id every hostile server expects.
pub const CLIENT_ID: &str = "hostile-client";
/// The client secret hostile clients are configured with: distinctive, so
/// that a test can search logs for it.
pub const CLIENT_SECRET: &str = "hostile-secret-Zq81Lm0vXe";
/// The access token a hostile token endpoint issues: distinctive too.
pub const ACCESS_TOKEN: &str = "hostile-access-token-Pw47Ty2cRn";
/// A syntactically valid instance id for journey calls.
pub const INSTANCE_ID: &str = "Hx4_hostileInstance-01";
/// How long a stalled connection is held open at most; the server drops it
/// earlier when the test ends.
const HOLD: Duration = Duration::from_secs(120);

/// One received request.
#[derive(Clone, Debug)]
pub struct Received {
    /// The path and query.
    pub path: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Received {
    /// The first header called `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    /// A complete answer with `Content-Length`.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Waits, then sends the answer (a slow first byte).
    Delayed(Duration, Box<Reply>),
    /// Sends the head and `sent` of the body bytes `Content-Length` promises,
    /// then holds the connection open without sending more.
    Stall { declared: usize, sent: Vec<u8> },
    /// Resets the connection (TCP RST) without answering.
    Reset,
    /// Sends the head and `sent` of the `declared` body bytes, then resets
    /// the connection (TCP RST).
    ResetMidBody { declared: usize, sent: Vec<u8> },
    /// Streams `total` bytes of body, chunked (no `Content-Length`) unless
    /// `declare_length`.
    Huge { total: usize, declare_length: bool },
    /// Sends the head, then one of the `declared` body bytes every `every`.
    Drip { declared: usize, every: Duration },
}

impl Reply {
    /// `status` with a JSON body and an `X-Request-ID`.
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::body(status, "application/json", body.into().into_bytes())
    }

    /// `status` with `content_type` and `body`, and an `X-Request-ID`.
    pub fn body(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status,
            headers: headers(status, content_type),
            body: body.into(),
        }
    }

    /// A valid token answer carrying [`ACCESS_TOKEN`] for an hour.
    pub fn token() -> Reply {
        Reply::json(
            200,
            format!(
                r#"{{"access_token":"{ACCESS_TOKEN}","token_type":"Bearer","expires_in":3600}}"#
            ),
        )
    }

    /// A valid state document of [`INSTANCE_ID`] with `status`.
    pub fn state(status: &str) -> Reply {
        Reply::json(
            200,
            format!(r#"{{"instanceId":"{INSTANCE_ID}","status":"{status}","metaData":{{}}}}"#),
        )
    }

    /// A redirect to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply::Full {
            status: 302,
            headers: vec![("location".into(), location.into())],
            body: Vec::new(),
        }
    }
}

type Script = dyn Fn(&Received) -> Reply + Send + Sync;

/// A running hostile server; stops (and drops every held connection) when
/// dropped.
pub struct Hostile {
    address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// Serves `script` on an ephemeral loopback port.
    pub async fn start(script: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("binding a loopback port");
        let address = listener.local_addr().expect("a bound address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(serve(
            listener,
            Arc::new(script),
            received.clone(),
            connections.clone(),
        ));
        Hostile {
            address,
            received,
            connections,
            task,
        }
    }

    /// A server that answers the token endpoint properly and every other
    /// request with `api`.
    pub async fn api(api: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Hostile {
        Hostile::start(move |request| {
            if request.path == TOKEN_PATH {
                Reply::token()
            } else {
                api(request)
            }
        })
        .await
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `127.0.0.1:<port>`.
    pub fn authority(&self) -> String {
        self.address.to_string()
    }

    /// Client settings for this server: API base and token URL on it, the
    /// hostile client credentials.
    pub fn settings(&self) -> ClientSettings {
        settings_for(&self.origin())
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// How many requests arrived for `path` (below the origin).
    pub fn count(&self, path: &str) -> usize {
        self.received().iter().filter(|r| r.path == path).count()
    }

    /// How many connections were accepted, whether or not a request followed.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Client settings for a hostile server at `origin` (`http://host:port`),
/// running or not: API base and token URL there, the hostile client
/// credentials.
pub fn settings_for(origin: &str) -> ClientSettings {
    let mut settings = ClientSettings::new(
        Endpoint::BaseUrl(support::url(&format!("{origin}{API_PATH}"))),
        Grant::client_credentials(CLIENT_ID, Secret::new(CLIENT_SECRET)),
    );
    settings.token_url = Some(support::url(&format!("{origin}{TOKEN_PATH}")));
    settings
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    listener: TcpListener,
    script: Arc<Script>,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
) {
    // Aborting this task drops the set, which aborts every connection task.
    let mut tasks = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        connections.fetch_add(1, Ordering::SeqCst);
        let script = script.clone();
        let received = received.clone();
        tasks.spawn(async move {
            // A client that gives up early makes writes fail: that is fine.
            let _ = connection(stream, &*script, &received).await;
        });
        while tasks.try_join_next().is_some() {}
    }
}

async fn connection(
    mut stream: TcpStream,
    script: &Script,
    received: &Mutex<Vec<Received>>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    received.lock().unwrap().push(request.clone());
    let reply = script(&request);
    answer(stream, reply).await
}

/// Reads one request: head, then a `Content-Length` body.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Received>> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|request_line| request_line.split(' ').nth(1))
        .unwrap_or_default()
        .to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Ok(Some(Received {
        path,
        headers,
        body,
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn head(status: u16, headers: &[(String, String)], length: Option<usize>) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} Hostile\r\nconnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    match length {
        Some(length) => text.push_str(&format!("content-length: {length}\r\n")),
        None => text.push_str("transfer-encoding: chunked\r\n"),
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// `Content-Type` and an `X-Request-ID` naming the status (`hostile-200`).
fn headers(status: u16, content_type: &str) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), content_type.into()),
        ("x-request-id".into(), format!("hostile-{status}")),
    ]
}

fn json_head(status: u16, length: Option<usize>) -> Vec<u8> {
    head(status, &headers(status, "application/json"), length)
}

async fn answer(mut stream: TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            stream
                .write_all(&head(status, &headers, Some(body.len())))
                .await?;
            stream.write_all(&body).await?;
            stream.shutdown().await
        }
        Reply::Delayed(delay, reply) => {
            tokio::time::sleep(delay).await;
            Box::pin(answer(stream, *reply)).await
        }
        Reply::Stall { declared, sent } => {
            stream.write_all(&json_head(200, Some(declared))).await?;
            stream.write_all(&sent).await?;
            stream.flush().await?;
            tokio::time::sleep(HOLD).await;
            Ok(())
        }
        Reply::Reset => {
            stream.set_zero_linger()?;
            drop(stream);
            Ok(())
        }
        Reply::ResetMidBody { declared, sent } => {
            stream.write_all(&json_head(200, Some(declared))).await?;
            stream.write_all(&sent).await?;
            stream.flush().await?;
            // Let the bytes leave before the reset discards them.
            tokio::time::sleep(Duration::from_millis(50)).await;
            stream.set_zero_linger()?;
            drop(stream);
            Ok(())
        }
        Reply::Drip { declared, every } => {
            stream.write_all(&json_head(200, Some(declared))).await?;
            for _ in 0..declared {
                stream.flush().await?;
                tokio::time::sleep(every).await;
                stream.write_all(b" ").await?;
            }
            stream.shutdown().await
        }
        Reply::Huge {
            total,
            declare_length,
        } => {
            let length = declare_length.then_some(total);
            stream.write_all(&json_head(200, length)).await?;
            let chunk = vec![b' '; 64 * 1024];
            let mut left = total;
            while left > 0 {
                let part = &chunk[..left.min(chunk.len())];
                if declare_length {
                    stream.write_all(part).await?;
                } else {
                    stream
                        .write_all(format!("{:x}\r\n", part.len()).as_bytes())
                        .await?;
                    stream.write_all(part).await?;
                    stream.write_all(b"\r\n").await?;
                }
                left -= part.len();
            }
            if !declare_length {
                stream.write_all(b"0\r\n\r\n").await?;
            }
            stream.shutdown().await
        }
    }
}
