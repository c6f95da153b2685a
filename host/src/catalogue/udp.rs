//! `wasi:sockets/udp`'s table: the operations plans name, the resources it hands out and
//! what explore tries at each call, with the real condition, the reference and the WIT
//! clause. Its decorator is `wasi/udp/mod.rs`.

use super::rows::*;
use super::{Action, NotReady, Op, Readiness};
use crate::resources::{Kind, Unit};
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// The resources `wasi:sockets/udp` hands out.
pub(crate) const KINDS: &[KindRow] = &[
    KindRow {
        kind: Kind::UdpSocket,
        label: "udp-socket",
        wait: Op::UdpSocketPollable,
        unit: Unit::Datagrams,
        socket: true,
    },
    KindRow {
        kind: Kind::UdpIncoming,
        label: "incoming",
        wait: Op::UdpIncomingPollable,
        unit: Unit::Datagrams,
        socket: false,
    },
    KindRow {
        kind: Kind::UdpOutgoing,
        label: "outgoing",
        wait: Op::UdpOutgoingPollable,
        unit: Unit::Datagrams,
        socket: false,
    },
];

/// `wasi:sockets/udp`'s operations, as plans name them, and what explore tries at each.
pub(crate) const OPS: &[OpRow] = &[
    call(Op::UdpBind, "udp.bind", Kind::UdpSocket),
    call(Op::UdpStream, "udp.stream", Kind::UdpSocket),
    OpRow {
        not_ready: Some(NotReady::Empty),
        cut: Some(Cut::ShortPermit),
        explore: &[
            // WIT: "the `subscribe` pollable will become ready when this function will
            // report at least ok(1)": a 0 right after the wake-up is the host's bug.
            eager(real(
                once(Action::OkZero, NOT_READY),
                "a fresh socket not writable yet, or a full send buffer",
                "wasmtime#12612",
                CHECK_SEND,
                "waits on the outgoing stream's pollable, then checks again",
            )),
            real(
                once(Action::ShortPermit(1), REAL),
                "room for fewer datagrams than the guest has",
                "WIT: check-send returns the number of datagrams permitted",
                CHECK_SEND,
                "sends at most the permitted number, then checks again for the rest",
            ),
            missed_wakeup(Action::OkZero),
        ],
        ..call(Op::UdpCheckSend, "udp.check-send", Kind::UdpOutgoing)
    },
    OpRow {
        not_ready: Some(NotReady::Empty),
        explore: &[
            real(
                once(Action::OkZero, NOT_READY),
                "a fresh socket not writable on its first send",
                "wasmtime#12612",
                SEND,
                "waits on the outgoing stream's pollable and sends the same datagrams again",
            ),
            real(
                once(OOM, REAL),
                "ENOBUFS from sendmsg under load (wasmtime-wasi reports out-of-memory)",
                "firezone#9798",
                SEND_ERROR,
                "keeps the socket and sends again after a back-off on a clock",
            ),
            real(
                twice(once(OOM, REAL)),
                "ENOBUFS twice in a row",
                "firezone#9798",
                SEND_ERROR,
                "keeps the socket and sends again after a back-off on a clock",
            ),
            real(
                once(OOM, NEVER),
                "no wake-up after ENOBUFS: kqueue never signals writable again",
                "firezone#10965",
                SEND_ERROR,
                "backs off on a clock, not on the pollable alone, after out-of-memory",
            ),
            real(
                until_backoff(once(OOM, Readiness::Spurious), 3),
                "the socket stays writable while ENOBUFS continues",
                "libuv#5194",
                SEND_ERROR,
                "does not trust readiness after out-of-memory: backs off on a clock",
            ),
            missed_wakeup(Action::OkZero),
            real(
                permanent(once(OOM, REAL)),
                "ENOBUFS that never ends (a robustness note: no program sends then)",
                "libuv#5194",
                SEND_ERROR,
                "reports the error and ends cleanly",
            ),
        ],
        ..call(Op::UdpSend, "udp.send", Kind::UdpOutgoing)
    },
    OpRow {
        not_ready: Some(NotReady::Empty),
        explore: &[
            real(
                once(Action::OkZero, NOT_READY),
                "nothing has arrived yet",
                "WIT: receive",
                RECEIVE,
                "takes the empty list for \"not yet\" and waits on the incoming pollable",
            ),
            real(
                connected(once(REFUSED, REAL)),
                "an ICMP port-unreachable on a connected socket, reported once",
                "bun#29473",
                RECEIVE_ERROR,
                "reports it, keeps the socket and receives (or resends) again",
            ),
            real(
                twice(connected(once(REFUSED, REAL))),
                "the ICMP error reported twice, as Linux can through sk_err",
                "bun#35923",
                RECEIVE_ERROR,
                "reports it, keeps the socket and receives (or resends) again",
            ),
            real(
                connected(once(REFUSED, Readiness::Spurious)),
                "readiness stuck while an error sits in the error queue (EPOLLERR asserted)",
                "bun#29473",
                RECEIVE_ERROR,
                "after a wake-up that proves spurious, backs off on a clock",
            ),
            missed_wakeup(Action::OkZero),
        ],
        ..call(Op::UdpReceive, "udp.receive", Kind::UdpIncoming)
    },
    wait(
        Op::UdpSocketPollable,
        "udp.socket-pollable",
        Kind::UdpSocket,
    ),
    read_wait(
        Op::UdpIncomingPollable,
        "udp.incoming-pollable",
        Kind::UdpIncoming,
    ),
    wait(
        Op::UdpOutgoingPollable,
        "udp.outgoing-pollable",
        Kind::UdpOutgoing,
    ),
];

/// WIT: `check-send`.
const CHECK_SEND: &str = "check-send: \"When this function returns ok(0), the `subscribe` \
                          pollable will become ready when this function will report at least \
                          ok(1), or an error.\"";

/// WIT: `send`'s not-ready answer.
const SEND: &str = "send: \"If none of the datagrams were able to be sent, `ok(0)` is returned.\"";

/// WIT: `send`'s errors.
const SEND_ERROR: &str = "send: errors are returned per call; the stream stays usable";

/// WIT: `receive`'s not-ready answer.
const RECEIVE: &str = "receive: \"returns successfully with an empty list when ... no results \
                       are immediately available\"";

/// WIT: `receive`'s errors.
const RECEIVE_ERROR: &str = "receive: `connection-refused` on a connected socket after an \
                             ICMP error; the stream stays usable";

/// An ICMP port-unreachable, as `receive` reports it.
const REFUSED: Action = Action::Error(ErrorCode::ConnectionRefused);
