//! Validation of the WIT `client-config` into the settings the client runs
//! with. Every refusal is `error::invalid-input` naming the field as
//! `config.<field>`.

use gbg_go_contract::{Secret, hosts};
use std::cell::OnceCell;

use url::Url;

use crate::errors::invalid_input;
use crate::types::{ClientConfig, Endpoint, Error, Grant, InteractionAuth, Region, RetryPolicy};

use gbg_go_contract::defaults;
use gbg_go_contract::identity::{SOURCE_HEADER, USER_AGENT};

/// The retry policy when none is configured.
pub const DEFAULT_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: defaults::RETRY_MAX_ATTEMPTS,
    initial_backoff_ms: defaults::RETRY_INITIAL_BACKOFF_MS,
    max_backoff_ms: defaults::RETRY_MAX_BACKOFF_MS,
    max_elapsed_ms: defaults::RETRY_MAX_ELAPSED_MS,
};
/// The longest accepted `X-GBG-Source` value.
const MAX_SOURCE_LEN: usize = 256;

/// The credentials of the configured grant. Its `Debug` output hides the
/// secrets, as [`Secret`] does.
#[derive(Clone, Debug, PartialEq)]
pub enum Credentials {
    /// `grant_type=client_credentials`.
    ClientCredentials {
        /// The API client's id.
        client_id: String,
        /// The API client's secret.
        client_secret: Secret,
        /// The scope to request.
        scope: String,
    },
    /// `grant_type=password`.
    Password {
        /// The organisation's client id.
        client_id: String,
        /// The client secret.
        client_secret: Secret,
        /// The API user's name.
        username: String,
        /// The API user's password.
        password: Secret,
        /// The scope to request, if any.
        scope: Option<String>,
    },
}

impl Credentials {
    /// The secret values, for scrubbing them from error text.
    pub fn secrets(&self) -> Vec<&str> {
        match self {
            Self::ClientCredentials { client_secret, .. } => vec![client_secret.expose()],
            Self::Password {
                client_secret,
                password,
                ..
            } => vec![client_secret.expose(), password.expose()],
        }
    }
}

/// An operation of the journey API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `journey/start`
    Start,
    /// `journey/state/fetch`
    StateFetch,
    /// `journey/state/delete`
    StateDelete,
    /// `journey/health`
    Health,
    /// `journey/interaction/fetch`
    InteractionFetch,
    /// `journey/interaction/submit`
    InteractionSubmit,
    /// `journey/device/start`
    DeviceStart,
    /// `journey/device/connect`
    DeviceConnect,
}

impl Operation {
    /// How many operations there are.
    const COUNT: usize = 8;

    /// The operation's path below the API base.
    pub fn path(self) -> &'static str {
        match self {
            Operation::Start => "journey/start",
            Operation::StateFetch => "journey/state/fetch",
            Operation::StateDelete => "journey/state/delete",
            Operation::Health => "journey/health",
            Operation::InteractionFetch => "journey/interaction/fetch",
            Operation::InteractionSubmit => "journey/interaction/submit",
            Operation::DeviceStart => "journey/device/start",
            Operation::DeviceConnect => "journey/device/connect",
        }
    }
}

/// The absolute URL of every API operation, each joined to the base when it
/// is first used: most clients use a few of them, and parsing all of them
/// was most of what opening a client cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoints {
    base: Url,
    urls: [OnceCell<Url>; Operation::COUNT],
}

impl Endpoints {
    /// The operations of the API at `base`, whose path ends in `/`.
    fn under(base: Url) -> Result<Self, Error> {
        if base.cannot_be_a_base() {
            return Err(invalid_input(
                "config.endpoint",
                "cannot take the API's paths",
            ));
        }
        Ok(Self {
            base,
            urls: Default::default(),
        })
    }

    /// The absolute URL of `operation`.
    pub fn url(&self, operation: Operation) -> &Url {
        self.urls[operation as usize].get_or_init(|| {
            self.base
                .join(operation.path())
                .expect("a base that can be a base takes a plain relative path")
        })
    }
}

/// A validated configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Every operation's URL.
    pub endpoints: Endpoints,
    /// The OAuth token URL.
    pub token_url: Url,
    /// The grant.
    pub credentials: Credentials,
    /// What a relative `instanceUrl` is resolved against.
    pub hosted_base: Url,
    /// The `X-GBG-Source` header value: the configured source, else
    /// [`USER_AGENT`].
    pub source: String,
    /// The retry policy.
    pub retry: RetryPolicy,
    /// How long before expiry a cached token is replaced, in milliseconds.
    pub refresh_margin_ms: u64,
    /// The largest response body accepted.
    pub max_response_bytes: u32,
    /// The per-request timeout, in milliseconds.
    pub request_timeout_ms: u32,
    /// Which token interaction calls present.
    pub interaction_auth: InteractionAuth,
}

impl Settings {
    /// The headers that name the client on every request: `User-Agent:
    /// gbg-go/<version>` and `X-GBG-Source` with the configured source (the
    /// same value when none is).
    pub fn identity_headers(&self) -> [(String, String); 2] {
        [
            ("User-Agent".to_owned(), USER_AGENT.to_owned()),
            (SOURCE_HEADER.to_owned(), self.source.clone()),
        ]
    }

    /// Validates `config`.
    pub fn from_config(config: ClientConfig) -> Result<Self, Error> {
        let api_base = api_base(&config.endpoint)?;
        let endpoints = Endpoints::under(api_base.clone())?;
        let token_url = match &config.token_url {
            Some(text) => http_url("config.token-url", text)?,
            None => http_url("config.token-url", hosts::TOKEN_URL)?,
        };
        let hosted_base = match &config.hosted_base_url {
            Some(text) => http_url("config.hosted-base-url", text)?,
            None => {
                let mut origin = api_base;
                origin.set_path("/");
                origin
            }
        };
        let source = match config.source {
            Some(source) => source_header(source)?,
            None => USER_AGENT.to_owned(),
        };
        let retry = config.retry.unwrap_or(DEFAULT_RETRY);
        if retry.max_attempts == 0 {
            return Err(invalid_input(
                "config.retry.max-attempts",
                "must be at least 1",
            ));
        }
        let margin_s = config
            .token_refresh_margin_s
            .unwrap_or(defaults::REFRESH_MARGIN_S);
        if margin_s < defaults::MIN_REFRESH_MARGIN_S {
            return Err(invalid_input(
                "config.token-refresh-margin-s",
                format!(
                    "must be at least {} seconds",
                    defaults::MIN_REFRESH_MARGIN_S
                ),
            ));
        }
        let max_response_bytes = positive(
            "config.max-response-bytes",
            config.max_response_bytes,
            defaults::MAX_RESPONSE_BYTES,
        )?;
        let request_timeout_ms = positive(
            "config.request-timeout-ms",
            config.request_timeout_ms,
            defaults::REQUEST_TIMEOUT_MS,
        )?;
        Ok(Self {
            endpoints,
            token_url,
            credentials: credentials(config.grant)?,
            hosted_base,
            source,
            retry,
            refresh_margin_ms: u64::from(margin_s) * 1000,
            max_response_bytes,
            request_timeout_ms,
            interaction_auth: config
                .interaction_auth
                .unwrap_or(InteractionAuth::CustomerToken),
        })
    }
}

/// The documented base URL of `region`. The WIT `region` enum lists the
/// regions in the contract's order.
pub fn region_base(region: Region) -> String {
    hosts::region_base_url(hosts::REGIONS[region as usize])
}

fn api_base(endpoint: &Endpoint) -> Result<Url, Error> {
    let mut url = match endpoint {
        Endpoint::Region(region) => http_url("config.endpoint.region", &region_base(*region))?,
        Endpoint::BaseUrl(text) => http_url("config.endpoint.base-url", text)?,
    };
    let path = format!("{}/", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

/// Parses an absolute `http`/`https` URL without credentials, query or
/// fragment. The reason never repeats the URL, which might hold a secret.
fn http_url(field: &str, text: &str) -> Result<Url, Error> {
    let url = Url::parse(text.trim())
        .map_err(|e| invalid_input(field, format!("is not an absolute URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid_input(field, "must be an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid_input(field, "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid_input(field, "must not contain credentials"));
    }
    if url.query().is_some() {
        return Err(invalid_input(field, "must not have a query"));
    }
    if url.fragment().is_some() {
        return Err(invalid_input(field, "must not have a fragment"));
    }
    Ok(url)
}

fn source_header(value: String) -> Result<String, Error> {
    crate::validate::plain_text("config.source", &value, MAX_SOURCE_LEN)?;
    if !value.is_ascii() {
        return Err(invalid_input("config.source", "must be ASCII"));
    }
    Ok(value)
}

fn positive(field: &str, value: Option<u32>, default: u32) -> Result<u32, Error> {
    match value {
        None => Ok(default),
        Some(0) => Err(invalid_input(field, "must be at least 1")),
        Some(v) => Ok(v),
    }
}

fn credentials(grant: Grant) -> Result<Credentials, Error> {
    let required = |field: &str, value: &str| {
        if value.trim().is_empty() {
            Err(invalid_input(field, "must not be empty"))
        } else {
            Ok(())
        }
    };
    let secret = |field: &str, value: &str| {
        required(field, value)?;
        if value.trim().chars().count() < defaults::MIN_SECRET_CHARS {
            Err(invalid_input(
                field,
                format!(
                    "must be at least {} characters long",
                    defaults::MIN_SECRET_CHARS
                ),
            ))
        } else {
            Ok(())
        }
    };
    let scope = |scope: Option<String>| match scope {
        Some(s) if s.trim().is_empty() => Err(invalid_input(
            "config.grant.scope",
            "must not be empty when given",
        )),
        other => Ok(other),
    };
    match grant {
        Grant::ClientCredentials(g) => {
            required("config.grant.client-id", &g.client_id)?;
            secret("config.grant.client-secret", &g.client_secret)?;
            Ok(Credentials::ClientCredentials {
                client_id: g.client_id,
                client_secret: Secret::new(g.client_secret),
                scope: scope(g.scope)?.unwrap_or_else(|| defaults::SCOPE.to_owned()),
            })
        }
        Grant::Password(g) => {
            required("config.grant.client-id", &g.client_id)?;
            secret("config.grant.client-secret", &g.client_secret)?;
            required("config.grant.username", &g.username)?;
            secret("config.grant.password", &g.password)?;
            Ok(Credentials::Password {
                client_id: g.client_id,
                client_secret: Secret::new(g.client_secret),
                username: g.username,
                password: Secret::new(g.password),
                scope: scope(g.scope)?,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{config, refused_field};
    use crate::types::{ClientCredentialsGrant, PasswordGrant};

    /// The settings of [`config`] for `http://host`, changed by `change`.
    fn settings(change: impl FnOnce(&mut ClientConfig)) -> Result<Settings, Error> {
        let mut c = config("http://host");
        change(&mut c);
        Settings::from_config(c)
    }

    #[test]
    fn regions_map_to_documented_hosts() {
        for (region, host) in [(Region::Eu, "eu"), (Region::Us, "us"), (Region::Au, "au")] {
            let mut c = config("https://x.example");
            c.endpoint = Endpoint::Region(region);
            let s = Settings::from_config(c).unwrap();
            assert_eq!(
                s.endpoints.url(Operation::Start).as_str(),
                format!("https://{host}.platform.go.gbgplc.com/v2/captain/journey/start")
            );
            assert_eq!(
                s.hosted_base.as_str(),
                format!("https://{host}.platform.go.gbgplc.com/")
            );
        }
    }

    #[test]
    fn defaults() {
        let mut c = config("http://127.0.0.1:8080/v2/captain");
        c.token_url = None;
        let s = Settings::from_config(c).unwrap();
        assert_eq!(s.token_url.as_str(), hosts::TOKEN_URL);
        assert_eq!(s.retry, DEFAULT_RETRY);
        assert_eq!(s.refresh_margin_ms, 60_000);
        assert_eq!(s.max_response_bytes, 8 * 1024 * 1024);
        assert_eq!(s.request_timeout_ms, 30_000);
        assert_eq!(s.interaction_auth, InteractionAuth::CustomerToken);
        assert_eq!(s.hosted_base.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(s.source, format!("gbg-go/{}", env!("CARGO_PKG_VERSION")));
        match &s.credentials {
            Credentials::ClientCredentials { scope, .. } => assert_eq!(scope, defaults::SCOPE),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn base_url_trailing_slashes_are_normalised() {
        for base in [
            "http://sim.local/v2/captain",
            "http://sim.local/v2/captain/",
            "http://sim.local/v2/captain//",
        ] {
            let s = Settings::from_config(config(base)).unwrap();
            assert_eq!(
                s.endpoints.url(Operation::InteractionSubmit).as_str(),
                "http://sim.local/v2/captain/journey/interaction/submit"
            );
        }
        let s = Settings::from_config(config("http://sim.local")).unwrap();
        assert_eq!(
            s.endpoints.url(Operation::Health).as_str(),
            "http://sim.local/journey/health"
        );
    }

    #[test]
    fn bad_urls_are_refused_by_field() {
        for bad in [
            "",
            "not a url",
            "/v2/captain",
            "ftp://host/v2",
            "http://user:pw@host/v2",
            "http://host/v2?x=1",
            "http://host/v2#frag",
        ] {
            assert_eq!(
                refused_field(Settings::from_config(config(bad))),
                "config.endpoint.base-url",
                "{bad}"
            );
        }
        assert_eq!(
            refused_field(settings(|c| c.token_url = Some("mailto:x@y".into()))),
            "config.token-url"
        );
        assert_eq!(
            refused_field(settings(
                |c| c.hosted_base_url = Some("relative/path".into())
            )),
            "config.hosted-base-url"
        );
    }

    #[test]
    fn url_reasons_do_not_repeat_the_url() {
        let result = Settings::from_config(config("http://user:pa55word@host/v2"));
        assert!(!format!("{:?}", result.unwrap_err()).contains("pa55word"));
    }

    #[test]
    fn numeric_bounds() {
        assert_eq!(
            refused_field(settings(|c| c.token_refresh_margin_s = Some(29))),
            "config.token-refresh-margin-s"
        );
        assert_eq!(
            settings(|c| c.token_refresh_margin_s = Some(30))
                .unwrap()
                .refresh_margin_ms,
            30_000
        );
        assert_eq!(
            refused_field(settings(|c| c.retry = Some(RetryPolicy {
                max_attempts: 0,
                ..DEFAULT_RETRY
            }))),
            "config.retry.max-attempts"
        );
        assert_eq!(
            refused_field(settings(|c| c.max_response_bytes = Some(0))),
            "config.max-response-bytes"
        );
        assert_eq!(
            refused_field(settings(|c| c.request_timeout_ms = Some(0))),
            "config.request-timeout-ms"
        );
    }

    #[test]
    fn grants_need_their_fields() {
        let with = |grant: Grant| settings(|c| c.grant = grant);
        assert_eq!(
            refused_field(with(Grant::ClientCredentials(ClientCredentialsGrant {
                client_id: " ".into(),
                client_secret: "secret-1".into(),
                scope: None,
            }))),
            "config.grant.client-id"
        );
        let password = |username: &str, password: &str, scope: Option<&str>| {
            Grant::Password(PasswordGrant {
                client_id: "id".into(),
                client_secret: "secret-1".into(),
                username: username.into(),
                password: password.into(),
                scope: scope.map(str::to_owned),
            })
        };
        assert_eq!(
            refused_field(with(password("", "password", None))),
            "config.grant.username"
        );
        assert_eq!(
            refused_field(with(password("u@example.com", "", None))),
            "config.grant.password"
        );
        assert_eq!(
            refused_field(with(password("u@example.com", "password", Some("")))),
            "config.grant.scope"
        );
        match with(password("u@example.com", "password", None))
            .unwrap()
            .credentials
        {
            Credentials::Password { scope, .. } => assert_eq!(scope, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn absurdly_short_secrets_are_refused() {
        let client_secret = |secret: &str| {
            settings(|c| {
                c.grant = Grant::ClientCredentials(ClientCredentialsGrant {
                    client_id: "id".into(),
                    client_secret: secret.into(),
                    scope: None,
                })
            })
        };
        for short in ["b", "1234567", "  1234567  "] {
            match client_secret(short) {
                Err(Error::InvalidInput(i)) => {
                    assert_eq!(i.field, "config.grant.client-secret");
                    assert_eq!(i.reason, "must be at least 8 characters long");
                }
                other => panic!("{short:?}: {other:?}"),
            }
        }
        assert!(client_secret("12345678").is_ok());
        assert!(client_secret("ünïcødé!").is_ok(), "characters, not bytes");
        let password = |password: &str| {
            settings(|c| {
                c.grant = Grant::Password(PasswordGrant {
                    client_id: "id".into(),
                    client_secret: "secret-1".into(),
                    username: "u@example.com".into(),
                    password: password.into(),
                    scope: None,
                })
            })
        };
        assert_eq!(refused_field(password("pw")), "config.grant.password");
        assert!(password("pass word").is_ok());
    }

    #[test]
    fn source_must_be_a_plain_header_value() {
        assert_eq!(
            refused_field(settings(|c| c.source = Some("bad\r\nheader".into()))),
            "config.source"
        );
        assert_eq!(
            settings(|c| c.source = Some("my-app/1.0".into()))
                .unwrap()
                .source,
            "my-app/1.0"
        );
    }

    #[test]
    fn settings_debug_hides_secrets() {
        let grant = Grant::Password(PasswordGrant {
            client_id: "id".into(),
            client_secret: "the-client-secret".into(),
            username: "u@example.com".into(),
            password: "the-password".into(),
            scope: None,
        });
        let text = format!("{:?}", settings(|c| c.grant = grant).unwrap());
        assert!(!text.contains("the-client-secret") && !text.contains("the-password"));
        assert!(text.contains("u@example.com"));
    }
}
