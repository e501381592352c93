//! What the host grants each client's store.

use std::time::Duration;

use gbg_go_contract::defaults;

use crate::policy::{PlainHttp, Timeouts};

/// What the host grants each client's store: everything a guest can make
/// the host hold is bounded here, and going over a bound is a trap or a
/// typed error for that client alone.
#[derive(Debug, Clone)]
pub struct SandboxLimits {
    /// Linear memory, in bytes, summed over all the store's memories.
    pub memory_bytes: usize,
    /// Table elements, summed over all the store's tables.
    pub table_elements: usize,
    /// Core module instances in the store.
    pub instances: usize,
    /// Linear memories in the store.
    pub memories: usize,
    /// Tables in the store.
    pub tables: usize,
    /// Entries in the store's resource table (`wasi:http` fields, requests,
    /// responses, bodies, streams, pollables) and, twice that, handles the
    /// component holds.
    pub resources: usize,
    /// The size of one `wasi:http` `fields` resource (headers), roughly as
    /// the host holds it in memory.
    pub field_bytes: usize,
    /// Outgoing requests the client may have open at once, from sending to
    /// the end of the response body; one more fails with
    /// `connection-limit-reached`.
    pub concurrent_requests: usize,
    /// The longest one call may run. `wait_for_completion` gets its own
    /// timeout plus `call_budget` instead.
    pub call_budget: Duration,
    /// Upper bounds on each request's timeouts, and its total deadline.
    pub timeouts: Timeouts,
    /// When plain `http` is acceptable.
    pub plain_http: PlainHttp,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self {
            memory_bytes: defaults::MEMORY_BYTES,
            table_elements: 100_000,
            instances: 32,
            memories: 8,
            tables: 16,
            resources: 256,
            field_bytes: 16 << 10,
            concurrent_requests: 4,
            call_budget: Duration::from_millis(defaults::CALL_BUDGET_MS),
            timeouts: Timeouts::default(),
            plain_http: PlainHttp::LoopbackOnly,
        }
    }
}
