//! The harness: a [`Harness`] owns the engine and the linker, compiles [`Guest`]s once and
//! runs each of them as often as asked, every run in a fresh store (its steps are in
//! `run.rs`). Its variants share the engine and the linker; what runs a guest many times
//! (repeat, explore, suites) takes a `&Harness`, above this module.

mod run;

use crate::component;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::peer::{PeerOptions, TcpClientOptions};
use crate::plan::Plan;
use crate::settings::{Output, Settings};
use crate::wasi::HostState;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

/// A compiled guest component, ready to run many times.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = wouldblock::Builder::new().build()?;
/// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
/// // Compiled once, run as often as asked, each run in a fresh instance.
/// for code in ["0", "3"] {
///     assert_eq!(harness.run(&guest, &["exit", code])?.exit_code(), code.parse::<i32>()?);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Guest {
    name: String,
    sha256: String,
    /// Its `wasi:cli/run`, if it exports one.
    pre: Option<CommandPre<HostState>>,
    /// Its `wasi:http/incoming-handler`, if it exports one.
    proxy: Option<ProxyPre<HostState>>,
}

impl std::fmt::Debug for Guest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guest")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Guest {
    /// Refuses, before it runs, a guest that exports nothing the settings can call: the
    /// harness's misuse, never the guest's `trap`.
    fn check_entry(&self, serve: bool) -> Result<(), Error> {
        let message = match (serve, &self.proxy, &self.pre) {
            (true, None, _) => "the component exports no wasi:http/incoming-handler to serve",
            // Its `main`, if it keeps one (wstd's, a bin's), is no server: it panics or
            // returns at once.
            (false, Some(_), _) => {
                "not given, but the component is a wasi:http/incoming-handler: serve it \
                 with --http-client SIZES"
            }
            _ => return Ok(()),
        };
        Err(Error::Invalid {
            setting: "http-client",
            message: format!("{}: {message}", self.name),
        })
    }
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Guest {
    /// The name it runs under (its `argv[0]`).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), wouldblock::Error> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
    /// assert_eq!(guest.name(), "udp-send");
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SHA-256 of the component's bytes, in hex: what names it across machines
    /// (explore's shard reports carry it).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// assert_eq!(guest.sha256().len(), 64);
    /// # Ok(()) }
    /// ```
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// Runs guests under one set of settings (made by [`Builder`](crate::Builder)).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, Verdict};
/// let harness = Builder::new().fault("enobufs-writable")?.build()?;
/// let guest = harness.compile("udp-burst-spin", wouldblock_guests::UDP_BURST_SPIN.wasm)?;
/// let outcome = harness.run(&guest, &["{peer}", "--count", "16"])?;
/// assert_eq!(outcome.verdict(), Some(Verdict::BusyLoop));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Harness {
    engine: Engine,
    /// Shared: every `with_plan` of an exploration's trials would otherwise copy its
    /// names and definitions (all of WASI 0.2 and wasi:http).
    linker: Arc<Linker<HostState>>,
    settings: Settings,
}

impl Harness {
    pub(crate) fn new(engine: Engine, linker: Linker<HostState>, settings: Settings) -> Self {
        Self {
            engine,
            linker: Arc::new(linker),
            settings,
        }
    }

    /// Reads and compiles a component file; a missing file, one that is not a component, or
    /// one over the size bound is an [`Error`] naming it.
    ///
    /// ```
    /// let harness = wouldblock::Builder::new().build().unwrap();
    /// let error = harness.load(std::path::Path::new("no-such.wasm")).unwrap_err();
    /// assert!(error.to_string().contains("no-such.wasm"), "{error}");
    /// ```
    pub fn load(&self, path: &Path) -> Result<Guest, Error> {
        let bytes = component::read(path, self.settings.max_component_size)?;
        self.compile(&path.display().to_string(), &bytes)
    }

    /// Compiles a component from bytes; `name` becomes its `argv[0]` and names it in errors.
    ///
    /// ```
    /// use wouldblock::{Builder, Error};
    /// let harness = Builder::new().build().unwrap();
    /// let refused = harness.compile("notes.txt", b"not wasm").unwrap_err();
    /// assert!(matches!(refused, Error::NotWasm { .. }), "{refused}");
    /// ```
    pub fn compile(&self, name: &str, bytes: &[u8]) -> Result<Guest, Error> {
        component::check_header(name, bytes)?;
        let name = name.to_string();
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
        // A command, a `wasi:http/proxy` component, or both (wstd's servers keep a `main`).
        let proxy = ProxyPre::new(pre.clone()).ok();
        let pre = match CommandPre::new(pre) {
            Ok(command) => Some(command),
            Err(_) if proxy.is_some() => None,
            Err(e) => return Err(instantiate(e)),
        };
        let sha256 = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Guest {
            name,
            sha256,
            pre,
            proxy,
        })
    }

    /// The workers a parallel run of `jobs` may use: at least one, and no more than the
    /// instances the harness was built for.
    pub(crate) fn workers(&self, jobs: usize) -> usize {
        jobs.clamp(1, self.settings.parallelism)
    }

    /// What it runs by.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The flag that stops parallel runs early, if one was given.
    pub(crate) fn interrupt(&self) -> Option<&AtomicBool> {
        self.settings.interrupt.as_deref()
    }

    /// Whether the interrupt flag is set.
    pub(crate) fn interrupted(&self) -> bool {
        self.interrupt()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// Runs a guest to the end with `args` (after `argv[0]`), on a fresh single-threaded
    /// tokio runtime.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.run(&guest, &["exit", "3"])?;
    /// assert_eq!(outcome.guest_status, Some(3));
    /// # Ok(()) }
    /// ```
    pub fn run(&self, guest: &Guest, args: &[impl AsRef<str>]) -> Result<Outcome, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Setup(format!("tokio runtime: {e}")))?;
        let outcome = runtime.block_on(self.run_async(guest, args));
        // A blocking task still running (a read of an inherited stdin) must not hold the
        // host past the run: it is left behind, not waited for.
        runtime.shutdown_background();
        outcome
    }

    /// [`Harness::run`] inside a tokio runtime you already have.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// let outcome = runtime.block_on(harness.run_async(&guest, &["exit", "0"]))?;
    /// assert!(outcome.passed());
    /// # Ok(()) }
    /// ```
    pub async fn run_async(
        &self,
        guest: &Guest,
        args: &[impl AsRef<str>],
    ) -> Result<Outcome, Error> {
        run::run(self, guest, args).await
    }

    /// The same harness (same engine, so guests compiled once run on both) with another plan.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Plan};
    /// let harness = Builder::new().build()?;
    /// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
    /// let faulty = harness.with_plan(Plan::new().with_spec("first-send")?);
    /// let outcome = faulty.run(&guest, &["127.0.0.1:9"])?;
    /// assert!(outcome.passed(), "{}", outcome.summary());
    /// # Ok(()) }
    /// ```
    pub fn with_plan(&self, plan: Plan) -> Harness {
        Harness {
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            settings: Settings {
                plan,
                ..self.settings.clone()
            },
        }
    }

    /// The same harness with a harness-owned UDP peer for every run (see [`PeerOptions`]).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, PeerOptions};
    /// let harness = Builder::new().build()?;
    /// let guest = harness.compile("udp-request", wouldblock_guests::UDP_REQUEST.wasm)?;
    /// // The request guest waits for its replies: the peer echoes them.
    /// let echoing = harness.with_peer(PeerOptions::echo());
    /// let outcome = echoing.run(&guest, &["{peer}", "--count", "4"])?;
    /// assert!(outcome.passed(), "{}", outcome.stderr_text());
    /// # Ok(()) }
    /// ```
    pub fn with_peer(&self, peer: PeerOptions) -> Harness {
        let mut harness = self.clone();
        harness.settings.peer = Some(peer);
        harness
    }

    /// The same harness with the harness's TCP client driving a guest server (see
    /// [`TcpClientOptions`]).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, TcpClientOptions};
    /// let harness = Builder::new().fault("tcp-slow-peer")?.build()?;
    /// let guest = harness.compile("tcp-echo-server", wouldblock_guests::TCP_ECHO_SERVER.wasm)?;
    /// let driven = harness.with_tcp_client(TcpClientOptions::new(vec![1, 1024]));
    /// let outcome = driven.run(&guest, &["127.0.0.1:0"])?;
    /// assert!(outcome.tcp.is_some_and(|report| report.complete()));
    /// # Ok(()) }
    /// ```
    pub fn with_tcp_client(&self, client: TcpClientOptions) -> Harness {
        let mut harness = self.clone();
        harness.settings.tcp_client = Some(client);
        harness
    }

    /// The same harness serving the guest's `wasi:http/incoming-handler` with one request
    /// of each size (see [`Builder::http_client`](crate::Builder::http_client)).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().fault("http-slow-body")?.build()?;
    /// let guest = harness.compile("http-echo-server", wouldblock_guests::HTTP_ECHO_SERVER.wasm)?;
    /// let outcome = harness.with_http_client(vec![1, 4096]).run(&guest, &[] as &[&str])?;
    /// assert!(outcome.passed(), "{}", outcome.summary());
    /// # Ok(()) }
    /// ```
    pub fn with_http_client(&self, sizes: Vec<usize>) -> Harness {
        let mut harness = self.clone();
        harness.settings.http_client = Some(sizes);
        harness
    }

    /// The same harness with guest output going elsewhere (see [`Output`]).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Output};
    /// let harness = Builder::new().output(Output::Inherit).env("GREETING", "hi").build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.with_output(Output::Capture).run(&guest, &["env"])?;
    /// assert_eq!(outcome.stdout_text(), "GREETING=hi\n");
    /// # Ok(()) }
    /// ```
    pub fn with_output(&self, output: Output) -> Harness {
        let mut harness = self.clone();
        harness.settings.output = output;
        harness
    }

    /// The same harness capturing up to `limit` bytes of each of stdout and stderr.
    pub(crate) fn with_capture_limit(&self, limit: usize) -> Harness {
        let mut harness = self.clone();
        harness.settings.capture_limit = limit;
        harness
    }
}
