//! `wasi:http/types`, decorated where readiness lives: a `future-incoming-response` (its
//! `get` and its pollable) and the streams of incoming and outgoing bodies, which are
//! ordinary `wasi:io` streams: `incoming-body.stream` and `outgoing-body.write` register
//! them here, and the stream decorator (`streams.rs`) governs their reads, permits and
//! writes as it does a TCP connection's. Everything else of the interface is
//! `http_fields.rs`'s.

use super::HttpView;
use super::decorate::{Answer, Decorate};
use super::table::{
    KindRow, NEVER, NOT_READY, OpRow, REAL, call, eager, missed_wakeup, once, read_wait, real, wait,
};
use crate::explore::{Tier, Tried};
use crate::plan::{Action, NotReady, Op, Readiness, error_code_name};
use crate::resources::{Kind, Unit};
use crate::state::Run;
use crate::trace::{Event, Text};
use crate::verdict::Stop;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode as SocketCode;
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable};
use wasmtime_wasi_http::WasiHttpCtxView;
use wasmtime_wasi_http::p2::HttpError;
use wasmtime_wasi_http::p2::HttpResult;
use wasmtime_wasi_http::p2::bindings::http::types::{self, ErrorCode, Trailers};
use wasmtime_wasi_http::p2::body::{HostFutureTrailers, HostIncomingBody, HostOutgoingBody};
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostIncomingResponse};

/// The resources of `wasi:http/types` the plan governs.
pub(super) const KINDS: &[KindRow] = &[
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
pub(super) const OPS: &[OpRow] = &[
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
        cut: Some(super::table::Cut::Slice),
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
        cut: Some(super::table::Cut::ShortPermit),
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
/// WIT: `check-write` on a body's output stream.
const CHECK_WRITE: &str = "check-write: \"When this function returns 0 bytes, the `subscribe` \
                           pollable will become ready when this function will report at least \
                           1 byte, or an error.\"";
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

const TYPES: &str = "wasi:http/types";

impl Answer for HttpError {
    fn code(code: SocketCode) -> Self {
        // The error a real request fails with for the socket condition the plan names.
        let code = match code {
            SocketCode::ConnectionRefused => ErrorCode::ConnectionRefused,
            SocketCode::ConnectionReset | SocketCode::ConnectionAborted => {
                ErrorCode::ConnectionTerminated
            }
            SocketCode::Timeout => ErrorCode::ConnectionTimeout,
            SocketCode::AccessDenied => ErrorCode::DestinationIpProhibited,
            SocketCode::RemoteUnreachable => ErrorCode::DestinationUnavailable,
            SocketCode::NameUnresolvable => ErrorCode::DestinationNotFound,
            other => ErrorCode::InternalError(Some(error_code_name(other).to_string())),
        };
        code.into()
    }

    fn describe(&self) -> Text {
        match self.downcast_ref() {
            Some(code) => format!("error({})", http_code_name(code)).into(),
            None => format!("trap: {self:?}").into(),
        }
    }

    fn is_trap(&self) -> bool {
        self.downcast_ref().is_none()
    }

    fn trap(stop: Stop) -> Self {
        HttpError::trap(stop)
    }
}

/// The WIT's name of an HTTP error code (`connection-refused`), its payload left out.
pub(super) fn http_code_name(code: &ErrorCode) -> String {
    let debug = format!("{code:?}");
    let name = debug.split(['(', ' ', '{']).next().unwrap_or_default();
    let mut kebab = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(c.to_ascii_lowercase());
    }
    kebab
}

impl types::HostFutureIncomingResponse for HttpView<'_> {
    fn drop(&mut self, id: Resource<HostFutureIncomingResponse>) -> wasmtime::Result<()> {
        self.run.forget(id.rep());
        types::HostFutureIncomingResponse::drop(&mut self.inner, id)
    }

    fn get(
        &mut self,
        id: Resource<HostFutureIncomingResponse>,
    ) -> wasmtime::Result<Option<Result<Result<Resource<HostIncomingResponse>, ErrorCode>, ()>>>
    {
        // WIT: "Returns `none` if the response is not yet available".
        let rep = id.rep();
        let answer = self.future_get(rep, Op::HttpResponseGet, "incoming-response", |inner| {
            types::HostFutureIncomingResponse::get(inner, id)
        });
        if let Ok(Some(Ok(Err(_)))) = &answer {
            self.run.world.http_bodies.response_failed(rep);
        }
        answer
    }

    fn subscribe(
        &mut self,
        id: Resource<HostFutureIncomingResponse>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let target = id.rep();
        let pollable = types::HostFutureIncomingResponse::subscribe(&mut self.inner, id)?;
        self.run.faults.registry.subscribe(pollable.rep(), target);
        Ok(pollable)
    }
}

impl types::HostFutureTrailers for HttpView<'_> {
    fn drop(&mut self, id: Resource<HostFutureTrailers>) -> wasmtime::Result<()> {
        self.run.forget(id.rep());
        types::HostFutureTrailers::drop(&mut self.inner, id)
    }

    fn subscribe(
        &mut self,
        id: Resource<HostFutureTrailers>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let target = id.rep();
        let pollable = types::HostFutureTrailers::subscribe(&mut self.inner, id)?;
        self.run.faults.registry.subscribe(pollable.rep(), target);
        Ok(pollable)
    }

    fn get(
        &mut self,
        id: Resource<HostFutureTrailers>,
    ) -> wasmtime::Result<Option<Result<Result<Option<Resource<Trailers>>, ErrorCode>, ()>>> {
        // WIT: "Returns `none` if the trailers are not yet available" (future-trailers.get).
        self.future_get(id.rep(), Op::HttpTrailersGet, "trailers", |inner| {
            types::HostFutureTrailers::get(inner, id)
        })
    }
}

impl types::HostIncomingBody for HttpView<'_> {
    fn stream(
        &mut self,
        id: Resource<HostIncomingBody>,
    ) -> wasmtime::Result<Result<Resource<DynInputStream>, ()>> {
        let result = types::HostIncomingBody::stream(&mut self.inner, id)?;
        if let Ok(stream) = &result {
            self.register("stream", stream.rep(), Kind::HttpBodyInput);
        }
        Ok(result)
    }

    fn finish(
        &mut self,
        id: Resource<HostIncomingBody>,
    ) -> wasmtime::Result<Resource<types::FutureTrailers>> {
        let trailers = types::HostIncomingBody::finish(&mut self.inner, id)?;
        self.register("finish", trailers.rep(), Kind::HttpTrailers);
        Ok(trailers)
    }

    fn drop(&mut self, id: Resource<HostIncomingBody>) -> wasmtime::Result<()> {
        types::HostIncomingBody::drop(&mut self.inner, id)
    }
}

impl types::HostOutgoingBody for HttpView<'_> {
    fn write(
        &mut self,
        id: Resource<HostOutgoingBody>,
    ) -> wasmtime::Result<Result<Resource<DynOutputStream>, ()>> {
        let body = id.rep();
        let result = types::HostOutgoingBody::write(&mut self.inner, id)?;
        if let Ok(stream) = &result {
            self.run.world.http_bodies.stream(body, stream.rep());
            self.register("write", stream.rep(), Kind::HttpBodyOutput);
        }
        Ok(result)
    }

    fn finish(
        &mut self,
        id: Resource<HostOutgoingBody>,
        trailers: Option<Resource<Trailers>>,
    ) -> HttpResult<()> {
        let body = id.rep();
        let result = types::HostOutgoingBody::finish(&mut self.inner, id, trailers);
        if result.is_err() {
            self.run.world.http_bodies.refused(body);
        }
        result
    }

    fn drop(&mut self, id: Resource<HostOutgoingBody>) -> wasmtime::Result<()> {
        types::HostOutgoingBody::drop(&mut self.inner, id)
    }
}

impl Decorate for HttpView<'_> {
    fn run(&mut self) -> &mut Run {
        self.run
    }
}

impl HttpView<'_> {
    /// A trace event for `function` on resource `rep`, counted as `op`.
    fn event(&self, function: &'static str, op: Op, rep: u32) -> Event {
        let registry = &self.run.faults.registry;
        Event::new(TYPES, function, registry.label(rep)).on(Some(op), registry.id(rep))
    }

    /// A body's stream or trailers, handed out (`incoming-body.stream`, `.finish`,
    /// `outgoing-body.write`): the plan governs them from now on.
    fn register(&mut self, function: &'static str, rep: u32, kind: Kind) {
        let label = self.run.faults.registry.register(rep, kind, None);
        let body = match kind {
            Kind::HttpBodyOutput => "outgoing-body",
            _ => "incoming-body",
        };
        let mut event = Event::new(TYPES, function, body.into());
        event.result = label;
        self.run.record(event);
    }

    /// `get` of a future (a response, trailers) on `rep`: `none` while the plan holds its
    /// pollable not ready or injects the not-ready answer, else the real `get`.
    fn future_get<T>(
        &mut self,
        rep: u32,
        op: Op,
        what: &'static str,
        real: impl FnOnce(&mut WasiHttpCtxView<'_>) -> FutureAnswer<T>,
    ) -> FutureAnswer<T> {
        let mut event = self.event("get", op, rep);
        let injected = if self.run.faults.closed(rep) {
            event.fault = Some(format!("{what}: its pollable is not ready yet"));
            Some(Ok(()))
        } else {
            self.injected::<(), HttpError>(op, Some(rep), || (), &mut event)
        };
        let result = match injected {
            Some(Ok(())) => Ok(None),
            Some(Err(err)) => match err.downcast() {
                Ok(code) => Ok(Some(Ok(Err(code)))),
                Err(trap) => Err(trap),
            },
            None => real(&mut self.inner),
        };
        event.result = match &result {
            Ok(None) => "none".into(),
            Ok(Some(Ok(Ok(_)))) => format!("ok({what})").into(),
            Ok(Some(Ok(Err(code)))) => format!("error({})", http_code_name(code)).into(),
            Ok(Some(Err(()))) => "err(consumed)".into(),
            Err(trap) => format!("trap: {trap}").into(),
        };
        self.run.record(event);
        if matches!(result, Ok(Some(_))) {
            self.run.faults.progress(rep);
        } else {
            self.run.no_progress()?;
        }
        result
    }
}

/// What a future's `get` answers: not yet, taken already, or its value or error.
type FutureAnswer<T> = wasmtime::Result<Option<Result<Result<T, ErrorCode>, ()>>>;
