//! `wasi:io/streams`, decorated for the streams of TCP connections (those that
//! `finish-connect` and `accept` handed out) and of HTTP bodies (`http_types.rs`): their
//! reads, permits, writes and flushes go through the plan and the trace. Every other stream (stdin, stdout, stderr, files)
//! goes straight to wasmtime-wasi, untraced; its pollable is classified as a stream, so
//! waking on it is never taken for the guest backing off. `skip`, `splice` and
//! `write-zeroes` pass through untraced on every stream.

use super::IoView;
use super::decorate::{Answer, Decided, Decorate};
use crate::plan::Op;
use crate::resources::Kind;
use crate::trace::{Event, Text};
use crate::verdict::during;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi_io::bindings::wasi::io::streams::{
    self, Host, HostInputStream, HostOutputStream, InputStream, OutputStream,
};
use wasmtime_wasi_io::streams::{StreamError, StreamResult};

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
        // A wait like any other: relayed servers' answers arrive first.
        if self.run.relaying() {
            self.run.settle(2).await;
        }
        // WIT: "blocking-read ... blocks until at least one byte can be read": the empty
        // answer has no place here, so only errors and slices apply.
        let decided = self.decided(op, Some(rep), Vec::<u8>::new, &mut event);
        self.run.waiting(true);
        let result = match decided {
            Decided::Answer(Err(err)) => Err(err),
            Decided::Limit(n) => self.table.blocking_read(stream, len.min(n)).await,
            Decided::Answer(Ok(_)) | Decided::Reorder | Decided::Real => {
                self.table.blocking_read(stream, len).await
            }
        };
        self.run.waiting(false);
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
        (self.run).subscribed(target, HostInputStream::subscribe(self.table, stream))
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
        self.run.grant(rep, *result.as_ref().unwrap_or(&0));
        self.finish(event, &result, |permit| Text::Ok(*permit));
        if !matches!(result, Ok(1..)) {
            self.no_progress::<StreamError>()?;
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
        let mut event = (self.run)
            .spend(rep, len, event, |recorder, on, permit| {
                during::write_past_permit(recorder, len, on, permit)
            })
            .map_err(<StreamError as Answer>::trap)?;
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
        (self.run).subscribed(target, HostOutputStream::subscribe(self.table, stream))
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

impl IoView<'_> {
    /// A trace event for a call on a stream the plan governs (a TCP connection's, an HTTP
    /// body's), with the operation it counts as; `None` for any other stream.
    fn stream_event(&self, function: &'static str, call: Call, rep: u32) -> Option<(Event, Op)> {
        let op = stream_op(self.run.resource(rep)?.kind, call)?;
        Some((self.run.event(STREAMS, function, Some(op), rep), op))
    }

    fn read_done(
        &mut self,
        rep: u32,
        op: Op,
        event: Event,
        result: &StreamResult<Vec<u8>>,
    ) -> StreamResult<()> {
        let moved = result.as_ref().map_or(0, |bytes| bytes.len() as u64);
        self.finish(event, result, |bytes| Text::OkBytes(bytes.len() as u64));
        self.account(op, rep, moved, result)
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
        self.finish(event, result, |()| "ok".into());
        self.account(op, rep, moved, result)
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
