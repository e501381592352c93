//! The engine, the pre-linked component and the sandbox limits shared by
//! every client.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{
    Config, Engine, EngineWeak, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
};
use wasmtime_wasi_http::p2::bindings::{LinkOptions, http};
use wasmtime_wasi_http::{WasiHttp, WasiHttpView};

use crate::bindings::GbgGoPre;
use crate::client::Client;
use crate::component::{self, ComponentSource};
use crate::hooks::{self, PolicyHooks};
use crate::limits::SandboxLimits;
use crate::policy::EgressPolicy;
use crate::pool::{ConnectionOptions, ConnectionPool};
use crate::state::HostState;
use crate::{ClientSettings, Error};

/// How often the epoch advances; a running guest yields to the executor at
/// least this often, so time budgets are enforced even in a busy loop.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Bytes the guest may copy into the host in one call (a request body
/// chunk, a header list); wasmtime's default is 128 MiB.
const HOSTCALL_BYTES: usize = 1 << 20;

/// How component instances get their memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Allocation {
    /// Memory is mapped when an instance is created.
    #[default]
    OnDemand,
    /// Memory for up to `max_instances` live clients is reserved up front and
    /// reused, with copy-on-write images: the fastest way to create an
    /// instance per call. Opening more clients than that fails until some
    /// are dropped.
    Pooling {
        /// How many clients may be open at once.
        max_instances: u32,
    },
}

/// How a [`Runtime`] is built.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// The component to run.
    pub component: ComponentSource,
    /// Where compiled components are cached; `None` compiles on every start.
    pub compile_cache: Option<PathBuf>,
    /// The sandbox each client gets.
    pub limits: SandboxLimits,
    /// How outgoing connections are kept and reused.
    pub connections: ConnectionOptions,
    /// How instances get their memory.
    pub allocation: Allocation,
}

impl Default for RuntimeOptions {
    /// The embedded component, the per-user compile cache, default limits.
    fn default() -> Self {
        Self {
            component: ComponentSource::Embedded,
            compile_cache: component::default_cache_dir(),
            limits: SandboxLimits::default(),
            connections: ConnectionOptions::default(),
            allocation: Allocation::OnDemand,
        }
    }
}

/// A compiled, pre-linked component. Cheap to share; open one [`Client`] per
/// configuration (each gets its own store and sandbox).
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    pre: GbgGoPre<HostState>,
    limits: SandboxLimits,
    pool: Arc<ConnectionPool>,
}

impl Runtime {
    /// Loads (or compiles) the component and links it against WASI and
    /// `wasi:http`.
    pub fn new(options: RuntimeOptions) -> Result<Self, Error> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        if let Allocation::Pooling { max_instances } = options.allocation {
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling(
                max_instances,
                options.limits.memory_bytes,
            )));
        }
        let engine = Engine::new(&config).map_err(|e| Error::Load(format!("{e:#}")))?;
        let component = component::load(
            &engine,
            &options.component,
            options.compile_cache.as_deref(),
        )?;

        let mut linker = Linker::<HostState>::new(&engine);
        let link = |result: wasmtime::Result<()>| {
            result.map_err(|e| Error::Load(format!("linking failed: {e:#}")))
        };
        link(wasmtime_wasi::p2::add_to_linker_async(&mut linker))?;
        link(http::types::add_to_linker::<_, WasiHttp>(
            &mut linker,
            &LinkOptions::default().into(),
            HostState::http,
        ))?;
        link(hooks::add_outgoing_handler(&mut linker))?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(GbgGoPre::new)
            .map_err(|e| Error::Load(format!("the component does not fit this host: {e:#}")))?;

        spawn_epoch_ticker(engine.weak());
        let pool = ConnectionPool::new(options.connections);
        Ok(Self {
            inner: Arc::new(Inner {
                engine,
                pre,
                limits: options.limits,
                pool: Arc::new(pool),
            }),
        })
    }

    /// The sandbox limits clients get.
    pub fn limits(&self) -> &SandboxLimits {
        &self.inner.limits
    }

    /// Opens a client allowed to reach exactly its API and token URLs.
    pub async fn open(&self, settings: ClientSettings) -> Result<Client, Error> {
        let limits = &self.inner.limits;
        let policy = EgressPolicy::allowing(&settings.reachable_urls())
            .timeouts(limits.timeouts)
            .plain_http(limits.plain_http);
        self.open_with_policy(settings, policy).await
    }

    /// Opens a client under an explicit egress policy.
    pub async fn open_with_policy(
        &self,
        settings: ClientSettings,
        policy: EgressPolicy,
    ) -> Result<Client, Error> {
        let limits = &self.inner.limits;
        let hooks = PolicyHooks::new(
            Arc::new(policy),
            Arc::clone(&self.inner.pool),
            limits.concurrent_requests,
        );
        let state = HostState::new(hooks, limits);
        let mut store = Store::new(&self.inner.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_max_component_handles(limits.resources.saturating_mul(2));
        store.set_hostcall_fuel(HOSTCALL_BYTES);
        store.epoch_deadline_async_yield_and_update(1);
        Client::open(store, &self.inner.pre, &settings, limits.call_budget).await
    }
}

/// Slots for `instances` clients of the guest component, each with up to
/// `memory_bytes` of linear memory. A component instance holds several core
/// instances and tables; the multipliers leave room for other builds.
fn pooling(instances: u32, memory_bytes: usize) -> PoolingAllocationConfig {
    let mut pooling = PoolingAllocationConfig::new();
    pooling
        .total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(8))
        .total_memories(instances.saturating_mul(2))
        .total_tables(instances.saturating_mul(4))
        .max_memory_size(memory_bytes);
    pooling
}

/// Advances the engine's epoch until the engine is dropped.
fn spawn_epoch_ticker(engine: EngineWeak) {
    std::thread::Builder::new()
        .name("gbg-go-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}
