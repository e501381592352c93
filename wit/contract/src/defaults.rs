//! The defaults and limits every runtime applies, in one place.

/// Linear memory a client's store may use, summed over its memories.
pub const MEMORY_BYTES: usize = 64 << 20;

/// The longest one call may run, in milliseconds; a wait gets its own
/// timeout on top.
pub const CALL_BUDGET_MS: u64 = 120_000;

/// Calls one Node or Python client runs at once, each in its own instance.
pub const MAX_CONCURRENCY: usize = 4;

/// The host's ceiling on a request's connect timeout, in milliseconds.
pub const CONNECT_TIMEOUT_MS: u64 = 10_000;

/// The host's ceiling on the wait for an answer's first byte, in milliseconds.
pub const FIRST_BYTE_TIMEOUT_MS: u64 = 30_000;

/// The host's ceiling on the wait between two body bytes, in milliseconds.
pub const BETWEEN_BYTES_TIMEOUT_MS: u64 = 30_000;

/// The whole exchange of one request ends within this, in milliseconds.
pub const EXCHANGE_DEADLINE_MS: u64 = 60_000;

/// The `scope` of the `client_credentials` grant when none is configured.
pub const SCOPE: &str = "gbg.token";

/// Attempts per call, the first included, when no retry policy is given.
pub const RETRY_MAX_ATTEMPTS: u32 = 4;

/// The backoff before the first retry, in milliseconds.
pub const RETRY_INITIAL_BACKOFF_MS: u32 = 250;

/// The largest backoff between two attempts, in milliseconds.
pub const RETRY_MAX_BACKOFF_MS: u32 = 5_000;

/// The time budget for all attempts of one call, in milliseconds.
pub const RETRY_MAX_ELAPSED_MS: u32 = 30_000;

/// Seconds before expiry at which a cached token is replaced.
pub const REFRESH_MARGIN_S: u32 = 60;

/// The smallest accepted token refresh margin, in seconds.
pub const MIN_REFRESH_MARGIN_S: u32 = 30;

/// The largest response body accepted, in bytes.
pub const MAX_RESPONSE_BYTES: u32 = 8 << 20;

/// The per-request timeout the component asks for, in milliseconds.
pub const REQUEST_TIMEOUT_MS: u32 = 30_000;

/// The shortest accepted client secret or password, in characters (NIST SP
/// 800-63B's minimum for a memorised secret). Shorter ones are refused
/// rather than redacted: a secret of a few characters occurs by chance in
/// ordinary text, so redacting it would blank words, and it protects nothing.
pub const MIN_SECRET_CHARS: usize = 8;

/// The shortest accepted key of the journey service (its caller key and the
/// Webhook module's password or key), in characters: a key callers present
/// on every request must resist guessing (`openssl rand -hex 32` gives 64).
pub const MIN_KEY_CHARS: usize = 16;

/// The shortest accepted event-signing key (the decoded `whsec_` secret),
/// in bytes.
pub const MIN_EVENT_KEY_BYTES: usize = 16;

/// How long the journey service waits for a request body, in milliseconds.
pub const BODY_TIMEOUT_MS: u64 = 10_000;

/// How long the journey service waits for the event receiver's answer, in
/// milliseconds.
pub const EVENT_TIMEOUT_MS: u32 = 10_000;

/// How long the journey service honours an `Idempotency-Key`, in
/// milliseconds (24 h).
pub const IDEMPOTENCY_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// The pause between two state fetches of a wait, in milliseconds.
pub const POLL_INTERVAL_MS: u32 = 2_000;

/// The longest a wait may take, in milliseconds.
pub const WAIT_TIMEOUT_MS: u32 = 600_000;
