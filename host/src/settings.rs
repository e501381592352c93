//! What a client is configured with, on the host side.
//!
//! [`ClientSettings`] mirrors the WIT `client-config` record but keeps
//! credentials in [`Secret`]s, so printing settings never reveals them, and
//! knows the URLs the egress policy has to allow.

use std::time::Duration;

use url::Url;

use crate::bindings::exports::gbg::go::types as wit;
use crate::{InteractionAuth, Region, RetryPolicy, Secret};

/// The documented token endpoint of GBG GO's public platform.
pub const DEFAULT_TOKEN_URL: &str = "https://api.auth.gbgplc.com/as/token.oauth2";

/// Where the v2 Captain API lives.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A documented region: `https://{eu,us,au}.platform.go.gbgplc.com/v2/captain`.
    Region(Region),
    /// An explicit base URL ending in the `/v2/captain` prefix.
    BaseUrl(Url),
}

impl Endpoint {
    /// The API base URL.
    pub fn base_url(&self) -> Url {
        match self {
            Endpoint::BaseUrl(url) => url.clone(),
            Endpoint::Region(region) => {
                let host = match region {
                    Region::Eu => "eu",
                    Region::Us => "us",
                    Region::Au => "au",
                };
                Url::parse(&format!("https://{host}.platform.go.gbgplc.com/v2/captain"))
                    .expect("the regional base URL is valid")
            }
        }
    }
}

/// How the client obtains its customer access token.
#[derive(Debug, Clone)]
pub enum Grant {
    /// OAuth `client_credentials` (client id, secret, scope `gbg.token` by default).
    ClientCredentials {
        /// The API client's id.
        client_id: String,
        /// The API client's secret.
        client_secret: Secret,
        /// The `scope` form field; `gbg.token` when `None`.
        scope: Option<String>,
    },
    /// OAuth `password` (client id and secret plus an API user's name and password).
    Password {
        /// The organisation's client id.
        client_id: String,
        /// The client secret.
        client_secret: Secret,
        /// The API user's name.
        username: String,
        /// The API user's password.
        password: Secret,
        /// An optional `scope` form field.
        scope: Option<String>,
    },
}

impl Grant {
    /// A `client_credentials` grant with the default scope.
    pub fn client_credentials(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Grant::ClientCredentials {
            client_id: client_id.into(),
            client_secret,
            scope: None,
        }
    }

    fn to_wit(&self) -> wit::Grant {
        match self {
            Grant::ClientCredentials {
                client_id,
                client_secret,
                scope,
            } => wit::Grant::ClientCredentials(wit::ClientCredentialsGrant {
                client_id: client_id.clone(),
                client_secret: client_secret.expose().to_owned(),
                scope: scope.clone(),
            }),
            Grant::Password {
                client_id,
                client_secret,
                username,
                password,
                scope,
            } => wit::Grant::Password(wit::PasswordGrant {
                client_id: client_id.clone(),
                client_secret: client_secret.expose().to_owned(),
                username: username.clone(),
                password: password.expose().to_owned(),
                scope: scope.clone(),
            }),
        }
    }
}

/// Everything a [`Client`](crate::Client) is opened with. Unset options take
/// the component's documented defaults.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The API base.
    pub endpoint: Endpoint,
    /// The OAuth token URL; [`DEFAULT_TOKEN_URL`] when `None`.
    pub token_url: Option<Url>,
    /// The grant and its credentials.
    pub grant: Grant,
    /// The base for resolving a relative hosted-journey URL.
    pub hosted_base_url: Option<Url>,
    /// The `X-GBG-Source` header value.
    pub source: Option<String>,
    /// How transient failures are retried.
    pub retry: Option<RetryPolicy>,
    /// How long before expiry a cached token is replaced (at least 30 s).
    pub token_refresh_margin: Option<Duration>,
    /// The largest response body accepted.
    pub max_response_bytes: Option<u32>,
    /// Per-request connect / first-byte / between-bytes timeout.
    pub request_timeout: Option<Duration>,
    /// Which token interaction calls present.
    pub interaction_auth: Option<InteractionAuth>,
}

impl ClientSettings {
    /// Settings with every option at its default.
    pub fn new(endpoint: Endpoint, grant: Grant) -> Self {
        Self {
            endpoint,
            token_url: None,
            grant,
            hosted_base_url: None,
            source: None,
            retry: None,
            token_refresh_margin: None,
            max_response_bytes: None,
            request_timeout: None,
            interaction_auth: None,
        }
    }

    /// The token URL the component will use.
    pub fn effective_token_url(&self) -> Url {
        self.token_url
            .clone()
            .unwrap_or_else(|| Url::parse(DEFAULT_TOKEN_URL).expect("the default is valid"))
    }

    /// The URLs the component has to reach: the API base and the token URL.
    pub fn reachable_urls(&self) -> [Url; 2] {
        [self.endpoint.base_url(), self.effective_token_url()]
    }

    /// The WIT record handed to the component. It holds the credentials in
    /// the clear: pass it straight to the component and never log it.
    pub(crate) fn to_wit(&self) -> wit::ClientConfig {
        wit::ClientConfig {
            endpoint: match &self.endpoint {
                Endpoint::Region(region) => wit::Endpoint::Region(*region),
                Endpoint::BaseUrl(url) => wit::Endpoint::BaseUrl(url.to_string()),
            },
            token_url: self.token_url.as_ref().map(Url::to_string),
            grant: self.grant.to_wit(),
            hosted_base_url: self.hosted_base_url.as_ref().map(Url::to_string),
            source: self.source.clone(),
            retry: self.retry,
            token_refresh_margin_s: self
                .token_refresh_margin
                .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX)),
            max_response_bytes: self.max_response_bytes,
            request_timeout_ms: self.request_timeout.map(millis_u32),
            interaction_auth: self.interaction_auth,
        }
    }
}

/// A duration in whole milliseconds, saturating at `u32::MAX`.
pub(crate) fn millis_u32(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_the_documented_hosts() {
        assert_eq!(
            Endpoint::Region(Region::Au).base_url().as_str(),
            "https://au.platform.go.gbgplc.com/v2/captain"
        );
    }

    #[test]
    fn debug_output_hides_credentials() {
        let settings = ClientSettings::new(
            Endpoint::Region(Region::Eu),
            Grant::Password {
                client_id: "id".into(),
                client_secret: Secret::new("s3cr3t-client"),
                username: "api@example.com".into(),
                password: Secret::new("pa55word"),
                scope: None,
            },
        );
        let printed = format!("{settings:?}");
        assert!(!printed.contains("s3cr3t-client") && !printed.contains("pa55word"));
        assert!(printed.contains("api@example.com"));
    }
}
