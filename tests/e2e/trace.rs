//! Log capture for the secret-leak checks.
//!
//! [`secrets`](crate::secrets) re-runs the fault tests in a child process with
//! `GBG_GO_TRACE_CAPTURE` set: every test then calls [`capture_if_requested`],
//! which routes all tracing events (and `log` records of wasmtime and
//! friends) at TRACE level into that file. Tests also write every secret they
//! handle to `GBG_GO_SECRETS_FILE` ([`record_secret`]) and every error they
//! check to the log ([`show`]), so the parent can search the capture for each
//! secret afterwards.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use gbg_go_host::Error;
use gbg_go_simulator::Simulator;

/// The file every tracing event goes to, when set.
pub const CAPTURE_VAR: &str = "GBG_GO_TRACE_CAPTURE";
/// The file every secret a test handles is appended to, one per line.
pub const SECRETS_VAR: &str = "GBG_GO_SECRETS_FILE";

/// Installs the process-wide TRACE subscriber writing to `$GBG_GO_TRACE_CAPTURE`
/// (once); does nothing when the variable is unset.
pub fn capture_if_requested() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let Some(path) = std::env::var_os(CAPTURE_VAR).map(PathBuf::from) else {
            return;
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("the capture file opens");
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(Mutex::new(file))
            .init();
    });
}

/// Appends `secret` to `$GBG_GO_SECRETS_FILE`, when set.
pub fn record_secret(secret: &str) {
    let Some(path) = std::env::var_os(SECRETS_VAR) else {
        return;
    };
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("the secrets file opens");
    writeln!(file, "{secret}").expect("the secrets file is writable");
}

/// Records the simulator's credentials and every token it issued.
pub fn record_simulator_secrets(simulator: &Simulator) {
    let credentials = simulator.credentials();
    record_secret(&credentials.client_secret);
    record_secret(&credentials.password);
    for token in simulator.issued_tokens() {
        record_secret(&token);
    }
}

/// Logs an error the way an embedder would (`Display` and `Debug`), so that
/// the secret-leak check sees every error message too; returns it.
pub fn show(error: Error) -> Error {
    tracing::info!(target: "gbg_go_tests", error = %error, debug = ?error, "call failed");
    error
}

/// Sends this thread's tracing events at `level` and above to a buffer of
/// their own until the guard is dropped. A test on one thread sees the
/// host's log this way, since the host's tasks run on that thread too.
pub fn capture_here(level: tracing::Level) -> (LogBuffer, tracing::subscriber::DefaultGuard) {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

/// An in-memory log sink for one test's own subscriber.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
