//! An integrator's event receiver on loopback: it keeps every request the
//! journey service POSTs to it and answers each with one status, and
//! checks events with the `standardwebhooks` package from npm, as an
//! integrator would.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::support;

/// The Standard Webhooks secret the tests sign events with.
pub const SECRET: &str = "whsec_c2VydmljZS10ZXN0LWV2ZW50LWtleS1Bc0Q5";

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Delivery {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The payload, checked by the `standardwebhooks` package with `secret`;
    /// its error when the signature does not hold.
    pub fn verified(&self, secret: &str) -> Result<Value, String> {
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect();
        let input = json!({"secret": secret, "headers": headers, "body": self.body});
        let mut node = Command::new("node")
            .arg(support::repository().join("tests/node/verify_event.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs");
        node.stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        let output = node.wait_with_output().unwrap();
        if output.status.success() {
            Ok(serde_json::from_slice(&output.stdout).expect("the verifier prints JSON"))
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }
}

/// The receiver, listening until closed or dropped.
pub struct Receiver {
    /// `http://127.0.0.1:<port>/events`.
    pub url: String,
    got: Arc<Mutex<Vec<Delivery>>>,
    status: Arc<AtomicU16>,
    listening: JoinHandle<()>,
}

impl Receiver {
    /// A receiver answering every request with `status`.
    pub async fn answering(status: u16) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(status));
        let (kept, answered) = (got.clone(), status.clone());
        let listening = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                let status = answered.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut read = BufReader::new(read);
                    let mut headers = Vec::new();
                    let mut line = String::new();
                    read.read_line(&mut line).await.unwrap();
                    loop {
                        line.clear();
                        read.read_line(&mut line).await.unwrap();
                        let Some((name, value)) = line.trim_end().split_once(':') else {
                            break;
                        };
                        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
                    }
                    let length: usize = headers
                        .iter()
                        .find(|(n, _)| n == "content-length")
                        .map_or(0, |(_, v)| v.parse().unwrap());
                    let mut body = vec![0; length];
                    read.read_exact(&mut body).await.unwrap();
                    kept.lock().unwrap().push(Delivery {
                        headers,
                        body: String::from_utf8(body).unwrap(),
                    });
                    let answer = format!(
                        "HTTP/1.1 {status} Answer\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    write.write_all(answer.as_bytes()).await.unwrap();
                });
            }
        });
        Receiver {
            url,
            got,
            status,
            listening,
        }
    }

    /// Answers `status` from now on.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Stops listening: connections are refused from now on.
    pub async fn close(&self) {
        self.listening.abort();
        while !self.listening.is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Every request so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.listening.abort();
    }
}
