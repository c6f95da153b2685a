//! The harness: a [`Harness`] owns the engine and the linker, compiles [`Guest`]s once and
//! runs each of them as often as asked, every run in a fresh store.

mod variants;

use crate::component;
use crate::error::Error;
use crate::faults::Faults;
use crate::outcome::{Exit, Outcome};
use crate::peer::{
    HTTP_ECHO_PLACEHOLDER, HttpEcho, Peer, PeerOptions, TCP_ECHO_PLACEHOLDER, TcpClient, TcpEcho,
    http_echo_cut, names_peer, substitute,
};
use crate::recorder::Recorder;
use crate::settings::{Clock, FUEL_YIELD_INTERVAL, Output, Settings};
use crate::state::Run;
use crate::stdio::{Captured, TrackedStderr};
use crate::verdict::{during, end};
use crate::wasi::HostState;
use crate::world::clock::VirtualClock;
use crate::world::{PeerWatch, World};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, PoolConcurrencyLimitError, Store};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};
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
        let settings = &self.settings;
        guest.check_entry(settings.http_client.is_some())?;
        // `{peer}` always has a harness-owned peer: a counting one unless asked otherwise.
        let named = args.iter().any(|arg| names_peer(arg.as_ref()));
        let peer_options = settings.peer.or(named.then(PeerOptions::counting));
        let peer = peer_options
            .map(|options| Peer::with_capacity(options.echo, options.expect_datagrams.unwrap_or(0)))
            .transpose()
            .map_err(|e| Error::Setup(format!("cannot bind the UDP peer on 127.0.0.1: {e}")))?;
        let peer_addr = peer.as_ref().map(|p| p.addr().to_string());
        // The echo server starts only for guests that name it.
        let echo = args
            .iter()
            .any(|arg| arg.as_ref().contains(TCP_ECHO_PLACEHOLDER))
            .then(TcpEcho::start)
            .transpose()
            .map_err(|e| Error::Setup(format!("cannot start the TCP echo peer: {e}")))?;
        let echo_addr = echo.as_ref().map(|e| e.addr().to_string());
        let http_echo = args
            .iter()
            .any(|arg| arg.as_ref().contains(HTTP_ECHO_PLACEHOLDER))
            .then(HttpEcho::start)
            .transpose()
            .map_err(|e| Error::Setup(format!("cannot start the HTTP echo peer: {e}")))?;
        let http_url = http_echo.as_ref().map(HttpEcho::url);
        let mut ctx = WasiCtxBuilder::new();
        let argv: Vec<String> = std::iter::once(guest.name.clone())
            .chain(
                args.iter()
                    .map(|arg| substitute(arg.as_ref(), peer_addr.as_deref()))
                    .map(|arg| {
                        arg.replace(TCP_ECHO_PLACEHOLDER, echo_addr.as_deref().unwrap_or(""))
                            .replace(HTTP_ECHO_PLACEHOLDER, http_url.as_deref().unwrap_or(""))
                    }),
            )
            .collect();
        ctx.args(&argv)
            .allow_udp(true)
            .allow_tcp(true)
            // Every lookup is answered by the decorator, which asks wasmtime-wasi's
            // resolver only for names the policy lets leave the machine.
            .allow_ip_name_lookup(true)
            .socket_addr_check(settings.net.clone().into_check());
        if settings.inherit_env {
            ctx.inherit_env();
        }
        ctx.envs(&settings.env);
        for (host, guest) in &settings.preopens {
            ctx.preopened_dir(host, guest, FsPerms::ReadWrite)
                .map_err(|e| Error::Setup(format!("cannot preopen {host}: {e:#}")))?;
        }
        if settings.inherit_stdin {
            ctx.inherit_stdin();
        }
        let tracked = TrackedStderr::default();
        let captured = match settings.output {
            Output::Inherit => {
                ctx.inherit_stdout().stderr(tracked.clone());
                None
            }
            Output::Capture => {
                let limit = settings.capture_limit;
                let (out, err) = (Captured::new(limit), Captured::new(limit));
                ctx.stdout(out.clone()).stderr(err.clone());
                Some((out, err))
            }
        };
        let faults = Faults::new(
            &settings.plan,
            settings.busy_threshold,
            settings.max_sockets,
        );
        let tcp_client = settings.tcp_client.clone().map(TcpClient::new);
        let mut world = World {
            clock: (settings.clock == Clock::Virtual).then(VirtualClock::default),
            peer: peer.as_ref().map(|peer| PeerWatch {
                addr: peer.addr(),
                sent: 0,
                handled: peer.handled(),
                accepted: Default::default(),
            }),
            tcp_peers: tcp_client
                .iter()
                .map(TcpClient::io)
                .chain(echo.iter().map(TcpEcho::io))
                .collect(),
            tcp_client,
            quiet: settings.quiet_window,
            time_limit: settings.time_limit,
            ..World::default()
        };
        world.http_bodies.echo = http_echo.as_ref().map(HttpEcho::addr);
        let run = Run {
            world,
            faults,
            recorder: Recorder::default(),
        };
        let state = HostState::new(
            ctx.build(),
            run,
            settings.max_memory,
            settings.names.clone(),
            (settings.net.clone(), settings.max_sockets),
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| state.limits());
        let setup = |e: wasmtime::Error| Error::Setup(format!("{e:#}"));
        store.set_fuel(u64::MAX).map_err(setup)?;
        store
            .fuel_async_yield_interval(Some(FUEL_YIELD_INTERVAL))
            .map_err(setup)?;

        let run = async {
            match (&settings.http_client, &guest.proxy, &guest.pre) {
                (Some(sizes), Some(proxy), _) => crate::wasi::serve(&mut store, proxy, sizes).await,
                (Some(_), None, _) => Err(wasmtime::format_err!(
                    "--http-client: the component exports no wasi:http/incoming-handler"
                )),
                (None, _, Some(command)) => {
                    let command = command.instantiate_async(&mut store).await?;
                    command.wasi_cli_run().call_run(&mut store).await
                }
                (None, _, None) => Err(wasmtime::format_err!(
                    "the component exports no wasi:cli/run: serve its \
                     wasi:http/incoming-handler with --http-client SIZES"
                )),
            }
        };
        let exit = match tokio::time::timeout(settings.time_limit, run).await {
            // No slot in the pool: our limit, not the guest's doing.
            Ok(Err(error)) if error.downcast_ref::<PoolConcurrencyLimitError>().is_some() => {
                return Err(Error::PoolFull {
                    limit: settings.parallelism,
                });
            }
            Ok(Ok(Ok(()))) => Exit::Code(0),
            Ok(Ok(Err(()))) => Exit::Code(1),
            Ok(Err(error)) => {
                let tail = match &captured {
                    Some((_, err)) => err.tail(),
                    None => tracked.tail(),
                };
                end::classify(&error, store.data().limits.note(), &tail)
            }
            Err(_elapsed) => Exit::Stopped(during::time_limit(
                &store.data().run.recorder,
                settings.time_limit,
            )),
        };
        // Everything the guest sent is queued at the peer once its send calls returned.
        let received = peer
            .map(Peer::finish)
            .transpose()
            .map_err(|e| Error::Setup(format!("the UDP peer failed: {e}")))?;
        // The guest's sockets close with its store, so the harness's TCP peers see the
        // end of every connection before they are waited for.
        let mut run = store.into_data().into_run();
        drop(echo);
        let tcp = run.world.tcp_client.take().map(TcpClient::finish);
        let tcp = tcp.transpose().map_err(Error::Harness)?;
        let http = http_echo.map(HttpEcho::finish);
        if let Some(cut) = http.map(|report| report.cut).filter(|&cut| cut > 0) {
            return Err(Error::Harness(http_echo_cut(cut)));
        }
        let guest_status = exit.guest_status();
        let (dropped, by_error) = run.faults.drops.counts();
        run.recorder.stats.datagrams_dropped = dropped + by_error;
        let exit = end::judge(
            exit,
            &run,
            peer_options,
            received.as_ref(),
            tcp.as_ref(),
            settings.no_drops,
        );
        let exit = end::http_loss(exit, &run, http.as_ref());
        let exit = end::http_served(exit, &run);
        let (stdout, stderr) = captured.map_or_else(Default::default, |(out, err)| {
            (out.contents(), err.contents())
        });
        Ok(Outcome {
            exit,
            stats: run.recorder.stats,
            trace: run.recorder.trace,
            stdout,
            stderr,
            received,
            tcp,
            guest_status,
            stderr_mid_line: tracked.mid_line(),
        })
    }
}
