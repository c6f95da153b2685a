//! `wasi:io/streams`, decorated for the streams of TCP connections (those that
//! `finish-connect` and `accept` handed out) and of HTTP bodies (`http_types.rs`): their
//! reads, permits, writes and flushes go through the plan and the trace. Every other stream (stdin, stdout, stderr, files)
//! goes straight to wasmtime-wasi, untraced; its pollable is classified as a stream, so
//! waking on it is never taken for the guest backing off. `skip`, `splice` and
//! `write-zeroes` pass through untraced on every stream.

use super::IoView;
use super::decorate::{Answer, Decided, Decorate};
use super::table::{
    Cut, KindRow, NOT_READY, OpRow, REAL, call, eager, missed_wakeup, once, read_wait, real, wait,
};
use crate::faults::Class;
use crate::plan::{Action, NotReady, Op};
use crate::resources::{Kind, Unit};
use crate::state::Run;
use crate::trace::{Event, Text};
use crate::verdict::during;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi_io::bindings::wasi::io::streams::{
    self, Host, HostInputStream, HostOutputStream, InputStream, OutputStream,
};
use wasmtime_wasi_io::streams::{StreamError, StreamResult};

/// The streams of a TCP connection (`finish-connect` and `accept` hand them out).
pub(super) const KINDS: &[KindRow] = &[
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
pub(super) const OPS: &[OpRow] = &[
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
/// WIT: `check-write`.
const CHECK_WRITE: &str = "check-write: \"When this function returns 0 bytes, the `subscribe` \
                           pollable will become ready when this function will report at least \
                           1 byte, or an error.\"";

const STREAMS: &str = "wasi:io/streams";

impl Host for IoView<'_> {
    fn convert_stream_error(&mut self, err: StreamError) -> wasmtime::Result<streams::StreamError> {
        self.table.convert_stream_error(err)
    }
}

impl HostInputStream for IoView<'_> {
    async fn drop(&mut self, stream: Resource<InputStream>) -> wasmtime::Result<()> {
        self.run.forget(stream.rep());
        HostInputStream::drop(self.table, stream).await
    }

    fn read(&mut self, stream: Resource<InputStream>, len: u64) -> StreamResult<Vec<u8>> {
        let rep = stream.rep();
        let Some((mut event, op)) = self.stream_event("read", Call::Read, rep) else {
            return self.table.read(stream, len);
        };
        event.args = Text::Num(len);
        self.run.settle_peers();
        // WIT: "When no bytes are available for reading, this function returns an empty
        // list": the not-ready answer, never the end of the stream.
        let result = match self.decided(op, Some(rep), Vec::new, &mut event) {
            Decided::Answer(answer) => answer,
            // The rest stays in the kernel for the next read: nothing is lost.
            Decided::Limit(n) => self.table.read(stream, len.min(n)),
            // `ipv6-first` is refused by the parser here.
            Decided::Reorder | Decided::Real => self.table.read(stream, len),
        };
        self.read_done(rep, op, event, &result)?;
        result
    }

    async fn blocking_read(
        &mut self,
        stream: Resource<InputStream>,
        len: u64,
    ) -> StreamResult<Vec<u8>> {
        let rep = stream.rep();
        let Some((mut event, op)) = self.stream_event("blocking-read", Call::Read, rep) else {
            return self.table.blocking_read(stream, len).await;
        };
        event.args = Text::Num(len);
        // WIT: "blocking-read ... blocks until at least one byte can be read": the empty
        // answer has no place here, so only errors and slices apply.
        let decided = self.decided(op, Some(rep), Vec::<u8>::new, &mut event);
        let result = match decided {
            Decided::Answer(Err(err)) => Err(err),
            Decided::Limit(n) => self.table.blocking_read(stream, len.min(n)).await,
            Decided::Answer(Ok(_)) | Decided::Reorder | Decided::Real => {
                self.table.blocking_read(stream, len).await
            }
        };
        self.read_done(rep, op, event, &result)?;
        result
    }

    fn skip(&mut self, stream: Resource<InputStream>, len: u64) -> StreamResult<u64> {
        self.table.skip(stream, len)
    }

    async fn blocking_skip(
        &mut self,
        stream: Resource<InputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        self.table.blocking_skip(stream, len).await
    }

    fn subscribe(
        &mut self,
        stream: Resource<InputStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let target = stream.rep();
        let pollable = HostInputStream::subscribe(self.table, stream)?;
        self.classify(pollable.rep(), target);
        Ok(pollable)
    }
}

impl HostOutputStream for IoView<'_> {
    async fn drop(&mut self, stream: Resource<OutputStream>) -> wasmtime::Result<()> {
        self.run.forget(stream.rep());
        HostOutputStream::drop(self.table, stream).await
    }

    fn check_write(&mut self, stream: Resource<OutputStream>) -> StreamResult<u64> {
        let rep = stream.rep();
        let Some((mut event, op)) = self.stream_event("check-write", Call::CheckWrite, rep) else {
            return self.table.check_write(stream);
        };
        // WIT: "When this function returns 0 bytes, the `subscribe` pollable will become
        // ready when this function will report at least 1 byte, or an error."
        let result = match self.decided(op, Some(rep), || 0, &mut event) {
            Decided::Answer(answer) => answer,
            Decided::Limit(n) => self.table.check_write(stream).map(|permit| permit.min(n)),
            Decided::Reorder | Decided::Real => self.table.check_write(stream),
        };
        self.run.faults.grant(rep, *result.as_ref().unwrap_or(&0));
        self.finish(event, &result, |permit| Text::Ok(*permit));
        if !matches!(result, Ok(1..)) {
            self.run
                .no_progress()
                .map_err(<StreamError as Answer>::trap)?;
        }
        result
    }

    fn write(&mut self, stream: Resource<OutputStream>, bytes: Vec<u8>) -> StreamResult<()> {
        let rep = stream.rep();
        let Some((mut event, op)) = self.stream_event("write", Call::Write, rep) else {
            return self.table.write(stream, bytes);
        };
        let len = bytes.len() as u64;
        event.args = Text::Bytes(len);
        // The permit is checked before anything is injected, as for UDP sends.
        // WIT: "precondition: check-write gave permit of Ok(n) and contents has a length
        // of less than or equal to n. Otherwise, this function will trap."
        if let Err(permit) = self.run.faults.spend(rep, len) {
            event.result = "trap".into();
            self.run.record(event);
            let on = self.run.faults.registry.label(rep);
            let stop = during::write_past_permit(&self.run.recorder, len, &on, permit);
            return Err(<StreamError as Answer>::trap(stop));
        }
        let result = match self.injected(op, Some(rep), || (), &mut event) {
            Some(answer) => answer,
            None => self.table.write(stream, bytes),
        };
        self.write_done(rep, op, event, len, &result)?;
        result
    }

    async fn blocking_write_and_flush(
        &mut self,
        stream: Resource<OutputStream>,
        bytes: Vec<u8>,
    ) -> StreamResult<()> {
        let rep = stream.rep();
        let function = "blocking-write-and-flush";
        let Some((mut event, op)) = self.stream_event(function, Call::Write, rep) else {
            return self.table.blocking_write_and_flush(stream, bytes).await;
        };
        let len = bytes.len() as u64;
        event.args = Text::Bytes(len);
        let result = match self.injected(op, Some(rep), || (), &mut event) {
            Some(answer) => answer,
            None => self.table.blocking_write_and_flush(stream, bytes).await,
        };
        self.write_done(rep, op, event, len, &result)?;
        result
    }

    fn flush(&mut self, stream: Resource<OutputStream>) -> StreamResult<()> {
        let rep = stream.rep();
        let Some((mut event, op)) = self.stream_event("flush", Call::Flush, rep) else {
            return self.table.flush(stream);
        };
        let result = match self.injected(op, Some(rep), || (), &mut event) {
            Some(answer) => answer,
            None => self.table.flush(stream),
        };
        self.finish(event, &result, |()| "ok".into());
        result
    }

    async fn blocking_flush(&mut self, stream: Resource<OutputStream>) -> StreamResult<()> {
        let rep = stream.rep();
        let Some((mut event, op)) = self.stream_event("blocking-flush", Call::Flush, rep) else {
            return self.table.blocking_flush(stream).await;
        };
        let result = match self.injected(op, Some(rep), || (), &mut event) {
            Some(answer) => answer,
            None => self.table.blocking_flush(stream).await,
        };
        self.finish(event, &result, |()| "ok".into());
        result
    }

    fn subscribe(
        &mut self,
        stream: Resource<OutputStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let target = stream.rep();
        let pollable = HostOutputStream::subscribe(self.table, stream)?;
        self.classify(pollable.rep(), target);
        Ok(pollable)
    }

    fn write_zeroes(&mut self, stream: Resource<OutputStream>, len: u64) -> StreamResult<()> {
        self.table.write_zeroes(stream, len)
    }

    async fn blocking_write_zeroes_and_flush(
        &mut self,
        stream: Resource<OutputStream>,
        len: u64,
    ) -> StreamResult<()> {
        self.table
            .blocking_write_zeroes_and_flush(stream, len)
            .await
    }

    fn splice(
        &mut self,
        dest: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        self.table.splice(dest, src, len)
    }

    async fn blocking_splice(
        &mut self,
        dest: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        self.table.blocking_splice(dest, src, len).await
    }
}

impl Decorate for IoView<'_> {
    fn run(&mut self) -> &mut Run {
        self.run
    }
}

impl IoView<'_> {
    /// A trace event for a call on a stream the plan governs (a TCP connection's, an HTTP
    /// body's), with the operation it counts as; `None` for any other stream.
    fn stream_event(&self, function: &'static str, call: Call, rep: u32) -> Option<(Event, Op)> {
        let res = self.run.faults.registry.get(rep)?;
        let op = stream_op(res.kind, call)?;
        let event = Event::new(STREAMS, function, res.label.clone()).on(Some(op), Some(res.id()));
        Some((event, op))
    }

    /// A new pollable on stream `target`: a TCP stream's readiness is the plan's to gate;
    /// any other stream's is a stream's.
    fn classify(&mut self, pollable: u32, target: u32) {
        let registry = &mut self.run.faults.registry;
        if registry.get(target).is_some() {
            registry.subscribe(pollable, target);
        } else {
            registry.classify(pollable, Class::Stream);
        }
    }

    fn read_done(
        &mut self,
        rep: u32,
        op: Op,
        event: Event,
        result: &StreamResult<Vec<u8>>,
    ) -> StreamResult<()> {
        let moved = result.as_ref().map_or(0, |bytes| bytes.len() as u64);
        // The TCP peers' settling counts TCP bytes only.
        if op == Op::TcpRead {
            self.run.recorder.stats.tcp_bytes_read += moved;
            self.run.world.tcp_read += moved;
        }
        self.finish(event, result, |bytes| Text::OkBytes(bytes.len() as u64));
        self.account(rep, moved > 0, result)
    }

    fn write_done(
        &mut self,
        rep: u32,
        op: Op,
        event: Event,
        len: u64,
        result: &StreamResult<()>,
    ) -> StreamResult<()> {
        let moved = if result.is_ok() { len } else { 0 };
        if op == Op::TcpWrite {
            self.run.recorder.stats.tcp_bytes_written += moved;
            self.run.world.tcp_written += moved;
        } else {
            self.run.world.http_bodies.written(rep, moved);
        }
        self.finish(event, result, |()| "ok".into());
        self.account(rep, moved > 0, result)
    }
}

/// A call on a stream, whatever hands the stream out.
#[derive(Debug, Clone, Copy)]
enum Call {
    Read,
    CheckWrite,
    Write,
    Flush,
}

/// The plan operation a call on a stream of `kind` counts as: a TCP connection's streams
/// are this file's, an HTTP body's are `http_types.rs`'s.
fn stream_op(kind: Kind, call: Call) -> Option<Op> {
    Some(match (kind, call) {
        (Kind::TcpInput, Call::Read) => Op::TcpRead,
        (Kind::TcpOutput, Call::CheckWrite) => Op::TcpCheckWrite,
        (Kind::TcpOutput, Call::Write) => Op::TcpWrite,
        (Kind::TcpOutput, Call::Flush) => Op::TcpFlush,
        (Kind::HttpBodyInput, Call::Read) => Op::HttpBodyRead,
        (Kind::HttpBodyOutput, Call::CheckWrite) => Op::HttpBodyCheckWrite,
        (Kind::HttpBodyOutput, Call::Write) => Op::HttpBodyWrite,
        (Kind::HttpBodyOutput, Call::Flush) => Op::HttpBodyFlush,
        _ => return None,
    })
}
