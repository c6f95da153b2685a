//! The WASI 0.2 world the guest sees: all of wasmtime-wasi, with `wasi:sockets/udp`,
//! `wasi:sockets/udp-create-socket`, `wasi:sockets/tcp`, `wasi:sockets/tcp-create-socket`,
//! `wasi:sockets/ip-name-lookup`, `wasi:io/poll`, `wasi:io/streams`,
//! `wasi:clocks/monotonic-clock` and `wasi:clocks/wall-clock` decorated in front of it, and
//! wasmtime-wasi-http's `wasi:http/outgoing-handler` and `wasi:http/types`, decorated where
//! readiness lives.
//!
//! The decorators implement wasmtime-wasi's own generated `Host*` traits and delegate to
//! wasmtime-wasi's implementations, so any change in the WIT fails to compile here instead
//! of shadowing a function by name at run time. One file per decorated interface; what
//! they all do around a call is in [`decorate`].

mod decorate;
mod http_fields;
mod http_outgoing_handler;
mod http_send;
mod http_serve;
mod http_types;
mod ip_name_lookup;
mod monotonic_clock;
mod network;
mod poll;
mod streams;
mod tcp;
mod tcp_create_socket;
mod udp;
mod udp_create_socket;
mod wall_clock;

pub(crate) use http_serve::serve;

use crate::limits::Limits;
use crate::names::Names;
use crate::policy::NetPolicy;
use crate::state::Run;
use std::sync::Arc;
use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime_wasi::clocks::{WasiClocksCtxView, WasiClocksView};
use wasmtime_wasi::p2::bindings::{LinkOptions, cli, clocks, filesystem, random, sockets};
use wasmtime_wasi::sockets::{WasiSockets, WasiSocketsCtxView, WasiSocketsView};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView};

/// The store data of one run.
pub(crate) struct HostState {
    wasi: Wasi,
    pub(crate) run: Run,
    pub(crate) limits: Limits,
    /// How the guest's names resolve.
    names: Arc<Names>,
    /// wasmtime-wasi-http's state and the harness's hooks for sending requests.
    http: WasiHttpCtx,
    hooks: http_send::Hooks,
}

/// wasmtime-wasi's own state, kept apart from the [`Run`] so both can be borrowed at once.
struct Wasi {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Wasi {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.ctx()
    }
}

impl HostState {
    pub(crate) fn new(
        ctx: WasiCtx,
        run: Run,
        max_memory: usize,
        names: Arc<Names>,
        (net, max_connections): (NetPolicy, u64),
    ) -> Self {
        Self {
            wasi: Wasi {
                ctx,
                table: ResourceTable::new(),
            },
            run,
            limits: Limits::new(max_memory),
            hooks: http_send::Hooks::new(net, names.clone(), max_connections),
            names,
            http: WasiHttpCtx::new(),
        }
    }

    /// The run's state, with everything of the guest's (its sockets among it) dropped.
    pub(crate) fn into_run(self) -> Run {
        self.run
    }

    pub(crate) fn limits(&mut self) -> &mut Limits {
        &mut self.limits
    }

    fn sockets_view(&mut self) -> SocketsView<'_> {
        SocketsView {
            inner: self.wasi.sockets(),
            run: &mut self.run,
            names: &self.names,
        }
    }

    fn io(&mut self) -> IoView<'_> {
        IoView {
            table: &mut self.wasi.table,
            run: &mut self.run,
        }
    }

    fn http_view(&mut self) -> HttpView<'_> {
        HttpView {
            inner: WasiHttpCtxView {
                ctx: &mut self.http,
                table: &mut self.wasi.table,
                hooks: &mut self.hooks,
            },
            run: &mut self.run,
        }
    }

    fn clocks_view(&mut self) -> ClocksView<'_> {
        ClocksView {
            inner: self.wasi.clocks(),
            run: &mut self.run,
        }
    }
}

/// What the socket decorators (UDP, TCP, name lookup) see: wasmtime-wasi's sockets view
/// plus the run's state and the harness's resolver.
pub(crate) struct SocketsView<'a> {
    inner: WasiSocketsCtxView<'a>,
    run: &'a mut Run,
    names: &'a Names,
}

struct Sockets;

impl HasData for Sockets {
    type Data<'a> = SocketsView<'a>;
}

/// What the `wasi:io` decorators (poll, streams) see: the resource table plus the fault
/// state.
pub(crate) struct IoView<'a> {
    table: &'a mut ResourceTable,
    run: &'a mut Run,
}

struct Io;

impl HasData for Io {
    type Data<'a> = IoView<'a>;
}

struct IoError;

impl HasData for IoError {
    type Data<'a> = &'a mut ResourceTable;
}

/// What the `wasi:http` decorators see: wasmtime-wasi-http's view (the resource table
/// shared with wasi:io, whose streams carry the bodies) plus the run's state.
pub(crate) struct HttpView<'a> {
    inner: WasiHttpCtxView<'a>,
    run: &'a mut Run,
}

struct Http;

impl HasData for Http {
    type Data<'a> = HttpView<'a>;
}

/// What the clock decorator sees: wasmtime-wasi's clocks plus the run's state.
pub(crate) struct ClocksView<'a> {
    inner: WasiClocksCtxView<'a>,
    run: &'a mut Run,
}

struct Clocks;

// The decorator helpers come with every view that holds the run.
impl decorate::Decorate for SocketsView<'_> {
    fn run(&mut self) -> &mut Run {
        self.run
    }
}

impl decorate::Decorate for IoView<'_> {
    fn run(&mut self) -> &mut Run {
        self.run
    }
}

impl decorate::Decorate for HttpView<'_> {
    fn run(&mut self) -> &mut Run {
        self.run
    }
}

impl HasData for Clocks {
    type Data<'a> = ClocksView<'a>;
}

/// Adds the whole of WASI 0.2 to `linker`: the decorated interfaces from this module, the
/// rest from wasmtime-wasi (the list of `wasmtime_wasi::p2::add_to_linker_async`, less
/// the interfaces decorated here).
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView};
    use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
    use wasmtime_wasi::random::{WasiRandom, WasiRandomView};
    use wasmtime_wasi_io::bindings::wasi::io;

    let l = linker;
    // Decorated.
    io::poll::add_to_linker::<HostState, Io>(l, HostState::io)?;
    io::streams::add_to_linker::<HostState, Io>(l, HostState::io)?;
    clocks::monotonic_clock::add_to_linker::<HostState, Clocks>(l, HostState::clocks_view)?;
    clocks::wall_clock::add_to_linker::<HostState, Clocks>(l, HostState::clocks_view)?;
    sockets::udp::add_to_linker::<HostState, Sockets>(l, HostState::sockets_view)?;
    sockets::udp_create_socket::add_to_linker::<HostState, Sockets>(l, HostState::sockets_view)?;
    sockets::tcp::add_to_linker::<HostState, Sockets>(l, HostState::sockets_view)?;
    sockets::tcp_create_socket::add_to_linker::<HostState, Sockets>(l, HostState::sockets_view)?;
    sockets::ip_name_lookup::add_to_linker::<HostState, Sockets>(l, HostState::sockets_view)?;
    {
        use wasmtime_wasi_http::p2::bindings::{LinkOptions, http};
        http::outgoing_handler::add_to_linker::<HostState, Http>(l, HostState::http_view)?;
        let options = (&LinkOptions::default()).into();
        http::types::add_to_linker::<HostState, Http>(l, &options, HostState::http_view)?;
    }
    // Straight from wasmtime-wasi.
    io::error::add_to_linker::<HostState, IoError>(l, |t| &mut t.wasi.table)?;
    filesystem::types::add_to_linker::<HostState, WasiFilesystem>(l, HostState::filesystem)?;
    filesystem::preopens::add_to_linker::<HostState, WasiFilesystem>(l, HostState::filesystem)?;
    random::random::add_to_linker::<HostState, WasiRandom>(l, |t| t.random())?;
    random::insecure::add_to_linker::<HostState, WasiRandom>(l, |t| t.random())?;
    random::insecure_seed::add_to_linker::<HostState, WasiRandom>(l, |t| t.random())?;
    cli::exit::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::environment::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::stdin::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::stdout::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::stderr::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_input::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_output::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_stdin::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_stdout::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_stderr::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    sockets::instance_network::add_to_linker::<HostState, WasiSockets>(l, HostState::sockets)?;
    let options = LinkOptions::default();
    sockets::network::add_to_linker::<HostState, WasiSockets>(
        l,
        &(&options).into(),
        HostState::sockets,
    )?;
    Ok(())
}

/// The trace's words for an address family.
fn family(family: sockets::network::IpAddressFamily) -> crate::trace::Text {
    match family {
        sockets::network::IpAddressFamily::Ipv4 => "ipv4",
        sockets::network::IpAddressFamily::Ipv6 => "ipv6",
    }
    .into()
}
