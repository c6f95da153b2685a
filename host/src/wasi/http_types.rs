//! `wasi:http/types`, decorated where readiness lives: a `future-incoming-response` (its
//! `get` and its pollable) and the streams of incoming and outgoing bodies, which are
//! ordinary `wasi:io` streams: `incoming-body.stream` and `outgoing-body.write` register
//! them here, and the stream decorator (`streams.rs`) governs their reads, permits and
//! writes as it does a TCP connection's. Everything else of the interface is
//! `http_fields.rs`'s.

use super::HttpView;
use super::decorate::{Answer, Decorate};
use crate::plan::{Op, error_code_name};
use crate::resources::Kind;
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
            self.run.bodies().response_failed(rep);
        }
        answer
    }

    fn subscribe(
        &mut self,
        id: Resource<HostFutureIncomingResponse>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let target = id.rep();
        (self.run).subscribed(
            target,
            types::HostFutureIncomingResponse::subscribe(&mut self.inner, id),
        )
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
        (self.run).subscribed(
            target,
            types::HostFutureTrailers::subscribe(&mut self.inner, id),
        )
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
            self.run.bodies().stream(body, stream.rep());
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
            self.run.bodies().refused(body);
        }
        result
    }

    fn drop(&mut self, id: Resource<HostOutgoingBody>) -> wasmtime::Result<()> {
        types::HostOutgoingBody::drop(&mut self.inner, id)
    }
}

impl HttpView<'_> {
    /// A trace event for `function` on resource `rep`, counted as `op`.
    fn event(&self, function: &'static str, op: Op, rep: u32) -> Event {
        self.run.event(TYPES, function, Some(op), rep)
    }

    /// A body's stream or trailers, handed out (`incoming-body.stream`, `.finish`,
    /// `outgoing-body.write`): the plan governs them from now on.
    fn register(&mut self, function: &'static str, rep: u32, kind: Kind) {
        let label = self.run.register(rep, kind, None);
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
        let injected = if self.run.held(rep) {
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
        let moved = u64::from(matches!(result, Ok(Some(_))));
        self.run.account(op, rep, moved, false)?;
        result
    }
}

/// What a future's `get` answers: not yet, taken already, or its value or error.
type FutureAnswer<T> = wasmtime::Result<Option<Result<Result<T, ErrorCode>, ()>>>;
