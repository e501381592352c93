//! Fault knobs: latency, rate limiting, server errors, dropped connections, token
//! lifetime and instance retention; settable in the configuration and at run time.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::paths;

/// The fault knobs. `Default`: no faults, 3600 s tokens, instances kept forever.
///
/// Latency, 429, 5xx and dropped connections apply to the requests [`path_prefix`]
/// selects. One request consumes at most one counted fault, in this order: dropped
/// connection, 429, 5xx.
///
/// [`path_prefix`]: Faults::path_prefix
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Which requests get latency, 429, 5xx and dropped connections. Compared with the
    /// path below the API base for journey API calls (`journey/state/fetch`) and with
    /// the path without its leading `/` for everything else (`as/token.oauth2`,
    /// `journey/<instance id>` for hosted pages). `None`: every journey API call
    /// (health included) and both token endpoints, but no hosted page.
    pub path_prefix: Option<String>,
    /// Milliseconds added before every selected request is answered.
    pub latency_ms: u64,
    /// The next selected requests answered 429.
    pub rate_limit: RateLimitFault,
    /// The next selected requests answered with a 5xx status.
    pub server_error: ServerErrorFault,
    /// The next selected requests whose connection is closed without an answer.
    pub drop_connections: u32,
    /// The lifetime of access tokens issued from now on (`expires_in`), in seconds; 0
    /// issues tokens that are already expired.
    pub token_lifetime_s: u64,
    /// Instances older than this many seconds answer 404 everywhere (state, interactions,
    /// hosted page); `None` keeps them until deleted. Applies to existing instances too.
    pub instance_ttl_s: Option<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            path_prefix: None,
            latency_ms: 0,
            rate_limit: RateLimitFault::default(),
            server_error: ServerErrorFault::default(),
            drop_connections: 0,
            token_lifetime_s: 3600,
            instance_ttl_s: None,
        }
    }
}

/// Answers 429 `TOO_MANY_REQUESTS` to the next `count` selected requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitFault {
    /// How many requests are still to be answered 429.
    pub count: u32,
    /// The `Retry-After` header value in seconds; no header when `None`.
    pub retry_after_s: Option<u64>,
}

/// Answers a 5xx status to the next `count` selected requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerErrorFault {
    /// How many requests are still to be answered with `status`.
    pub count: u32,
    /// The status to answer.
    pub status: ServerErrorStatus,
}

/// A 5xx status the simulator can inject; written as the number in JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub enum ServerErrorStatus {
    /// 500 Internal Server Error.
    InternalServerError,
    /// 502 Bad Gateway.
    BadGateway,
    /// 503 Service Unavailable.
    #[default]
    ServiceUnavailable,
    /// 504 Gateway Timeout.
    GatewayTimeout,
}

impl ServerErrorStatus {
    /// The HTTP status code.
    pub fn code(self) -> u16 {
        match self {
            ServerErrorStatus::InternalServerError => 500,
            ServerErrorStatus::BadGateway => 502,
            ServerErrorStatus::ServiceUnavailable => 503,
            ServerErrorStatus::GatewayTimeout => 504,
        }
    }
}

impl From<ServerErrorStatus> for u16 {
    fn from(status: ServerErrorStatus) -> u16 {
        status.code()
    }
}

/// A status other than 500, 502, 503 or 504.
#[derive(Debug, thiserror::Error)]
#[error("server_error.status must be 500, 502, 503 or 504, not {0}")]
pub struct UnsupportedStatus(u16);

impl TryFrom<u16> for ServerErrorStatus {
    type Error = UnsupportedStatus;

    fn try_from(code: u16) -> Result<Self, UnsupportedStatus> {
        match code {
            500 => Ok(ServerErrorStatus::InternalServerError),
            502 => Ok(ServerErrorStatus::BadGateway),
            503 => Ok(ServerErrorStatus::ServiceUnavailable),
            504 => Ok(ServerErrorStatus::GatewayTimeout),
            other => Err(UnsupportedStatus(other)),
        }
    }
}

/// Changes the fault knobs of a running simulator. Cheap to clone; every clone
/// controls the same simulator.
#[derive(Clone, Debug)]
pub struct FaultHandle {
    inner: Arc<Mutex<Knobs>>,
}

#[derive(Debug)]
struct Knobs {
    configured: Faults,
    current: Faults,
}

/// What the fault knobs do to one request.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FaultDecision {
    /// Wait this long first.
    pub latency: Duration,
    /// Then do this instead of answering normally, if anything.
    pub action: Option<FaultAction>,
}

/// A counted fault taken by one request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FaultAction {
    /// Close the connection without an answer.
    Drop,
    /// Answer 429, with `Retry-After` when given.
    RateLimit(Option<u64>),
    /// Answer this 5xx status.
    ServerError(ServerErrorStatus),
}

impl FaultHandle {
    pub(crate) fn new(configured: Faults) -> Self {
        FaultHandle {
            inner: Arc::new(Mutex::new(Knobs {
                current: configured.clone(),
                configured,
            })),
        }
    }

    fn knobs(&self) -> MutexGuard<'_, Knobs> {
        // A poisoned lock only means another thread panicked mid-update; the knobs are
        // plain data and stay usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The knobs in force now (counters show what is left).
    pub fn get(&self) -> Faults {
        self.knobs().current.clone()
    }

    /// Replaces every knob.
    pub fn set(&self, faults: Faults) {
        self.knobs().current = faults;
    }

    /// Changes some knobs in place.
    pub fn update(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.knobs().current);
    }

    /// Restores the knobs the simulator was configured with.
    pub fn reset(&self) {
        let mut knobs = self.knobs();
        knobs.current = knobs.configured.clone();
    }

    /// Answers the next `count` selected requests 429, with `Retry-After: <s>` when given.
    pub fn rate_limit_next(&self, count: u32, retry_after_s: Option<u64>) {
        self.update(|faults| {
            faults.rate_limit = RateLimitFault {
                count,
                retry_after_s,
            }
        });
    }

    /// Answers the next `count` selected requests with `status`.
    pub fn fail_next(&self, count: u32, status: ServerErrorStatus) {
        self.update(|faults| faults.server_error = ServerErrorFault { count, status });
    }

    /// Closes the connection of the next `count` selected requests without answering.
    pub fn drop_next(&self, count: u32) {
        self.update(|faults| faults.drop_connections = count);
    }

    /// Selects which requests get latency, 429, 5xx and dropped connections (see
    /// [`Faults::path_prefix`]).
    pub fn target(&self, path_prefix: Option<&str>) {
        self.update(|faults| faults.path_prefix = path_prefix.map(str::to_owned));
    }

    /// Adds `latency_ms` before every selected answer.
    pub fn set_latency_ms(&self, latency_ms: u64) {
        self.update(|faults| faults.latency_ms = latency_ms);
    }

    /// The lifetime of tokens issued from now on.
    pub(crate) fn token_lifetime(&self) -> Duration {
        Duration::from_secs(self.knobs().current.token_lifetime_s)
    }

    /// How long instances live, if limited.
    pub(crate) fn instance_ttl(&self) -> Option<Duration> {
        self.knobs().current.instance_ttl_s.map(Duration::from_secs)
    }

    /// Decides, and counts, what happens to a request for `path`.
    pub(crate) fn decide(&self, path: &str) -> FaultDecision {
        let mut knobs = self.knobs();
        let faults = &mut knobs.current;
        if !selects(faults.path_prefix.as_deref(), path) {
            return FaultDecision::default();
        }
        let action = if faults.drop_connections > 0 {
            faults.drop_connections -= 1;
            Some(FaultAction::Drop)
        } else if faults.rate_limit.count > 0 {
            faults.rate_limit.count -= 1;
            Some(FaultAction::RateLimit(faults.rate_limit.retry_after_s))
        } else if faults.server_error.count > 0 {
            faults.server_error.count -= 1;
            Some(FaultAction::ServerError(faults.server_error.status))
        } else {
            None
        };
        FaultDecision {
            latency: Duration::from_millis(faults.latency_ms),
            action,
        }
    }
}

/// Whether the knobs select a request for `path` (see [`Faults::path_prefix`]).
fn selects(prefix: Option<&str>, path: &str) -> bool {
    let api_path = paths::below_api(path);
    match prefix {
        Some(prefix) => {
            let relative = api_path.unwrap_or_else(|| path.trim_start_matches('/'));
            relative.starts_with(prefix.trim_start_matches('/'))
        }
        None => api_path.is_some() || paths::is_token_path(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_selection_is_api_and_token_but_not_hosted_pages() {
        assert!(selects(None, "/v2/captain/journey/start"));
        assert!(selects(None, "/v2/captain/journey/health"));
        assert!(selects(None, "/as/token.oauth2"));
        assert!(selects(
            None,
            "/auth/realms/go/protocol/openid-connect/token"
        ));
        assert!(!selects(None, "/journey/abc"));
    }

    #[test]
    fn a_prefix_selects_below_the_api_base_or_the_root() {
        let prefix = Some("journey/state/fetch");
        assert!(selects(prefix, "/v2/captain/journey/state/fetch"));
        assert!(!selects(prefix, "/v2/captain/journey/start"));
        assert!(selects(Some("as/"), "/as/token.oauth2"));
        assert!(selects(Some("/journey/"), "/journey/abc"));
    }

    #[test]
    fn counted_faults_are_taken_one_per_request_in_order() {
        let handle = FaultHandle::new(Faults::default());
        handle.drop_next(1);
        handle.rate_limit_next(1, Some(2));
        handle.fail_next(1, ServerErrorStatus::BadGateway);
        let path = "/v2/captain/journey/start";
        assert_eq!(handle.decide(path).action, Some(FaultAction::Drop));
        assert_eq!(
            handle.decide(path).action,
            Some(FaultAction::RateLimit(Some(2)))
        );
        assert_eq!(
            handle.decide(path).action,
            Some(FaultAction::ServerError(ServerErrorStatus::BadGateway))
        );
        assert_eq!(handle.decide(path).action, None);
    }

    #[test]
    fn reset_restores_the_configured_knobs() {
        let configured = Faults {
            latency_ms: 5,
            ..Faults::default()
        };
        let handle = FaultHandle::new(configured.clone());
        handle.set_latency_ms(0);
        handle.reset();
        assert_eq!(handle.get(), configured);
    }

    #[test]
    fn only_the_four_gateway_statuses_are_accepted() {
        assert!(serde_json::from_str::<ServerErrorStatus>("502").is_ok());
        assert!(serde_json::from_str::<ServerErrorStatus>("501").is_err());
    }
}
