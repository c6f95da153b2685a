//! The harness: a [`Builder`] for the settings, a [`Harness`] that owns the engine and the
//! linker, and an [`Outcome`] for each run.

use crate::faults::{Faults, Stats};
use crate::plan::{Plan, PlanError};
use crate::policy::NetPolicy;
use crate::sink::{Received, Sink};
use crate::trace::Trace;
use crate::verdict::{Stop, Verdict};
use crate::wasi::{self, HostState};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Cache, CacheConfig, Config, Engine, Store};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

/// Default memory bound of a guest: 512 MiB of linear memory.
pub const DEFAULT_MAX_MEMORY: usize = 512 << 20;
/// Default wall-clock safety net. Hangs and busy loops are found by counting, long
/// before this; it only catches what counting cannot see.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);
/// Default number of socket calls in a row without progress that makes a busy loop.
pub const DEFAULT_BUSY_THRESHOLD: u64 = 1000;
/// Fuel between yields to the async executor, so a guest that spins inside wasm still
/// lets the time limit fire. Fuel is counted, so where the yields fall is deterministic.
const FUEL_YIELD_INTERVAL: u64 = 1_000_000;
/// Captured stdout/stderr is bounded; a guest that prints more is cut, not fatal.
const CAPTURE_LIMIT: usize = 1 << 20;

/// Why the harness could not load or run a component. Guest failures are not errors:
/// they are [`Outcome`]s.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The component file does not exist.
    #[error("{path}: no such file (expected a wasm32-wasip2 component)")]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The component file exists but cannot be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not WebAssembly at all.
    #[error("{name}: not a WebAssembly file (no `\\0asm` header)")]
    NotWasm {
        /// The component's name.
        name: String,
    },
    /// A core module where a component was expected.
    #[error(
        "{name}: is a core WebAssembly module, not a component; build it with \
         `cargo build --target wasm32-wasip2` (or wrap it with `wasm-tools component new`)"
    )]
    CoreModule {
        /// The component's name.
        name: String,
    },
    /// wasmtime rejected the component.
    #[error("{name}: cannot compile the component: {message}")]
    Compile {
        /// The component's name.
        name: String,
        /// wasmtime's message.
        message: String,
    },
    /// The component does not fit the `wasi:cli/command` world this harness provides.
    #[error("{name}: cannot instantiate as a wasi:cli command: {message}")]
    Instantiate {
        /// The component's name.
        name: String,
        /// wasmtime's message.
        message: String,
    },
    /// The plan is malformed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The engine or runtime could not be set up.
    #[error("cannot set up the harness: {0}")]
    Setup(String),
}

/// Where the guest's stdout and stderr go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Output {
    /// Straight to the harness's own stdout and stderr.
    Inherit,
    /// Into the [`Outcome`], for tests to assert on.
    #[default]
    Capture,
}

/// Settings for a [`Harness`].
#[derive(Debug, Clone)]
pub struct Builder {
    plan: Plan,
    net: NetPolicy,
    max_memory: usize,
    time_limit: Duration,
    busy_threshold: u64,
    cache: bool,
    output: Output,
    inherit_env: bool,
    inherit_stdin: bool,
    peer: Option<Peer>,
}

/// A real UDP socket on 127.0.0.1 that the harness owns for each run; its address
/// replaces `{sink}` in the guest's arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// Send every datagram back to its sender (a live peer for request/response guests).
    pub echo: bool,
    /// Judge the run: when the guest exits 0, datagrams `0..n` must each have arrived
    /// exactly once, or the verdict is [`Verdict::Loss`].
    pub expect_datagrams: Option<u64>,
}

/// The argument placeholder for the harness-owned peer's address.
pub const SINK_PLACEHOLDER: &str = "{sink}";

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
            peer: None,
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

    /// Passes the harness's environment variables and stdin to the guest.
    pub fn inherit_env_and_stdin(mut self, enable: bool) -> Self {
        self.inherit_env = enable;
        self.inherit_stdin = enable;
        self
    }

    /// Gives every run a harness-owned UDP peer on 127.0.0.1 (see [`Peer`]).
    pub fn peer(mut self, peer: Peer) -> Self {
        self.peer = Some(peer);
        self
    }

    /// Creates the engine and links WASI.
    pub fn build(self) -> Result<Harness, Error> {
        let setup = |e: wasmtime::Error| Error::Setup(format!("{e:#}"));
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        if self.cache {
            config.cache(Some(Cache::new(CacheConfig::new()).map_err(setup)?));
        }
        let engine = Engine::new(&config).map_err(setup)?;
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker).map_err(setup)?;
        Ok(Harness {
            engine,
            linker,
            settings: self,
        })
    }
}

/// A compiled guest component, ready to run many times.
#[derive(Clone)]
pub struct Guest {
    name: String,
    pre: CommandPre<HostState>,
}

impl Guest {
    /// The name it runs under (its `argv[0]`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The guest returned or called `exit` with this status.
    Code(i32),
    /// The harness stopped it, or it trapped.
    Stopped(Stop),
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How it ended.
    pub exit: Exit,
    /// The counters.
    pub stats: Stats,
    /// Every socket call.
    pub trace: Trace,
    /// Captured stdout (empty when inherited).
    pub stdout: Vec<u8>,
    /// Captured stderr (empty when inherited).
    pub stderr: Vec<u8>,
    /// What the harness-owned peer received, if there was one.
    pub received: Option<Received>,
}

impl Outcome {
    /// The exit status the `wouldblock` command reports for this run.
    pub fn exit_code(&self) -> i32 {
        match &self.exit {
            Exit::Code(code) => *code,
            Exit::Stopped(stop) => stop.verdict.exit_code(),
        }
    }

    /// Whether the guest ended by itself with status 0.
    pub fn passed(&self) -> bool {
        self.exit == Exit::Code(0)
    }

    /// The verdict, if the harness stopped the guest.
    pub fn verdict(&self) -> Option<Verdict> {
        match &self.exit {
            Exit::Stopped(stop) => Some(stop.verdict),
            Exit::Code(_) => None,
        }
    }

    /// Captured stdout as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Captured stderr as text.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The one-line summary the command prints last on stderr.
    pub fn summary(&self) -> String {
        let s = &self.stats;
        let ending = match &self.exit {
            Exit::Code(0) => "pass (exit 0)".to_string(),
            Exit::Code(code) => format!("fail (guest exit {code})"),
            Exit::Stopped(stop) => format!("{} (exit {})", stop.verdict, stop.verdict.exit_code()),
        };
        format!(
            "wouldblock: {ending}; faults injected {}, check-send calls {}, send calls {}, \
             datagrams accepted {}, receive calls {}, datagrams received {}",
            s.faults_injected,
            s.check_send_calls,
            s.send_calls,
            s.datagrams_accepted,
            s.receive_calls,
            s.datagrams_received
        )
    }
}

/// Runs guests under one set of [`Builder`] settings.
#[derive(Clone)]
pub struct Harness {
    engine: Engine,
    linker: Linker<HostState>,
    settings: Builder,
}

impl Harness {
    /// The same harness (same engine, so guests compiled once run on both) with another plan.
    pub fn with_plan(&self, plan: Plan) -> Harness {
        Harness {
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            settings: Builder {
                plan,
                ..self.settings.clone()
            },
        }
    }

    /// The same harness with a harness-owned UDP peer for every run (see [`Peer`]).
    pub fn with_peer(&self, peer: Peer) -> Harness {
        let mut harness = self.clone();
        harness.settings.peer = Some(peer);
        harness
    }

    /// Reads and compiles a component file.
    pub fn load(&self, path: &Path) -> Result<Guest, Error> {
        let bytes = std::fs::read(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => Error::Missing {
                path: path.to_path_buf(),
            },
            _ => Error::Read {
                path: path.to_path_buf(),
                source,
            },
        })?;
        self.compile(&path.display().to_string(), &bytes)
    }

    /// Compiles a component from bytes; `name` becomes its `argv[0]` and names it in errors.
    pub fn compile(&self, name: &str, bytes: &[u8]) -> Result<Guest, Error> {
        let name = name.to_string();
        if !bytes.starts_with(b"\0asm") {
            return Err(Error::NotWasm { name });
        }
        // The preamble's layer field (bytes 6..8) is 0 for a core module, 1 for a component.
        if bytes.get(6..8) != Some(&[1, 0]) {
            return Err(Error::CoreModule { name });
        }
        let component =
            Component::from_binary(&self.engine, bytes).map_err(|e| Error::Compile {
                name: name.clone(),
                message: format!("{e:#}"),
            })?;
        let instantiate = |e: wasmtime::Error| Error::Instantiate {
            name: name.clone(),
            message: format!("{e:#}"),
        };
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(instantiate)?;
        let pre = CommandPre::new(pre).map_err(instantiate)?;
        Ok(Guest { name, pre })
    }

    /// Runs a guest to the end with `args` (after `argv[0]`), on a fresh single-threaded
    /// tokio runtime.
    pub fn run(&self, guest: &Guest, args: &[impl AsRef<str>]) -> Result<Outcome, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Setup(format!("tokio runtime: {e}")))?;
        runtime.block_on(self.run_async(guest, args))
    }

    /// [`Harness::run`] inside a tokio runtime you already have.
    pub async fn run_async(
        &self,
        guest: &Guest,
        args: &[impl AsRef<str>],
    ) -> Result<Outcome, Error> {
        let settings = &self.settings;
        let sink = match settings.peer {
            Some(peer) if peer.echo => Some(Sink::echo()),
            Some(_) => Some(Sink::start()),
            None => None,
        }
        .transpose()
        .map_err(|e| Error::Setup(format!("cannot bind the UDP peer on 127.0.0.1: {e}")))?;
        let sink_addr = sink.as_ref().map(|s| s.addr().to_string());
        let mut ctx = WasiCtxBuilder::new();
        let argv: Vec<String> = std::iter::once(guest.name.clone())
            .chain(args.iter().map(|arg| match &sink_addr {
                Some(addr) => arg.as_ref().replace(SINK_PLACEHOLDER, addr),
                None => arg.as_ref().to_string(),
            }))
            .collect();
        ctx.args(&argv)
            .allow_udp(true)
            .allow_tcp(true)
            .socket_addr_check(settings.net.clone().into_check());
        if settings.inherit_env {
            ctx.inherit_env();
        }
        if settings.inherit_stdin {
            ctx.inherit_stdin();
        }
        let captured = match settings.output {
            Output::Inherit => {
                ctx.inherit_stdout().inherit_stderr();
                None
            }
            Output::Capture => {
                let (out, err) = (
                    MemoryOutputPipe::new(CAPTURE_LIMIT),
                    MemoryOutputPipe::new(CAPTURE_LIMIT),
                );
                ctx.stdout(out.clone()).stderr(err.clone());
                Some((out, err))
            }
        };
        let faults = Faults::new(&settings.plan, settings.busy_threshold);
        let state = HostState::new(ctx.build(), faults, settings.max_memory);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| state.limits());
        let setup = |e: wasmtime::Error| Error::Setup(format!("{e:#}"));
        store.set_fuel(u64::MAX).map_err(setup)?;
        store
            .fuel_async_yield_interval(Some(FUEL_YIELD_INTERVAL))
            .map_err(setup)?;

        let run = async {
            let command = guest.pre.instantiate_async(&mut store).await?;
            command.wasi_cli_run().call_run(&mut store).await
        };
        let exit = match tokio::time::timeout(settings.time_limit, run).await {
            Ok(Ok(Ok(()))) => Exit::Code(0),
            Ok(Ok(Err(()))) => Exit::Code(1),
            Ok(Err(error)) => classify(&error),
            Err(_elapsed) => Exit::Stopped(store.data().faults.stop(
                Verdict::TimeLimit,
                format!(
                    "the guest was still running after the {:?} wall-clock limit, with no \
                     busy loop or hang the counters could see (raise it with --time-limit)",
                    settings.time_limit
                ),
            )),
        };
        // Everything the guest sent is queued at the peer once its send calls returned.
        let received = sink
            .map(Sink::finish)
            .transpose()
            .map_err(|e| Error::Setup(format!("the UDP peer failed: {e}")))?;
        let faults = &mut store.data_mut().faults;
        let exit = judge(exit, faults, settings.peer, received.as_ref());
        let (stdout, stderr) = captured.map_or_else(Default::default, |(out, err)| {
            (out.contents().to_vec(), err.contents().to_vec())
        });
        Ok(Outcome {
            exit,
            stats: faults.stats,
            trace: std::mem::take(&mut faults.trace),
            stdout,
            stderr,
            received,
        })
    }
}

/// The verdicts that only the end of a run can give: a guest that says it succeeded but
/// lost data, and a guest that gave up after a transient error the plan injected.
fn judge(exit: Exit, faults: &Faults, peer: Option<Peer>, received: Option<&Received>) -> Exit {
    let Exit::Code(code) = exit else {
        return exit;
    };
    let expected = peer.and_then(|p| p.expect_datagrams);
    if let (0, Some(n), Some(received)) = (code, expected, received)
        && let Some(discrepancy) = received.discrepancy(n)
    {
        return Exit::Stopped(faults.stop(
            Verdict::Loss,
            format!("the guest exited 0, but {discrepancy}: it lost data silently"),
        ));
    }
    match faults.pending_error() {
        Some(error) if code != 0 => Exit::Stopped(faults.stop(
            Verdict::UnusableAfterError,
            format!(
                "the guest exited {code} after {error} and moved no data since: it treated \
                 an error the host reports once as fatal, though the socket stays usable"
            ),
        )),
        _ => Exit::Code(code),
    }
}

/// Tells a guest's own exit, a harness stop and a trap apart.
fn classify(error: &wasmtime::Error) -> Exit {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return Exit::Code(exit.0);
    }
    for cause in error.chain() {
        if let Some(stop) = cause.downcast_ref::<Stop>() {
            return Exit::Stopped(stop.clone());
        }
    }
    Exit::Stopped(Stop {
        verdict: Verdict::Trap,
        reason: format!("the guest trapped: {error:?}"),
        evidence: String::new(),
    })
}
