//! The service's settings: where their values come from, and the
//! configuration they resolve to. Their names are the contract's
//! ([`gbg_go_contract::settings`]).
//!
//! Every setting has an environment name (`GBG_GO_CLIENT_ID`, the names of
//! the `gbg-go` command) and a config-store key, the same name in lower case
//! (`gbg_go_client_id`, as Spin variables must be spelled). A value in the
//! engine's config store wins over the environment; an empty value counts
//! as unset.

use std::fmt;

use gbg_go_contract::Secret;
pub use gbg_go_contract::settings::*;
use gbg_go_core::types::{
    ClientConfig, ClientCredentialsGrant, Endpoint, Grant, InteractionAuth, PasswordGrant, Region,
};

/// The bucket [`TokenStoreChoice::KeyValue`] opens when none is named:
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

/// A setting that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The setting at fault.
    pub setting: Setting,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (config key {}) {}",
            self.setting,
            self.setting.config_key(),
            self.reason
        )
    }
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

/// Where customer tokens are kept between requests (the value of
/// [`TOKEN_STORE`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenStoreChoice {
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

impl TokenStoreChoice {
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

impl fmt::Display for TokenStoreChoice {
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
    /// Where tokens are shared.
    pub token_store: Result<TokenStoreChoice, ConfigError>,
    /// Everything a GBG GO call needs.
    pub gbg: Result<Gbg, ConfigError>,
}

impl Config {
    /// Resolves every setting from `source`.
    pub fn resolve(source: &dyn Source) -> Self {
        let values = Values(source);
        Self {
            service_key: values.secret(SERVICE_KEY).ok_or_else(|| {
                refuse(SERVICE_KEY, "is not set: every call is refused until it is")
            }),
            webhook: webhook(&values),
            token_store: values.get(TOKEN_STORE).map_or(
                Ok(TokenStoreChoice::KeyValue(DEFAULT_BUCKET.to_owned())),
                |text| TokenStoreChoice::parse(&text),
            ),
            gbg: gbg(&values),
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

    fn required(&self, setting: Setting) -> Result<String, ConfigError> {
        self.get(setting)
            .ok_or_else(|| refuse(setting, "is not set"))
    }
}

fn webhook(values: &Values<'_>) -> Result<WebhookAuth, ConfigError> {
    let basic = (
        values.get(WEBHOOK_USERNAME),
        values.secret(WEBHOOK_PASSWORD),
    );
    let header = (values.get(WEBHOOK_HEADER), values.secret(WEBHOOK_KEY));
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
    let endpoint = match (values.get(BASE_URL), values.get(REGION)) {
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
            token_url: values.get(TOKEN_URL),
            grant,
            hosted_base_url: values.get(HOSTED_BASE_URL),
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
                (WEBHOOK_PASSWORD.env, "webhook-SECRET"),
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
        assert_eq!(
            config.token_store,
            Ok(TokenStoreChoice::KeyValue("default".into()))
        );
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
            (WEBHOOK_KEY, "k-SECRET"),
        ]);
        match header.webhook.unwrap() {
            WebhookAuth::Header { header, key } => {
                assert_eq!(header, "x-api-key");
                assert_eq!(key.expose(), "k-SECRET");
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
                vec![(WEBHOOK_HEADER, "X-Key"), (WEBHOOK_KEY, "k")],
                WEBHOOK_HEADER,
            ),
            (
                vec![
                    (WEBHOOK_USERNAME, ""),
                    (WEBHOOK_PASSWORD, ""),
                    (WEBHOOK_HEADER, "bad header"),
                    (WEBHOOK_KEY, "k"),
                ],
                WEBHOOK_HEADER,
            ),
            (
                vec![
                    (WEBHOOK_USERNAME, ""),
                    (WEBHOOK_PASSWORD, ""),
                    (WEBHOOK_KEY, "k"),
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
            ("keyvalue", TokenStoreChoice::KeyValue("default".into())),
            ("keyvalue:", TokenStoreChoice::KeyValue(String::new())),
            (
                "keyvalue:tokens",
                TokenStoreChoice::KeyValue("tokens".into()),
            ),
            ("dir:/cache", TokenStoreChoice::Directory("/cache".into())),
            ("instance", TokenStoreChoice::Instance),
        ] {
            assert_eq!(
                with(&[(TOKEN_STORE, text)]).token_store,
                Ok(choice),
                "{text}"
            );
        }
        for bad in ["redis", "dir:", "file:/x", "keyvalues"] {
            assert_eq!(
                with(&[(TOKEN_STORE, bad)]).token_store.unwrap_err().setting,
                TOKEN_STORE
            );
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let text = format!("{:?}", with(&[]));
        assert!(!text.contains("SECRET"), "{text}");
    }
}
