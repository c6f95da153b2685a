//! The shape of the per-interface operation tables. Each interface's table file
//! (`udp.rs`, `tcp.rs`, `streams.rs`, ...) declares one [`OpRow`] per operation of the plan
//! language and one [`KindRow`] per resource kind it hands out; `lookup.rs` gathers them for
//! the plan's parser, the registry, the decorators and explore. Adding an interface is its
//! table here, its decorator in `wasi/` and a row in docs/fault-catalogue.md.

use super::answer::{Action, Readiness};
use super::fault::{Fault, Tier, Tried};
use super::op::{NotReady, Op};
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

/// WIT: `check-write`, on every output stream the plan governs (a TCP connection's, a
/// body's).
pub(crate) const CHECK_WRITE: &str = "check-write: \"When this function returns 0 bytes, the \
                                      `subscribe` pollable will become ready when this \
                                      function will report at least 1 byte, or an error.\"";

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
        until_waits: None,
        connected: false,
        eager: false,
    }
}

/// The same fault only on a connected socket's streams.
pub(crate) const fn connected(fault: Fault) -> Fault {
    Fault {
        connected: true,
        ..fault
    }
}

/// The same fault reported twice (`sticky`).
pub(crate) const fn twice(fault: Fault) -> Fault {
    Fault {
        sticky: true,
        ..fault
    }
}

/// The same fault on every call from the site on until the guest has backed off `waits`
/// times on a timer.
pub(crate) const fn until_backoff(fault: Fault, waits: u64) -> Fault {
    Fault {
        until_waits: Some(waits),
        ..fault
    }
}

/// The same fault on every call from the site on.
pub(crate) const fn permanent(fault: Fault) -> Fault {
    Fault {
        permanent: true,
        ..fault
    }
}

/// A fault a real host gives: its trigger, where it was seen, the WIT clause that allows
/// it, and what a correct program does.
pub(crate) const fn real(
    fault: Fault,
    trigger: &'static str,
    reference: &'static str,
    wit: &'static str,
    correct: &'static str,
) -> Tried {
    Tried {
        fault,
        tier: Tier::Real,
        trigger,
        reference,
        wit,
        correct,
        eager_only: false,
    }
}

/// `tried`, real only for a call made before the resource's pollable woke the guest.
pub(crate) const fn eager(tried: Tried) -> Tried {
    Tried {
        eager_only: true,
        fault: Fault {
            eager: true,
            ..tried.fault
        },
        ..tried
    }
}

/// A not-ready answer whose wake-up never comes, with no error before it: no real host is
/// known to do it (the WIT promises the pollable resolves), so it tests robustness
/// against a host bug.
pub(crate) const fn missed_wakeup(not_ready: Action) -> Tried {
    Tried {
        fault: once(not_ready, NEVER),
        tier: Tier::HostBug,
        trigger: "a host that never signals readiness again after a not-ready answer, with \
                  no error before it",
        reference: "none known: the WIT promises the wake-up",
        wit: "\"the `subscribe` pollable will become ready when this function will report at \
              least ok(1), or an error\"",
        correct: "a program may trust the pollable: this only shows whether it would survive \
                  a host that breaks the promise (a clock beside the pollable)",
        eager_only: false,
    }
}

/// `subscribe`'s promise for every socket pollable.
const POLLABLE: &str = "wasi:io/poll: the pollable resolves when the resource is ready";

/// A late wake-up: real at every wait.
const LATE: Tried = real(
    once(Action::Pass, Readiness::NotReady(3)),
    "readiness that arrives late: the host's background I/O has not finished yet",
    "wasmtime#12612 (the host's background send still pending)",
    POLLABLE,
    "keeps waiting: a pollable that is not ready yet is not an error",
);

/// What only a buggy host does at any wait: readiness stuck on, a wake-up that never comes.
const STUCK: Tried = Tried {
    fault: once(Action::Pass, Readiness::Spurious),
    tier: Tier::HostBug,
    trigger: "readiness stuck on with no error pending and nothing to read",
    reference: "none known without a pending error (with one: bun#29473)",
    wit: POLLABLE,
    correct: "a program may trust a ready pollable; backing off on a clock after empty \
              answers survives a host that breaks that",
    eager_only: false,
};
const NEVER_FIRES: Tried = Tried {
    fault: once(Action::Pass, NEVER),
    tier: Tier::HostBug,
    trigger: "a pollable that never fires though the resource is ready",
    reference: "none known: the WIT promises the wake-up",
    wit: POLLABLE,
    correct: "a program may trust the pollable; a clock beside it survives a host that \
              breaks that",
    eager_only: false,
};

/// What explore tries at a wait for reading (a datagram stream, a TCP input stream): a
/// late wake-up and one spurious wake-up (real: select(2) documents read readiness that a
/// read then does not find), and the host-bug tier's stuck and missing wake-ups.
pub(crate) const READ_WAIT: &[Tried] = &[
    LATE,
    real(
        once(Action::Pass, Readiness::SpuriousOnce),
        "one spurious wake-up: ready, but the next call still has nothing (Linux: a \
         datagram dropped on a bad checksum after the wake-up)",
        "select(2), BUGS: spurious readiness notifications",
        POLLABLE,
        "calls again, takes the empty answer for \"not yet\" and waits again",
    ),
    STUCK,
    NEVER_FIRES,
];

/// What explore tries at any other wait (writing, connecting, accepting, a name lookup): a
/// late wake-up (real); a spurious wake-up there is the host-bug tier's, as no host or OS
/// is known to give one (wasmtime-wasi resolves a connecting socket's pollable only when
/// the connect has finished, and select(2) documents spurious readiness for reading only).
pub(crate) const WAIT: &[Tried] = &[
    LATE,
    Tried {
        fault: once(Action::Pass, Readiness::SpuriousOnce),
        tier: Tier::HostBug,
        trigger: "one spurious wake-up where the resource is not ready yet",
        reference: "none known for write readiness, a connect or a lookup (select(2) \
                    documents it for reading only)",
        wit: POLLABLE,
        correct: "a program may trust the pollable; calling again after a would-block \
                  survives a host that breaks that",
        eager_only: false,
    },
    STUCK,
    NEVER_FIRES,
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

/// A wait for reading: explore tries [`READ_WAIT`].
pub(crate) const fn read_wait(op: Op, name: &'static str, kind: Kind) -> OpRow {
    OpRow {
        explore: READ_WAIT,
        ..wait(op, name, kind)
    }
}
