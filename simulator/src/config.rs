//! The simulator's configuration: credentials, published journeys (scenarios), how
//! interaction calls authenticate, and the initial fault knobs. Loadable from JSON.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain_elements;
use crate::faults::Faults;
use crate::scenarios;

/// The scope the `client_credentials` grant must ask for.
pub const SCOPE: &str = "gbg.token";

/// Everything the simulator serves. `Default` is the demo set-up: demo credentials and
/// every built-in scenario (see [`scenarios`](crate::scenarios)), default journey `accept`.
///
/// Fields missing from a JSON file take their demo values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulatorConfig {
    /// The credentials the token endpoint accepts.
    pub credentials: Credentials,
    /// Which bearer tokens the interaction calls accept.
    pub interaction_auth: InteractionAuth,
    /// What `journey/interaction/fetch` answers while no interaction is ready.
    pub not_ready_answer: NotReadyAnswer,
    /// Whether an interaction's `outstanding` list shrinks as elements are accepted.
    pub outstanding: Outstanding,
    /// The `name` of the journey [`Simulator::resource_id`](crate::Simulator::resource_id) names.
    pub default_journey: String,
    /// The published journeys.
    pub journeys: Vec<JourneyConfig>,
    /// The fault knobs in force when the simulator starts.
    pub faults: Faults,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            credentials: Credentials::default(),
            interaction_auth: InteractionAuth::Either,
            not_ready_answer: NotReadyAnswer::default(),
            outstanding: Outstanding::default(),
            default_journey: scenarios::DEFAULT_JOURNEY.to_owned(),
            journeys: scenarios::demo_journeys(),
            faults: Faults::default(),
        }
    }
}

impl SimulatorConfig {
    /// Reads and validates a JSON configuration file.
    pub fn from_json_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(ConfigError::Read)?;
        Self::from_json_str(&text)
    }

    /// Parses and validates a JSON configuration.
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        let config: SimulatorConfig = serde_json::from_str(text).map_err(ConfigError::Parse)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the rules serde cannot express: unique names and resource ids, well-formed
    /// ids and versions, a known default journey, known domain elements.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.credentials.validate()?;
        if self.journeys.is_empty() {
            return invalid("at least one journey must be published");
        }
        let mut names = HashSet::new();
        let mut resource_ids = HashSet::new();
        for journey in &self.journeys {
            journey.validate()?;
            if !names.insert(journey.name.as_str()) {
                return invalid(format!("journey name `{}` is used twice", journey.name));
            }
            if !resource_ids.insert(journey.resource_id.as_str()) {
                return invalid(format!(
                    "journey `{}` reuses another journey's resource_id",
                    journey.name
                ));
            }
        }
        if !names.contains(self.default_journey.as_str()) {
            return invalid(format!(
                "default_journey `{}` is not a published journey",
                self.default_journey
            ));
        }
        Ok(())
    }
}

/// A configuration that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file: {0}")]
    Read(#[source] std::io::Error),
    /// The file is not JSON of the expected shape.
    #[error("the configuration is not valid JSON of the expected shape: {0}")]
    Parse(#[source] serde_json::Error),
    /// The configuration breaks a rule (see [`SimulatorConfig::validate`]).
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

fn invalid<T>(message: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError::Invalid(message.into()))
}

/// Whether `text` is a non-empty run of ASCII letters, digits, `-` and `_` (journey
/// names, interaction ids).
fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
}

/// The credentials the token endpoint accepts. `Debug` never shows the secret or password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The `client_id` of both grants.
    pub client_id: String,
    /// The `client_secret` of both grants.
    pub client_secret: String,
    /// The `username` of the `password` grant.
    pub username: String,
    /// The `password` of the `password` grant.
    pub password: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            client_id: "simulator-client".to_owned(),
            client_secret: "simulator-secret".to_owned(),
            username: "api-user@example.com".to_owned(),
            password: "simulator-password".to_owned(),
        }
    }
}

impl Credentials {
    /// The form of a `client_credentials` token request with these credentials.
    pub fn client_credentials_form(&self) -> [(&str, &str); 4] {
        [
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("scope", SCOPE),
        ]
    }

    /// The form of a `password` token request with these credentials.
    pub fn password_form(&self) -> [(&str, &str); 5] {
        [
            ("grant_type", "password"),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("username", &self.username),
            ("password", &self.password),
        ]
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fields = [
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("username", &self.username),
            ("password", &self.password),
        ];
        match fields.iter().find(|(_, value)| value.is_empty()) {
            Some((name, _)) => invalid(format!("credentials.{name} must not be empty")),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// Which bearer tokens `journey/interaction/fetch` and `journey/interaction/submit` accept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionAuth {
    /// Only the customer access token from the token endpoint.
    Customer,
    /// Only an end-user token from `journey/device/connect`, for the same instance.
    EndUser,
    /// Either of them.
    #[default]
    Either,
}

/// What `journey/interaction/fetch` answers (200) while no interaction is ready: while
/// modules run, while the journey waits for its hosted page, and after it ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotReadyAnswer {
    /// `{instanceId, journey{status}, processing}`, the shape GBG's later SDK revisions
    /// document (see the README).
    #[default]
    Status,
    /// `{status:"error", code:404, message}`, the in-body error branch of GBG's
    /// OpenAPI file.
    Error,
}

/// How an interaction's `outstanding` list behaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outstanding {
    /// It lists what is still required and shrinks as elements are accepted (the docs).
    #[default]
    Shrinking,
    /// It lists every required entry of the interaction after every submit, and the
    /// interaction is shown again while its processing gap runs (as GBG's sample backend
    /// reports from a live tenant).
    Static,
}

/// One published journey: a scenario with a resource id and version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JourneyConfig {
    /// The scenario name, e.g. `accept`; unique.
    pub name: String,
    /// The journey name shown on the hosted page and in `context.process.journey.name`.
    pub title: String,
    /// The journey resource id: 64 lowercase hex digits; unique.
    pub resource_id: String,
    /// The published version, e.g. `y5z6bj7o`; `@latest` resolves to it.
    pub version: String,
    /// How the journey ends once it completes.
    pub outcome: Outcome,
    /// What makes the journey complete.
    pub completion: Completion,
}

impl JourneyConfig {
    /// `<resource_id>@<version>`, the pinned id to send to `journey/start`.
    pub fn pinned_resource_id(&self) -> String {
        format!("{}@{}", self.resource_id, self.version)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let name = &self.name;
        if !is_identifier(name) {
            return invalid(format!(
                "journey name `{name}` must be non-empty ASCII letters, digits, `-` or `_`"
            ));
        }
        if self.title.trim().is_empty() || self.title.chars().count() > 128 {
            return invalid(format!(
                "journey `{name}`: title must be 1 to 128 characters"
            ));
        }
        let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if self.resource_id.len() != 64 || !self.resource_id.chars().all(hex) {
            return invalid(format!(
                "journey `{name}`: resource_id must be 64 lowercase hex digits"
            ));
        }
        let version_char = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
        if self.version.is_empty()
            || self.version.len() > 64
            || self.version == "latest"
            || !self.version.chars().all(version_char)
        {
            return invalid(format!(
                "journey `{name}`: version must be 1 to 64 of A-Z a-z 0-9 _ . - and not `latest`"
            ));
        }
        if let Completion::Interactions { interactions, .. } = &self.completion {
            validate_interactions(name, interactions)?;
        }
        Ok(())
    }
}

/// How a journey ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `Completed`, decision `Decision: Accept`.
    Accept,
    /// `Completed`, decision `Decision: Reject`.
    Reject,
    /// `Completed`, decision `Decision: Manual review`.
    Refer,
    /// `Failed`, with a `MODULE_EXECUTION_FAILED` module error.
    Fail,
    /// `Paused`, waiting for a manual review.
    Pause,
}

/// What makes a journey reach its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Completion {
    /// The person submits the hosted page; then `polls_after_submit` more fetches answer
    /// `InProgress` before the outcome is reached. Started with `delivery: "api"`, the
    /// page's form is one interaction of the same domain elements instead.
    HostedPage {
        /// Fetches answered `InProgress` after the page was submitted.
        #[serde(default)]
        polls_after_submit: u32,
    },
    /// Nobody needs to do anything: `polls` fetches answer `InProgress`, the next one
    /// sees the outcome (0: it is there at once).
    Polls {
        /// Fetches answered `InProgress` before the outcome.
        polls: u32,
    },
    /// An API journey: the interactions in order, each followed by a processing gap of
    /// `processing_fetches` fetches without an interaction. Started with
    /// `delivery: "page"`, the hosted page replaces all interactions.
    Interactions {
        /// The interactions, in order; at least one.
        interactions: Vec<InteractionConfig>,
        /// Fetches answered without an interaction after each interaction.
        #[serde(default)]
        processing_fetches: u32,
    },
}

/// One interaction of an API journey.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionConfig {
    /// The short id; the interaction id is `grn:::gbg:design:interaction:<id>@latest`.
    pub id: String,
    /// The resource name shown in `interaction.resource.name`.
    pub name: String,
    /// The UI description in `interaction.resource.data.pages`.
    pub pages: Vec<PageConfig>,
    /// The domain elements it collects; at least one.
    pub collects: Vec<ElementConfig>,
    /// The domain elements it shows read-only.
    #[serde(default)]
    pub consumes: Vec<ElementConfig>,
}

impl InteractionConfig {
    /// `grn:::gbg:design:interaction:<id>@latest`.
    pub fn gr_id(&self) -> String {
        format!("grn:::gbg:design:interaction:{}@latest", self.id)
    }

    /// The `outstanding` list before anything was submitted: the slots of every
    /// required element.
    pub fn initial_outstanding(&self) -> Vec<String> {
        self.collects
            .iter()
            .filter(|element| element.spec == ElementSpec::Required)
            .flat_map(ElementConfig::slots)
            .collect()
    }
}

/// One page of an interaction's UI description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageConfig {
    /// The page id, e.g. `personal_details`.
    pub id: String,
    /// The page label, e.g. `Personal details`.
    pub label: String,
    /// The card ids on the page, e.g. `NameCard`.
    pub cards: Vec<String>,
}

/// A domain element an interaction collects or consumes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElementConfig {
    /// The domain element, e.g. `FullName` or `PrimaryDocument`.
    #[serde(rename = "ref")]
    pub element: String,
    /// `required`, `optional` or `conditional`.
    pub spec: ElementSpec,
    /// For a required element, the entries it puts in `outstanding` (e.g.
    /// `PrimaryDocument/side1Image`); the element itself when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outstanding: Vec<String>,
}

impl ElementConfig {
    /// The `outstanding` entries of this element.
    pub fn slots(&self) -> Vec<String> {
        if self.outstanding.is_empty() {
            vec![self.element.clone()]
        } else {
            self.outstanding.clone()
        }
    }
}

/// How strongly an interaction asks for an element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementSpec {
    /// Must be submitted before the interaction completes.
    Required,
    /// May be submitted.
    Optional,
    /// Required depending on other answers (treated as optional).
    Conditional,
}

fn validate_interactions(
    journey: &str,
    interactions: &[InteractionConfig],
) -> Result<(), ConfigError> {
    if interactions.is_empty() {
        return invalid(format!(
            "journey `{journey}`: interactions must not be empty"
        ));
    }
    let mut ids = HashSet::new();
    for interaction in interactions {
        let id = &interaction.id;
        if !is_identifier(id) {
            return invalid(format!(
                "journey `{journey}`: interaction id `{id}` must be ASCII letters, digits, `-` or `_`"
            ));
        }
        if !ids.insert(id.as_str()) {
            return invalid(format!(
                "journey `{journey}`: interaction id `{id}` is used twice"
            ));
        }
        if interaction.name.is_empty() || interaction.name.chars().count() > 128 {
            return invalid(format!(
                "journey `{journey}`, interaction `{id}`: name must be 1 to 128 characters"
            ));
        }
        if interaction.collects.is_empty() {
            return invalid(format!(
                "journey `{journey}`, interaction `{id}`: collects must not be empty"
            ));
        }
        for element in interaction.collects.iter().chain(&interaction.consumes) {
            for slot in std::iter::once(&element.element).chain(&element.outstanding) {
                if !domain_elements::is_known(slot) {
                    return invalid(format!(
                        "journey `{journey}`, interaction `{id}`: unknown domain element `{slot}` (known: {})",
                        domain_elements::KNOWN.join(", ")
                    ));
                }
            }
            if let Some(slot) = element
                .outstanding
                .iter()
                .find(|slot| !domain_elements::covers(&element.element, slot))
            {
                return invalid(format!(
                    "journey `{journey}`, interaction `{id}`: outstanding entry `{slot}` is not part of `{}`",
                    element.element
                ));
            }
        }
    }
    Ok(())
}
