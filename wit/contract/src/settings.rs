//! The names of the settings, as the `gbg-go` command and the journey
//! service read them.
//!
//! Every setting has an environment name (`GBG_GO_CLIENT_ID`) and a
//! config-store key, the same name in lower case (`gbg_go_client_id`, as
//! Spin variables must be spelled).

use std::fmt;

/// One setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Setting {
    /// The environment variable, e.g. `GBG_GO_CLIENT_ID`.
    pub env: &'static str,
    /// Whether the value is a credential, to be given from a secret store
    /// and never written into a manifest or shown.
    pub secret: bool,
}

impl Setting {
    /// The config-store key (a Spin variable's name): the environment name
    /// in lower case.
    pub fn config_key(&self) -> String {
        self.env.to_ascii_lowercase()
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.env)
    }
}

const fn plain(env: &'static str) -> Setting {
    Setting { env, secret: false }
}

const fn secret(env: &'static str) -> Setting {
    Setting { env, secret: true }
}

/// `eu`, `us` or `au`; ignored when [`BASE_URL`] is set.
pub const REGION: Setting = plain("GBG_GO_REGION");
/// An explicit API base up to `/v2/captain`.
pub const BASE_URL: Setting = plain("GBG_GO_BASE_URL");
/// The OAuth token URL.
pub const TOKEN_URL: Setting = plain("GBG_GO_TOKEN_URL");
/// The API client id.
pub const CLIENT_ID: Setting = plain("GBG_GO_CLIENT_ID");
/// The API client secret.
pub const CLIENT_SECRET: Setting = secret("GBG_GO_CLIENT_SECRET");
/// The API user; selects the password grant.
pub const USERNAME: Setting = plain("GBG_GO_USERNAME");
/// The API user's password.
pub const PASSWORD: Setting = secret("GBG_GO_PASSWORD");
/// The OAuth scope.
pub const SCOPE: Setting = plain("GBG_GO_SCOPE");
/// What a relative hosted-journey URL is resolved against.
pub const HOSTED_BASE_URL: Setting = plain("GBG_GO_HOSTED_BASE_URL");
/// The `X-GBG-Source` header value.
pub const SOURCE: Setting = plain("GBG_GO_SOURCE");
/// `customer` or `end-user`: which token interaction calls present.
pub const INTERACTION_AUTH: Setting = plain("GBG_GO_INTERACTION_AUTH");
/// The published journey to start when none is named.
pub const RESOURCE_ID: Setting = plain("GBG_GO_RESOURCE_ID");
/// The key callers of the journey service present as `Authorization:
/// Bearer <key>`.
pub const SERVICE_KEY: Setting = secret("GBG_GO_SERVICE_KEY");
/// The Basic user name GBG's Webhook module sends.
pub const WEBHOOK_USERNAME: Setting = plain("GBG_GO_WEBHOOK_USERNAME");
/// The Basic password GBG's Webhook module sends.
pub const WEBHOOK_PASSWORD: Setting = secret("GBG_GO_WEBHOOK_PASSWORD");
/// The header that carries the Webhook module's API key.
pub const WEBHOOK_HEADER: Setting = plain("GBG_GO_WEBHOOK_HEADER");
/// The Webhook module's API key.
pub const WEBHOOK_KEY: Setting = secret("GBG_GO_WEBHOOK_KEY");
/// Where the journey service shares tokens between instances (and keeps
/// its idempotency records).
pub const TOKEN_STORE: Setting = plain("GBG_GO_TOKEN_STORE");
/// Where the journey service sends its signed completion events.
pub const EVENTS_URL: Setting = plain("GBG_GO_EVENTS_URL");
/// The Standard Webhooks secret (`whsec_` + base64) events are signed with.
pub const EVENTS_SECRET: Setting = secret("GBG_GO_EVENTS_SECRET");
/// `true` to put the journey's whole state document, personal data
/// included, into each event.
pub const EVENTS_INCLUDE_STATE: Setting = plain("GBG_GO_EVENTS_INCLUDE_STATE");
/// How long a request body may take to arrive, in milliseconds.
pub const BODY_TIMEOUT_MS: Setting = plain("GBG_GO_BODY_TIMEOUT_MS");

/// A prebuilt client component (`gbg_go_client.wasm`) for the packages'
/// builds and the host's build, instead of building it with cargo.
pub const COMPONENT: Setting = plain("GBG_GO_COMPONENT");
/// The `gbg-go` command's log filter.
pub const LOG: Setting = plain("GBG_GO_LOG");
/// The folder of the compiled-component cache.
pub const CACHE_DIR: Setting = plain("GBG_GO_CACHE_DIR");

/// Every setting the journey service reads.
pub const SERVICE: &[Setting] = &[
    REGION,
    BASE_URL,
    TOKEN_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    USERNAME,
    PASSWORD,
    SCOPE,
    HOSTED_BASE_URL,
    SOURCE,
    INTERACTION_AUTH,
    RESOURCE_ID,
    SERVICE_KEY,
    WEBHOOK_USERNAME,
    WEBHOOK_PASSWORD,
    WEBHOOK_HEADER,
    WEBHOOK_KEY,
    TOKEN_STORE,
    EVENTS_URL,
    EVENTS_SECRET,
    EVENTS_INCLUDE_STATE,
    BODY_TIMEOUT_MS,
];
