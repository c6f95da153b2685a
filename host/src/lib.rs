//! # wouldblock
//!
//! Makes socket-readiness races in WebAssembly components happen on every run.
//!
//! A fresh `wasi:sockets` UDP socket may not be writable on its first send
//! ([wasmtime#12612](https://github.com/bytecodealliance/wasmtime/issues/12612)): the host
//! answered `ok(0)`, other hosts answered `error(would-block)`, and a guest that treats
//! either as fatal passes locally and flakes in CI. wouldblock runs a component on the real
//! wasmtime and the real wasmtime-wasi, and puts a deterministic fault plan in front of
//! `wasi:sockets/udp`, `wasi:sockets/tcp`, the streams of TCP connections and HTTP bodies
//! (`wasi:io/streams`), `wasi:sockets/ip-name-lookup`, `wasi:http/outgoing-handler`,
//! `wasi:http/types` and `wasi:io/poll`: the plan counts calls, never time, and the guest's
//! clocks are virtual, so the same plan gives the same trace on every run.
//!
//! ## A map of the code
//!
//! Bottom to top: a module uses only those above it in this table.
//!
//! | module | what it does |
//! |---|---|
//! | `catalogue` | the shared vocabulary ([`Op`], [`Action`], [`Readiness`], [`explore::Fault`], [`explore::Tier`], [`explore::Tried`]) and one table per WIT interface: its operations, resource kinds, and the faults explore tries with their trigger, reference and WIT clause |
//! | `resources`, [`trace`], `recorder` | resource kinds and ids; the typed [`Trace`]; the trace and [`Stats`] of one run |
//! | [`plan`] | plans as data: [`Rule`]s, selectors; the TOML and `--fault` parser; the presets |
//! | `verdict` | every [`Verdict`] and how a run ended ([`Exit`], [`Ending`]), judged from plain facts handed to it: while the guest runs (busy loop, hang, spec violation, time limit) and at its end (loss, dropped, unusable after error) |
//! | `faults` | the plan at work and **the one decision core**: `Faults::decide` answers a call with a `Decision` (the answer or the real call, the trace's note), `Faults::decide_wait` a wait; the registry, rule counters, readiness gates, permits, drops and busy-loop detector behind them |
//! | `world`, `peer`, `policy`, `names`, `limits`, `stdio` | the harness's side: virtual clock and settling, its own UDP, TCP and HTTP peers, the address policy, name resolution, memory and output bounds |
//! | `state` | one run's `Run` (`world`, `faults`, `recorder`): the verbs a decorator uses (`event`, `decide`, `record`, `account`, waits and time), so no decorator reaches into the parts |
//! | `wasi` | the guest's WASI 0.2 world: wasmtime-wasi and wasmtime-wasi-http, with one thin decorator file per interface (`wasi/<interface>.rs`): get the resource, ask `Run::decide`, make or skip the real call, report the result |
//! | `outcome` | what a run produced: [`Outcome`] |
//! | `builder`, `settings`, `harness`, `component` | [`Builder`] makes the `Settings` a [`Harness`] runs by; a component is compiled once ([`Guest`]) and run in a fresh store per run, in named steps (`harness/run.rs`: peers, WASI context, run state, store, instantiate, run, judge) |
//! | `pool`, `repeat`, [`suite`], [`explore`] | many runs, each taking a `&Harness`: one worker pool for [`Repeat::run`], test suites (one instance per test) and [`explore::explore`] (sites, trials, shrinking, reports) |
//!
//! The `wouldblock` command (`main.rs`, `cli/`) reports through one reporter with typed
//! events and a displayer each for the terminal, JUnit, JSON and HTML.
//!
//! **Where new worlds plug in.** WASI 0.3's sockets (streams and futures instead of
//! pollables) are a table per interface in `catalogue/` and a decorator family beside
//! `wasi/` (a `wasi_p3/`): its stream producers and consumers ask `Run::decide` for each
//! read, write and result future exactly as a p2 call does, and `Faults::decide_wait` has
//! no p3 counterpart to reach, as p3 waits inside the component model. A relay to a real
//! server (toxiproxy-style, the harness owning the guest's side of the connection) is a
//! peer in `peer/` that `world` settles; its bytes pass through the same decisions on the
//! guest's streams, so it needs no decision of its own.
//!
//! ## Run a guest under a fault
//!
//! ```no_run
//! use wouldblock::{Builder, Plan, Form, PeerOptions, Readiness};
//!
//! # fn main() -> anyhow::Result<()> {
//! // The first send on every fresh stream answers ok(0); the stream's pollable is
//! // ready again after one check. The harness's own peer replaces `{peer}` and counts
//! // what arrives: a datagram lost on the way is the `loss` verdict.
//! let harness = Builder::new()
//!     .plan(Plan::first_send(Form::OkZero, 1, Readiness::NotReady(1)))
//!     .peer(PeerOptions::counting().expect_datagrams(3))
//!     .build()?;
//! let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
//! let outcome = harness.run(&guest, &["{peer}", "--count", "3"])?;
//! assert!(outcome.passed(), "{}", outcome.stderr_text());
//! # Ok(()) }
//! ```
//!
//! ## Plans are data
//!
//! A [`Plan`] is a list of [`Rule`]s: an operation, a count-based selector, an action and
//! the readiness afterwards. The same keys work in a TOML file and on the command line:
//!
//! ```
//! use wouldblock::{Plan, Op, Action, Readiness};
//!
//! let from_cli = Plan::parse_spec("udp.send:first=2,action=would-block,ready=3").unwrap();
//! let from_file = Plan::from_toml(r#"
//!     [[fault]]
//!     op = "udp.send"
//!     first = 2
//!     action = "would-block"
//!     ready = 3
//! "#, "plan.toml").unwrap();
//! assert_eq!(from_cli, from_file.rules);
//! assert_eq!(from_cli[0].op, Op::UdpSend);
//! assert_eq!(from_cli[0].ready, Readiness::NotReady(3));
//! assert!(matches!(from_cli[0].action, Action::Error(_)));
//! ```
//!
//! ## Verdicts
//!
//! A guest that ends by itself gives its own exit status. The harness stops a guest that
//! spins ([`Verdict::BusyLoop`]: too many socket calls in a row without progress), that
//! blocks on a pollable the plan will never make ready ([`Verdict::Hang`], found at once,
//! not by a timer), or that breaks a trap rule of the WIT ([`Verdict::SpecViolation`]).
//! When the run ends it also judges what only the end can show: a guest that exited 0 but
//! whose datagrams did not all reach the harness's [`Peer`] exactly once
//! ([`Verdict::Loss`]), and a guest that failed after an injected transient error without
//! moving data again ([`Verdict::UnusableAfterError`]). Each verdict comes with the trace
//! lines that show it.
//!
//! ## Presets
//!
//! Each named preset reproduces one real case (see [`plan::PRESETS`] for each one's
//! reference): UDP `first-send` (wasmtime#12612), `enobufs-backpressure`,
//! `enobufs-no-wakeup`, `enobufs-writable` (ENOBUFS on Linux, macOS and FreeBSD),
//! `icmp-refused` and `errqueue-stuck` (ICMP errors on a connected socket); TCP
//! `tcp-slow-peer`, `tcp-backpressure`, `tcp-connect-pending`, `tcp-reset`; name lookup
//! `dns-slow`; HTTP `http-slow-response`, `http-slow-body`, `http-body-backpressure`,
//! `http-reset-mid-body`.
//!
//! ```
//! use wouldblock::{Op, Plan, Readiness};
//!
//! let rules = Plan::parse_spec("enobufs-writable:until-waits=2").unwrap();
//! assert_eq!(rules[0].op, Op::UdpSend);
//! assert_eq!(rules[0].ready, Readiness::Spurious);
//! assert_eq!(rules[0].select.until_waits, Some(2));
//! ```

#![deny(missing_docs)]
#![deny(missing_debug_implementations)]
#![deny(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]

mod builder;
mod catalogue;
mod component;
mod error;
pub mod explore;
mod faults;
mod harness;
mod limits;
mod names;
mod outcome;
mod peer;
pub mod plan;
mod policy;
mod pool;
mod recorder;
mod repeat;
mod resources;
mod settings;
mod state;
mod stdio;
pub mod suite;
pub mod trace;
mod verdict;
mod wasi;
mod world;

pub use builder::Builder;
pub use component::DEFAULT_MAX_COMPONENT_SIZE;
pub use error::Error;
pub use harness::{Guest, Harness};
pub use outcome::Outcome;
pub use peer::{
    Connection, PEER_PLACEHOLDER, Peer, PeerOptions, Received, TCP_ECHO_PLACEHOLDER,
    TcpClientOptions, TcpReport,
};
pub use plan::{Action, Form, Op, Plan, PlanError, Readiness, Rule, Scope, Select};
pub use policy::NetPolicy;
pub use recorder::Stats;
pub use repeat::{EXIT_NONDETERMINISTIC, Repeat};
pub use resources::{Kind, ResourceId};
pub use settings::{
    Clock, DEFAULT_BUSY_THRESHOLD, DEFAULT_MAX_MEMORY, DEFAULT_MAX_SOCKETS, MAX_PARALLELISM, Output,
};
pub use trace::{Event, Text, Trace};
pub use verdict::{Ending, Exit, Stop, Verdict};
