//! The engines the journey service component runs on: `wasmtime serve`
//! (the CLI `.ci/run` installs into `.tools/wasmtime`) and `jco serve`
//! (`bindings/node`'s jco, with the shims the `gbg-go` npm package carries). Each is
//! started on a free loopback port in a process group of its own, which
//! ends with it, and its output is kept for the secret search.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use gbg_go_simulator::Simulator;
use tempfile::TempDir;

use crate::support;

/// The wasmtime CLI: `GBG_GO_WASMTIME`, else the one `.ci/run` installs.
pub fn wasmtime() -> PathBuf {
    std::env::var_os("GBG_GO_WASMTIME").map_or_else(
        || support::repository().join(".tools/wasmtime/bin/wasmtime"),
        PathBuf::from,
    )
}

/// `bindings/node`'s jco (installed by `npm ci` there).
fn jco() -> PathBuf {
    support::repository().join("bindings/node/node_modules/.bin/jco")
}

/// The service component, written once per test binary by the `gbg-go
/// component service` command (so the file is what users deploy).
pub fn service_component() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gbg_go_service.wasm");
        let status = Command::new(env!("CARGO_BIN_EXE_gbg-go"))
            .args(["component", "service", "--out"])
            .arg(&path)
            .stdout(Stdio::null())
            .status()
            .expect("gbg-go runs");
        assert!(status.success(), "gbg-go component service failed");
        path
    })
}

/// The caller key the tests configure.
pub const SERVICE_KEY: &str = "service-key-Lx40Vd7Qm2Ty";
/// The webhook's Basic credentials the tests configure.
pub const WEBHOOK_USERNAME: &str = "gbg-webhook";
/// The webhook's Basic password the tests configure.
pub const WEBHOOK_PASSWORD: &str = "webhook-password-Rk73Hs5Wn1Pe";

/// The service's settings for `simulator`, by environment name: its API,
/// token endpoint and credentials, its default journey, a caller key and
/// Basic webhook credentials.
pub fn service_env(simulator: &Simulator) -> Vec<(&'static str, String)> {
    let mut env: Vec<(&'static str, String)> = support::cli_env(simulator).into();
    env.extend([
        ("GBG_GO_RESOURCE_ID", simulator.resource_id()),
        ("GBG_GO_SERVICE_KEY", SERVICE_KEY.to_owned()),
        ("GBG_GO_WEBHOOK_USERNAME", WEBHOOK_USERNAME.to_owned()),
        ("GBG_GO_WEBHOOK_PASSWORD", WEBHOOK_PASSWORD.to_owned()),
    ]);
    env
}

/// One running engine serving the service component.
pub struct Engine {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    /// Everything the engine (and the component) wrote to stdout and stderr.
    log: PathBuf,
    /// The engine's working files: its log and jco's transpiled code.
    _dir: TempDir,
}

impl Engine {
    /// `wasmtime serve -S cli -S keyvalue -S config` on the service
    /// component, with `env` given to the component by name only (the
    /// values stay in wasmtime's own environment, out of its argv), and
    /// `args` before the component. It runs under `umask 077`, as the
    /// README runs it, so that the token folder's files are private.
    pub async fn wasmtime(env: &[(&str, String)], args: &[String]) -> Engine {
        let binary = wasmtime();
        assert!(
            binary.exists(),
            "no wasmtime CLI at {}: run .ci/run, or `cargo install --locked wasmtime-cli@48.0.8 \
             --root .tools/wasmtime`",
            binary.display()
        );
        let port = support::free_port();
        let mut command = Command::new(binary);
        command
            .args(["serve", "-S", "cli", "-S", "keyvalue", "-S", "config"])
            .arg(format!("--addr=127.0.0.1:{port}"));
        for (name, value) in env {
            command.arg(format!("--env={name}")).env(name, value);
        }
        command.args(args).arg(service_component());
        // SAFETY: umask is async-signal-safe and touches only the child.
        unsafe {
            command.pre_exec(|| {
                libc::umask(0o077);
                Ok(())
            });
        }
        Self::start(command, port, TempDir::new().unwrap()).await
    }

    /// `jco serve` on the service component, with the key-value and config
    /// shims in the folder `shims` (`bindings/node/serve`, as the `gbg-go`
    /// npm package carries it), `env` in Node's environment (which jco
    /// hands to the component whole), and `args` (such as
    /// `--isolate-requests`).
    pub async fn jco(shims: &Path, env: &[(&str, String)], args: &[&str]) -> Engine {
        let shims = shims.canonicalize().expect("the shims' folder exists");
        let port = support::free_port();
        let dir = TempDir::new().unwrap();
        let mut command = Command::new(jco());
        command
            .arg("serve")
            .arg(service_component())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--jco-dir")
            .arg(dir.path().join("jco"))
            .args(args)
            .arg("--jco-map")
            .arg(format!(
                "wasi:keyvalue/store={}#store",
                shims.join("keyvalue.js").display()
            ))
            .arg(format!(
                "wasi:config/store={}#store",
                shims.join("config.js").display()
            ))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        for (name, value) in env {
            command.env(name, value);
        }
        Self::start(command, port, dir).await
    }

    async fn start(mut command: Command, port: u16, dir: TempDir) -> Engine {
        let log = dir.path().join("engine.log");
        let child = support::spawn_logged(&mut command, &log);
        let mut engine = Engine {
            child,
            origin: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        engine.wait_until_serving().await;
        engine
    }

    /// Waits (up to two minutes: jco transpiles, wasmtime compiles) until
    /// `/health` answers.
    async fn wait_until_serving(&mut self) {
        let client = reqwest::Client::new();
        let began = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the engine exited ({status}):\n{}", self.log());
            }
            let health = client.get(self.url("/health")).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(
                began.elapsed() < Duration::from_secs(120),
                "the engine did not serve within two minutes:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The URL of `path` on this engine.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Everything the engine has written so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The engine process's peak resident memory, in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // The whole group, so that jco's Node child ends too.
        support::end_process_group(&mut self.child);
    }
}

/// A folder for token files that `wasmtime serve --dir` maps in: the
/// folder and the `--dir` argument mapping it to `/tokens`.
pub fn token_folder() -> (TempDir, String) {
    let folder = TempDir::new().unwrap();
    let arg = format!("--dir={}::/tokens", folder.path().display());
    (folder, arg)
}
