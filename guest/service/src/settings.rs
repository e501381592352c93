//! The service's settings: where their values come from, and the
//! configuration they resolve to. Their names are the contract's
//! ([`gbg_go_contract::settings`]).
//!
//! Every setting has an environment name (`GBG_GO_CLIENT_ID`, the names of
//! the `gbg-go` command) and a config-store key, the same name in lower case
//! (`gbg_go_client_id`, as Spin variables must be spelled). A value in the
//! engine's config store wins over the environment; a blank value counts
//! as unset, also in the config store, which can so revoke a value the
//! environment gives.

use std::fmt;

use gbg_go_contract::Secret;
use gbg_go_contract::defaults::{BODY_TIMEOUT_MS as DEFAULT_BODY_TIMEOUT_MS, MIN_KEY_CHARS};
use gbg_go_contract::hosts::is_loopback;
pub use gbg_go_contract::settings::*;
use gbg_go_core::types::{
    ClientConfig, ClientCredentialsGrant, Endpoint, Grant, InteractionAuth, PasswordGrant, Region,
};
use url::Url;

use crate::events::{Events, SigningKey};
pub use crate::problem::ConfigError;

/// The bucket [`StoreChoice::KeyValue`] opens when none is named:
/// Spin's default key-value store.
pub const DEFAULT_BUCKET: &str = "default";

/// The setting behind a `client-config` field the protocol core refused.
pub fn for_config_field(field: &str) -> Option<Setting> {
    Some(match field {
        "config.endpoint.base-url" => BASE_URL,
        "config.endpoint.region" => REGION,
        "config.token-url" => TOKEN_URL,
        "config.hosted-base-url" => HOSTED_BASE_URL,
        "config.source" => SOURCE,
        "config.grant.client-id" => CLIENT_ID,
        "config.grant.client-secret" => CLIENT_SECRET,
        "config.grant.username" => USERNAME,
        "config.grant.password" => PASSWORD,
        "config.grant.scope" => SCOPE,
        _ => return None,
    })
}

/// Where setting values come from.
pub trait Source {
    /// The raw value of `setting`, if it has one.
    fn get(&self, setting: Setting) -> Option<String>;
}

fn refuse(setting: Setting, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        setting,
        reason: reason.into(),
    }
}

/// How GBG's Webhook module authenticates its notifications.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookAuth {
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An API key in the header `header`.
    Header {
        /// The header name, lower case.
        header: String,
        /// The key.
        key: Secret,
    },
}

/// Where customer tokens and idempotency records are kept between requests
/// (the value of [`TOKEN_STORE`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// `keyvalue[:<bucket>]`: a `wasi:keyvalue` bucket, [`DEFAULT_BUCKET`]
    /// when none is named (the default). Shared by every instance the
    /// engine connects to that bucket.
    KeyValue(String),
    /// `dir:<path>`: files in a directory the engine maps in (`wasmtime
    /// serve --dir`), shared by the instances on that machine.
    Directory(String),
    /// `instance`: the instance's memory, shared only by the requests that
    /// one instance serves.
    Instance,
}

impl StoreChoice {
    fn parse(text: &str) -> Result<Self, ConfigError> {
        match text.split_once(':') {
            None if text == "keyvalue" => Ok(Self::KeyValue(DEFAULT_BUCKET.to_owned())),
            None if text == "instance" => Ok(Self::Instance),
            Some(("keyvalue", bucket)) => Ok(Self::KeyValue(bucket.to_owned())),
            Some(("dir", path)) if !path.is_empty() => Ok(Self::Directory(path.to_owned())),
            _ => Err(refuse(
                TOKEN_STORE,
                "must be keyvalue, keyvalue:<bucket>, dir:<path> or instance",
            )),
        }
    }
}

impl fmt::Display for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyValue(bucket) => write!(f, "the wasi:keyvalue bucket {bucket:?}"),
            Self::Directory(path) => write!(f, "the directory {path}"),
            Self::Instance => f.write_str("the instance's memory"),
        }
    }
}

/// What GBG GO calls need: the client's configuration and the journey to
/// start by default. Its `Debug` output leaves the configuration out, since
/// that holds the credentials.
#[derive(Clone, PartialEq)]
pub struct Gbg {
    /// The client configuration.
    pub client: ClientConfig,
    /// [`RESOURCE_ID`], when set.
    pub resource_id: Option<String>,
}

impl fmt::Debug for Gbg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gbg")
            .field("resource_id", &self.resource_id)
            .finish_non_exhaustive()
    }
}

/// The service's configuration, resolved per request. Parts that are
/// missing or wrong are kept as errors so that only the routes needing them
/// fail, each naming the setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The caller key; `None` refuses every protected route (fail closed).
    pub service_key: Result<Secret, ConfigError>,
    /// The Webhook module's credentials; an error refuses every notification.
    pub webhook: Result<WebhookAuth, ConfigError>,
    /// Where tokens are shared and idempotency records kept.
    pub store: Result<StoreChoice, ConfigError>,
    /// Everything a GBG GO call needs.
    pub gbg: Result<Gbg, ConfigError>,
    /// Where and how completion events go; `None` sends none.
    pub events: Result<Option<Events>, ConfigError>,
    /// How long a request body may take to arrive, in milliseconds.
    pub body_timeout_ms: Result<u64, ConfigError>,
}

impl Config {
    /// Resolves every setting from `source`.
    pub fn resolve(source: &dyn Source) -> Self {
        let values = Values(source);
        Self {
            service_key: values.key(SERVICE_KEY).and_then(|key| {
                key.ok_or_else(|| {
                    refuse(SERVICE_KEY, "is not set: every call is refused until it is")
                })
            }),
            webhook: webhook(&values),
            store: values.get(TOKEN_STORE).map_or(
                Ok(StoreChoice::KeyValue(DEFAULT_BUCKET.to_owned())),
                |text| StoreChoice::parse(&text),
            ),
            gbg: gbg(&values),
            events: events(&values),
            body_timeout_ms: values.get(BODY_TIMEOUT_MS).map_or(
                Ok(DEFAULT_BODY_TIMEOUT_MS),
                |text| match text.parse::<u64>() {
                    Ok(ms) if (1..=MAX_BODY_TIMEOUT_MS).contains(&ms) => Ok(ms),
                    _ => Err(refuse(
                        BODY_TIMEOUT_MS,
                        format!("must be a number of milliseconds from 1 to {MAX_BODY_TIMEOUT_MS}"),
                    )),
                },
            ),
        }
    }
}

/// A source whose blank values count as unset.
struct Values<'a>(&'a dyn Source);

impl Values<'_> {
    fn get(&self, setting: Setting) -> Option<String> {
        self.0
            .get(setting)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    fn secret(&self, setting: Setting) -> Option<Secret> {
        self.get(setting).map(Secret::new)
    }

    /// A key callers present: refused when shorter than [`MIN_KEY_CHARS`].
    fn key(&self, setting: Setting) -> Result<Option<Secret>, ConfigError> {
        match self.secret(setting) {
            Some(key) if key.expose().chars().count() < MIN_KEY_CHARS => Err(refuse(
                setting,
                format!(
                    "is shorter than {MIN_KEY_CHARS} characters: make one with \
                     `openssl rand -hex 32`"
                ),
            )),
            key => Ok(key),
        }
    }

    fn required(&self, setting: Setting) -> Result<String, ConfigError> {
        self.get(setting)
            .ok_or_else(|| refuse(setting, "is not set"))
    }

    /// A URL the service sends to: plain `http` only to this machine, so
    /// that no credential or personal data crosses a network in clear.
    fn url(&self, setting: Setting) -> Result<Option<String>, ConfigError> {
        let Some(text) = self.get(setting) else {
            return Ok(None);
        };
        // A URL that does not parse is the protocol core's to name.
        if let Ok(url) = Url::parse(&text)
            && url.scheme().eq_ignore_ascii_case("http")
            && !url
                .host_str()
                .is_some_and(|host| is_loopback(host.trim_start_matches('[').trim_end_matches(']')))
        {
            return Err(refuse(
                setting,
                "is plain http to a host other than this machine: use https (plain http is \
                 allowed to loopback only)",
            ));
        }
        Ok(Some(text))
    }
}

/// The longest accepted [`BODY_TIMEOUT_MS`], in milliseconds.
pub const MAX_BODY_TIMEOUT_MS: u64 = 300_000;

fn webhook(values: &Values<'_>) -> Result<WebhookAuth, ConfigError> {
    let basic = (values.get(WEBHOOK_USERNAME), values.key(WEBHOOK_PASSWORD)?);
    let header = (values.get(WEBHOOK_HEADER), values.key(WEBHOOK_KEY)?);
    match (basic, header) {
        ((Some(username), Some(password)), (None, None)) => {
            Ok(WebhookAuth::Basic { username, password })
        }
        ((None, None), (Some(header), Some(key))) => {
            if header.is_empty()
                || !header
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(refuse(
                    WEBHOOK_HEADER,
                    "must be a header name (letters, digits, '-')",
                ));
            }
            Ok(WebhookAuth::Header {
                header: header.to_ascii_lowercase(),
                key,
            })
        }
        ((None, None), (None, None)) => Err(refuse(
            WEBHOOK_USERNAME,
            format!(
                "and {WEBHOOK_PASSWORD} (Basic), or {WEBHOOK_HEADER} and {WEBHOOK_KEY}, are not \
                 set: every notification is refused until they are"
            ),
        )),
        ((Some(_), None), _) => Err(refuse(
            WEBHOOK_PASSWORD,
            format!("is not set, but {WEBHOOK_USERNAME} is"),
        )),
        ((None, Some(_)), _) => Err(refuse(
            WEBHOOK_USERNAME,
            format!("is not set, but {WEBHOOK_PASSWORD} is"),
        )),
        (_, (Some(_), None)) => Err(refuse(
            WEBHOOK_KEY,
            format!("is not set, but {WEBHOOK_HEADER} is"),
        )),
        (_, (None, Some(_))) => Err(refuse(
            WEBHOOK_HEADER,
            format!("is not set, but {WEBHOOK_KEY} is"),
        )),
        (_, _) => Err(refuse(
            WEBHOOK_HEADER,
            format!("and {WEBHOOK_USERNAME} are both set: configure Basic or a header, not both"),
        )),
    }
}

fn gbg(values: &Values<'_>) -> Result<Gbg, ConfigError> {
    let endpoint = match (values.url(BASE_URL)?, values.get(REGION)) {
        (Some(url), _) => Endpoint::BaseUrl(url),
        (None, Some(region)) => Endpoint::Region(match region.as_str() {
            "eu" => Region::Eu,
            "us" => Region::Us,
            "au" => Region::Au,
            _ => return Err(refuse(REGION, "must be eu, us or au")),
        }),
        (None, None) => {
            return Err(refuse(
                REGION,
                format!("and {BASE_URL} are not set: say where GBG GO is"),
            ));
        }
    };
    let client_id = values.required(CLIENT_ID)?;
    let client_secret = values.required(CLIENT_SECRET)?;
    let scope = values.get(SCOPE);
    let grant = match values.get(USERNAME) {
        None => Grant::ClientCredentials(ClientCredentialsGrant {
            client_id,
            client_secret,
            scope,
        }),
        Some(username) => Grant::Password(PasswordGrant {
            client_id,
            client_secret,
            username,
            password: values.required(PASSWORD)?,
            scope,
        }),
    };
    let interaction_auth = match values.get(INTERACTION_AUTH).as_deref() {
        None | Some("customer") => None,
        Some("end-user") => Some(InteractionAuth::EndUserToken),
        Some(_) => return Err(refuse(INTERACTION_AUTH, "must be customer or end-user")),
    };
    Ok(Gbg {
        client: ClientConfig {
            endpoint,
            token_url: values.url(TOKEN_URL)?,
            grant,
            hosted_base_url: values.url(HOSTED_BASE_URL)?,
            source: values.get(SOURCE),
            retry: None,
            token_refresh_margin_s: None,
            max_response_bytes: None,
            request_timeout_ms: None,
            interaction_auth,
        },
        resource_id: values.get(RESOURCE_ID),
    })
}

fn events(values: &Values<'_>) -> Result<Option<Events>, ConfigError> {
    let url = values.url(EVENTS_URL)?;
    let secret = values.secret(EVENTS_SECRET);
    let include_state = match values.get(EVENTS_INCLUDE_STATE).as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(refuse(EVENTS_INCLUDE_STATE, "must be true or false")),
    };
    let (url, secret) = match (url, secret) {
        (None, None) => return Ok(None),
        (Some(url), Some(secret)) => (url, secret),
        (Some(_), None) => {
            return Err(refuse(
                EVENTS_SECRET,
                format!("is not set, but {EVENTS_URL} is: events are always signed"),
            ));
        }
        (None, Some(_)) => {
            return Err(refuse(
                EVENTS_URL,
                format!("is not set, but {EVENTS_SECRET} is"),
            ));
        }
    };
    let url = Url::parse(&url)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
        .ok_or_else(|| refuse(EVENTS_URL, "must be an http or https URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            EVENTS_URL,
            "must not carry credentials: events are signed instead",
        ));
    }
    let key = SigningKey::parse(secret.expose()).map_err(|reason| refuse(EVENTS_SECRET, reason))?;
    Ok(Some(Events {
        url,
        key,
        include_state,
    }))
}

/// Settings given as a map, for the tests of the service's answers.
#[cfg(test)]
pub mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Settings given by environment name.
    pub struct Given(pub HashMap<&'static str, String>);

    impl Source for Given {
        fn get(&self, setting: Setting) -> Option<String> {
            self.0.get(setting.env).cloned()
        }
    }

    /// A working configuration: the simulator-like endpoint, client
    /// credentials, a service key and Basic webhook credentials.
    pub fn given() -> Given {
        Given(
            [
                (BASE_URL.env, "http://127.0.0.1:9/v2/captain"),
                (TOKEN_URL.env, "http://127.0.0.1:9/as/token.oauth2"),
                (CLIENT_ID.env, "client-id"),
                (CLIENT_SECRET.env, "client-SECRET"),
                (RESOURCE_ID.env, "journey@latest"),
                (SERVICE_KEY.env, "service-key-SECRET"),
                (WEBHOOK_USERNAME.env, "gbg"),
                (WEBHOOK_PASSWORD.env, "webhook-password-SECRET"),
            ]
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect(),
        )
    }

    fn with(changes: &[(Setting, &str)]) -> Config {
        let mut given = given();
        for (setting, value) in changes {
            given.0.insert(setting.env, (*value).to_owned());
        }
        Config::resolve(&given)
    }

    #[test]
    fn names_are_unique_and_keys_are_spin_variable_names() {
        let names: std::collections::HashSet<&str> = SERVICE.iter().map(|s| s.env).collect();
        assert_eq!(names.len(), SERVICE.len());
        for setting in SERVICE {
            assert!(setting.env.starts_with("GBG_GO_"), "{setting}");
            let key = setting.config_key();
            assert!(
                key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{key}"
            );
        }
        assert_eq!(CLIENT_SECRET.config_key(), "gbg_go_client_secret");
    }

    #[test]
    fn a_working_configuration_resolves() {
        let config = with(&[]);
        assert_eq!(config.service_key.unwrap().expose(), "service-key-SECRET");
        assert_eq!(config.store, Ok(StoreChoice::KeyValue("default".into())));
        let gbg = config.gbg.unwrap();
        assert_eq!(gbg.resource_id.as_deref(), Some("journey@latest"));
        assert_eq!(
            gbg.client.endpoint,
            Endpoint::BaseUrl("http://127.0.0.1:9/v2/captain".into())
        );
        assert!(matches!(gbg.client.grant, Grant::ClientCredentials(_)));
        assert!(matches!(config.webhook, Ok(WebhookAuth::Basic { .. })));
    }

    #[test]
    fn missing_settings_are_named() {
        let mut given = given();
        given.0.remove(SERVICE_KEY.env);
        given.0.insert(CLIENT_SECRET.env, "  ".into());
        let config = Config::resolve(&given);
        assert_eq!(config.service_key.unwrap_err().setting, SERVICE_KEY);
        let error = config.gbg.unwrap_err();
        assert_eq!(error.setting, CLIENT_SECRET);
        assert_eq!(
            error.to_string(),
            "GBG_GO_CLIENT_SECRET (config key gbg_go_client_secret) is not set"
        );
        let mut given = super::tests::given();
        given.0.remove(BASE_URL.env);
        assert_eq!(Config::resolve(&given).gbg.unwrap_err().setting, REGION);
    }

    #[test]
    fn region_and_password_grant() {
        let mut given = given();
        given.0.remove(BASE_URL.env);
        given.0.insert(REGION.env, "us".into());
        given.0.insert(USERNAME.env, "api@example.com".into());
        let config = Config::resolve(&given);
        assert_eq!(config.gbg.unwrap_err().setting, PASSWORD);
        given.0.insert(PASSWORD.env, "pw-SECRET".into());
        let gbg = Config::resolve(&given).gbg.unwrap();
        assert_eq!(gbg.client.endpoint, Endpoint::Region(Region::Us));
        assert!(matches!(gbg.client.grant, Grant::Password(_)));
        assert_eq!(
            with(&[(BASE_URL, ""), (REGION, "mars")])
                .gbg
                .unwrap_err()
                .setting,
            REGION
        );
        assert_eq!(
            with(&[(INTERACTION_AUTH, "end-user")])
                .gbg
                .unwrap()
                .client
                .interaction_auth,
            Some(InteractionAuth::EndUserToken)
        );
        assert_eq!(
            with(&[(INTERACTION_AUTH, "both")]).gbg.unwrap_err().setting,
            INTERACTION_AUTH
        );
    }

    #[test]
    fn webhook_credentials_are_basic_or_a_header_never_half() {
        let header = with(&[
            (WEBHOOK_USERNAME, ""),
            (WEBHOOK_PASSWORD, ""),
            (WEBHOOK_HEADER, "X-Api-Key"),
            (WEBHOOK_KEY, "webhook-key-SECRET"),
        ]);
        match header.webhook.unwrap() {
            WebhookAuth::Header { header, key } => {
                assert_eq!(header, "x-api-key");
                assert_eq!(key.expose(), "webhook-key-SECRET");
            }
            other => panic!("{other:?}"),
        }
        for (changes, at_fault) in [
            (vec![(WEBHOOK_PASSWORD, "")], WEBHOOK_PASSWORD),
            (vec![(WEBHOOK_USERNAME, "")], WEBHOOK_USERNAME),
            (
                vec![(WEBHOOK_USERNAME, ""), (WEBHOOK_PASSWORD, "")],
                WEBHOOK_USERNAME,
            ),
            (
                vec![
                    (WEBHOOK_HEADER, "X-Key"),
                    (WEBHOOK_KEY, "webhook-key-SECRET"),
                ],
                WEBHOOK_HEADER,
            ),
            (
                vec![
                    (WEBHOOK_USERNAME, ""),
                    (WEBHOOK_PASSWORD, ""),
                    (WEBHOOK_HEADER, "bad header"),
                    (WEBHOOK_KEY, "webhook-key-SECRET"),
                ],
                WEBHOOK_HEADER,
            ),
            (
                vec![
                    (WEBHOOK_USERNAME, ""),
                    (WEBHOOK_PASSWORD, ""),
                    (WEBHOOK_KEY, "webhook-key-SECRET"),
                ],
                WEBHOOK_HEADER,
            ),
        ] {
            assert_eq!(
                with(&changes).webhook.unwrap_err().setting,
                at_fault,
                "{changes:?}"
            );
        }
    }

    #[test]
    fn token_store_choices() {
        for (text, choice) in [
            ("keyvalue", StoreChoice::KeyValue("default".into())),
            ("keyvalue:", StoreChoice::KeyValue(String::new())),
            ("keyvalue:tokens", StoreChoice::KeyValue("tokens".into())),
            ("dir:/cache", StoreChoice::Directory("/cache".into())),
            ("instance", StoreChoice::Instance),
        ] {
            assert_eq!(with(&[(TOKEN_STORE, text)]).store, Ok(choice), "{text}");
        }
        for bad in ["redis", "dir:", "file:/x", "keyvalues"] {
            assert_eq!(
                with(&[(TOKEN_STORE, bad)]).store.unwrap_err().setting,
                TOKEN_STORE
            );
        }
    }

    #[test]
    fn plain_http_leaves_this_machine_for_no_url() {
        for url in [
            "http://localhost:8081/v2/captain",
            "http://127.0.0.1/v2/captain",
            "http://[::1]:9/v2/captain",
            "https://api.example.com/v2/captain",
        ] {
            assert!(with(&[(BASE_URL, url)]).gbg.is_ok(), "{url}");
        }
        for (setting, url) in [
            (BASE_URL, "http://api.example.com/v2/captain"),
            (TOKEN_URL, "http://10.0.0.1/as/token.oauth2"),
            (HOSTED_BASE_URL, "HTTP://hosted.example.com"),
            (BASE_URL, "http://localhost.example.com/v2/captain"),
        ] {
            let error = with(&[(setting, url)]).gbg.unwrap_err();
            assert_eq!(error.setting, setting, "{url}");
            assert!(error.reason.contains("plain http"), "{error}");
        }
        let error = with(&[
            (EVENTS_URL, "http://hooks.example.com/gbg"),
            (EVENTS_SECRET, EVENTS_KEY),
        ])
        .events
        .unwrap_err();
        assert_eq!(error.setting, EVENTS_URL);
    }

    #[test]
    fn keys_shorter_than_16_characters_are_refused() {
        for setting in [SERVICE_KEY, WEBHOOK_PASSWORD] {
            let config = with(&[(setting, "fifteen-chars-x")]);
            let error = match setting {
                SERVICE_KEY => config.service_key.unwrap_err(),
                _ => config.webhook.unwrap_err(),
            };
            assert_eq!(error.setting, setting);
            assert!(error.reason.contains("openssl rand -hex 32"), "{error}");
            assert!(!error.to_string().contains("fifteen"), "{error}");
        }
        let header = with(&[
            (WEBHOOK_USERNAME, ""),
            (WEBHOOK_PASSWORD, ""),
            (WEBHOOK_HEADER, "X-Api-Key"),
            (WEBHOOK_KEY, "short"),
        ]);
        assert_eq!(header.webhook.unwrap_err().setting, WEBHOOK_KEY);
        assert!(
            with(&[(SERVICE_KEY, "sixteen-chars-xx")])
                .service_key
                .is_ok()
        );
    }

    /// A Standard Webhooks secret of 24 bytes.
    pub const EVENTS_KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn events_need_a_url_and_a_secret() {
        assert_eq!(with(&[]).events, Ok(None));
        let events = with(&[
            (EVENTS_URL, "https://hooks.example.com/gbg"),
            (EVENTS_SECRET, EVENTS_KEY),
        ])
        .events
        .unwrap()
        .unwrap();
        assert_eq!(events.url.as_str(), "https://hooks.example.com/gbg");
        assert!(!events.include_state);
        let events = with(&[
            (EVENTS_URL, "http://127.0.0.1:9/events"),
            (EVENTS_SECRET, EVENTS_KEY),
            (EVENTS_INCLUDE_STATE, "true"),
        ])
        .events;
        assert!(events.unwrap().unwrap().include_state);
        for (changes, at_fault) in [
            (
                vec![(EVENTS_URL, "https://hooks.example.com")],
                EVENTS_SECRET,
            ),
            (vec![(EVENTS_SECRET, EVENTS_KEY)], EVENTS_URL),
            (
                vec![
                    (EVENTS_URL, "ftp://hooks.example.com"),
                    (EVENTS_SECRET, EVENTS_KEY),
                ],
                EVENTS_URL,
            ),
            (
                vec![
                    (EVENTS_URL, "https://user:pw@hooks.example.com"),
                    (EVENTS_SECRET, EVENTS_KEY),
                ],
                EVENTS_URL,
            ),
            (
                vec![
                    (EVENTS_URL, "https://hooks.example.com"),
                    (EVENTS_SECRET, "whsec_c2hvcnQ="),
                ],
                EVENTS_SECRET,
            ),
            (vec![(EVENTS_INCLUDE_STATE, "yes")], EVENTS_INCLUDE_STATE),
        ] {
            assert_eq!(
                with(&changes).events.unwrap_err().setting,
                at_fault,
                "{changes:?}"
            );
        }
    }

    #[test]
    fn the_body_timeout_is_10_s_unless_set() {
        assert_eq!(with(&[]).body_timeout_ms, Ok(10_000));
        assert_eq!(with(&[(BODY_TIMEOUT_MS, "250")]).body_timeout_ms, Ok(250));
        for bad in ["0", "-1", "ten", "300001"] {
            assert_eq!(
                with(&[(BODY_TIMEOUT_MS, bad)])
                    .body_timeout_ms
                    .unwrap_err()
                    .setting,
                BODY_TIMEOUT_MS,
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let text = format!(
            "{:?}",
            with(&[
                (EVENTS_URL, "https://hooks.example.com"),
                (EVENTS_SECRET, EVENTS_KEY),
            ])
        );
        assert!(
            !text.contains("SECRET") && !text.contains("MfKQ9r8"),
            "{text}"
        );
    }
}
