//! Shared set-up: one compiled runtime per test binary, simulators on
//! ephemeral ports, client settings that point at them.

use std::sync::OnceLock;

use gbg_go_host::{
    Client, ClientSettings, Delivery, Endpoint, Grant, JourneyState, Runtime, RuntimeOptions,
    Secret, StartRequest, StartedJourney, WaitOptions,
};
use gbg_go_simulator::{LoggedRequest, Simulator, SimulatorConfig};
use url::Url;

/// The repository's root folder (the tests belong to `host/cli`).
pub fn repository() -> &'static std::path::Path {
    std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The runtime every test shares (the component is compiled once).
pub fn runtime() -> Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            Runtime::new(RuntimeOptions {
                compile_cache: Some(compile_cache()),
                ..RuntimeOptions::default()
            })
            .expect("the embedded component loads")
        })
        .clone()
}

/// A compile cache inside the build's target directory.
pub fn compile_cache() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("gbg-go-cache")
}

/// For a `gbg-go` run with a cleared environment: the shared compile cache,
/// and the variables that place the key of its entries as in this process,
/// so that both trust the same entries.
pub fn compile_cache_env() -> Vec<(&'static str, std::ffi::OsString)> {
    let mut env = vec![("GBG_GO_CACHE_DIR", compile_cache().into_os_string())];
    for name in ["XDG_STATE_HOME", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            env.push((name, value));
        }
    }
    env
}

/// A simulator with the demo configuration on an ephemeral loopback port.
pub async fn simulator() -> Simulator {
    simulator_with(SimulatorConfig::default()).await
}

/// A simulator with `config` on an ephemeral loopback port.
pub async fn simulator_with(config: SimulatorConfig) -> Simulator {
    Simulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("the simulator starts")
}

/// Settings for the simulator's API and token endpoint with its demo
/// client credentials.
pub fn settings(simulator: &Simulator) -> ClientSettings {
    let credentials = simulator.credentials();
    let mut settings = ClientSettings::new(
        Endpoint::BaseUrl(url(&simulator.base_url())),
        Grant::client_credentials(
            credentials.client_id.clone(),
            Secret::new(credentials.client_secret.clone()),
        ),
    );
    settings.token_url = Some(url(&simulator.token_url()));
    settings
}

/// Like [`settings`], with the password grant of the simulator's API user.
pub fn password_settings(simulator: &Simulator) -> ClientSettings {
    let credentials = simulator.credentials();
    let mut settings = settings(simulator);
    settings.grant = Grant::Password {
        client_id: credentials.client_id.clone(),
        client_secret: Secret::new(credentials.client_secret.clone()),
        username: credentials.username.clone(),
        password: Secret::new(credentials.password.clone()),
        scope: None,
    };
    settings
}

/// The `gbg-go` variables for the simulator's API and token endpoint with
/// its demo client credentials.
pub fn cli_env(simulator: &Simulator) -> [(&'static str, String); 4] {
    let credentials = simulator.credentials();
    [
        ("GBG_GO_BASE_URL", simulator.base_url()),
        ("GBG_GO_TOKEN_URL", simulator.token_url()),
        ("GBG_GO_CLIENT_ID", credentials.client_id.clone()),
        ("GBG_GO_CLIENT_SECRET", credentials.client_secret.clone()),
    ]
}

/// Wait options: up to 30 s, polling every `poll_interval_ms`.
pub fn wait_polling(poll_interval_ms: u32) -> WaitOptions {
    WaitOptions {
        poll_interval_ms,
        timeout_ms: 30_000,
    }
}

/// The state instance `id` ends in, polled every `poll_interval_ms` for up
/// to 30 s.
pub async fn ended(client: &mut Client, id: &str, poll_interval_ms: u32) -> JourneyState {
    client
        .wait_for_completion(id, wait_polling(poll_interval_ms))
        .await
        .expect("the journey ends")
}

/// Checks that `error` is the component's `not-found`.
pub fn assert_not_found(error: &gbg_go_host::Error) {
    assert!(
        matches!(error.api(), Some(gbg_go_host::ApiError::NotFound(_))),
        "{error:?}"
    );
}

/// A client of the simulator.
pub async fn client(simulator: &Simulator) -> Client {
    runtime()
        .open(settings(simulator))
        .await
        .expect("the client opens")
}

pub fn url(text: &str) -> Url {
    Url::parse(text).expect("a valid URL")
}

/// How many requests the simulator received for `path` (below the origin).
pub fn count_requests(simulator: &Simulator, path: &str) -> usize {
    simulator
        .request_log()
        .iter()
        .filter(|r| r.path == path)
        .count()
}

/// A hosted journey (`delivery: "page"`) of `resource_id`, without prefill.
pub fn hosted(resource_id: String) -> StartRequest {
    StartRequest {
        resource_id,
        delivery: Delivery::Page,
        subject: None,
    }
}

/// An API journey (`delivery: "api"`) of `resource_id`, without prefill.
pub fn api_journey(resource_id: String) -> StartRequest {
    StartRequest {
        resource_id,
        delivery: Delivery::Api,
        subject: None,
    }
}

/// Starts the hosted journey `resource_id` through `client`.
pub async fn start_hosted(client: &mut Client, resource_id: String) -> StartedJourney {
    client
        .start_journey(&hosted(resource_id))
        .await
        .expect("the journey starts")
}

/// Starts the simulator's `api-kyc` API journey; returns the instance id.
pub async fn start_api_kyc(client: &mut Client, simulator: &Simulator) -> String {
    let resource_id = simulator.journey_resource_id("api-kyc").unwrap();
    client
        .start_journey(&api_journey(resource_id))
        .await
        .expect("the journey starts")
        .instance_id
}

/// The first request the simulator received for `path`.
pub fn first_request(simulator: &Simulator, path: &str) -> LoggedRequest {
    simulator
        .request_log()
        .into_iter()
        .find(|r| r.path == path)
        .unwrap_or_else(|| panic!("no request for {path}"))
}

/// The statuses the simulator answered to `path`, in order; `None` for a
/// dropped connection.
pub fn statuses(simulator: &Simulator, path: &str) -> Vec<Option<u16>> {
    simulator
        .request_log()
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect()
}

/// Fetches the state of instance `id` through `client`, which must get it,
/// and returns the statuses the simulator answered state fetches with.
pub async fn fetched_statuses(
    simulator: &Simulator,
    client: &mut Client,
    id: &str,
) -> Vec<Option<u16>> {
    client.fetch_journey_state(id, &[]).await.unwrap();
    statuses(simulator, "/v2/captain/journey/state/fetch")
}

/// Ends `child` and every process in its group (it was spawned with
/// `process_group(0)`, so the group id is its own id), then reaps it.
pub fn end_process_group(child: &mut std::process::Child) {
    if let Ok(group) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group
        // that `process_group(0)` made for this child; it touches no memory.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("binding an ephemeral loopback port")
        .port()
}

/// Writes `bytes` to `path` through a file of this process renamed into
/// place, so that another test process reading `path` meanwhile (the
/// hostile-guest tests run this binary again) sees the old file or the new
/// one, never a truncated one.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) {
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Credentials no text holds by chance, so that any occurrence of one in
/// output is a leak; `tag` tells the tests that use them apart.
pub fn distinctive_credentials(tag: &str) -> gbg_go_simulator::Credentials {
    gbg_go_simulator::Credentials {
        client_id: format!("{tag}-client"),
        client_secret: format!("{tag}-client-secret-Vb93Kq2Xw7Jd"),
        username: format!("{tag}@example.com"),
        password: format!("{tag}-user-password-Hn58Rt1Zs4Mf"),
    }
}

/// Starts `command` in a process group of its own (ended by
/// [`end_process_group`]), with no input and its output in the file `log`.
pub fn spawn_logged(
    command: &mut std::process::Command,
    log: &std::path::Path,
) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let file = std::fs::File::create(log).expect("creating the log file");
    command
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone().expect("sharing the log file"))
        .stderr(file)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", command.get_program().display()))
}
