//! One function per subcommand.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gbg_go_host::{
    Client, ClientSettings, ComponentSource, Delivery, Endpoint, Grant, Runtime, RuntimeOptions,
    Secret, StartRequest, StartedJourney, WaitOptions,
};
use gbg_go_simulator::{Simulator, SimulatorConfig};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::args::{
    Cli, Command, ComponentArgs, ComponentKind, ConnectionArgs, DeliveryArg, DemoArgs,
    InteractionCommand, JourneyArgs, PollArgs, SimulateArgs,
};
use crate::exit::{CommandError, Exit};
use crate::files::read_file;
use crate::interactions;
use crate::output::{Output, print_json};

/// How long the demo's end user "reads" the page before submitting it.
const DEMO_USER_DELAY: Duration = Duration::from_millis(1500);

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<Exit, CommandError> {
    let out = Output::new(cli.json);
    let component = cli.component.clone();
    let open = |connection: &ConnectionArgs| {
        let (component, settings) = (component.clone(), connection.settings(out));
        async move { open_settings(component, settings?).await }
    };
    match &cli.command {
        Command::Simulate(args) => simulate(args, out).await,
        Command::Demo(args) => demo(args, component.clone(), out).await,
        Command::Start(args) => {
            let mut client = open(&args.connection).await?;
            let started = client.start_journey(&args.journey.request()?).await?;
            out.started(&started);
            Ok(Exit::Ok)
        }
        Command::State(args) => {
            let mut client = open(&args.instance.connection).await?;
            let state = client
                .fetch_journey_state(&args.instance.instance_id, &args.filter_keys)
                .await?;
            out.state(&state);
            Ok(Exit::Ok)
        }
        Command::Wait(args) => {
            let mut client = open(&args.instance.connection).await?;
            let spinner = out.spinner("waiting for the journey to finish");
            let state = client
                .wait_for_completion(&args.instance.instance_id, args.poll.options()?)
                .await;
            spinner.finish_and_clear();
            let state = state?;
            out.state(&state);
            Ok(Exit::for_status(&state.status))
        }
        Command::Run(args) => {
            let client = open(&args.connection).await?;
            run_journey(client, &args.journey, &args.poll, out, false).await
        }
        Command::Auth(connection) => {
            let token = open(connection).await?.authenticate().await?;
            out.token(&token);
            Ok(Exit::Ok)
        }
        Command::Health(connection) => {
            let message = open(connection).await?.health().await?;
            out.message("message", &message);
            Ok(Exit::Ok)
        }
        Command::Interact(args) => {
            interactions::interact(open(&args.connection).await?, args, out).await
        }
        Command::Interaction(InteractionCommand::Fetch(args)) => {
            interactions::fetch(open(&args.connection).await?, &args.instance_id, out).await
        }
        Command::Interaction(InteractionCommand::Submit(args)) => {
            interactions::submit(open(&args.instance.connection).await?, args, out).await
        }
        Command::Component(args) => write_component(args, out),
        Command::Delete(args) => {
            let mut client = open(&args.connection).await?;
            client.delete_instance(&args.instance_id).await?;
            out.message("deleted", &args.instance_id);
            Ok(Exit::Ok)
        }
    }
}

/// Loads the component and opens a client with `settings`.
async fn open_settings(
    component: Option<std::path::PathBuf>,
    settings: ClientSettings,
) -> Result<Client, CommandError> {
    let runtime = Runtime::new(RuntimeOptions {
        component: component.map_or(ComponentSource::Embedded, ComponentSource::File),
        ..RuntimeOptions::default()
    })?;
    Ok(runtime.open(settings).await?)
}

/// `component`: writes an embedded component (the client or a service build)
/// to a file.
fn write_component(args: &ComponentArgs, out: Output) -> Result<Exit, CommandError> {
    let (name, bytes) = match args.which {
        ComponentKind::Client => ("client", gbg_go_host::GUEST_COMPONENT),
        ComponentKind::Service => ("service", gbg_go_host::SERVICE_COMPONENT),
        ComponentKind::ServiceSpin => ("service-spin", gbg_go_host::SERVICE_SPIN_COMPONENT),
    };
    std::fs::write(&args.out, bytes).map_err(|e| {
        CommandError::usage(format!(
            "cannot write the {name} component to {}: {e}",
            args.out.display()
        ))
    })?;
    let sha256: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if out.is_json() {
        print_json(
            &json!({"component": name, "path": args.out, "bytes": bytes.len(), "sha256": sha256}),
        );
    } else {
        println!(
            "wrote the {name} component ({} bytes, sha256 {sha256}) to {}",
            bytes.len(),
            args.out.display()
        );
    }
    Ok(Exit::Ok)
}

/// `simulate`: serve until Ctrl-C, after saying where and with what. The
/// banner names the address actually bound, and a warning says so when it is
/// not loopback, since the banner prints fixed demo credentials.
async fn simulate(args: &SimulateArgs, out: Output) -> Result<Exit, CommandError> {
    let config = match &args.config {
        Some(path) => SimulatorConfig::from_json_file(path).map_err(|e| {
            CommandError::usage(format!(
                "cannot load the simulator configuration {}: {e}",
                path.display()
            ))
        })?,
        None => SimulatorConfig::default(),
    };
    let names: Vec<String> = config.journeys.iter().map(|j| j.name.clone()).collect();
    let simulator = Simulator::start(config, args.listen)
        .await
        .map_err(|e| CommandError::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    // The simulator names the address clients connect to (loopback for an
    // unspecified address); the port is the one bound.
    let port = parse_url(&simulator.origin())?
        .port()
        .unwrap_or(args.listen.port());
    let bound = SocketAddr::new(args.listen.ip(), port);
    if !bound.ip().is_loopback() {
        out.notice(format!(
            "warning: {bound} is not a loopback address: other machines can reach this \
             simulator, and its demo credentials are printed below; use --listen 127.0.0.1:{port} \
             to keep it on this machine"
        ));
    }
    let credentials = simulator.credentials();
    let journeys: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .filter_map(|name| Some((name.clone(), simulator.journey_resource_id(name)?.into())))
        .collect();
    if out.is_json() {
        print_json(&json!({
            "listen": bound.to_string(),
            "base_url": simulator.base_url(),
            "token_url": simulator.token_url(),
            "resource_id": simulator.resource_id(),
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "journeys": journeys,
        }));
    } else {
        if bound.ip().is_unspecified() {
            println!(
                "GBG GO simulator listening on {bound} (every interface; from this machine: {})",
                simulator.origin()
            );
        } else {
            println!("GBG GO simulator listening on {}", simulator.origin());
        }
        println!("Published journeys (the default first):");
        println!("  {:<10} {}", "default", simulator.resource_id());
        for (name, id) in &journeys {
            println!("  {name:<10} {}", id.as_str().unwrap_or_default());
        }
        println!("In another terminal (these are the simulator's demo credentials):");
        println!("  export GBG_GO_BASE_URL={}", simulator.base_url());
        println!("  export GBG_GO_TOKEN_URL={}", simulator.token_url());
        println!("  export GBG_GO_CLIENT_ID={}", credentials.client_id);
        println!(
            "  export GBG_GO_CLIENT_SECRET={}",
            credentials.client_secret
        );
        println!("  export GBG_GO_RESOURCE_ID='{}'", simulator.resource_id());
        println!("  gbg-go run");
        println!("Press Ctrl-C to stop.");
    }
    shutdown_signal().await;
    simulator.shutdown().await;
    Ok(Exit::Ok)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// `demo`: simulator, client and end user in one process.
async fn demo(
    args: &DemoArgs,
    component: Option<std::path::PathBuf>,
    out: Output,
) -> Result<Exit, CommandError> {
    let simulator = Simulator::start(SimulatorConfig::default(), ([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| CommandError::internal(format!("cannot start the simulator: {e}")))?;
    let resource_id = simulator
        .journey_resource_id(&args.scenario)
        .ok_or_else(|| {
            CommandError::usage(format!(
                "the simulator publishes no journey named {:?}",
                args.scenario
            ))
        })?;
    out.note(format!(
        "GBG GO demo: a hosted journey through the WebAssembly client, against the local simulator at {}",
        simulator.origin()
    ));
    let credentials = simulator.credentials();
    let mut settings = ClientSettings::new(
        Endpoint::BaseUrl(parse_url(&simulator.base_url())?),
        Grant::client_credentials(
            credentials.client_id.clone(),
            Secret::new(credentials.client_secret.clone()),
        ),
    );
    settings.token_url = Some(parse_url(&simulator.token_url())?);
    let mut client = open_settings(component, settings).await?;
    let token = client.authenticate().await?;
    out.note(format!(
        "1. authenticated with client credentials ({} token, valid {} s)",
        token.token_type, token.expires_in_s
    ));
    let journey = JourneyArgs {
        resource_id,
        delivery: DeliveryArg::Page,
        subject: None,
    };
    let poll = PollArgs {
        interval: 0.5,
        timeout: 60.0,
    };
    let exit = run_journey(client, &journey, &poll, out, true).await;
    simulator.shutdown().await;
    exit
}

/// `run` (and the demo): start a hosted journey, show where the user goes,
/// wait for the outcome. With `play_end_user`, also complete the page.
async fn run_journey(
    mut client: Client,
    journey: &JourneyArgs,
    poll: &PollArgs,
    out: Output,
    play_end_user: bool,
) -> Result<Exit, CommandError> {
    if journey.delivery != DeliveryArg::Page {
        return Err(CommandError::usage(
            "run drives hosted journeys only: use --delivery page (API journeys need interactions)",
        ));
    }
    let began = Instant::now();
    let started = client.start_journey(&journey.request()?).await?;
    out.note(format!(
        "2. journey started: instance {}",
        started.instance_id
    ));
    out.hosted_page(&started);
    let end_user = play_end_user.then(|| spawn_end_user(&started));
    let spinner = out.spinner(if play_end_user {
        "3. waiting for the end user (the demo fills in the hosted page)"
    } else {
        "waiting for the end user to complete the journey"
    });
    let state = client
        .wait_for_completion(&started.instance_id, poll.options()?)
        .await;
    spinner.finish_and_clear();
    if let Some(end_user) = end_user {
        end_user
            .await
            .map_err(|e| CommandError::internal(format!("the demo's end user stopped: {e}")))?
            .map_err(|e| CommandError::internal(format!("the demo's end user failed: {e:#}")))?;
        out.note("3. the end user opened the hosted page and submitted the form");
    }
    let state = state?;
    out.outcome(&started, &state, began.elapsed());
    Ok(Exit::for_status(&state.status))
}

/// Plays the end user on the hosted page after a pause, as a person would.
fn spawn_end_user(started: &StartedJourney) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    let url = started.instance_url.clone();
    tokio::spawn(async move {
        let url = url.ok_or_else(|| anyhow::anyhow!("the start answer had no hosted URL"))?;
        tokio::time::sleep(DEMO_USER_DELAY).await;
        Ok(gbg_go_simulator::end_user::complete_hosted_page(&url).await?)
    })
}

fn parse_url(url: &str) -> Result<url::Url, CommandError> {
    url::Url::parse(url)
        .map_err(|e| CommandError::internal(format!("bad simulator URL {url}: {e}")))
}

impl JourneyArgs {
    /// The start request these flags describe; the subject file is read and
    /// must hold a JSON object.
    fn request(&self) -> Result<StartRequest, CommandError> {
        Ok(StartRequest {
            resource_id: self.resource_id.clone(),
            delivery: match self.delivery {
                DeliveryArg::Page => Delivery::Page,
                DeliveryArg::Api => Delivery::Api,
            },
            subject: self
                .subject
                .as_deref()
                .map(|path| read_file(path, "subject"))
                .transpose()?,
        })
    }
}

impl PollArgs {
    /// The wait options, checked.
    pub fn options(&self) -> Result<WaitOptions, CommandError> {
        let millis = |seconds: f64, what: &str| {
            if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 {
                Ok((seconds * 1000.0).round() as u32)
            } else {
                Err(CommandError::usage(format!(
                    "--{what} must be a number of seconds between 0 and 86400, not {seconds}"
                )))
            }
        };
        Ok(WaitOptions {
            poll_interval_ms: millis(self.interval, "interval")?,
            timeout_ms: millis(self.timeout, "timeout")?,
        })
    }
}
