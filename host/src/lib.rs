//! # wouldblock
//!
//! Makes socket-readiness races in WebAssembly components happen on every run.
//!
//! A fresh `wasi:sockets` UDP socket may not be writable on its first send
//! ([wasmtime#12612](https://github.com/bytecodealliance/wasmtime/issues/12612)): the host
//! answered `ok(0)`, other hosts answered `error(would-block)`, and a guest that treats
//! either as fatal passes locally and flakes in CI. wouldblock runs a component on the real
//! wasmtime and the real wasmtime-wasi, and puts a deterministic fault plan in front of
//! `wasi:sockets/udp` and `wasi:io/poll`: the plan counts calls, never time, so the same
//! plan gives the same trace on every run.
//!
//! ## A map of the code
//!
//! In the order data flows through a run:
//!
//! | module | what it does |
//! |---|---|
//! | [`plan`] | plans as data: [`Op`]s, selectors, actions, readiness; the TOML and `--fault` parser; the presets |
//! | `builder`, `settings` | [`Builder`] checks and makes the `Settings` a [`Harness`] runs by |
//! | `harness`, `component` | compile a component once ([`Guest`]), run it in a fresh store per run (`harness/run.rs`: peers, WASI context, run state, store, instantiate, run, judge) |
//! | `wasi` | the guest's WASI 0.2 world: wasmtime-wasi and wasmtime-wasi-http with one decorator file per interface, each with its table of operations (`wasi/<interface>.rs`, gathered in `wasi/ops.rs`) |
//! | `state` | one run's state: `world` (the harness's peers, virtual clock, settling), `faults` (registry, rules, gates, permits, drops, busy-loop detector), `recorder` (trace and [`Stats`]) |
//! | `peer`, `policy`, `limits`, `stdio` | the harness's own UDP, TCP and HTTP peers; the address policy; memory and output bounds |
//! | `verdict` | every [`Verdict`] and how a run ended ([`Exit`], [`Ending`]): while the guest runs (busy loop, hang, spec violation, time limit) and at its end (loss, dropped, unusable after error), judged from plain facts |
//! | `outcome`, [`trace`] | what a run produced: [`Outcome`], the typed [`Trace`] |
//! | `pool`, `repeat`, [`suite`], [`explore`] | many runs, each taking a `&Harness`: one worker pool for [`Repeat::run`], test suites (one instance per test) and [`explore::explore`] (sites, trials, shrinking, reports) |
//!
//! The `wouldblock` command (`main.rs`, `cli/`) reports through one reporter with typed
//! events and a displayer each for the terminal, JUnit and JSON.
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
//! Each named preset reproduces one real case: `first-send` (wasmtime#12612),
//! `enobufs-backpressure`, `enobufs-no-wakeup`, `enobufs-writable` (ENOBUFS on macOS and
//! FreeBSD), `icmp-refused` and `errqueue-stuck` (ICMP errors on a connected socket); see
//! [`plan::PRESETS`].
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
