//! `wasi:io/streams`'s table: the operations plans name, the resources it hands out and
//! what explore tries at each call, with the real condition, the reference and the WIT
//! clause. Its decorator is `wasi/streams.rs`.

use super::rows::*;
use super::{Action, NotReady, Op};
use crate::resources::{Kind, Unit};

/// The streams of a TCP connection (`finish-connect` and `accept` hand them out).
pub(crate) const KINDS: &[KindRow] = &[
    KindRow {
        kind: Kind::TcpInput,
        label: "input",
        wait: Op::TcpInputPollable,
        unit: Unit::Datagrams,
        socket: false,
    },
    KindRow {
        kind: Kind::TcpOutput,
        label: "output",
        wait: Op::TcpOutputPollable,
        unit: Unit::Bytes,
        socket: false,
    },
];

/// `wasi:io/streams`' operations on TCP connections, as plans name them, and what explore
/// tries at each.
pub(crate) const OPS: &[OpRow] = &[
    OpRow {
        // WIT: "When no bytes are available for reading, this function returns an empty
        // list": the not-ready answer, never the end of the stream.
        not_ready: Some(NotReady::Empty),
        stream: true,
        cut: Some(Cut::Slice),
        explore: &[
            real(
                once(Action::OkZero, NOT_READY),
                "nothing has arrived yet: the peer's next segment is still on its way",
                "echo-valgrind (the seed's server took an empty read for the end)",
                READ,
                "takes the empty read for \"not yet\" and waits on the input pollable",
            ),
            real(
                once(Action::Slice(1), NOT_READY),
                "data arriving in parts: a read returns what has arrived so far, and the \
                 rest is not there until the guest waits",
                "echo-valgrind",
                READ,
                "keeps reading after waiting on the input pollable; only `closed` is the end",
            ),
            missed_wakeup(Action::OkZero),
            real(
                once(Action::Reset, REAL),
                "the peer reset the connection (ECONNRESET; a robustness note)",
                "WIT: stream-error last-operation-failed",
                "read: `last-operation-failed` ends the stream",
                "reports the reset and ends the connection cleanly",
            ),
        ],
        ..call(Op::TcpRead, "tcp.read", Kind::TcpInput)
    },
    OpRow {
        // WIT: "When this function returns 0 bytes, the `subscribe` pollable will become
        // ready when this function will report at least 1 byte, or an error."
        not_ready: Some(NotReady::Empty),
        stream: true,
        cut: Some(Cut::ShortPermit),
        explore: &[
            // A 0 right after the wake-up breaks the clause above: the host's bug.
            eager(real(
                once(Action::OkZero, NOT_READY),
                "a full send buffer",
                "WIT: check-write",
                CHECK_WRITE,
                "waits on the output pollable, then checks again",
            )),
            real(
                once(Action::ShortPermit(1), REAL),
                "a send buffer with little room left",
                "WIT: check-write",
                CHECK_WRITE,
                "writes at most the permit, then checks again for the rest",
            ),
            missed_wakeup(Action::OkZero),
        ],
        ..call(Op::TcpCheckWrite, "tcp.check-write", Kind::TcpOutput)
    },
    OpRow {
        stream: true,
        ..call(Op::TcpWrite, "tcp.write", Kind::TcpOutput)
    },
    OpRow {
        stream: true,
        ..call(Op::TcpFlush, "tcp.flush", Kind::TcpOutput)
    },
    read_wait(Op::TcpInputPollable, "tcp.input-pollable", Kind::TcpInput),
    wait(
        Op::TcpOutputPollable,
        "tcp.output-pollable",
        Kind::TcpOutput,
    ),
];

/// WIT: `read`.
const READ: &str = "read: \"When no bytes are available for reading, this function returns \
                    an empty list\"; only `closed` is the end of the stream";
