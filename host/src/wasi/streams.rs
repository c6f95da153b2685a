//! `wasi:io/streams`, decorated: every call goes straight to wasmtime-wasi; a stream's
//! pollable is classified as a stream when it is created, so waking on it (stdin, a file)
//! is never taken for the guest backing off.

use super::IoView;
use crate::faults::Class;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi_io::bindings::wasi::io::streams::{
    self, Host, HostInputStream, HostOutputStream, InputStream, OutputStream,
};
use wasmtime_wasi_io::streams::{StreamError, StreamResult};

impl Host for IoView<'_> {
    fn convert_stream_error(&mut self, err: StreamError) -> wasmtime::Result<streams::StreamError> {
        self.table.convert_stream_error(err)
    }
}

impl HostInputStream for IoView<'_> {
    async fn drop(&mut self, stream: Resource<InputStream>) -> wasmtime::Result<()> {
        HostInputStream::drop(self.table, stream).await
    }

    fn read(&mut self, stream: Resource<InputStream>, len: u64) -> StreamResult<Vec<u8>> {
        self.table.read(stream, len)
    }

    async fn blocking_read(
        &mut self,
        stream: Resource<InputStream>,
        len: u64,
    ) -> StreamResult<Vec<u8>> {
        self.table.blocking_read(stream, len).await
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
        let pollable = HostInputStream::subscribe(self.table, stream)?;
        self.faults.registry.classify(pollable.rep(), Class::Stream);
        Ok(pollable)
    }
}

impl HostOutputStream for IoView<'_> {
    async fn drop(&mut self, stream: Resource<OutputStream>) -> wasmtime::Result<()> {
        HostOutputStream::drop(self.table, stream).await
    }

    fn check_write(&mut self, stream: Resource<OutputStream>) -> StreamResult<u64> {
        self.table.check_write(stream)
    }

    fn write(&mut self, stream: Resource<OutputStream>, bytes: Vec<u8>) -> StreamResult<()> {
        self.table.write(stream, bytes)
    }

    async fn blocking_write_and_flush(
        &mut self,
        stream: Resource<OutputStream>,
        bytes: Vec<u8>,
    ) -> StreamResult<()> {
        self.table.blocking_write_and_flush(stream, bytes).await
    }

    fn flush(&mut self, stream: Resource<OutputStream>) -> StreamResult<()> {
        self.table.flush(stream)
    }

    async fn blocking_flush(&mut self, stream: Resource<OutputStream>) -> StreamResult<()> {
        self.table.blocking_flush(stream).await
    }

    fn subscribe(
        &mut self,
        stream: Resource<OutputStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let pollable = HostOutputStream::subscribe(self.table, stream)?;
        self.faults.registry.classify(pollable.rep(), Class::Stream);
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
