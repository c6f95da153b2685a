//! The settings of a [`Harness`]: what a run may use and what it is judged by.

use crate::component::DEFAULT_MAX_COMPONENT_SIZE;
use crate::error::Error;
use crate::harness::Harness;
use crate::peer::{PeerOptions, TcpClientOptions};
use crate::plan::{Plan, PlanError};
use crate::policy::NetPolicy;
use crate::wasi;
use std::time::Duration;
use wasmtime::component::Linker;
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
};

/// Default memory bound of a guest: 512 MiB of linear memory.
pub const DEFAULT_MAX_MEMORY: usize = 512 << 20;
/// Default wall-clock safety net. Hangs and busy loops are found by counting, long
/// before this; it only catches what counting cannot see.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);
/// Default bound on the sockets a guest may have open at once: well under the process's
/// descriptor limit, which the harness's own peer sockets share.
pub const DEFAULT_MAX_SOCKETS: u64 = 1024;
/// The most datagrams a run may be expected to deliver (`--expect-datagrams`).
pub const MAX_EXPECTED_DATAGRAMS: u64 = 1_000_000_000;
/// Instances alive at once in one harness (runs on every thread, tests in parallel).
const POOL_INSTANCES: u32 = 64;
/// The smallest memory bound that can run a guest at all.
pub const MIN_MEMORY: usize = 1 << 20;
/// Default number of socket calls in a row without progress that makes a busy loop.
pub const DEFAULT_BUSY_THRESHOLD: u64 = 1000;
/// Fuel between yields to the async executor, so a guest that spins inside wasm still
/// lets the time limit fire. Fuel is counted, so where the yields fall is deterministic.
pub(crate) const FUEL_YIELD_INTERVAL: u64 = 1_000_000;
/// Captured stdout/stderr is bounded; a guest that prints more is cut, not fatal.
pub(crate) const CAPTURE_LIMIT: usize = 1 << 20;

/// Where the guest's stdout and stderr go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Output {
    /// Straight to the harness's own stdout and stderr.
    Inherit,
    /// Into the [`Outcome`], for tests to assert on.
    #[default]
    Capture,
}

/// Which time the guest sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Clock {
    /// Virtual time: it starts at a fixed value and moves only when the guest waits and
    /// nothing but a timer can wake it; then it jumps to the earliest deadline. A run never
    /// sleeps on a timer, and its trace does not depend on the machine's speed.
    #[default]
    Virtual,
    /// The machine's clocks, as wasmtime-wasi gives them: back-offs really wait.
    Real,
}

/// Settings for a [`Harness`].
#[derive(Debug, Clone)]
pub struct Builder {
    pub(crate) plan: Plan,
    pub(crate) net: NetPolicy,
    pub(crate) max_memory: usize,
    pub(crate) time_limit: Duration,
    pub(crate) busy_threshold: u64,
    pub(crate) cache: bool,
    pub(crate) output: Output,
    pub(crate) inherit_env: bool,
    pub(crate) inherit_stdin: bool,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) no_drops: bool,
    pub(crate) max_component_size: u64,
    pub(crate) max_sockets: u64,
    pub(crate) preopens: Vec<(String, String)>,
    pub(crate) clock: Clock,
    pub(crate) peer: Option<PeerOptions>,
    pub(crate) tcp_client: Option<TcpClientOptions>,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            plan: Plan::new(),
            net: NetPolicy::loopback(),
            max_memory: DEFAULT_MAX_MEMORY,
            time_limit: DEFAULT_TIME_LIMIT,
            busy_threshold: DEFAULT_BUSY_THRESHOLD,
            cache: false,
            output: Output::default(),
            inherit_env: false,
            inherit_stdin: false,
            env: Vec::new(),
            no_drops: false,
            max_component_size: DEFAULT_MAX_COMPONENT_SIZE,
            max_sockets: DEFAULT_MAX_SOCKETS,
            preopens: Vec::new(),
            clock: Clock::default(),
            peer: None,
            tcp_client: None,
        }
    }
}

impl Builder {
    /// Loopback only, no faults, output captured, no compile cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the fault plan.
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self
    }

    /// Adds the rules of a `--fault` spec, e.g. `first-send:n=2`.
    pub fn fault(mut self, spec: &str) -> Result<Self, PlanError> {
        self.plan = self.plan.with_spec(spec)?;
        Ok(self)
    }

    /// Replaces the network policy (loopback only by default).
    pub fn net(mut self, net: NetPolicy) -> Self {
        self.net = net;
        self
    }

    /// Bounds the guest's linear memory, in bytes.
    pub fn max_memory(mut self, bytes: usize) -> Self {
        self.max_memory = bytes;
        self
    }

    /// Sets the wall-clock safety net.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// Sets how many socket calls in a row without progress make a busy loop.
    pub fn busy_threshold(mut self, calls: u64) -> Self {
        self.busy_threshold = calls;
        self
    }

    /// Caches compiled components on disk (wasmtime's cache, keyed by content hash and
    /// wasmtime version).
    pub fn cache(mut self, enable: bool) -> Self {
        self.cache = enable;
        self
    }

    /// Sets where guest output goes.
    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    /// Passes every environment variable of the harness to the guest. Off by default, as
    /// in `wasmtime run`: tokens in the host's environment stay there.
    pub fn inherit_env(mut self, enable: bool) -> Self {
        self.inherit_env = enable;
        self
    }

    /// Sets one environment variable for the guest (after any inherited ones).
    ///
    /// ```
    /// let builder = wouldblock::Builder::new().env("RUST_BACKTRACE", "1");
    /// # drop(builder);
    /// ```
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Passes the harness's stdin to the guest (otherwise it reads an empty stdin).
    pub fn inherit_stdin(mut self, enable: bool) -> Self {
        self.inherit_stdin = enable;
        self
    }

    /// Also makes a datagram refused with an error (out-of-memory, wasmtime's ENOBUFS) and
    /// never offered again the `dropped` verdict. Off by default: dropping under ENOBUFS is
    /// a policy some stacks choose; a datagram refused by a readiness answer (`ok(0)`,
    /// `would-block`, `check-send` 0) is always one.
    pub fn no_drops(mut self, enable: bool) -> Self {
        self.no_drops = enable;
        self
    }

    /// Bounds the size of a component file [`Harness::load`] reads, in bytes (256 MiB by
    /// default).
    pub fn max_component_size(mut self, bytes: u64) -> Self {
        self.max_component_size = bytes;
        self
    }

    /// Bounds the sockets a guest may have open at once (1,024 by default); past it,
    /// `create-udp-socket` answers `new-socket-limit`, as a host out of descriptors would.
    pub fn max_sockets(mut self, sockets: u64) -> Self {
        self.max_sockets = sockets;
        self
    }

    /// Chooses the guest's time: [`Clock::Virtual`] (the default) or [`Clock::Real`].
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Preopens the host directory `host` for the guest at `guest`, read and write, as
    /// `wasmtime run --dir HOST::GUEST` does: test suites read their fixtures there.
    pub fn preopen(mut self, host: impl Into<String>, guest: impl Into<String>) -> Self {
        self.preopens.push((host.into(), guest.into()));
        self
    }

    /// Gives every run a harness-owned UDP peer on 127.0.0.1 (see [`PeerOptions`]).
    pub fn peer(mut self, peer: PeerOptions) -> Self {
        self.peer = Some(peer);
        self
    }

    /// Drives a guest TCP server with the harness's own client: once the guest's first
    /// socket listens, the client opens the connections, sends framed messages and checks
    /// every echoed byte (see [`TcpClientOptions`]). A short or wrong echo is `loss`.
    pub fn tcp_client(mut self, client: TcpClientOptions) -> Self {
        self.tcp_client = Some(client);
        self
    }

    /// Creates the engine and links WASI. Settings that cannot work (a memory bound of 0,
    /// a time limit of 0, a busy-loop threshold of 0) are refused here, before any guest
    /// runs.
    pub fn build(self) -> Result<Harness, Error> {
        self.check()?;
        let setup = |e: wasmtime::Error| Error::Setup(format!("{e:#}"));
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        // Instances come from a pool: a fresh instance per run (thousands a second, on
        // every core) would otherwise mmap and munmap its memory each time, and those
        // calls take the process's one address-space lock in turn.
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(POOL_INSTANCES)
            .total_core_instances(POOL_INSTANCES * 8)
            .total_memories(POOL_INSTANCES)
            .total_tables(POOL_INSTANCES * 8)
            .max_memory_size(self.max_memory);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        if self.cache {
            config.cache(Some(Cache::new(CacheConfig::new()).map_err(setup)?));
        }
        let engine = Engine::new(&config).map_err(setup)?;
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker).map_err(setup)?;
        Ok(Harness::new(engine, linker, self))
    }

    fn check(&self) -> Result<(), Error> {
        let invalid = |setting, message: &str| {
            Err(Error::Invalid {
                setting,
                message: message.to_string(),
            })
        };
        if self.max_memory < MIN_MEMORY {
            return invalid(
                "max-memory",
                "must be at least 1 MiB: a wasm32-wasip2 program cannot even start below it",
            );
        }
        if self.time_limit.is_zero() {
            return invalid(
                "time-limit",
                "must be more than 0: 0 would stop every guest at once",
            );
        }
        if let Some(n) = self.peer.and_then(|p| p.expect_datagrams)
            && n > MAX_EXPECTED_DATAGRAMS
        {
            return Err(Error::Invalid {
                setting: "expect-datagrams",
                message: format!(
                    "{n} is more than {MAX_EXPECTED_DATAGRAMS}: a run sends at most about a \
                     million datagrams a second, so no run could send that many"
                ),
            });
        }
        if self.busy_threshold == 0 {
            return invalid(
                "busy-threshold",
                "must be at least 1: 0 would call the first empty answer a busy loop",
            );
        }
        Ok(())
    }
}
