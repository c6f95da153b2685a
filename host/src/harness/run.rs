//! One run, step by step: start the harness's peers, give the guest its WASI context and a
//! fresh run state in a fresh store, instantiate it and run it to its end (or the time
//! limit), then finish the peers and hand what they and the run state saw to
//! [`end::judge`] as plain [`Facts`](end::Facts).

use super::{Guest, Harness};
use crate::error::Error;
use crate::faults::Faults;
use crate::outcome::Outcome;
use crate::peer::{
    HTTP_ECHO_PLACEHOLDER, HttpEcho, Peer, PeerOptions, TCP_ECHO_PLACEHOLDER, TcpClient, TcpEcho,
    http_echo_cut, names_peer, substitute,
};
use crate::recorder::Recorder;
use crate::settings::{Clock, FUEL_YIELD_INTERVAL, Output, Settings};
use crate::state::Run;
use crate::stdio::Sink;
use crate::verdict::{Exit, during, end};
use crate::wasi::HostState;
use crate::world::clock::VirtualClock;
use crate::world::{PeerWatch, Relays, World};
use std::sync::atomic::{AtomicU32, Ordering};
use wasmtime::{Engine, PoolConcurrencyLimitError, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder};

/// The harness's own peers for one run: started before the guest, finished after it.
struct Peers {
    /// What the UDP peer was asked for (`{peer}` alone asks for a counting one).
    options: Option<PeerOptions>,
    udp: Option<Peer>,
    /// The TCP echo server, for a guest that names it.
    tcp_echo: Option<TcpEcho>,
    /// The HTTP echo server, for a guest that names it.
    http_echo: Option<HttpEcho>,
}

/// Where the guest's output goes: captured, or inherited with stderr's line ends tracked.
struct Stdio {
    tracked: Sink,
    /// Stdout and stderr, when captured.
    captured: Option<(Sink, Sink)>,
}

/// Runs `guest args...` once, in a fresh store: [`Harness::run_async`].
pub(super) async fn run(
    harness: &Harness,
    guest: &Guest,
    args: &[impl AsRef<str>],
) -> Result<Outcome, Error> {
    let settings = &harness.settings;
    guest.check_entry(settings.http_client.is_some())?;
    let peers = start_peers(settings, args)?;
    let (ctx, stdio) = wasi_ctx(settings, &argv(guest, args, &peers))?;
    let run = new_run(settings, &peers);
    let mut store = new_store(&harness.engine, settings, ctx, run)?;
    let (exit, stack) = run_to_end(settings, guest, &mut store, &stdio).await?;
    let mut outcome = judge(settings, exit, store, peers, stdio)?;
    outcome.stack = stack;
    Ok(outcome)
}

/// Starts the peers the settings and the arguments ask for.
fn start_peers(settings: &Settings, args: &[impl AsRef<str>]) -> Result<Peers, Error> {
    // `{peer}` always has a harness-owned peer: a counting one unless asked otherwise.
    let named = args.iter().any(|arg| names_peer(arg.as_ref()));
    let options = settings.peer.or(named.then(PeerOptions::counting));
    let udp = options
        .map(|options| Peer::with_capacity(options.echo, options.expect_datagrams.unwrap_or(0)))
        .transpose()
        .map_err(|e| Error::Setup(format!("cannot bind the UDP peer on 127.0.0.1: {e}")))?;
    // The echo servers start only for guests that name them.
    let names = |placeholder: &str| args.iter().any(|arg| arg.as_ref().contains(placeholder));
    let tcp_echo = names(TCP_ECHO_PLACEHOLDER)
        .then(TcpEcho::start)
        .transpose()
        .map_err(|e| Error::Setup(format!("cannot start the TCP echo peer: {e}")))?;
    let http_echo = names(HTTP_ECHO_PLACEHOLDER)
        .then(HttpEcho::start)
        .transpose()
        .map_err(|e| Error::Setup(format!("cannot start the HTTP echo peer: {e}")))?;
    Ok(Peers {
        options,
        udp,
        tcp_echo,
        http_echo,
    })
}

/// The guest's `argv`: its name, then `args` with the peers' addresses in place of their
/// placeholders.
fn argv(guest: &Guest, args: &[impl AsRef<str>], peers: &Peers) -> Vec<String> {
    let peer_addr = peers.udp.as_ref().map(|p| p.addr().to_string());
    let echo_addr = peers.tcp_echo.as_ref().map(|e| e.addr().to_string());
    let http_url = peers.http_echo.as_ref().map(HttpEcho::url);
    let args = args.iter().map(|arg| {
        substitute(arg.as_ref(), peer_addr.as_deref())
            .replace(TCP_ECHO_PLACEHOLDER, echo_addr.as_deref().unwrap_or(""))
            .replace(HTTP_ECHO_PLACEHOLDER, http_url.as_deref().unwrap_or(""))
    });
    std::iter::once(guest.name.clone()).chain(args).collect()
}

/// The variable that names each run: [`run_id`].
pub(crate) const RUN_ID_VAR: &str = "WOULDBLOCK_RUN_ID";

/// This run's id: the harness process's id and the run's number in it, 16 hex digits. Its
/// width is fixed so that a key built from it has one length in every run: the trace
/// counts bytes, and two runs must give the same trace.
fn run_id() -> String {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    format!("{:08x}{run:08x}", std::process::id())
}

/// The guest's WASI context: its arguments, sockets under the address policy, its
/// environment and preopened directories, and where its output goes.
fn wasi_ctx(settings: &Settings, argv: &[String]) -> Result<(WasiCtx, Stdio), Error> {
    let mut ctx = WasiCtxBuilder::new();
    ctx.args(argv)
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
    // A value of its own in every run, so that runs of one test sharing a server can keep
    // their keys apart; one the user gave (or let inherit) wins.
    let given = settings.env.iter().any(|(name, _)| name == RUN_ID_VAR)
        || (settings.inherit_env && std::env::var_os(RUN_ID_VAR).is_some());
    if !given {
        ctx.env(RUN_ID_VAR, run_id());
    }
    for (host, guest) in &settings.preopens {
        ctx.preopened_dir(host, guest, FsPerms::ReadWrite)
            .map_err(|e| Error::Setup(format!("cannot preopen {host}: {e:#}")))?;
    }
    if settings.inherit_stdin {
        ctx.inherit_stdin();
    }
    let tracked = Sink::stderr();
    let captured = match settings.output {
        Output::Inherit => {
            ctx.inherit_stdout().stderr(tracked.clone());
            None
        }
        Output::Capture => {
            let limit = settings.capture_limit;
            let (out, err) = (Sink::captured(limit), Sink::captured(limit));
            ctx.stdout(out.clone()).stderr(err.clone());
            Some((out, err))
        }
    };
    Ok((ctx.build(), Stdio { tracked, captured }))
}

/// A fresh run state: the plan's faults, and a world that watches the harness's peers.
fn new_run(settings: &Settings, peers: &Peers) -> Run {
    let faults = Faults::new(
        &settings.plan,
        settings.busy_threshold,
        settings.max_sockets,
    );
    let tcp_client = settings.tcp_client.clone().map(TcpClient::new);
    let mut world = World {
        clock: (settings.clock == Clock::Virtual).then(VirtualClock::default),
        peer: peers.udp.as_ref().map(|peer| PeerWatch {
            addr: peer.addr(),
            sent: 0,
            handled: peer.handled(),
            accepted: Default::default(),
        }),
        tcp_peers: tcp_client
            .iter()
            .map(TcpClient::io)
            .chain(peers.tcp_echo.iter().map(TcpEcho::io))
            .collect(),
        tcp_client,
        quiet: settings.quiet_window,
        time_limit: settings.time_limit,
        ..World::default()
    };
    world.http_bodies.echo = peers.http_echo.as_ref().map(HttpEcho::addr);
    let own = (peers.tcp_echo.iter().map(TcpEcho::addr))
        .chain(peers.udp.as_ref().map(|peer| peer.addr()))
        .collect();
    world.relays = Relays::new(&settings.net, own, settings.quiet_window);
    Run {
        world,
        faults,
        recorder: Recorder::default(),
    }
}

/// A fresh store for one run, bounded in memory and yielding to tokio as it burns fuel.
fn new_store(
    engine: &Engine,
    settings: &Settings,
    ctx: WasiCtx,
    run: Run,
) -> Result<Store<HostState>, Error> {
    let names = settings.names.clone();
    let sockets = (settings.net.clone(), settings.max_sockets);
    let state = HostState::new(ctx, run, settings.max_memory, names, sockets);
    let mut store = Store::new(engine, state);
    store.limiter(|state| state.limits());
    let setup = |e: wasmtime::Error| Error::Setup(format!("{e:#}"));
    store.set_fuel(u64::MAX).map_err(setup)?;
    store
        .fuel_async_yield_interval(Some(FUEL_YIELD_INTERVAL))
        .map_err(setup)?;
    Ok(store)
}

/// Runs the guest until it ends or the time limit passes, and tells how it ended, with
/// the guest's stack when a trap ended it (a panic, a verdict's stop). A full instance
/// pool is the harness's limit, not the guest's doing: an error, not an exit.
async fn run_to_end(
    settings: &Settings,
    guest: &Guest,
    store: &mut Store<HostState>,
    stdio: &Stdio,
) -> Result<(Exit, Vec<String>), Error> {
    let run = instantiate_and_run(settings, guest, store);
    let mut stack = Vec::new();
    let exit = match tokio::time::timeout(settings.time_limit, run).await {
        Ok(Err(error)) if error.downcast_ref::<PoolConcurrencyLimitError>().is_some() => {
            return Err(Error::PoolFull {
                limit: settings.parallelism + 1,
            });
        }
        Ok(Ok(Ok(()))) => Exit::Code(0),
        Ok(Ok(Err(()))) => Exit::Code(1),
        Ok(Err(error)) => {
            let tail = match &stdio.captured {
                Some((_, err)) => err.tail(),
                None => stdio.tracked.tail(),
            };
            stack = crate::verdict::stack_of(&error);
            end::classify(&error, store.data().limits.note(), &tail)
        }
        Err(_elapsed) => Exit::Stopped(during::time_limit(
            &store.data().run.recorder,
            settings.time_limit,
        )),
    };
    Ok((exit, stack))
}

/// Instantiates the guest and calls it: its `wasi:cli/run`, or its
/// `wasi:http/incoming-handler` once per size when the harness's HTTP client drives it.
async fn instantiate_and_run(
    settings: &Settings,
    guest: &Guest,
    store: &mut Store<HostState>,
) -> wasmtime::Result<Result<(), ()>> {
    match (&settings.http_client, &guest.proxy, &guest.pre) {
        (Some(sizes), Some(proxy), _) => crate::wasi::serve(store, proxy, sizes).await,
        (Some(_), None, _) => Err(wasmtime::format_err!(
            "--http-client: the component exports no wasi:http/incoming-handler"
        )),
        (None, _, Some(command)) => {
            let command = command.instantiate_async(&mut *store).await?;
            command.wasi_cli_run().call_run(&mut *store).await
        }
        (None, _, None) => Err(wasmtime::format_err!(
            "the component exports no wasi:cli/run: serve its \
             wasi:http/incoming-handler with --http-client SIZES"
        )),
    }
}

/// Finishes the peers, judges what only the end of the run can show and gathers the
/// outcome.
fn judge(
    settings: &Settings,
    exit: Exit,
    store: Store<HostState>,
    peers: Peers,
    stdio: Stdio,
) -> Result<Outcome, Error> {
    // Everything the guest sent is queued at the peer once its send calls returned.
    let received = peers
        .udp
        .map(Peer::finish)
        .transpose()
        .map_err(|e| Error::Setup(format!("the UDP peer failed: {e}")))?;
    // The guest's sockets close with its store, so the harness's TCP peers see the
    // end of every connection before they are waited for.
    let mut run = store.into_data().into_run();
    drop(peers.tcp_echo);
    let tcp = run.world.tcp_client.take().map(TcpClient::finish);
    let tcp = tcp.transpose().map_err(Error::Harness)?;
    let http = peers.http_echo.map(HttpEcho::finish);
    if let Some(cut) = http
        .as_ref()
        .map(|report| report.cut)
        .filter(|&cut| cut > 0)
    {
        return Err(Error::Harness(http_echo_cut(cut)));
    }
    let guest_status = exit.guest_status();
    let (dropped, by_error) = run.faults.drops.counts();
    run.recorder.stats.datagrams_dropped = dropped + by_error;
    let facts = end::Facts {
        trace: &run.recorder.trace,
        dropped: run.faults.drops.account(settings.no_drops),
        pending_error: run.faults.pending_error(),
        accepted: run.world.peer.as_ref().map(|watch| &watch.accepted),
        expected: peers.options.and_then(|p| p.expect_datagrams),
        received: received.as_ref(),
        tcp: tcp.as_ref(),
        http: http.as_ref(),
        http_owed: run.world.http_bodies.owed_to_echo(),
        http_served: run.world.http_served.as_ref(),
    };
    let exit = end::judge(exit, &facts);
    let (stdout, stderr) = stdio.captured.map_or_else(Default::default, |(out, err)| {
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
        stderr_mid_line: stdio.tracked.mid_line(),
        stack: Vec::new(),
    })
}
