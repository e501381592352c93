//! The per-store state: WASI contexts, the resource table, the egress hooks
//! and the limiter of what the guest can make the host hold.

use wasmtime::component::ResourceTable;
use wasmtime::{Result, bail};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::hooks::PolicyHooks;
use crate::limits::SandboxLimits;

/// What each [`wasmtime::Store`] running the component holds.
pub(crate) struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: PolicyHooks,
    pub(crate) limiter: StoreLimiter,
}

impl HostState {
    /// A sandbox with no files, environment, arguments, stdio or sockets:
    /// only clocks, randomness and `wasi:http` through `hooks`, within
    /// `limits`.
    pub(crate) fn new(hooks: PolicyHooks, limits: &SandboxLimits) -> Self {
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(limits.field_bytes);
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.resources);
        Self {
            wasi,
            http,
            table,
            hooks,
            limiter: StoreLimiter::new(limits),
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Bounds a store's linear memory and table elements in total, over all its
/// memories and tables, and the number of instances, memories and tables.
///
/// wasmtime's `StoreLimits` bounds each memory and each table on its own, so
/// a component with several memories could take a multiple of the limit.
/// Growing past a bound traps, which poisons only this client.
pub(crate) struct StoreLimiter {
    memory_bytes: Budget,
    table_elements: Budget,
    instances: usize,
    memories: usize,
    tables: usize,
}

impl StoreLimiter {
    fn new(limits: &SandboxLimits) -> Self {
        Self {
            memory_bytes: Budget::new(limits.memory_bytes, "memory", "memories", "bytes"),
            table_elements: Budget::new(limits.table_elements, "a table", "tables", "elements"),
            instances: limits.instances,
            memories: limits.memories,
            tables: limits.tables,
        }
    }
}

impl wasmtime::ResourceLimiter for StoreLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool> {
        self.memory_bytes.growing(current, desired, maximum)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> Result<()> {
        Err(error.context("forcing a memory growth failure to be a trap"))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool> {
        self.table_elements.growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> Result<()> {
        Err(error.context("forcing a table growth failure to be a trap"))
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// A store-wide total and its limit, with the words of its trap message.
struct Budget {
    used: usize,
    limit: usize,
    /// What grows (`memory`), what is totalled (`memories`), in what unit.
    words: (&'static str, &'static str, &'static str),
}

impl Budget {
    fn new(limit: usize, one: &'static str, all: &'static str, unit: &'static str) -> Self {
        Self {
            used: 0,
            limit,
            words: (one, all, unit),
        }
    }

    /// Whether one memory or table may grow from `current` to `desired`
    /// (past its own `maximum` it may not); a trap when the total would pass
    /// the limit.
    fn growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool> {
        if maximum.is_some_and(|maximum| desired > maximum) {
            return Ok(false);
        }
        if !self.grow(current, desired) {
            let (one, all, unit) = self.words;
            bail!(
                "forcing trap when growing {one}: the store's {all} would exceed {} {unit} in total",
                self.limit
            );
        }
        Ok(true)
    }

    /// Accounts for one memory or table growing from `current` to `desired`;
    /// false (and nothing accounted) when the total would pass the limit.
    fn grow(&mut self, current: usize, desired: usize) -> bool {
        let total = self.used.saturating_sub(current).saturating_add(desired);
        if total > self.limit {
            return false;
        }
        self.used = total;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_by_every_memory() {
        let mut budget = Budget::new(100, "memory", "memories", "bytes");
        assert!(budget.grow(0, 60), "a first memory of 60");
        assert!(!budget.grow(0, 50), "a second of 50 passes the total");
        assert!(budget.grow(0, 40), "a second of 40 fits");
        assert!(budget.grow(60, 60), "not growing is free");
        assert!(!budget.grow(40, 41), "one more unit passes the total");
        assert_eq!(budget.used, 100);
        let trap = budget.growing(100, 101, None).unwrap_err();
        assert_eq!(
            trap.to_string(),
            "forcing trap when growing memory: the store's memories would exceed 100 bytes in total"
        );
        assert!(
            !budget.growing(100, 101, Some(100)).unwrap(),
            "past its own maximum"
        );
    }
}
