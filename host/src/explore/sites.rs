//! Fault sites and the faults tried at each: every socket call and socket wait of a
//! fault-free run, named by operation and per-resource call number, and the answers the
//! WIT allows there.

use crate::plan::{Action, Op, Readiness, Rule, Scope, Select};
use crate::trace::{Event, Trace};
use std::collections::BTreeMap;
use std::fmt;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// Where a fault can be injected: the `nth` call (0-based) of `op` on a resource, counted
/// per resource as a plan's rules count (`per = "stream"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Site {
    /// The operation.
    #[serde(serialize_with = "op_name")]
    pub op: Op,
    /// The call number on its resource, from 0.
    pub nth: u64,
}

fn op_name<S: serde::Serializer>(op: &Op, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(op.name())
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.op.is_pollable() {
            "wait"
        } else {
            "call"
        };
        write!(f, "{} {what} {}", self.op, self.nth + 1)
    }
}

/// One fault tried at a site: an answer and the readiness after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The answer (`pass` on a wait).
    pub action: Action,
    /// The pollable afterwards.
    pub ready: Readiness,
    /// Reported twice (`sticky`).
    pub sticky: bool,
    /// Every call from the site on, not one: a permanent condition.
    pub permanent: bool,
}

impl Fault {
    const fn once(action: Action, ready: Readiness) -> Self {
        Self {
            action,
            ready,
            sticky: false,
            permanent: false,
        }
    }

    /// Whether no program can be expected to survive it: an error that never ends, a
    /// connection reset. What it shows is a robustness note (does the program end cleanly
    /// under it?), not a readiness bug. (A wake-up that never comes is survivable: a guest
    /// that also waits on a clock gets out.)
    pub fn is_robustness(&self) -> bool {
        self.permanent || self.action == Action::Reset
    }

    /// The plan of one rule that injects this fault at `site`.
    pub fn rule(&self, site: Site) -> Rule {
        Rule {
            name: format!("explore: {site}"),
            op: site.op,
            select: Select {
                after: site.nth,
                first: (!self.permanent).then_some(1),
                ..Select::default()
            },
            scope: Scope::Stream,
            action: self.action,
            ready: self.ready,
            connected: false,
            sticky: self.sticky,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.action == Action::Pass {
            write!(f, "{}", self.ready)?;
        } else {
            write!(f, "{}, then {}", self.action, self.ready)?;
        }
        if self.sticky {
            f.write_str(", sticky")?;
        }
        if self.permanent {
            f.write_str(", every call from here on")?;
        }
        Ok(())
    }
}

const NOT_READY: Readiness = Readiness::NotReady(1);
const OOM: Action = Action::Error(ErrorCode::OutOfMemory);
const REFUSED: Action = Action::Error(ErrorCode::ConnectionRefused);
const PENDING: Action = Action::Error(ErrorCode::WouldBlock);

/// The not-ready answer and `error`, reported once and twice (`sticky`).
fn with_error(error: Action) -> Vec<Fault> {
    let once = Fault::once(error, Readiness::Real);
    let twice = Fault {
        sticky: true,
        ..once
    };
    vec![Fault::once(Action::OkZero, NOT_READY), once, twice]
}

/// The faults tried at a site of `op`: every answer the WIT allows that a correct program
/// survives, then the one no program can (robustness).
pub fn faults(op: Op) -> Vec<Fault> {
    let once = Fault::once;
    let mut tried = match op {
        Op::UdpCheckSend | Op::TcpCheckWrite => vec![once(Action::OkZero, NOT_READY)],
        // The not-ready answer, then the error reported once and reported twice.
        Op::UdpSend => with_error(OOM),
        Op::UdpReceive => with_error(REFUSED),
        Op::TcpRead => vec![
            once(Action::OkZero, NOT_READY),
            once(Action::Slice(1), Readiness::Real),
        ],
        Op::TcpConnect | Op::TcpAccept => vec![once(PENDING, NOT_READY)],
        // A late wake-up, a spurious one, and a missed one (until data moves again).
        op if op.is_pollable() => vec![
            once(Action::Pass, Readiness::NotReady(3)),
            once(Action::Pass, Readiness::Spurious),
            once(Action::Pass, Readiness::Never),
        ],
        _ => Vec::new(),
    };
    if op == Op::TcpCheckWrite {
        tried.push(once(Action::ShortPermit(1), Readiness::Real));
    }
    // A not-ready answer whose wake-up never comes (until data moves again): a guest that
    // also waits on a clock gets out; one that trusts the pollable alone hangs.
    if op.has_zero_answer() {
        let not_ready = tried.first().map_or(Action::OkZero, |f| f.action);
        tried.push(once(not_ready, Readiness::Never));
    }
    // What no program survives: worth knowing, not a readiness bug.
    if op == Op::TcpRead {
        tried.push(once(Action::Reset, Readiness::Real));
    }
    if op == Op::UdpSend {
        tried.push(Fault {
            permanent: true,
            ..once(OOM, Readiness::Real)
        });
    }
    tried
}

/// The sites of a fault-free run, in the order first seen, each once: a site is the
/// `nth` call of an operation on any one resource.
pub fn sites(trace: &Trace) -> Vec<Site> {
    let mut calls: BTreeMap<(Op, String), u64> = BTreeMap::new();
    let mut seen = Vec::new();
    for event in trace.events() {
        for (op, resource) in ops_of(event) {
            let n = calls.entry((op, resource)).or_default();
            let site = Site { op, nth: *n };
            *n += 1;
            if !seen.contains(&site) && !faults(op).is_empty() {
                seen.push(site);
            }
        }
    }
    seen
}

/// The plan operations one trace event stands for, with the resource each counts on: a
/// wait on several socket pollables is a wait on each.
fn ops_of(event: &Event) -> Vec<(Op, String)> {
    let resource = event.resource.to_string();
    let call = match (event.interface, event.op) {
        ("wasi:sockets/udp", "check-send") => Some(Op::UdpCheckSend),
        ("wasi:sockets/udp", "send") => Some(Op::UdpSend),
        ("wasi:sockets/udp", "receive") => Some(Op::UdpReceive),
        ("wasi:sockets/tcp", "finish-connect") => Some(Op::TcpConnect),
        ("wasi:sockets/tcp", "accept") => Some(Op::TcpAccept),
        ("wasi:io/streams", "read" | "blocking-read") => Some(Op::TcpRead),
        ("wasi:io/streams", "check-write") => Some(Op::TcpCheckWrite),
        _ => None,
    };
    if let Some(op) = call {
        return vec![(op, resource)];
    }
    if event.interface != "wasi:io/poll" {
        return Vec::new();
    }
    // `ready` names its pollable's resource; `poll` and `block` list them in `args`.
    let named = if event.op == "ready" {
        resource
    } else {
        event.args.to_string()
    };
    named
        .split(" + ")
        .next()
        .unwrap_or("")
        .split(", ")
        .filter_map(|label| Some((wait_op(label)?, label.to_string())))
        .collect()
}

/// The wait operation for a resource label (`outgoing#1`).
fn wait_op(label: &str) -> Option<Op> {
    Some(match label.split('#').next()? {
        "udp-socket" => Op::UdpSocketPollable,
        "incoming" => Op::UdpIncomingPollable,
        "outgoing" => Op::UdpOutgoingPollable,
        "tcp-socket" => Op::TcpSocketPollable,
        "input" => Op::TcpInputPollable,
        "output" => Op::TcpOutputPollable,
        _ => return None,
    })
}
