//! The shape of the per-interface operation tables. Each decorated interface's file
//! (`udp.rs`, `tcp.rs`, `streams.rs`, ...) declares one [`OpRow`] per operation of the plan
//! language and one [`KindRow`] per resource kind it hands out; `ops.rs` gathers them for
//! the plan's parser, the registry and explore. Adding an interface is its file, its rows
//! and a README row.

use crate::explore::{Fault, Tier, Tried};
use crate::plan::{Action, NotReady, Op, Readiness};
use crate::resources::{Kind, Unit};
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// One operation of the plan language.
pub(crate) struct OpRow {
    /// The enum value.
    pub(crate) op: Op,
    /// The name users write in plans and traces, e.g. `udp.send`.
    pub(crate) name: &'static str,
    /// The resource it acts on (for a wait: whose pollable; for a create: what it makes).
    pub(crate) kind: Kind,
    /// A wait on a pollable (its rules set only the readiness), not a call with an answer.
    pub(crate) wait: bool,
    /// How the call says "not now", if it can (`ok-zero` in a plan).
    pub(crate) not_ready: Option<NotReady>,
    /// A call on a TCP connection's stream: `reset` and `closed` mean something.
    pub(crate) stream: bool,
    /// The cut a rule may make to the real answer (`slice`, `short-permit`), if any.
    pub(crate) cut: Option<Cut>,
    /// The faults explore tries at each call of it, in order.
    pub(crate) explore: &'static [Tried],
}

/// A cut (or reordering) of the real answer that a rule may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    /// `slice = N`: a read returns at most N of the bytes there are.
    Slice,
    /// `short-permit = N`: a check permits at most N of the real permit.
    ShortPermit,
    /// `ipv6-first`: a lookup's addresses come IPv6 first.
    Reorder,
}

/// One resource kind an interface hands out.
pub(crate) struct KindRow {
    pub(crate) kind: Kind,
    /// The label prefix in traces: `outgoing` in `outgoing#1`.
    pub(crate) label: &'static str,
    /// The wait operation of its pollable.
    pub(crate) wait: Op,
    /// What its permits count.
    pub(crate) unit: Unit,
    /// A socket (a descriptor on the host), not one of its streams: counted against
    /// `--max-sockets`.
    pub(crate) socket: bool,
}

/// Readiness shorthands for the rows.
pub(crate) const NOT_READY: Readiness = Readiness::NotReady(1);
pub(crate) const REAL: Readiness = Readiness::Real;
pub(crate) const NEVER: Readiness = Readiness::Never;
/// wasmtime-wasi's ENOBUFS.
pub(crate) const OOM: Action = Action::Error(ErrorCode::OutOfMemory);
/// A connect, accept or name lookup still pending.
pub(crate) const PENDING: Action = Action::Error(ErrorCode::WouldBlock);

/// A fault that happens once at the site.
pub(crate) const fn once(action: Action, ready: Readiness) -> Fault {
    Fault {
        action,
        ready,
        sticky: false,
        permanent: false,
    }
}

/// A row of [`Tried`].
pub(crate) const fn tried(
    fault: Fault,
    tier: Tier,
    trigger: &'static str,
    reference: &'static str,
) -> Tried {
    Tried {
        fault,
        tier,
        trigger,
        reference,
    }
}

/// A not-ready answer whose wake-up never comes, with no error before it: no real host is
/// known to do it (the WIT promises the pollable resolves), so it tests robustness
/// against a host bug.
pub(crate) const fn missed_wakeup(not_ready: Action) -> Tried {
    tried(
        once(not_ready, NEVER),
        Tier::HostBug,
        "a host that never signals readiness again after a not-ready answer",
        "WIT: \"the `subscribe` pollable will become ready when this function will report \
         at least ok(1)\"",
    )
}

/// What explore tries at a wait on any socket pollable: a late wake-up, a spurious one,
/// and one that never comes.
pub(crate) const WAIT: &[Tried] = &[
    tried(
        once(Action::Pass, Readiness::NotReady(3)),
        Tier::Real,
        "readiness that arrives late: the host's background I/O has not finished yet",
        "wasmtime#12612",
    ),
    tried(
        once(Action::Pass, Readiness::Spurious),
        Tier::Real,
        "a spurious wake-up: ready, but the next call still has nothing (a datagram \
         dropped on a bad checksum after the wake-up)",
        "select(2), BUGS: \"spurious readiness notifications\"",
    ),
    tried(
        once(Action::Pass, NEVER),
        Tier::HostBug,
        "a pollable that never fires though the resource is ready",
        "WIT: \"the pollable will resolve once ... bytes available or closed\"",
    ),
];

/// A row with no faults for explore, whose not-ready answer (if any) and flags are given.
pub(crate) const fn call(op: Op, name: &'static str, kind: Kind) -> OpRow {
    OpRow {
        op,
        name,
        kind,
        wait: false,
        not_ready: None,
        stream: false,
        cut: None,
        explore: &[],
    }
}

/// A wait row: its rules set only readiness; explore tries [`WAIT`].
pub(crate) const fn wait(op: Op, name: &'static str, kind: Kind) -> OpRow {
    OpRow {
        wait: true,
        explore: WAIT,
        ..call(op, name, kind)
    }
}
