//! [`Builder`]: sets up a [`Harness`], checking its settings before any guest runs.

use crate::error::Error;
use crate::harness::Harness;
use crate::names::Names;
use crate::peer::{PeerOptions, TcpClientOptions};
use crate::plan::{Plan, PlanError};
use crate::policy::NetPolicy;
use crate::settings::{
    Clock, MAX_EXPECTED_DATAGRAMS, MAX_PARALLELISM, MIN_MEMORY, Output, Settings,
};
use crate::wasi;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use wasmtime::component::Linker;
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
};

/// Settings for a [`Harness`]: loopback only, no faults, output captured, no compile
/// cache, until you say otherwise.
///
/// ```
/// use std::time::Duration;
/// let harness = wouldblock::Builder::new()
///     .fault("first-send")?
///     .time_limit(Duration::from_secs(5))
///     .build()?;
/// # drop(harness);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    settings: Settings,
}

impl Builder {
    /// Loopback only, no faults, output captured, no compile cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the fault plan.
    pub fn plan(mut self, plan: Plan) -> Self {
        self.settings.plan = plan;
        self
    }

    /// Adds the rules of a `--fault` spec, e.g. `first-send:n=2`.
    pub fn fault(mut self, spec: &str) -> Result<Self, PlanError> {
        self.settings.plan = self.settings.plan.with_spec(spec)?;
        Ok(self)
    }

    /// Replaces the network policy (loopback only by default).
    pub fn net(mut self, net: NetPolicy) -> Self {
        self.settings.net = net;
        self
    }

    /// Bounds the guest's linear memory, in bytes.
    pub fn max_memory(mut self, bytes: usize) -> Self {
        self.settings.max_memory = bytes;
        self
    }

    /// Sets the wall-clock safety net.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.settings.time_limit = limit;
        self
    }

    /// Sets the quiet window: how long a wait that only the real world can end (a missed
    /// wake-up beside real sockets, no timer) is given before it is a `hang`, when the
    /// guest talks to something the harness cannot see settle (50 ms by default; with
    /// only the harness's own peers, the wait is decided once they have settled).
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = wouldblock::Builder::new().quiet_window(Duration::from_millis(200));
    /// # drop(builder);
    /// ```
    pub fn quiet_window(mut self, window: Duration) -> Self {
        self.settings.quiet_window = window;
        self
    }

    /// Sets how many socket calls in a row without progress make a busy loop.
    pub fn busy_threshold(mut self, calls: u64) -> Self {
        self.settings.busy_threshold = calls;
        self
    }

    /// Caches compiled components on disk (wasmtime's cache, keyed by content hash and
    /// wasmtime version).
    pub fn cache(mut self, enable: bool) -> Self {
        self.settings.cache = enable;
        self
    }

    /// Sets where guest output goes.
    pub fn output(mut self, output: Output) -> Self {
        self.settings.output = output;
        self
    }

    /// Passes every environment variable of the harness to the guest. Off by default, as
    /// in `wasmtime run`: tokens in the host's environment stay there.
    pub fn inherit_env(mut self, enable: bool) -> Self {
        self.settings.inherit_env = enable;
        self
    }

    /// Sets one environment variable for the guest (after any inherited ones).
    ///
    /// ```
    /// let builder = wouldblock::Builder::new().env("RUST_BACKTRACE", "1");
    /// # drop(builder);
    /// ```
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.env.push((name.into(), value.into()));
        self
    }

    /// Passes the harness's stdin to the guest (otherwise it reads an empty stdin).
    pub fn inherit_stdin(mut self, enable: bool) -> Self {
        self.settings.inherit_stdin = enable;
        self
    }

    /// Also makes a datagram refused with an error (out-of-memory, wasmtime's ENOBUFS) and
    /// never offered again the `dropped` verdict. Off by default: dropping under ENOBUFS is
    /// a policy some stacks choose; a datagram refused by a readiness answer (`ok(0)`,
    /// `would-block`, `check-send` 0) is always one.
    pub fn no_drops(mut self, enable: bool) -> Self {
        self.settings.no_drops = enable;
        self
    }

    /// Bounds the size of a component file [`Harness::load`] reads, in bytes (256 MiB by
    /// default).
    pub fn max_component_size(mut self, bytes: u64) -> Self {
        self.settings.max_component_size = bytes;
        self
    }

    /// Bounds the sockets a guest may have open at once (1,024 by default); past it,
    /// `create-udp-socket` answers `new-socket-limit`, as a host out of descriptors would.
    pub fn max_sockets(mut self, sockets: u64) -> Self {
        self.settings.max_sockets = sockets;
        self
    }

    /// Chooses the guest's time: [`Clock::Virtual`] (the default) or [`Clock::Real`].
    pub fn clock(mut self, clock: Clock) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Preopens the host directory `host` for the guest at `guest`, read and write, as
    /// `wasmtime run --dir HOST::GUEST` does: test suites read their fixtures there.
    pub fn preopen(mut self, host: impl Into<String>, guest: impl Into<String>) -> Self {
        self.settings.preopens.push((host.into(), guest.into()));
        self
    }

    /// Gives every run a harness-owned UDP peer on 127.0.0.1 (see [`PeerOptions`]).
    pub fn peer(mut self, peer: PeerOptions) -> Self {
        self.settings.peer = Some(peer);
        self
    }

    /// Drives a guest TCP server with the harness's own client: once the guest's first
    /// socket listens, the client opens the connections, sends framed messages and checks
    /// every echoed byte (see [`TcpClientOptions`]). A short or wrong echo is `loss`.
    pub fn tcp_client(mut self, client: TcpClientOptions) -> Self {
        self.settings.tcp_client = Some(client);
        self
    }

    /// Serves the guest's `wasi:http/incoming-handler` (a component of the `wasi:http/proxy`
    /// world) instead of calling its `wasi:cli/run`: the harness's client sends one `POST`
    /// of each size and checks every byte of each response's body. A short or wrong body
    /// is `loss`.
    ///
    /// ```
    /// let harness = wouldblock::Builder::new().http_client(vec![1, 1024]).build().unwrap();
    /// # let _ = harness;
    /// ```
    pub fn http_client(mut self, sizes: Vec<usize>) -> Self {
        self.settings.http_client = Some(sizes);
        self
    }

    /// Sizes the harness for `runs` runs at once (64 by default, at most
    /// [`MAX_PARALLELISM`](crate::MAX_PARALLELISM)): every instance comes from a pool of
    /// this size, and [`Harness::repeat`], [`Harness::explore`] and the suites never use
    /// more workers than it holds, so the harness's own limit never ends a guest's run.
    pub fn parallelism(mut self, runs: usize) -> Self {
        self.settings.parallelism = runs;
        self
    }

    /// A flag that, once set (by a signal handler, say), stops parallel runs early: no
    /// run starts after it, and [`Harness::repeat`], [`Harness::explore`] and the suites
    /// return what finished, marked incomplete.
    pub fn interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.settings.interrupt = Some(flag);
        self
    }

    /// Creates the engine and links WASI. Settings that cannot work (a memory bound of 0,
    /// a time limit of 0, a busy-loop threshold of 0) are refused here, before any guest
    /// runs.
    pub fn build(mut self) -> Result<Harness, Error> {
        self.check()?;
        let system = self.settings.net.reaches_beyond_loopback();
        self.settings.names = Arc::new(Names::from_machine(system));
        let setup = |e: wasmtime::Error| Error::Setup(format!("{e:#}"));
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        // Instances come from a pool: a fresh instance per run (thousands a second, on
        // every core) would otherwise mmap and munmap its memory each time, and those
        // calls take the process's one address-space lock in turn.
        // Sized from the runs at once (checked below), so a worker always finds a slot.
        let instances = self.settings.parallelism as u32;
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(instances)
            .total_core_instances(instances * 8)
            .total_memories(instances)
            .total_tables(instances * 8)
            .max_memory_size(self.settings.max_memory);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        if self.settings.cache {
            config.cache(Some(Cache::new(CacheConfig::new()).map_err(setup)?));
        }
        let engine = Engine::new(&config).map_err(setup)?;
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker).map_err(setup)?;
        Ok(Harness::new(engine, linker, self.settings))
    }

    fn check(&self) -> Result<(), Error> {
        let invalid = |setting, message: &str| {
            Err(Error::Invalid {
                setting,
                message: message.to_string(),
            })
        };
        if self.settings.max_memory < MIN_MEMORY {
            return invalid(
                "max-memory",
                "must be at least 1 MiB: a wasm32-wasip2 program cannot even start below it",
            );
        }
        if self.settings.time_limit.is_zero() {
            return invalid(
                "time-limit",
                "must be more than 0: 0 would stop every guest at once",
            );
        }
        if let Some(n) = self.settings.peer.and_then(|p| p.expect_datagrams)
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
        if !(1..=MAX_PARALLELISM).contains(&self.settings.parallelism) {
            return Err(Error::Invalid {
                setting: "jobs",
                message: format!(
                    "{} runs at once: must be from 1 to {MAX_PARALLELISM}",
                    self.settings.parallelism
                ),
            });
        }
        if self.settings.busy_threshold == 0 {
            return invalid(
                "busy-threshold",
                "must be at least 1: 0 would call the first empty answer a busy loop",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn runs_past_the_pool_are_the_harness_error_never_the_guest_verdict() {
        for runs in [0, MAX_PARALLELISM + 1] {
            let refused = Builder::new().parallelism(runs).build();
            assert!(matches!(
                refused,
                Err(Error::Invalid {
                    setting: "jobs",
                    ..
                })
            ));
        }
        let harness = Builder::new()
            .parallelism(1)
            .time_limit(Duration::from_secs(2))
            .build()
            .unwrap();
        let guest = harness
            .compile("probe", wouldblock_guests::PROBE.wasm)
            .unwrap();
        std::thread::scope(|scope| {
            // One run holds the one slot (it spins until the time limit)...
            let spinning = scope.spawn(|| harness.run(&guest, &["spin"]));
            std::thread::sleep(Duration::from_millis(500));
            // ...so a second one at once finds none: the harness says so.
            let second = harness.run(&guest, &["exit", "0"]);
            assert!(
                matches!(second, Err(Error::PoolFull { limit: 1 })),
                "{second:?}"
            );
            let first = spinning.join().unwrap().unwrap();
            assert_eq!(first.ending().to_string(), "time-limit");
        });
    }
}
