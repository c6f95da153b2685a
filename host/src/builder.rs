//! [`Builder`]: sets up a [`Harness`], checking its settings before any guest runs.

use crate::error::Error;
use crate::harness::Harness;
use crate::names::Names;
use crate::peer::{PeerOptions, TcpClientOptions};
use crate::plan::{Plan, PlanError};
use crate::policy::NetPolicy;
use crate::settings::{Clock, Output, Settings};
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
    ///
    /// ```
    /// let harness = wouldblock::Builder::new().build();
    /// assert!(harness.is_ok());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the fault plan.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Form, Plan, Readiness};
    /// // The first send on a fresh stream answers ok(0): the naive sender takes it for an error.
    /// let plan = Plan::first_send(Form::OkZero, 1, Readiness::NotReady(1));
    /// let harness = Builder::new().plan(plan).build()?;
    /// let guest = harness.compile("udp-send-naive", wouldblock_guests::UDP_SEND_NAIVE.wasm)?;
    /// let outcome = harness.run(&guest, &["127.0.0.1:9"])?;
    /// assert_eq!(outcome.exit_code(), 1);
    /// assert_eq!(outcome.stats.faults_injected, 1);
    /// # Ok(()) }
    /// ```
    pub fn plan(mut self, plan: Plan) -> Self {
        self.settings.plan = plan;
        self
    }

    /// Adds the rules of a `--fault` spec, e.g. `first-send:n=2`.
    ///
    /// ```
    /// use wouldblock::Builder;
    /// assert!(Builder::new().fault("first-send:n=2").is_ok());
    /// let refused = Builder::new().fault("first-send:n=two").unwrap_err();
    /// assert!(refused.to_string().contains("--fault first-send:n=two"), "{refused}");
    /// ```
    pub fn fault(mut self, spec: &str) -> Result<Self, PlanError> {
        self.settings.plan = self.settings.plan.with_spec(spec)?;
        Ok(self)
    }

    /// Replaces the network policy (loopback only by default).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, NetPolicy};
    /// // Nothing allowed, not even loopback: the guest's send is refused.
    /// let harness = Builder::new().net(NetPolicy::none()).build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.run(&guest, &["send-to", "{peer}"])?;
    /// assert_eq!(outcome.exit_code(), 1);
    /// assert!(outcome.stderr_text().contains("PermissionDenied"));
    /// # Ok(()) }
    /// ```
    pub fn net(mut self, net: NetPolicy) -> Self {
        self.settings.net = net;
        self
    }

    /// Bounds the guest's linear memory, in bytes.
    ///
    /// ```
    /// use wouldblock::{Builder, Error};
    /// assert!(Builder::new().max_memory(64 << 20).build().is_ok());
    /// let refused = Builder::new().max_memory(0).build().unwrap_err();
    /// assert!(matches!(refused, Error::Invalid { setting: "max-memory", .. }));
    /// ```
    pub fn max_memory(mut self, bytes: usize) -> Self {
        self.settings.max_memory = bytes;
        self
    }

    /// Sets the wall-clock safety net.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wouldblock::{Builder, Error};
    /// assert!(Builder::new().time_limit(Duration::from_secs(5)).build().is_ok());
    /// let refused = Builder::new().time_limit(Duration::ZERO).build().unwrap_err();
    /// assert!(matches!(refused, Error::Invalid { setting: "time-limit", .. }));
    /// ```
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
    ///
    /// ```
    /// use wouldblock::{Builder, Error};
    /// assert!(Builder::new().busy_threshold(10_000).build().is_ok());
    /// let refused = Builder::new().busy_threshold(0).build().unwrap_err();
    /// assert!(matches!(refused, Error::Invalid { setting: "busy-threshold", .. }));
    /// ```
    pub fn busy_threshold(mut self, calls: u64) -> Self {
        self.settings.busy_threshold = calls;
        self
    }

    /// Caches compiled components on disk (wasmtime's cache, keyed by content hash and
    /// wasmtime version).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // The first compile of these bytes fills the cache; later ones load it.
    /// let harness = wouldblock::Builder::new().cache(true).build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// assert!(harness.run(&guest, &["exit", "0"])?.passed());
    /// # Ok(()) }
    /// ```
    pub fn cache(mut self, enable: bool) -> Self {
        self.settings.cache = enable;
        self
    }

    /// Sets where guest output goes.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Output};
    /// let harness = Builder::new().output(Output::Inherit).env("GREETING", "hi").build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// // `GREETING=hi` goes to this process's stdout, not into the outcome.
    /// let outcome = harness.run(&guest, &["env"])?;
    /// assert!(outcome.passed() && outcome.stdout.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn output(mut self, output: Output) -> Self {
        self.settings.output = output;
        self
    }

    /// Passes every environment variable of the harness to the guest. Off by default, as
    /// in `wasmtime run`: tokens in the host's environment stay there.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().inherit_env(true).build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.run(&guest, &["env"])?;
    /// assert!(outcome.stdout_text().contains("PATH="));
    /// # Ok(()) }
    /// ```
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
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, PeerOptions};
    /// // A guest that waits on stdin beside its socket, with this process's stdin.
    /// let harness = Builder::new()
    ///     .inherit_stdin(true)
    ///     .peer(PeerOptions::counting().expect_datagrams(16))
    ///     .build()?;
    /// let guest = harness.compile("udp-burst-stdin", wouldblock_guests::UDP_BURST_STDIN.wasm)?;
    /// let outcome = harness.run(&guest, &["{peer}", "--count", "16"])?;
    /// assert!(outcome.passed(), "{}", outcome.summary());
    /// # Ok(()) }
    /// ```
    pub fn inherit_stdin(mut self, enable: bool) -> Self {
        self.settings.inherit_stdin = enable;
        self
    }

    /// Also makes a datagram refused with an error (out-of-memory, wasmtime's ENOBUFS) and
    /// never offered again the `dropped` verdict. Off by default: dropping under ENOBUFS is
    /// a policy some stacks choose; a datagram refused by a readiness answer (`ok(0)`,
    /// `would-block`, `check-send` 0) is always one.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, PeerOptions, Verdict};
    /// // udp-burst-drop gives up on a datagram refused with ENOBUFS.
    /// let harness = Builder::new()
    ///     .fault("enobufs-backpressure")?
    ///     .peer(PeerOptions::counting().expect_datagrams(16))
    ///     .no_drops(true)
    ///     .build()?;
    /// let guest = harness.compile("udp-burst-drop", wouldblock_guests::UDP_BURST_DROP.wasm)?;
    /// let outcome = harness.run(&guest, &["{peer}", "--count", "16"])?;
    /// assert_eq!(outcome.verdict(), Some(Verdict::Dropped));
    /// # Ok(()) }
    /// ```
    pub fn no_drops(mut self, enable: bool) -> Self {
        self.settings.no_drops = enable;
        self
    }

    /// Bounds the size of a component file [`Harness::load`] reads, in bytes (256 MiB by
    /// default).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Error};
    /// let path = std::env::temp_dir().join(format!("wouldblock-doc-{}.wasm", std::process::id()));
    /// std::fs::write(&path, [0u8; 64])?;
    /// let harness = Builder::new().max_component_size(16).build()?;
    /// let refused = harness.load(&path).unwrap_err();
    /// assert!(matches!(refused, Error::TooLarge { size: 64, max: 16, .. }), "{refused}");
    /// # std::fs::remove_file(&path)?;
    /// # Ok(()) }
    /// ```
    pub fn max_component_size(mut self, bytes: u64) -> Self {
        self.settings.max_component_size = bytes;
        self
    }

    /// Bounds the sockets a guest may have open at once (1,024 by default); past it,
    /// `create-udp-socket` answers `new-socket-limit`, as a host out of descriptors would.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().max_sockets(64).build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.run(&guest, &["sockets", "100"])?;
    /// assert!(outcome.stdout_text().starts_with("64 sockets, then"));
    /// # Ok(()) }
    /// ```
    pub fn max_sockets(mut self, sockets: u64) -> Self {
        self.settings.max_sockets = sockets;
        self
    }

    /// Chooses the guest's time: [`Clock::Virtual`] (the default) or [`Clock::Real`].
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Clock};
    /// let harness = Builder::new().clock(Clock::Real).build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.run(&guest, &["sockets", "1"])?;
    /// // Virtual time stamps every trace event; the machine's clock does not.
    /// assert!(outcome.trace.events().iter().all(|e| e.time_ns.is_none()));
    /// # Ok(()) }
    /// ```
    pub fn clock(mut self, clock: Clock) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Preopens the host directory `host` for the guest at `guest`, read and write, as
    /// `wasmtime run --dir HOST::GUEST` does: test suites read their fixtures there.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join("wouldblock-fixtures");
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("fixture.txt"), "hello\n")?;
    /// let harness = wouldblock::Builder::new()
    ///     .preopen(dir.display().to_string(), "/data")
    ///     .build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.run(&guest, &["read", "/data/fixture.txt"])?;
    /// assert_eq!(outcome.stdout_text(), "hello\n");
    /// # Ok(()) }
    /// ```
    pub fn preopen(mut self, host: impl Into<String>, guest: impl Into<String>) -> Self {
        self.settings.preopens.push((host.into(), guest.into()));
        self
    }

    /// Gives every run a harness-owned UDP peer on 127.0.0.1 (see [`PeerOptions`]).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, PeerOptions};
    /// let harness = Builder::new().peer(PeerOptions::counting().expect_datagrams(16)).build()?;
    /// let guest = harness.compile("udp-burst", wouldblock_guests::UDP_BURST.wasm)?;
    /// let outcome = harness.run(&guest, &["{peer}", "--count", "16"])?;
    /// assert!(outcome.received.is_some_and(|r| r.exactly_once(16)));
    /// # Ok(()) }
    /// ```
    pub fn peer(mut self, peer: PeerOptions) -> Self {
        self.settings.peer = Some(peer);
        self
    }

    /// Drives a guest TCP server with the harness's own client: once the guest's first
    /// socket listens, the client opens the connections, sends framed messages and checks
    /// every echoed byte (see [`TcpClientOptions`]). A short or wrong echo is `loss`.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, TcpClientOptions};
    /// let harness = Builder::new()
    ///     .tcp_client(TcpClientOptions::new(vec![1, 1024]))
    ///     .build()?;
    /// let guest = harness.compile("tcp-echo-server", wouldblock_guests::TCP_ECHO_SERVER.wasm)?;
    /// let outcome = harness.run(&guest, &["127.0.0.1:0"])?;
    /// assert!(outcome.tcp.is_some_and(|report| report.complete()));
    /// # Ok(()) }
    /// ```
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
    /// this size, and [`Repeat::run`](crate::Repeat::run), [`explore`](crate::explore::explore)
    /// and the suites use no more workers than it holds: the harness's limit ends no run.
    ///
    /// ```
    /// use wouldblock::{Builder, Error, MAX_PARALLELISM};
    /// assert!(Builder::new().parallelism(4).build().is_ok());
    /// let refused = Builder::new().parallelism(MAX_PARALLELISM + 1).build().unwrap_err();
    /// assert!(matches!(refused, Error::Invalid { setting: "jobs", .. }));
    /// ```
    pub fn parallelism(mut self, runs: usize) -> Self {
        self.settings.parallelism = runs;
        self
    }

    /// A flag that, once set (by a signal handler, say), stops parallel runs early: no run
    /// starts after it; [`Repeat::run`](crate::Repeat::run), [`explore`](crate::explore::explore)
    /// and the suites return what finished, marked incomplete.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use std::sync::atomic::AtomicBool;
    /// // Set before the first run: run 1 goes alone, and no other run starts.
    /// let stop = Arc::new(AtomicBool::new(true));
    /// let harness = wouldblock::Builder::new().interrupt(stop).build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let repeat = wouldblock::Repeat::run(&harness, &guest, &["exit", "0"], 100, 2, |_| {})?;
    /// assert!(repeat.incomplete);
    /// assert_eq!(repeat.runs, 1);
    /// # Ok(()) }
    /// ```
    pub fn interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.settings.interrupt = Some(flag);
        self
    }

    /// Creates the engine and links WASI. Settings that cannot work (a memory bound, time
    /// limit or busy-loop threshold of 0) are refused here, before any guest runs.
    ///
    /// ```
    /// use wouldblock::{Builder, Error};
    /// assert!(Builder::new().build().is_ok());
    /// let refused = Builder::new().max_memory(0).build().unwrap_err();
    /// assert!(refused.to_string().starts_with("--max-memory"), "{refused}");
    /// ```
    pub fn build(mut self) -> Result<Harness, Error> {
        self.settings.check()?;
        let resolv_conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let system = self.settings.net.uses_resolver(&resolv_conf);
        self.settings.names = Arc::new(Names::from_machine(system));
        let setup = |e: wasmtime::Error| Error::Setup(format!("{e:#}"));
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        // Instances come from a pool (a fresh instance per run would mmap and munmap its
        // memory each time, under the process's one address-space lock), sized from the
        // runs at once plus the calling thread, which shrinks a suite's findings while
        // every worker is busy: a run always finds a slot.
        let instances = self.settings.parallelism as u32 + 1;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::settings::MAX_PARALLELISM;

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
            // A worker's run and the calling thread's (shrinking) hold one job's two slots
            // until the time limit, so a third one at once finds none: the harness says so.
            let worker = scope.spawn(|| harness.run(&guest, &["spin"]));
            let caller = scope.spawn(|| harness.run(&guest, &["spin"]));
            std::thread::sleep(Duration::from_millis(500));
            let third = harness.run(&guest, &["exit", "0"]);
            assert!(
                matches!(third, Err(Error::PoolFull { limit: 2 })),
                "{third:?}"
            );
            for spinning in [worker, caller] {
                let first = spinning.join().unwrap().unwrap();
                assert_eq!(first.ending().to_string(), "time-limit");
            }
        });
    }
}
