//! `wasi:http/types`'s table: the operations plans name, the resources it hands out and
//! what explore tries at each call, with the real condition, the reference and the WIT
//! clause. Its decorator is `wasi/http_types.rs`.

use super::rows::*;
use super::{Action, NotReady, Op, Readiness, Tier, Tried};
use crate::resources::{Kind, Unit};

/// The resources of `wasi:http/types` the plan governs.
pub(crate) const KINDS: &[KindRow] = &[
    KindRow {
        kind: Kind::HttpResponse,
        label: "response",
        wait: Op::HttpResponsePollable,
        unit: Unit::Datagrams,
        socket: false,
    },
    KindRow {
        kind: Kind::HttpBodyInput,
        label: "incoming-body",
        wait: Op::HttpBodyInputPollable,
        unit: Unit::Datagrams,
        socket: false,
    },
    KindRow {
        kind: Kind::HttpBodyOutput,
        label: "outgoing-body",
        wait: Op::HttpBodyOutputPollable,
        unit: Unit::Bytes,
        socket: false,
    },
    KindRow {
        kind: Kind::HttpTrailers,
        label: "trailers",
        wait: Op::HttpTrailersPollable,
        unit: Unit::Datagrams,
        socket: false,
    },
];

/// `wasi:http/types`' operations, as plans name them, and what explore tries at each.
pub(crate) const OPS: &[OpRow] = &[
    OpRow {
        // WIT: "Returns `none` if the response is not yet available": the not-ready answer.
        // Explore leaves it alone: a guest that waited on the pollable is promised `some`.
        not_ready: Some(NotReady::Empty),
        ..call(Op::HttpResponseGet, "http.response-get", Kind::HttpResponse)
    },
    OpRow {
        wait: true,
        explore: RESPONSE_WAIT,
        ..call(
            Op::HttpResponsePollable,
            "http.response-pollable",
            Kind::HttpResponse,
        )
    },
    OpRow {
        // WIT: "When no bytes are available for reading, this function returns an empty
        // list": on a body too, never its end (wasmtime#9667).
        not_ready: Some(NotReady::Empty),
        stream: true,
        cut: Some(Cut::Slice),
        explore: &[
            real(
                once(Action::OkZero, NOT_READY),
                "the next body frame has not arrived yet: the server is still sending",
                "wasmtime#9667 (wstd#25: wstd took the empty read for the end of the body)",
                READ,
                "takes the empty read for \"not yet\" and waits on the body stream's pollable",
            ),
            real(
                once(Action::Slice(1), NOT_READY),
                "a body arriving in frames: a read returns what has arrived so far, and the \
                 rest is not there until the guest waits",
                "wasmtime#9667",
                READ,
                "keeps reading after waiting on the pollable; only `closed` is the end",
            ),
            missed_wakeup(Action::OkZero),
            real(
                once(Action::Reset, REAL),
                "the server reset the connection mid-body (a robustness note)",
                "carina#3107 (a body read that loops forever)",
                "read: `last-operation-failed` ends the stream",
                "reports the error once and stops reading the body",
            ),
        ],
        ..call(Op::HttpBodyRead, "http.body-read", Kind::HttpBodyInput)
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
                "the body's buffer is full: the connection has not sent the last chunk yet",
                "StarlingMonkey#171 (body back-pressure), waki#36 (large bodies hang on send)",
                CHECK_WRITE,
                "waits on the body stream's pollable, then checks again",
            )),
            real(
                once(Action::ShortPermit(1), REAL),
                "a body buffer with little room left",
                "StarlingMonkey#171",
                CHECK_WRITE,
                "writes at most the permit, then checks again for the rest",
            ),
            missed_wakeup(Action::OkZero),
        ],
        ..call(
            Op::HttpBodyCheckWrite,
            "http.body-check-write",
            Kind::HttpBodyOutput,
        )
    },
    OpRow {
        stream: true,
        ..call(Op::HttpBodyWrite, "http.body-write", Kind::HttpBodyOutput)
    },
    OpRow {
        stream: true,
        ..call(Op::HttpBodyFlush, "http.body-flush", Kind::HttpBodyOutput)
    },
    read_wait(
        Op::HttpBodyInputPollable,
        "http.body-input-pollable",
        Kind::HttpBodyInput,
    ),
    wait(
        Op::HttpBodyOutputPollable,
        "http.body-output-pollable",
        Kind::HttpBodyOutput,
    ),
    OpRow {
        // WIT: "Returns `none` if the trailers are not yet available": wasmtime answers so
        // until the trailers' pollable has been waited on, even after the body's end.
        not_ready: Some(NotReady::Empty),
        // After its pollable resolved, wasmtime has the trailers: `none` then is no host's.
        explore: &[eager(real(
            once(Action::OkZero, NOT_READY),
            "the end of the body, and its trailers, not read from the connection yet",
            "wasmtime-wasi-http 48: future-trailers.get is none until its pollable resolves",
            "future-trailers.get: \"Returns `none` if the trailers are not yet available\"",
            "waits on the trailers' pollable, then calls get again",
        ))],
        ..call(Op::HttpTrailersGet, "http.trailers-get", Kind::HttpTrailers)
    },
    wait(
        Op::HttpTrailersPollable,
        "http.trailers-pollable",
        Kind::HttpTrailers,
    ),
];

/// WIT: `read` on a body's input stream.
const READ: &str = "read: \"When no bytes are available for reading, this function returns \
                    an empty list\"; only `closed` is the end of the body";

/// WIT: the response's pollable.
const RESPONSE: &str = "future-incoming-response.subscribe: \"Returns a pollable which becomes \
                        ready when either the Response has been received, or an error has \
                        occurred\"";

/// What explore tries at a wait on a response: a late response (real); a wake-up with no
/// response, or none at all, only as host bugs (the pollable is exact in every host known).
const RESPONSE_WAIT: &[Tried] = &[
    real(
        once(Action::Pass, Readiness::NotReady(3)),
        "a server slow to send the response head",
        "spin#765 (outbound requests hang)",
        RESPONSE,
        "keeps waiting on the pollable (with a timeout of its own, if it has one)",
    ),
    Tried {
        fault: once(Action::Pass, Readiness::SpuriousOnce),
        tier: Tier::HostBug,
        trigger: "a response pollable ready before the response is there",
        reference: "none known: wasmtime's pollable resolves with the response",
        wit: RESPONSE,
        correct: "a program may trust the pollable and call get once",
        eager_only: false,
    },
    Tried {
        fault: once(Action::Pass, NEVER),
        tier: Tier::HostBug,
        trigger: "a response pollable that never fires though the response came",
        reference: "none known: the WIT promises the wake-up",
        wit: RESPONSE,
        correct: "a program may trust the pollable; a timeout beside it survives a host that \
                  breaks that",
        eager_only: false,
    },
];
