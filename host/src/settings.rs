//! What a client is configured with, on the host side.
//!
//! [`ClientSettings`] mirrors the WIT `client-config` record but keeps
//! credentials in [`Secret`]s, so printing settings never reveals them (nor
//! any `user:password@` or query of a URL), and knows the URLs the egress
//! policy has to allow.

use std::fmt;
use std::time::Duration;

use gbg_go_contract::hosts;
use url::Url;

use crate::bindings::exports::gbg::go::types as wit;
use crate::{InteractionAuth, Region, RetryPolicy, Secret};

/// Where the v2 Captain API lives. `Debug` hides a base URL's credentials
/// and query.
#[derive(Clone)]
pub enum Endpoint {
    /// A documented region ([`hosts::region_base_url`]).
    Region(Region),
    /// An explicit base URL ending in the `/v2/captain` prefix.
    BaseUrl(Url),
}

impl Endpoint {
    /// The API base URL.
    pub fn base_url(&self) -> Url {
        match self {
            Endpoint::BaseUrl(url) => url.clone(),
            // The WIT `region` enum lists the regions in the contract's order.
            Endpoint::Region(region) => {
                Url::parse(&hosts::region_base_url(hosts::REGIONS[*region as usize]))
                    .expect("the regional base URL is valid")
            }
        }
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Region(region) => f.debug_tuple("Region").field(region).finish(),
            Endpoint::BaseUrl(url) => f.debug_tuple("BaseUrl").field(&Shown(url)).finish(),
        }
    }
}

/// Whether `url` is on one of GBG's documented origins: a region's API
/// or the token endpoint ([`hosts::documented_origins`]), over `https` on
/// port 443.
pub fn is_documented_origin(url: &Url) -> bool {
    hosts::documented_origins()
        .iter()
        .filter_map(|origin| Url::parse(origin).ok())
        .any(|documented| documented.origin() == url.origin())
}

/// A URL in `Debug` output: `user:password@` shown as `***@`, a query as
/// `?***` and a fragment as `#***`, since any of them may hold a credential.
struct Shown<'a>(&'a Url);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        let mut bare = url.clone();
        // Only URLs that cannot have credentials refuse these, and then
        // they have none.
        let _ = bare.set_username("");
        let _ = bare.set_password(None);
        bare.set_query(None);
        bare.set_fragment(None);
        let mut shown = bare.to_string();
        if !url.username().is_empty() || url.password().is_some() {
            let after_scheme = bare.scheme().len() + "://".len();
            shown.insert_str(after_scheme, "***@");
        }
        if url.query().is_some() {
            shown.push_str("?***");
        }
        if url.fragment().is_some() {
            shown.push_str("#***");
        }
        fmt::Debug::fmt(&shown, f)
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
/// the component's documented defaults. `Debug` shows no credential: not the
/// grant's secrets, nor any URL's `user:password@` or query.
#[derive(Clone)]
pub struct ClientSettings {
    /// The API base.
    pub endpoint: Endpoint,
    /// The OAuth token URL; GBG's documented endpoint ([`hosts::TOKEN_URL`]) when `None`.
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
            .unwrap_or_else(|| Url::parse(hosts::TOKEN_URL).expect("the default is valid"))
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

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("endpoint", &self.endpoint)
            .field("token_url", &self.token_url.as_ref().map(Shown))
            .field("grant", &self.grant)
            .field("hosted_base_url", &self.hosted_base_url.as_ref().map(Shown))
            .field("source", &self.source)
            .field("retry", &self.retry)
            .field("token_refresh_margin", &self.token_refresh_margin)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("interaction_auth", &self.interaction_auth)
            .finish()
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

    #[test]
    fn debug_output_hides_credentials_and_queries_in_urls() {
        let url = |text: &str| Url::parse(text).unwrap();
        let mut settings = ClientSettings::new(
            Endpoint::BaseUrl(url("http://user:pa55word@127.0.0.1:8080/v2/captain")),
            Grant::client_credentials("id", Secret::new("s3cr3t-client")),
        );
        settings.token_url = Some(url("https://tok3n-user@auth.example/token?key=k3y#f"));
        settings.hosted_base_url = Some(url("https://:only-pa55@pages.example/"));
        let printed = format!("{settings:?}");
        for hidden in [
            "user",
            "pa55word",
            "tok3n-user",
            "k3y",
            "only-pa55",
            "s3cr3t",
        ] {
            assert!(!printed.contains(hidden), "{hidden} in {printed}");
        }
        for shown in [
            r#"BaseUrl("http://***@127.0.0.1:8080/v2/captain")"#,
            r#"Some("https://***@auth.example/token?***#***")"#,
            r#"Some("https://***@pages.example/")"#,
        ] {
            assert!(printed.contains(shown), "{shown} not in {printed}");
        }
        assert_eq!(
            format!("{:?}", Endpoint::Region(Region::Us)),
            "Region(Region::Us)"
        );
    }

    #[test]
    fn documented_origins_are_gbgs_https_hosts() {
        for documented in [
            "https://eu.platform.go.gbgplc.com/v2/captain",
            "https://AU.platform.go.gbgplc.com:443/x",
            "https://api.auth.gbgplc.com/as/token.oauth2",
        ] {
            assert!(
                is_documented_origin(&Url::parse(documented).unwrap()),
                "{documented}"
            );
        }
        for other in [
            "http://api.auth.gbgplc.com/as/token.oauth2",
            "https://api.auth.gbgplc.com:8443/as/token.oauth2",
            "https://uk.platform.go.gbgplc.com/v2/captain",
            "http://127.0.0.1:8080/v2/captain",
        ] {
            assert!(
                !is_documented_origin(&Url::parse(other).unwrap()),
                "{other}"
            );
        }
    }
}
