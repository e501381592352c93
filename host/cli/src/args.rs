//! The command line, as clap sees it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use gbg_go_host::contract::settings;

/// Run GBG GO v2 identity-verification journeys through a sandboxed
/// WebAssembly client.
///
/// Credentials come from the environment (GBG_GO_CLIENT_ID, GBG_GO_CLIENT_SECRET,
/// GBG_GO_USERNAME, GBG_GO_PASSWORD) or from files; secrets are never accepted
/// as command-line values and never printed.
#[derive(Debug, Parser)]
#[command(name = "gbg-go", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Run this component file instead of the embedded build.
    #[arg(long, global = true, value_name = "PATH")]
    pub component: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the local GBG GO simulator until interrupted.
    Simulate(SimulateArgs),
    /// Run a complete hosted journey against the built-in simulator, playing
    /// the end user too. Needs no set-up.
    Demo(DemoArgs),
    /// Start a journey and print its instance id and hosted URL.
    Start(StartArgs),
    /// Fetch a journey instance's state.
    State(StateArgs),
    /// Wait until a journey instance leaves InProgress.
    Wait(WaitArgs),
    /// Start a hosted journey, show its URL, wait for the outcome.
    Run(RunArgs),
    /// Fetch a token and show its lifetime (never the token).
    Auth(ConnectionArgs),
    /// Ask the service whether it is up.
    Health(ConnectionArgs),
    /// Delete a journey instance's state.
    Delete(InstanceArgs),
    /// Run an API journey from a file of answers, printing each interaction
    /// and what remains outstanding.
    Interact(InteractArgs),
    /// Fetch or submit one interaction of an API journey.
    #[command(subcommand)]
    Interaction(InteractionCommand),
    /// Write a component file: exactly the build this command embeds and
    /// its tests ran.
    Component(ComponentArgs),
}

#[derive(Debug, Args)]
pub struct ComponentArgs {
    /// The client (exports gbg:go/client, for hosts that embed it) or the
    /// journey service (exports wasi:http/incoming-handler): `service` for
    /// wasmtime serve, jco serve and wasmCloud, `service-spin` for Spin 3
    /// and later.
    #[arg(value_enum)]
    pub which: ComponentKind,
    /// Where to write it.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

/// Which component to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ComponentKind {
    /// The `gbg-go` world: the client.
    Client,
    /// The `service` world: the journey service.
    Service,
    /// The `service-spin` world: the journey service with Spin's drafts of
    /// the config and key-value stores.
    ServiceSpin,
}

impl Cli {
    /// Parses the command line (exiting with clap's message on bad usage)
    /// and records where the endpoint settings came from.
    pub fn parse_recording_origins() -> Self {
        let matches = Self::command().get_matches();
        let mut cli = Self::from_arg_matches(&matches)
            .unwrap_or_else(|e| e.format(&mut Self::command()).exit());
        let mut leaf = &matches;
        while let Some((_, sub)) = leaf.subcommand() {
            leaf = sub;
        }
        if let Some(connection) = cli.command.connection_mut() {
            connection.origins = EndpointOrigins::of(leaf);
        }
        cli
    }
}

impl Command {
    /// The connection flags of a command that talks to GBG GO.
    fn connection_mut(&mut self) -> Option<&mut ConnectionArgs> {
        match self {
            Command::Simulate(_) | Command::Demo(_) | Command::Component(_) => None,
            Command::Start(StartArgs { connection, .. })
            | Command::Run(RunArgs { connection, .. })
            | Command::Interact(InteractArgs { connection, .. })
            | Command::Auth(connection)
            | Command::Health(connection)
            | Command::Delete(InstanceArgs { connection, .. })
            | Command::Interaction(InteractionCommand::Fetch(InstanceArgs {
                connection, ..
            })) => Some(connection),
            Command::State(StateArgs { instance, .. })
            | Command::Wait(WaitArgs { instance, .. })
            | Command::Interaction(InteractionCommand::Submit(SubmitArgs { instance, .. })) => {
                Some(&mut instance.connection)
            }
        }
    }
}

/// Single interaction steps.
#[derive(Debug, Subcommand)]
pub enum InteractionCommand {
    /// Fetch the interaction the journey waits on (or learn that none is ready).
    Fetch(InstanceArgs),
    /// Submit data for an interaction.
    Submit(SubmitArgs),
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    pub instance: InstanceArgs,
    /// The interaction being answered (from `interaction fetch`).
    #[arg(long, value_name = "ID")]
    pub interaction_id: String,
    /// A domain element this submission covers (repeat for several).
    #[arg(long = "element", value_name = "REF", required = true)]
    pub elements: Vec<String>,
    /// A JSON file with the context.subject data for those elements.
    #[arg(long, value_name = "FILE")]
    pub subject: PathBuf,
}

#[derive(Debug, Args)]
pub struct InteractArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Published journey: <resource id>@<version> or <resource id>@latest.
    #[arg(long, env = settings::RESOURCE_ID.env, value_name = "ID")]
    pub resource_id: String,
    /// Answers: a JSON object mapping domain elements to subject pieces.
    #[arg(long, value_name = "FILE")]
    pub answers: PathBuf,
    /// Prefill subject: a JSON file with the context.subject object.
    #[arg(long, value_name = "FILE")]
    pub subject: Option<PathBuf>,
    #[command(flatten)]
    pub poll: PollArgs,
}

/// Where GBG GO is and who we are.
///
/// The region, base URL and token URL are taken together: from the flags
/// when any of them is a flag, else from the environment (see
/// `ConnectionArgs::settings`).
#[derive(Debug, Args, Clone)]
pub struct ConnectionArgs {
    /// GBG GO region (conflicts with --base-url).
    #[arg(long, env = settings::REGION.env, value_enum)]
    pub region: Option<RegionArg>,
    /// API base URL up to /v2/captain, e.g. a simulator's (conflicts with --region).
    #[arg(long, env = settings::BASE_URL.env, value_name = "URL")]
    pub base_url: Option<url::Url>,
    /// OAuth token URL [default: GBG's documented token endpoint].
    #[arg(long, env = settings::TOKEN_URL.env, value_name = "URL")]
    pub token_url: Option<url::Url>,
    /// API client id.
    #[arg(long, env = settings::CLIENT_ID.env, value_name = "ID")]
    pub client_id: Option<String>,
    /// Read the client secret from this file (else GBG_GO_CLIENT_SECRET).
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,
    /// API username; selects the password grant.
    #[arg(long, env = settings::USERNAME.env, value_name = "NAME")]
    pub username: Option<String>,
    /// Read the password from this file (else GBG_GO_PASSWORD).
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// OAuth scope [default for client credentials: gbg.token].
    #[arg(long, env = settings::SCOPE.env)]
    pub scope: Option<String>,
    /// Base URL for resolving a relative hosted-journey URL.
    #[arg(long, env = settings::HOSTED_BASE_URL.env, value_name = "URL")]
    pub hosted_base_url: Option<url::Url>,
    /// Value of the X-GBG-Source header.
    #[arg(long, env = settings::SOURCE.env)]
    pub source: Option<String>,
    /// Attempts per call for transient failures (429, 5xx, connection errors).
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,
    /// Which token interaction calls present: the customer token, or an
    /// end-user token obtained through device/start and device/connect.
    #[arg(long, env = settings::INTERACTION_AUTH.env, value_enum)]
    pub interaction_auth: Option<InteractionAuthArg>,
    /// Where `region`, `base_url` and `token_url` came from.
    #[arg(skip)]
    pub origins: EndpointOrigins,
}

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A flag on the command line.
    Flag,
    /// An environment variable.
    Environment,
}

/// Where each endpoint setting came from; `None` when it is unset.
#[derive(Debug, Clone, Copy, Default)]
pub struct EndpointOrigins {
    pub region: Option<Origin>,
    pub base_url: Option<Origin>,
    pub token_url: Option<Origin>,
}

impl EndpointOrigins {
    /// The origins clap recorded in the matches of a command with
    /// [`ConnectionArgs`].
    fn of(matches: &ArgMatches) -> Self {
        let origin = |id: &str| match matches.value_source(id)? {
            ValueSource::CommandLine => Some(Origin::Flag),
            ValueSource::EnvVariable => Some(Origin::Environment),
            _ => None,
        };
        Self {
            region: origin("region"),
            base_url: origin("base_url"),
            token_url: origin("token_url"),
        }
    }
}

/// Which token interaction calls present.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InteractionAuthArg {
    Customer,
    EndUser,
}

/// A GBG GO region.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RegionArg {
    Eu,
    Us,
    Au,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// A simulator configuration file (JSON): journeys, scenarios, fault knobs.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which simulator journey to run (accept, reject, refer, fail, pause, slow).
    #[arg(long, default_value = "accept")]
    pub scenario: String,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub journey: JourneyArgs,
}

/// Which journey to start, and how.
#[derive(Debug, Args, Clone)]
pub struct JourneyArgs {
    /// Published journey: <resource id>@<version> or <resource id>@latest.
    #[arg(long, env = settings::RESOURCE_ID.env, value_name = "ID")]
    pub resource_id: String,
    /// Hosted pages (page) or your own UI through interactions (api).
    #[arg(long, value_enum, default_value_t = DeliveryArg::Page)]
    pub delivery: DeliveryArg,
    /// Prefill subject: a JSON file with the context.subject object.
    #[arg(long, value_name = "FILE")]
    pub subject: Option<PathBuf>,
}

/// How the end user takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeliveryArg {
    Page,
    Api,
}

#[derive(Debug, Args)]
pub struct InstanceArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The journey instance id (from start). It may begin with `-`.
    #[arg(allow_hyphen_values = true)]
    pub instance_id: String,
}

#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(flatten)]
    pub instance: InstanceArgs,
    /// Only these state keys (sent as filterKeys).
    #[arg(long = "filter-key", value_name = "KEY")]
    pub filter_keys: Vec<String>,
}

/// How to poll.
#[derive(Debug, Args, Clone, Copy)]
pub struct PollArgs {
    /// Seconds between state polls.
    #[arg(long, default_value_t = 2.0, value_name = "S")]
    pub interval: f64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600.0, value_name = "S")]
    pub timeout: f64,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub instance: InstanceArgs,
    #[command(flatten)]
    pub poll: PollArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub journey: JourneyArgs,
    #[command(flatten)]
    pub poll: PollArgs,
}
