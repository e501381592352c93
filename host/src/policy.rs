//! The egress policy: which origins the component may reach, and how long a
//! request may take.
//!
//! Deny by default. A request is allowed only when its origin is listed
//! exactly: scheme, host and port (`https://host:443`, lower-case, default
//! ports made explicit), so allowing `https://host` allows neither
//! `http://host:443` nor `http://host`. There are no wildcards and no "same
//! origin as the component" shortcut.

use gbg_go_contract::defaults;
use gbg_go_contract::hosts::is_loopback;
use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use url::Url;
use wasmtime_wasi_http::RequestOptions;

/// When plain `http` is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlainHttp {
    /// Only to loopback addresses (`127.0.0.0/8`, `::1`, `localhost`); every
    /// other authority needs `https`.
    #[default]
    LoopbackOnly,
    /// To any allowed authority. For tests on private networks only.
    Anywhere,
}

/// Upper bounds on the component's per-request timeouts. A guest asking for
/// longer (or for none, which wasmtime would treat as 600 s) gets these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the connection (and TLS).
    pub connect: Duration,
    /// Waiting for the response head.
    pub first_byte: Duration,
    /// Waiting between two chunks of the response body.
    pub between_bytes: Duration,
    /// The whole exchange, from sending the request to the body's last byte,
    /// whether or not the component reads the body: a server dripping bytes
    /// just under the between-bytes timeout is cut off here.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(defaults::CONNECT_TIMEOUT_MS),
            first_byte: Duration::from_millis(defaults::FIRST_BYTE_TIMEOUT_MS),
            between_bytes: Duration::from_millis(defaults::BETWEEN_BYTES_TIMEOUT_MS),
            total: Duration::from_millis(defaults::EXCHANGE_DEADLINE_MS),
        }
    }
}

/// The rules every outgoing request of a component is checked against.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    allowed: BTreeSet<String>,
    plain_http: PlainHttp,
    timeouts: Timeouts,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The authority the request was for, as the guest sent it but without
    /// any `user:password@` part, so that logging it cannot leak a credential.
    pub authority: String,
    /// The rule it broke.
    pub reason: &'static str,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request to {} denied: {}", self.authority, self.reason)
    }
}

impl EgressPolicy {
    /// A policy that allows nothing.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Allows the origin (scheme, host and port) of each URL.
    pub fn allowing<'a>(urls: impl IntoIterator<Item = &'a Url>) -> Self {
        urls.into_iter()
            .fold(Self::deny_all(), |policy, url| policy.allow_url(url))
    }

    /// Also allows the origin (scheme, host and port) of `url`; a URL whose
    /// scheme is not `http` or `https` allows nothing.
    pub fn allow_url(mut self, url: &Url) -> Self {
        if let Some(origin) = url_origin(url) {
            self.allowed.insert(origin);
        }
        self
    }

    /// Sets when plain `http` is acceptable.
    pub fn plain_http(mut self, plain_http: PlainHttp) -> Self {
        self.plain_http = plain_http;
        self
    }

    /// Sets the timeout bounds.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The allowed origins, normalised as `scheme://host:port`.
    pub fn allowed_origins(&self) -> impl Iterator<Item = &str> {
        self.allowed.iter().map(String::as_str)
    }

    /// Checks one request URI.
    pub fn check(&self, uri: &http::Uri) -> Result<(), Denial> {
        // Only a denial names the authority: an allowed request copies nothing.
        let deny = |reason| {
            let given = uri.authority().map_or("", |a| a.as_str());
            Err(Denial {
                authority: given.rsplit('@').next().unwrap_or("").to_owned(),
                reason,
            })
        };
        let Some(authority) = uri.authority() else {
            return deny("the request has no authority");
        };
        if authority.as_str().contains('@') {
            return deny("credentials in the authority are not allowed");
        }
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return deny("only http and https are allowed"),
        };
        let host = unbracketed(authority.host());
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        if !self.allowed.contains(&normalised(https, host, port)) {
            return deny("the origin (scheme, host and port) is not on the host's allow-list");
        }
        if !https && self.plain_http == PlainHttp::LoopbackOnly && !is_loopback(host) {
            return deny("plain http is only allowed to loopback addresses");
        }
        Ok(())
    }

    /// The timeout bounds, the connect timeout among them.
    pub(crate) fn timeout_bounds(&self) -> Timeouts {
        self.timeouts
    }

    /// When plain `http` is acceptable.
    pub(crate) fn plain_http_rule(&self) -> PlainHttp {
        self.plain_http
    }

    /// The guest's request options with every timeout bounded by the policy.
    pub fn clamp(&self, options: Option<RequestOptions>) -> RequestOptions {
        let options = options.unwrap_or_default();
        let bound =
            |asked: Option<Duration>, limit: Duration| Some(asked.map_or(limit, |a| a.min(limit)));
        RequestOptions {
            connect_timeout: bound(options.connect_timeout, self.timeouts.connect),
            first_byte_timeout: bound(options.first_byte_timeout, self.timeouts.first_byte),
            between_bytes_timeout: bound(
                options.between_bytes_timeout,
                self.timeouts.between_bytes,
            ),
        }
    }
}

fn url_origin(url: &Url) -> Option<String> {
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let host = unbracketed(url.host_str()?);
    Some(normalised(https, host, url.port_or_known_default()?))
}

/// An IPv6 host without its brackets; any other host as it is.
fn unbracketed(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// `scheme://host:port` (`[host]` for IPv6), lower-case: the allow-list's key.
fn normalised(https: bool, host: &str, port: u16) -> String {
    let scheme = if https { "https" } else { "http" };
    let host = host.to_ascii_lowercase();
    if host.contains(':') {
        format!("{scheme}://[{host}]:{port}")
    } else {
        format!("{scheme}://{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    fn policy() -> EgressPolicy {
        EgressPolicy::allowing(&[
            Url::parse("https://eu.platform.go.gbgplc.com/v2/captain").unwrap(),
            Url::parse("http://127.0.0.1:8080/as/token.oauth2").unwrap(),
        ])
    }

    #[test]
    fn allows_exactly_the_configured_authorities() {
        let p = policy();
        assert!(
            p.check(&uri(
                "https://eu.platform.go.gbgplc.com/v2/captain/journey/start"
            ))
            .is_ok()
        );
        assert!(
            p.check(&uri("https://EU.platform.go.gbgplc.com:443/x"))
                .is_ok()
        );
        assert!(
            p.check(&uri("http://127.0.0.1:8080/as/token.oauth2"))
                .is_ok()
        );
        for denied in [
            "https://us.platform.go.gbgplc.com/v2/captain/journey/start",
            "https://eu.platform.go.gbgplc.com:8443/x",
            "https://evil.example/x",
            "http://127.0.0.1:8081/x",
            "https://platform.go.gbgplc.com/x",
        ] {
            let denial = p.check(&uri(denied)).unwrap_err();
            assert_eq!(denial.reason, NOT_LISTED, "{denied}");
        }
    }

    const NOT_LISTED: &str = "the origin (scheme, host and port) is not on the host's allow-list";

    /// An allowed `https` origin does not allow plain `http` to the same
    /// host and port, even when plain `http` is allowed anywhere, nor the
    /// other way round.
    #[test]
    fn the_scheme_is_part_of_the_key() {
        let p = EgressPolicy::allowing(&[
            Url::parse("https://api.auth.gbgplc.com/as/token.oauth2").unwrap(),
            Url::parse("http://127.0.0.1:8080/v2/captain").unwrap(),
        ])
        .plain_http(PlainHttp::Anywhere);
        assert!(p.check(&uri("https://api.auth.gbgplc.com/x")).is_ok());
        assert!(p.check(&uri("http://127.0.0.1:8080/x")).is_ok());
        for denied in [
            "http://api.auth.gbgplc.com:443/as/token.oauth2",
            "http://api.auth.gbgplc.com/as/token.oauth2",
            "https://127.0.0.1:8080/v2/captain",
        ] {
            assert_eq!(
                p.check(&uri(denied)).unwrap_err().reason,
                NOT_LISTED,
                "{denied}"
            );
        }
        assert_eq!(
            p.allowed_origins().collect::<Vec<_>>(),
            ["http://127.0.0.1:8080", "https://api.auth.gbgplc.com:443"]
        );
        let ftp = EgressPolicy::allowing(&[Url::parse("ftp://127.0.0.1:21/").unwrap()]);
        assert_eq!(ftp.allowed_origins().count(), 0);
    }

    #[test]
    fn plain_http_needs_loopback_unless_relaxed() {
        let p = EgressPolicy::allowing(&[Url::parse("http://api.internal:80/").unwrap()]);
        let request = uri("http://api.internal/v2");
        assert_eq!(
            p.check(&request).unwrap_err().reason,
            "plain http is only allowed to loopback addresses"
        );
        assert!(p.plain_http(PlainHttp::Anywhere).check(&request).is_ok());
    }

    #[test]
    fn refuses_userinfo_and_other_schemes() {
        let p = policy();
        let denial = p
            .check(&uri("https://user:pa55@eu.platform.go.gbgplc.com/x"))
            .unwrap_err();
        assert_eq!(
            denial.reason,
            "credentials in the authority are not allowed"
        );
        assert_eq!(
            denial.authority, "eu.platform.go.gbgplc.com",
            "no credential is shown"
        );
        assert!(p.check(&uri("ftp://eu.platform.go.gbgplc.com/x")).is_err());
        assert!(
            EgressPolicy::deny_all()
                .check(&uri("http://127.0.0.1:8080/"))
                .is_err()
        );
    }

    /// No "self" or relative-request shortcut (compare Spin's GHSA-f3h7-gpjj-wcvh,
    /// where a request without an authority was sent wherever the inbound
    /// `Host` header pointed), and no spelling of an allowed host but the
    /// configured one.
    #[test]
    fn no_self_relative_or_respelled_authorities() {
        let p = policy();
        for denied in [
            "/v2/captain/journey/start",
            "http://self/v2/captain/journey/start",
            "http://self.alt/v2/captain/journey/start",
            "https://eu.platform.go.gbgplc.com./v2/captain",
            "http://localhost:8080/as/token.oauth2",
            "http://2130706433:8080/as/token.oauth2",
            "http://[::1]:8080/as/token.oauth2",
        ] {
            assert!(p.check(&uri(denied)).is_err(), "{denied}");
        }
    }

    #[test]
    fn clamps_missing_and_long_timeouts() {
        let p = policy();
        let clamped = p.clamp(Some(RequestOptions {
            connect_timeout: Some(Duration::from_secs(600)),
            first_byte_timeout: Some(Duration::from_millis(5)),
            between_bytes_timeout: None,
        }));
        assert_eq!(clamped.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(clamped.first_byte_timeout, Some(Duration::from_millis(5)));
        assert_eq!(clamped.between_bytes_timeout, Some(Duration::from_secs(30)));
    }
}
