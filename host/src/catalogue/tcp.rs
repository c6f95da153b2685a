//! `wasi:sockets/tcp`'s table: the operations plans name, the resources it hands out and
//! what explore tries at each call, with the real condition, the reference and the WIT
//! clause. Its decorator is `wasi/tcp.rs`.

use super::rows::*;
use super::{NotReady, Op};
use crate::resources::{Kind, Unit};

/// The resource `wasi:sockets/tcp` hands out (its streams are `streams.rs`'s).
pub(crate) const KINDS: &[KindRow] = &[KindRow {
    kind: Kind::TcpSocket,
    label: "tcp-socket",
    wait: Op::TcpSocketPollable,
    unit: Unit::Datagrams,
    socket: true,
}];

/// `wasi:sockets/tcp`'s operations, as plans name them, and what explore tries at each.
pub(crate) const OPS: &[OpRow] = &[
    call(Op::TcpBind, "tcp.bind", Kind::TcpSocket),
    OpRow {
        // WIT: "`would-block`: Connection is still pending"
        not_ready: Some(NotReady::WouldBlock),
        explore: &[
            // Right after the socket's pollable fired the connect has finished
            // (wasmtime-wasi resolves it then; connect(2): writability means done).
            eager(real(
                once(PENDING, NOT_READY),
                "a non-blocking connect still in progress (EINPROGRESS)",
                "WIT: finish-connect",
                "finish-connect: \"`would-block`: Connection is still pending\"",
                "waits on the socket's pollable, then calls finish-connect again",
            )),
            missed_wakeup(PENDING),
        ],
        ..call(Op::TcpConnect, "tcp.connect", Kind::TcpSocket)
    },
    call(Op::TcpListen, "tcp.listen", Kind::TcpSocket),
    OpRow {
        // WIT: "`would-block`: No pending connections at the moment."
        not_ready: Some(NotReady::WouldBlock),
        explore: &[
            real(
                once(PENDING, NOT_READY),
                "no connection in the backlog yet (EAGAIN from accept), or, after a wake-up, \
                 one removed by a network error before accept",
                "WIT: accept; accept(2), NOTES: no connection may be waiting after poll",
                "accept: \"`would-block`: No pending connections at the moment.\"",
                "waits on the listener's pollable, then accepts again",
            ),
            missed_wakeup(PENDING),
        ],
        ..call(Op::TcpAccept, "tcp.accept", Kind::TcpSocket)
    },
    call(Op::TcpShutdown, "tcp.shutdown", Kind::TcpSocket),
    wait(
        Op::TcpSocketPollable,
        "tcp.socket-pollable",
        Kind::TcpSocket,
    ),
];
